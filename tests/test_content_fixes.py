"""Review findings of issue 12 that could hurt: each sentence stays fixed (present or gone)."""

from __future__ import annotations

from bot.content import Content


def text(content: Content, locale: str, entry_id: str) -> str:
    entry = content.entry(locale, entry_id)
    assert entry is not None
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


def test_one_water_figure_everywhere(real_content: Content) -> None:
    assert "about 500 ml" in text(real_content, "en", "hydration-heat").replace("500 ml (a pint)", "about 500 ml")
    for locale in real_content.locales:
        for entry in real_content.locales[locale].entries.values():
            assert "glass an hour" not in f"{entry.answer}{entry.more}"
            assert "стакана в час" not in f"{entry.answer}{entry.more}"
        for reason in (c.reasons.get(locale, "") for c in real_content.combos.values()):
            assert "glass an hour" not in reason and "стакана в час" not in reason and "склянку на годину" not in reason


def test_ketamine_bladder_treatment_does_not_warn_off_painkillers(real_content: Content) -> None:
    en = text(real_content, "en", "ketamine")
    assert "painkillers and alcohol can make it worse" not in en and "painkillers" in en


def test_harm_reduction_international_is_not_a_directory_of_services(real_content: Content) -> None:
    for locale in real_content.locales:
        for entry_id in ("local-services", "needle-exchange"):
            body = text(real_content, locale, entry_id)
            assert "has maps and reports on services" not in body
            assert "Harm Reduction International and national harm reduction organisations list services" not in body


def test_cpr_after_a_seizure_starts_at_once(real_content: Content) -> None:
    step = real_content.flows["emergency-seizure"].steps["cpr"]
    for locale, say in step.say.items():
        assert "after about a minute" not in say and "через минуту" not in say and "через хвилину" not in say, locale
    assert "start CPR now" in step.say["en"]


# Facts whose absence could hurt (issue 14 review): each stays in every locale. A uk entry still being translated
# falls back to en, so its uk text is either the Ukrainian wording or the English one it falls back to.
def has_any(body: str, *phrases: str) -> bool:
    return any(phrase in body for phrase in phrases)


def test_loperamide_warning_in_opioid_withdrawal(real_content: Content) -> None:
    wanted = {"en": ("label dose", "stop the heart"), "ru": ("по инструкции", "остановить сердце")}
    wanted["uk"] = ("дозі з інструкції", "зупинити серце")
    for locale, phrases in wanted.items():
        body = text(real_content, locale, "opioid-withdrawal")
        assert all(p in body for p in phrases), locale
        assert "QT" in body, locale


def test_benzo_dope_naloxone_brings_breathing_not_consciousness(real_content: Content) -> None:
    wanted = {
        "en": ("bromazolam", "dose after dose"),
        "ru": ("бромазолам", "дозу за дозой"),
        "uk": ("бромазолам", "дозу за дозою"),
    }
    for locale, phrases in wanted.items():
        for entry_id in ("fentanyl", "naloxone"):
            body = text(real_content, locale, entry_id)
            assert all(p in body for p in phrases), (locale, entry_id)
    assert "breathing back but not consciousness" in text(real_content, "en", "fentanyl")
    assert "возвращает дыхание, но не сознание" in text(real_content, "ru", "fentanyl")
    assert "повертає дихання, але не свідомість" in text(real_content, "uk", "fentanyl")


def test_fentanyl_patches_never_cut_or_heated(real_content: Content) -> None:
    wanted = {
        "en": ("never cut, chew", "Heat raises the dose", "take the patch off"),
        "ru": ("не режь, не жуй", "Тепло повышает дозу", "сними пластырь"),
        "uk": ("не ріж, не жуй", "Тепло підвищує дозу", "зніми пластир"),
    }
    for locale, phrases in wanted.items():
        body = text(real_content, locale, "fentanyl")
        assert all(p in body for p in phrases), locale


def test_a_negative_strip_can_miss_carfentanil(real_content: Content) -> None:
    word = {"en": "carfentanil", "ru": "карфентанил", "uk": "карфентаніл"}
    for locale, carfentanil in word.items():
        for entry_id in ("fentanyl", "drug-checking"):
            assert carfentanil in text(real_content, locale, entry_id), (locale, entry_id)


def test_naloxone_is_safe_in_pregnancy(real_content: Content) -> None:
    wanted = {"en": "safe in pregnancy", "ru": "Беременным тоже можно", "uk": "Вагітним теж можна"}
    for locale, phrase in wanted.items():
        entry = real_content.entry(locale, "naloxone")
        assert entry is not None and phrase in entry.answer, locale


def test_no_lemon_juice_or_vinegar_for_injecting(real_content: Content) -> None:
    en = text(real_content, "en", "safer-injecting")
    assert "Never lemon juice or vinegar" in en and "candida" in en
    ru = text(real_content, "ru", "safer-injecting")
    assert "Уксус и лимонный сок не используй" in ru
    uk = text(real_content, "uk", "safer-injecting")
    assert has_any(uk, "Never lemon juice or vinegar", "лимон"), "uk lost the lemon juice warning"


def test_no_good_samaritan_promise_for_ukraine(real_content: Content) -> None:
    uk = text(real_content, "uk", "overdose-signs")
    assert "у багатьох країнах закон захищає" not in uk and "в Україні такого закону немає" in uk
    assert "most countries, including the UK, Russia and Ukraine, do not" in text(real_content, "en", "overdose-signs")
