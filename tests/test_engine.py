"""The engine on the small fixture content: router order, flows, commands, buttons, locales."""

from __future__ import annotations

from bot.content.buttons import CB_MENU, CB_STOP
from bot.engine import Engine, Incoming, Reply
from bot.session import Session


def say(engine: Engine, session: Session, text: str, hint: str | None = None) -> Reply:
    replies = engine.handle(Incoming(text=text, locale_hint=hint), session)
    assert replies
    return replies[-1]


def press(engine: Engine, session: Session, data: str) -> Reply:
    replies = engine.handle(Incoming(button=data), session)
    assert replies
    return replies[-1]


def datas(reply: Reply) -> list[str]:
    return [b.data for b in reply.buttons]


def test_emergency_comes_with_the_number_first_and_is_flagged(mini_engine: Engine) -> None:
    session = Session()
    reply = say(mini_engine, session, "HELP he is not breathing")
    assert reply.emergency and reply.kind == "emergency" and reply.id == "emergency-overdose"
    assert reply.text.startswith("1. Call 112 or 911 now.")
    assert CB_MENU in datas(reply) and CB_STOP in datas(reply)


def test_emergency_interrupts_a_flow_at_any_step(mini_engine: Engine) -> None:
    session = Session()
    assert say(mini_engine, session, "check a combo").id == "combo-check"
    assert session.flow == "combo-check" and session.step == "first"
    reply = say(mini_engine, session, "wait my friend has blue lips and wont wake")
    assert reply.kind == "emergency"
    assert session.flow == "emergency-overdose" and session.step == "call"


def test_a_weak_sign_alone_still_reaches_the_steps(mini_engine: Engine) -> None:
    # The detector leans to recall: a weak sign alone either starts the steps or offers them first.
    weak = mini_engine.classify("he passed out", "en")
    assert weak.kind == "emergency" or weak.urgent == "emergency-overdose"
    assert mini_engine.classify("he passed out and is snoring", "en").kind == "emergency"


def test_signals_pick_nothing_without_a_trigger(mini_engine: Engine) -> None:
    assert mini_engine.classify("heroin dope", "en").kind != "emergency"


def test_combo_flow_walk_and_exit(mini_engine: Engine) -> None:
    session = Session()
    say(mini_engine, session, "combo checker")
    reply = say(mini_engine, session, "something unheard of")
    assert reply.text.startswith("I don't know that one.")
    assert session.step == "first"
    reply = say(mini_engine, session, "coke")
    assert session.step == "second" and session.vars == {"first": "cocaine"}
    reply = say(mini_engine, session, "a few beers")
    assert reply.kind == "flow" and session.step == "result"
    assert reply.text.startswith("Cocaine + Alcohol\n🔴 Unsafe")
    assert "cocaethylene" in reply.text
    reply = press(mini_engine, session, "s:combo-check:first")
    assert session.step == "first" and reply.text.startswith("Name the first substance")
    reply = press(mini_engine, session, CB_STOP)
    assert session.flow is None and reply.text.startswith("Stopped.")


def test_two_substances_at_the_first_step_fill_both(mini_engine: Engine) -> None:
    session = Session()
    say(mini_engine, session, "combo checker")
    reply = say(mini_engine, session, "heroin and booze")
    assert session.step == "result"
    assert "⛔ Dangerous" in reply.text


def test_typed_stop_word_leaves_the_flow(mini_engine: Engine) -> None:
    session = Session()
    say(mini_engine, session, "combo checker")
    reply = say(mini_engine, session, "stop")
    assert session.flow is None and reply.kind == "command"


def test_combo_question_outside_a_flow(mini_engine: Engine) -> None:
    reply = say(mini_engine, Session(), "is it ok to drink on coke")
    assert reply.kind == "combo" and reply.id == "alcohol+cocaine"
    comparison = mini_engine.classify("coke or heroin which is worse", "en")
    assert comparison.kind != "combo"
    assert mini_engine.classify("how much water should i drink on coke", "en").kind != "combo"


def test_best_match_answers_with_buttons(mini_engine: Engine) -> None:
    reply = say(mini_engine, Session(), "where can i get narcan")
    assert reply.kind == "answer" and reply.id == "naloxone"
    assert reply.text.startswith("Naloxone\n\nNaloxone reverses")
    assert datas(reply) == ["m:naloxone", "e:alcohol", CB_MENU]
    more = press(mini_engine, Session(), "m:naloxone")
    assert "https://www.who.int/" in more.text and "Reviewed: 2026-11-25" in more.text


def test_fallback_is_kind_and_offers_the_menu(mini_engine: Engine) -> None:
    reply = say(mini_engine, Session(), "who won the football")
    assert reply.kind == "fallback" and datas(reply) == [CB_MENU]
    assert "112 or 911" in reply.text


def test_menu_buttons_and_step_navigation(mini_engine: Engine) -> None:
    session = Session()
    reply = say(mini_engine, session, "/menu")
    assert datas(reply) == ["f:combo-check", "e:naloxone", "s:menu:emergencies", "l:en", "l:ru", CB_STOP]
    reply = press(mini_engine, session, "s:menu:emergencies")
    assert session.step == "emergencies" and datas(reply)[:2] == ["f:emergency-overdose", "s:menu:main"]
    reply = press(mini_engine, session, "f:emergency-overdose")
    assert reply.emergency and session.flow == "emergency-overdose"
    reply = press(mini_engine, session, "s:emergency-overdose:breathing")
    assert session.flow is None  # an end step with nothing to press releases the session
    assert datas(reply) == [CB_MENU, CB_STOP]


def test_stale_or_forged_buttons_lead_to_the_menu(mini_engine: Engine) -> None:
    for data in ("s:menu:gone", "e:nope", "zzz", "v:coke", "f:", "s:"):
        session = Session()
        reply = press(mini_engine, session, data)
        assert reply.kind == "flow" and reply.id == "menu"


def test_step_removed_by_a_reload_goes_back_to_the_menu(mini_engine: Engine) -> None:
    session = Session(flow="combo-check", step="vanished")
    reply = say(mini_engine, session, "coke")
    assert reply.id == "menu" and reply.text.startswith("The content was just updated")


def test_commands(mini_engine: Engine) -> None:
    session = Session()
    replies = mini_engine.handle(Incoming(text="/start"), session)
    assert replies[0].text.startswith("Hi. I'm an anonymous") and replies[1].id == "menu"
    assert say(mini_engine, session, "/help").text.startswith("Write a question")
    assert say(mini_engine, session, "/frobnicate").text.startswith("I don't know that command")
    assert say(mini_engine, session, "/country gb").text == "Emergency number set for United Kingdom: 999 or 112."
    assert say(mini_engine, session, "not breathing").text.startswith("1. Call 999 or 112 now.")
    assert say(mini_engine, session, "/country zz").text.startswith("I don't know that country code")
    assert say(mini_engine, session, "/stop").text.startswith("Stopped.")
    assert say(mini_engine, session, "/stop").text.startswith("Nothing to stop.")


def test_deep_link_opens_a_topic_or_flow_and_carries_the_campaign(mini_engine: Engine) -> None:
    reply = say(mini_engine, Session(), "/start naloxone__outreach-1")
    assert reply.id == "naloxone" and reply.campaign == "outreach-1"
    reply = say(mini_engine, Session(), "/start@hr_bot combo-check")
    assert reply.id == "combo-check" and reply.campaign is None
    replies = mini_engine.handle(Incoming(text="/start not-ours!!"), Session())
    assert replies[0].id == "start"


def test_forget_clears_everything(mini_engine: Engine) -> None:
    session = Session(locale="ru", country="GB", flow="combo-check", step="second", vars={"first": "cocaine"})
    reply = say(mini_engine, session, "/forget")
    assert reply.kind == "forget" and session.flow is None
    assert session.locale is None and session.vars == {} and session.country is None


def test_locale_from_choice_then_text_then_hint(mini_engine: Engine) -> None:
    session = Session()
    assert say(mini_engine, session, "меню").locale == "ru"
    assert say(mini_engine, Session(), "/help", hint="ru-RU").locale == "ru"
    assert say(mini_engine, Session(), "/help", hint="de").locale == "en"
    session = Session()
    reply = say(mini_engine, session, "/locale ru")
    assert reply.text == "Язык: русский." and session.locale == "ru"
    assert say(mini_engine, session, "/help").locale == "ru"
    reply = press(mini_engine, session, "l:en")
    assert reply.text == "Language: English." and session.locale == "en"
    assert say(mini_engine, session, "/locale xx").text.startswith("I don't have that language yet")


def test_conversation_in_russian(mini_engine: Engine) -> None:
    session = Session()
    reply = say(mini_engine, session, "помогите он не дышит")
    assert reply.emergency and reply.locale == "ru" and reply.text.startswith("1. Звони 112 или 103 сейчас.")
    assert [b.label for b in reply.buttons][:2] == ["Дышит", "Про налоксон"]
    reply = press(mini_engine, session, "e:naloxone")
    assert reply.text.startswith("Налоксон\n\n") and reply.locale == "ru"
    say(mini_engine, session, "проверить сочетание")
    say(mini_engine, session, "кокс")
    reply = say(mini_engine, session, "водка")
    assert reply.text.startswith("Кокаин + Алкоголь\n🔴 Небезопасно")


def test_session_round_trips_and_survives_garbage() -> None:
    session = Session(locale="ru", flow="menu", step="main", vars={"first": "cocaine"})
    assert Session.from_json(session.to_json()) == session
    for raw in (None, "", "not json", "[1,2]", '{"locale": 5, "vars": "x"}'):
        assert Session.from_json(raw) == Session()


def test_emergency_placeholder_in_an_entry_is_the_persons_number(real_content) -> None:
    """An entry may say {emergency}: it reads as the number of the person's country (else of their language)."""
    import dataclasses

    from bot.content import Content

    pack = real_content.locales["ru"]
    naloxone = pack.entries["naloxone"]
    changed = dataclasses.replace(naloxone, answer="Звони {emergency}.", more="Ещё раз: {emergency}.")
    content: Content = dataclasses.replace(
        real_content, locales={**real_content.locales, "ru": dataclasses.replace(pack, entries={**pack.entries, "naloxone": changed})}
    )
    engine = Engine(content)
    session = Session(locale="ru", country="IL")
    reply = engine.handle(Incoming(button="e:naloxone"), session)[-1]
    assert "{emergency}" not in reply.text and content.emergency_numbers("ru", "IL") in reply.text
    more = engine.handle(Incoming(button="m:naloxone"), session)[-1]
    assert content.emergency_numbers("ru", "IL") in more.text
