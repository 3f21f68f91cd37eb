"""Storage: sessions by pseudonym and aggregate counters. Backends share one interface (`Store`).

open_store("data/hrbot.db")             SQLite (default; also "sqlite:///data/hrbot.db")
open_store("postgresql://host/db")      PostgreSQL, for several worker processes (needs asyncpg)
open_store("memory")                    in memory, for the terminal chat and tests
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .base import CounterKey, StorageError, Store, Unanswered
from .memory import MemoryStore

DEFAULT_DATABASE = "data/hrbot.db"  # `hrbot run` and `hrbot stats` take it from here (bot.settings), DATABASE_URL over it

__all__ = [
    "DEFAULT_DATABASE",
    "CounterKey",
    "MemoryStore",
    "StorageError",
    "Store",
    "Unanswered",
    "is_postgres",
    "open_store",
    "pepper_path_for",
    "sqlite_path",
]


def is_postgres(url_or_path: str) -> bool:
    return url_or_path.startswith(("postgresql://", "postgres://"))


def sqlite_path(url_or_path: str | os.PathLike[str]) -> Path:
    text = os.fspath(url_or_path)
    if text.startswith("sqlite://"):
        text = text.removeprefix("sqlite://")
        # sqlite:///relative/x.db is relative like SQLAlchemy's three slashes; sqlite:////abs/x.db is absolute
        text = text[1:] if text.startswith("/") else text
    return Path(text)


def pepper_path_for(url_or_path: str) -> Path:
    """Where the generated pepper lives: next to the SQLite file, else data/pepper."""
    if is_postgres(url_or_path) or url_or_path == "memory":
        return Path("data") / "pepper"
    return sqlite_path(url_or_path).parent / "pepper"


def open_store(url_or_path: str | os.PathLike[str], **options: Any) -> Store:
    """Make the store a URL or path names (not yet connected: `await store.open()`).

    Options go to the backend, e.g. `pepper=` (for unanswered-question hashes), `retry_interval=`.
    """
    text = os.fspath(url_or_path)
    if is_postgres(text):
        from .postgres import PostgresStore

        return PostgresStore(text, **options)
    if text == "memory":
        allowed = {k: v for k, v in options.items() if k in ("pepper", "unanswered_min_people", "campaigns")}
        return MemoryStore(**allowed)
    from .sqlite import SQLiteStore

    return SQLiteStore(sqlite_path(text), **options)
