"""Schema checks: each content file read on its own into models (entries, flows, strings, matching settings,
substances, small talk, combos, countries, locale info), every problem noted as file:line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..yamlsafe import LDict, line_of
from .buttons import button_data, cb_entry, cb_more, cb_value
from .collector import (
    ANSWER_LIMIT,
    BUTTON_LABEL_LIMIT,
    DEFAULT_LOCALE,
    ID_RE,
    MIN_QUESTIONS,
    MORE_LIMIT,
    PLACEHOLDER_RE,
    TRANSLATE_MARK,
    TRIGGER_WEIGHT_RE,
    Collector,
    marked,
    typename,
)
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
    Country,
    Entry,
    Flow,
    SmallTalk,
    Source,
    Step,
    StepInput,
    SubstanceNames,
    Topics,
    Trigger,
)

# --- topics -----------------------------------------------------------------------------------------------


def load_topics(c: Collector, path: Path) -> Topics:
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


def load_entry(c: Collector, path: Path, locale: str) -> Entry | None:
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
    asked = [q for q in questions if not marked(q)]  # a question still to translate does not count yet
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


def load_strings(c: Collector, path: Path, locale: str) -> tuple[dict[str, str], dict[str, int]]:
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
            c.add(rel, line_of(data, key), f"string {key!r} must be text, got {typename(value)}")
            continue
        if len(value) > MESSAGE_LIMIT:
            c.add(rel, line_of(data, key), f"string {key!r} is over Telegram's {MESSAGE_LIMIT:,} characters")
        if not c.untranslated(value, rel, line_of(data, key), f"string {key!r}", locale):
            out[str(key)] = value.strip()
    return out, dict(getattr(data, "key_lines", {}))


# stop words, synonyms (canonical -> variants), word lists, background, offtopic, and each synonym's line
Matching = tuple[frozenset[str], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...], dict[str, int]]


def load_matching(c: Collector, path: Path) -> Matching:
    """matching.yaml: every matching setting of one locale (stop words, synonyms and slang, the word lists, and
    sentences of background that carry no question, and questions about something else)."""
    rel = c.rel(path)
    if not path.exists():
        return frozenset(), {}, {}, (), (), {}
    data = c.load(path)
    if data is None:
        return frozenset(), {}, {}, (), (), {}
    spec = {
        "stopwords": (list, False),
        "synonyms": (dict, False),
        "words": (dict, False),
        "background": (list, False),
        "offtopic": (list, False),
    }
    if not c.fields(data, rel, spec, "matching.yaml"):
        return frozenset(), {}, {}, (), (), {}
    stopwords = frozenset(w.lower() for w in c.texts(data, "stopwords", rel))
    synonyms: dict[str, tuple[str, ...]] = {}
    synonym_lines: dict[str, int] = {}
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
        synonym_lines[canonical.lower()] = line
    words: dict[str, tuple[str, ...]] = {}
    lists = data.get("words") or {}
    for key, value in lists.items():
        line = line_of(lists, key)
        if key not in MATCH_WORDS:
            c.add(rel, line, f"unknown word list {key!r}; known: {', '.join(MATCH_WORDS)}")
        elif not isinstance(value, str):
            c.add(rel, line, f"word list {key!r} must be one text, the words comma separated")
        else:  # still to translate (a new locale): its words are the source language's until then
            text = value.strip()[len(TRANSLATE_MARK) :] if marked(value) else value
            words[key] = tuple(w.strip() for w in text.split(",") if w.strip())
    background = tuple(t for t in c.texts(data, "background", rel) if not marked(t))
    offtopic = tuple(t for t in c.texts(data, "offtopic", rel) if not marked(t))
    return stopwords, synonyms, words, background, offtopic, synonym_lines


def load_smalltalk(c: Collector, path: Path, topics: Topics, locale: str) -> dict[str, SmallTalk]:
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


def load_substances(c: Collector, path: Path, topics: Topics, locale: str) -> dict[str, SubstanceNames]:
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


def load_combo_levels(c: Collector, path: Path, topics: Topics) -> tuple[dict[tuple[str, str], tuple[str, int, bool]], tuple[Source, ...]]:
    """The level of every pair, the line it is on, and whether the two are sold as one another (`lookalike`)."""
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
    out: dict[tuple[str, str], tuple[str, int, bool]] = {}
    for i, item in enumerate(data["pairs"]):
        where = f"pair {i + 1}"
        line = line_of(data["pairs"], i)
        if not c.fields(item, rel, {"pair": (list, True), "risk": (str, True), "lookalike": (bool, False)}, where):
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
        out[(a, b)] = (item["risk"], line, bool(item.get("lookalike")))
    subs = list(topics.combo_substances)
    for i, a in enumerate(subs):
        for b in subs[i + 1 :]:
            key = (a, b) if a <= b else (b, a)
            if key not in out:
                c.add(rel, data.line_of("pairs"), f"the pair {key[0]} + {key[1]} is missing")
    return out, tuple(sources)


def load_combo_reasons(c: Collector, path: Path, pairs: Iterable[tuple[str, str]], locale: str) -> dict[tuple[str, str], str]:
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
class Countries:
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


def _country_text(c: Collector, raw: LDict, key: str, rel: str, code: str, out: Countries) -> tuple[str, dict[str, str]]:
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


def load_countries(c: Collector, path: Path) -> Countries:
    rel = c.rel(path)
    out = Countries()
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


def load_locale_info(c: Collector, path: Path, code: str) -> tuple[str, str | None]:
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
    "examples": (dict, False),
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


def parse_triggers(c: Collector, data: LDict, key: str, rel: str) -> dict[str, tuple[Trigger, ...]]:
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


def load_flow(c: Collector, path: Path) -> tuple[Flow | None, LDict | None]:
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
    triggers = parse_triggers(c, data, "triggers", rel)
    signals = {str(loc): c.texts(data["signals"], loc, rel) for loc in (data.get("signals") or {})}
    examples = {str(loc): c.texts(data["examples"], loc, rel) for loc in (data.get("examples") or {})}
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
    flow = Flow(flow_id, data["emergency"], triggers, signals, data["start"], steps, rel, title, examples)
    return flow, data
