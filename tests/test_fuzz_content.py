"""Mutated content: `validate` never crashes, and every problem names a file and a line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content import validate_content
from bot.content.files import FileRefused, read_bytes

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


# --- hostile files (issue 13 item 9): each runs `hrbot validate` in a child with a timeout and a memory cap, so a
# hang or a runaway read fails the test instead of blocking or eating the machine.

ROOT = Path(__file__).resolve().parent.parent


def validate_in_child(root: Path, timeout: float = 60) -> tuple[int, str]:
    cap = "import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))"
    code = f"{cap}; import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, "--content", str(root), "validate"],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`hrbot validate` hung for {timeout} s")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


def test_symlink_to_dev_zero_is_refused_without_reading_it(mini_tree: Path) -> None:
    entry = mini_tree / "knowledge/en/entries/alcohol.yaml"
    entry.unlink()
    entry.symlink_to("/dev/zero")
    code, out = validate_in_child(mini_tree)
    assert code == 1
    assert "knowledge/en/entries/alcohol.yaml:1: symlink to a file outside the content folder; only files inside it are read" in out


def test_a_device_inside_the_root_is_refused_and_a_read_stops_at_the_limit(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="a character device, not a regular file"):
        read_bytes(Path("/dev/zero"), Path("/dev"))
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * 101)
    with pytest.raises(FileRefused, match="over the limit of 100 bytes"):
        read_bytes(big, tmp_path, limit=100)
    assert read_bytes(big, tmp_path, limit=101) == b"x" * 101


def test_fifo_does_not_hang_validate(mini_tree: Path) -> None:
    entry = mini_tree / "knowledge/en/entries/naloxone.yaml"
    entry.unlink()
    os.mkfifo(entry)
    code, out = validate_in_child(mini_tree)
    assert code == 1
    assert "knowledge/en/entries/naloxone.yaml:1: a FIFO (named pipe), not a regular file; only regular files are read" in out


def test_a_5000_digit_integer_is_a_problem_with_its_line(mini_tree: Path) -> None:
    line = (mini_tree / "knowledge/en/entries/naloxone.yaml").read_text().splitlines().index("keywords: [naloxone, narcan]") + 1
    entry = mini_tree / "knowledge/en/entries/naloxone.yaml"
    entry.write_text(entry.read_text().replace("keywords: [naloxone, narcan]", f"keywords: [naloxone, {'7' * 5000}]"))
    code, out = validate_in_child(mini_tree)
    assert code == 1
    assert f"knowledge/en/entries/naloxone.yaml:{line}: a number is too long (over 4,300 digits); put text in quotes" in out


def test_symlinks_outside_the_tree_are_refused_and_inside_it_followed(mini_tree: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    entry = mini_tree / "knowledge/en/entries/alcohol.yaml"
    (outside / "alcohol.yaml").write_text(entry.read_text())  # valid content: refused for where it is, not what it says
    entry.unlink()
    entry.symlink_to(outside / "alcohol.yaml")
    shutil.copytree(mini_tree / "knowledge/ru", outside / "ru")
    shutil.rmtree(mini_tree / "knowledge/ru")
    (mini_tree / "knowledge/ru").symlink_to(outside / "ru", target_is_directory=True)
    (mini_tree / "shared").mkdir()
    menu = mini_tree / "dialogues/menu.yaml"
    menu.rename(mini_tree / "shared/menu.yaml")
    menu.symlink_to(mini_tree / "shared/menu.yaml")  # inside the tree: followed
    content, problems = validate_content(mini_tree)
    found = [str(p) for p in problems]
    assert "knowledge/en/entries/alcohol.yaml:1: symlink to a file outside the content folder; only files inside it are read" in found
    assert "knowledge/ru:1: symlink to a folder outside the content folder; skipped (only files inside it are read)" in found
    assert content is not None and "menu" in content.flows and "ru" not in content.locales
    assert not any(p.startswith("knowledge/ru/") for p in found)
