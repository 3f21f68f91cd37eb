"""The bot's HTTP layer (aiohttp, JSON bodies) against the fake Bot API: what arrives, and how each way of
failing surfaces (TimedOut not sent / maybe sent, NetworkError), which `transport.deliver` relies on."""

from __future__ import annotations

import asyncio

import pytest
from fakebotapi import FakeBotAPI
from harness import TOKEN
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.telegram.request import AiohttpRequest
from bot.telegram.transport import written


def make_bot(api: FakeBotAPI, request: AiohttpRequest) -> Bot:
    return Bot(TOKEN, base_url=f"{api.url}/bot", request=request, get_updates_request=AiohttpRequest(1))


async def test_a_message_arrives_as_json_with_its_keyboard(api: FakeBotAPI) -> None:
    async with make_bot(api, AiohttpRequest(2)) as bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Более", callback_data="more:1")]])
        sent = await bot.send_message(1001, "привет «мир»", reply_markup=keyboard)
    assert sent.text == "привет «мир»" and sent.chat.id == 1001
    (call,) = api.sent()
    assert call.params["chat_id"] == 1001 and call.text == "привет «мир»"
    assert call.buttons == [("Более", "more:1")]  # an object in the JSON body, not a string to decode


async def test_a_read_timeout_may_have_been_written(api: FakeBotAPI) -> None:
    api.hold_next("sendMessage")
    async with make_bot(api, AiohttpRequest(2, read_timeout=0.2)) as bot:
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(1001, "hi")
    assert written(caught.value)


async def test_waiting_for_a_connection_too_long_was_not_sent(api: FakeBotAPI) -> None:
    gate = api.hold_next("sendMessage")
    async with make_bot(api, AiohttpRequest(1, read_timeout=5, pool_timeout=0.1, connect_timeout=0.1)) as bot:
        first = asyncio.ensure_future(bot.send_message(1001, "first"))  # holds the only connection
        await api.wait(lambda: bool(api.of("sendMessage")), what="the first call")
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(1001, "second")
        assert not written(caught.value)
        gate.set()
        await first
    assert [c.text for c in api.sent()] == ["first"]


async def test_a_reset_connection_is_a_network_error(api: FakeBotAPI) -> None:
    api.reset_next("sendMessage")
    async with make_bot(api, AiohttpRequest(2)) as bot:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(1001, "hi")
        assert not isinstance(caught.value, TimedOut)
        assert (await bot.send_message(1001, "again")).text == "again"  # the pool recovers


async def test_a_call_makes_no_thread_hop(api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp's trust_env asked the environment for a proxy and read ~/.netrc in a worker thread on every
    call: two thread hops per message, and a throughput that swung by half from run to run."""
    loop = asyncio.get_running_loop()
    hops: list[object] = []
    original = loop.run_in_executor

    def counting(executor: object, func: object, *args: object) -> object:
        hops.append(func)
        return original(executor, func, *args)  # type: ignore[arg-type]

    async with make_bot(api, AiohttpRequest(2)) as bot:
        monkeypatch.setattr(loop, "run_in_executor", counting)
        for n in range(3):
            await bot.send_message(1001, f"hi {n}")
    assert hops == [] and len(api.sent()) == 3


async def test_a_proxy_from_the_environment_is_used_and_no_proxy_is_honoured(api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP(S)_PROXY and NO_PROXY as httpx honours them: the fake Bot API stands in for the proxy here, so a
    Bot API host that does not exist is reached through it (nothing but 127.0.0.1 is ever connected to)."""
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", api.url)
    request = AiohttpRequest(2)
    bot = Bot(TOKEN, base_url="http://api.telegram.invalid/bot", request=request, get_updates_request=AiohttpRequest(1))
    async with bot:
        await bot.send_message(1001, "through the proxy")
    assert [c.text for c in api.sent()] == ["through the proxy"]
    monkeypatch.setenv("NO_PROXY", "api.telegram.invalid")
    assert AiohttpRequest(1).proxy_for("http://api.telegram.invalid/bot1:x/sendMessage") == (None, None)
    monkeypatch.delenv("HTTP_PROXY")
    monkeypatch.delenv("NO_PROXY")
    assert AiohttpRequest(1).proxy_for("https://api.telegram.org/bot1:x/sendMessage") == (None, None)
