"""The storage interface every backend implements. Keys are pseudonyms; nothing identifying is stored.

Fault contract (database backends): `open`, `load_session`, `save_session`, `delete_session`, `sweep`,
`flush` and `note_unanswered` never raise because the database is locked, read-only, full or gone. They log
one warning per failure streak (never a key, a text or a DSN), degrade to "no memory" (a load returns None,
a save is dropped, counters stay buffered) and recover on a later call once the database works again.
Only the reporting methods (`counters`, `unanswered`) raise, as `StorageError`, for `hrbot stats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .. import metrics
from ..errors import StorageError as StorageError  # defined with the other errors; imported from here too
from ..session import Session
from . import updates

if TYPE_CHECKING:
    from .unanswered import Vocabulary

log = logging.getLogger("hrbot.storage")
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

UNANSWERED_MIN_PEOPLE = 3  # k: how many different pseudonyms must send the same scrubbed text
UNANSWERED_TTL_SECONDS = 30 * 24 * 3600
FLUSH_DELAY = 1.0  # counters reach the database within this many seconds of `count()` (a kill -9 loses at most that)
BATCHES_KEPT_SECONDS = 30 * 24 * 3600  # a writer silent this long has stopped: its last batch number is dropped
CAMPAIGNS_REFRESH = 10.0  # seconds between re-reading the declared campaigns (`hrbot link --declare` from another process)
OTHER_CAMPAIGN = "other"  # what an undeclared campaign is counted as: a payload is typed by anyone, so never stored
TURN_TIMEOUT = 5.0  # seconds a turn waits for another worker's turn of the same chat before going on unlocked


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


def day_start(day: str) -> float:
    """Seconds since the epoch at 00:00 UTC of a YYYY-MM-DD day."""
    return datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def day_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


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

    async def note_unanswered(self, pseudonym: str, text: str, vocabulary: Vocabulary = frozenset()) -> None:
        """Remember a question the bot could not answer: only if every word is in `vocabulary` (the content's,
        see `unanswered.content_vocabulary`) or common; scrubbed; kept only once k people asked it."""

    async def unanswered(self, since: str | None = None) -> list[Unanswered]: ...

    # Seen update ids (see updates.py), in batches: each id "new" (now claimed by `owner` for `lease`
    # seconds), "done" or "busy" (claimed by another live process).
    async def claim_updates(self, update_ids: list[int], owner: str, lease: float) -> dict[int, str]: ...

    async def finish_updates(self, update_ids: list[int]) -> None: ...

    async def release_update(self, update_id: int, owner: str) -> None: ...

    async def renew_updates(self, owner: str, lease: float) -> None:
        """Extend the leases of `owner`'s claims; drop expired rows."""

    def campaign_label(self, campaign: str | None) -> str:
        """What a campaign is counted as: itself if an operator declared it, "other" if not, "" for none."""

    async def declare_campaign(self, name: str) -> None:
        """Let `name` be counted as itself (`hrbot link --campaign NAME --declare`); raises StorageError."""

    async def campaigns(self) -> list[str]:
        """The declared campaigns; raises StorageError."""

    def turn_lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Held around load -> engine -> save, so no two turns of one chat run at once, in any worker.
        Never raises for a database fault: it then degrades to this process's own lock."""


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


def lock_id(key: str) -> int:
    """A signed 64-bit number for a pseudonym (a PostgreSQL advisory lock key, a byte offset)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


class KeyLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it (so memory stays bounded)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class Gather(Generic[ItemT, ResultT]):
    """Calls of one kind made while the previous batch is at the database, answered together by one call of
    `run(items) -> results` (in the same order). SQLite serves one statement at a time through one thread:
    32 people's session loads then cost one round trip, not 32, and each caller still waits for its own
    result (a save is on disk when `ask` returns, as before)."""

    def __init__(self, run: Callable[[list[ItemT]], Awaitable[list[ResultT]]]) -> None:
        self._run = run
        self._items: list[tuple[ItemT, asyncio.Future[ResultT]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def ask(self, item: ItemT) -> ResultT:
        future: asyncio.Future[ResultT] = asyncio.get_running_loop().create_future()
        self._items.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._work())
        return await future

    async def _work(self) -> None:
        while self._items:
            batch, self._items = self._items, []
            try:
                results = await self._run([item for item, _ in batch])
            except BaseException as exc:  # the backends degrade rather than raise; whatever it is, every caller hears of it
                if not isinstance(exc, Exception):  # the worker was cancelled (the loop is closing): so are the callers
                    batch, self._items = batch + self._items, []
                for _, future in batch:
                    if not future.done():
                        if isinstance(exc, Exception):
                            future.set_exception(exc)
                        else:
                            future.cancel()
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # its caller was cancelled meanwhile
                    future.set_result(result)


class Campaigns:
    """The declared campaigns as this process last read them; undeclared names are counted as "other"."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: frozenset[str] = frozenset(names)
        self.read_at = float("-inf")

    def label(self, campaign: str | None) -> str:
        if not campaign:
            return ""
        return campaign if campaign in self.names else OTHER_CAMPAIGN

    def key(self, key: CounterKey) -> CounterKey:
        label = self.label(key.campaign)
        return key if label == key.campaign else dataclasses.replace(key, campaign=label)

    def stale(self) -> bool:
        return time.monotonic() - self.read_at >= CAMPAIGNS_REFRESH

    def update(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)
        self.read_at = time.monotonic()


class BufferedStore:
    """What the database backends share: counters buffered by `count()` and written by a flush that runs
    within `flush_delay` seconds (so a kill -9 loses at most that much), deletes that failed retried on the
    next flush (and hidden from loads meanwhile), declared campaigns, and per-chat turn locks.

    A backend provides `_run`, `_write_batch(writer, number, rows, forget)`, `_read_campaigns()`,
    `_insert_campaign(name)`, `_disconnect()` and `_shared_turn_lock(key)`.

    Counters are written exactly once: a write whose outcome is unknown (the server went down between its
    COMMIT and the reply) is retried with the same batch number, and the backend records, in the same
    transaction as the counts, the last number each writer (a random name per store, nothing identifying)
    wrote, so a batch that did commit is not added a second time."""

    backend = ""
    update_queries: updates.Queries  # the backend's statements for seen update ids

    def __init__(self, retry_interval: float, flush_delay: float | None) -> None:
        self._health = Health(self.backend, retry_interval)
        self._pending: Counter[CounterKey] = Counter()
        self._unsent: tuple[int, Counter[CounterKey]] | None = None  # a batch taken from `_pending` not known written
        self._writer = secrets.token_hex(8)
        self._batches = 0
        self._forget: set[str] = set()
        self._closed = False
        self._flush_delay = flush_delay
        self._flush_task: asyncio.Task[None] | None = None
        self._flush_sleeping = False
        self._campaigns = Campaigns()
        self._turns = KeyLocks()

    # --- seen update ids (updates.py) ---------------------------------------------------------------------

    async def claim_updates(self, update_ids: list[int], owner: str, lease: float) -> dict[int, str]:
        default = dict.fromkeys(update_ids, updates.NEW)  # the database is down: answer (in-process dedup only)
        q = self.update_queries
        claimed: dict[int, str] = await self._run("claiming updates", lambda db: q.claim(self, db, update_ids, owner, lease), default)
        return claimed

    async def finish_updates(self, update_ids: list[int]) -> None:
        await self._run("marking updates done", lambda db: self.update_queries.finish(self, db, update_ids), False)

    async def release_update(self, update_id: int, owner: str) -> None:
        await self._run("releasing an update", lambda db: self.update_queries.release(self, db, update_id, owner), False)

    async def renew_updates(self, owner: str, lease: float) -> None:
        await self._run("renewing update claims", lambda db: self.update_queries.renew(self, db, owner, lease), False)

    # --- counters ---------------------------------------------------------------------------------------

    def count(self, key: CounterKey, n: int = 1) -> None:
        self._pending[self._campaigns.key(key)] += n
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_task is not None or self._closed or self._flush_delay is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): the next flush or close writes them
            return
        self._flush_task = loop.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        try:
            self._flush_sleeping = True
            await asyncio.sleep(self._flush_delay or 0)
            self._flush_sleeping = False
            self._flush_task = None  # counts from now on schedule the next flush
            await self.flush()
        except asyncio.CancelledError:
            return  # by close(), while asleep: close() flushes
        except Exception as exc:  # never an unretrieved task exception; the counters stay buffered
            log.error("storage %s: writing counters failed (%s)", self.backend, describe(exc))
        finally:
            self._flush_sleeping = False
            if self._flush_task is asyncio.current_task():
                self._flush_task = None
        if (self._pending or self._unsent) and not self._closed:  # the write failed: try again (Health spaces the attempts)
            self._schedule_flush()

    async def _stop_flushing(self) -> None:
        task, self._flush_task = self._flush_task, None
        if task is None or task is asyncio.current_task():
            return
        if self._flush_sleeping:
            task.cancel()  # asleep: nothing taken from the buffer yet
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task  # mid-write: let it finish, or its batch would be lost

    async def flush(self) -> None:
        if self._campaigns.stale():
            await self._refresh_campaigns()
        while True:
            if self._unsent is None:
                if not self._pending and not self._forget:
                    return
                self._batches += 1
                self._unsent, self._pending = (self._batches, self._pending), Counter()
            number, batch = self._unsent
            forget = sorted(self._forget)
            # Sorted rows: concurrent flushes from several workers lock counter rows in the same order (no deadlock).
            rows = [(k.day, k.locale, k.target, k.campaign, n) for k, n in sorted(batch.items())]
            if not await self._write_batch(self._writer, number, rows, forget):
                return  # kept, with its number, for the next flush
            self._unsent = None
            self._forget.difference_update(forget)

    async def close(self) -> None:
        await self._stop_flushing()
        await self.flush()
        if self._pending or self._unsent:
            lost = sum(self._pending.values()) + (sum(self._unsent[1].values()) if self._unsent else 0)
            log.warning("storage %s: %d counter increment(s) could not be written before closing", self.backend, lost)
        self._closed = True
        await self._release()

    async def _release(self) -> None:
        """Close the connections for good (a backend may first wait for the statement in progress)."""
        await self._disconnect()

    # --- campaigns --------------------------------------------------------------------------------------

    def campaign_label(self, campaign: str | None) -> str:
        return self._campaigns.label(campaign)

    async def _refresh_campaigns(self) -> None:
        names = await self._run("reading the declared campaigns", self._read_campaigns, None, read_only=True)
        if names is not None:
            self._campaigns.update(names)

    async def declare_campaign(self, name: str) -> None:
        await self._insert_campaign(name)
        self._campaigns.update({*self._campaigns.names, name})

    # --- turns ------------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def turn_lock(self, key: str) -> AsyncIterator[None]:
        async with self._turns.hold(key), self._shared_turn_lock(key):  # this process first, then the others
            yield

    # backend hooks (typed here for the checker)
    async def _run(self, operation: str, work: Any, default: Any, *, read_only: bool = False) -> Any:
        raise NotImplementedError

    async def _write_batch(self, writer: str, number: int, rows: list[tuple[str, str, str, str, int]], forget: list[str]) -> bool:
        """Write batch `number` of `writer` in one transaction, unless that writer's batch of that number (or a
        later one) was written before; True once it is in the database."""
        raise NotImplementedError

    async def _read_campaigns(self, connection: Any) -> list[str]:
        raise NotImplementedError

    async def _insert_campaign(self, name: str) -> None:
        raise NotImplementedError

    async def _disconnect(self) -> None:
        raise NotImplementedError

    def _shared_turn_lock(self, key: str) -> AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()
