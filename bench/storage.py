"""Storage benchmark: per-message session cost (one read + one write) with 100,000 stored sessions.

    python bench/storage.py [--sessions 100000] [--messages 5000]

`rows()` gives the same figures as (name, measured, target) rows, for bench/all.py.

SQLite always (a temporary file); PostgreSQL too when HRBOT_TEST_POSTGRES names a server (a temporary
schema, dropped afterwards). Target on the reference machine: at most 1 ms p50 per message on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.privacy import Pseudonymizer  # noqa: E402
from bot.session import Session  # noqa: E402
from bot.storage import CounterKey, Store, open_store  # noqa: E402

Figures = tuple[str, str, str, str]  # message, read, write (p50 / p99 ms each), flush ms
Row = tuple[str, str, str]  # name, measured, target


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def typical(i: int) -> Session:
    return Session(locale="en", last_locale="en", flow="combo-check", step="second", vars={"first": "cocaine"} if i % 2 else {})


async def measure(store: Store, keys: list[str], messages: int) -> Figures:
    """One message = load the session, change it, save it; plus a counter increment (buffered)."""
    rng = random.Random(7)
    per_message: list[float] = []
    loads: list[float] = []
    saves: list[float] = []
    day = time.strftime("%Y-%m-%d", time.gmtime())
    for i in range(messages):
        key = rng.choice(keys) if i % 10 else secrets.token_hex(32)  # one in ten is a newcomer
        started = time.perf_counter()
        session = await store.load_session(key) or Session()
        loaded = time.perf_counter()
        session.step = "result" if session.step != "result" else "second"
        await store.save_session(key, session)
        store.count(CounterKey(day, "en", "combo-check"))
        done = time.perf_counter()
        per_message.append(done - started)
        loads.append(loaded - started)
        saves.append(done - loaded)
    started = time.perf_counter()
    await store.flush()
    flush = time.perf_counter() - started

    def ms(v: float) -> str:
        return f"{v * 1000:.3f}"

    return (
        f"{ms(statistics.median(per_message))} / {ms(percentile(per_message, 0.99))}",
        f"{ms(statistics.median(loads))} / {ms(percentile(loads, 0.99))}",
        f"{ms(statistics.median(saves))} / {ms(percentile(saves, 0.99))}",
        f"{flush * 1000:.1f}",
    )


async def bench_sqlite(sessions: int, messages: int) -> Figures:
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hrbot.db"
        store = open_store(path)
        await store.open()
        keys = [Pseudonymizer(b"b" * 32).key(i) for i in range(sessions)]
        now = time.time()
        with sqlite3.connect(path) as db:  # fill fast, outside the store
            db.executemany(
                "INSERT INTO sessions (key, data, updated) VALUES (?, ?, ?)", ((k, typical(i).to_json(), now) for i, k in enumerate(keys))
            )
        db.close()
        try:
            return await measure(store, keys, messages)
        finally:
            await store.close()


async def bench_postgres(dsn: str, sessions: int, messages: int) -> Figures:
    import asyncpg

    schema = f"bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        store = open_store(f"{dsn}{'&' if '?' in dsn else '?'}search_path={schema}")
        await store.open()
        keys = [Pseudonymizer(b"b" * 32).key(i) for i in range(sessions)]
        now = time.time()
        await admin.copy_records_to_table(
            "sessions", schema_name=schema, records=[(k, typical(i).to_json(), now) for i, k in enumerate(keys)]
        )
        await admin.execute(f"ANALYZE {schema}.sessions")
        try:
            return await measure(store, keys, messages)
        finally:
            await store.close()
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


def measure_all(sessions: int, messages: int) -> list[tuple[str, Figures]]:
    """SQLite, and PostgreSQL when HRBOT_TEST_POSTGRES names a server."""
    runs: list[tuple[str, Callable[[], Awaitable[Figures]]]] = [("sqlite", lambda: bench_sqlite(sessions, messages))]
    dsn = os.environ.get("HRBOT_TEST_POSTGRES")
    if dsn:
        runs.append(("postgresql", lambda: bench_postgres(dsn, sessions, messages)))
    return [(name, asyncio.run(run())) for name, run in runs]


def rows(sessions: int = 100_000, messages: int = 5_000) -> list[Row]:
    found: list[Row] = []
    for name, (message, read, write, flush) in measure_all(sessions, messages):
        where = f"storage {name} ({sessions:,} sessions)"
        found += [
            (f"{where}: message p50 / p99", f"{message} ms", "p50 <= 1 ms" if name == "sqlite" else ""),
            (f"{where}: read p50 / p99", f"{read} ms", ""),
            (f"{where}: write p50 / p99", f"{write} ms", ""),
            (f"{where}: counter flush", f"{flush} ms", ""),
        ]
    if not os.environ.get("HRBOT_TEST_POSTGRES"):
        found.append(("storage postgresql", "skipped", "set HRBOT_TEST_POSTGRES"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    results = measure_all(args.sessions, args.messages)
    if args.json:
        print(json.dumps({name: dict(zip(["message", "read", "write", "flush_ms"], row, strict=True)) for name, row in results}))
        return 0
    header = ("backend", "message p50 / p99 ms", "read p50 / p99 ms", "write p50 / p99 ms", "flush ms")
    table = [(name, *row) for name, row in results]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    print(f"storage benchmark: {args.sessions:,} stored sessions, {args.messages:,} messages (read + write + count)")
    for row in [header, *table]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if not os.environ.get("HRBOT_TEST_POSTGRES"):
        print("(set HRBOT_TEST_POSTGRES to a PostgreSQL DSN to measure PostgreSQL too)")
    print("target: message p50 <= 1 ms on SQLite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
