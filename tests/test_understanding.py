"""Understanding through the engine, on the shipped content, in each locale: emergencies and questions about them,
Russian and Ukrainian in Latin letters, morphology, every substance named, small talk, typed button words.

The phrasings here are written for these tests, not taken from any evaluation set."""

from __future__ import annotations

import pytest

from bot.engine import Engine, Incoming, Reply
from bot.matching import Analyzer, translit
from bot.matching.normalise import basic_tokens
from bot.session import Session


def say(engine: Engine, session: Session, text: str, hint: str | None = None) -> Reply:
    replies = engine.handle(Incoming(text=text, locale_hint=hint), session)
    assert replies
    return replies[0]


# --- 2. emergencies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("my boyfriend isnt breathing after a shot", "en"),
        ("she wont wake up and her lips look blue", "en"),
        ("мой друг не дышит после дозы", "ru"),
        ("подруга посиніла і не дихає", "uk"),
        ("moy drug ne dyshit", "ru"),  # Russian in Latin letters
    ],
)
def test_someone_in_danger_now_gets_the_steps_first(real_engine: Engine, text: str, locale: str) -> None:
    reply = say(real_engine, Session(), text)
    assert reply.emergency and reply.kind == "emergency"
    assert reply.locale == locale
    assert reply.text.lstrip().startswith("1.")  # numbered steps, the emergency number in the first


@pytest.mark.parametrize(
    "text",
    ["what should you do if someone overdoses on opioids", "что делать если человек передознулся", "що робити, якщо хтось передознувся"],
)
def test_a_question_about_an_emergency_offers_the_steps_first(real_engine: Engine, text: str) -> None:
    reply = say(real_engine, Session(), text)
    if reply.kind == "emergency":  # leaning to recall is allowed
        return
    assert reply.buttons and reply.buttons[0].data.startswith("f:emergency-")


@pytest.mark.parametrize(
    "text",
    [
        "why does speed make your heart race so much",
        "почему от фена так колотится сердце",
        "чому від фену так калатає серце",
    ],
)
def test_why_a_drug_does_something_is_answered_with_the_steps_one_tap_away(real_engine: Engine, text: str) -> None:
    """ "Why does X do this" asks about the drug: the answer, with the emergency steps as its first button."""
    reply = say(real_engine, Session(), text)
    assert reply.kind == "answer" and reply.id == "amphetamine"
    assert reply.buttons and reply.buttons[0].data == "f:emergency-chest-pain"


def test_why_with_a_sign_now_still_starts_the_steps(real_engine: Engine) -> None:
    assert say(real_engine, Session(), "why is my heart racing so hard right now after speed").kind == "emergency"


# --- 3. translit ------------------------------------------------------------------------------------------


def test_latin_russian_is_read_back_into_cyrillic() -> None:
    assert translit.to_cyrillic("dyshit", "ru") == "дышит"
    assert translit.to_cyrillic("4to", "ru") == "что"
    assert translit.to_cyrillic("moy", "ru") == "мой"
    assert translit.to_cyrillic("pryvit", "uk") == "привіт"
    assert translit.fold("дышит") == translit.fold("дишит")


def test_latin_spellings_meet_the_word_meant_by_its_skeleton() -> None:
    # h for г or х, a dropped soft sign, j for ж or й: the skeletons of what was typed include the word's
    assert translit.skeleton_of_word("грудях") in translit.skeletons("hrudyah")
    assert translit.skeleton_of_word("біль") in translit.skeletons("bil")
    assert translit.skeleton_of_word("пашить") in translit.skeletons("pawit")
    assert translit.skeleton_of_word("лежит") in translit.skeletons("lejit")
    assert translit.skeleton_of_word("мой") in translit.skeletons("moj")


@pytest.mark.parametrize(
    ("text", "flow"),
    [
        ("bil u hrudyah", "emergency-chest-pain"),  # «біль у грудях»: h for х, no soft sign
        ("pawit zarom", "emergency-overheating"),  # «пашить жаром»: w for ш, z for ж
        ("vin povilno dyhaye", "emergency-opioid-overdose"),  # «він повільно дихає»: h for х
    ],
)
def test_ukrainian_in_latin_letters_spelt_loosely_still_starts_the_steps(real_engine: Engine, text: str, flow: str) -> None:
    reply = say(real_engine, Session(), text)
    assert reply.kind == "emergency" and reply.id == flow and reply.locale == "uk", reply


def test_latin_russian_gets_a_russian_reply(real_engine: Engine) -> None:
    reply = say(real_engine, Session(), "gde vzyat nalokson")
    assert reply.locale == "ru" and reply.id == "naloxone"


def test_english_stays_english(real_engine: Engine) -> None:
    reply = say(real_engine, Session(), "where can i get naloxone")
    assert reply.locale == "en" and reply.id == "naloxone"


# --- 4. morphology ----------------------------------------------------------------------------------------


def test_russian_and_ukrainian_words_are_lemmatised() -> None:
    assert Analyzer("ru", (), {}).stem("дышит") == "дышать"
    assert Analyzer("uk", (), {}).stem("дихає") == "дихати"


# --- 5. every substance named -----------------------------------------------------------------------------


def test_three_substances_lead_with_the_worst_pair_and_drop_none(real_engine: Engine) -> None:
    d = real_engine.classify("is it ok to do mdma and ketamine with a few beers")
    assert d.kind == "combo"
    assert d.substances == ("alcohol", "ketamine", "mdma")
    assert len(d.pairs) == 3 and {p[:2] for p in d.pairs} == {("alcohol", "ketamine"), ("alcohol", "mdma"), ("ketamine", "mdma")}
    ranks = [real_engine.content.topics.risk_levels.index(p[2]) for p in d.pairs]
    assert ranks == sorted(ranks) and d.risk == d.pairs[0][2]
    out = d.as_dict()
    assert out["substances"] == ["alcohol", "ketamine", "mdma"] and out["risk"] == d.risk and len(out["pairs"]) == 3
    reply = say(real_engine, Session(), "is it ok to do mdma and ketamine with a few beers")
    for sid in d.substances:
        assert real_engine.content.locales["en"].substances[sid].name in reply.text


def test_three_substances_in_russian(real_engine: Engine) -> None:
    d = real_engine.classify("можно ли смешивать ксанакс, алкоголь и героин")
    assert d.kind == "combo" and set(d.substances) == {"alcohol", "benzodiazepines", "opioids"}
    assert d.risk == "dangerous"


@pytest.mark.parametrize(
    ("text", "locale", "want"),
    [
        ("ketamin, mdma i pivo vmeste normalno?", "ru", {"alcohol", "ketamine", "mdma"}),  # English as written: 2, no mix
        ("mefedron i trava razom mozhna?", "uk", {"cathinones", "cannabis"}),
    ],
)
def test_a_mix_named_in_latin_letters_is_read_in_every_language(real_engine: Engine, text: str, locale: str, want: set[str]) -> None:
    d = real_engine.classify(text)
    assert d.kind == "combo" and set(d.substances) == want
    reply = say(real_engine, Session(), text)
    assert reply.locale == locale


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("is it ok to smoke weed if i took molly", {"cannabis", "mdma"}),  # "if" joins them
        ("ксанакс пиво смешивали, это опасно?", {"alcohol", "benzodiazepines"}),  # any form of "смешивать" mixes
        ("можно ли запивать ксанакс пивом", {"alcohol", "benzodiazepines"}),
        ("мефедрон алкоголь змішували, це небезпечно?", {"alcohol", "cathinones"}),
    ],
)
def test_any_form_of_a_mixing_word_asks_about_the_mix(real_engine: Engine, text: str, want: set[str]) -> None:
    d = real_engine.classify(text)
    assert d.kind == "combo" and set(d.substances) == want, d


# --- 6. small talk ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sid"),
    [("thanks a lot", "thanks"), ("hello there", "greeting"), ("спасибо большое", "thanks"), ("дякую тобі", "thanks")],
)
def test_small_talk_gets_a_short_reply_not_a_topic(real_engine: Engine, text: str, sid: str) -> None:
    reply = say(real_engine, Session(), text)
    assert reply.kind == "smalltalk" and reply.id == sid
    assert len(reply.text) < 600


def test_asking_for_a_person_says_how_to_reach_people(real_engine: Engine) -> None:
    reply = say(real_engine, Session(), "can i talk to a real person please")
    assert reply.kind == "smalltalk" and reply.id == "talk-to-person"


# --- 7. typed button words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "step"),
    [("they are breathing", "breathing"), ("not breathing", "cpr"), ("дышит", "breathing"), ("не дихає", "cpr")],
)
def test_typing_a_buttons_words_presses_it(real_engine: Engine, typed: str, step: str) -> None:
    session = Session()
    first = real_engine.handle(Incoming(button="f:emergency-unresponsive"), session)
    assert first and session.flow == "emergency-unresponsive"
    reply = say(real_engine, session, typed)
    assert session.flow == "emergency-unresponsive" and session.step == step, reply.text


def test_an_other_emergency_still_interrupts_a_flow(real_engine: Engine) -> None:
    session = Session()
    real_engine.handle(Incoming(button="f:difficult-trip"), session)
    reply = say(real_engine, session, "he is having a seizure and shaking all over")
    assert reply.emergency and session.flow == "emergency-seizure"


# --- more Ukrainian, and long messages read sentence by sentence -------------------------------------------


def test_ukrainian_in_latin_letters_gets_a_ukrainian_reply(real_engine: Engine) -> None:
    reply = say(real_engine, Session(), "de vzyaty nalokson bezkoshtovno")
    assert reply.locale == "uk" and reply.id == "naloxone"


def test_latin_letters_that_typo_correction_could_read_as_english_are_also_read_as_translit(real_engine: Engine) -> None:
    reply = say(real_engine, Session(), "kokain i alkohol razom")
    assert reply.kind == "combo" and reply.locale == "uk"


@pytest.mark.parametrize(
    ("text", "locale", "kind"),
    [("vin ne dyhaie", "uk", "emergency"), ("de vziaty nalokson", "uk", "answer"), ("ona posinela", "ru", "emergency")],
)
def test_latin_letters_are_answered_in_the_language_of_their_words(real_engine: Engine, text: str, locale: str, kind: str) -> None:
    """The reply's language follows which language's frequent words the message is made of, whichever reading
    found what it asks ("vin", "dyhaie", "vziaty" are Ukrainian)."""
    reply = say(real_engine, Session(), text)
    assert reply.locale == locale and reply.kind == kind


def test_three_substances_in_ukrainian(real_engine: Engine) -> None:
    d = real_engine.classify("чи можна змішувати алкоголь, кетамін і мдма")
    assert d.kind == "combo" and d.substances == ("alcohol", "ketamine", "mdma")
    reply = say(real_engine, Session(), "чи можна змішувати алкоголь, кетамін і мдма")
    assert reply.locale == "uk" and len(reply.text.split("\n\n")) >= 2


@pytest.mark.parametrize(
    ("text", "combo"),
    [
        ("чи можна пити алкоголь після мефу", ("alcohol", "cathinones")),  # "чи" asks whether: a mix
        ("chy mozhna travu pislya grybiv", ("cannabis", "mushrooms")),
        ("меф чи фен, що з них гірше для серця", None),  # after a substance "чи" is "or": a comparison
        ("після пива і мефу чи можна ще лірику", ("alcohol", "cathinones", "gabapentinoids")),  # ... unless it asks leave
    ],
)
def test_ukrainian_chi_asks_before_a_substance_compares_after(real_engine: Engine, text: str, combo: tuple[str, ...] | None) -> None:
    d = real_engine.classify(text)
    if combo is None:
        assert d.kind != "combo"
    else:
        assert d.kind == "combo" and d.substances == combo and d.locale == "uk"


@pytest.mark.parametrize(("text", "sid"), [("привіт", "greeting"), ("ти бот чи людина?", "are-you-human"), ("бувай", "goodbye")])
def test_small_talk_in_ukrainian(real_engine: Engine, text: str, sid: str) -> None:
    reply = say(real_engine, Session(), text)
    assert reply.kind == "smalltalk" and reply.id == sid and reply.locale == "uk"


@pytest.mark.parametrize(
    ("text", "target"),
    [
        (
            "hi, sorry this is long and my english is bad. i am at a festival with friends and we have been up all night. "
            "how long does ketamine last?",
            "ketamine",
        ),
        (
            "привет. пишу ночью, не знаю к кому еще обратиться, только не осуждайте. где можно взять налоксон?",
            "naloxone",
        ),
        (
            "добрий вечір. вибачте, що так довго пишу, я мама підлітка і дуже хвилююся. скільки триває дія грибів?",
            "psilocybin",
        ),
    ],
)
def test_a_long_message_is_answered_by_its_question(real_engine: Engine, text: str, target: str) -> None:
    d = real_engine.classify(text)
    assert (d.kind, d.id) == ("answer", target), d


def test_an_emergency_inside_a_long_message_still_comes_first(real_engine: Engine) -> None:
    text = (
        "sorry to bother you, i dont know who else to ask. we were at a party and he took some heroin. "
        "now he is not breathing and his lips are blue"
    )
    reply = say(real_engine, Session(), text)
    assert reply.emergency and reply.kind == "emergency"


# --- long messages --------------------------------------------------------------------------------------


def test_a_common_word_is_not_corrected_into_an_emergency(real_engine: Engine) -> None:
    # "confusing" is a word, not a typo of "convulsing" (a seizure); "breathng" still is one
    index = real_engine.bundle.index
    text = "i tried searching but the answers were confusing"
    assert "convuls" not in index.readings(text, "en")[0].stems
    assert index.classify(text, default_locale="en").id != "emergency-seizure"
    assert index.classify("hes not breathng", default_locale="en").kind == "emergency"


@pytest.mark.parametrize(
    ("text", "locale", "want"),
    [
        (
            "hi, first time here. i'm 27 and i work in a warehouse, we have random tests. "
            "i smoked a joint at a barbecue on saturday and there is a test at work on thursday. "
            "will weed show up on a urine test by then?",
            "en",
            "drug-tests",
        ),
        (
            "здравствуйте, пишу первый раз. сыну 16, нашла у него в куртке пакетик с травой. "
            "ругаться не хочу, хочу понять чем это ему грозит для здоровья.",
            "ru",
            "cannabis",
        ),
        # the substance in one sentence, what is asked in the next: the sentences' topics are weighed together
        ("i have a question about ketamine. how long does it last?", "en", "ketamine"),
        ("у меня вопрос про кетамин. сколько он длится?", "ru", "ketamine"),
        ("маю питання про кетамін. скільки він триває?", "uk", "ketamine"),
    ],
)
def test_the_question_is_found_inside_a_long_message(real_engine: Engine, text: str, locale: str, want: str) -> None:
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    # a parent asking what weed does to a son reads as either the cannabis entry or how to support him (noted on
    # issue 11: with the new questions about supporting someone the second now leads)
    accepted = {want, "supporting-someone"} if want == "cannabis" and locale == "ru" else {want}
    assert got.kind == "answer" and got.id in accepted and got.locale == locale, got


def test_words_of_two_sentences_make_no_emergency_sign(real_engine: Engine) -> None:
    # "die" in one sentence and "want" in another are not "want to die"
    index = real_engine.bundle.index
    text = "can you die from coke the first time. we go out on saturday. i just want to be careful"
    assert index.classify(text, default_locale="en").kind != "emergency"


@pytest.mark.parametrize(
    ("text", "locale", "kind"),
    [
        # a sentence of background alone is no topic
        ("sorry in advance, this might be a long one", "en", "fallback"),
        ("заранее извиняюсь, будет много текста", "ru", "fallback"),
        ("наперед перепрошую, буде багато тексту", "uk", "fallback"),
        # an emergency in any sentence of a long message wins
        ("sorry for the long text, i never write to bots. we were at a party. my friend is blue and not breathing", "en", "emergency"),
        ("извините что пишу сюда, мы у друга дома после клуба. он не дышит и весь синий", "ru", "emergency"),
    ],
)
def test_background_is_no_topic_and_an_emergency_in_any_sentence_wins(real_engine: Engine, text: str, locale: str, kind: str) -> None:
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == kind, got


@pytest.mark.parametrize(
    ("text", "locale", "want"),
    [
        (
            "my brother is 19 and goes to a lot of parties. once he had a seizure after taking pills and it scared "
            "all of us. what should he know about mdma before the next party?",
            "en",
            "mdma",
        ),
        (
            "брат ходит на вечеринки каждые выходные. он говорил, что его трясло и он упал. "
            "какие риски у мдма для сердца и как снизить вред?",
            "ru",
            "mdma",
        ),
        (
            "мы с подругой иногда нюхаем кокс. у нее болела грудь и сердце колотилось. насколько кокаин вреден для сердца в долгую?",
            "ru",
            "cocaine",
        ),
        (
            "мій син ходить на вечірки. розповідав, що його трусило і він впав. які ризики мдма і як зменшити шкоду?",
            "uk",
            "mdma",
        ),
    ],
)
def test_a_story_that_asks_something_else_is_no_emergency(real_engine: Engine, text: str, locale: str, want: str) -> None:
    """One sentence reads as an emergency alone, but another asks about something else: the story is answered,
    with the emergency steps offered as the first button."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "answer" and got.id == want, got
    assert got.urgent is not None, got


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("nothing", "en"),  # an everyday word the model ties to "shook him, nothing" is no emergency alone
        ("no", "en"),  # nor is a short one ("no reason to live")
        ("ничего", "ru"),
        ("він курить на балконі", "uk"),  # smoking is not cannabis: "дунути" was a form of "курити"
        ("сколько наркотиков в среднем ловят на таможне", "ru"),  # "наркотики" is not cannabis
        ("на вечеринке было весело", "ru"),  # «туси» made every party 2C-B
    ],
)
def test_an_everyday_word_is_no_substance_and_no_emergency(real_engine: Engine, text: str, locale: str) -> None:
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind != "emergency" and not got.substances, got
    assert not real_engine.bundle.index.substances(text, locale), text


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("last month my friend had a seizure, what should we have done", "en"),
        ("what do i do if my friend stops breathing", "en"),
        ("минулого тижня подруга знепритомніла на вечірці, що треба було робити", "uk"),
        # the rule net sees a sign, but the question is framed as "what to do if": the answer, the steps first
        ("what should you do if someone is having a seizure", "en"),
        ("что делать если у человека судороги", "ru"),
        ("що робити, якщо в людини судоми", "uk"),
        # a sign said to be over, whatever "now" the message has
        ("my friend had a seizure last week, he is fine now, what should we do next time", "en"),
        ("он уже пришёл в себя после судорог, надо ли ехать к врачу", "ru"),
        ("у нього були судоми, але він уже прийшов до тями, чи треба до лікаря", "uk"),
        ("у него были судороги после фена, сейчас всё норм, надо ли к врачу", "ru"),
        ("була судома після фену, зараз все норм, чи треба до лікаря", "uk"),
    ],
)
def test_a_past_event_a_what_if_or_a_sign_over_is_answered_with_the_steps_one_tap_away(real_engine: Engine, text: str, locale: str) -> None:
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind != "emergency" and got.urgent, got


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("he came round after the seizure but now he is fitting again", "en"),
        ("он пришёл в себя, но опять начались судороги", "ru"),
        ("він прийшов до тями, але знову почалися судоми", "uk"),
    ],
)
def test_a_sign_that_came_back_is_an_emergency_again(real_engine: Engine, text: str, locale: str) -> None:
    assert real_engine.bundle.index.classify(text, default_locale=locale).kind == "emergency"


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("колюсь уже год, как найти вену", "ru"),
        ("колюся вже рік, як знайти вену", "uk"),
        ("yak pravylno koloty v venu", "uk"),  # "колоти" is itself a dictionary form: not the imperative of "колотити"
    ],
)
def test_injecting_is_not_shaking(real_engine: Engine, text: str, locale: str) -> None:
    """Ukrainian "колюся" (I inject) and "колотить" (he is shaking) share no lemma: no seizure steps offered."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "answer" and got.id == "safer-injecting" and got.urgent is None, got


@pytest.mark.parametrize(
    ("text", "locale"), [("непросыпается", "ru"), ("непрокидається", "uk"), ("нипросыпается", "ru"), ("нипрокидається", "uk")]
)
def test_a_negation_typed_onto_its_verb_is_still_the_sign(real_engine: Engine, text: str, locale: str) -> None:
    """ "не" glued to the verb is read as two words (typo correction alone would have dropped the "не")."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "emergency" and got.id == "emergency-unresponsive", got


def test_an_everyday_verb_is_not_a_farewell(real_engine: Engine) -> None:
    """ "буває" (it happens) shares the lemma "бувати" with "бувайте" (bye): no crisis steps offered."""
    got = real_engine.bundle.index.classify("чи буває таке після мефу", default_locale="uk")
    assert got.kind == "answer" and got.urgent is None, got


def test_a_now_word_keeps_the_emergency(real_engine: Engine) -> None:
    got = real_engine.bundle.index.classify("my friend had a seizure last week and now he is seizing again", default_locale="en")
    assert got.kind == "emergency", got
    for text, locale in [
        ("help what do i do if he doesnt wake up", "en"),  # a cry for help is now, "if" or not
        ("помогите что делать если он не просыпается", "ru"),
        ("рятуйте, що робити якщо він не прокидається", "uk"),
    ]:
        got = real_engine.bundle.index.classify(text, default_locale=locale)
        assert got.kind == "emergency", (text, got)


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        (
            "Last year my brother overdosed and stopped breathing. Now he is clean, I want naloxone at home. Where can I get it?",
            "en",
        ),
        ("Минулого року брат передознувся і перестав дихати. Зараз він не вживає, хочу тримати налоксон вдома. Де його взяти?", "uk"),
    ],
)
def test_a_sentence_about_the_past_is_no_emergency_in_a_long_message(real_engine: Engine, text: str, locale: str) -> None:
    """The sentence tells of last year; the "now" of another sentence does not make it happen now."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert (got.kind, got.id, got.locale) == ("answer", "naloxone", locale), got
    now = real_engine.bundle.index.classify(
        "Sorry for the long message. We were at a party. Now he is not breathing and his lips are blue."
    )
    assert now.kind == "emergency"


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        (
            "My mate uses G at parties and keeps passing out. If that ever happens and he stops breathing, what do we do? "
            "Asking ahead of time.",
            "en",
        ),
        ("Друг иногда нюхает фен. Если у него начнутся судороги и пена изо рта, что делать? Спрашиваю заранее.", "ru"),
        ("Подруга інколи бере мдма на фестах. Якщо вона перегріється і почне марити, що робити? Питаю заздалегідь.", "uk"),
    ],
)
def test_a_long_message_asked_ahead_of_time_is_answered_with_the_steps_one_tap_away(real_engine: Engine, text: str, locale: str) -> None:
    """ "Asking ahead of time" in one sentence frames the signs of the others: they are not happening now."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind != "emergency" and got.urgent, got
    # ... unless a "now" says they are
    now = real_engine.bundle.index.classify("I asked about this ahead of time, but now he is fitting on the floor", default_locale="en")
    assert now.kind == "emergency", now
    # ... and "thanks in advance" asks nothing ahead of time: the rule net's sign is not framed (with «заранее» alone
    # in the list, the model had to catch these alone)
    for thanks, code in [("Он не дышит и губы синие. Заранее спасибо.", "ru"), ("Він не дихає і губи сині. Заздалегідь дякую.", "uk")]:
        got = real_engine.bundle.index.classify(thanks, default_locale=code)
        assert got.kind == "emergency" and got.by_rule, (thanks, got)


def test_a_long_message_told_as_the_past_is_framed_unless_the_binary_model_sees_an_emergency(real_engine: Engine) -> None:
    """A long message with a past framing and no "now", whose sign the binary emergency model doubts, is framed as
    one sentence would be: the answer, with the steps one tap away."""
    index = real_engine.bundle.index
    past = (
        "Месяц назад друг на вписке выпил много и отключился. Его тошнило и он не просыпался. Как понять, когда уже пора вызывать скорую?"
    )
    got = index.classify(past, default_locale="ru")
    assert got.kind != "emergency" and got.urgent, got
    # ... while a sign happening now, after a sentence of background in the past, still starts the steps
    for text, locale in [
        ("My brother got out of rehab a month ago. He used again tonight. His lips are blue and he is not breathing.", "en"),
        ("Брат месяц назад вышел из ребцентра. Сегодня снова укололся. Губы синие и он не дышит.", "ru"),
        ("Брат місяць тому вийшов з ребцентру. Сьогодні знову вколовся. Губи сині і він не дихає.", "uk"),
    ]:
        got = index.classify(text, default_locale=locale)
        assert got.kind == "emergency" and got.id == "emergency-opioid-overdose", (text, got)


def test_a_sign_that_is_not_got_is_no_sign(real_engine: Engine) -> None:
    """A negated "have" or "got" denies its object: "not got any chest pain" starts no steps."""
    text = "he's not got any chest pain, he's just sweaty and can't sleep after a few lines"
    got = real_engine.bundle.index.classify(text, default_locale="en")
    assert got.kind != "emergency", got
    got = real_engine.bundle.index.classify("he's not got a pulse and his lips are blue", default_locale="en")
    assert got.kind == "emergency", got


@pytest.mark.parametrize(("text", "locale"), [("ok", "en"), ("yes", "en"), ("ок", "ru"), ("да", "ru"), ("добре", "uk"), ("так", "uk")])
def test_one_everyday_word_names_no_topic(real_engine: Engine, text: str, locale: str) -> None:
    """No topic (small talk at most): "ok" was a choice between safer injecting and safer smoking, then the safer
    injecting answer."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind in ("fallback", "smalltalk"), got


# --- a sign said not to be there -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "she's not unconscious, she answers when i talk to her, just really out of it",
        "no seizure or anything but my hands keep twitching after the pills",
        "не судороги, просто трясет немного после фена",
        "судорог нет, просто руки трясутся после фена",  # "нет" after the word it denies
        "не судоми, просто трусить трохи після фену",
        # a negation reaches only its own words: "нет" denies the pain, and the later «не» is about sleep
        "боли в груди нет, дышу нормально, просто после кокса не могу уснуть всю ночь",
        "болю в грудях немає, просто після коксу не можу заснути до ранку",
        "no chest pain and breathing is fine, i just can't sleep after the coke",
        # a determiner denies its whole noun phrase, «не было» the word before it
        "никаких мыслей о суициде, просто тоскливо после выходных на экстази",
        "ніяких думок про самогубство, просто тоскно після вихідних на екстазі",
        "припадков не было ни разу, только руки дрожат по утрам без водки",
        # no negation reaches across a comma: the breathing is not denied
        "он не синий, дышит нормально, просто спит после героина",
        "he is not blue, breathing ok, just sleeping after gear",
        "вона не синя, дихає рівно, просто спить після герича",
    ],
)
def test_a_denied_sign_starts_no_emergency(real_engine: Engine, text: str) -> None:
    assert real_engine.classify(text).kind != "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "he's not breathing",
        "shook him nothing",
        "not breathing lips blue",
        "он не дышит",
        "дыхания нет",
        "не могу разбудить его",
        "він не дихає",
        "дихання немає",
        "не можу її розбудити",
        "ne dyshit",
        "can not wake him",  # analysed with the word before: the trigger's "cant wake"
        "нет дыхания и не просыпается",
        "он не синий, не дышит",
        "no, unconscious",  # a "no" before a comma denies nothing
    ],
)
def test_negations_that_are_the_sign_still_start_the_steps(real_engine: Engine, text: str) -> None:
    assert real_engine.classify(text).kind == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "he took a bit much and is dozy but he is breathing fine and i can wake him, do i just keep an eye on him",
        "сонная после таблеток, но дышит нормально и я могу разбудить её, просто смотреть за ней?",
        "сонний після таблеток, але дихає рівно і я можу розбудити його, просто наглядати?",
    ],
)
def test_breathing_and_waking_said_fine_start_no_emergency(real_engine: Engine, text: str) -> None:
    """The vital signs said to be fine: the model alone starts no steps (the rule net's sure signs still would)."""
    assert real_engine.bundle.index.classify(text).kind != "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "he is not breathing fine at all, lips going grey and he wont wake",
        "she is breathing fine but she is fitting on the floor and wont stop",
        "дышит нормально, но не просыпается и не реагирует",
        "не дихає нормально, губи сині",
    ],
)
def test_reassurance_denied_or_beside_a_sure_sign_keeps_the_steps(real_engine: Engine, text: str) -> None:
    assert real_engine.bundle.index.classify(text).kind == "emergency"


@pytest.mark.parametrize("text", ["ketamine, hes not breathing", "кетамин, он не дышит", "після кетаміну він не дихає"])
def test_a_sign_beside_a_substance_the_topic_model_leans_to_still_starts_the_steps(real_engine: Engine, text: str) -> None:
    """The topic model reads «після кетаміну він не дихає» as the ketamine entry, with almost no emergency probability
    left; the binary emergency model, not split with the substance, still sees one, so the rule net's sign stands
    (the Russian and Ukrainian ones were the ketamine answer when the topic model alone could overrule the rule net)."""
    got = real_engine.bundle.index.classify(text)
    assert (got.kind, got.id) in {("emergency", "emergency-opioid-overdose"), ("emergency", "emergency-unresponsive")}


@pytest.mark.parametrize(
    ("typed", "locale"),
    [
        ("jy yt lsibn", "ru"),  # «он не дышит» with the Latin layout on
        ("lheu yt lsibn b ue,s cbybt", "ru"),  # «друг не дышит и губы синие»
        ("dsy yt lb[f' gsckz uthjmye", "uk"),  # «він не дихає після героїну»
    ],
)
def test_russian_and_ukrainian_typed_on_the_latin_layout_are_read_as_meant(real_engine: Engine, typed: str, locale: str) -> None:
    got = real_engine.bundle.index.classify(typed, default_locale="en")
    assert got.kind == "emergency" and got.locale == locale, got


@pytest.mark.parametrize("text", ["how long does lsd last", "hi", "ne dyshit", "skilky tryvaie lsd"])
def test_english_and_transliteration_are_not_taken_for_a_wrong_layout(real_engine: Engine, text: str) -> None:
    index = real_engine.bundle.index
    assert index._on_latin_layout(text, tuple(basic_tokens(text))) is None


@pytest.mark.parametrize(
    "text",
    [
        "Моему другу в субботу стало плохо на вечеринке, он отключился на пару минут. Сейчас всё хорошо. Что нам делать в следующий раз?",
        "Брату в суботу стало зле після пігулок, він знепритомнів. Зараз все добре. Як уберегтися наступного разу?",
    ],
)
def test_a_long_story_said_to_be_over_starts_no_emergency(real_engine: Engine, text: str) -> None:
    """Said to be over ("сейчас всё хорошо") in a long message: the model alone starts no steps."""
    assert real_engine.bundle.index.classify(text).kind != "emergency"


def test_a_story_said_to_be_over_that_came_back_keeps_the_steps(real_engine: Engine) -> None:
    text = "My mate collapsed at the party on saturday and we called an ambulance. He is fine now. Now he is not breathing again"
    assert real_engine.bundle.index.classify(text).kind == "emergency"


def test_the_binary_emergency_model_tells_happening_now_from_a_question(real_engine: Engine) -> None:
    index = real_engine.bundle.index
    now, _, _ = index._read(tuple(basic_tokens("my friend is not breathing and his lips are blue")), None, "en")
    asked, _, _ = index._read(tuple(basic_tokens("how long does ketamine last")), None, "en")
    assert index._alarm(now) > 0.5 > index._alarm(asked)


def test_one_known_word_the_binary_model_is_sure_of_starts_the_steps(real_engine: Engine) -> None:
    """A sign the content does not hold as a trigger (held out here, as --cv holds phrasings out): one word the
    content knows, that the binary emergency model is sure of, starts the steps rather than "I did not understand"."""
    from bot.matching import MatchIndex

    held = frozenset({("uk", "горить"), ("ru", "горит")})
    index = MatchIndex(real_engine.content, cache=False, exclude=held)
    for locale, text in held:
        got = index.classify(text, default_locale=locale)
        assert got.kind == "emergency" and got.id == "emergency-overheating", got


@pytest.mark.parametrize("text", ["после спидов сердце долбит, у всех так?", "після спідів серце гупає, так у всіх?"])
def test_is_it_normal_about_oneself_is_answered_with_the_steps_first(real_engine: Engine, text: str) -> None:
    """ "Is this how it is for everyone?" about nobody else is a general question: the answer, with the emergency
    flow as its first button; the same sign said with fear ("мне страшно") still starts the steps."""
    got = real_engine.bundle.index.classify(text)
    assert got.kind == "answer" and got.urgent == "emergency-chest-pain", got
    assert real_engine.bundle.index.classify("после спидов сердце долбит, мне страшно").kind == "emergency"


def test_again_in_a_future_framing_is_no_sign_that_it_came_back(real_engine: Engine) -> None:
    text = "My mate collapsed at the party on saturday and we called an ambulance. He is fine now. How do we stop it happening again?"
    assert real_engine.bundle.index.classify(text).kind != "emergency"


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        # a negated intention or thought denies what it governs, not only the next word
        ("not going to hurt myself, just feel empty three days after molly", "en"),
        ("я не думаю о самоубийстве, просто отходняк после мефа тяжелый", "ru"),
        ("не думаю про самогубство, просто важко після мефу", "uk"),
    ],
)
def test_a_negated_intention_is_no_emergency(real_engine: Engine, text: str, locale: str) -> None:
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind != "emergency", got


@pytest.mark.parametrize(
    ("text", "locale", "flow"),
    [
        ("i think im overdosing and i dont want to die", "en", "emergency-opioid-overdose"),
        ("я перебрал и не хочу умирать", "ru", "emergency-unresponsive"),
        ("здається я передознувся і не хочу помирати", "uk", "emergency-unresponsive"),
    ],
)
def test_a_negated_wish_to_die_denies_no_overdose(real_engine: Engine, text: str, locale: str, flow: str) -> None:
    """ "I don't want to die" denies a wish to die, not that someone is dying: the overdose still starts its steps,
    and the crisis flow, whose sign was denied, is not the one chosen. Which of the two flows for someone who took
    too much ("I overdosed" names no opioid) moves with retraining; either gives the steps that fit."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    overdose = {"emergency-opioid-overdose", "emergency-unresponsive"}
    assert got.kind == "emergency" and got.id in overdose and flow in overdose, got


def test_a_negated_wish_alone_is_no_emergency(real_engine: Engine) -> None:
    for text, locale in (("i dont want to die", "en"), ("я не хочу умирать", "ru"), ("я не хочу помирати", "uk")):
        got = real_engine.bundle.index.classify(text, default_locale=locale)
        assert got.kind != "emergency" and got.urgent != "emergency-mental-health-crisis", got


@pytest.mark.parametrize(
    ("text", "locale"),
    [("i dont want to live anymore", "en"), ("я больше не хочу жить", "ru"), ("не хочу більше жити", "uk")],
)
def test_not_wanting_to_live_is_still_the_crisis(real_engine: Engine, text: str, locale: str) -> None:
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert (got.kind, got.id) == ("emergency", "emergency-mental-health-crisis"), got


@pytest.mark.parametrize(
    ("text", "locale"),
    [("з мдмою можна пити алкоголь?", "uk"), ("чи можна мдму з алкоголем", "uk"), ("мдмой и алкоголем сразу можно?", "ru")],
)
def test_a_substance_name_is_read_in_any_case_form(real_engine: Engine, text: str, locale: str) -> None:
    """No alias lists «мдмою» or «мдмой»: a one-word name is also known without its case ending."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "combo" and set(got.substances) == {"alcohol", "mdma"}, got


def test_a_case_ending_an_everyday_word_shares_names_nothing(real_engine: Engine) -> None:
    # "гер" (heroin) without its ending is also "герой" (hero); a syllable such as "лат" is no name either
    index = real_engine.bundle.index
    assert not index.substances("мой друг настоящий герой", "ru")
    assert "гер" not in index.locales["ru"].bare_aliases and "лат" not in index.locales["uk"].bare_aliases
    assert index.locales["uk"].bare_aliases.get("мдм") == "mdma"


@pytest.mark.parametrize(
    ("text", "locale", "want"),
    [
        ("how do i know if my tabs are nbome and not real acid", "en", "nbomes"),
        ("is 2cb the same as mdma", "en", "2c-b"),
        ("як відрізнити нбоме від лсд", "uk", "nbomes"),
    ],
)
def test_two_substances_told_apart_are_no_mix(real_engine: Engine, text: str, locale: str, want: str) -> None:
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert (got.kind, got.id) == ("answer", want), got


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("some background first. his colour is off. thank you for reading this far", "en"),
        ("немного предыстории. он какой-то серый весь. спасибо что дочитали", "ru"),
        ("трохи передісторії. губи дивного кольору. дякую що дочитали", "uk"),
    ],
)
def test_one_sentence_among_background_is_read_as_the_message(real_engine: Engine, text: str, locale: str) -> None:
    """Sentences that ask nothing around one that does leave that one to be read as a message of its own: what
    starts the steps alone starts them here too (a sentence of a long message alone needs more)."""
    index = real_engine.bundle.index
    middle = text.split(". ")[1]
    assert index.classify(middle, default_locale=locale).kind == "emergency"
    got = index.classify(text, default_locale=locale)
    assert (got.kind, got.id) == ("emergency", "emergency-opioid-overdose"), got
    # ... and told as the past, the same sentence among the same background starts nothing
    past = index.classify("some background first. last year his colour was off for a while. thank you for reading this far")
    assert past.kind != "emergency", past


@pytest.mark.parametrize(
    ("text", "locale", "kind"),
    [
        ("i think my acid was nbome", "en", "answer"),
        ("lsd with nbome in it", "en", "answer"),
        ("лсд с нбомой", "ru", "answer"),
        ("марки лсд з nbome", "uk", "answer"),
        ("can i mix lsd and nbome", "en", "combo"),
        ("лсд и нбоме вместе можно", "ru", "combo"),
        ("лсд і нбоме разом можна", "uk", "combo"),
    ],
)
def test_two_sold_as_one_another_mix_only_when_mixing_is_said(real_engine: Engine, text: str, locale: str, kind: str) -> None:
    """knowledge/combos.yaml marks LSD + NBOMe `lookalike`: named together they ask which it is (the NBOMe entry),
    unless a mixing word asks how they mix."""
    assert real_engine.content.combo("lsd", "nbomes").lookalike
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == kind, got
    if kind == "answer":
        assert got.id == "nbomes", got
    else:
        assert set(got.substances) == {"lsd", "nbomes"}, got


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("can you recommend a good book about history", "en"),
        ("how do i bake banana bread", "en"),
        ("какой фильм посмотреть в выходные", "ru"),
        ("який фільм подивитися на вихідних", "uk"),
        ("как приготовить борщ", "ru"),  # «таблетки приготовила» had made "приготовить" a crisis word
        ("як приготувати вареники", "uk"),
        ("whats the best way to get pet hair off my couch", "en"),
        ("как почистить ковёр от кошачьей шерсти", "ru"),
        ("як почистити килим від котячої шерсті", "uk"),
    ],
)
def test_a_question_about_something_else_is_not_answered_with_an_entry(real_engine: Engine, text: str, locale: str) -> None:
    """Questions the bot does not cover (matching.yaml `offtopic`, none of these) are learned as no topic: the
    plain "I did not understand" and the menu, not the nearest entry ("banana bread" was the cannabis entry)."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "fallback", got
    for offtopic in real_engine.content.locales[locale].offtopic:
        assert offtopic != text


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("ayahuasca with my antidepressants, ok together?", "en"),
        ("аяваска и антидепрессанты вместе можно?", "ru"),
        ("аяуаска з антидепресантами разом можна?", "uk"),
    ],
)
def test_ayahuasca_mixes_as_the_maoi_it_holds(real_engine: Engine, text: str, locale: str) -> None:
    """Ayahuasca is DMT with an MAOI: with antidepressants it is the dangerous MAOI + SSRI pair, in every locale
    (a Russian and Ukrainian synonym once read it as DMT: "low risk")."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "combo" and set(got.substances) == {"maois", "ssris"} and got.risk == "dangerous", got


def test_coming_off_one_and_taking_another_is_a_mix(real_engine: Engine) -> None:
    """The words "off" and "from" join two substances as "on" does ("smoke weed coming down off molly" was a
    choice between the cannabis and comedown entries), and a comparison still compares ("different from")."""
    index = real_engine.bundle.index
    got = index.classify("is it safe to smoke weed coming down off molly", default_locale="en")
    assert got.kind == "combo" and set(got.substances) == {"cannabis", "mdma"}, got
    got = index.classify("is crack different from coke", default_locale="en")
    assert got.kind == "answer" and got.id == "crack-cocaine", got


@pytest.mark.parametrize(
    ("text", "locale", "substances"),
    [
        ("спід з пивом норм?", "uk", {"amphetamines", "alcohol"}),
        ("молі, кет і алкоголь разом можна?", "uk", {"mdma", "ketamine", "alcohol"}),
        ("поддатый, можно ли ещё мефа", "ru", {"alcohol", "cathinones"}),
        ("напідпитку, чи можна ще мефу", "uk", {"alcohol", "cathinones"}),
    ],
)
def test_street_words_name_their_substance(real_engine: Engine, text: str, locale: str, substances: set[str]) -> None:
    """«спід» is speed, not HIV (a synonym of «віл» had taken it, so «спід» named no substance); «молі» is MDMA;
    «поддатый» and «напідпитку» say alcohol was drunk."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "combo" and set(got.substances) == substances, got
    hiv = real_engine.bundle.index.classify("що таке снід і як він передається", default_locale="uk")
    assert hiv.kind == "answer" and hiv.id == "hiv-prevention", hiv


@pytest.mark.parametrize(
    ("text", "locale", "substances"),
    [
        ("had 2 xans, is a line of coke gonna be ok", "en", {"benzodiazepines", "cocaine"}),
        ("выпил пива, можно ли мефа", "ru", {"alcohol", "cathinones"}),
        ("випив пива, чи можна мефу", "uk", {"alcohol", "cathinones"}),
    ],
)
def test_what_was_taken_and_what_comes_next_in_two_clauses_is_a_mix(
    real_engine: Engine, text: str, locale: str, substances: set[str]
) -> None:
    """No mixing word or connector: one clause says what was taken, the next asks about another; «чи» opening a
    clause asks, it does not compare («меф чи фен» still does)."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "combo" and set(got.substances) == substances, got
    assert real_engine.bundle.index.classify("меф чи фен, що краще", default_locale="uk").kind != "combo"


@pytest.mark.parametrize(
    ("text", "locale", "substances"),
    [
        ("im on methadone. is it ok to take xanax to sleep?", "en", {"benzodiazepines", "opioids"}),
        ("я на метадоне. можно ли мне лирику?", "ru", {"gabapentinoids", "opioids"}),
        ("я на метадоні. чи можна мені лірику?", "uk", {"gabapentinoids", "opioids"}),
    ],
)
def test_a_sentence_asking_whether_to_take_one_after_another_named_is_a_mix(
    real_engine: Engine, text: str, locale: str, substances: set[str]
) -> None:
    """Methadone and Xanax in two sentences were the methadone entry: the dangerous pair is the answer."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "combo" and set(got.substances) == substances and got.risk == "dangerous", got
    # a question about a substance, not about taking it, after a sentence naming another is no mix
    other = real_engine.bundle.index.classify("i drink every weekend. what are signs of a cocaine overdose?")
    assert other.kind != "combo", other


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("hes overdosing, i dont want him to die", "en"),
        ("он передознулся, я не хочу чтобы он умер", "ru"),
        ("він передознувся, я не хочу щоб він помер", "uk"),
    ],
)
def test_a_negated_wish_about_someone_else_offers_no_crisis_flow(real_engine: Engine, text: str, locale: str) -> None:
    """The intention verb governs three words: "dont want him to die" denies the wish as "dont want to die" does,
    so the button offered is the overdose's, not the suicidal-thoughts flow."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.id != "emergency-mental-health-crisis" and got.urgent != "emergency-mental-health-crisis", got


@pytest.mark.parametrize(
    ("text", "locale", "emergency"),
    [
        # «себя» is no stop word in Russian, as «себе» is none in Ukrainian: "режу себя" was the stem of "режу"
        # alone, so cutting lines or pills started the suicidal-thoughts flow
        ("режу дорожки кредиткой", "ru", False),
        ("режу таблетки ксанакса ножом пополам", "ru", False),
        ("режу себя каждый вечер", "ru", True),
        ("ріжу доріжки карткою", "uk", False),
        ("ріжу себе щовечора", "uk", True),
    ],
)
def test_cutting_oneself_is_the_sign_cutting_a_line_is_not(real_engine: Engine, text: str, locale: str, emergency: bool) -> None:
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert (got.kind == "emergency") is emergency, got
    if emergency:
        assert got.id == "emergency-mental-health-crisis", got


@pytest.mark.parametrize(
    ("text", "locale"),
    [("i took too much", "en"), ("я перебрал", "ru"), ("я перебрав", "uk")],
)
def test_took_too_much_offers_the_overdose_steps(real_engine: Engine, text: str, locale: str) -> None:
    """«перебрав» is an overdose word in Ukrainian as «перебрал» is in Russian; "took too much" a half sign of one:
    the steps start, or are the first button of the answer."""
    got = real_engine.bundle.index.classify(text, default_locale=locale)
    assert got.kind == "emergency" or got.urgent is not None, got


@pytest.mark.parametrize(
    ("text", "emergency"),
    [
        ("he's overdosing", True),
        ("im overdosing", True),
        ("my girlfriend is oding", True),
        ("how do i know if my friend is overdosing", False),
        ("what do you do when someone is overdosing", False),
    ],
)
def test_someone_overdosing_now_starts_the_steps(real_engine: Engine, text: str, emergency: bool) -> None:
    """The word overdose alone is half a sign (questions about overdoses say it too); a person said to be overdosing is a
    whole one, unless the message asks about it in general: then the answer has the steps as its first button."""
    got = real_engine.bundle.index.classify(text, default_locale="en")
    if emergency:
        assert (got.kind, got.id) == ("emergency", "emergency-opioid-overdose"), got
    else:
        assert got.kind != "emergency" and got.urgent == "emergency-opioid-overdose", got
