"""Safe YAML loading that keeps line numbers.

Only plain YAML is accepted: mappings, sequences and scalars. Anchors/aliases (the way into "billion laughs"
bombs), explicit tags, duplicate keys and files over MAX_BYTES are refused with a line number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, YamlFileError

MAX_BYTES = 1_000_000

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


class LDict(dict):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LList(list):
    """A sequence that remembers the line of itself and of each item (1-based)."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def line_of(container: Any, key: Any = None) -> int:
    if key is not None and isinstance(container, LDict | LList):
        return container.line_of(key)
    return getattr(container, "line", 1)


_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


_STR = "tag:yaml.org,2002:str"


def _convert(node: yaml.Node, loader: Any, seen: set[int]) -> Any:
    line = node.start_mark.line + 1
    if id(node) in seen:
        raise YamlFileError(line, "anchors and aliases are not allowed")
    seen.add(id(node))
    if node.tag not in _ALLOWED_TAGS:
        raise YamlFileError(line, f"tag {node.tag!r} is not allowed")
    if isinstance(node, yaml.MappingNode):
        out = LDict(line)
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlFileError(key_node.start_mark.line + 1, "merge keys (<<) are not allowed")
            key = _convert(key_node, loader, seen)
            if not isinstance(key, str | int | bool | float) or key is None:
                raise YamlFileError(key_node.start_mark.line + 1, "keys must be plain scalars")
            key_line = key_node.start_mark.line + 1
            if key in out:
                raise YamlFileError(key_line, f"duplicate key {key!r} (first at line {out.key_lines[key]})")
            out[key] = _convert(value_node, loader, seen)
            out.key_lines[key] = key_line
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList(line)
        for item in node.value:
            seq.append(_convert(item, loader, seen))
            seq.item_lines.append(item.start_mark.line + 1)
        return seq
    if node.tag == _STR:
        return node.value  # most scalars are plain strings: no constructor needed (a third of the load time)
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise YamlFileError(line, f"bad value: {getattr(exc, 'problem', exc)}") from None


def parse_yaml(text: str) -> Any:
    """Parse one YAML document into LDict/LList/scalars. Raises YamlFileError."""
    loader = _Loader(text)
    try:
        # A first pass over the events finds anchors where they are written, before any expansion.
        # An anchor needs "&" and an alias "*": text with neither skips that pass.
        if "&" in text or "*" in text:
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    raise YamlFileError(event.start_mark.line + 1 if event.start_mark else 1, "anchors and aliases are not allowed")
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlFileError(line, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlFileError(1, f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    if node is None:
        return None
    return _convert(node, _Loader(""), set())


def load_yaml(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Load a file; on failure return (None, [Problem]) instead of raising."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [Problem(display, 1, f"cannot read file: {exc.strerror}")]
    if size > MAX_BYTES:
        return None, [Problem(display, 1, f"file is {size:,} bytes; the limit is {MAX_BYTES:,}")]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(display, 1, f"not UTF-8 text (byte {exc.start})")]
    except OSError as exc:
        return None, [Problem(display, 1, f"cannot read file: {exc.strerror}")]
    try:
        return parse_yaml(text), []
    except YamlFileError as exc:
        return None, [Problem(display, exc.line, exc.message)]
