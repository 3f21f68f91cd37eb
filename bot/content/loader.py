"""Load and validate all content into immutable models, collecting every problem as `file:line: message`."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ContentError, Problem
from ..yamlsafe import LDict, LList, line_of
from .buttons import button_data, cb_entry, cb_more, cb_value
from .files import inside, load_file
from .models import (
    ACTIONS,
    ANSWER_SCREEN_LIMIT,
    BUTTON_KINDS,
    CALLBACK_LIMIT,
    CAPTURE_KINDS,
    FLOW_PLACEHOLDERS,
    MATCH_WORDS,
    MESSAGE_LIMIT,
    Button,
    Combo,
    Content,
    Country,
    Entry,
    Flow,
    LocalePack,
    SmallTalk,
    Source,
    Step,
    StepInput,
    SubstanceNames,
    Topics,
    Trigger,
)

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}$")
TRIGGER_WEIGHT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(.+)$")
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_]+)\}")
DEFAULT_LOCALE = "en"
ANSWER_LIMIT = 1200  # what a phone shows first (docs/content-format.md)
MORE_LIMIT = 3500
MIN_QUESTIONS = 8  # phrasings people really write, so matching finds the entry
BUTTON_LABEL_LIMIT = 40
# No shipped flow has a title yet: until they do, a missing title is a warning (cards fall back to the menu's
# button label). Set True once every flow has `title: {en: ..., ru: ..., uk: ...}`.
FLOW_TITLE_REQUIRED = True
NUMBERED_RE = re.compile(r"^\s*\d+[.)]\s")
PATH_LOCALE_RE = re.compile(r"^knowledge/([a-z]{2,3})/")


def _typename(value: Any) -> str:
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


_TYPE_WORDS = {str: "text", list: "a list", dict: "a mapping", bool: "true or false", dt.date: "a date (YYYY-MM-DD)"}


TRANSLATE_MARK = "TRANSLATE:"


def _path_locale(path: str) -> str:
    m = PATH_LOCALE_RE.match(path)
    return m.group(1) if m else ""


def _marked(text: object) -> bool:
    return isinstance(text, str) and text.lstrip().startswith(TRANSLATE_MARK)


class _Collector:
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
        if _marked(text):
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
        locale = locale or _path_locale(path)
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
        fixed = _path_locale(rel)
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
                if _marked(value):
                    if here:
                        self.marks.append((rel, line, here))
                elif isinstance(value, dict | list):
                    todo.append((value, here))

    def fields(self, data: Any, path: str, spec: Mapping[str, tuple[type | tuple[type, ...], bool]], what: str) -> bool:
        """Check a mapping's keys and value types. Returns False if it is not usable."""
        if not isinstance(data, dict):
            self.add(path, line_of(data), f"{what} must be a mapping, got {_typename(data)}")
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
                words = " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in wanted)
                self.add(path, line_of(data, key), f"{key!r} must be {words}, got {_typename(value)}")
                ok = False
        return ok

    def texts(self, data: Any, key: str, path: str) -> tuple[str, ...]:
        """A list of non-empty strings under data[key] (absent -> empty)."""
        value = data.get(key) if isinstance(data, dict) else None
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add(path, line_of(data, key), f"{key!r} must be a list, got {_typename(value)}")
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.add(path, line_of(value, i), f"{key!r} item {i + 1} must be non-empty text, got {_typename(item)}")
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


# --- topics -----------------------------------------------------------------------------------------------


def _load_topics(c: _Collector, path: Path) -> Topics:
    if not path.exists():
        c.add(c.rel(path), 1, "the topics contract file is missing")
        return Topics()
    data = c.load(path)
    rel = c.rel(path)
    if not isinstance(data, dict):
        return Topics()
    parts = {}
    for key in ("emergency", "flow", "answer", "combo_substances", "risk_levels"):
        parts[key] = c.texts(data, key, rel)
    if "smalltalk" in data:
        parts["smalltalk"] = c.texts(data, "smalltalk", rel)
    return Topics(**parts)


# --- knowledge entries ------------------------------------------------------------------------------------

MIN_SMALLTALK_PHRASINGS = 5

_ENTRY_SPEC: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "id": (str, True),
    "title": (str, True),
    "questions": (list, True),
    "keywords": (list, False),
    "answer": (str, True),
    "more": (str, False),
    "related": (list, False),
    "sources": (list, True),
    "reviewed": (dt.date, True),
}


def _load_entry(c: _Collector, path: Path, locale: str) -> Entry | None:
    rel = c.rel(path)
    data = c.load(path)
    if data is None and not any(p.path == rel for p in c.problems):
        c.add(rel, 1, "the file is empty")
    if data is None or not c.fields(data, rel, _ENTRY_SPEC, "an entry"):
        return None
    entry_id = data["id"]
    if any(c.untranslated(data[k], rel, line_of(data, k), f"entry {k!r}", locale) for k in ("title", "answer")):
        c.dropped.add(rel)
        return None
    if not ID_RE.match(entry_id):
        c.add(rel, line_of(data, "id"), f"id {entry_id!r} must be kebab-case (a-z, 0-9, -)")
    if path.stem != entry_id:
        c.add(rel, line_of(data, "id"), f"id {entry_id!r} does not match the file name {path.name!r}")
    questions = c.texts(data, "questions", rel)
    asked = [q for q in questions if not _marked(q)]  # a question still to translate does not count yet
    if not questions:
        c.add(rel, line_of(data, "questions"), "an entry needs at least one question")
    elif len(asked) < MIN_QUESTIONS:
        c.gap(rel, line_of(data, "questions"), f"an entry needs at least {MIN_QUESTIONS} questions (phrasings), has {len(asked)}", locale)
    answer = data["answer"].strip()
    if len(answer) > ANSWER_LIMIT:
        # over what one Telegram message holds it cannot be sent at all: an error even while the locale is partial
        over = c.add if len(answer) + len(data["title"]) + 2 > ANSWER_SCREEN_LIMIT else c.gap
        over(rel, line_of(data, "answer"), f"answer is {len(answer):,} characters; the limit is {ANSWER_LIMIT:,}", locale)
    more = data.get("more")
    more = more.strip() if isinstance(more, str) else None
    if more and len(more) > MORE_LIMIT:
        over = c.add if len(more) > MESSAGE_LIMIT - 200 else c.gap
        over(rel, line_of(data, "more"), f"more is {len(more):,} characters; the limit is {MORE_LIMIT:,}", locale)
    sources: list[Source] = []
    raw_sources = data["sources"]
    if not raw_sources:
        c.add(rel, line_of(data, "sources"), "an entry needs at least one source")
    for i, src in enumerate(raw_sources):
        where = f"source {i + 1}"
        if not c.fields(src, rel, {"title": (str, True), "url": (str, True)}, where):
            continue
        if not src["url"].startswith("https://"):
            c.add(rel, line_of(src, "url"), f"{where} url must start with https://")
        sources.append(Source(src["title"].strip(), src["url"].strip()))
    for what, limit in (("more", cb_more(entry_id)), ("entry", cb_entry(entry_id))):
        if len(limit.encode()) > CALLBACK_LIMIT:
            c.add(rel, line_of(data, "id"), f"id is too long for Telegram's callback data ({what} button)")
    return Entry(
        id=entry_id,
        locale=locale,
        title=data["title"].strip(),
        questions=questions,
        keywords=c.texts(data, "keywords", rel),
        answer=answer,
        more=more,
        related=c.texts(data, "related", rel),
        sources=tuple(sources),
        reviewed=data["reviewed"],
        path=rel,
        lines={**data.key_lines, **{f"related.{i}": line_of(data["related"], i) for i in range(len(data.get("related") or []))}},
    )


# --- per-locale files -------------------------------------------------------------------------------------


def _load_strings(c: _Collector, path: Path, locale: str) -> tuple[dict[str, str], dict[str, int]]:
    rel = c.rel(path)
    if not path.exists():
        c.gap(rel, 1, "missing file: every locale needs strings.yaml", locale)
        return {}, {}
    data = c.load(path)
    if not isinstance(data, dict):
        if data is not None:
            c.add(rel, line_of(data), "strings.yaml must be a mapping of key: text")
        return {}, {}
    out: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(value, str):
            c.add(rel, line_of(data, key), f"string {key!r} must be text, got {_typename(value)}")
            continue
        if len(value) > MESSAGE_LIMIT:
            c.add(rel, line_of(data, key), f"string {key!r} is over Telegram's {MESSAGE_LIMIT:,} characters")
        if not c.untranslated(value, rel, line_of(data, key), f"string {key!r}", locale):
            out[str(key)] = value.strip()
    return out, dict(getattr(data, "key_lines", {}))


def _load_matching(c: _Collector, path: Path) -> tuple[frozenset[str], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """matching.yaml: every matching setting of one locale (stop words, synonyms and slang, the word lists)."""
    rel = c.rel(path)
    if not path.exists():
        return frozenset(), {}, {}
    data = c.load(path)
    if data is None:
        return frozenset(), {}, {}
    spec = {"stopwords": (list, False), "synonyms": (dict, False), "words": (dict, False)}
    if not c.fields(data, rel, spec, "matching.yaml"):
        return frozenset(), {}, {}
    stopwords = frozenset(w.lower() for w in c.texts(data, "stopwords", rel))
    synonyms: dict[str, tuple[str, ...]] = {}
    seen: dict[str, tuple[str, int]] = {}
    table = data.get("synonyms") or {}
    for canonical, _variants in table.items():
        line = line_of(table, canonical)
        if not isinstance(canonical, str):
            c.add(rel, line, f"synonym key {canonical!r} must be text")
            continue
        vs = c.texts(table, canonical, rel)
        for v in vs:
            low = v.lower()
            if low in seen and seen[low][0] != canonical:
                c.add(rel, line, f"{v!r} is a variant of both {seen[low][0]!r} (line {seen[low][1]}) and {canonical!r}")
            seen[low] = (canonical, line)
        synonyms[canonical.lower()] = vs
    words: dict[str, tuple[str, ...]] = {}
    lists = data.get("words") or {}
    for key, value in lists.items():
        line = line_of(lists, key)
        if key not in MATCH_WORDS:
            c.add(rel, line, f"unknown word list {key!r}; known: {', '.join(MATCH_WORDS)}")
        elif not isinstance(value, str):
            c.add(rel, line, f"word list {key!r} must be one text, the words comma separated")
        else:  # still to translate (a new locale): its words are the source language's until then
            text = value.strip()[len(TRANSLATE_MARK) :] if _marked(value) else value
            words[key] = tuple(w.strip() for w in text.split(",") if w.strip())
    return stopwords, synonyms, words


def _load_smalltalk(c: _Collector, path: Path, topics: Topics, locale: str) -> dict[str, SmallTalk]:
    rel = c.rel(path)
    if not path.exists():
        if topics.smalltalk:
            c.gap(rel, 1, "missing file: the small talk replies (greeting, thanks...) of topics.yaml", locale)
        return {}
    data = c.load(path)
    if data is None or not c.fields(data, rel, {"smalltalk": (dict, True)}, "smalltalk.yaml"):
        return {}
    out: dict[str, SmallTalk] = {}
    table = data["smalltalk"]
    for sid, spec in table.items():
        line = line_of(table, sid)
        if topics.smalltalk and sid not in topics.smalltalk:
            c.add(rel, line, f"small talk {sid!r} is not one of smalltalk in topics.yaml")
        where = f"small talk {sid!r}"
        if not c.fields(spec, rel, {"phrasings": (list, True), "reply": (str, True)}, where):
            continue
        if c.untranslated(spec["reply"], rel, line_of(spec, "reply"), f"{where} reply", locale):
            continue
        phrasings = c.texts(spec, "phrasings", rel)
        if len(phrasings) < MIN_SMALLTALK_PHRASINGS:
            c.add(rel, line_of(spec, "phrasings"), f"{where} needs at least {MIN_SMALLTALK_PHRASINGS} phrasings, has {len(phrasings)}")
        out[sid] = SmallTalk(sid, phrasings, spec["reply"].strip())
    for sid in topics.smalltalk:
        if sid not in out:
            c.gap(rel, data.line, f"small talk {sid!r} of topics.yaml is missing", locale)
    return out


def _load_substances(c: _Collector, path: Path, topics: Topics, locale: str) -> dict[str, SubstanceNames]:
    rel = c.rel(path)
    if not path.exists():
        c.gap(rel, 1, "missing file: every locale needs substances.yaml for the combo checker", locale)
        return {}
    data = c.load(path)
    if data is None or not c.fields(data, rel, {"substances": (dict, True)}, "substances.yaml"):
        return {}
    out: dict[str, SubstanceNames] = {}
    alias_owner: dict[str, str] = {}
    table = data["substances"]
    known = set(topics.combo_substances)
    for sid, spec in table.items():
        line = line_of(table, sid)
        if known and sid not in known:
            c.add(rel, line, f"substance {sid!r} is not one of combo_substances in topics.yaml")
        where = f"substance {sid!r}"
        if not c.fields(spec, rel, {"name": (str, True), "aliases": (list, True), "unless": (list, False)}, where):
            continue
        if c.untranslated(spec["name"], rel, line_of(spec, "name"), f"substance {sid!r} name", locale):
            continue
        aliases = c.texts(spec, "aliases", rel)
        for alias in aliases:
            low = alias.lower()
            if low in alias_owner and alias_owner[low] != sid:
                c.add(rel, line_of(spec, "aliases"), f"alias {alias!r} belongs to both {alias_owner[low]!r} and {sid!r}")
            alias_owner[low] = sid
            if len(cb_value(alias).encode()) > CALLBACK_LIMIT:
                c.add(rel, line_of(spec, "aliases"), f"alias {alias!r} is too long for callback data")
        out[sid] = SubstanceNames(sid, spec["name"].strip(), aliases, c.texts(spec, "unless", rel))
    for sid in topics.combo_substances:
        if sid not in out:
            c.gap(rel, data.line, f"substance {sid!r} of topics.yaml is missing", locale)
    return out


def _load_combo_levels(c: _Collector, path: Path, topics: Topics) -> tuple[dict[tuple[str, str], tuple[str, int]], tuple[Source, ...]]:
    rel = c.rel(path)
    if not path.exists():
        c.add(rel, 1, "missing file: the combo table")
        return {}, ()
    data = c.load(path)
    spec = {"sources": (list, True), "reviewed": (dt.date, True), "pairs": (list, True)}
    if data is None or not c.fields(data, rel, spec, "combos.yaml"):
        return {}, ()
    sources = []
    for i, src in enumerate(data["sources"]):
        if c.fields(src, rel, {"title": (str, True), "url": (str, True)}, f"source {i + 1}"):
            if not src["url"].startswith("https://"):
                c.add(rel, line_of(src, "url"), f"source {i + 1} url must start with https://")
            sources.append(Source(src["title"], src["url"]))
    known = set(topics.combo_substances)
    levels = set(topics.risk_levels)
    out: dict[tuple[str, str], tuple[str, int]] = {}
    for i, item in enumerate(data["pairs"]):
        where = f"pair {i + 1}"
        line = line_of(data["pairs"], i)
        if not c.fields(item, rel, {"pair": (list, True), "risk": (str, True)}, where):
            continue
        pair = item["pair"]
        if len(pair) != 2 or not all(isinstance(p, str) for p in pair):
            c.add(rel, line, f"{where}: 'pair' must list exactly two substance ids")
            continue
        a, b = sorted(pair)
        for sid in (a, b):
            if known and sid not in known:
                c.add(rel, line, f"{where}: {sid!r} is not one of combo_substances in topics.yaml")
        if a == b:
            c.add(rel, line, f"{where}: a substance cannot be paired with itself")
            continue
        if levels and item["risk"] not in levels:
            c.add(rel, line_of(item, "risk"), f"{where}: risk {item['risk']!r} is not one of {sorted(levels)}")
        if (a, b) in out:
            c.add(rel, line, f"{where}: {a} + {b} is listed twice (first at line {out[(a, b)][1]})")
            continue
        out[(a, b)] = (item["risk"], line)
    subs = list(topics.combo_substances)
    for i, a in enumerate(subs):
        for b in subs[i + 1 :]:
            key = (a, b) if a <= b else (b, a)
            if key not in out:
                c.add(rel, data.line_of("pairs"), f"the pair {key[0]} + {key[1]} is missing")
    return out, tuple(sources)


def _load_combo_reasons(c: _Collector, path: Path, pairs: Iterable[tuple[str, str]], locale: str) -> dict[tuple[str, str], str]:
    rel = c.rel(path)
    if not path.exists():
        c.gap(rel, 1, "missing file: every locale needs combos.yaml with the reasons", locale)
        return {}
    data = c.load(path)
    if data is None or not c.fields(data, rel, {"reasons": (dict, True)}, "combos.yaml"):
        return {}
    table = data["reasons"]
    out: dict[tuple[str, str], str] = {}
    wanted = set(pairs)
    for key, text in table.items():
        line = line_of(table, key)
        parts = str(key).split("+")
        if len(parts) != 2:
            c.add(rel, line, f"reason key {key!r} must be two ids joined by '+'")
            continue
        pair = (parts[0], parts[1])
        if pair != tuple(sorted(parts)):
            c.add(rel, line, f"reason key {key!r} must list the ids in sorted order: {'+'.join(sorted(parts))}")
            continue
        if wanted and pair not in wanted:
            c.add(rel, line, f"reason {key!r} is for a pair that is not in the combo table")
        if not isinstance(text, str) or not text.strip():
            c.add(rel, line, f"reason {key!r} must be non-empty text")
            continue
        if c.untranslated(text, rel, line, f"reason {key!r}", locale):
            continue
        out[pair] = text.strip()
    for pair in sorted(wanted - set(out) - {p for p in wanted if "+".join(p) in table}):
        c.gap(rel, data.line_of("reasons"), f"the reason for {pair[0]}+{pair[1]} is missing", locale)
    return out


@dataclass
class _Countries:
    """countries.yaml as loaded, with the lines of its per-locale texts for the checks made once locales are known."""

    countries: dict[str, Country] = field(default_factory=dict)
    default_emergency: dict[str, str] = field(default_factory=dict)
    default_law: dict[str, str] = field(default_factory=dict)
    # what ("callers_law", "country GB emergency", ...) -> (line of its key, {locale: line})
    locale_lines: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)
    line: int = 1


_COUNTRY_SPEC: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "name": ((str, dict), True),
    "emergency": ((str, dict), True),
    "callers_law": (dict, False),
}

_LETTER = re.compile(r"[^\W\d_]")
_DIGITS = re.compile(r"\d+")


def _numbers(text: str) -> str:
    return ", ".join(sorted(set(_DIGITS.findall(text)))) or "none"


def _country_text(c: _Collector, raw: LDict, key: str, rel: str, code: str, out: _Countries) -> tuple[str, dict[str, str]]:
    """A country's name or emergency: one text for every locale, or {en: ..., ru: ...}. Returns the text in the
    default locale and the map (empty for one text). One emergency text may hold numbers only: words need a
    translation. Every locale's emergency text must name the same numbers, so a translation never changes one."""
    what = f"country {code} {key}"
    value = raw[key]
    if isinstance(value, str):
        if not value.strip():
            c.add(rel, line_of(raw, key), f"{what} must be non-empty text")
        elif key == "emergency" and _LETTER.search(value):
            c.add(
                rel, line_of(raw, key), f"{what} {value.strip()!r} has words: write numbers only, or a text per locale {{en: ..., ru: ...}}"
            )
        return value.strip(), {}
    texts = c.localized(raw, key, rel, what)
    lines = {str(loc): line_of(value, loc) for loc in value}
    if DEFAULT_LOCALE not in value:
        c.add(rel, line_of(raw, key), f"{what} has no text for {DEFAULT_LOCALE!r}, the default locale")
        lines[DEFAULT_LOCALE] = line_of(raw, key)  # said once, here, not again as a gap of the locale
    out.locale_lines[what] = (line_of(raw, key), lines)
    if key == "emergency" and texts:
        base_loc = DEFAULT_LOCALE if DEFAULT_LOCALE in texts else next(iter(texts))
        base = _numbers(texts[base_loc])
        for loc, text in texts.items():
            if _numbers(text) != base:
                c.add(
                    rel,
                    line_of(value, loc),
                    f"{what} for {loc!r} names the numbers {_numbers(text)} but {base_loc!r} names {base}: "
                    "a translation must keep every number",
                )
    return texts.get(DEFAULT_LOCALE) or next(iter(texts.values()), ""), texts


def _load_countries(c: _Collector, path: Path) -> _Countries:
    rel = c.rel(path)
    out = _Countries()
    if not path.exists():
        c.add(rel, 1, "missing file: countries.yaml with the emergency numbers")
        return out
    data = c.load(path)
    spec = {"default": (dict, True), "callers_law": (dict, False), "countries": (dict, True)}
    if data is None or not c.fields(data, rel, spec, "countries.yaml"):
        return out
    out.default_emergency = c.localized(data, "default", rel, "default")
    if data.get("callers_law") is not None:
        out.default_law = c.localized(data, "callers_law", rel, "callers_law")
        out.line = line_of(data, "callers_law")
        out.locale_lines["callers_law"] = (out.line, {str(loc): line_of(data["callers_law"], loc) for loc in data["callers_law"]})
    for code, raw in data["countries"].items():
        if not isinstance(code, str) or not re.match(r"^[A-Z]{2}$", code):
            c.add(rel, line_of(data["countries"], code), f"country code {code!r} must be two capital letters")
            continue
        if not c.fields(raw, rel, _COUNTRY_SPEC, f"country {code}"):
            continue
        name, names = _country_text(c, raw, "name", rel, code, out)
        emergency, emergencies = _country_text(c, raw, "emergency", rel, code, out)
        law: dict[str, str] = {}
        if raw.get("callers_law") is not None:
            law = c.localized(raw, "callers_law", rel, f"country {code} callers_law")
            lines = {str(loc): line_of(raw["callers_law"], loc) for loc in raw["callers_law"]}
            out.locale_lines[f"country {code} callers_law"] = (line_of(raw, "callers_law"), lines)
        out.countries[code] = Country(code, name, emergency, law, names, emergencies)
    return out


def _check_callers_law(c: _Collector, loaded: _Countries, locales: Iterable[str], used_in: str | None) -> None:
    """Every locale has the default line, and every per-locale text of countries.yaml (a country's own line,
    name or emergency numbers) has every locale and none that does not exist. `used_in` is a flow that says
    {callers_law}: then the default is required."""
    rel = "knowledge/countries.yaml"
    known = set(locales)
    if used_in and DEFAULT_LOCALE not in loaded.default_law:
        c.add(rel, loaded.line, f"callers_law (the default for {DEFAULT_LOCALE!r}) is missing; {used_in} says {{callers_law}}")
    for what, (key_line, lines) in loaded.locale_lines.items():
        for loc, line in lines.items():
            if LOCALE_RE.match(loc) and loc not in known:
                c.add(rel, line, f"{what} has text for {loc!r}, which is not a locale")
        for loc in sorted(known - set(lines)):
            c.gap(rel, key_line, f"{what} has no text for locale {loc!r}", loc)


def _load_locale_info(c: _Collector, path: Path, code: str) -> tuple[str, str | None]:
    """knowledge/<xx>/locale.yaml (optional): name, status (complete|partial), fallback locale."""
    if not path.exists():
        return code, None
    rel = c.rel(path)
    data = c.load(path)
    spec = {"name": (str, True), "status": (str, False), "fallback": (str, False)}
    if data is None or not c.fields(data, rel, spec, "locale.yaml"):
        return code, None
    status = data.get("status", "complete")
    if status not in ("complete", "partial"):
        c.add(rel, line_of(data, "status"), "status must be complete or partial")
    if status == "partial":
        c.partial.add(code)
    return data["name"], data.get("fallback")


# --- flows ------------------------------------------------------------------------------------------------

_FLOW_SPEC: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "id": (str, True),
    "title": (dict, False),
    "emergency": (bool, True),
    "triggers": (dict, True),
    "signals": (dict, False),
    "start": (str, True),
    "steps": (dict, True),
}
_STEP_SPEC: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "say": (dict, True),
    "buttons": (list, False),
    "input": (dict, False),
    "action": (str, False),
    "end": (bool, False),
}
_BUTTON_SPEC: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "label": (dict, True),
    "goto": (str, False),
    "entry": (str, False),
    "flow": (str, False),
    "locale": (str, False),
}
_INPUT_SPEC: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "capture": (str, True),
    "into": (str, True),
    "goto": (str, True),
    "retry": (dict, True),
}


def _parse_triggers(c: _Collector, data: LDict, key: str, rel: str) -> dict[str, tuple[Trigger, ...]]:
    table = data.get(key) or {}
    out: dict[str, tuple[Trigger, ...]] = {}
    for loc in table:
        phrases = c.texts(table, loc, rel)
        triggers = []
        for phrase in phrases:
            m = TRIGGER_WEIGHT_RE.match(phrase)
            if m:
                triggers.append(Trigger(m.group(2).strip(), float(m.group(1))))
            else:
                triggers.append(Trigger(phrase, 1.0))
        out[str(loc)] = tuple(triggers)
    return out


def _load_flow(c: _Collector, path: Path) -> tuple[Flow | None, LDict | None]:
    rel = c.rel(path)
    data = c.load(path)
    if data is None and not any(p.path == rel for p in c.problems):
        c.add(rel, 1, "the file is empty")
    if data is None or not c.fields(data, rel, _FLOW_SPEC, "a flow"):
        return None, None
    flow_id = data["id"]
    if not ID_RE.match(flow_id):
        c.add(rel, line_of(data, "id"), f"id {flow_id!r} must be kebab-case (a-z, 0-9, -)")
    if path.stem != flow_id:
        c.add(rel, line_of(data, "id"), f"id {flow_id!r} does not match the file name {path.name!r}")
    triggers = _parse_triggers(c, data, "triggers", rel)
    signals = {str(loc): c.texts(data["signals"], loc, rel) for loc in (data.get("signals") or {})}
    steps: dict[str, Step] = {}
    for step_id, spec in data["steps"].items():
        where = f"step {step_id!r}"
        if not isinstance(step_id, str) or not ID_RE.match(step_id):
            c.add(rel, line_of(data["steps"], step_id), f"step id {step_id!r} must be kebab-case")
            continue
        if not c.fields(spec, rel, _STEP_SPEC, where):
            continue
        say = c.localized(spec, "say", rel, f"{where} 'say'")
        for loc, text in say.items():
            if len(text) > MESSAGE_LIMIT - 200:
                c.add(rel, line_of(spec["say"], loc), f"{where} text for {loc!r} is over Telegram's message limit")
            for name in PLACEHOLDER_RE.findall(text):
                if name not in FLOW_PLACEHOLDERS:
                    known = ", ".join("{" + p + "}" for p in FLOW_PLACEHOLDERS)
                    c.add(rel, line_of(spec["say"], loc), f"{where} text for {loc!r} has an unknown placeholder {{{name}}}; known: {known}")
        buttons: list[Button] = []
        for i, raw in enumerate(spec.get("buttons") or []):
            bwhere = f"{where} button {i + 1}"
            if not c.fields(raw, rel, _BUTTON_SPEC, bwhere):
                continue
            kinds = [k for k in BUTTON_KINDS if k in raw]
            if len(kinds) != 1:
                c.add(rel, line_of(raw), f"{bwhere} needs exactly one of {', '.join(BUTTON_KINDS)}")
                continue
            label = c.localized(raw, "label", rel, f"{bwhere} label")
            for loc, text in label.items():
                if len(text) > BUTTON_LABEL_LIMIT:
                    c.add(rel, line_of(raw["label"], loc), f"{bwhere} label is over {BUTTON_LABEL_LIMIT} characters")
            button = Button(label, kinds[0], raw[kinds[0]])
            if len(button_data(flow_id, button).encode()) > CALLBACK_LIMIT:
                c.add(rel, line_of(raw, kinds[0]), f"{bwhere}: its callback data is over Telegram's 64 bytes")
            buttons.append(button)
        step_input = None
        if spec.get("input") is not None and c.fields(spec["input"], rel, _INPUT_SPEC, f"{where} input"):
            raw_in = spec["input"]
            if raw_in["capture"] not in CAPTURE_KINDS:
                c.add(rel, line_of(raw_in, "capture"), f"{where}: capture must be one of {', '.join(CAPTURE_KINDS)}")
            step_input = StepInput(raw_in["capture"], raw_in["into"], raw_in["goto"], c.localized(raw_in, "retry", rel, f"{where} retry"))
        action = spec.get("action")
        if action is not None and action not in ACTIONS:
            c.add(rel, line_of(spec, "action"), f"{where}: unknown action {action!r}; known: {', '.join(ACTIONS)}")
        step = Step(step_id, say, tuple(buttons), step_input, action, bool(spec.get("end", False)))
        if not step.buttons and step.input is None and not step.end:
            c.add(rel, line_of(data["steps"], step_id), f"{where} cannot be left: give it buttons, input or end: true")
        steps[step_id] = step
    if data["start"] not in steps and data["start"] not in data["steps"]:
        c.add(rel, line_of(data, "start"), f"start step {data['start']!r} does not exist")
    title = c.localized(data, "title", rel, "title") if data.get("title") is not None else {}
    flow = Flow(flow_id, data["emergency"], triggers, signals, data["start"], steps, rel, title)
    return flow, data


def _check_flow_links(c: _Collector, flow: Flow, raw: LDict, flows: dict[str, Flow], locales: dict[str, LocalePack]) -> None:
    rel = flow.path
    steps_raw = raw["steps"]
    reachable: set[str] = set()
    todo = [flow.start]
    while todo:
        sid = todo.pop()
        if sid in reachable or sid not in flow.steps:
            continue
        reachable.add(sid)
        step = flow.steps[sid]
        todo.extend(b.target for b in step.buttons if b.kind == "goto")
        if step.input:
            todo.append(step.input.goto)
    for sid, step in flow.steps.items():
        step_raw = steps_raw[sid]
        if sid not in reachable:
            c.add(rel, line_of(steps_raw, sid), f"step {sid!r} cannot be reached from start {flow.start!r}")
        for i, button in enumerate(step.buttons):
            line = step_raw["buttons"].line_of(i) if isinstance(step_raw.get("buttons"), LList) else step_raw.line
            where = f"step {sid!r} button {i + 1}"
            if button.kind == "goto" and button.target not in flow.steps:
                c.add(rel, line, f"{where} goes to step {button.target!r}, which does not exist")
            elif button.kind == "flow" and button.target not in flows:
                c.add(rel, line, f"{where} opens flow {button.target!r}, which does not exist", because=f"dialogues/{button.target}.yaml")
            elif button.kind == "entry":
                for loc, pack in locales.items():
                    if button.target not in pack.entries:
                        because = f"knowledge/{loc}/entries/{button.target}.yaml"
                        c.gap(rel, line, f"{where} opens entry {button.target!r}, which does not exist in {loc!r}", loc, because)
            elif button.kind == "locale" and button.target not in locales:
                c.add(rel, line, f"{where} switches to locale {button.target!r}, which does not exist")
            for loc in locales:
                if loc not in button.label:
                    c.gap(rel, line, f"{where} has no label for locale {loc!r}", loc)
        if step.input and step.input.goto not in flow.steps:
            c.add(rel, line_of(step_raw["input"], "goto"), f"step {sid!r} input goes to {step.input.goto!r}, which does not exist")
        for loc in locales:
            if loc not in step.say:
                c.gap(rel, line_of(step_raw, "say"), f"step {sid!r} has no text for locale {loc!r}", loc)
            if step.input and loc not in step.input.retry:
                c.gap(rel, line_of(step_raw["input"], "retry"), f"step {sid!r} retry has no text for locale {loc!r}", loc)
    for loc in locales:
        if not flow.triggers.get(loc):
            c.gap(rel, line_of(raw, "triggers"), f"flow has no triggers for locale {loc!r}", loc)
    for loc in flow.triggers:
        if loc not in locales:
            c.add(rel, line_of(raw["triggers"], loc), f"triggers for {loc!r}, which is not a locale")
    title_node = raw.get("title")
    raw_title: dict[Any, Any] = title_node if isinstance(title_node, dict) else {}
    for loc in locales:
        if loc not in raw_title:  # present but untranslated was reported already
            message = f"flow has no title for {loc!r}; cards and buttons name it by a first trigger, a button label or its id"
            if FLOW_TITLE_REQUIRED:
                c.gap(rel, line_of(raw, "title"), message, loc)
            else:
                c.problems.append(Problem(rel, line_of(raw, "title"), message, warning=True, locale=loc))
    if flow.emergency:
        _check_emergency_start(c, flow, raw)


def _check_emergency_start(c: _Collector, flow: Flow, raw: LDict) -> None:
    """Someone in an emergency reads the first line first: it must be the number to call."""
    start = flow.steps.get(flow.start)
    if start is None:
        return  # reported as a missing start step
    say_raw = raw["steps"][flow.start]["say"]
    for loc, text in start.say.items():
        first = text.strip().splitlines()[0] if text.strip() else ""
        if not (NUMBERED_RE.match(first) and first.lstrip().startswith("1") and "{emergency}" in first):
            c.gap(
                flow.path,
                line_of(say_raw, loc),
                f"emergency flow: the first step's {loc!r} text must start with the emergency number, "
                "a first line like '1. Call {emergency} now.'",
                loc,
            )


# --- the whole ----------------------------------------------------------------------------------------------


def _collect(root: Path, only_locale: str | None = None) -> tuple[Content | None, list[Problem]]:
    c = _Collector(root)
    knowledge = root / "knowledge"
    dialogues = root / "dialogues"
    if not knowledge.is_dir():
        c.add("knowledge", 1, f"no knowledge/ folder under {root}")
        return None, c.problems
    locale_dirs = []
    for p in sorted(knowledge.iterdir()):
        if not (LOCALE_RE.match(p.name) and p.is_dir()):
            continue
        if not inside(p, root):
            c.add(c.rel(p), 1, "symlink to a folder outside the content folder; skipped (only files inside it are read)")
            continue
        locale_dirs.append(p)
    c.locales = {p.name for p in locale_dirs}
    topics = _load_topics(c, knowledge / "topics.yaml")
    loaded = _load_countries(c, knowledge / "countries.yaml")
    countries, default_emergency = loaded.countries, loaded.default_emergency
    levels, combo_sources = _load_combo_levels(c, knowledge / "combos.yaml", topics)

    if not any(p.name == DEFAULT_LOCALE for p in locale_dirs):
        c.add("knowledge", 1, f"the default locale folder knowledge/{DEFAULT_LOCALE}/ is missing")
    locales: dict[str, LocalePack] = {}
    string_lines: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[tuple[str, str], str]] = {}
    for ldir in locale_dirs:
        code = ldir.name
        name, fallback = _load_locale_info(c, ldir / "locale.yaml", code)
        strings, string_lines[code] = _load_strings(c, ldir / "strings.yaml", code)
        stopwords, synonyms, words = _load_matching(c, ldir / "matching.yaml")
        substances = _load_substances(c, ldir / "substances.yaml", topics, code)
        smalltalk = _load_smalltalk(c, ldir / "smalltalk.yaml", topics, code)
        reasons[code] = _load_combo_reasons(c, ldir / "combos.yaml", levels, code)
        entries: dict[str, Entry] = {}
        entry_dir = ldir / "entries"
        for path in sorted(entry_dir.glob("*.yaml")) if entry_dir.is_dir() else []:
            entry = _load_entry(c, path, code)
            if entry is None:
                if c.rel(path) not in c.dropped:  # still to translate is no error: the fallback locale covers it
                    c.unusable.add(c.rel(path))
                continue
            if entry.id in entries:
                c.add(entry.path, 1, f"duplicate entry id {entry.id!r} (also in {entries[entry.id].path})")
                continue
            entries[entry.id] = entry
        locales[code] = LocalePack(
            code, strings, stopwords, synonyms, substances, entries, name, fallback, code in c.partial, smalltalk, words
        )

    # cross-locale checks
    base = locales.get(DEFAULT_LOCALE)
    for code, pack in locales.items():
        srel = f"knowledge/{code}/strings.yaml"
        if base is not None and code != DEFAULT_LOCALE:
            for key in base.strings:
                if key not in string_lines.get(code, {}):  # a present but untranslated string was reported already
                    c.gap(srel, 1, f"string {key!r} is missing (it is in knowledge/{DEFAULT_LOCALE}/strings.yaml)", code, srel)
        wanted = dict.fromkeys(topics.answer, "of topics.yaml")
        if base is not None and code != DEFAULT_LOCALE:
            for entry_id in base.entries:
                wanted.setdefault(entry_id, f"(it is in knowledge/{DEFAULT_LOCALE}/entries/{entry_id}.yaml)")
        for entry_id, why in wanted.items():
            # a file that is there but did not load has its own error already
            if entry_id not in pack.entries and not (knowledge / code / "entries" / f"{entry_id}.yaml").exists():
                erel = f"knowledge/{code}/entries/{entry_id}.yaml"
                text = f"entry {entry_id!r} of topics.yaml is missing in locale {code!r}"
                if not why.startswith("of "):
                    text = f"entry {entry_id!r} is missing in locale {code!r} {why}"
                c.gap(erel, 1, text, code)
        for entry in pack.entries.values():
            for i, rid in enumerate(entry.related):
                if rid not in pack.entries:
                    line = entry.lines.get(f"related.{i}", 1)
                    c.gap(
                        entry.path,
                        line,
                        f"related id {rid!r} does not exist in locale {code!r}",
                        code,
                        f"knowledge/{code}/entries/{rid}.yaml",
                    )
        if code not in default_emergency and default_emergency:
            c.gap("knowledge/countries.yaml", 1, f"default emergency numbers are missing for locale {code!r}", code)

    flows: dict[str, Flow] = {}
    raws: dict[str, LDict] = {}
    if not dialogues.is_dir():
        c.add("dialogues", 1, f"no dialogues/ folder under {root}")
    for path in sorted(dialogues.glob("*.yaml")) if dialogues.is_dir() else []:
        flow, raw = _load_flow(c, path)
        if flow is None or raw is None:
            c.unusable.add(c.rel(path))
            continue
        if flow.id in flows:
            c.add(flow.path, 1, f"duplicate flow id {flow.id!r} (also in {flows[flow.id].path})")
            continue
        flows[flow.id] = flow
        raws[flow.id] = raw
    for fid, flow in flows.items():
        _check_flow_links(c, flow, raws[fid], flows, locales)
    says_law = next((f.path for f in flows.values() for st in f.steps.values() if any("{callers_law}" in t for t in st.say.values())), None)
    _check_callers_law(c, loaded, locales, says_law)
    for kind, ids in (("emergency", topics.emergency), ("flow", topics.flow)):
        for fid in ids:
            flow = flows.get(fid)
            if flow is None:
                frel = f"dialogues/{fid}.yaml"
                if frel in c.broken:
                    continue  # its own error says why
                c.add(frel, 1, f"{'emergency flow' if kind == 'emergency' else 'flow'} {fid!r} of topics.yaml is missing", because=frel)
            elif flow.emergency != (kind == "emergency"):
                c.add(flow.path, line_of(raws[fid], "emergency"), f"flow {fid!r} must have emergency: {str(kind == 'emergency').lower()}")

    for rel, line, loc in c.marks:
        if rel not in c.dropped and (rel, line) not in c.reported_marks and loc in locales:
            c.gap(rel, line, "text is not translated yet (it still starts with TRANSLATE:)", loc)

    combos = {pair: Combo(pair, risk, {code: reasons[code].get(pair, "") for code in locales}) for pair, (risk, _) in levels.items()}
    problems = c.problems
    if only_locale is not None:
        problems = [p for p in problems if p.locale == only_locale]
    content = Content(
        locales=locales,
        flows=flows,
        combos=combos,
        countries=countries,
        default_emergency=default_emergency,
        topics=topics,
        combo_sources=combo_sources,
        default_locale=DEFAULT_LOCALE,
        root=str(root),
        default_callers_law=loaded.default_law,
    )
    return content, _ordered(problems, c.broken)


def _ordered(problems: list[Problem], broken: set[str]) -> list[Problem]:
    """Files that did not load first (their errors explain others), then the rest, then what follows from them."""
    unique = sorted(set(problems))
    first = [p for p in unique if p.path in broken and not p.follows]
    rest = [p for p in unique if p.path not in broken and not p.follows]
    return first + rest + [p for p in unique if p.follows]


def validate_content(root: Path, only_locale: str | None = None) -> tuple[Content | None, list[Problem]]:
    """Load everything and return the content with every problem found (empty list when clean)."""
    return _collect(Path(root), only_locale)


def load_content(root: Path) -> Content:
    """Load and validate; raise ContentError listing every error (warnings of partial locales are allowed)."""
    content, problems = _collect(Path(root))
    errors = [p for p in problems if not p.warning]
    if errors or content is None:
        raise ContentError(errors or [Problem("knowledge", 1, "no content")])
    return content
