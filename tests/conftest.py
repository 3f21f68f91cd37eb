from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
