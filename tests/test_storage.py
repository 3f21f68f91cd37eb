"""One storage contract, every backend: memory, SQLite and PostgreSQL (when HRBOT_TEST_POSTGRES names a server).

Plus the faults (locked, unopenable, read-only and full SQLite files; PostgreSQL stopping and starting again,
when HRBOT_TEST_PG_CTL says how) and the privacy check: nothing identifying in any file, table or log line.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import logging
import os
import resource
import secrets
import sqlite3
import struct
import time
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness import PG_CTL, PG_DSN, pg_ctl, pg_schema

from bot.content import Content
from bot.engine import Engine, Incoming
from bot.privacy import Pseudonymizer
from bot.session import Session
from bot.storage import CounterKey, MemoryStore, StorageError, Store, open_store, sqlite_path
from bot.storage.sqlite import MIGRATIONS, SQLiteStore, migrate
from bot.storage.unanswered import prepare_text, scrub


@pytest.fixture(scope="session", autouse=True)
def _postgres_is_there_in_ci() -> None:
    """In CI, .ci/run starts PostgreSQL: a missing server there is a broken set-up, not a reason to skip."""
    if os.environ.get("CI") and not (PG_DSN and PG_CTL):
        pytest.fail("CI=true but HRBOT_TEST_POSTGRES / HRBOT_TEST_PG_CTL are not set: .ci/run must start PostgreSQL")


needs_pg = pytest.mark.skipif(not PG_DSN, reason="set HRBOT_TEST_POSTGRES to a PostgreSQL DSN to run these")

Factory = Callable[..., Store]

FAST = {"retry_interval": 0.0}  # tests want "recovers on the next call"


# --- backends ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=needs_pg)])
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Factory]:
    """A factory of opened stores on one shared location (a new instance is a new "process")."""
    opened: list[Store] = []
    memory = MemoryStore(unanswered_min_people=3)
    location = ""
    dsn_cm = None
    if request.param == "sqlite":
        location = str(tmp_path / "data" / "hrbot.db")
    elif request.param == "postgres":
        dsn_cm = pg_schema(PG_DSN)
        location = await dsn_cm.__anext__()

    def factory(**options: Any) -> Store:
        store: Store = memory if request.param == "memory" else open_store(location, **{**FAST, **options})
        opened.append(store)
        return store

    factory.backend = request.param  # type: ignore[attr-defined]
    factory.location = location  # type: ignore[attr-defined]
    yield factory
    for store in opened:
        await store.close()
    if dsn_cm is not None:
        with pytest.raises(StopAsyncIteration):
            await dsn_cm.__anext__()


async def opened(factory: Factory, **options: Any) -> Store:
    store = factory(**options)
    await store.open()
    return store


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: float = 1_700_000_000.0) -> None:
        self.now = start
        monkeypatch.setattr(time, "time", lambda: self.now)


# --- the contract -----------------------------------------------------------------------------------------


async def test_session_round_trip(make_store: Factory) -> None:
    store = await opened(make_store)
    session = Session(locale="ru", last_locale="ru", country="DE", flow="combo-check", step="second", vars={"first": "cocaine"})
    await store.save_session("a" * 64, session)
    assert await store.load_session("a" * 64) == session
    assert await store.load_session("b" * 64) is None
    session.step = "result"
    await store.save_session("a" * 64, session)
    assert (await store.load_session("a" * 64)).step == "result"  # type: ignore[union-attr]


async def test_delete_forgets_at_once(make_store: Factory) -> None:
    store = await opened(make_store)
    await store.save_session("k1", Session(flow="menu"))
    await store.save_session("k2", Session(flow="menu"))
    await store.delete_session("k1")
    await store.delete_session("never-seen")
    assert await store.load_session("k1") is None
    assert await store.load_session("k2") == Session(flow="menu")


async def test_sweep_expires_idle_sessions(make_store: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    store = await opened(make_store)
    await store.save_session("old", Session(locale="en"))
    clock.now += 3000
    await store.save_session("fresh", Session(locale="en"))
    clock.now += 1000
    assert await store.sweep(3600) == 1
    assert await store.load_session("old") is None
    assert await store.load_session("fresh") == Session(locale="en")
    assert await store.sweep(3600) == 0


async def test_counters_are_buffered_then_flushed_in_one_go(make_store: Factory) -> None:
    store = await opened(make_store)
    await store.declare_campaign("card-berlin")
    assert not inspect.iscoroutinefunction(store.count)
    a, b = CounterKey("2025-01-02", "en", "naloxone"), CounterKey("2025-01-02", "ru", "combo-check", "card-berlin")
    for _ in range(5):
        assert store.count(a) is None
    store.count(b, 3)
    if make_store.backend != "memory":  # type: ignore[attr-defined]
        other = await opened(make_store)  # another process sees nothing until the flush
        assert await other.counters() == []
    await store.flush()
    store.count(a)
    await store.flush()
    await store.flush()  # nothing pending: a no-op
    assert await store.counters() == [(a, 6), (b, 3)]
    assert await store.counters(since="2025-01-03") == []
    assert await store.counters(since="2025-01-02") == [(a, 6), (b, 3)]


async def test_a_counter_batch_whose_commit_reply_was_lost_is_not_counted_twice(make_store: Factory) -> None:
    """The server went down between COMMIT and its reply (CI saw one count too many after `pg_ctl stop -m
    fast`): the store retries the same batch, and the database recognises it as written."""
    if make_store.backend == "memory":  # type: ignore[attr-defined]
        pytest.skip("memory has no commit to lose")
    store = await opened(make_store)
    real = store._write_batch  # type: ignore[attr-defined]
    lost = [True]  # the first write commits, then its reply is lost

    async def lossy(*args: Any) -> bool:
        written: bool = await real(*args)
        if lost:
            lost.pop()
            return False
        return written

    store._write_batch = lossy  # type: ignore[attr-defined]
    key, later = CounterKey("2025-01-05", "en", "naloxone"), CounterKey("2025-01-05", "en", "fallback")
    store.count(key, 4)
    await store.flush()  # committed, not known to be
    store.count(later)  # counted meanwhile: a batch of its own, after the unsent one
    await store.save_session("gone", Session(flow="menu", step="main"))
    store._forget.add("gone")  # type: ignore[attr-defined]  # a /forget whose delete failed: retried by the flush
    await store.flush()
    assert await store.load_session("gone") is None  # deleted although the unsent batch's counts were skipped
    other = await opened(make_store)  # another writer starts its own numbering
    other.count(key)
    await other.flush()
    assert await store.counters() == [(later, 1), (key, 5)]


async def test_counters_and_sessions_survive_close_and_reopen(make_store: Factory) -> None:
    if make_store.backend == "memory":  # type: ignore[attr-defined]
        pytest.skip("memory does not outlive its process")
    store = await opened(make_store)
    key = CounterKey("2025-03-04", "en", "fallback")
    store.count(key, 2)
    await store.save_session("k", Session(flow="menu", step="main"))
    await store.close()  # flushes
    again = await opened(make_store)
    again.count(key)
    assert await again.counters() == [(key, 3)]
    assert await again.load_session("k") == Session(flow="menu", step="main")


async def test_migrations_are_idempotent(make_store: Factory) -> None:
    if make_store.backend == "memory":  # type: ignore[attr-defined]
        pytest.skip("no schema in memory")
    first = await opened(make_store)
    await first.save_session("k", Session(locale="en"))
    second = await opened(make_store)  # migrates again: nothing to do, nothing lost
    assert await second.load_session("k") == Session(locale="en")
    if make_store.backend == "sqlite":  # type: ignore[attr-defined]
        import aiosqlite

        async with aiosqlite.connect(make_store.location) as db:  # type: ignore[attr-defined]
            assert await migrate(db) == 0
            assert list(await db.execute_fetchall("SELECT version FROM schema_version ORDER BY version")) == [
                (n,) for n in range(1, len(MIGRATIONS) + 1)
            ]
    else:
        import asyncpg

        from bot.storage import postgres

        con = await asyncpg.connect(make_store.location)  # type: ignore[attr-defined]
        try:
            assert await postgres.migrate(con) == 0
            versions = [r[0] for r in await con.fetch("SELECT version FROM schema_version ORDER BY version")]
            assert versions == list(range(1, len(postgres.MIGRATIONS) + 1))
        finally:
            await con.close()


async def test_concurrent_saves(make_store: Factory) -> None:
    store = await opened(make_store)
    await asyncio.gather(*(store.save_session(f"key-{i}", Session(step=str(i))) for i in range(200)))
    await asyncio.gather(*(store.save_session("same", Session(step=str(i))) for i in range(50)))
    loaded = await asyncio.gather(*(store.load_session(f"key-{i}") for i in range(200)))
    assert [s.step for s in loaded if s is not None] == [str(i) for i in range(200)]
    assert (await store.load_session("same")).step in {str(i) for i in range(50)}  # type: ignore[union-attr]


async def test_two_processes_share_a_conversation(make_store: Factory, mini_content: Content) -> None:
    """Updates alternate between two workers (two stores, two engines); the flow carries on."""
    if make_store.backend == "memory":  # type: ignore[attr-defined]
        pytest.skip("memory is per process")
    workers = [(Engine(mini_content), await opened(make_store)), (Engine(mini_content), await opened(make_store))]
    key = Pseudonymizer(b"p" * 32).key(123456)
    replies = []
    for turn, text in enumerate(["check a combo", "coke", "a few beers"]):
        engine, store = workers[turn % 2]
        session = await store.load_session(key) or Session()
        replies.append(engine.handle(Incoming(text=text), session)[-1])
        await store.save_session(key, session)
    assert [r.id for r in replies] == ["combo-check"] * 3
    assert replies[-1].text.startswith("Cocaine + Alcohol")
    assert (await workers[0][1].load_session(key)).step == "result"  # type: ignore[union-attr]


async def test_unanswered_needs_k_different_people(make_store: Factory) -> None:
    store = await opened(make_store)
    for _ in range(5):  # one person repeating it is not enough
        await store.note_unanswered("person-1", "Where can I test my pills near the station?")
    await store.note_unanswered("person-2", "where can i test my pills near the station")
    assert await store.unanswered() == []
    await store.note_unanswered("person-3", "WHERE can I test my pills, near the station @someone 0123")  # dropped whole
    assert await store.unanswered() == []
    await store.note_unanswered("person-3", "WHERE can I test my pills, near the station?")
    [kept] = await store.unanswered()
    assert kept.text == "where can i test my pills near the station" and kept.count == 3
    await store.note_unanswered("person-1", "where can i test my pills near the station")
    [kept] = await store.unanswered()
    assert kept.count == 4
    assert await store.unanswered(since="2999-01-01") == []
    await store.note_unanswered("person-4", "123 @x")  # nothing left after scrubbing: ignored
    assert len(await store.unanswered()) == 1


async def test_unanswered_expire_after_30_days(make_store: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    store = await opened(make_store)
    for who in ("a", "b", "c"):
        await store.note_unanswered(who, "is it safe to mix pills")
    await store.note_unanswered("a", "lonely question nobody else asks")
    clock.now += 31 * 24 * 3600
    await store.note_unanswered("b", "lonely question nobody else asks")  # the old candidate has expired by sweep time
    await store.sweep(3600)
    assert await store.unanswered() == []
    await store.note_unanswered("c", "lonely question nobody else asks")
    assert await store.unanswered() == []  # only b and c count now: a's note expired


def test_scrub_removes_what_identifies_or_reaches_someone() -> None:
    text = "Call +7 (912) 345-67-89, mail jo.doe@example.org, see https://t.me/x and www.drugs.example/y, ask @dealer_bob; 2 pills"
    cleaned = scrub(text)
    for gone in ("912", "345", "jo.doe", "example", "t.me", "dealer_bob", "@", "2"):
        assert gone not in cleaned
    assert prepare_text(text) == "call mail see and ask pills"
    assert prepare_text("42 @x") is None


def test_open_store_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_store("memory"), MemoryStore)
    assert isinstance(open_store(tmp_path / "x.db"), SQLiteStore)
    assert sqlite_path("sqlite:///data/x.db") == Path("data/x.db")
    assert sqlite_path("sqlite:////var/x.db") == Path("/var/x.db")
    pytest.importorskip("asyncpg")
    from bot.storage.postgres import PostgresStore

    store = open_store("postgresql://user:secret-password@db.example/hrbot")
    assert isinstance(store, PostgresStore) and "secret" not in repr(store)
    assert isinstance(open_store("postgres://db.example/hrbot"), PostgresStore)


# --- faults: SQLite ---------------------------------------------------------------------------------------


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hrbot.storage" and r.levelno >= logging.WARNING]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "hrbot.db"


async def test_sqlite_locked_degrades_and_recovers(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = SQLiteStore(db_path, busy_timeout=0.05, retry_interval=0)
    await store.open()
    await store.save_session("k", Session(step="one"))
    key = CounterKey("2025-01-01", "en", "naloxone")
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        await store.save_session("k", Session(step="two"))  # no raise: dropped
        await store.save_session("k", Session(step="three"))
        await store.delete_session("k")  # /forget while locked: remembered, and hidden from loads
        assert await store.load_session("k") is None
        store.count(key, 2)
        await store.flush()  # no raise: kept buffered
        assert len(warnings_of(caplog)) == 1  # once per streak
        assert "SQLITE_BUSY" in warnings_of(caplog)[0]
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.count(key)
    await store.flush()  # the lock is gone: counters and the pending delete are written
    assert await store.counters() == [(key, 3)]
    assert await store.load_session("k") is None
    await store.save_session("k", Session(step="four"))
    assert await store.load_session("k") == Session(step="four")
    assert "works again" in warnings_of(caplog)[-1]
    assert len(warnings_of(caplog)) == 2
    await store.close()


async def test_sqlite_locked_reads_that_work_do_not_end_the_streak(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Regression: under a write lock (WAL) reads still work; each one ended the streak, so every message
    logged "the database works again" and then a new "degrading" warning."""
    store = SQLiteStore(db_path, busy_timeout=0.05, retry_interval=0)
    try:
        await store.save_session("k", Session(step="one"))
        other = sqlite3.connect(db_path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            for _ in range(3):  # one message each: read the session, then save it
                assert await store.load_session("k") == Session(step="one")
                await store.save_session("k", Session(step="two"))
            assert len(warnings_of(caplog)) == 1
        finally:
            other.execute("ROLLBACK")
            other.close()
        await store.save_session("k", Session(step="three"))
        assert ["degrading" in w for w in warnings_of(caplog)] == [True, False]  # the streak, then "works again"
    finally:
        await store.close()


async def test_sqlite_unopenable_file_degrades_and_recovers(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = SQLiteStore(db_path, retry_interval=0)
    await store.save_session("k", Session(step="saved"))
    await store.close()
    for leftover in db_path.parent.iterdir():
        leftover.unlink()
    db_path.mkdir()  # the database file is now a directory: it cannot be opened at all, not even by root
    store = SQLiteStore(db_path, retry_interval=0)
    await store.open()  # no raise
    assert await store.load_session("k") is None
    await store.save_session("k", Session(step="lost"))
    key = CounterKey("2025-01-01", "en", "fallback")
    store.count(key)
    await store.flush()
    assert await store.sweep(60) == 0
    with pytest.raises(StorageError, match="sqlite: cannot read the database"):
        await store.counters()
    assert len(warnings_of(caplog)) == 1 and "SQLITE_CANTOPEN" in warnings_of(caplog)[0]
    db_path.rmdir()
    await store.save_session("k", Session(step="back"))  # a fresh database, created on the next call
    assert await store.load_session("k") == Session(step="back")
    assert await store.counters() == [(key, 1)]
    await store.close()


async def test_sqlite_gathered_loads_and_saves_answer_each_caller(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Loads (and saves) made while the previous batch is at the database go in one statement: each caller
    still gets its own session, a caller that gives up does not disturb the others, and a batch that fails
    degrades every save in it with one warning."""
    store = SQLiteStore(db_path, busy_timeout=0.05, retry_interval=0)
    await asyncio.gather(*(store.save_session(f"k{i}", Session(step=str(i))) for i in range(40)))
    loads = [asyncio.ensure_future(store.load_session(f"k{i}")) for i in range(40)]
    loads[7].cancel()
    found = await asyncio.gather(*loads, return_exceptions=True)
    assert isinstance(found[7], asyncio.CancelledError)
    assert [s.step if isinstance(s, Session) else None for s in found] == [None if i == 7 else str(i) for i in range(40)]
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock: the whole batch is dropped
        await asyncio.gather(*(store.save_session(f"k{i}", Session(step="new")) for i in range(10)))
        assert len(warnings_of(caplog)) == 1
    finally:
        other.close()
    assert [s.step for s in await asyncio.gather(*(store.load_session(f"k{i}") for i in range(10))) if s] == [str(i) for i in range(10)]
    await store.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod 0444; see the 'full' and 'directory' tests")
async def test_sqlite_read_only_file_degrades_and_recovers(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = SQLiteStore(db_path, retry_interval=0)
    await store.save_session("k", Session(step="one"))
    await store.close()
    files = [db_path.parent, *db_path.parent.iterdir()]
    for f in files:
        f.chmod(0o555 if f.is_dir() else 0o444)
    try:
        store = SQLiteStore(db_path, retry_interval=0)
        await store.save_session("k", Session(step="two"))
        assert await store.load_session("k") in (None, Session(step="one"))
        assert len(warnings_of(caplog)) == 1
    finally:
        for f in files:
            f.chmod(0o700 if f.is_dir() else 0o600)
    await store.save_session("k", Session(step="three"))
    assert await store.load_session("k") == Session(step="three")
    await store.close()


async def test_sqlite_disk_full_degrades_and_recovers(
    db_path: Path, caplog: pytest.LogCaptureFixture, file_size_limit: Callable[[int], None]
) -> None:
    store = SQLiteStore(db_path, retry_interval=0)
    await store.save_session("k", Session(step="one"))
    key = CounterKey("2025-01-01", "en", "naloxone")
    file_size_limit(0)
    try:
        for i in range(20):  # enough writes to need new pages in the WAL
            await store.save_session(f"k{i}", Session(step="x" * 2000))
        store.count(key, 4)
        await store.flush()
        assert await store.load_session("k") in (None, Session(step="one"))
    finally:
        file_size_limit(resource.RLIM_INFINITY)
    assert len(warnings_of(caplog)) == 1
    await store.flush()
    await store.save_session("k", Session(step="two"))
    assert await store.load_session("k") == Session(step="two")
    assert await store.counters() == [(key, 4)]
    await store.close()


async def test_sqlite_waits_between_attempts_while_failing(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.mkdir()
    store = SQLiteStore(db_path, retry_interval=60)
    await store.open()
    db_path.rmdir()
    assert await store.load_session("k") is None  # not retried yet: no wait on a broken database per message
    assert not db_path.exists()
    await store.close()


# --- faults: PostgreSQL -----------------------------------------------------------------------------------


@pytest.mark.skipif(not (PG_DSN and PG_CTL), reason="set HRBOT_TEST_POSTGRES and HRBOT_TEST_PG_CTL to stop and start the server")
async def test_postgres_going_away_and_coming_back(pg_dsn: str, caplog: pytest.LogCaptureFixture) -> None:
    from bot.storage.postgres import PostgresStore

    store = PostgresStore(pg_dsn, retry_interval=0, connect_timeout=2)
    await store.open()
    await store.save_session("k", Session(step="before"))
    key = CounterKey("2025-01-01", "en", "naloxone")
    pg_ctl("stop", "-m", "fast", "-w")
    try:
        assert await store.load_session("k") is None
        await store.save_session("k", Session(step="lost"))
        store.count(key, 2)
        await store.flush()
        assert await store.sweep(60) == 0
        assert len(warnings_of(caplog)) == 1
    finally:
        pg_ctl("start", "-w")
    assert await store.load_session("k") == Session(step="before")  # reconnects on its own
    await store.save_session("k", Session(step="after"))
    assert await store.load_session("k") == Session(step="after")
    assert await store.counters() == [(key, 2)]
    assert "works again" in warnings_of(caplog)[-1]
    warned = len(warnings_of(caplog))
    pg_ctl("stop", "-m", "fast", "-w")  # a restart between two messages: the pooled connections are stale
    pg_ctl("start", "-w")
    assert await store.load_session("k") == Session(step="after")  # retried on a fresh connection, no gap
    assert len(warnings_of(caplog)) == warned
    await store.close()


# --- privacy ----------------------------------------------------------------------------------------------

PEOPLE = [
    {
        "chat_id": 7395028461,
        "username": "zorblax_quill",
        "name": "Wilhelmina Quaxley",
        "texts": ["my friend Wilhelmina Quaxley took purple xylofenox pills", "check a combo", "coke", "a few beers"],
        "shared": "does the moon phase change how strong zlorpium feels @zorblax_quill",
    },
    {
        "chat_id": -1009182736455,
        "username": "mossy_pemberton",
        "name": "Ignatius Pemberton-Vole",
        "texts": ["quibbleshroom tea at the Vole farm party tonight", "/forget"],
        "shared": "Does the moon phase change how strong ZLORPIUM feels? 8 912 555 01 77",
    },
    {
        "chat_id": 5550001337,
        "username": "hazel_crumpet",
        "name": "Hazel Crumpetsworth",
        "texts": ["HELP he is not breathing", "snorted glimmerdust with Crumpetsworth"],
        "shared": "does the moon phase change how strong zlorpium feels (hazel@crumpet.example)",
    },
]


def secrets_of(people: list[dict[str, Any]]) -> list[bytes]:
    found: list[bytes] = []
    for p in people:
        found += [str(p["chat_id"]).encode(), str(abs(p["chat_id"])).encode(), p["username"].encode(), p["name"].encode()]
        found += [struct.pack(">q", p["chat_id"]), struct.pack("<q", p["chat_id"])]
        found += [t.encode() for t in p["texts"] if not t.startswith("/") and t not in ("check a combo", "coke", "a few beers")]
        found += [p["shared"].encode()]
        found += [word.encode() for word in p["name"].split()]
    found += [b"xylofenox", b"quibbleshroom", b"glimmerdust", b"912 555", b"8 912", b"hazel@", b"crumpet.example"]
    return found


async def test_nothing_identifying_is_stored_or_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture, mini_content: Content) -> None:
    caplog.set_level(logging.DEBUG)
    pepper = secrets.token_bytes(32)
    pseudonyms = Pseudonymizer(pepper)
    db = tmp_path / "data" / "hrbot.db"
    store = SQLiteStore(db, pepper=pepper, busy_timeout=0.05, retry_interval=0)
    await store.open()
    engine = Engine(mini_content)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    logging.getLogger("test").info("starting the scripted conversations")

    async def say(person: dict[str, Any], text: str) -> None:
        key = pseudonyms.key(person["chat_id"])
        session = await store.load_session(key) or Session()
        replies = engine.handle(Incoming(text=text, locale_hint="en"), session)
        if any(r.kind == "forget" for r in replies):
            await store.delete_session(key)
        else:
            await store.save_session(key, session)
        for reply in replies:
            store.count(CounterKey(day, reply.locale, reply.id or reply.kind, reply.campaign or ""))
            if reply.kind in ("fallback", "clarify"):
                await store.note_unanswered(key, text)

    for person in PEOPLE:
        for text in person["texts"]:
            await say(person, text)
    lock = sqlite3.connect(db, isolation_level=None)  # a fault in the middle: its warning must carry nothing either
    lock.execute("BEGIN EXCLUSIVE")
    await say(PEOPLE[0], PEOPLE[0]["texts"][0])
    await store.flush()
    lock.execute("ROLLBACK")
    lock.close()
    for person in PEOPLE:  # the same question with a handle, a phone, an e-mail: each is dropped whole
        await store.note_unanswered(pseudonyms.key(person["chat_id"]), person["shared"])
    assert await store.unanswered() == []
    for person in PEOPLE:
        await store.note_unanswered(pseudonyms.key(person["chat_id"]), "Does the moon phase change how strong it feels?")
    await store.flush()

    [kept] = await store.unanswered()
    assert kept.text == "does the moon phase change how strong it feels"
    assert any(r.levelno == logging.WARNING for r in caplog.records)  # the fault was logged

    forbidden = [*secrets_of(PEOPLE), pepper, pepper.hex().encode()]

    def check(blob: bytes, where: str) -> None:
        lowered = blob.lower()
        for item in forbidden:
            assert item.lower() not in lowered, f"{item!r} found in {where}"

    def check_files() -> None:
        files = sorted(p for p in db.parent.iterdir() if p.is_file())
        assert files, "no database files"
        for f in files:
            check(f.read_bytes(), f.name)

    check_files()  # while open: hrbot.db, hrbot.db-wal, hrbot.db-shm
    assert (db.parent / "hrbot.db-wal").exists()
    with sqlite3.connect(db) as reader:
        tables = [name for (name,) in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert {"sessions", "counters", "unanswered", "unanswered_seen", "schema_version"} <= set(tables)
        for table in tables:
            for row in reader.execute(f"SELECT * FROM {table}"):
                check(repr(row).encode(), f"table {table}")
    reader.close()
    forgotten = pseudonyms.key(PEOPLE[1]["chat_id"])
    await store.close()
    check_files()
    assert all(forgotten.encode() not in f.read_bytes() for f in db.parent.iterdir() if f.is_file())  # /forget left no trace
    logged = "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records)
    assert "starting the scripted conversations" in logged
    check(logged.encode(), "the log")
    for person in PEOPLE:
        assert pseudonyms.key(person["chat_id"]) not in logged
    check(repr(store).encode() + repr(pseudonyms).encode(), "a repr")


# --- hrbot stats ------------------------------------------------------------------------------------------


def test_hrbot_stats_table_csv_since_and_unanswered(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    async def fill() -> None:
        store = SQLiteStore(db_path)
        await store.declare_campaign("card-berlin")
        store.count(CounterKey("2025-01-01", "en", "naloxone"), 3)
        store.count(CounterKey("2025-01-02", "ru", "combo-check", "card-berlin"), 12)
        for who in ("a", "b", "c"):
            await store.note_unanswered(who, "where to get test strips in town")
        await store.close()

    asyncio.run(fill())
    assert main(["stats", "--database", str(db_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "day         locale  target       campaign     count",
        "2025-01-01  en      naloxone                      3",
        "2025-01-02  ru      combo-check  card-berlin     12",
        "total                                            15",
    ]
    assert main(["stats", "--database", f"sqlite:///{db_path}", "--since", "2025-01-02", "--csv"]) == 0
    assert capsys.readouterr().out == "day,locale,target,campaign,count\n2025-01-02,ru,combo-check,card-berlin,12\n"
    assert main(["stats", "--database", str(db_path), "--unanswered"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["count", "first", "last", "text"] and lines[1].endswith("where to get test strips in town")
    assert main(["stats", "--database", str(db_path), "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == "no counts yet\n"


def test_hrbot_stats_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["stats", "--database", str(tmp_path / "none.db")]) == 1
    assert "no database at" in capsys.readouterr().err
    assert main(["stats", "--database", str(tmp_path / "none.db"), "--since", "yesterday"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    if importlib.util.find_spec("asyncpg"):
        assert main(["stats", "--database", "postgresql://hrbot:hunter2-secret@127.0.0.1:1/hrbot"]) == 1
        err = capsys.readouterr().err
        assert "cannot read the database" in err and "hunter2" not in err


def test_postgres_without_asyncpg_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from bot.errors import ConfigError

    monkeypatch.setitem(sys.modules, "asyncpg", None)  # as if the extra were not installed
    with pytest.raises(ConfigError, match=r"pip install 'hrbot\[postgres\]'") as info:
        open_store("postgresql://user:hunter2@db.example/hrbot")
    assert "hunter2" not in str(info.value)


# --- issue 13: campaigns, a deleted file, a truncated -shm, kill -9, turn locks, unanswered words ----------


async def test_only_declared_campaigns_are_counted_by_name(make_store: Factory) -> None:
    """Item 4: `/start naloxone__<anything>` is typed by anyone; an undeclared campaign counts as "other"."""
    store = await opened(make_store)
    await store.declare_campaign("street-1")
    day = "2025-05-05"
    for n in range(200):  # one chat sending 200 different payloads: one "other" row, not 200
        store.count(CounterKey(day, "en", "naloxone", f"Quintessa-1555012{n:04d}"))
    store.count(CounterKey(day, "en", "naloxone", "street-1"), 2)
    store.count(CounterKey(day, "en", "naloxone"))
    assert await store.campaigns() == ["street-1"]
    assert store.campaign_label("street-1") == "street-1" and store.campaign_label("x") == "other" and store.campaign_label(None) == ""
    assert await store.counters() == [
        (CounterKey(day, "en", "naloxone", ""), 1),
        (CounterKey(day, "en", "naloxone", "other"), 200),
        (CounterKey(day, "en", "naloxone", "street-1"), 2),
    ]


def test_hrbot_link_declares_a_campaign(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    root = str(Path(__file__).resolve().parents[1])
    base = ["--content", root, "link", "naloxone", "--bot", "hr_help_bot", "--database", str(db_path)]
    assert main([*base, "--campaign", "flyer-7"]) == 0
    assert "counts as 'other' until declared" in capsys.readouterr().err
    assert main([*base, "--declare"]) == 2
    assert "--declare needs --campaign" in capsys.readouterr().err
    assert main([*base, "--campaign", "flyer-7", "--declare"]) == 0
    assert capsys.readouterr().out.strip() == "https://t.me/hr_help_bot?start=naloxone__flyer-7"

    async def count() -> list[tuple[CounterKey, int]]:
        store = SQLiteStore(db_path)
        await store.open()  # a bot started after the declaration
        store.count(CounterKey("2025-01-01", "en", "naloxone", "flyer-7"))
        store.count(CounterKey("2025-01-01", "en", "naloxone", "flyer-8"))
        found = await store.counters()
        await store.close()
        return found

    assert [(k.campaign, n) for k, n in asyncio.run(count())] == [("flyer-7", 1), ("other", 1)]


async def test_sqlite_file_deleted_while_open_is_noticed_and_recreated(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Item 6: writes went on into the unlinked file; now the store notices, says so once, and reopens."""
    store = SQLiteStore(db_path, retry_interval=0)
    await store.open()
    key = CounterKey("2025-01-01", "en", "naloxone")
    store.count(key)
    await store.flush()
    for f in list(db_path.parent.iterdir()):
        f.unlink()
    for n in range(10):
        store.count(key)
        await store.save_session(f"k{n}", Session(step=str(n)))
        await store.flush()
    assert db_path.exists()
    assert [w for w in warnings_of(caplog) if "deleted" in w] == [w for w in warnings_of(caplog)]
    assert len(warnings_of(caplog)) == 1 and "database file was deleted" in warnings_of(caplog)[0]
    with closing(sqlite3.connect(db_path)) as other:  # another process sees what was written after the deletion
        assert other.execute("SELECT sum(count) FROM counters").fetchone() == (10,)
        assert other.execute("SELECT count(*) FROM sessions").fetchone() == (10,)
        assert other.execute("SELECT max(version) FROM schema_version").fetchone() == (len(MIGRATIONS),)
    replacement = db_path.with_name("other.db")  # replaced by another file: that one is used from now on
    await SQLiteStore(replacement).close()
    replacement.replace(db_path)
    await store.save_session("after", Session(step="new"))
    assert "database file was replaced" in warnings_of(caplog)[-1]
    with closing(sqlite3.connect(db_path)) as other:
        assert other.execute("SELECT count(*) FROM sessions").fetchone() == (1,)
    await store.close()


SHM_SCRIPT = r"""
import asyncio, logging, os, resource, signal, sys
sys.path.insert(0, sys.argv[2])
limit = resource.getrlimit(resource.RLIMIT_FSIZE)
logging.basicConfig(level=logging.WARNING, format="%(message)s")
from bot.session import Session
from bot.storage import CounterKey
from bot.storage.sqlite import SQLiteStore

async def main(path, unwritable):
    store = SQLiteStore(path, retry_interval=0)
    await store.open()
    for n in range(50):
        await store.save_session(f"k{n}", Session(step="x" * 500))
    shm = path + "-shm"
    size = os.path.getsize(shm)
    os.truncate(shm, 0)  # what killed the process with SIGBUS on the next statement
    if unwritable:  # chmod for a normal user; no file may grow, for root too
        os.chmod(shm, 0o444)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, limit[1]))
    for n in range(20):
        await store.save_session(f"k{n}", Session(step="y"))
        store.count(CounterKey("2025-01-01", "en", "naloxone"))
        await store.flush()
        await store.load_session("k1")
    if unwritable:
        print("degraded", (await store.load_session("k1")) is None, flush=True)
        os.chmod(shm, 0o644)
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)  # the operator puts it right: the store restores the size
    await store.save_session("k1", Session(step="z"))
    print("back", (await store.load_session("k1")) == Session(step="z"), flush=True)
    await store.close()
    print("closed", flush=True)

asyncio.run(main(sys.argv[1], sys.argv[3] == "unwritable"))
"""


@pytest.mark.parametrize("case", ["writable", "unwritable"])
def test_sqlite_truncated_shm_does_not_kill_the_process(tmp_path: Path, case: str) -> None:
    """Item 7: a -shm file truncated (and made unwritable) under a running store gave SIGBUS. Run in a
    subprocess, so that a crash fails this test instead of killing pytest."""
    import subprocess
    import sys

    root = str(Path(__file__).resolve().parents[1])
    tmp_path.joinpath("data").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", SHM_SCRIPT, str(tmp_path / "data" / "hrbot.db"), root, case], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    lines = done.stdout.splitlines()
    assert "back True" in lines and lines[-1] == "closed"
    assert done.stderr.count("the -shm file was truncated while open; its size is restored") == 1
    if case == "unwritable":
        assert "degraded True" in lines
        assert done.stderr.count("degrading to no memory") == 1 and "shrank and cannot be restored" not in done.stderr
    assert "Traceback" not in done.stderr


KILL_SCRIPT = r"""
import asyncio, sys, time
sys.path.insert(0, sys.argv[2])
from bot.storage import CounterKey
from bot.storage.sqlite import SQLiteStore

async def main(path):
    store = SQLiteStore(path)
    await store.open()
    for n in range(300):
        store.count(CounterKey("2025-01-01", "en", "naloxone"))
        await asyncio.sleep(0)
    print("counted", flush=True)
    await asyncio.sleep(3600)  # never closed: killed with SIGKILL

asyncio.run(main(sys.argv[1]))
"""


def test_counters_survive_kill_9_of_a_real_process(db_path: Path) -> None:
    """Counters were buffered for 30 s and lost on kill -9: now they are written within a second."""
    import signal
    import subprocess
    import sys

    root = str(Path(__file__).resolve().parents[1])
    db_path.parent.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(db_path), root], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "counted"
        counted_at = time.monotonic()
        found = None
        while time.monotonic() - counted_at < 10:
            time.sleep(0.05)
            with contextlib_suppress_sqlite(), sqlite3.connect(db_path) as db:
                found = db.execute("SELECT sum(count) FROM counters").fetchone()[0]
            if found == 300:
                break
        written_after = time.monotonic() - counted_at
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()  # type: ignore[union-attr]
    assert proc.returncode == -signal.SIGKILL
    assert found == 300
    assert written_after < 3  # FLUSH_DELAY is 1 s; slack for a busy machine
    with closing(sqlite3.connect(db_path)) as db:  # and they are still there after the kill
        assert db.execute("SELECT sum(count) FROM counters").fetchone()[0] == 300


def contextlib_suppress_sqlite() -> Any:
    import contextlib

    return contextlib.suppress(sqlite3.OperationalError)  # the table may not exist yet


async def busy_chat(stores: list[Store], turns: int) -> Session | None:
    """`turns` turns of one chat spread over several workers at once: each reads the session, waits a
    little (the engine, another query), and writes it back with one more in it."""

    async def turn(store: Store) -> None:
        async with store.turn_lock("busy"):
            session = await store.load_session("busy") or Session()
            await asyncio.sleep(0.001)
            session.vars["n"] = str(int(session.vars.get("n", "0")) + 1)
            await store.save_session("busy", session)

    await asyncio.gather(*(turn(stores[i % len(stores)]) for i in range(turns)))
    return await stores[0].load_session("busy")


async def test_two_workers_never_run_two_turns_of_one_chat_at_once(make_store: Factory) -> None:
    """Item 13: sessions were last-writer-wins across workers: two stores on one database, one busy chat,
    no lost update."""
    first, second = await opened(make_store), await opened(make_store)
    final = await busy_chat([first, second], 60)
    assert final is not None and final.vars["n"] == "60"


TURN_SCRIPT = r"""
import asyncio, sys
sys.path.insert(0, sys.argv[2])
from bot.session import Session
from bot.storage.sqlite import SQLiteStore

async def main(path):
    store = SQLiteStore(path, busy_timeout=5)
    await store.open()
    for _ in range(40):
        async with store.turn_lock("busy"):
            session = await store.load_session("busy") or Session()
            await asyncio.sleep(0.002)
            session.vars["n"] = str(int(session.vars.get("n", "0")) + 1)
            await store.save_session("busy", session)
    await store.close()

asyncio.run(main(sys.argv[1]))
"""


def test_two_sqlite_processes_never_run_two_turns_of_one_chat_at_once(db_path: Path) -> None:
    """Across processes on one SQLite file the byte-range lock orders the turns."""
    import subprocess
    import sys

    root = str(Path(__file__).resolve().parents[1])

    async def prepare() -> None:
        await SQLiteStore(db_path).close()  # schema first, so neither process races to create it

    asyncio.run(prepare())
    procs = [subprocess.Popen([sys.executable, "-c", TURN_SCRIPT, str(db_path), root]) for _ in range(2)]
    assert [p.wait(120) for p in procs] == [0, 0]
    with closing(sqlite3.connect(db_path)) as db:
        (data,) = db.execute("SELECT data FROM sessions WHERE key = 'busy'").fetchone()
    assert Session.from_json(data).vars["n"] == "80"


def test_unanswered_keeps_only_content_or_common_words() -> None:
    """Item 10: a username without "@" survived the scrubber; now any word that is neither the content's
    nor common drops the whole question."""
    from bot.storage.unanswered import UnansweredPolicy, only_known_words

    content_words = frozenset({"naloxone", "mdma", "смешивать"})  # rarer words the content has
    for private in (
        "zebra_unicorn_77 is it safe",  # a handle without @
        "marmalade_otter mixing",
        "can Anastasiya take it",  # a name
        "anastasiya took mdma",
        "my friend Anna took mdma",  # a common name, capitalised inside a sentence
        "call me on 07700 900123",  # a phone
        "seven seven zero 0 nine",
        "is it safe call me five five five o one two",  # a phone in words
        "text me at jo.doe@example.org",
        "quixotewright naloxone",  # a surname nobody else has
        "velvet_kraken_9",
        "",
    ):
        assert not only_known_words(private, content_words), private
    for fine in (
        "where can I test my pills near the station?",
        "Is naloxone safe with MDMA?",
        "можно ли смешивать алкоголь и таблетки",
        "мені погано після таблетки",
    ):
        assert only_known_words(fine, content_words), fine
    policy = UnansweredPolicy(b"p" * 32, 1)
    assert policy.note("a", "zebra_unicorn_77 help") is None
    note = policy.note("a", "Is naloxone safe with MDMA?", lambda: content_words)
    assert note is not None and note.text == "is naloxone safe with mdma"


async def test_turn_lock_never_raises_when_the_database_is_unusable(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A turn must still run (it may be an emergency) when the lock cannot be taken: it degrades to this
    process's own per-chat lock and logs once."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    store = SQLiteStore(blocker / "hrbot.db", retry_interval=60)  # the lock file cannot be created
    ran = []
    async with store.turn_lock("k"):
        ran.append("sqlite")
    await store.close()
    if importlib.util.find_spec("asyncpg") is not None:
        from bot.storage.postgres import PostgresStore

        sock = __import__("socket").socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()  # nothing listens there
        pg = PostgresStore(f"postgresql://nobody:secret@127.0.0.1:{port}/none", connect_timeout=0.5, retry_interval=60)
        started = time.monotonic()
        async with pg.turn_lock("k"):
            ran.append("postgresql")
        assert time.monotonic() - started < 5
        await pg.close()
    assert ran[0] == "sqlite"
    assert all("secret" not in w for w in warnings_of(caplog))
    assert any("locking a conversation" in w or "opening the conversation lock file" in w for w in warnings_of(caplog))


def test_a_session_keeps_every_field_through_json() -> None:
    """to_json lists the fields itself (asdict is slow on the hot path): a new field must be listed there too."""
    import dataclasses
    import json

    session = Session(locale="uk", last_locale="ru", country="ua", flow="combo", step="second", vars={"first": "mdma"})
    assert set(json.loads(session.to_json())) == {f.name for f in dataclasses.fields(Session)}
    assert Session.from_json(session.to_json()) == session
