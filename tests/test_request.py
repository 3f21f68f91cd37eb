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
