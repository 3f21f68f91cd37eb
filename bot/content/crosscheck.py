"""Cross-file checks: what one file says about another (links between flows and entries, ids the contract
needs, the law line's placeholder, an emergency flow's first step)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..yamlsafe import LDict, LList, line_of
from .collector import DEFAULT_LOCALE, LOCALE_RE, Collector
from .models import (
    Flow,
    LocalePack,
    SubstanceNames,
    Topics,
)
from .schema import Countries

# Every flow has a title in every locale (cards and buttons show it); False turns a missing one into a warning.
FLOW_TITLE_REQUIRED = True
NUMBERED_RE = re.compile(r"^\s*\d+[.)]\s")


def check_callers_law(c: Collector, loaded: Countries, locales: Iterable[str], used_in: str | None) -> None:
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


def check_flow_links(c: Collector, flow: Flow, raw: LDict, flows: dict[str, Flow], locales: dict[str, LocalePack]) -> None:
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
    for key, table in (("triggers", flow.triggers), ("signals", flow.signals), ("examples", flow.examples)):
        for loc in table:
            if loc not in locales:
                c.add(rel, line_of(raw[key], loc), f"{key} for {loc!r}, which is not a locale")
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


def _check_emergency_start(c: Collector, flow: Flow, raw: LDict) -> None:
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


def check_synonym_aliases(
    c: Collector, rel: str, synonyms: Mapping[str, tuple[str, ...]], lines: Mapping[str, int], substances: Mapping[str, SubstanceNames]
) -> None:
    """A synonym turns its variants into its canonical word before anything is matched: a variant that names one
    substance under a canonical word that names another would be read as that other one (ayahuasca, an MAOI,
    under «дмт» was read as DMT, and with antidepressants "low risk" instead of dangerous)."""
    owner: dict[str, str] = {}
    for sid, names in substances.items():
        for alias in (sid, *names.aliases):
            owner.setdefault(alias.lower(), sid)
    for canonical, variants in synonyms.items():
        target = owner.get(canonical)
        if target is None:
            continue
        for variant in variants:
            other = owner.get(variant.lower())
            if other is not None and other != target:
                c.add(
                    rel,
                    lines.get(canonical, 1),
                    f"{variant!r} names {other!r} (substances.yaml) but is a variant of {canonical!r}, which names "
                    f"{target!r}: it would be read as {target!r}",
                )


def check_locales(
    c: Collector,
    locales: dict[str, LocalePack],
    topics: Topics,
    string_lines: dict[str, dict[str, int]],
    default_emergency: Mapping[str, str],
    knowledge: Path,
) -> None:
    """Every locale against the default one: strings, entries (the contract's and the default locale's),
    related ids, the default emergency line. In a partial locale each gap is a warning (`Collector.gap`)."""
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


def check_contract_flows(c: Collector, topics: Topics, flows: dict[str, Flow], raws: dict[str, LDict]) -> None:
    """Every flow and emergency flow of topics.yaml is there, and an emergency one says so."""
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
