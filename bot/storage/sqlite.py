"""SQLite backend (the default): one file in WAL mode, one connection, a versioned schema.

Per message: one query to read the session, one to write it. Counters are buffered in memory by `count()`
and written in one transaction by `flush()`. Faults (locked, read-only or vanished file, disk errors) never
reach the caller: see the contract in `base.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from ..session import Session
from . import updates
from .base import UNANSWERED_MIN_PEOPLE, CounterKey, Health, StorageError, Unanswered, describe, log
from .unanswered import UnansweredPolicy

# aiosqlite's DEBUG lines quote every query with its parameters (pseudonyms, scrubbed texts): keep it quieter.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

T = TypeVar("T")

#: The schema, one step per version; a database at version n gets steps n+1.. applied in one transaction.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: sessions by pseudonym, aggregate counters
        "CREATE TABLE sessions (key TEXT PRIMARY KEY, data TEXT NOT NULL, updated REAL NOT NULL) WITHOUT ROWID",
        "CREATE INDEX sessions_updated ON sessions (updated)",
        "CREATE TABLE counters (day TEXT NOT NULL, locale TEXT NOT NULL, target TEXT NOT NULL, campaign TEXT NOT NULL DEFAULT '',"
        " count INTEGER NOT NULL, PRIMARY KEY (day, locale, target, campaign)) WITHOUT ROWID",
    ),
    (  # 2: unanswered questions: hashed candidates, then kept scrubbed texts
        "CREATE TABLE unanswered_seen (text_hash TEXT NOT NULL, who TEXT NOT NULL, first REAL NOT NULL,"
        " PRIMARY KEY (text_hash, who)) WITHOUT ROWID",
        "CREATE INDEX unanswered_seen_first ON unanswered_seen (first)",
        "CREATE TABLE unanswered (text_hash TEXT PRIMARY KEY, text TEXT NOT NULL, count INTEGER NOT NULL,"
        " kept REAL NOT NULL, last REAL NOT NULL) WITHOUT ROWID",
    ),
)

_UPSERT_SESSION = (
    "INSERT INTO sessions (key, data, updated) VALUES (?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated = excluded.updated"
)
_UPSERT_COUNTER = (
    "INSERT INTO counters (day, locale, target, campaign, count) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (day, locale, target, campaign) DO UPDATE SET count = count + excluded.count"
)
_TRANSIENT = {"SQLITE_BUSY", "SQLITE_LOCKED"}  # the connection itself is fine: keep it


def day_start(day: str) -> float:
    """Seconds since the epoch at 00:00 UTC of a YYYY-MM-DD day."""
    return datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def day_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


class SQLiteStore:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        pepper: bytes | None = None,
        busy_timeout: float = 0.25,
        retry_interval: float = 1.0,
        unanswered_min_people: int = UNANSWERED_MIN_PEOPLE,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._health = Health("sqlite", retry_interval)
        self._pending: Counter[CounterKey] = Counter()
        self._forget: set[str] = set()  # deletes that failed: retried on flush, and hidden from loads meanwhile
        self._policy = UnansweredPolicy(pepper, unanswered_min_people)
        self._closed = False

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    # --- connection -------------------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect and migrate; on failure, log and carry on degraded (the next call tries again)."""
        self._closed = False
        await self._run("open", _nothing, None)

    async def close(self) -> None:
        await self.flush()
        if self._pending:
            log.warning("storage sqlite: %d counter increment(s) could not be written before closing", sum(self._pending.values()))
        self._closed = True
        async with self._lock:
            await self._disconnect()

    async def _connect(self) -> aiosqlite.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # create it private; SQLite gives -wal and -shm the same mode
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = await aiosqlite.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            await db.executescript("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;")
            await migrate(db)
        except BaseException:
            with contextlib.suppress(Exception):
                await db.close()
            raise
        return db

    async def _disconnect(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            with contextlib.suppress(Exception):
                await db.close()

    async def _run(self, operation: str, work: Callable[[aiosqlite.Connection], Awaitable[T]], default: T, *, read_only: bool = False) -> T:
        """Run `work` on a working connection; on any database fault, log once, degrade and return `default`.
        A `read_only` success does not end a failure streak (reads work under a write lock or on a full disk)."""
        if self._closed:
            return default
        if not self._health.may_try():
            self._health.skipped()
            return default
        async with self._lock:
            try:
                if self._db is None:
                    self._db = await self._connect()
                result = await work(self._db)
            except Exception as exc:
                self._health.failed(operation, exc)
                if getattr(exc, "sqlite_errorname", None) not in _TRANSIENT:
                    await self._disconnect()  # reopen from scratch next time: the file may have been replaced
                return default
        if not read_only:
            self._health.succeeded()
        return result

    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """A reporting query: raises StorageError (class and code only) instead of degrading."""
        async with self._lock:
            try:
                if self._db is None:
                    self._db = await self._connect()
                return list(await self._db.execute_fetchall(sql, params))
            except Exception as exc:
                await self._disconnect()
                raise StorageError(f"sqlite: cannot read the database ({describe(exc)})") from None

    # --- sessions ---------------------------------------------------------------------------------------

    async def load_session(self, key: str) -> Session | None:
        if key in self._forget:
            return None

        async def work(db: aiosqlite.Connection) -> Session | None:
            rows = await db.execute_fetchall("SELECT data FROM sessions WHERE key = ?", (key,))
            for (data,) in rows:
                return Session.from_json(data)
            return None

        return await self._run("reading a session", work, None, read_only=True)

    async def save_session(self, key: str, session: Session) -> None:
        async def work(db: aiosqlite.Connection) -> bool:
            await db.execute(_UPSERT_SESSION, (key, session.to_json(), time.time()))
            return True

        if await self._run("saving a session", work, False):
            self._forget.discard(key)  # the new state replaced whatever a failed delete left behind

    async def delete_session(self, key: str) -> None:
        async def work(db: aiosqlite.Connection) -> bool:
            await db.execute("DELETE FROM sessions WHERE key = ?", (key,))
            return True

        if await self._run("deleting a session", work, False):
            self._forget.discard(key)
        else:
            self._forget.add(key)

    async def sweep(self, max_age_seconds: float) -> int:
        now = time.time()
        expired = now - self._policy.ttl_seconds

        async def work(db: aiosqlite.Connection) -> int:
            cursor = await db.execute("DELETE FROM sessions WHERE updated < ?", (now - max_age_seconds,))
            await db.execute("DELETE FROM unanswered_seen WHERE first < ?", (expired,))
            await db.execute("DELETE FROM unanswered WHERE kept < ?", (expired,))
            return max(cursor.rowcount, 0)

        return await self._run("sweeping old sessions", work, 0)

    # --- counters ---------------------------------------------------------------------------------------

    def count(self, key: CounterKey, n: int = 1) -> None:
        self._pending[key] += n

    async def flush(self) -> None:
        if not self._pending and not self._forget:
            return
        batch, self._pending = self._pending, Counter()
        forget = sorted(self._forget)
        rows = [(k.day, k.locale, k.target, k.campaign, n) for k, n in sorted(batch.items())]

        async def work(db: aiosqlite.Connection) -> bool:
            await transaction(db, [(_UPSERT_COUNTER, rows), ("DELETE FROM sessions WHERE key = ?", [(k,) for k in forget])])
            return True

        if await self._run("writing counters", work, False):
            self._forget.difference_update(forget)
        else:
            self._pending.update(batch)  # keep them for the next flush

    async def counters(self, since: str | None = None) -> list[tuple[CounterKey, int]]:
        await self.flush()
        rows = await self._read(
            "SELECT day, locale, target, campaign, count FROM counters WHERE day >= ? ORDER BY day, locale, target, campaign",
            (since or "",),
        )
        return [(CounterKey(day, locale, target, campaign), count) for day, locale, target, campaign, count in rows]

    # --- unanswered questions ---------------------------------------------------------------------------

    async def note_unanswered(self, pseudonym: str, text: str) -> None:
        note = self._policy.note(pseudonym, text)
        if note is None:
            return
        now = time.time()
        k = self._policy.min_people

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute("BEGIN IMMEDIATE")
            try:
                cursor = await db.execute("UPDATE unanswered SET count = count + 1, last = ? WHERE text_hash = ?", (now, note.text_hash))
                if cursor.rowcount == 0:
                    await db.execute(
                        "INSERT OR IGNORE INTO unanswered_seen (text_hash, who, first) VALUES (?, ?, ?)", (note.text_hash, note.who, now)
                    )
                    ((people,),) = await db.execute_fetchall("SELECT count(*) FROM unanswered_seen WHERE text_hash = ?", (note.text_hash,))
                    if people >= k:
                        await db.execute(
                            "INSERT INTO unanswered (text_hash, text, count, kept, last) VALUES (?, ?, ?, ?, ?)",
                            (note.text_hash, note.text, people, now, now),
                        )
                        await db.execute("DELETE FROM unanswered_seen WHERE text_hash = ?", (note.text_hash,))
                await db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    await db.execute("ROLLBACK")
                raise

        await self._run("noting an unanswered question", work, None)

    async def unanswered(self, since: str | None = None) -> list[Unanswered]:
        rows = await self._read(
            "SELECT text, count, kept, last FROM unanswered WHERE last >= ? ORDER BY count DESC, text",
            (day_start(since) if since else 0.0,),
        )
        return [Unanswered(text, count, day_of(kept), day_of(last)) for text, count, kept, last in rows]

    # --- seen update ids (updates.py) ---------------------------------------------------------------------

    async def claim_updates(self, update_ids: list[int], owner: str, lease: float) -> dict[int, str]:
        default = dict.fromkeys(update_ids, updates.NEW)  # the database is down: answer (in-process dedup only)
        return await self._run("claiming updates", lambda db: updates.sqlite_claim(self, db, update_ids, owner, lease), default)

    async def finish_updates(self, update_ids: list[int]) -> None:
        await self._run("marking updates done", lambda db: updates.sqlite_finish(self, db, update_ids), False)

    async def release_update(self, update_id: int, owner: str) -> None:
        await self._run("releasing an update", lambda db: updates.sqlite_release(self, db, update_id, owner), False)

    async def renew_updates(self, owner: str, lease: float) -> None:
        await self._run("renewing update claims", lambda db: updates.sqlite_renew(self, db, owner, lease), False)


async def _nothing(db: aiosqlite.Connection) -> None:
    return None


async def transaction(db: aiosqlite.Connection, batches: Iterable[tuple[str, list[tuple[Any, ...]]]]) -> None:
    """Run several executemany batches in one write transaction."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in batches:
            if rows:
                await db.executemany(sql, rows)
        await db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            await db.execute("ROLLBACK")
        raise


async def schema_version(db: aiosqlite.Connection) -> int:
    ((exists,),) = await db.execute_fetchall("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    if not exists:
        return 0
    ((version,),) = await db.execute_fetchall("SELECT coalesce(max(version), 0) FROM schema_version")
    return int(version)


async def migrate(db: aiosqlite.Connection) -> int:
    """Bring the schema up to date; safe to run any number of times and from several processes at once."""
    if await schema_version(db) >= len(MIGRATIONS):
        return 0  # the common case: read-only check, no write lock taken
    applied = 0
    await db.execute("BEGIN IMMEDIATE")
    try:
        await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied REAL NOT NULL)")
        current = await schema_version(db)  # again, under the write lock: another process may have migrated meanwhile
        for number in range(current + 1, len(MIGRATIONS) + 1):
            for statement in MIGRATIONS[number - 1]:
                await db.execute(statement)
            await db.execute("INSERT INTO schema_version (version, applied) VALUES (?, ?)", (number, time.time()))
            applied += 1
        await db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            await db.execute("ROLLBACK")
        raise
    if applied:
        log.info("storage sqlite: schema migrated to version %d", len(MIGRATIONS))
    return applied
