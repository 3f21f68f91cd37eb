"""Load and validate all content into immutable models, collecting every problem as `file:line: message`.

The work is split: `files` reads YAML safely, `schema` checks each file on its own, `crosscheck` what files
say about each other, `collector` holds the problems and the rules of a locale still being translated (`gap`);
this module runs them in order."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from ..cache import cache_dir, code_version, read_pickle, write_pickle
from ..errors import ContentError, Problem
from ..yamlsafe import LDict
from .collector import DEFAULT_LOCALE, LOCALE_RE, Collector
from .crosscheck import check_callers_law, check_contract_flows, check_flow_links, check_locales, check_synonym_aliases
from .files import inside, tree_digest
from .models import (
    Combo,
    Content,
    Entry,
    Flow,
    LocalePack,
)
from .schema import (
    load_combo_levels,
    load_combo_reasons,
    load_countries,
    load_entry,
    load_flow,
    load_locale_info,
    load_matching,
    load_smalltalk,
    load_strings,
    load_substances,
    load_topics,
)


def _collect(root: Path, only_locale: str | None = None) -> tuple[Content | None, list[Problem]]:
    c = Collector(root)
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
    topics = load_topics(c, knowledge / "topics.yaml")
    loaded = load_countries(c, knowledge / "countries.yaml")
    countries, default_emergency = loaded.countries, loaded.default_emergency
    levels, combo_sources = load_combo_levels(c, knowledge / "combos.yaml", topics)

    if not any(p.name == DEFAULT_LOCALE for p in locale_dirs):
        c.add("knowledge", 1, f"the default locale folder knowledge/{DEFAULT_LOCALE}/ is missing")
    locales: dict[str, LocalePack] = {}
    string_lines: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[tuple[str, str], str]] = {}
    for ldir in locale_dirs:
        code = ldir.name
        name, fallback = load_locale_info(c, ldir / "locale.yaml", code)
        strings, string_lines[code] = load_strings(c, ldir / "strings.yaml", code)
        stopwords, synonyms, words, background, offtopic, synonym_lines = load_matching(c, ldir / "matching.yaml")
        substances = load_substances(c, ldir / "substances.yaml", topics, code)
        check_synonym_aliases(c, f"knowledge/{code}/matching.yaml", synonyms, synonym_lines, substances)
        smalltalk = load_smalltalk(c, ldir / "smalltalk.yaml", topics, code)
        reasons[code] = load_combo_reasons(c, ldir / "combos.yaml", levels, code)
        entries: dict[str, Entry] = {}
        entry_dir = ldir / "entries"
        for path in sorted(entry_dir.glob("*.yaml")) if entry_dir.is_dir() else []:
            entry = load_entry(c, path, code)
            if entry is None:
                if c.rel(path) not in c.dropped:  # still to translate is no error: the fallback locale covers it
                    c.unusable.add(c.rel(path))
                continue
            if entry.id in entries:
                c.add(entry.path, 1, f"duplicate entry id {entry.id!r} (also in {entries[entry.id].path})")
                continue
            entries[entry.id] = entry
        locales[code] = LocalePack(
            code,
            strings,
            stopwords,
            synonyms,
            substances,
            entries,
            name,
            fallback,
            code in c.partial,
            smalltalk,
            words,
            background,
            offtopic,
        )

    check_locales(c, locales, topics, string_lines, default_emergency, knowledge)

    flows: dict[str, Flow] = {}
    raws: dict[str, LDict] = {}
    if not dialogues.is_dir():
        c.add("dialogues", 1, f"no dialogues/ folder under {root}")
    for path in sorted(dialogues.glob("*.yaml")) if dialogues.is_dir() else []:
        flow, raw = load_flow(c, path)
        if flow is None or raw is None:
            c.unusable.add(c.rel(path))
            continue
        if flow.id in flows:
            c.add(flow.path, 1, f"duplicate flow id {flow.id!r} (also in {flows[flow.id].path})")
            continue
        flows[flow.id] = flow
        raws[flow.id] = raw
    for fid, flow in flows.items():
        check_flow_links(c, flow, raws[fid], flows, locales)
    says_law = next((f.path for f in flows.values() for st in f.steps.values() if any("{callers_law}" in t for t in st.say.values())), None)
    check_callers_law(c, loaded, locales, says_law)
    check_contract_flows(c, topics, flows, raws)

    c.report_untranslated(locales)

    combos = {
        pair: Combo(pair, risk, {code: reasons[code].get(pair, "") for code in locales}, lookalike)
        for pair, (risk, _, lookalike) in levels.items()
    }
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


def load_content(root: Path, *, cache: bool = True) -> Content:
    """Load and validate; raise ContentError listing every error (warnings of partial locales are allowed).

    Content that loaded cleanly is cached by the hash of its files and of this code (bot/cache.py): the same
    files load again in a twentieth of the time. `validate` and reloads read the files in full."""
    root = Path(root)
    key = _cache_key(root) if cache else ""
    if key and (found := read_pickle(f"content-{key}.pickle", key, Content)) is not None and found.digest == key:
        return dataclasses.replace(found, root=str(root))
    content, problems = _collect(root)
    errors = [p for p in problems if not p.warning]
    if errors or content is None:
        raise ContentError(errors or [Problem("knowledge", 1, "no content")])
    if key:
        content = dataclasses.replace(content, digest=key)
        write_pickle(f"content-{key}.pickle", key, content)
    return content


def _cache_key(root: Path) -> str:
    if cache_dir() is None:
        return ""
    files = tree_digest(root)
    return hashlib.sha256(f"{files} {code_version()}".encode()).hexdigest()[:32] if files else ""
