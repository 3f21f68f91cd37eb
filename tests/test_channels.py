"""One conversation driven through all three channels: Telegram (the real python-telegram-bot stack against the
fake Bot API), the terminal chat and the web chat's API. Every channel runs its turns through the same
conversation service, so each turn must get the same replies: the same texts and the same buttons."""

from __future__ import annotations

import io
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from fakebotapi import FakeBotAPI, callback, message
from harness import PEPPER, running

from bot.console import ConsoleChat
from bot.content import Content
from bot.conversation import Conversation
from bot.engine import Engine
from bot.storage import MemoryStore
from bot.web import WebSettings, create_app

CHAT = 4_242_424_242
TOKEN = "Channels-test-token-0123456789"

# (kind, what): a typed text, or a press of the last reply's button with this index
TURNS: list[tuple[str, Any]] = [
    ("text", "/start"),
    ("text", "my friend took heroin and now hes not breathing"),
    ("press", 0),
    ("text", "is it ok to mix mdma, ketamine and a few beers"),
    ("text", "thanks a lot"),
    ("text", "/forget"),
]

Said = list[tuple[str, list[str]]]  # per reply: its text and its button labels


async def by_terminal(engine: Engine) -> list[Said]:
    chat = ConsoleChat(Conversation(engine, MemoryStore(), PEPPER, channel="terminal"), io.StringIO(), "en")
    out: list[Said] = []
    last: list[tuple[str, str]] = []
    for kind, what in TURNS:
        replies = await chat.say(what if kind == "text" else str(what + 1))  # a button is typed as its number
        out.append([(r.text, [b.label for b in r.buttons]) for r in replies])
        last = [(b.label, b.data) for b in replies[-1].buttons]
    assert last
    return out


async def by_web(engine: Engine) -> list[Said]:
    server = TestServer(create_app(Conversation(engine, MemoryStore(), PEPPER, channel="web"), WebSettings(burst=50)))
    await server.start_server(access_log=None)
    client = TestClient(server)
    await client.start_server()
    out: list[Said] = []
    buttons: list[dict[str, str]] = []
    try:
        for kind, what in TURNS:
            body = {"session": TOKEN, "text": what} if kind == "text" else {"session": TOKEN, "button": buttons[what]["data"]}
            response = await client.post("/api/turn", json=body, headers={"Accept-Language": "en"})
            assert response.status == 200
            replies = (await response.json())["replies"]
            out.append([(r["text"], [b["label"] for b in r["buttons"]]) for r in replies])
            buttons = replies[-1]["buttons"]
    finally:
        await client.close()
    return out


async def by_telegram(api: FakeBotAPI, engine: Engine, expected: list[int]) -> list[Said]:
    out: list[Said] = []
    seen = 0
    async with running(api, engine) as bot:
        for (kind, what), count in zip(TURNS, expected, strict=True):
            if kind == "text":
                api.push(message(what, chat_id=CHAT))
            else:
                last = api.sent(CHAT)[-1]
                api.push(callback(last.buttons[what][1], chat_id=CHAT, message_id=last.params.get("message_id") or 1000))
            sent = await api.wait_sent(seen + count, CHAT)
            await bot.tg.idle()
            out.append([(call.text, [label for label, _ in call.buttons]) for call in sent[seen:]])
            seen += count
    return out


async def test_telegram_terminal_and_web_give_the_same_replies(api: FakeBotAPI, real_content: Content) -> None:
    engine = Engine(real_content)
    terminal = await by_terminal(engine)
    web = await by_web(engine)
    telegram = await by_telegram(api, engine, [len(turn) for turn in terminal])
    assert terminal[1][0][0].startswith("1. Call ")  # the emergency steps, number first
    assert "Alcohol" in terminal[3][0][0] and "Ketamine" in terminal[3][0][0]
    for n, (t, w, g) in enumerate(zip(terminal, web, telegram, strict=True)):
        # the web puts an emergency reply first; within a turn the engine already does, so the order is the same
        assert t == w, f"turn {n}: terminal and web differ"
        assert t == g, f"turn {n}: terminal and Telegram differ"
