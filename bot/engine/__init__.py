"""The engine: plain data in (`Incoming`), plain data out (`Reply`); see `core`."""

from .core import FAILURE_MENU, FAILURE_NUMBER, FAILURE_TEXTS, Bundle, Engine
from .replies import Incoming, Reply, ReplyButton

__all__ = ["FAILURE_MENU", "FAILURE_NUMBER", "FAILURE_TEXTS", "Bundle", "Engine", "Incoming", "Reply", "ReplyButton"]
