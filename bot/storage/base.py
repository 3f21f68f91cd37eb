"""The storage interface every backend implements. Keys are pseudonyms; nothing identifying is stored.

Fault contract (database backends): `open`, `load_session`, `save_session`, `delete_session`, `sweep`,
`flush` and `note_unanswered` never raise because the database is locked, read-only, full or gone. They log
one warning per failure streak (never a key, a text or a DSN), degrade to "no memory" (a load returns None,
a save is dropped, counters stay buffered) and recover on a later call once the database works again.
Only the reporting methods (`counters`, `unanswered`) raise, as `StorageError`, for `hrbot stats`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Protocol

from .. import metrics
from ..errors import StorageError as StorageError  # defined with the other errors; imported from here too
from ..session import Session

log = logging.getLogger("hrbot.storage")

UNANSWERED_MIN_PEOPLE = 3  # k: how many different pseudonyms must send the same scrubbed text
UNANSWERED_TTL_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True, slots=True, order=True)
class CounterKey:
    day: str  # YYYY-MM-DD (UTC)
    locale: str
    target: str  # topic or flow id, or a reply kind such as "fallback"
    campaign: str = ""


@dataclass(frozen=True, slots=True)
class Unanswered:
    """A scrubbed question that at least k different people asked and the bot could not answer."""

    text: str
    count: int  # how many times it was asked since it was kept (k at first)
    first: str  # YYYY-MM-DD (UTC) it was kept
    last: str  # YYYY-MM-DD (UTC) it was last asked


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None:
        """Flush counters and release connections."""

    async def load_session(self, key: str) -> Session | None: ...

    async def save_session(self, key: str, session: Session) -> None: ...

    async def delete_session(self, key: str) -> None: ...

    async def sweep(self, max_age_seconds: float) -> int:
        """Delete sessions idle longer than max_age_seconds (and expired unanswered entries); return how many sessions."""

    def count(self, key: CounterKey, n: int = 1) -> None:
        """Buffer an increment; never waits on the disk."""

    async def flush(self) -> None:
        """Write buffered counters."""

    async def counters(self, since: str | None = None) -> list[tuple[CounterKey, int]]: ...

    async def note_unanswered(self, pseudonym: str, text: str) -> None:
        """Remember a question the bot could not answer (scrubbed; kept only once k people asked it)."""

    async def unanswered(self, since: str | None = None) -> list[Unanswered]: ...

    # Seen update ids (see updates.py), in batches: each id "new" (now claimed by `owner` for `lease`
    # seconds), "done" or "busy" (claimed by another live process).
    async def claim_updates(self, update_ids: list[int], owner: str, lease: float) -> dict[int, str]: ...

    async def finish_updates(self, update_ids: list[int]) -> None: ...

    async def release_update(self, update_id: int, owner: str) -> None: ...

    async def renew_updates(self, owner: str, lease: float) -> None:
        """Extend the leases of `owner`'s claims; drop expired rows."""


def describe(exc: BaseException) -> str:
    """A log-safe description of a database error: its class and code, never its message (which may quote data)."""
    name = type(exc).__name__
    code = getattr(exc, "sqlite_errorname", None) if isinstance(exc, sqlite3.Error) else None
    code = code or getattr(exc, "sqlstate", None)
    if code is None and isinstance(exc, OSError) and exc.errno is not None:
        import errno

        code = errno.errorcode.get(exc.errno)
    return f"{name} {code}" if code else name


class Health:
    """Tracks a backend's failure streak: one warning when it starts, one note when it ends, and a pause
    between attempts so that replies do not keep waiting on a database that is down. A read that works does
    not end a streak: under a write lock or on a full disk reads still work, and would otherwise end and
    restart the streak (two more warnings) on every message."""

    def __init__(self, backend: str, retry_interval: float) -> None:
        self.backend = backend
        self.retry_interval = retry_interval
        self.failing = False
        self._next_try = 0.0

    def may_try(self) -> bool:
        return not self.failing or time.monotonic() >= self._next_try

    def failed(self, operation: str, exc: BaseException) -> None:
        metrics.store_fault(self.backend, operation)
        if not self.failing:
            log.warning(
                "storage %s: %s failed (%s); degrading to no memory until the database works again",
                self.backend,
                operation,
                describe(exc),
            )
        self.failing = True
        self._next_try = time.monotonic() + self.retry_interval

    def skipped(self) -> None:
        log.debug("storage %s: still unavailable, not trying yet", self.backend)

    def succeeded(self) -> None:
        if self.failing:
            self.failing = False
            log.warning("storage %s: the database works again; sessions and counters are stored again", self.backend)
