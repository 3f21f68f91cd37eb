"""The trained model's cache: used only when private, never trusted when it does not check out."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from bot import cache as cache_module
from bot.content import Content, load_content
from bot.matching import MatchIndex
from bot.matching import index as index_module
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
    assert np.array_equal(first.model.alarm_weights, second.model.alarm_weights)  # the binary emergency model too


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
    for n in range(cache_module.CACHE_KEEP + 3):  # models of earlier content, used long ago
        stale = cache / f"model-{n:032x}.npz"
        stale.write_bytes(b"old")
        os.utime(stale, (100 + n, 100 + n))
    real.unlink()
    MatchIndex(mini_content)  # trains and saves again, then prunes
    kept = sorted(p.name for p in cache.glob("model-*.npz"))
    assert len(kept) == cache_module.CACHE_KEEP and real.name in kept
    assert f"model-{0:032x}.npz" not in kept  # the least recently used went first
    assert len(list(cache.glob("lemmas-*.json"))) <= cache_module.CACHE_KEEP


# --- the loaded content and the built index (pickled, in the same private folder) ---------------------------

MESSAGES = [("where do i get narcan", "en"), ("he is not breathing", "en"), ("как получить налоксон", "ru"), ("дякую", "uk")]


def decisions(index: MatchIndex) -> list[tuple[str, str | None]]:
    return [(d.kind, d.id) for d in (index.classify(text, locale) for text, locale in MESSAGES)]


def counting_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = MatchIndex._build

    def counting(*args: object) -> object:
        calls.append(str(args[1]))
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(MatchIndex, "_build", staticmethod(counting))
    return calls


def test_a_cold_start_takes_the_built_index_and_reads_the_same(cache: Path, mini_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = load_content(mini_tree)
    assert content.digest and list(cache.glob("content-*.pickle"))
    built = MatchIndex(content)
    builds = counting_builds(monkeypatch)
    again = load_content(mini_tree)
    restored = MatchIndex(again)
    assert builds == [] and list(cache.glob("index-*.pickle"))
    assert again == content and again.root == str(mini_tree)
    assert decisions(restored) == decisions(built)
    # everything a build makes is in the cache, but the content and the model (cached on their own)
    assert set(vars(built)) - index_module._NOT_PICKLED == index_module._PICKLED


def test_an_edited_file_is_loaded_and_built_again(cache: Path, mini_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_content(mini_tree)
    MatchIndex(first)
    matching = mini_tree / "knowledge" / "en" / "matching.yaml"
    matching.write_text(matching.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    builds = counting_builds(monkeypatch)
    second = load_content(mini_tree)
    MatchIndex(second)
    assert second.digest != first.digest and builds


def test_a_tree_with_a_symlink_is_always_read_in_full(cache: Path, mini_tree: Path) -> None:
    entries = mini_tree / "knowledge" / "en" / "entries"
    target = sorted(entries.glob("*.yaml"))[0]
    (mini_tree / "knowledge" / "en" / "link.yaml").symlink_to(target)
    assert load_content(mini_tree).digest == ""
    assert not list(cache.glob("content-*.pickle"))


@pytest.mark.parametrize("damage", ["garbage", "other key", "writable by others"])
def test_a_cached_index_that_does_not_check_out_is_rebuilt(
    cache: Path, mini_tree: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    content = load_content(mini_tree)
    expected = decisions(MatchIndex(content))
    [path] = cache.glob("index-*.pickle")
    if damage == "garbage":
        path.write_bytes(b"\x80\x05not a pickle at all")
    elif damage == "other key":
        path.write_bytes(pickle.dumps(("0" * 32, {"locales": {}})))
    else:
        os.chmod(path, 0o666)
    builds = counting_builds(monkeypatch)
    index = MatchIndex(content)
    assert builds and decisions(index) == expected


def test_cut_weights_are_not_mapped(cache: Path, mini_content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = trained(monkeypatch)
    MatchIndex(mini_content)
    [weights] = cache.glob("model-*.npy")
    weights.write_bytes(weights.read_bytes()[:-8])  # a file cut short would fault when the page is touched
    index = MatchIndex(mini_content)
    assert len(calls) == 2 and index.classify("where do i get narcan", "en").id == "naloxone"
