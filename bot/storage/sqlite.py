"""SQLite backend (the default): one file in WAL mode, one connection, a versioned schema.

Per message: one query to read the session, one to write it; the loads (and the saves) of everyone whose
turn came while the previous batch was at the database go together in one statement (`Gather`), so the
round trips to the database thread do not grow with the people in flight. Counters are buffered in memory
by `count()` and written in one transaction by `flush()`, within a second. Faults (locked, read-only or vanished file,
disk errors) never reach the caller: see the contract in `base.py`. Before each use of the connection two
cheap checks run (a `stat` each):

- the database file was deleted or replaced (its device and inode changed): say so once, reopen, which
  recreates the file and its schema, instead of writing on into an unlinked file;
- the `-shm` file (the WAL index SQLite maps into memory) shrank: touching the mapping would kill the
  process with SIGBUS. Its size is restored if it can be; if not, the connection is left untouched (never
  used or closed again) and the store degrades until it can be.

Turns of one chat are serialised across processes by a byte-range lock (`fcntl`) at the pseudonym's
offset in `<database>-turns`, an empty file.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from ..session import Session
from . import updates
from .base import (
    BATCHES_KEPT_SECONDS,
    FLUSH_DELAY,
    TURN_TIMEOUT,
    UNANSWERED_MIN_PEOPLE,
    BufferedStore,
    CounterKey,
    Gather,
    KeyLocks,
    StorageError,
    Unanswered,
    day_of,
    day_start,
    describe,
    lock_id,
    log,
)
from .unanswered import UnansweredPolicy, Vocabulary

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
    (  # 3: campaigns an operator declared (`hrbot link --declare`); any other is counted as "other"
        "CREATE TABLE campaigns (name TEXT PRIMARY KEY, declared REAL NOT NULL) WITHOUT ROWID",
    ),
    (  # 4: the last counter batch each writer (a random name per process) wrote: a retried batch is not counted twice
        "CREATE TABLE counter_batches (writer TEXT PRIMARY KEY, number INTEGER NOT NULL, written REAL NOT NULL) WITHOUT ROWID",
    ),
)

_UPSERT_SESSIONS = (
    "INSERT INTO sessions (key, data, updated) VALUES {values}"
    " ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated = excluded.updated"
)
_CLAIM_BATCH = (
    "INSERT INTO counter_batches (writer, number, written) VALUES (?, ?, ?)"
    " ON CONFLICT (writer) DO UPDATE SET number = excluded.number, written = excluded.written"
    " WHERE counter_batches.number < excluded.number"
)
_UPSERT_COUNTER = (
    "INSERT INTO counters (day, locale, target, campaign, count) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (day, locale, target, campaign) DO UPDATE SET count = count + excluded.count"
)
_TRANSIENT = {"SQLITE_BUSY", "SQLITE_LOCKED"}  # the connection itself is fine: keep it
_TURN_LOCKS: dict[str, KeyLocks] = {}  # database path -> this process's per-chat locks
_TURN_FDS: dict[str, int] = {}  # lock file path -> its one descriptor in this process


class SQLiteStore(BufferedStore):
    backend = "sqlite"
    update_queries = updates.SQLITE

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        pepper: bytes | None = None,
        busy_timeout: float = 0.25,
        retry_interval: float = 1.0,
        unanswered_min_people: int = UNANSWERED_MIN_PEOPLE,
        flush_delay: float | None = FLUSH_DELAY,
        turn_timeout: float = TURN_TIMEOUT,
    ) -> None:
        super().__init__(retry_interval, flush_delay)
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.turn_timeout = turn_timeout
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._policy = UnansweredPolicy(pepper, unanswered_min_people)
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file the connection has open
        self._shm: tuple[int, int] | None = None  # (inode, largest size seen) of the -shm mapped by SQLite
        self._wal_ino: int | None = None
        self._abandoned: list[aiosqlite.Connection] = []
        self._abandoned_shm = (0, 0)  # behind a shrunken -shm: closing them would fault
        self._turns = _TURN_LOCKS.setdefault(os.path.realpath(self.path), KeyLocks())  # shared by this process's stores
        # the paths looked at on every batch and turn, worked out once
        self._shm_file = self.path.with_name(self.path.name + "-shm")
        self._wal_file = self.path.with_name(self.path.name + "-wal")
        self._turns_file = os.path.realpath(self.path.with_name(self.path.name + "-turns"))
        self._loads: Gather[str, Session | None] = Gather(self._load_many)
        self._saves: Gather[tuple[str, str], bool] = Gather(self._save_many)

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    # --- connection -------------------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect and migrate; on failure, log and carry on degraded (the next call tries again)."""
        self._closed = False
        await self._run("open", _nothing, None)
        await self._refresh_campaigns()

    async def _connect(self) -> aiosqlite.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # create it private; SQLite gives -wal and -shm the same mode
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        connecting = aiosqlite.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            db = await connecting
        except BaseException:
            # aiosqlite stops its worker thread with a future nobody awaits: wait for the thread to end, so it never
            # answers a loop that has closed meanwhile (an exception in that thread, seen in a test run)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(connecting._thread.join, 5.0)
            raise
        try:
            await db.executescript("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;")
            await migrate(db)
            st = os.stat(self.path)
        except BaseException:
            with contextlib.suppress(Exception):
                await db.close()
            raise
        self._identity = (st.st_dev, st.st_ino)
        self._shm = None
        self._note_shm()
        return db

    async def _release(self) -> None:
        async with self._lock:  # not in the middle of a statement
            await self._disconnect()
            if self._abandoned:
                try:
                    await self._check_shm()  # restores the -shm if it can, then closes what was left behind
                except OSError:
                    log.warning("storage sqlite: the -shm file is still truncated; restore its size before the next start")

    async def _disconnect(self) -> None:
        db, self._db = self._db, None
        self._identity = self._shm = None
        if db is not None:
            with contextlib.suppress(Exception):
                await db.close()

    def _shm_path(self) -> Path:
        return self._shm_file

    def _note_shm(self) -> None:
        """Remember the -shm SQLite has mapped, and the largest size it had (the mapping may reach that far),
        and which -wal is this connection's."""
        with contextlib.suppress(OSError):
            self._wal_ino = os.stat(self._wal_file).st_ino
        with contextlib.suppress(OSError):
            st = os.stat(self._shm_path())
            if self._shm is None or self._shm[0] != st.st_ino:
                self._shm = (st.st_ino, st.st_size)
            else:
                self._shm = (st.st_ino, max(self._shm[1], st.st_size))

    async def _check_files(self) -> None:
        """Before using the connection: is it still the file at `path`, and is its -shm safe to touch?
        Raises an OSError for a -shm that cannot be made safe (the caller degrades)."""
        await self._check_shm()
        if self._db is None or self._identity is None:
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            what = "deleted"
        except OSError:
            return  # let SQLite report it
        else:
            if (st.st_dev, st.st_ino) == self._identity:
                self._note_shm()
                return
            what = "replaced"
        log.warning("storage sqlite: the database file was %s while open; reopening it (a new file starts empty)", what)
        stale = [(self.path.name + "-wal", self._wal_ino), (self.path.name + "-shm", self._shm[0] if self._shm else None)]
        await self._disconnect()  # the next statement reconnects, which creates the file and its schema
        for name, inode in stale:  # SQLite keeps the old -wal of a moved file; the new file would replay its pages
            other = self.path.with_name(name)
            with contextlib.suppress(OSError):
                if inode is not None and os.stat(other).st_ino == inode:
                    other.unlink()

    async def _check_shm(self) -> None:
        if self._abandoned:  # a connection is still mapped to a -shm that shrank: connecting again would share it
            if not self._restore_shm(*self._abandoned_shm):
                raise OSError(errno.EIO, "the -shm file is still short")
            for db in self._abandoned:  # safe to close now that the mapping is whole again
                with contextlib.suppress(Exception):
                    await db.close()
            self._abandoned.clear()
            return
        if self._shm is None:
            return
        try:
            st = os.stat(self._shm_path())
        except OSError:
            return  # gone: SQLite's mapping is of the unlinked file, still whole
        inode, size = self._shm
        if st.st_ino != inode or st.st_size >= size:
            return
        if not self._restore_shm(inode, size):
            if self._db is not None:
                self._abandoned.append(self._db)  # never touched again: any use, even close(), would fault
                self._abandoned_shm = (inode, size)
                self._db = None
                self._identity = None
            raise OSError(errno.EFBIG, "the -shm file shrank and cannot be restored")

    def _restore_shm(self, inode: int, size: int) -> bool:
        """Give a truncated -shm its size back (SQLite rebuilds a zeroed WAL index from the WAL, as for a
        new -shm); True if it is whole."""
        shm = self._shm_path()
        try:
            st = os.stat(shm)
            if st.st_ino != inode or not stat.S_ISREG(st.st_mode):
                return False
            if st.st_size >= size:
                return True
            os.truncate(shm, size)
        except OSError:
            return False
        log.warning("storage sqlite: the -shm file was truncated while open; its size is restored")
        return True

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
                await self._check_files()
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
                await self._check_files()
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
        return await self._loads.ask(key)

    async def _load_many(self, keys: list[str]) -> list[Session | None]:
        """The sessions of everyone whose load waited for the previous batch: one statement per 500 keys."""
        unique = list(dict.fromkeys(keys))

        async def work(db: aiosqlite.Connection) -> dict[str, str]:
            found: dict[str, str] = {}
            for at in range(0, len(unique), updates.CHUNK):
                chunk = unique[at : at + updates.CHUNK]
                marks = ", ".join("?" * len(chunk))
                for key, data in await db.execute_fetchall(f"SELECT key, data FROM sessions WHERE key IN ({marks})", chunk):
                    found[key] = data
            return found

        found = await self._run("reading a session", work, None, read_only=True)
        if found is None:
            return [None] * len(keys)
        return [Session.from_json(found[k]) if k in found else None for k in keys]

    async def save_session(self, key: str, session: Session) -> None:
        if await self._saves.ask((key, session.to_json())):
            self._forget.discard(key)  # the new state replaced whatever a failed delete left behind

    async def _save_many(self, items: list[tuple[str, str]]) -> list[bool]:
        """Everyone's save that waited for the previous batch, in one statement (one transaction): each caller
        returns once its row is committed, as with a statement of its own."""
        rows = dict(items)  # a key twice (turns of one chat are serialised, so not in practice): the later state
        now = time.time()

        async def work(db: aiosqlite.Connection) -> bool:
            flat = [(k, d, now) for k, d in rows.items()]
            for at in range(0, len(flat), updates.CHUNK):  # one statement each: one round trip, one commit
                chunk = flat[at : at + updates.CHUNK]
                values = ", ".join(["(?, ?, ?)"] * len(chunk))
                await db.execute(_UPSERT_SESSIONS.format(values=values), [v for row in chunk for v in row])
            return True

        saved = await self._run("saving a session", work, False)
        return [saved] * len(items)

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
            await db.execute("DELETE FROM counter_batches WHERE written < ?", (now - BATCHES_KEPT_SECONDS,))
            return max(cursor.rowcount, 0)

        return await self._run("sweeping old sessions", work, 0)

    # --- counters and campaigns ------------------------------------------------------------------------

    async def _write_batch(self, writer: str, number: int, rows: list[tuple[str, str, str, str, int]], forget: list[str]) -> bool:
        async def work(db: aiosqlite.Connection) -> bool:
            # the counts only once; the deletes of /forget every time (idempotent, and some may be new)
            await transaction(
                db,
                [("DELETE FROM sessions WHERE key = ?", [(k,) for k in forget])],
                once=(_CLAIM_BATCH, (writer, number, time.time()), [(_UPSERT_COUNTER, rows)]),
            )
            return True

        return await self._run("writing counters", work, False)

    async def _read_campaigns(self, db: aiosqlite.Connection) -> list[str]:
        return [name for (name,) in await db.execute_fetchall("SELECT name FROM campaigns")]

    async def _insert_campaign(self, name: str) -> None:
        await self._read("INSERT INTO campaigns (name, declared) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", (name, time.time()))

    async def campaigns(self) -> list[str]:
        return [name for (name,) in await self._read("SELECT name FROM campaigns ORDER BY name")]

    async def counters(self, since: str | None = None) -> list[tuple[CounterKey, int]]:
        await self.flush()
        rows = await self._read(
            "SELECT day, locale, target, campaign, count FROM counters WHERE day >= ? ORDER BY day, locale, target, campaign",
            (since or "",),
        )
        return [(CounterKey(day, locale, target, campaign), count) for day, locale, target, campaign, count in rows]

    # --- unanswered questions ---------------------------------------------------------------------------

    async def note_unanswered(self, pseudonym: str, text: str, vocabulary: Vocabulary = frozenset()) -> None:
        note = await asyncio.to_thread(self._policy.note, pseudonym, text, vocabulary)  # may load word lists
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

    # --- turns ------------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _shared_turn_lock(self, key: str) -> AsyncIterator[None]:
        """Other processes on this file: a write lock on one byte of `<database>-turns` at the pseudonym's
        offset (POSIX locks belong to the process, so this process's own turns are ordered by `turn_lock`).
        Polled without blocking the loop; after `turn_timeout`, or if the file cannot be used, go on unlocked."""
        offset = lock_id(key) & 0x3FFF_FFFF_FFFF  # below any off_t limit
        fd = self._turn_file()
        locked = False
        if fd is not None:
            deadline = time.monotonic() + self.turn_timeout
            while True:
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
                    locked = True
                    break
                except (BlockingIOError, PermissionError):
                    if time.monotonic() >= deadline:
                        log.warning("storage sqlite: another process held a conversation for %.0f s; going on", self.turn_timeout)
                        break
                    await asyncio.sleep(0.002)
                except OSError as exc:
                    self._health.failed("locking a conversation", exc)
                    break
        try:
            yield
        finally:
            if locked and fd is not None:
                with contextlib.suppress(OSError):
                    fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)

    def _turn_file(self) -> int | None:
        """One descriptor per file and process, never closed: closing any descriptor of a file drops every
        POSIX lock the process holds on it, other stores' included."""
        name = self._turns_file
        fd = _TURN_FDS.get(name)
        if fd is None and not self._closed:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = _TURN_FDS[name] = os.open(name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                self._health.failed("opening the conversation lock file", exc)
        return fd


async def _nothing(db: aiosqlite.Connection) -> None:
    return None


Batches = Iterable[tuple[str, list[tuple[Any, ...]]]]


async def transaction(db: aiosqlite.Connection, batches: Batches, once: tuple[str, tuple[Any, ...], Batches] | None = None) -> None:
    """Run several executemany batches in one write transaction. `once`: (a claim statement, its arguments,
    batches run only if the claim changes a row, i.e. they were not written before)."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        if once is not None:
            claim, args, guarded = once
            if (await db.execute(claim, args)).rowcount:
                batches = [*guarded, *batches]
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
