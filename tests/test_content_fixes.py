"""Review findings of issue 12 that could hurt: each sentence stays fixed (present or gone)."""

from __future__ import annotations

from bot.content import Content


def text(content: Content, locale: str, entry_id: str) -> str:
    entry = content.locales[locale].entries[entry_id]
    return f"{entry.answer}\n{entry.more}"


def test_fentanyl_strips_need_more_water_for_meth_and_mdma_in_russian(real_content: Content) -> None:
    ru = text(real_content, "ru", "drug-checking")
    assert "в очень небольшом объёме" not in ru
    assert "слишком мало" in ru and "большем объёме" in ru


def test_on_demand_prep_is_for_anal_sex_only(real_content: Content) -> None:
    en = text(real_content, "en", "hiv-prevention")
    assert "is only for anal sex" in en and "not for vaginal sex or for injecting" in en


def test_manganese_poisoning_is_blamed_on_ephedrone_not_vint(real_content: Content) -> None:
    ru = text(real_content, "ru", "methamphetamine")
    assert "(марганец, йод, фосфор)" not in ru
    assert "Эфедрон" in ru and "марганцовкой" in ru


def test_a_phone_line_never_promises_that_police_stay_away(real_content: Content) -> None:
    en = text(real_content, "en", "never-use-alone")
    assert "They do not call the police" not in en
    assert "the police may come" in en
