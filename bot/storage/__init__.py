"""Storage: sessions by pseudonym and aggregate counters. Backends share one interface (`Store`)."""

from .base import CounterKey, Store
from .memory import MemoryStore

__all__ = ["CounterKey", "MemoryStore", "Store"]
