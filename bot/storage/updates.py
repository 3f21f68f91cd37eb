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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
_CLAIM_SET = (
    " ON CONFLICT (update_id) DO UPDATE SET owner = excluded.owner, expires = excluded.expires"
    " WHERE updates_seen.owner <> '' AND updates_seen.expires < {now} RETURNING update_id"
)
CHUNK = 500  # rows per statement (SQLite's variable limit is far above 4 x 500)


def outcome(found_owner: str | None) -> str:
    """After a claim that did not insert: DONE if the row is done, else BUSY (another live claim)."""
    return DONE if found_owner == "" else BUSY


async def sqlite_ready(store: Any, db: Any) -> None:
    """Create the table once per connection (a reconnect may have met a new file)."""
    if getattr(store, "_updates_db", None) is not db:
        for statement in SQLITE_SCHEMA:
            await db.execute(statement)
        store._updates_db = db


async def sqlite_claim(store: Any, db: Any, update_ids: list[int], owner: str, lease: float) -> dict[int, str]:
    """Claim many update ids in one statement (one round trip to the database thread)."""
    await sqlite_ready(store, db)
    now = time.time()
    found: dict[int, str] = {}
    for at in range(0, len(update_ids), CHUNK):
        ids = update_ids[at : at + CHUNK]
        values = ", ".join(["(?, ?, ?)"] * len(ids))
        sql = f"INSERT INTO updates_seen (update_id, owner, expires) VALUES {values}" + _CLAIM_SET.format(now="?")
        params = [v for uid in ids for v in (uid, owner, now + lease)] + [now]
        claimed = {row[0] for row in await db.execute_fetchall(sql, params)}
        rest = [uid for uid in ids if uid not in claimed]
        owners: dict[int, str] = {}
        if rest:
            marks = ", ".join("?" * len(rest))
            owners = dict(await db.execute_fetchall(f"SELECT update_id, owner FROM updates_seen WHERE update_id IN ({marks})", rest))
        found.update({uid: NEW if uid in claimed else outcome(owners.get(uid)) for uid in ids})
    return found


async def sqlite_finish(store: Any, db: Any, update_ids: list[int]) -> bool:
    await sqlite_ready(store, db)
    await db.executemany(
        "INSERT INTO updates_seen (update_id, owner, expires) VALUES (?, '', ?)"
        " ON CONFLICT (update_id) DO UPDATE SET owner = '', expires = excluded.expires",
        [(uid, time.time() + DONE_KEEP) for uid in update_ids],
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


async def postgres_claim(store: Any, pool: Any, update_ids: list[int], owner: str, lease: float) -> dict[int, str]:
    await postgres_ready(store, pool)
    now = time.time()
    sql = "INSERT INTO updates_seen (update_id, owner, expires) SELECT unnest($1::bigint[]), $2, $3" + _CLAIM_SET.format(now="$4")
    claimed = {row[0] for row in await pool.fetch(sql, update_ids, owner, now + lease, now)}
    rest = [uid for uid in update_ids if uid not in claimed]
    owners: dict[int, str] = {}
    if rest:
        query = "SELECT update_id, owner FROM updates_seen WHERE update_id = ANY($1::bigint[])"
        owners = {r[0]: r[1] for r in await pool.fetch(query, rest)}
    return {uid: NEW if uid in claimed else outcome(owners.get(uid)) for uid in update_ids}


async def postgres_finish(store: Any, pool: Any, update_ids: list[int]) -> bool:
    await postgres_ready(store, pool)
    await pool.execute(
        "INSERT INTO updates_seen (update_id, owner, expires) SELECT unnest($1::bigint[]), '', $2"
        " ON CONFLICT (update_id) DO UPDATE SET owner = '', expires = EXCLUDED.expires",
        update_ids,
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

    def claim(self, update_ids: list[int], owner: str, lease: float) -> dict[int, str]:
        now = time.time()
        result: dict[int, str] = {}
        for uid in update_ids:
            found = self.rows.get(uid)
            if found is not None and (found[0] == "" or found[1] >= now):
                result[uid] = outcome(found[0])
            else:
                self.rows[uid] = (owner, now + lease)
                result[uid] = NEW
        return result

    def finish(self, update_ids: list[int]) -> None:
        for uid in update_ids:
            self.rows[uid] = ("", time.time() + DONE_KEEP)

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


@dataclass(frozen=True, slots=True)
class Queries:
    """One backend's statements for the seen-update table, called as `fn(store, connection, ...)`."""

    claim: Callable[..., Awaitable[dict[int, str]]]
    finish: Callable[..., Awaitable[bool]]
    release: Callable[..., Awaitable[bool]]
    renew: Callable[..., Awaitable[bool]]


SQLITE = Queries(sqlite_claim, sqlite_finish, sqlite_release, sqlite_renew)
POSTGRES = Queries(postgres_claim, postgres_finish, postgres_release, postgres_renew)
