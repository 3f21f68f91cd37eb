"""Mutated content: `validate` never crashes, and every problem names a file and a line."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content import validate_content

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
FILES = sorted(p.relative_to(MINI).as_posix() for p in MINI.rglob("*.yaml"))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.dates())
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6
)


def check(root: Path) -> None:
    _, problems = validate_content(root)
    for problem in problems:
        assert problem.path and problem.line >= 1 and problem.message, problem
        assert not problem.path.startswith("/"), problem


def paths_in(data: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += paths_in(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += paths_in(v, (*prefix, i))
    return out


@SETTINGS
@given(name=st.sampled_from(FILES), pick=st.integers(min_value=0), action=st.sampled_from(["replace", "delete"]), value=values)
def test_structural_mutations(name: str, pick: int, action: str, value: object) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "c"
        shutil.copytree(MINI, root)
        path = root / name
        data = yaml.safe_load(path.read_text())
        spots = [p for p in paths_in(data) if p]
        if spots:
            spot = spots[pick % len(spots)]
            parent = data
            for key in spot[:-1]:
                parent = parent[key]
            if action == "delete":
                del parent[spot[-1]]
            else:
                parent[spot[-1]] = value
        else:
            data = value
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
        check(root)


@SETTINGS
@given(name=st.sampled_from(FILES), cut=st.integers(min_value=0), junk=st.text(max_size=30))
def test_textual_mutations(name: str, cut: int, junk: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "c"
        shutil.copytree(MINI, root)
        path = root / name
        text = path.read_text()
        at = cut % (len(text) + 1)
        path.write_text(text[:at] + junk + text[at + len(junk) :], encoding="utf-8")
        check(root)


def test_huge_file_and_alias_bomb_and_binary(mini_tree: Path) -> None:
    (mini_tree / "knowledge/en/entries/alcohol.yaml").write_text("answer: " + "x" * 2_000_000)
    (mini_tree / "knowledge/en/entries/naloxone.yaml").write_text('a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n')
    (mini_tree / "dialogues/menu.yaml").write_bytes(b"\x00\xff\xfe binary")
    _, problems = validate_content(mini_tree)
    text = [str(p) for p in problems]
    assert any(t.startswith("knowledge/en/entries/alcohol.yaml:1: file is") for t in text)
    assert "knowledge/en/entries/naloxone.yaml:1: anchors and aliases are not allowed" in text
    assert any(t.startswith("dialogues/menu.yaml:1:") for t in text)
