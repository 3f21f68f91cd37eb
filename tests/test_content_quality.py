"""The shipped knowledge base against the content rules (issue: the knowledge base)."""

from __future__ import annotations

import itertools

import pytest

from bot.content import Content
from bot.engine import Engine

SUBSTANCE_ENTRIES = {
    "alcohol", "tobacco-nicotine", "cannabis", "synthetic-cannabinoids", "heroin", "fentanyl", "nitazenes", "xylazine",
    "prescription-opioids", "methadone-buprenorphine", "cocaine", "crack-cocaine", "methamphetamine", "amphetamine",
    "synthetic-cathinones", "mdma", "ketamine", "ghb-gbl", "benzodiazepines", "gabapentinoids", "lsd", "psilocybin",
    "dmt", "nitrous-oxide", "poppers", "dxm",
}  # fmt: skip


def complete(content: Content) -> dict:
    """Locales marked complete; a partial one (still being translated) falls back for what it lacks."""
    return {code: pack for code, pack in content.locales.items() if not pack.partial}


def test_every_answer_id_exists_in_every_locale(real_content: Content) -> None:
    for code, pack in complete(real_content).items():
        missing = set(real_content.topics.answer) - set(pack.entries)
        assert not missing, f"{code} lacks {sorted(missing)}"


def test_every_entry_is_sourced_reviewed_and_phone_sized(real_content: Content) -> None:
    for pack in real_content.locales.values():
        for entry in pack.entries.values():
            assert entry.sources, entry.path
            assert all(s.url.startswith("https://") and s.title for s in entry.sources), entry.path
            assert entry.reviewed.year >= 2025, entry.path
            assert len(entry.answer) <= 1200, f"{entry.path}: first screen is {len(entry.answer)} characters"
            assert len(entry.questions) >= 8, f"{entry.path}: only {len(entry.questions)} questions"


def test_substance_entries_point_to_the_combo_checker(real_content: Content) -> None:
    words = {"en": "combo", "ru": "комбо", "uk": "комбо"}
    for code, pack in complete(real_content).items():
        for entry_id in (SUBSTANCE_ENTRIES - {"tobacco-nicotine"}) & set(pack.entries):
            entry = pack.entries[entry_id]
            text = f"{entry.answer}\n{entry.more or ''}".casefold()
            assert words.get(code, "combo") in text or "сочетан" in text, f"{entry.path} does not mention the combo checker"


def test_every_pair_exists_once_and_reads_the_same_both_ways(real_content: Content) -> None:
    subs = real_content.topics.combo_substances
    assert len(real_content.combos) == len(subs) * (len(subs) - 1) // 2
    for a, b in itertools.combinations(subs, 2):
        one, other = real_content.combo(a, b), real_content.combo(b, a)
        assert one is not None and one is other
        assert one.risk in real_content.topics.risk_levels
        for code in complete(real_content):
            assert one.reasons.get(code), f"no {code} reason for {a}+{b}"


def test_every_substance_has_aliases_in_every_locale(real_content: Content) -> None:
    for code, pack in complete(real_content).items():
        for sid in real_content.topics.combo_substances:
            assert sid in pack.substances and len(pack.substances[sid].aliases) >= 2, f"{code}: {sid}"


@pytest.mark.parametrize("locale", ["en", "ru", "uk"])
def test_every_alias_alone_names_its_substance(real_engine: Engine, locale: str) -> None:
    """A synonym or stop word that takes an alias's stem hides the substance everywhere: «спід» (speed) was a
    synonym of «віл» (HIV), so «спід з пивом» named one substance; an alias its own `unless` blocks is dead."""
    index = real_engine.bundle.index
    wrong = [
        (alias, sid, found)
        for sid, substance in real_engine.content.locales[locale].substances.items()
        for alias in substance.aliases
        if (found := index.substances(alias, locale)) != [sid]
    ]
    assert not wrong, wrong


@pytest.mark.parametrize("locale", ["en", "ru", "uk"])
def test_combo_answers_read_the_same_in_either_order(real_engine: Engine, locale: str) -> None:
    pack = real_engine.content.locales[locale]
    names = {sid: pack.substances[sid].aliases[0] for sid in ("alcohol", "cocaine", "opioids", "benzodiazepines")}
    joiner = {"en": " and ", "ru": " и ", "uk": " і "}[locale]
    for a, b in itertools.combinations(names, 2):
        one = real_engine.classify(names[a] + joiner + names[b], locale)
        two = real_engine.classify(names[b] + joiner + names[a], locale)
        assert one.kind == two.kind == "combo" and one.substances == two.substances and one.risk == two.risk


def test_emergency_texts_start_with_the_number(real_content: Content) -> None:
    for flow in real_content.flows.values():
        if flow.emergency:
            for code, text in flow.steps[flow.start].say.items():
                assert text.lstrip().startswith("1. ") and "{emergency}" in text.splitlines()[0], f"{flow.path} {code}"


def test_ukrainian_is_a_full_locale_with_every_text_its_own(real_content: Content) -> None:
    """uk is complete: nothing falls back to en, no text is left marked TRANSLATE:, every flow speaks uk."""
    uk, en = real_content.locales["uk"], real_content.locales["en"]
    assert not uk.partial and set(uk.entries) == set(en.entries)
    for entry in uk.entries.values():
        texts = (entry.title, entry.answer, entry.more or "", *entry.questions)
        assert not any("TRANSLATE:" in t for t in texts), entry.path
        # the matcher learns each locale from its own phrasings: uk may not fall far behind en
        assert len(entry.questions) >= 0.75 * len(en.entries[entry.id].questions), f"{entry.path}: far fewer phrasings than en"
        assert entry.answer != en.entries[entry.id].answer, f"{entry.path}: the answer is the English one"
    assert not any("TRANSLATE:" in text for text in uk.strings.values())
    for flow in real_content.flows.values():
        assert flow.triggers.get("uk"), f"{flow.path}: no uk triggers"
        for step in flow.steps.values():
            assert step.say.get("uk") and "TRANSLATE:" not in step.say["uk"], f"{flow.path} {step.id}"
            assert all(b.label.get("uk") for b in step.buttons), f"{flow.path} {step.id}: a button has no uk label"
            assert step.input is None or step.input.retry.get("uk"), f"{flow.path} {step.id}: no uk retry"
