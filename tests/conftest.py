from __future__ import annotations

import ipaddress
import os
import resource
import shutil
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI
from harness import PG_DSN, TOKEN, pg_schema

from bot.content import Content, load_content
from bot.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
SHARED = ROOT.parent / "shared"


# --- no test reaches the real network -------------------------------------------------------------------
# Like python-telegram-bot's OfflineRequest, but for every socket: a connect to anything but loopback (or a
# test PostgreSQL server named in HRBOT_TEST_POSTGRES) fails at once, so a test can never talk to the real Bot
# API by mistake, and a name that needs DNS is refused before it is looked up.


class RealNetworkError(OSError):
    """A test tried to reach the real network."""


def _allowed_hosts() -> set[str]:
    from urllib.parse import urlsplit

    hosts = {"localhost"}
    dsn = os.environ.get("HRBOT_TEST_POSTGRES", "")
    if dsn:
        hosts.add(urlsplit(dsn).hostname or "")
    return hosts


def _is_loopback(host: object) -> bool:
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text in _ALLOWED or not text:  # "" : a server binding every interface, not a connection
        return True
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified  # 0.0.0.0 and :: are this machine


_ALLOWED = _allowed_hosts()
_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _check(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and not _is_loopback(address[0]):
        raise RealNetworkError(f"a test tried to connect to {address[0]}:{address[1]}; tests use 127.0.0.1 only")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _connect_ex(self, address)  # type: ignore[arg-type]


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
    if host is not None and not _is_loopback(host):
        raise RealNetworkError(f"a test tried to look up {host!r}; tests use 127.0.0.1 only")
    return _getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)


@pytest.fixture
def mini_tree(tmp_path: Path) -> Path:
    """A private copy of the small fixture content, safe to break."""
    dest = tmp_path / "content"
    shutil.copytree(MINI, dest)
    return dest


@pytest.fixture(scope="session")
def mini_content() -> Content:
    return load_content(MINI)


@pytest.fixture
def mini_engine(mini_content: Content) -> Engine:
    return Engine(mini_content)


@pytest.fixture(scope="session")
def real_content() -> Content:
    return load_content(ROOT)


@pytest.fixture(scope="session")
def real_engine(real_content: Content) -> Engine:
    return Engine(real_content)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """The local fake Bot API server (127.0.0.1, a free port), for the bot's token."""
    fake = await FakeBotAPI(TOKEN).start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def pg_dsn() -> AsyncIterator[str]:
    """A DSN with a private schema on the test PostgreSQL server (skips without HRBOT_TEST_POSTGRES)."""
    if not PG_DSN:
        pytest.skip("set HRBOT_TEST_POSTGRES to a PostgreSQL DSN to run these")
    async for dsn in pg_schema(PG_DSN):
        yield dsn


@pytest.fixture
def file_size_limit() -> Iterator[Callable[[int], None]]:
    """Simulate a full disk (EFBIG on writes past the limit); RLIMIT_FSIZE binds root too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def limit(size: int) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))

    try:
        yield limit
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
