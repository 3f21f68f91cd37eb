"""One broken fixture per validation rule, each with its exact `file:line: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content import crosscheck, load_content, validate_content
from bot.engine import Engine, Incoming
from bot.errors import ContentError
from bot.session import Session


def edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace `old` with `new` in a content file; return the 1-based line where the change starts."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def make_partial(root: Path, code: str) -> None:
    (root / "knowledge" / code / "locale.yaml").write_text(f"name: {code}\nstatus: partial\nfallback: en\n", encoding="utf-8")


def problems(root: Path) -> list[str]:
    _, found = validate_content(root)
    return [str(p) for p in found]


def test_the_fixture_is_clean(mini_tree: Path) -> None:
    assert problems(mini_tree) == []


def test_unknown_key(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "keywords:", "colour: red\nkeywords:")
    assert f"knowledge/en/entries/alcohol.yaml:{line}: unknown key 'colour' in an entry" in problems(mini_tree)


def test_misspelt_key_gets_a_suggestion(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "keywords:", "keyword:")
    found = problems(mini_tree)
    assert f"knowledge/en/entries/alcohol.yaml:{line}: unknown key 'keyword' in an entry (did you mean 'keywords'?)" in found


def test_missing_key(mini_tree: Path) -> None:
    edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "title: Alcohol\n", "")
    assert "knowledge/en/entries/alcohol.yaml:1: missing key 'title' in an entry" in problems(mini_tree)


def test_wrong_type(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/naloxone.yaml", "keywords: [naloxone, narcan]", "keywords: naloxone")
    assert f"knowledge/en/entries/naloxone.yaml:{line}: 'keywords' must be a list, got text" in problems(mini_tree)


def test_wrong_date(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/naloxone.yaml", "reviewed: 2026-11-25", "reviewed: last week")
    assert f"knowledge/en/entries/naloxone.yaml:{line}: 'reviewed' must be a date (YYYY-MM-DD), got text" in problems(mini_tree)


def test_duplicate_flow_id(mini_tree: Path) -> None:
    (mini_tree / "dialogues" / "menu2.yaml").write_text((mini_tree / "dialogues" / "menu.yaml").read_text())
    found = problems(mini_tree)
    assert "dialogues/menu2.yaml:1: duplicate flow id 'menu' (also in dialogues/menu.yaml)" in found
    assert "dialogues/menu2.yaml:1: id 'menu' does not match the file name 'menu2.yaml'" in found


def test_id_must_match_file_name(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "id: alcohol", "id: booze")
    assert f"knowledge/en/entries/alcohol.yaml:{line}: id 'booze' does not match the file name 'alcohol.yaml'" in problems(mini_tree)


def test_dangling_related(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "related: [naloxone]", "related: [naloxone, nowhere]")
    assert f"knowledge/en/entries/alcohol.yaml:{line}: related id 'nowhere' does not exist in locale 'en'" in problems(mini_tree)


def test_dangling_step_reference(mini_tree: Path) -> None:
    edit(mini_tree, "dialogues/menu.yaml", "goto: main", "goto: mian")
    text = (mini_tree / "dialogues/menu.yaml").read_text()
    line = text[: text.index("- label: {en: Back")].count("\n") + 1
    assert f"dialogues/menu.yaml:{line}: step 'emergencies' button 2 goes to step 'mian', which does not exist" in problems(mini_tree)


def test_dangling_entry_and_flow_buttons(mini_tree: Path) -> None:
    edit(mini_tree, "dialogues/menu.yaml", "entry: naloxone", "entry: narcan")
    edit(mini_tree, "dialogues/menu.yaml", "flow: combo-check", "flow: combo")
    found = problems(mini_tree)
    assert "dialogues/menu.yaml:13: step 'main' button 1 opens flow 'combo', which does not exist" in found
    assert "dialogues/menu.yaml:15: step 'main' button 2 opens entry 'narcan', which does not exist in 'en'" in found


def test_unreachable_step(mini_tree: Path) -> None:
    path = mini_tree / "dialogues/emergency-overdose.yaml"
    path.write_text(path.read_text() + "  orphan:\n    say: {en: x, ru: x}\n    end: true\n")
    line = path.read_text().splitlines().index("  orphan:") + 1
    assert f"dialogues/emergency-overdose.yaml:{line}: step 'orphan' cannot be reached from start 'call'" in problems(mini_tree)


def test_step_that_cannot_be_left(mini_tree: Path) -> None:
    line = edit(mini_tree, "dialogues/emergency-overdose.yaml", "    end: true\n", "")
    text = (mini_tree / "dialogues/emergency-overdose.yaml").read_text()
    line = text.splitlines().index("  breathing:") + 1
    assert f"dialogues/emergency-overdose.yaml:{line}: step 'breathing' cannot be left: give it buttons, input or end: true" in problems(
        mini_tree
    )


def test_answer_over_the_limit(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "answer: |\n  Eat first", "answer: |\n  " + "x" * 1200 + "\n  Eat")
    assert f"knowledge/en/entries/alcohol.yaml:{line}: answer is 1,248 characters; the limit is 1,200" in problems(mini_tree)


def test_answer_over_the_limit_is_an_error_past_telegrams_limit_even_in_a_partial_locale(mini_tree: Path) -> None:
    make_partial(mini_tree, "ru")
    line = edit(mini_tree, "knowledge/ru/entries/alcohol.yaml", "answer: |\n  ", "answer: |\n  " + "ы" * 1300 + "\n  ")
    assert f"knowledge/ru/entries/alcohol.yaml:{line}: warning: answer is 1,344 characters; the limit is 1,200" in problems(mini_tree)
    edit(mini_tree, "knowledge/ru/entries/alcohol.yaml", "ы" * 1300, "ы" * 4100)
    assert f"knowledge/ru/entries/alcohol.yaml:{line}: answer is 4,144 characters; the limit is 1,200" in problems(mini_tree)


def test_more_over_the_limit(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "more: |\n  More", "more: |\n  " + "x" * 3500 + "\n  More")
    assert f"knowledge/en/entries/alcohol.yaml:{line}: more is 3,520 characters; the limit is 3,500" in problems(mini_tree)


def test_too_few_questions(mini_tree: Path) -> None:
    rel = "knowledge/en/entries/naloxone.yaml"
    path = mini_tree / rel
    text = path.read_text()
    start, end = text.index("questions: ["), text.index("]\n", text.index("questions: [")) + 2
    path.write_text(text[:start] + "questions: [what is naloxone, where do i get narcan]\n" + text[end:])
    assert f"{rel}:3: an entry needs at least 8 questions (phrasings), has 2" in problems(mini_tree)


def test_questions_still_to_translate_do_not_count(mini_tree: Path) -> None:
    make_partial(mini_tree, "ru")
    line = edit(
        mini_tree, "knowledge/ru/entries/alcohol.yaml", "questions: [", "questions: ['TRANSLATE: how to drink', 'TRANSLATE: hangover', "
    )
    found = problems(mini_tree)
    assert f"knowledge/ru/entries/alcohol.yaml:{line}: warning: an entry needs at least 8 questions (phrasings), has 6" not in found
    edit(mini_tree, "knowledge/ru/entries/alcohol.yaml", "как не напиться, ", "")
    edit(mini_tree, "knowledge/ru/entries/alcohol.yaml", "похмелье что делать, ", "")
    edit(mini_tree, "knowledge/ru/entries/alcohol.yaml", "сколько можно пить, ", "")
    found = problems(mini_tree)
    assert f"knowledge/ru/entries/alcohol.yaml:{line}: warning: an entry needs at least 8 questions (phrasings), has 5" in found


def test_entry_of_the_default_locale_missing_in_a_full_locale(mini_tree: Path) -> None:
    text = (mini_tree / "knowledge/en/entries/naloxone.yaml").read_text()
    (mini_tree / "knowledge/en/entries/tolerance.yaml").write_text(text.replace("id: naloxone", "id: tolerance"))
    found = problems(mini_tree)
    assert (
        "knowledge/ru/entries/tolerance.yaml:1: entry 'tolerance' is missing in locale 'ru' (it is in knowledge/en/entries/tolerance.yaml)"
        in found
    )
    make_partial(mini_tree, "ru")
    assert (
        "knowledge/ru/entries/tolerance.yaml:1: warning: entry 'tolerance' is missing in locale 'ru' "
        "(it is in knowledge/en/entries/tolerance.yaml)" in problems(mini_tree)
    )


def test_translate_mark_left_in_a_full_locale(mini_tree: Path) -> None:
    qline = edit(mini_tree, "knowledge/ru/entries/alcohol.yaml", "как пить безопаснее", "'TRANSLATE: how to drink safer'")
    mline = edit(mini_tree, "knowledge/ru/entries/naloxone.yaml", "answer: |", "more: 'TRANSLATE: More.'\nanswer: |")
    tline = edit(mini_tree, "dialogues/menu.yaml", "ru: [меню]", "ru: [меню, 'TRANSLATE: main menu']")
    sline = edit(mini_tree, "dialogues/menu.yaml", "ru: Что нужно?", "ru: 'TRANSLATE: What do you need?'")
    found = problems(mini_tree)
    assert f"knowledge/ru/entries/alcohol.yaml:{qline}: text is not translated yet (it still starts with TRANSLATE:)" in found
    assert f"knowledge/ru/entries/naloxone.yaml:{mline}: text is not translated yet (it still starts with TRANSLATE:)" in found
    assert f"dialogues/menu.yaml:{tline}: text is not translated yet (it still starts with TRANSLATE:)" in found
    assert f"dialogues/menu.yaml:{sline}: step 'main' 'say' for 'ru' is not translated yet" in found
    _, raw = validate_content(mini_tree)
    assert all(not p.warning for p in raw if "TRANSLATE" in p.message or "not translated" in p.message)
    make_partial(mini_tree, "ru")  # while a locale is partial, the same marks are its to-do list: warnings
    assert f"knowledge/ru/entries/alcohol.yaml:{qline}: warning: text is not translated yet (it still starts with TRANSLATE:)" in (
        problems(mini_tree)
    )


def test_emergency_flow_must_start_with_the_number(mini_tree: Path) -> None:
    rel = "dialogues/emergency-overdose.yaml"
    edit(mini_tree, rel, "        1. Call {emergency} now.\n", "        Stay calm.\n        1. Call {emergency} now.\n")
    edit(mini_tree, rel, "1. Звони {emergency} сейчас.", "1. Звони в скорую сейчас.")
    text = (mini_tree / rel).read_text().splitlines()
    en_line, ru_line = text.index("      en: |") + 1, text.index("      ru: |") + 1
    found = problems(mini_tree)
    rule = "must start with the emergency number, a first line like '1. Call {emergency} now.'"
    assert f"{rel}:{en_line}: emergency flow: the first step's 'en' text {rule}" in found
    assert f"{rel}:{ru_line}: emergency flow: the first step's 'ru' text {rule}" in found
    make_partial(mini_tree, "ru")
    assert f"{rel}:{ru_line}: warning: emergency flow: the first step's 'ru' text {rule}" in problems(mini_tree)


def test_flow_without_a_title_in_every_locale(mini_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rel = "dialogues/emergency-overdose.yaml"
    edit(mini_tree, rel, "title: {en: Overdose, ru: Передозировка}", "title: {en: Overdose}")
    instead = "cards and buttons name it by a first trigger, a button label or its id"
    monkeypatch.setattr(crosscheck, "FLOW_TITLE_REQUIRED", False)  # the warning it was before the flows had titles
    assert f"{rel}:2: warning: flow has no title for 'ru'; {instead}" in problems(mini_tree)
    monkeypatch.setattr(crosscheck, "FLOW_TITLE_REQUIRED", True)
    found = problems(mini_tree)
    assert f"{rel}:2: flow has no title for 'ru'; {instead}" in found
    edit(mini_tree, rel, "title: {en: Overdose}\n", "")
    assert f"{rel}:1: flow has no title for 'en'; {instead}" in problems(mini_tree)


def test_a_broken_file_comes_first_and_what_follows_from_it_says_so(mini_tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(mini_tree, "knowledge/en/entries/naloxone.yaml", "keywords: [naloxone, narcan]", "keywords: [naloxone, narcan")
    edit(mini_tree, "dialogues/combo-check.yaml", "start: first", "start: [first")
    edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "url: https://www.nhs.uk", "url: http://www.nhs.uk")  # unrelated
    found = problems(mini_tree)
    assert found[0].startswith("dialogues/combo-check.yaml:") and "YAML syntax error" in found[0]
    assert found[1].startswith("knowledge/en/entries/naloxone.yaml:") and "YAML syntax error" in found[1]
    assert found[2].startswith("knowledge/en/entries/alcohol.yaml:") and "https://" in found[2]
    after = "(follows from the error in knowledge/en/entries/naloxone.yaml above)"
    assert f"knowledge/en/entries/alcohol.yaml:12: related id 'naloxone' does not exist in locale 'en' {after}" in found
    assert f"dialogues/menu.yaml:15: step 'main' button 2 opens entry 'naloxone', which does not exist in 'en' {after}" in found
    flow_after = "(follows from the error in dialogues/combo-check.yaml above)"
    assert f"dialogues/menu.yaml:13: step 'main' button 1 opens flow 'combo-check', which does not exist {flow_after}" in found
    assert not any("of topics.yaml is missing" in p for p in found)  # the file is there; its error says why
    assert all("follows from" in p for p in found[3:])
    assert main(["--content", str(mini_tree), "validate"]) == 1
    assert capsys.readouterr().out.splitlines() == found


def test_a_broken_locale_file_marks_that_locales_gaps(mini_tree: Path) -> None:
    (mini_tree / "knowledge/ru/locale.yaml").write_text("name: Русский\nstatus: [partial\n")
    edit(mini_tree, "knowledge/ru/strings.yaml", 'clarify: "Что именно тебя интересует?"\n', "")
    found = problems(mini_tree)
    assert found[0].startswith("knowledge/ru/locale.yaml:") and "YAML syntax error" in found[0]
    assert (
        "knowledge/ru/strings.yaml:1: string 'clarify' is missing (it is in knowledge/en/strings.yaml) "
        "(follows from the error in knowledge/ru/locale.yaml above)" in found
    )


def test_problems_carry_their_locale(mini_tree: Path) -> None:
    edit(mini_tree, "knowledge/ru/entries/alcohol.yaml", "url: https://www.who", "url: http://www.who")
    edit(mini_tree, "dialogues/menu.yaml", "      ru: Что случилось?\n", "")
    edit(mini_tree, "knowledge/combos.yaml", "risk: unsafe", "risk: deadly")
    _, found = validate_content(mini_tree)
    by_message = {p.message: p.locale for p in found}
    assert by_message["source 1 url must start with https://"] == "ru"
    assert by_message["step 'emergencies' has no text for locale 'ru'"] == "ru"
    assert next(loc for msg, loc in by_message.items() if "risk 'deadly'" in msg) == ""


def test_callback_data_over_64_bytes(mini_tree: Path) -> None:
    long_step = "s" + "-x" * 40
    edit(mini_tree, "dialogues/menu.yaml", "goto: emergencies", f"goto: {long_step}")
    line = edit(mini_tree, "dialogues/menu.yaml", "  emergencies:", f"  {long_step}:")
    found = problems(mini_tree)
    text = (mini_tree / "dialogues/menu.yaml").read_text()
    bline = text[: text.index(f"goto: {long_step}")].count("\n") + 1
    assert f"dialogues/menu.yaml:{bline}: step 'main' button 3: its callback data is over Telegram's 64 bytes" in found
    assert line > 0


def test_string_missing_in_a_locale(mini_tree: Path) -> None:
    edit(mini_tree, "knowledge/ru/strings.yaml", 'clarify: "Что именно тебя интересует?"\n', "")
    assert "knowledge/ru/strings.yaml:1: string 'clarify' is missing (it is in knowledge/en/strings.yaml)" in problems(mini_tree)


def test_flow_text_missing_in_a_locale(mini_tree: Path) -> None:
    line = edit(mini_tree, "dialogues/menu.yaml", "      ru: Что случилось?\n", "")
    assert f"dialogues/menu.yaml:{line - 2}: step 'emergencies' has no text for locale 'ru'" in problems(mini_tree)


def test_topic_missing_in_a_locale(mini_tree: Path) -> None:
    (mini_tree / "knowledge/ru/entries/alcohol.yaml").unlink()
    found = problems(mini_tree)
    assert "knowledge/ru/entries/alcohol.yaml:1: entry 'alcohol' of topics.yaml is missing in locale 'ru'" in found


def test_topic_flow_missing(mini_tree: Path) -> None:
    (mini_tree / "dialogues/combo-check.yaml").unlink()
    found = problems(mini_tree)
    assert "dialogues/combo-check.yaml:1: flow 'combo-check' of topics.yaml is missing" in found
    assert "dialogues/menu.yaml:13: step 'main' button 1 opens flow 'combo-check', which does not exist" in found


def test_combo_substance_not_in_topics(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/combos.yaml", "pair: [alcohol, cocaine]", "pair: [alcohol, ketamine]")
    found = problems(mini_tree)
    assert f"knowledge/combos.yaml:{line}: pair 1: 'ketamine' is not one of combo_substances in topics.yaml" in found
    assert "knowledge/combos.yaml:5: the pair alcohol + cocaine is missing" in found


def test_combo_level_not_in_topics(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/combos.yaml", "risk: unsafe", "risk: deadly")
    assert any(p.startswith(f"knowledge/combos.yaml:{line}: pair 1: risk 'deadly' is not one of") for p in problems(mini_tree))


def test_combo_pair_listed_twice(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/combos.yaml", "  - pair: [cocaine, opioids]", "  - pair: [cocaine, alcohol]")
    assert f"knowledge/combos.yaml:{line}: pair 3: alcohol + cocaine is listed twice (first at line 6)" in problems(mini_tree)


def test_combo_lookalike_must_be_true_or_false(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/combos.yaml", "risk: unsafe", "risk: unsafe\n    lookalike: yes please")
    assert any(p.startswith(f"knowledge/combos.yaml:{line + 1}: 'lookalike' must be") for p in problems(mini_tree)), problems(mini_tree)


def test_combo_reason_missing(mini_tree: Path) -> None:
    edit(mini_tree, "knowledge/ru/combos.yaml", "  cocaine+opioids: Стимулятор маскирует опиоид, пока не закончится.\n", "")
    assert "knowledge/ru/combos.yaml:1: the reason for cocaine+opioids is missing" in problems(mini_tree)


def test_alias_in_two_substances(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/substances.yaml", "aliases: [coke, charlie]", "aliases: [coke, charlie, booze]")
    assert f"knowledge/en/substances.yaml:{line}: alias 'booze' belongs to both 'alcohol' and 'cocaine'" in problems(mini_tree)


def test_yaml_syntax_error_names_file_and_line(mini_tree: Path) -> None:
    edit(mini_tree, "knowledge/en/entries/naloxone.yaml", "keywords: [naloxone, narcan]", "keywords: [naloxone, narcan")
    found = problems(mini_tree)
    assert any(p.startswith("knowledge/en/entries/naloxone.yaml:") and "YAML syntax error" in p for p in found)


def test_alias_bomb_in_content(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/naloxone.yaml", "keywords: [naloxone, narcan]", "keywords: &k [naloxone]\nx: *k")
    assert f"knowledge/en/entries/naloxone.yaml:{line}: anchors and aliases are not allowed" in problems(mini_tree)


def test_source_needs_https(mini_tree: Path) -> None:
    line = edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "url: https://www.nhs.uk", "url: http://www.nhs.uk")
    assert f"knowledge/en/entries/alcohol.yaml:{line}: source 1 url must start with https://" in problems(mini_tree)


def test_every_problem_is_reported_at_once(mini_tree: Path) -> None:
    edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "related: [naloxone]", "related: [nowhere]")
    edit(mini_tree, "knowledge/combos.yaml", "risk: unsafe", "risk: deadly")
    edit(mini_tree, "dialogues/menu.yaml", "goto: main", "goto: mian")
    assert len(problems(mini_tree)) >= 3
    with pytest.raises(ContentError) as err:
        load_content(mini_tree)
    assert len(err.value.problems) >= 3


def test_locale_filter(mini_tree: Path) -> None:
    edit(mini_tree, "knowledge/ru/strings.yaml", 'clarify: "Что именно тебя интересует?"\n', "")
    edit(mini_tree, "knowledge/en/entries/alcohol.yaml", "related: [naloxone]", "related: [nowhere]")
    _, found = validate_content(mini_tree, "ru")
    assert [p.path for p in found] == ["knowledge/ru/strings.yaml"]


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_shipped_content_is_valid(locale: str) -> None:
    root = Path(__file__).resolve().parent.parent
    _, found = validate_content(root, locale)
    assert [str(p) for p in found] == []


# --- the callers' law line of countries.yaml and {callers_law} in flows ------------------------------------

COUNTRIES = "knowledge/countries.yaml"
LAW = 'callers_law:\n  en: "Laws differ."\n  ru: "Законы разные."\ncountries:'


def test_a_flow_saying_callers_law_needs_the_default_line(mini_tree: Path) -> None:
    edit(
        mini_tree,
        "dialogues/emergency-overdose.yaml",
        "        2. Give naloxone if you have it.\n",
        "        2. Give naloxone.\n        {callers_law}\n",
    )
    assert (
        "knowledge/countries.yaml:1: callers_law (the default for 'en') is missing; dialogues/emergency-overdose.yaml says {callers_law}"
    ) in problems(mini_tree)
    edit(mini_tree, COUNTRIES, "countries:", LAW)
    assert problems(mini_tree) == []


def test_a_callers_law_that_is_not_a_locale_map(mini_tree: Path) -> None:
    line = edit(
        mini_tree,
        COUNTRIES,
        '  GB: {name: United Kingdom, emergency: {en: "999 or 112", ru: "999 или 112"}}',
        '  GB: {name: United Kingdom, emergency: "999", callers_law: none here}',
    )
    assert f"{COUNTRIES}:{line}: 'callers_law' must be a mapping, got text" in problems(mini_tree)


def test_a_callers_law_for_a_locale_that_does_not_exist_or_missing_one(mini_tree: Path) -> None:
    edit(mini_tree, COUNTRIES, "countries:", LAW)
    gb = '  GB:\n    name: United Kingdom\n    emergency: "999"\n    callers_law:\n      en: "No such law."\n      de: "Kein Gesetz."'
    edit(mini_tree, COUNTRIES, '  GB: {name: United Kingdom, emergency: {en: "999 or 112", ru: "999 или 112"}}', gb)
    lines = (mini_tree / COUNTRIES).read_text().splitlines()
    de, key = lines.index('      de: "Kein Gesetz."') + 1, lines.index("    callers_law:") + 1
    found = problems(mini_tree)
    assert f"{COUNTRIES}:{de}: country GB callers_law has text for 'de', which is not a locale" in found
    assert f"{COUNTRIES}:{key}: country GB callers_law has no text for locale 'ru'" in found


def test_an_unknown_placeholder_in_a_flow(mini_tree: Path) -> None:
    line = edit(mini_tree, "dialogues/emergency-overdose.yaml", "1. Call {emergency} now.", "1. Call {emergncy} now.") - 1
    want = "step 'call' text for 'en' has an unknown placeholder {emergncy}; known: {emergency}, {callers_law}"
    assert f"dialogues/emergency-overdose.yaml:{line}: {want}" in problems(mini_tree)


def test_the_line_is_filled_by_country_like_the_number(mini_tree: Path) -> None:
    edit(
        mini_tree,
        "dialogues/emergency-overdose.yaml",
        "        2. Give naloxone if you have it.\n",
        "        2. Give naloxone.\n        Police? {callers_law}\n",
    )
    edit(mini_tree, COUNTRIES, "countries:", LAW)
    edit(
        mini_tree,
        COUNTRIES,
        '  GB: {name: United Kingdom, emergency: {en: "999 or 112", ru: "999 или 112"}}',
        '  GB: {name: United Kingdom, emergency: "999", callers_law: {en: "No such law in the UK.", ru: "Нет."}}',
    )
    engine = Engine(load_content(mini_tree))
    session = Session()
    assert engine.handle(Incoming(text="not breathing"), session)[-1].text.endswith("Police? Laws differ.")
    engine.handle(Incoming(text="/country GB"), session)
    assert engine.handle(Incoming(text="not breathing"), session)[-1].text.endswith("Police? No such law in the UK.")


# --- a country's emergency numbers per locale ---------------------------------------------------------------

GB = '  GB: {name: United Kingdom, emergency: {en: "999 or 112", ru: "999 или 112"}}'


def gb(mini_tree: Path, emergency: str) -> dict[str, int]:
    """Write GB's emergency key as the given block lines; return the line of each of them by its first word."""
    edit(mini_tree, COUNTRIES, GB, "  GB:\n    name: United Kingdom\n" + emergency)
    lines = (mini_tree / COUNTRIES).read_text().splitlines()
    return {line.split(":")[0].strip(): i + 1 for i, line in enumerate(lines) if line.startswith("    ")}


def test_a_translation_that_changes_a_number(mini_tree: Path) -> None:
    at = gb(mini_tree, '    emergency:\n      en: "999 or 112"\n      ru: "998 или 112"\n')
    want = "country GB emergency for 'ru' names the numbers 112, 998 but 'en' names 112, 999: a translation must keep every number"
    assert f"{COUNTRIES}:{at['ru']}: {want}" in problems(mini_tree)


def test_a_translation_that_drops_a_number(mini_tree: Path) -> None:
    at = gb(mini_tree, '    emergency:\n      en: "999 or 112"\n      ru: "999"\n')
    want = "country GB emergency for 'ru' names the numbers 999 but 'en' names 112, 999: a translation must keep every number"
    assert problems(mini_tree) == [f"{COUNTRIES}:{at['ru']}: {want}"]


def test_emergency_texts_for_no_locale_without_en_or_empty(mini_tree: Path) -> None:
    at = gb(mini_tree, '    emergency:\n      en: "999 or 112"\n      ru: "999 или 112"\n      de: "999 oder 112"\n')
    assert problems(mini_tree) == [f"{COUNTRIES}:{at['de']}: country GB emergency has text for 'de', which is not a locale"]


def test_emergency_without_en(mini_tree: Path) -> None:
    at = gb(mini_tree, '    emergency:\n      ru: "999 или 112"\n')
    assert problems(mini_tree) == [f"{COUNTRIES}:{at['emergency']}: country GB emergency has no text for 'en', the default locale"]


def test_emergency_with_an_empty_text_or_a_missing_locale(mini_tree: Path) -> None:
    at = gb(mini_tree, '    emergency:\n      en: "999 or 112"\n      ru: ""\n')
    found = problems(mini_tree)
    assert f"{COUNTRIES}:{at['ru']}: country GB emergency for 'ru' must be non-empty text" in found
    assert f"{COUNTRIES}:{at['emergency']}: country GB emergency has no text for locale 'ru'" not in found  # one problem, not two


def test_emergency_missing_a_locale(mini_tree: Path) -> None:
    at = gb(mini_tree, '    emergency: {en: "999 or 112"}\n')
    assert problems(mini_tree) == [f"{COUNTRIES}:{at['emergency']}: country GB emergency has no text for locale 'ru'"]


def test_one_emergency_text_is_numbers_only(mini_tree: Path) -> None:
    at = gb(mini_tree, '    emergency: "999 or 112"\n')
    want = "country GB emergency '999 or 112' has words: write numbers only, or a text per locale {en: ..., ru: ...}"
    assert problems(mini_tree) == [f"{COUNTRIES}:{at['emergency']}: {want}"]
    edit(mini_tree, COUNTRIES, '    emergency: "999 or 112"', '    emergency: "999, 112"')
    assert problems(mini_tree) == []


def test_a_country_name_per_locale(mini_tree: Path) -> None:
    edit(mini_tree, COUNTRIES, "name: United Kingdom,", "name: {en: United Kingdom, ru: Великобритания},")
    assert problems(mini_tree) == []
    engine = Engine(load_content(mini_tree))
    session = Session(locale="ru")
    assert (
        engine.handle(Incoming(text="/country gb"), session)[-1].text == "Номер экстренной службы для страны Великобритания: 999 или 112."
    )
    session = Session(locale="en")
    assert engine.handle(Incoming(text="/country gb"), session)[-1].text == "Emergency number set for United Kingdom: 999 or 112."
    reply = engine.handle(Incoming(text="not breathing"), session)[-1]
    assert reply.text.startswith("1. Call 999 or 112 now.")


def test_flow_examples_for_no_locale(mini_tree: Path) -> None:
    line = edit(mini_tree, "dialogues/emergency-overdose.yaml", "signals:", 'examples:\n  de: ["er atmet nicht mehr"]\nsignals:')
    assert problems(mini_tree) == [f"dialogues/emergency-overdose.yaml:{line + 1}: examples for 'de', which is not a locale"]


def test_offtopic_must_be_a_list_of_texts(mini_tree: Path) -> None:
    path = mini_tree / "knowledge/en/matching.yaml"
    lines = path.read_text(encoding="utf-8").count("\n")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("offtopic: will it rain tomorrow\n")
    assert f"knowledge/en/matching.yaml:{lines + 1}: 'offtopic' must be a list, got text" in problems(mini_tree), problems(mini_tree)


def test_a_synonym_that_turns_one_substance_into_another(mini_tree: Path) -> None:
    """Ayahuasca (an MAOI) under the synonym «дмт» was read as DMT, and "low risk" with antidepressants."""
    line = edit(mini_tree, "knowledge/en/matching.yaml", "cocaine: [coke, charlie]", "cocaine: [coke, charlie, booze]")
    want = (
        f"knowledge/en/matching.yaml:{line}: 'booze' names 'alcohol' (substances.yaml) but is a variant of 'cocaine', which names 'cocaine'"
    )
    assert any(p.startswith(want) for p in problems(mini_tree)), problems(mini_tree)
