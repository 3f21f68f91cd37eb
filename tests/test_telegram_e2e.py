"""End to end: the real python-telegram-bot Application and HTTP layer against a local fake Bot API.

Updates come in through getUpdates (polling) and through webhook POSTs; the tests assert the calls the fake
server receives. Every wait is on an event and bounded by a timeout; only 127.0.0.1 is ever contacted.
Exact texts come from the small fixture content (tests/fixtures/mini).
"""

from __future__ import annotations

import asyncio
import inspect
import io
import logging
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fakebotapi import BOT_ID, BOT_USERNAME, Call, FakeBotAPI, callback, command, message, photo
from harness import MINI, PEPPER, ROOT, SECRET, TOKEN, WAIT, hrbot_env, running
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.cli import main
from bot.content.buttons import CB_MENU, CB_STOP
from bot.engine import Engine, Incoming, ReplyButton
from bot.session import Session
from bot.storage import CounterKey, MemoryStore
from bot.telegram import PrivacyFilter, Settings, StartError, TelegramBot, serve
from bot.telegram.logs import KeyValueFormatter
from bot.telegram.render import keyboard, split_text

HELP = "Write a question in your own words"


def order(api: FakeBotAPI, *methods: str) -> list[str]:
    return [c.method for c in api.calls if c.method in methods]


def datas(call: Call) -> list[str]:
    return [data for _, data in call.buttons]


# --- start-up --------------------------------------------------------------------------------------------------


async def test_startup_sets_commands_per_locale_and_polls(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine):
        await api.wait(lambda: bool(api.of("getUpdates")), WAIT, "the first getUpdates")
    assert api.calls[0].method == "getMe"
    commands = api.of("setMyCommands")
    assert [c.params.get("language_code") for c in commands] == [None, "en", "ru"]
    names = [cmd["command"] for cmd in commands[0].params["commands"]]
    assert names == ["start", "menu", "help", "language", "privacy", "forget", "stop"]
    ru = {cmd["command"]: cmd["description"] for cmd in commands[2].params["commands"]}
    assert ru["forget"] == "Удалить мою сессию сейчас"
    assert all(c.params["scope"] == {"type": "all_private_chats"} for c in commands)
    assert api.of("deleteWebhook"), "polling starts by removing any webhook"


# --- conversations (polling) -----------------------------------------------------------------------------------


async def test_emergency_message_gets_the_steps_first(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine) as bot:
        api.push(message("HELP he is not breathing", chat_id=501))
        [sent] = await api.wait_sent(1, 501)
        await bot.tg.idle()  # counted once delivered
        counters = await bot.store.counters()
    assert sent.text.startswith("1. Call 112 or 911 now.")
    assert CB_MENU in datas(sent) and CB_STOP in datas(sent)
    assert "parse_mode" not in sent.params  # plain text: nothing in the content can break escaping
    assert sent.params["link_preview_options"] == {"is_disabled": True}
    assert [(k.locale, k.target, k.campaign) for k, _ in counters] == [("en", "emergency-overdose", "")]


async def test_flow_walked_by_button_presses(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine):
        api.push(command("/menu", chat_id=502))
        [menu] = await api.wait_sent(1, 502)
        assert menu.text == "What do you need?"
        labels = dict(menu.buttons)
        assert labels["Emergency"] == "s:menu:emergencies"
        api.push(callback("s:menu:emergencies", chat_id=502, message_id=menu.params.get("message_id") or 1000))
        sent = await api.wait_sent(2, 502)
        assert sent[1].text == "Which emergency?"
        api.push(callback(dict(sent[1].buttons)["Overdose"], chat_id=502))
        sent = await api.wait_sent(3, 502)
        assert sent[2].text.startswith("1. Call 112 or 911 now.")
        api.push(callback(dict(sent[2].buttons)["Breathing now"], chat_id=502))
        sent = await api.wait_sent(4, 502)
        assert sent[3].text == "Put them in the recovery position and stay."
    # each press is acknowledged before its answer is sent, and answered as a new message (no edits)
    assert order(api, "sendMessage", "answerCallbackQuery") == ["sendMessage"] + ["answerCallbackQuery", "sendMessage"] * 3
    assert not api.of("editMessageText")


async def test_combo_question(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine):
        api.push(message("coke and alcohol together", chat_id=503))
        [sent] = await api.wait_sent(1, 503)
    assert sent.text.startswith("Alcohol + Cocaine\n🔴 Unsafe")
    assert datas(sent) == ["f:combo-check", CB_MENU]


async def test_deep_link_opens_the_topic_and_counts_the_campaign(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine, store=MemoryStore(campaigns=["flyer1"])) as bot:  # declared: counted by name
        api.push(command("/start naloxone__flyer1", chat_id=504))
        [sent] = await api.wait_sent(1, 504)
        await bot.tg.idle()
        counters = dict(await bot.store.counters())
    assert sent.text == "Naloxone\n\nNaloxone reverses an opioid overdose for a while. Carry it."
    assert datas(sent) == ["m:naloxone", "e:alcohol", CB_MENU]
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert counters == {CounterKey(day, "en", "naloxone", "flyer1"): 1}


async def test_language_choice_sticks(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine):
        api.push(command("/language", chat_id=505))
        api.push(command("/language ru", chat_id=505))
        api.push(command("/help", chat_id=505, language_code="en"))
        sent = await api.wait_sent(3, 505)
    assert sent[0].text == "I don't have that language yet. Available: en, ru."
    assert sent[1].text == "Язык: русский."
    assert sent[2].text.startswith("Пиши вопрос своими словами")  # the choice beats Telegram's language_code


async def test_telegram_language_code_is_the_hint(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine):
        api.push(command("/help", chat_id=506, language_code="ru-RU"))
        [sent] = await api.wait_sent(1, 506)
    assert sent.text.startswith("Пиши вопрос своими словами")


async def test_forget_deletes_the_session(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine) as bot:
        key = bot.tg.conversation.pseudonym(507)
        api.push(message("combo checker", chat_id=507))
        await api.wait_sent(1, 507)
        await bot.tg.idle()  # saved once the reply is delivered
        stored = await bot.store.load_session(key)
        assert stored is not None and stored.flow == "combo-check"
        api.push(command("/forget", chat_id=507))
        sent = await api.wait_sent(2, 507)
        await bot.tg.idle()
        assert await bot.store.load_session(key) is None
    assert sent[1].text.startswith("Done. I deleted your session")
    assert "507" not in key  # keyed by the pseudonym, never the chat id


async def test_photo_sticker_and_location_get_a_polite_text_reply(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine):
        api.push(photo(chat_id=508))
        api.push(photo(chat_id=508, caption="is this pill safe"))
        sticker = {
            "file_id": "st",
            "file_unique_id": "stu",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
        api.push(message(None, chat_id=508, sticker=sticker))
        api.push(message(None, chat_id=508, location={"latitude": 51.5, "longitude": -0.1}))
        api.push(message(None, chat_id=508, voice={"file_id": "v", "file_unique_id": "vu", "duration": 2}))
        sent = await api.wait_sent(5, 508)
    assert {c.text for c in sent} == {"I can only read text messages. Please write your question in words."}
    assert datas(sent[0]) == [CB_MENU]


async def test_group_answers_only_when_addressed_and_only_with_a_hint(api: FakeBotAPI, mini_engine: Engine) -> None:
    group = -100123
    async with running(api, mini_engine) as bot:
        api.push(message("he is not breathing", chat_id=group, chat_type="supergroup", user_id=600))
        api.push(message("/help", chat_id=group, chat_type="group", user_id=600))  # a bare command: for every bot
        mention = f"@{BOT_USERNAME} what is naloxone"
        api.push(
            message(mention, chat_id=group, chat_type="supergroup", user_id=600, entities=[{"type": "mention", "offset": 0, "length": 11}])
        )
        api.push(command(f"/help@{BOT_USERNAME}", chat_id=group, chat_type="supergroup", user_id=601))
        bot_message = {"message_id": 77, "date": 1, "chat": {"id": group, "type": "supergroup", "title": "g"}, "text": "hi"}
        bot_message["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "HR Test", "username": BOT_USERNAME}
        api.push(message("thanks, and naloxone?", chat_id=group, chat_type="supergroup", user_id=602, reply_to_message=bot_message))
        api.push(message("sync", chat_id=509))  # a private message after all of them: once answered, the group ones are done
        await api.wait_sent(1, 509)
        sent = await api.wait_sent(3, group)
        sessions = [await bot.store.load_session(bot.tg.conversation.pseudonym(c)) for c in (group, 600, 601, 602)]
    hint = "I answer privately, so nobody else sees your questions. Write to me in a private chat."
    assert [c.text for c in sent] == [hint] * 3
    assert all(not c.buttons for c in sent)  # no buttons in groups: pressing one would start a conversation there
    assert all(c.params["reply_parameters"]["allow_sending_without_reply"] for c in sent)
    assert sessions == [None, None, None, None]  # nothing stored for groups


async def test_updates_of_one_chat_in_order_other_chats_concurrently(api: FakeBotAPI, mini_engine: Engine) -> None:
    class SlowStore(MemoryStore):
        slow: frozenset[str] = frozenset()

        async def load_session(self, key: str) -> Session | None:
            if key in self.slow:
                await asyncio.sleep(0.05)
            return await super().load_session(key)

    store = SlowStore()
    async with running(api, mini_engine, store=store) as bot:
        store.slow = frozenset({bot.tg.conversation.pseudonym(510)})
        for text in ("combo checker", "coke", "a few beers"):
            api.push(message(text, chat_id=510))
        api.push(command("/help", chat_id=511))
        slow = await api.wait_sent(3, 510)
        fast = api.sent(511)
    assert [c.text.split("\n")[0] for c in slow] == ["Name the first substance.", "And the second?", "Cocaine + Alcohol"]
    assert fast and fast[0].at < slow[-1].at  # the other chat did not wait for the slow one


# --- failures --------------------------------------------------------------------------------------------------


async def test_429_is_retried_after_retry_after(api: FakeBotAPI, mini_engine: Engine) -> None:
    api.fail_next("sendMessage", 429, retry_after=1)
    async with running(api, mini_engine):
        api.push(command("/help", chat_id=512))
        [sent] = await api.wait_sent(1, 512)
    tries = api.of("sendMessage")
    assert [c.status for c in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 1.0
    assert sent.text.startswith("Write a question in your own words")


async def test_500_is_retried_with_backoff(api: FakeBotAPI, mini_engine: Engine) -> None:
    api.fail_next("sendMessage", 500, times=2)
    async with running(api, mini_engine):
        api.push(command("/help", chat_id=513))
        await api.wait_sent(1, 513)
    assert [c.status for c in api.of("sendMessage")] == [500, 500, 200]


async def test_a_failing_update_does_not_stop_the_bot(api: FakeBotAPI, mini_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    api.fail_next("sendMessage", 400)  # Bad Request: not retried, the update fails
    api.fail_next("sendMessage", 500, times=5)  # retried with backoff within send_deadline: the next one arrives
    async with running(api, mini_engine):
        api.push(command("/help", chat_id=514))
        api.push(command("/help", chat_id=514))
        api.push(message("he is not breathing", chat_id=514))
        sent = await api.wait_sent(2, 514)
    assert sent[0].text.startswith(HELP) and sent[1].text.startswith("1. Call 112 or 911 now.")
    assert [c.status for c in api.of("sendMessage")] == [400, 500, 500, 500, 500, 500, 200, 200]
    failed = [r for r in caplog.records if r.getMessage() == "update failed"]
    assert [r.fields["error"] for r in failed] == ["BadRequest"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("fault", ["429", "500", "reset"])
async def test_an_emergency_reply_is_retried_until_sent(api: FakeBotAPI, mini_engine: Engine, fault: str) -> None:
    """Regression (issue 13, item 5): after 3 retries a reply was dropped, emergency replies included."""
    times = 8  # the old limit was 3 retries
    if fault == "429":
        api.fail_next("sendMessage", 429, times=times, retry_after=0)
    elif fault == "500":
        api.fail_next("sendMessage", 500, times=times)
    else:
        api.reset_next("sendMessage", times=times)
    async with running(api, mini_engine, send_deadline=0.05, retry_backoff=0.001):  # an ordinary reply would give up
        api.push(message("he is not breathing", chat_id=516))
        [sent] = await api.wait_sent(1, 516, timeout=WAIT * 2)
    assert sent.text.startswith("1. Call 112 or 911 now.")
    assert len(api.of("sendMessage")) == times + 1


async def test_an_undelivered_reply_does_not_advance_the_flow(api: FakeBotAPI, mini_engine: Engine) -> None:
    """Regression (issue 13, item 5): the session moved on although the person never saw the question."""
    async with running(api, mini_engine, send_deadline=0.2) as bot:
        api.push(message("combo checker", chat_id=517))
        [first] = await api.wait_sent(1, 517)
        assert first.text == "Name the first substance."
        api.fail_next("sendMessage", 500, times=1000)  # longer than send_deadline
        api.push(message("coke", chat_id=517))
        await api.wait(lambda: len(api.of("sendMessage")) >= 3, WAIT, "retries")
        await bot.tg.idle()
        api._failures.clear()  # the Bot API works again
        api.push(message("coke", chat_id=517))  # the person says it again: the same step answers it
        sent = await api.wait_sent(2, 517)
        await bot.tg.idle()
        counters = dict(await bot.store.counters())
    assert sent[1].text.startswith("And the second?")
    assert sum(counters.values()) == 2  # the reply that never arrived is not counted


async def test_malformed_updates_do_not_stall_polling(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine):
        api.push({"message": "garbage"})
        api.push({"message": {"message_id": 1}})  # required fields missing
        api.push_raw("not an update at all")
        api.push({"brand_new_update_kind": {"x": 1}})
        extra = message("/help", chat_id=515)
        extra["message"]["field_from_the_future"] = {"y": 2}
        api.push(extra)
        api.push(message("he is not breathing", chat_id=515))
        sent = await api.wait_sent(2, 515)
    assert sent[0].text.startswith("Write a question in your own words")
    assert sent[1].text.startswith("1. Call 112 or 911 now.")


# --- webhook mode ----------------------------------------------------------------------------------------------


async def test_webhook_refuses_calls_without_the_secret(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine, webhook=True) as bot:
        [hook] = api.of("setWebhook")
        assert hook.params["url"] == "https://example.org/hrbot"
        assert hook.params["secret_token"] == SECRET
        assert hook.params["max_connections"] == 40
        assert hook.params["allowed_updates"] == ["message", "callback_query"]
        update = {"update_id": 1, **message("he is not breathing", chat_id=520)}
        assert await bot.post(update, secret=None) == 403
        assert await bot.post(update, secret="wrong") == 403
        assert await bot.post(update) == 200
        [sent] = await api.wait_sent(1)
    assert sent.params["chat_id"] == 520 and sent.text.startswith("1. Call 112 or 911 now.")
    assert not api.of("getUpdates")


async def test_webhook_survives_garbage_and_walks_a_flow(api: FakeBotAPI, mini_engine: Engine) -> None:
    async with running(api, mini_engine, webhook=True) as bot:
        assert await bot.post(None, raw=b"{not json") >= 400
        assert await bot.post({"update_id": 2, "message": "garbage"}) == 400
        assert await bot.post({"update_id": 3, "unknown": {"a": 1}}) == 200
        assert await bot.post({"update_id": 4, **command("/menu", chat_id=521)}) == 200
        [menu] = await api.wait_sent(1, 521)
        assert await bot.post({"update_id": 5, **callback(dict(menu.buttons)["Naloxone"], chat_id=521)}) == 200
        sent = await api.wait_sent(2, 521)
    assert sent[1].text.startswith("Naloxone\n\n")
    assert order(api, "answerCallbackQuery", "sendMessage")[-2:] == ["answerCallbackQuery", "sendMessage"]


async def test_webhook_generates_a_secret_when_none_is_given(api: FakeBotAPI, mini_engine: Engine) -> None:
    from bot.telegram.adapter import derived_webhook_secret

    async with running(api, mini_engine, webhook=True, secret_token=None) as bot:
        secret = api.of("setWebhook")[0].params["secret_token"]
        assert len(secret) >= 32
        assert secret == derived_webhook_secret(PEPPER)  # every worker sharing the pepper agrees (issue 13, item 12)
        assert secret != derived_webhook_secret(b"another pepper of enough bytes!!")
        update = {"update_id": 1, **command("/help", chat_id=522)}
        assert await bot.post(update, secret=None) == 403
        assert await bot.post(update, secret=secret) == 200
        await api.wait_sent(1, 522)


# --- shutdown, logs, rendering, CLI ----------------------------------------------------------------------------


async def test_stop_flushes_and_closes_the_store(api: FakeBotAPI, mini_engine: Engine) -> None:
    closed = asyncio.Event()

    class Store(MemoryStore):
        async def close(self) -> None:
            await super().close()
            closed.set()

    store = Store()
    async with running(api, mini_engine, store=store, flush_interval=60):
        api.push(command("/help", chat_id=530))
        await api.wait_sent(1, 530)
    assert closed.is_set()
    assert [(k.target, n) for k, n in await store.counters()] == [("help", 1)]


async def test_logs_hold_no_token_ids_names_or_text(api: FakeBotAPI, mini_engine: Engine) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(PrivacyFilter([TOKEN]))
    root = logging.getLogger()
    saved = root.level, {n: logging.getLogger(n).level for n in ("telegram", "httpx", "httpcore", "tornado")}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in saved[1]:
        logging.getLogger(name).setLevel(logging.DEBUG)  # the worst case: every library at DEBUG
    try:
        async with running(api, mini_engine, webhook=True) as bot:
            update = {"update_id": 9, **message("secretive question about naloxone", chat_id=987654321, user_id=987654321)}
            assert await bot.post(update) == 200
            assert await bot.post({"update_id": 10, "message": {"text": "garbled secretive"}}) == 400
            api.fail_next("sendMessage", 400)
            assert await bot.post({"update_id": 11, **command("/help", chat_id=987654321)}) == 200
            await api.wait(lambda: len(api.of("sendMessage")) >= 2, WAIT, "two sends")
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)
    out = stream.getvalue()
    assert "update failed" in out and "error=BadRequest" in out
    assert "Set Bot API URL" in out  # PTB logs the URL holding the token at DEBUG ...
    for secret in (TOKEN, TOKEN.split(":")[1], "987654321", "user987654321", "secretive", SECRET):
        assert secret not in out, secret  # ... but never the token, an id, a username or the text


def test_split_text_on_paragraphs_then_lines_then_hard() -> None:
    para = "a" * 3000
    chunks = split_text(f"{para}\n\n{para}\n\n{'b' * 10}")
    assert chunks == [para, f"{para}\n\n{'b' * 10}"]
    lines = "\n".join(["c" * 1000] * 6)
    assert [len(c) for c in split_text(lines)] == [4003, 2001]
    assert [len(c) for c in split_text("d" * 9000)] == [4096, 4096, 808]
    emoji = "🚨" * 3000  # two UTF-16 units each: Telegram's count
    assert [len(c) for c in split_text(emoji)] == [2048, 952]


async def test_long_reply_is_split_with_buttons_on_the_last_part(api: FakeBotAPI, mini_engine: Engine) -> None:
    from bot.engine import Reply, ReplyButton

    async with running(api, mini_engine) as bot:
        long = Reply(
            "x" * 3000 + "\n\n" + "<b>*_[y](z)_*</b> " * 200, (ReplyButton("ok", "menu"), ReplyButton("too long", "e:" + "z" * 80))
        )
        await bot.tg.send(540, long)
        sent = await api.wait_sent(2, 540)
    assert [len(c.text) for c in sent] == [3000, len(("<b>*_[y](z)_*</b> " * 200).strip())]
    assert not sent[0].buttons and sent[1].buttons == [("ok", "menu")]  # callback data over 64 bytes is dropped


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "no bot token"),
        ({"TELEGRAM_BOT_TOKEN": "12345:short"}, "malformed"),
        ({"TELEGRAM_BOT_TOKEN": "not a token at all " + "x" * 40}, "malformed"),
        ({"TELEGRAM_BOT_TOKEN_FILE": "/nonexistent/token"}, "cannot read TELEGRAM_BOT_TOKEN_FILE"),
    ],
)
def test_run_without_a_good_token_exits_2_with_one_line(
    env: dict[str, str], needle: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["--content", str(MINI), "run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hrbot run: ") and needle in err
    assert "short" not in err and "not a token" not in err


POLLED, RELOADED = 5_500_000_550, 5_800_000_580  # ten digits: no timestamp or duration in the log contains them by chance


async def test_hrbot_run_polls_answers_and_stops_on_sigterm(api: FakeBotAPI, tmp_path: Path) -> None:
    env = hrbot_env(api)
    argv = [sys.executable, "-m", "bot.cli", "--content", str(MINI), "run", "--database", str(tmp_path / "hrbot.db")]
    proc = await asyncio.create_subprocess_exec(*argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        api.push(message("he is not breathing", chat_id=POLLED))
        [sent] = await api.wait_sent(1, POLLED, timeout=20)
        assert sent.text.startswith("1. Call 112 or 911 now.")
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), WAIT * 2)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = err.decode()
    assert proc.returncode == 0, log
    assert 'msg="bot started" mode=polling' in log and 'msg="bot stopped"' in log
    assert TOKEN not in log and str(POLLED) not in log and "breathing" not in log


@pytest.mark.parametrize("how", ["sighup", "watch"])
async def test_hrbot_run_reloads_content_without_losing_a_person_mid_flow(api: FakeBotAPI, tmp_path: Path, how: str) -> None:
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    env = hrbot_env(api)
    argv = [sys.executable, "-m", "bot.cli", "--content", str(content), "run", "--database", str(tmp_path / "hrbot.db")]
    if how == "watch":
        argv.append("--watch")
    proc = await asyncio.create_subprocess_exec(*argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: list[str] = []

    async def logged(needle: str) -> None:  # await the log line instead of sleeping for long enough
        assert proc.stderr is not None
        async with asyncio.timeout(20):
            while not any(needle in line for line in lines):
                line = await proc.stderr.readline()
                if not line:
                    raise AssertionError(f"hrbot run ended before logging {needle!r}:\n" + "".join(lines))
                lines.append(line.decode())

    try:
        api.push(message("combo checker", chat_id=RELOADED))
        await api.wait_sent(1, RELOADED, timeout=20)
        api.push(message("coke", chat_id=RELOADED))
        await api.wait_sent(2, RELOADED)
        # A broken edit is refused: the old content keeps answering.
        combo = content / "dialogues" / "combo-check.yaml"
        good = combo.read_text()
        combo.write_text(good.replace("goto: result", "goto: nowhere"))
        if how == "sighup":
            proc.send_signal(signal.SIGHUP)
        await logged("content reload refused: dialogues/combo-check.yaml:")
        # A good edit is taken; the person mid-flow carries on from their step.
        combo.write_text(good.replace("Want to check another?", "Reloaded, check another?"))
        if how == "sighup":
            proc.send_signal(signal.SIGHUP)
        await logged("content reloaded")
        api.push(message("beer", chat_id=RELOADED))
        sent = await api.wait_sent(3, RELOADED)
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), WAIT * 2)
        assert sent[2].text.startswith("Cocaine + Alcohol") and sent[2].text.endswith("Reloaded, check another?"), err.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = "".join(lines) + err.decode()
    assert "content reload refused: dialogues/combo-check.yaml:" in log and "content reloaded" in log
    assert str(RELOADED) not in log and "coke" not in log


async def test_shipped_content_through_telegram(api: FakeBotAPI, real_engine: Engine) -> None:
    """The real content answers through the real stack just as the engine does on its own."""
    expected = [r.text for r in real_engine.handle(Incoming(text="he is not breathing", locale_hint="en"), Session())]
    async with running(api, real_engine):
        api.push(message("he is not breathing", chat_id=560))
        api.push(command("/start", chat_id=561, language_code="ru"))
        sent = await api.wait_sent(len(expected), 560)
        assert len(await api.wait_sent(2, 561)) == 2  # the welcome, then the menu
    assert [c.text for c in sent] == [chunk for text in expected for chunk in split_text(text)]
    ru = {c["command"]: c["description"] for c in api.of("setMyCommands")[2].params["commands"]}
    assert ru["forget"] == real_engine.content.locales["ru"].strings.get("command_forget", ru["forget"])


async def test_a_database_that_cannot_open_is_a_one_line_start_error(api: FakeBotAPI, mini_engine: Engine) -> None:
    class Broken(MemoryStore):
        async def open(self) -> None:
            raise OSError("postgresql://user:hunter2@db/x is unreachable")

    tg = TelegramBot(mini_engine, Broken(), PEPPER, Settings(token=TOKEN, api_url=api.url))
    with pytest.raises(StartError) as info:
        await asyncio.wait_for(serve(tg, asyncio.Event()), WAIT)
    assert str(info.value) == "cannot open the database (OSError)"
    assert not tg.application.running


@pytest.mark.parametrize("keep", [False, True])
async def test_unanswered_questions_are_noted_only_when_enabled(api: FakeBotAPI, mini_engine: Engine, keep: bool) -> None:
    store = MemoryStore(pepper=PEPPER, unanswered_min_people=2)
    async with running(api, mini_engine, store=store, keep_unanswered=keep):
        for chat_id in (570, 571):
            api.push(message("is the moon made of cheese", chat_id=chat_id))
            api.push(message("whatabout zorblax 42 call me", chat_id=chat_id))  # unknown words, a number: never kept
        api.push(message("he is not breathing", chat_id=572))
        await api.wait_sent(2, 570)
        await api.wait_sent(2, 571)
        await api.wait_sent(1, 572)
    kept = [u.text for u in await store.unanswered()]
    assert kept == (["is the moon made of cheese"] if keep else [])


# --- issue 13: CPU per message, python-telegram-bot v22 contracts ----------------------------------------------


async def test_a_slow_message_does_not_hold_up_other_chats_emergencies(api: FakeBotAPI, mini_engine: Engine) -> None:
    """Regression (issue 13, item 3): two substances and ~330 "or" cost up to 430 ms of matching on the event
    loop, and other chats' emergency replies waited seconds. A message is cut to 2,000 characters before
    matching, and a long one is matched in a worker thread. Here its matching spins until the other chat's
    emergency reply has arrived: on the event loop that could never happen."""
    release = threading.Event()
    lengths: list[int] = []
    handle = mini_engine.handle

    def slow_handle(incoming: Incoming, session: Session) -> list:  # type: ignore[type-arg]
        if incoming.text is not None and len(incoming.text) > 500:
            lengths.append(len(incoming.text))
            deadline = time.monotonic() + WAIT * 2
            while not release.is_set() and time.monotonic() < deadline:
                sum(range(1000))  # busy, as the quadratic matching was
        return handle(incoming, session)

    mini_engine.handle = slow_handle  # type: ignore[method-assign]
    attack = ("coke and alcohol" + " or" * 330 + " ") * 5
    async with running(api, mini_engine):
        api.push(message(attack, chat_id=590))
        await api.wait(lambda: bool(lengths), WAIT, "the slow message being matched")
        api.push(message("he is not breathing", chat_id=591))
        [emergency] = await api.wait_sent(1, 591)
        release.set()
        [slow] = await api.wait_sent(1, 590)
    assert emergency.text.startswith("1. Call 112 or 911 now.") and emergency.at < slow.at
    assert lengths == [2000]  # cut before matching


def test_the_update_processor_keeps_python_telegram_bots_contracts() -> None:
    """Regression (issue 13, item 15): `process_update` is @final (the per-chat order lives in
    `do_process_update`), and no request class overrides the static `parse_json_payload`."""
    from telegram.ext import BaseUpdateProcessor
    from telegram.request import BaseRequest

    from bot.telegram import transport

    assert transport.ChatOrderedProcessor.process_update is BaseUpdateProcessor.process_update
    assert "do_process_update" in vars(transport.ChatOrderedProcessor)
    for value in vars(transport).values():
        if isinstance(value, type) and issubclass(value, BaseRequest):
            assert "parse_json_payload" not in vars(value), value


async def test_each_polled_update_is_parsed_once(api: FakeBotAPI, mini_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (issue 13, item 15): every polled update was parsed twice (a check, then the batch)."""
    from telegram import Update

    parsed: list[int] = []
    original = Update.de_json.__func__  # type: ignore[attr-defined]

    def counting(cls: type, data: object, bot: object = None) -> object:
        if isinstance(data, dict):
            parsed.append(data.get("update_id", -1))
        return original(cls, data, bot)

    monkeypatch.setattr(Update, "de_json", classmethod(counting))
    async with running(api, mini_engine) as bot:
        ids = [api.push(command("/help", chat_id=c)) for c in (592, 593, 594)]
        for c in (592, 593, 594):
            await api.wait_sent(1, c)
        await bot.tg.idle()
    assert sorted(parsed) == sorted(ids)


async def test_one_update_posted_many_times_gets_one_reply(api: FakeBotAPI, mini_engine: Engine) -> None:
    """Regression (issue 13, item 1): 2,000 POSTs of one update got 2,000 replies."""
    async with running(api, mini_engine, webhook=True) as bot:
        update = {"update_id": 77, **message("he is not breathing", chat_id=595)}
        statuses = await asyncio.gather(*(bot.post(update) for _ in range(200)))
        assert set(statuses) == {200}  # copies wait for the first and are then acknowledged
        assert await bot.post({"update_id": 78, **command("/help", chat_id=595)}) == 200
        await bot.tg.idle()
    sent = api.sent(595)
    assert len(sent) == 2 and sent[0].text.startswith("1. Call 112 or 911 now.") and sent[1].text.startswith(HELP)


async def test_stopping_with_an_emergency_reply_still_retrying_leaves_it_for_the_next_start(
    api: FakeBotAPI, mini_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13, items 5 and 8: an emergency reply is retried until it is sent or the process stops; stopped,
    its update is not confirmed, so the next process gets it again and sends it (once)."""
    from bot.telegram import runner

    monkeypatch.setattr(runner, "STOP_GRACE", 0.3)
    store = MemoryStore()
    api.fail_next("sendMessage", 500, times=100_000)  # the Bot API fails for as long as this process runs
    async with running(api, mini_engine, store=store, send_deadline=0.01):
        api.push(message("he is not breathing", chat_id=596))
        await api.wait(lambda: len(api.of("sendMessage")) >= 5, WAIT, "retries")
    assert not api.sent(596)
    api._failures.clear()
    async with running(api, mini_engine, store=store) as bot:
        [sent] = await api.wait_sent(1, 596)
        api.push(command("/help", chat_id=596))
        await api.wait_sent(2, 596)
        await bot.tg.idle()
    assert sent.text.startswith("1. Call 112 or 911 now.") and len(api.sent(596)) == 2


def test_a_keyboard_is_made_once_per_set_of_buttons() -> None:
    # built once and reused: PTB's markup objects are immutable, and the content's buttons repeat
    buttons = (ReplyButton("Menu", "m:menu"), ReplyButton("x", "x" * 65))  # the second does not fit: left out
    first = keyboard(buttons)
    assert first is not None and first is keyboard((ReplyButton("Menu", "m:menu"), ReplyButton("x", "x" * 65)))
    assert [[b.text for b in row] for row in first.inline_keyboard] == [["Menu"]]
    assert keyboard((ReplyButton("x", "x" * 65),)) is None


def test_a_keyboard_gives_the_json_of_a_plain_markup_and_works_it_out_once() -> None:
    buttons = (ReplyButton("Menu", "m:menu"), ReplyButton("Меню", "m:help"))
    made = keyboard(buttons)
    assert made is not None
    plain = InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons])
    first = made.to_dict()
    assert first == plain.to_dict() and made == plain
    first["extra"] = 1  # a caller's change does not reach the next send
    assert made.to_dict() == plain.to_dict()
    assert made.to_dict()["inline_keyboard"] is made.to_dict()["inline_keyboard"]  # worked out once


async def test_a_reply_goes_out_as_send_message_sends_it_and_its_answer_is_not_parsed(
    api: FakeBotAPI, mini_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13, speed: python-telegram-bot parsed every sendMessage answer into a Message (a tenth of a turn's
    CPU) that nothing read. A reply now goes through `Bot._post`, below that parsing: the Bot API receives
    what `bot.send_message` sends, and only the updates that came in are parsed."""
    from telegram import Bot, LinkPreviewOptions, Message

    from bot.telegram.request import AiohttpRequest

    assert "data" in inspect.signature(Bot._post).parameters  # the PTB step `post_raw` relies on
    parsed: list[object] = []
    original = Message.de_json.__func__  # type: ignore[attr-defined]

    def counting(cls: type, data: object, bot: object = None) -> object:
        parsed.append(data)
        return original(cls, data, bot)

    monkeypatch.setattr(Message, "de_json", classmethod(counting))
    async with running(api, mini_engine) as bot:
        for text in ("/menu", "what is naloxone"):
            api.push(message(text, chat_id=597) if not text.startswith("/") else command(text, chat_id=597))
            await api.wait_sent(len(api.sent(597)) + 1, 597)
        await bot.tg.idle()
    ours = api.sent(597)
    assert len(parsed) == 2 and all(c.buttons for c in ours)  # the two updates' messages, no answer
    monkeypatch.undo()
    async with Bot(TOKEN, base_url=f"{api.url}/bot", request=AiohttpRequest(2), get_updates_request=AiohttpRequest(1)) as plain:
        for call in ours:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in call.buttons])
            await plain.send_message(597, call.text, reply_markup=markup, link_preview_options=LinkPreviewOptions(is_disabled=True))
    theirs = api.sent(597)[len(ours) :]
    assert [c.params for c in ours] == [c.params for c in theirs]
