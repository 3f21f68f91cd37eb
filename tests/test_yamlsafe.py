from pathlib import Path

import pytest

from bot.yamlsafe import MAX_BYTES, YamlFileError, load_yaml, parse_yaml


def test_keeps_lines_of_keys_and_items() -> None:
    data = parse_yaml("a: 1\nb:\n  - x\n  - y: 2\n")
    assert data == {"a": 1, "b": ["x", {"y": 2}]}
    assert data.line_of("b") == 2
    assert data["b"].line_of(1) == 4


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nb: &x [1]\nc: *x\n", 2, "anchors and aliases are not allowed"),
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first at line 1)"),
        ("a: !!python/object/apply:os.system [ls]\n", 1, "tag"),
        ("a: [1,\n", 2, "YAML syntax error"),
        ("x: 1\n<<: {y: 2}\n", 2, "merge keys"),
    ],
)
def test_refuses_unsafe_or_broken_yaml(text: str, line: int, message: str) -> None:
    with pytest.raises(YamlFileError) as err:
        parse_yaml(text)
    assert err.value.line == line
    assert message in err.value.message


def test_billion_laughs_is_refused_fast() -> None:
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(ord("b"), ord("j")):
        prev = chr(i - 1)
        bomb += f"{chr(i)}: &{chr(i)} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    with pytest.raises(YamlFileError, match="anchors"):
        parse_yaml(bomb)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * (MAX_BYTES + 1))
    data, problems = load_yaml(path, "big.yaml")
    assert data is None
    assert str(problems[0]).startswith("big.yaml:1: file is")


def test_non_utf8_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    _, problems = load_yaml(path, "bad.yaml")
    assert "not UTF-8" in problems[0].message
