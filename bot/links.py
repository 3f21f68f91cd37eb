"""Deep-link payloads: `/start <target>[__<campaign>]` within Telegram's 64 characters of A-Z a-z 0-9 _ -.

Anyone can type `/start naloxone__<anything>`, so a campaign is counted by its name only once an operator
declared it (`hrbot link TARGET --campaign NAME --declare`, which writes it to the database); any other is
counted as "other" (see `bot.storage.base.Campaigns`) and never stored or logged.
"""

from __future__ import annotations

import re

PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CAMPAIGN_RE = re.compile(r"^[A-Za-z0-9-]{1,40}$")
SEPARATOR = "__"


def make_payload(target: str, campaign: str | None = None) -> str:
    payload = target if not campaign else f"{target}{SEPARATOR}{campaign}"
    if campaign is not None and not CAMPAIGN_RE.match(campaign):
        raise ValueError("a campaign name may hold only letters, digits and '-' (at most 40)")
    if not PAYLOAD_RE.match(payload):
        raise ValueError(f"the link payload would be {len(payload)} characters; Telegram allows 64 of A-Z a-z 0-9 _ -")
    return payload


def parse_payload(payload: str) -> tuple[str, str | None]:
    """Split a payload into (target, campaign). Anything malformed gives ("", None)."""
    if not PAYLOAD_RE.match(payload):
        return "", None
    target, _, campaign = payload.partition(SEPARATOR)
    return target, (campaign if campaign and CAMPAIGN_RE.match(campaign) else None)


def declare_campaign(database: str, name: str) -> None:
    """Record `name` as a declared campaign in the database (SQLite path or postgresql:// URL)."""
    import asyncio

    from .storage import open_store

    if not CAMPAIGN_RE.match(name):
        raise ValueError("a campaign name may hold only letters, digits and '-' (at most 40)")

    async def declare() -> None:
        store = open_store(database, retry_interval=0)
        try:
            await store.declare_campaign(name)
        finally:
            await store.close()

    asyncio.run(declare())


USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


def deep_link(bot_username: str, payload: str) -> str:
    name = bot_username.lstrip("@")
    if not USERNAME_RE.match(name):
        raise ValueError(f"{bot_username!r} is not a Telegram bot username (5-32 letters, digits or _)")
    return f"https://t.me/{name}?start={payload}"


def web_link(base_url: str, payload: str) -> str:
    """The web chat's link that opens the same target: `<base>/?start=<payload>` (see `hrbot web`)."""
    base = base_url.strip()
    if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?", base):
        raise ValueError(f"{base_url!r} is not the web chat's address (https://host[/path])")
    return f"{base.rstrip('/')}/?start={payload}"
