"""PostgreSQL backend, for several bot processes sharing sessions and counters. Needs `hrbot[postgres]` (asyncpg).

Same contract as SQLite (see `base.py`): one query per session read or write, counters written in one
transaction per flush, and faults (server restarting, network gone) degrade to no memory and recover on
their own: the connection pool is created lazily, stale connections are replaced, and a failed call is
retried once on fresh connections before giving up. The DSN never appears in a log or an error.

Turns of one chat are serialised across workers by a session advisory lock on the pseudonym's 64-bit
hash (`pg_advisory_lock`), held on one pooled connection from load to save; the session queries of that
turn run on the same connection (so a full pool cannot deadlock), and returning it to the pool resets it
(asyncpg's reset runs `pg_advisory_unlock_all()`), or closes it if that fails: either releases the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from ..errors import ConfigError
from ..session import Session
from . import updates
from .base import (
    BATCHES_KEPT_SECONDS,
    FLUSH_DELAY,
    TURN_TIMEOUT,
    UNANSWERED_MIN_PEOPLE,
    BufferedStore,
    CounterKey,
    StorageError,
    Unanswered,
    day_of,
    day_start,
    describe,
    lock_id,
    log,
)
from .unanswered import UnansweredPolicy, Vocabulary

T = TypeVar("T")

_LOCK_ID = 0x6872626F74  # pg_advisory_xact_lock key held while migrating ("hrbot")

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: sessions by pseudonym, aggregate counters
        "CREATE TABLE sessions (key TEXT PRIMARY KEY, data TEXT NOT NULL, updated DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX sessions_updated ON sessions (updated)",
        "CREATE TABLE counters (day TEXT NOT NULL, locale TEXT NOT NULL, target TEXT NOT NULL, campaign TEXT NOT NULL DEFAULT '',"
        " count BIGINT NOT NULL, PRIMARY KEY (day, locale, target, campaign))",
    ),
    (  # 2: unanswered questions: hashed candidates, then kept scrubbed texts
        "CREATE TABLE unanswered_seen (text_hash TEXT NOT NULL, who TEXT NOT NULL, first DOUBLE PRECISION NOT NULL,"
        " PRIMARY KEY (text_hash, who))",
        "CREATE INDEX unanswered_seen_first ON unanswered_seen (first)",
        "CREATE TABLE unanswered (text_hash TEXT PRIMARY KEY, text TEXT NOT NULL, count BIGINT NOT NULL,"
        " kept DOUBLE PRECISION NOT NULL, last DOUBLE PRECISION NOT NULL)",
    ),
    (  # 3: campaigns an operator declared (`hrbot link --declare`); any other is counted as "other"
        "CREATE TABLE campaigns (name TEXT PRIMARY KEY, declared DOUBLE PRECISION NOT NULL)",
    ),
    (  # 4: the last counter batch each writer (a random name per process) wrote: a retried batch is not counted twice
        "CREATE TABLE counter_batches (writer TEXT PRIMARY KEY, number BIGINT NOT NULL, written DOUBLE PRECISION NOT NULL)",
    ),
)

_UPSERT_SESSION = (
    "INSERT INTO sessions (key, data, updated) VALUES ($1, $2, $3)"
    " ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, updated = EXCLUDED.updated"
)
_CLAIM_BATCH = (
    "INSERT INTO counter_batches (writer, number, written) VALUES ($1, $2, $3)"
    " ON CONFLICT (writer) DO UPDATE SET number = EXCLUDED.number, written = EXCLUDED.written"
    " WHERE counter_batches.number < EXCLUDED.number"
)
_UPSERT_COUNTER = (
    "INSERT INTO counters (day, locale, target, campaign, count) VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT (day, locale, target, campaign) DO UPDATE SET count = counters.count + EXCLUDED.count"
)


def _import_asyncpg() -> Any:
    try:
        import asyncpg
    except ImportError:
        raise ConfigError("a postgresql:// database needs asyncpg: pip install 'hrbot[postgres]'") from None
    return asyncpg


def _rows_affected(status: str) -> int:
    """'DELETE 3' -> 3."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PostgresStore(BufferedStore):
    backend = "postgresql"
    update_queries = updates.POSTGRES

    def __init__(
        self,
        dsn: str,
        *,
        pepper: bytes | None = None,
        min_size: int = 0,  # no background reconnect loop (and its log lines) while the server is down
        max_size: int = 10,
        connect_timeout: float = 2.0,
        command_timeout: float = 3.0,
        retry_interval: float = 1.0,
        unanswered_min_people: int = UNANSWERED_MIN_PEOPLE,
        flush_delay: float | None = FLUSH_DELAY,
        turn_timeout: float = TURN_TIMEOUT,
    ) -> None:
        super().__init__(retry_interval, flush_delay)
        self._asyncpg = _import_asyncpg()
        self._dsn = dsn
        self._pool_options = {"min_size": min_size, "max_size": max_size, "timeout": connect_timeout, "command_timeout": command_timeout}
        self._pool: Any = None
        self._pool_lock = asyncio.Lock()
        self._policy = UnansweredPolicy(pepper, unanswered_min_people)
        self.turn_timeout = turn_timeout
        self._turn_con: contextvars.ContextVar[Any] = contextvars.ContextVar("hrbot_turn_connection", default=None)

    def __repr__(self) -> str:
        return "PostgresStore(<dsn hidden>)"

    # --- connection -------------------------------------------------------------------------------------

    async def open(self) -> None:
        self._closed = False
        await self._run("open", _nothing, None)
        await self._refresh_campaigns()

    async def _disconnect(self) -> None:
        async with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), timeout=5)
            except Exception:
                pool.terminate()

    async def _get_pool(self) -> Any:
        if self._pool is not None:
            return self._pool
        async with self._pool_lock:
            if self._pool is None:
                pool = await self._asyncpg.create_pool(self._dsn, **self._pool_options)
                try:
                    async with pool.acquire() as con:
                        await migrate(con)
                except BaseException:
                    pool.terminate()
                    raise
                self._pool = pool
        return self._pool

    async def _attempt(self, work: Callable[[Any], Awaitable[T]], session: bool) -> T:
        held = self._turn_con.get() if session else None  # inside `turn_lock`: the connection holding the chat's lock
        if held is not None and not held.is_closed():
            return await work(held)
        pool = await self._get_pool()
        return await work(pool)

    async def _run(
        self, operation: str, work: Callable[[Any], Awaitable[T]], default: T, *, read_only: bool = False, session: bool = False
    ) -> T:
        """Run `work` with the pool; on any fault, retry once on fresh connections, then log once and degrade.
        A `read_only` success does not end a failure streak (a server may answer reads and refuse writes)."""
        if self._closed:
            return default
        if not self._health.may_try():
            self._health.skipped()
            return default
        try:
            try:
                result = await self._attempt(work, session)
            except TimeoutError:
                raise  # waiting twice would only delay the reply
            except Exception:
                await self._expire()  # e.g. the server restarted: every pooled connection is stale
                result = await self._attempt(work, session)
        except Exception as exc:
            self._health.failed(operation, exc)
            await self._expire()
            return default
        if not read_only:
            self._health.succeeded()
        return result

    async def _expire(self) -> None:
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await self._pool.expire_connections()

    async def _read(self, query: str, *args: Any) -> list[Any]:
        try:
            pool = await self._get_pool()
            return list(await pool.fetch(query, *args))
        except Exception as exc:
            await self._expire()
            raise StorageError(f"postgresql: cannot read the database ({describe(exc)})") from None

    # --- sessions ---------------------------------------------------------------------------------------

    async def load_session(self, key: str) -> Session | None:
        if key in self._forget:
            return None

        async def work(pool: Any) -> Session | None:
            data = await pool.fetchval("SELECT data FROM sessions WHERE key = $1", key)
            return None if data is None else Session.from_json(data)

        return await self._run("reading a session", work, None, read_only=True, session=True)

    async def save_session(self, key: str, session: Session) -> None:
        async def work(pool: Any) -> bool:
            await pool.execute(_UPSERT_SESSION, key, session.to_json(), time.time())
            return True

        if await self._run("saving a session", work, False, session=True):
            self._forget.discard(key)

    async def delete_session(self, key: str) -> None:
        async def work(pool: Any) -> bool:
            await pool.execute("DELETE FROM sessions WHERE key = $1", key)
            return True

        if await self._run("deleting a session", work, False, session=True):
            self._forget.discard(key)
        else:
            self._forget.add(key)

    async def sweep(self, max_age_seconds: float) -> int:
        now = time.time()
        expired = now - self._policy.ttl_seconds

        async def work(pool: Any) -> int:
            async with pool.acquire() as con:
                status = await con.execute("DELETE FROM sessions WHERE updated < $1", now - max_age_seconds)
                await con.execute("DELETE FROM unanswered_seen WHERE first < $1", expired)
                await con.execute("DELETE FROM unanswered WHERE kept < $1", expired)
                await con.execute("DELETE FROM counter_batches WHERE written < $1", now - BATCHES_KEPT_SECONDS)
            return _rows_affected(status)

        return await self._run("sweeping old sessions", work, 0)

    # --- counters and campaigns ------------------------------------------------------------------------

    async def _write_batch(self, writer: str, number: int, rows: list[tuple[str, str, str, str, int]], forget: list[str]) -> bool:
        async def work(pool: Any) -> bool:
            async with pool.acquire() as con, con.transaction():
                # the counts only once (this batch may have committed before, its reply lost); the deletes of
                # /forget every time (idempotent, and some may be new since)
                if rows and _rows_affected(await con.execute(_CLAIM_BATCH, writer, number, time.time())):
                    await con.executemany(_UPSERT_COUNTER, rows)
                if forget:
                    await con.execute("DELETE FROM sessions WHERE key = ANY($1::text[])", forget)
            return True

        return await self._run("writing counters", work, False)

    async def _read_campaigns(self, pool: Any) -> list[str]:
        return [r[0] for r in await pool.fetch("SELECT name FROM campaigns")]

    async def _insert_campaign(self, name: str) -> None:
        await self._read("INSERT INTO campaigns (name, declared) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", name, time.time())

    async def campaigns(self) -> list[str]:
        return [r[0] for r in await self._read("SELECT name FROM campaigns ORDER BY name")]

    async def counters(self, since: str | None = None) -> list[tuple[CounterKey, int]]:
        await self.flush()
        rows = await self._read(
            "SELECT day, locale, target, campaign, count FROM counters WHERE day >= $1 ORDER BY day, locale, target, campaign", since or ""
        )
        return [(CounterKey(r[0], r[1], r[2], r[3]), int(r[4])) for r in rows]

    # --- unanswered questions ---------------------------------------------------------------------------

    async def note_unanswered(self, pseudonym: str, text: str, vocabulary: Vocabulary = frozenset()) -> None:
        note = await asyncio.to_thread(self._policy.note, pseudonym, text, vocabulary)  # may load word lists
        if note is None:
            return
        now = time.time()
        k = self._policy.min_people

        async def work(pool: Any) -> None:
            async with pool.acquire() as con, con.transaction():
                status = await con.execute("UPDATE unanswered SET count = count + 1, last = $1 WHERE text_hash = $2", now, note.text_hash)
                if _rows_affected(status):
                    return
                await con.execute(
                    "INSERT INTO unanswered_seen (text_hash, who, first) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    note.text_hash,
                    note.who,
                    now,
                )
                people = await con.fetchval("SELECT count(*) FROM unanswered_seen WHERE text_hash = $1", note.text_hash)
                if people >= k:
                    await con.execute(
                        "INSERT INTO unanswered (text_hash, text, count, kept, last) VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
                        note.text_hash,
                        note.text,
                        people,
                        now,
                    )
                    await con.execute("DELETE FROM unanswered_seen WHERE text_hash = $1", note.text_hash)

        await self._run("noting an unanswered question", work, None)

    async def unanswered(self, since: str | None = None) -> list[Unanswered]:
        rows = await self._read(
            "SELECT text, count, kept, last FROM unanswered WHERE last >= $1 ORDER BY count DESC, text", day_start(since) if since else 0.0
        )
        return [Unanswered(r[0], int(r[1]), day_of(r[2]), day_of(r[3])) for r in rows]

    # --- turns ------------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _shared_turn_lock(self, key: str) -> AsyncIterator[None]:
        """Other workers: `pg_advisory_lock` on one pooled connection, which this turn's session queries use.
        If the server is down or the lock is not granted within `turn_timeout`, go on unlocked."""
        stack = contextlib.AsyncExitStack()
        con = None
        if not self._closed and self._health.may_try():
            try:
                pool = await self._get_pool()
                con = await stack.enter_async_context(pool.acquire(timeout=self.turn_timeout))
                await con.execute("SELECT pg_advisory_lock($1)", lock_id(key), timeout=self.turn_timeout)
            except Exception as exc:
                self._health.failed("locking a conversation", exc)
                con = None
                with contextlib.suppress(Exception):
                    await stack.aclose()
        token = self._turn_con.set(con)
        try:
            yield
        finally:
            self._turn_con.reset(token)
            if con is not None:
                with contextlib.suppress(Exception):
                    await stack.aclose()  # the pool resets the connection (pg_advisory_unlock_all) or closes it


async def _nothing(pool: Any) -> None:
    return None


async def schema_version(con: Any) -> int:
    if not await con.fetchval("SELECT to_regclass('schema_version') IS NOT NULL"):
        return 0
    return int(await con.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))


async def migrate(con: Any) -> int:
    """Bring the schema up to date under an advisory lock; safe to run any number of times, from several workers."""
    if await schema_version(con) >= len(MIGRATIONS):
        return 0
    applied = 0
    async with con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_ID)
        await con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied DOUBLE PRECISION NOT NULL)")
        current = await schema_version(con)
        for number in range(current + 1, len(MIGRATIONS) + 1):
            for statement in MIGRATIONS[number - 1]:
                await con.execute(statement)
            await con.execute("INSERT INTO schema_version (version, applied) VALUES ($1, $2)", number, time.time())
            applied += 1
    if applied:
        log.info("storage postgresql: schema migrated to version %d", len(MIGRATIONS))
    return applied
