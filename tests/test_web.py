"""The web chat's JSON API on the real conversation service and a real SQLite file: emergencies first with a
number to call, buttons, deep links, /forget, Russian by Accept-Language, and the limits (body size, token,
rate, headers, no cookies), then a privacy scan of the database and the log."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.content import Content
from bot.conversation import Conversation
from bot.engine import Engine
from bot.storage import open_store
from bot.web import WebSettings, create_app
from bot.web.server import RateLimit, accept_language, call_numbers

TOKEN = "Tq3vX9bK2mN8pL4wR7sY1zA6"  # what the page makes: random, kept in sessionStorage
PEPPER = b"p" * 32


@pytest.fixture
async def web(real_content: Content, tmp_path: Path) -> AsyncIterator[tuple[TestClient, Conversation, Path]]:
    store = open_store(tmp_path / "web.db", pepper=PEPPER)
    await store.open()
    conversation = Conversation(Engine(real_content), store, PEPPER, channel="web", keep_unanswered=True)
    server = TestServer(create_app(conversation, WebSettings(burst=30)))
    await server.start_server(access_log=None)  # as `serve` runs it: an access log would keep addresses and links
    client = TestClient(server)
    await client.start_server()
    try:
        yield client, conversation, tmp_path / "web.db"
    finally:
        await client.close()
        await conversation.shutdown()


async def turn(client: TestClient, body: dict, **headers: str) -> tuple[int, dict]:
    response = await client.post("/api/turn", json=body, headers=headers)
    return response.status, await response.json()


async def test_an_emergency_comes_first_with_the_number_to_call(web: tuple) -> None:
    client, _, _ = web
    status, body = await turn(client, {"session": TOKEN, "text": "my friend took heroin and is not breathing, lips blue"})
    assert status == 200
    first = body["replies"][0]
    assert first["emergency"] is True
    assert first["text"].startswith("1. Call ")
    assert first["call"] and all(n.isdigit() for n in first["call"])
    assert set(first) == {"text", "buttons", "emergency", "call"}


async def test_a_button_press_goes_on_with_the_flow(web: tuple) -> None:
    client, _, _ = web
    _, body = await turn(client, {"session": TOKEN, "text": "/menu"})
    buttons = body["replies"][-1]["buttons"]
    assert buttons and all(set(b) == {"label", "data"} for b in buttons)
    combo = next(b for b in buttons if "combination" in b["label"].lower())
    _, body = await turn(client, {"session": TOKEN, "button": combo["data"]})
    assert not body["replies"][-1]["emergency"]
    _, body = await turn(client, {"session": TOKEN, "text": "mdma and alcohol?"})
    assert "MDMA" in body["replies"][0]["text"] and "Alcohol" in body["replies"][0]["text"]


async def test_a_deep_link_opens_its_topic(web: tuple) -> None:
    client, _, _ = web
    _, body = await turn(client, {"session": TOKEN, "text": "/start naloxone__flyer2026"})
    assert "naloxone" in body["replies"][0]["text"].lower()


async def test_forget_deletes_the_session_at_once(web: tuple) -> None:
    client, conversation, _ = web
    await turn(client, {"session": TOKEN, "text": "/language"})
    key = conversation.pseudonym(TOKEN)
    assert await conversation.store.load_session(key) is not None
    _, body = await turn(client, {"session": TOKEN, "text": "/forget"})
    assert body["replies"]
    assert await conversation.store.load_session(key) is None


async def test_russian_from_accept_language(web: tuple) -> None:
    client, _, _ = web
    _, body = await turn(client, {"session": TOKEN, "text": "/start"}, **{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert any("а" <= ch <= "я" for ch in body["replies"][0]["text"].lower())


async def test_bad_requests_get_a_clear_answer(web: tuple) -> None:
    client, _, _ = web
    cases = [
        ({"session": "short", "text": "hi"}, 400),
        ({"session": TOKEN}, 400),
        ({"session": TOKEN, "text": "hi", "button": "x"}, 400),
        ({"session": TOKEN, "text": "x" * 5000}, 400),
        ({"session": TOKEN, "button": 5}, 400),
        (["not", "an", "object"], 400),
    ]
    for body, want in cases:
        status, answer = await turn(client, body)  # type: ignore[arg-type]
        assert status == want and answer["error"], body
    response = await client.post("/api/turn", data=b"{" + b"x" * 40_000, headers={"Content-Type": "application/json"})
    assert response.status == 413
    response = await client.post("/api/turn", data="text=hi", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 415
    response = await client.get("/api/turn")
    assert response.status == 405


async def test_headers_csp_and_no_cookies(web: tuple) -> None:
    client, _, _ = web
    for path in ("/", "/static/chat.js"):
        response = await client.get(path)
        assert response.status == 200
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "Set-Cookie" not in response.headers
    response = await client.post("/api/turn", json={"session": TOKEN, "text": "hi"})
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    page = await (await client.get("/")).text()
    assert "http://" not in page and "https://" not in page  # no third-party request from the page
    script = await (await client.get("/static/chat.js")).text()
    assert "https://" not in script and "http://" not in script


async def test_turns_are_rate_limited_per_token(real_content: Content, tmp_path: Path) -> None:
    store = open_store("memory")
    conversation = Conversation(Engine(real_content), store, PEPPER, channel="web")
    client = TestClient(TestServer(create_app(conversation, WebSettings(burst=3, per_second=0.01))))
    await client.start_server()
    try:
        statuses = [(await turn(client, {"session": TOKEN, "text": "hi"}))[0] for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        other = "Zz" * 12
        assert (await turn(client, {"session": other, "text": "hi"}))[0] == 200  # another person is not slowed
    finally:
        await client.close()


def test_rate_limit_memory_is_bounded() -> None:
    limit = RateLimit(burst=2, per_second=1.0, max_keys=100)
    for n in range(1000):
        limit.allow(f"k{n}", now=0.0)
    assert len(limit._buckets) == 100


def test_accept_language_and_call_numbers() -> None:
    assert accept_language("uk-UA,uk;q=0.9,ru;q=0.8,en;q=0.7", {"en", "ru", "uk"}) == "uk"
    assert accept_language("de-DE,de;q=0.9,ru;q=0.5", {"en", "ru", "uk"}) == "ru"
    assert accept_language("fr", {"en", "ru"}) is None and accept_language(None, {"en"}) is None
    from bot.engine import Reply

    reply = Reply("1. Call 103 (ambulance) or 112 now.\n2. Give 2 doses, 30 pushes.", emergency=True)
    assert call_numbers(reply) == ["103", "112"]
    assert call_numbers(Reply("Call 112", emergency=False)) == []


async def test_nothing_typed_or_identifying_is_stored_or_logged(web: tuple, caplog: pytest.LogCaptureFixture) -> None:
    client, conversation, path = web
    caplog.set_level(logging.DEBUG)
    secret_words = ["Quintessa", "+15550123456", "zxqvbn-unanswerable-blorp"]
    await turn(client, {"session": TOKEN, "text": "my name is Quintessa call me on +15550123456"})
    await turn(client, {"session": TOKEN, "text": "/start naloxone__Quintessa15550123456"})
    await turn(client, {"session": TOKEN, "text": "zxqvbn-unanswerable-blorp"})
    await conversation.store.flush()
    dump = "\n".join(sqlite3.connect(path).iterdump())
    for word in [*secret_words, TOKEN, "15550123456", "127.0.0.1"]:
        assert word not in dump
        assert word not in caplog.text


def test_a_taken_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "--content", str(root), "web", "--port", str(port), "--database", str(tmp_path / "w.db")],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=root,
        )
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("hrbot web:")]
    assert lines and f"cannot listen on 127.0.0.1:{port}" in lines[0] and "Traceback" not in done.stderr
