from __future__ import annotations

import resource
import shutil
import signal
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
