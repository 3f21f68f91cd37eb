"""The combo table: levels fixed in review, every pair rated and explained in every locale, reasons that
agree with their level.

Levels follow TripSit (combos.json of TripSit/drugs) where TripSit rates the pair; where we depart, the
English reason says so and names a source (see the header of knowledge/combos.yaml)."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest

from bot.content import Content, load_content, validate_content

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("en", "ru", "uk")
LOW = ("low-risk-synergy", "low-risk-no-synergy", "low-risk-decrease")
HIGH = ("dangerous", "unsafe")
OWN = {
    "knowledge/combos.yaml",
    *(f"knowledge/{code}/{name}.yaml" for code in LOCALES for name in ("combos", "substances")),
}

FIXED = {
    # gabapentinoids with stimulants: seizures, and the stimulant hides the sedation and wears off first
    ("amphetamines", "gabapentinoids"): "unsafe",
    ("gabapentinoids", "mdma"): "unsafe",
    ("cocaine", "gabapentinoids"): "unsafe",
    ("cathinones", "gabapentinoids"): "unsafe",
    ("gabapentinoids", "methamphetamine"): "unsafe",
    # gabapentinoids with seizure-prone drugs (TripSit pregabalin rows)
    ("gabapentinoids", "nbomes"): "dangerous",
    ("caffeine", "gabapentinoids"): "unsafe",
    ("dxm", "gabapentinoids"): "unsafe",
    # antidepressants: the level agrees with the mdma, mixing-drugs and serotonin-syndrome entries
    ("mdma", "ssris"): "caution",
    ("cocaine", "ssris"): "caution",
    # new substances
    ("pde5-inhibitors", "poppers"): "dangerous",
    ("lithium", "lsd"): "dangerous",
    ("lithium", "mushrooms"): "dangerous",
}

# A low-risk reason must not call the mix dangerous or tell people not to mix ("no dangerous interaction" is fine).
LOW_CONTRADICTS = re.compile(r"(?<!\bno )(?<!\bnot )\bdangerous\b|\b(?:don'?t|do not|never) (?:mix|combine)\b", re.IGNORECASE)
# A dangerous or unsafe reason must not say there is nothing to worry about.
HIGH_CONTRADICTS = re.compile(r"\bno (?:important|real|major|strong|unexpected|likely|dangerous) interaction\b|\blow risk\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(ROOT)


def key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def test_no_problems_in_the_combo_files() -> None:
    _, problems = validate_content(ROOT)
    mine = [str(p) for p in problems if p.path in OWN]
    assert not mine, "\n".join(mine)


@pytest.mark.parametrize(("pair", "level"), sorted(FIXED.items()), ids=lambda v: "+".join(v) if isinstance(v, tuple) else v)
def test_fixed_levels(content: Content, pair: tuple[str, str], level: str) -> None:
    combo = content.combo(*pair)
    assert combo is not None, f"{pair} is missing"
    assert combo.risk == level


@pytest.mark.parametrize("pair", [("mdma", "ssris"), ("cocaine", "ssris")])
def test_departures_from_tripsit_say_why(content: Content, pair: tuple[str, str]) -> None:
    # TripSit rates both low risk; our reason says we differ and names the source.
    reason = content.combo(*pair).reasons["en"]
    assert "TripSit" in reason
    assert re.search(r"Silins|MedlinePlus", reason)


def test_every_pair_has_a_level_and_a_reason_in_every_locale(content: Content) -> None:
    subs = content.topics.combo_substances
    assert len(subs) == 33
    pairs = [key(a, b) for a, b in combinations(subs, 2)]
    assert len(pairs) == 528
    assert set(content.combos) == set(pairs)
    missing = []
    for pair in pairs:
        combo = content.combos[pair]
        assert combo.risk in content.topics.risk_levels, pair
        for code in LOCALES:
            text = combo.reasons.get(code, "")
            if not text.strip():  # an untranslated ("TRANSLATE:") reason loads as ""
                missing.append(f"{code}: {'+'.join(pair)}")
    assert not missing, f"{len(missing)} reasons missing:\n" + "\n".join(missing[:20])


def test_reasons_are_written_per_locale(content: Content) -> None:
    same = [
        f"{code}: {'+'.join(pair)}"
        for pair, combo in content.combos.items()
        for code in ("ru", "uk")
        if combo.reasons[code] == combo.reasons["en"]
    ]
    assert not same, "\n".join(same)


def test_no_reason_contradicts_its_level(content: Content) -> None:
    bad = []
    for pair, combo in sorted(content.combos.items()):
        reason = combo.reasons["en"]
        if combo.risk in LOW and LOW_CONTRADICTS.search(reason):
            bad.append(f"{'+'.join(pair)} is {combo.risk} but says: {reason}")
        if combo.risk in HIGH and HIGH_CONTRADICTS.search(reason):
            bad.append(f"{'+'.join(pair)} is {combo.risk} but says: {reason}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("code", "sid", "words"),
    [
        ("en", "pde5-inhibitors", ["viagra", "cialis", "sildenafil", "tadalafil"]),
        ("en", "poppers", ["poppers", "rush", "amyl"]),
        ("en", "diphenhydramine", ["diphenhydramine", "benadryl"]),
        ("en", "lithium", ["lithium"]),
        ("ru", "pde5-inhibitors", ["виагра", "сиалис", "силденафил"]),
        ("ru", "poppers", ["попперсы", "раш"]),
        ("ru", "diphenhydramine", ["димедрол"]),
        ("ru", "lithium", ["литий"]),
        ("uk", "pde5-inhibitors", ["віагра", "сіаліс", "силденафіл"]),
        ("uk", "poppers", ["попперси", "раш"]),
        ("uk", "diphenhydramine", ["димедрол"]),
        ("uk", "lithium", ["літій"]),
    ],
)
def test_new_substances_have_names_and_aliases(content: Content, code: str, sid: str, words: list[str]) -> None:
    names = content.locales[code].substances[sid]
    assert names.name
    for word in words:
        assert word in names.aliases, f"{code} {sid}: {word!r}"


@pytest.mark.parametrize("code", LOCALES)
def test_each_alias_belongs_to_one_substance(content: Content, code: str) -> None:
    owner: dict[str, str] = {}
    twice = []
    for sid, names in content.locales[code].substances.items():
        for alias in names.aliases:
            low = alias.lower()
            if owner.setdefault(low, sid) != sid:
                twice.append(f"{alias!r}: {owner[low]} and {sid}")
    assert not twice, "\n".join(twice)
