"""The trained model's cache: used only when private, never trusted when it does not check out."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from bot.content import Content
from bot.matching import MatchIndex
from bot.matching import model as model_module


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("HRBOT_CACHE_DIR", str(folder))
    return folder


def trained(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = model_module.Model._fit.__func__  # type: ignore[attr-defined]

    def counting(cls, examples, labels):
        calls.append(len(examples))
        return real(cls, examples, labels)

    monkeypatch.setattr(model_module.Model, "_fit", classmethod(counting))
    return calls


def test_a_second_build_takes_the_cached_model(cache: Path, mini_content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = trained(monkeypatch)
    first = MatchIndex(mini_content)
    second = MatchIndex(mini_content)
    assert len(calls) == 1
    assert list(cache.glob("model-*.npz")) and oct(cache.stat().st_mode & 0o777) == "0o700"
    text = "where do i get narcan"
    assert first.classify(text, "en") == second.classify(text, "en")
    assert np.allclose(first.model.probabilities(["w:narcan"]), second.model.probabilities(["w:narcan"]))


def test_a_broken_cache_file_is_ignored_and_rebuilt(cache: Path, mini_content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = trained(monkeypatch)
    MatchIndex(mini_content)
    for path in cache.glob("model-*.npz"):
        path.write_bytes(b"not a model")
    index = MatchIndex(mini_content)
    assert len(calls) == 2
    assert index.classify("where do i get narcan", "en").id == "naloxone"


def test_a_cache_others_can_write_is_not_used(cache: Path, mini_content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = trained(monkeypatch)
    MatchIndex(mini_content)
    os.chmod(cache, 0o777)
    MatchIndex(mini_content)
    assert len(calls) == 2  # trained again rather than reading what anyone could have put there


def test_the_cache_can_be_turned_off(tmp_path: Path, mini_content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRBOT_CACHE_DIR", "off")
    calls = trained(monkeypatch)
    MatchIndex(mini_content)
    MatchIndex(mini_content)
    assert len(calls) == 2


def test_the_cache_keeps_the_most_recently_used_few(cache: Path, mini_content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every content edit builds a new model (about 100 MB with the shipped content): old ones are pruned."""
    MatchIndex(mini_content)
    [real] = cache.glob("model-*.npz")
    os.utime(real, (1, 1))  # long unused ...
    MatchIndex(mini_content)  # ... until this build takes it from the cache: used again
    assert real.stat().st_mtime > 1
    for n in range(model_module.CACHE_KEEP + 3):  # models of earlier content, used long ago
        stale = cache / f"model-{n:032x}.npz"
        stale.write_bytes(b"old")
        os.utime(stale, (100 + n, 100 + n))
    real.unlink()
    MatchIndex(mini_content)  # trains and saves again, then prunes
    kept = sorted(p.name for p in cache.glob("model-*.npz"))
    assert len(kept) == model_module.CACHE_KEEP and real.name in kept
    assert f"model-{0:032x}.npz" not in kept  # the least recently used went first
    assert len(list(cache.glob("lemmas-*.json"))) <= model_module.CACHE_KEEP
