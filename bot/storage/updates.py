"""Seen update ids: a reply goes out once per Telegram update, even when Telegram delivers it again or
several workers receive it.

Keyed by `update_id` only: a number Telegram counts up per bot, not a person's id, and nothing else of
the update is stored. A row is either claimed (`owner` is the claiming process's random token, `expires`
a lease it renews while the update is being handled) or done (`owner` is '', kept `DONE_KEEP` seconds,
longer than Telegram keeps an undelivered update). A claim whose lease ran out (its process died) can
be taken over. The table is created on first use, outside the versioned migrations.
"""

from __future__ import annotations

import time
from typing import Any

NEW, DONE, BUSY = "new", "done", "busy"
DONE_KEEP = 48 * 3600.0  # Telegram keeps an unconfirmed update for 24 hours

SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS updates_seen (update_id INTEGER PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS updates_seen_expires ON updates_seen (expires)",
)
POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS updates_seen (update_id BIGINT PRIMARY KEY, owner TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX IF NOT EXISTS updates_seen_expires ON updates_seen (expires)",
)
_CLAIM = (
    "INSERT INTO updates_seen (update_id, owner, expires) VALUES ({0}, {1}, {2})"
    " ON CONFLICT (update_id) DO UPDATE SET owner = excluded.owner, expires = excluded.expires"
    " WHERE updates_seen.owner <> '' AND updates_seen.expires < {3} RETURNING owner"
)
SQLITE_CLAIM = _CLAIM.format("?", "?", "?", "?")
POSTGRES_CLAIM = _CLAIM.format("$1", "$2", "$3", "$4")


def outcome(found_owner: str | None) -> str:
    """After a claim that did not insert: DONE if the row is done, else BUSY (another live claim)."""
    return DONE if found_owner == "" else BUSY


async def sqlite_ready(store: Any, db: Any) -> None:
    """Create the table once per connection (a reconnect may have met a new file)."""
    if getattr(store, "_updates_db", None) is not db:
        for statement in SQLITE_SCHEMA:
            await db.execute(statement)
        store._updates_db = db


async def sqlite_claim(store: Any, db: Any, update_id: int, owner: str, lease: float) -> str:
    await sqlite_ready(store, db)
    now = time.time()
    if await db.execute_fetchall(SQLITE_CLAIM, (update_id, owner, now + lease, now)):
        return NEW
    rows = await db.execute_fetchall("SELECT owner FROM updates_seen WHERE update_id = ?", (update_id,))
    return outcome(rows[0][0]) if rows else NEW


async def sqlite_finish(store: Any, db: Any, update_id: int) -> bool:
    await sqlite_ready(store, db)
    await db.execute(
        "INSERT INTO updates_seen (update_id, owner, expires) VALUES (?, '', ?)"
        " ON CONFLICT (update_id) DO UPDATE SET owner = '', expires = excluded.expires",
        (update_id, time.time() + DONE_KEEP),
    )
    return True


async def sqlite_release(store: Any, db: Any, update_id: int, owner: str) -> bool:
    await sqlite_ready(store, db)
    await db.execute("DELETE FROM updates_seen WHERE update_id = ? AND owner = ?", (update_id, owner))
    return True


async def sqlite_renew(store: Any, db: Any, owner: str, lease: float) -> bool:
    await sqlite_ready(store, db)
    now = time.time()
    await db.execute("UPDATE updates_seen SET expires = ? WHERE owner = ?", (now + lease, owner))
    await db.execute("DELETE FROM updates_seen WHERE expires < ?", (now,))
    return True


async def postgres_ready(store: Any, pool: Any) -> None:
    if getattr(store, "_updates_pool", None) is not pool:
        async with pool.acquire() as con, con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock(6872626574)")  # two workers creating it at once
            for statement in POSTGRES_SCHEMA:
                await con.execute(statement)
        store._updates_pool = pool


async def postgres_claim(store: Any, pool: Any, update_id: int, owner: str, lease: float) -> str:
    await postgres_ready(store, pool)
    now = time.time()
    if await pool.fetchval(POSTGRES_CLAIM, update_id, owner, now + lease, now) is not None:
        return NEW
    found = await pool.fetchval("SELECT owner FROM updates_seen WHERE update_id = $1", update_id)
    return NEW if found is None else outcome(found)


async def postgres_finish(store: Any, pool: Any, update_id: int) -> bool:
    await postgres_ready(store, pool)
    await pool.execute(
        "INSERT INTO updates_seen (update_id, owner, expires) VALUES ($1, '', $2)"
        " ON CONFLICT (update_id) DO UPDATE SET owner = '', expires = EXCLUDED.expires",
        update_id,
        time.time() + DONE_KEEP,
    )
    return True


async def postgres_release(store: Any, pool: Any, update_id: int, owner: str) -> bool:
    await postgres_ready(store, pool)
    await pool.execute("DELETE FROM updates_seen WHERE update_id = $1 AND owner = $2", update_id, owner)
    return True


async def postgres_renew(store: Any, pool: Any, owner: str, lease: float) -> bool:
    await postgres_ready(store, pool)
    now = time.time()
    await pool.execute("UPDATE updates_seen SET expires = $1 WHERE owner = $2", now + lease, owner)
    await pool.execute("DELETE FROM updates_seen WHERE expires < $1", now)
    return True


class MemoryUpdates:
    """The same in one process (MemoryStore)."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[str, float]] = {}

    def claim(self, update_id: int, owner: str, lease: float) -> str:
        now = time.time()
        found = self.rows.get(update_id)
        if found is not None and (found[0] == "" or found[1] >= now):
            return outcome(found[0])
        self.rows[update_id] = (owner, now + lease)
        return NEW

    def finish(self, update_id: int) -> None:
        self.rows[update_id] = ("", time.time() + DONE_KEEP)

    def release(self, update_id: int, owner: str) -> None:
        if self.rows.get(update_id, ("", 0.0))[0] == owner:
            del self.rows[update_id]

    def renew(self, owner: str, lease: float) -> None:
        now = time.time()
        for key, (who, expires) in list(self.rows.items()):
            if expires < now:
                del self.rows[key]
            elif who == owner:
                self.rows[key] = (who, now + lease)
