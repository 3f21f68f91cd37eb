"""What every content check shares: the problem collector (file:line, locale, what follows from what) and
the checks of one YAML value (keys, types, texts, locale maps)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..yamlsafe import LDict, LList, line_of
from .files import load_file

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}$")
TRIGGER_WEIGHT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(.+)$")
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_]+)\}")
DEFAULT_LOCALE = "en"
ANSWER_LIMIT = 1200  # what a phone shows first (docs/content-format.md)
MORE_LIMIT = 3500
MIN_QUESTIONS = 8  # phrasings people really write, so matching finds the entry
BUTTON_LABEL_LIMIT = 40
PATH_LOCALE_RE = re.compile(r"^knowledge/([a-z]{2,3})/")


def typename(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


TYPE_WORDS = {str: "text", list: "a list", dict: "a mapping", bool: "true or false", dt.date: "a date (YYYY-MM-DD)"}


TRANSLATE_MARK = "TRANSLATE:"


def path_locale(path: str) -> str:
    m = PATH_LOCALE_RE.match(path)
    return m.group(1) if m else ""


def marked(text: object) -> bool:
    return isinstance(text, str) and text.lstrip().startswith(TRANSLATE_MARK)


class Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.partial: set[str] = set()  # locales still being translated: their gaps are warnings
        self.broken: set[str] = set()  # files that could not be read or parsed: their error is listed first
        self.unusable: set[str] = set()  # broken, or loaded but invalid: what is "missing" because of them follows
        self.locales: set[str] = set()  # the locale folders, known before any file is read
        self.marks: list[tuple[str, int, str]] = []  # every TRANSLATE: text (path, line, locale)
        self.reported_marks: set[tuple[str, int]] = set()
        self.dropped: set[str] = set()  # untranslated entries: reported once, not line by line

    def _follows(self, because: str, locale: str) -> str:
        if because and because in self.unusable:
            return because
        info = f"knowledge/{locale}/locale.yaml"
        return info if locale and info in self.broken else ""  # its status is unknown, so gaps count as errors

    def gap(self, path: str, line: int, message: str, locale: str, because: str = "") -> None:
        """Something missing in a locale: an error, or a warning while the locale is partial."""
        self.problems.append(
            Problem(path, line, message, warning=locale in self.partial, locale=locale, follows=self._follows(because, locale))
        )

    def untranslated(self, text: object, path: str, line: int, what: str, locale: str) -> bool:
        """True (and a gap is noted) when a text still carries the to-translate mark of `hrbot new-locale`."""
        if marked(text):
            self.gap(path, line, f"{what} is not translated yet", locale)
            self.reported_marks.add((path, line))
            return True
        return False

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def add(self, path: str, line: int, message: str, locale: str = "", because: str = "") -> None:
        locale = locale or path_locale(path)
        self.problems.append(Problem(path, line, message, locale=locale, follows=self._follows(because, locale)))

    def load(self, path: Path) -> Any:
        rel = self.rel(path)
        data, error = load_file(path, self.root, rel)
        if error is not None:
            self.add(rel, error.line, error.message)
            self.broken.add(rel)
            self.unusable.add(rel)
            return None
        self._find_marks(data, rel)
        return data

    def _find_marks(self, data: Any, rel: str) -> None:
        """Note every text still marked TRANSLATE:, with its locale: the file's folder, or the nearest locale key."""
        fixed = path_locale(rel)
        todo: list[tuple[Any, str]] = [(data, fixed)]
        while todo:
            node, loc = todo.pop()
            if isinstance(node, LDict):
                items = [(node.line_of(k), k in self.locales and not fixed and str(k), v) for k, v in node.items()]
            elif isinstance(node, LList):
                items = [(node.line_of(i), False, v) for i, v in enumerate(node)]
            else:
                continue
            for line, key_locale, value in items:
                here = key_locale or loc
                if marked(value):
                    if here:
                        self.marks.append((rel, line, here))
                elif isinstance(value, dict | list):
                    todo.append((value, here))

    def fields(self, data: Any, path: str, spec: Mapping[str, tuple[type | tuple[type, ...], bool]], what: str) -> bool:
        """Check a mapping's keys and value types. Returns False if it is not usable."""
        if not isinstance(data, dict):
            self.add(path, line_of(data), f"{what} must be a mapping, got {typename(data)}")
            return False
        ok = True
        for key in data:
            if key not in spec:
                close = difflib.get_close_matches(str(key), list(spec), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.add(path, line_of(data, key), f"unknown key {key!r} in {what}{hint}")
        for key, (types, required) in spec.items():
            if key not in data or data[key] is None:
                if required:
                    self.add(path, line_of(data), f"missing key {key!r} in {what}")
                    ok = False
                continue
            value = data[key]
            wanted = types if isinstance(types, tuple) else (types,)
            bad_bool = isinstance(value, bool) and bool not in wanted
            if bad_bool or not isinstance(value, wanted):
                words = " or ".join(TYPE_WORDS.get(t, t.__name__) for t in wanted)
                self.add(path, line_of(data, key), f"{key!r} must be {words}, got {typename(value)}")
                ok = False
        return ok

    def texts(self, data: Any, key: str, path: str) -> tuple[str, ...]:
        """A list of non-empty strings under data[key] (absent -> empty)."""
        value = data.get(key) if isinstance(data, dict) else None
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add(path, line_of(data, key), f"{key!r} must be a list, got {typename(value)}")
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.add(path, line_of(value, i), f"{key!r} item {i + 1} must be non-empty text, got {typename(item)}")
            else:
                out.append(item.strip())
        return tuple(out)

    def localized(self, data: Any, key: str, path: str, what: str) -> dict[str, str]:
        """A {locale: text} mapping under data[key]."""
        value = data.get(key)
        if not isinstance(value, dict):
            self.add(path, line_of(data, key), f"{what} must map locales to text, e.g. {{en: ..., ru: ...}}")
            return {}
        out: dict[str, str] = {}
        for loc, text in value.items():
            if not isinstance(loc, str) or not LOCALE_RE.match(loc):
                self.add(path, line_of(value, loc), f"{loc!r} is not a locale code in {what}")
            elif not isinstance(text, str) or not text.strip():
                self.add(path, line_of(value, loc), f"{what} for {loc!r} must be non-empty text", locale=loc)
            elif not self.untranslated(text, path, line_of(value, loc), f"{what} for {loc!r}", loc):
                out[loc] = text.strip()
        return out

    def report_untranslated(self, locales: Iterable[str]) -> None:
        """Each text still marked TRANSLATE: that no file check reported: a gap of its locale."""
        known = set(locales)
        for rel, line, loc in self.marks:
            if rel not in self.dropped and (rel, line) not in self.reported_marks and loc in known:
                self.gap(rel, line, "text is not translated yet (it still starts with TRANSLATE:)", loc)
