"""Running the real bot against the fake Bot API, for the end-to-end, fault and soak tests.

`running(api, engine, ...)` starts `serve()` (polling, or the webhook server on a socket bound to
127.0.0.1:0), waits for it to be ready and stops it cleanly afterwards; `Bot.post` sends an update to the
webhook as Telegram would. `hrbot_env` is the environment for an `hrbot run` subprocess. `pg_schema` and
`pg_ctl` give a test its own PostgreSQL schema and stop or start the server (when the environment names one).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shlex
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from fakebotapi import FakeBotAPI

from bot.engine import Engine
from bot.storage import MemoryStore, Store
from bot.telegram import Settings, TelegramBot, serve

TOKEN = "123456789:AAH" + "x7_-" * 8 + "Zq"
SECRET = "webhook-secret_0123456789"
PEPPER = b"a test pepper of enough bytes!!!"
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
ROOT = Path(__file__).resolve().parent.parent
WAIT = 5.0
PG_DSN = os.environ.get("HRBOT_TEST_POSTGRES", "")  # a PostgreSQL server the tests may use
PG_CTL = os.environ.get("HRBOT_TEST_PG_CTL", "")  # its pg_ctl command line, to which "stop ..." or "start ..." is appended


@dataclass
class Bot:
    tg: TelegramBot
    api: FakeBotAPI
    store: Store
    webhook_url: str | None = None

    async def post(self, body: Any, *, secret: str | None = SECRET, raw: bytes | None = None) -> int:
        """POST an update to the bot's webhook server, as Telegram would; returns the HTTP status."""
        assert self.webhook_url is not None
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with aiohttp.ClientSession() as http:
            data = raw if raw is not None else json.dumps(body).encode()
            async with http.post(self.webhook_url, data=data, headers=headers, timeout=aiohttp.ClientTimeout(total=WAIT)) as response:
                return response.status


def listening_socket(backlog: int = 128) -> tuple[socket.socket, int]:
    """A non-blocking socket bound to 127.0.0.1 on a free port, for the webhook server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    sock.setblocking(False)
    return sock, sock.getsockname()[1]


@contextlib.asynccontextmanager
async def running(
    api: FakeBotAPI, engine: Engine, *, webhook: bool = False, store: Store | None = None, **overrides: Any
) -> AsyncIterator[Bot]:
    """Start the bot (polling, or webhook on a socket bound to 127.0.0.1:0) and stop it cleanly afterwards."""
    options: dict[str, Any] = {"poll_timeout": 1.0, "retry_backoff": 0.01, "flush_interval": 0.05}
    if webhook:
        options.update(webhook_url="https://example.org/hrbot", secret_token=SECRET)
    options.update(overrides)
    settings = Settings(token=TOKEN, api_url=api.url, **options)
    store = store if store is not None else MemoryStore()
    tg = TelegramBot(engine, store, PEPPER, settings)
    sock = None
    url = None
    if webhook:
        sock, port = listening_socket(1024)
        url = f"http://127.0.0.1:{port}/hrbot"
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(tg, stop, ready=ready, webhook_socket=sock))
    started = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({task, started}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
    if started not in done:
        started.cancel()
        stop.set()
        if task in done:
            task.result()
        raise AssertionError(f"the bot did not start; calls: {api.summary()}")
    try:
        yield Bot(tg, api, store, url)
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT * 2)


def hrbot_env(api: FakeBotAPI) -> dict[str, str]:
    """The environment of an `hrbot run` subprocess talking to the fake Bot API (nothing of ours inherited)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "HRBOT_"))},
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
    }


async def pg_schema(dsn: str) -> AsyncIterator[str]:
    """A private schema per test; yields a DSN that uses it."""
    import asyncpg

    schema = f"t_{secrets.token_hex(6)}"
    con = await asyncpg.connect(dsn)
    try:
        await con.execute(f"CREATE SCHEMA {schema}")
    finally:
        await con.close()
    try:
        sep = "&" if "?" in dsn else "?"
        yield f"{dsn}{sep}search_path={schema}"
    finally:
        con = await asyncpg.connect(dsn)  # a new connection: the test may have restarted the server
        try:
            await con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await con.close()


def pg_ctl(*args: str) -> None:
    """Run HRBOT_TEST_PG_CTL with `args` (e.g. "stop", "-m", "fast", "-w"); blocking."""
    subprocess.run([*shlex.split(PG_CTL), *args], check=True, capture_output=True, timeout=120, cwd="/")
