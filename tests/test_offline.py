"""The conftest guard keeps every test off the real network: loopback works, anything else fails at once."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from conftest import RealNetworkError
from fakebotapi import FakeBotAPI


def test_a_connect_to_a_public_address_fails_at_once() -> None:
    with socket.socket() as sock, pytest.raises(RealNetworkError, match=r"203\.0\.113\.7:443"):
        sock.connect(("203.0.113.7", 443))  # TEST-NET-3: would hang or go out, never reaches the wire here
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(RealNetworkError):
        sock.connect_ex(("2001:db8::1", 443, 0, 0))


def test_a_name_is_refused_before_any_lookup() -> None:
    with pytest.raises(RealNetworkError, match=r"api\.telegram\.org"):
        socket.getaddrinfo("api.telegram.org", 443)
    assert socket.getaddrinfo("127.0.0.1", 80) and socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("0.0.0.0", 80, flags=socket.AI_PASSIVE)  # binding a server stays possible


async def test_the_real_bot_api_is_out_of_reach_and_the_fake_one_works(api: FakeBotAPI) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises((httpx.ConnectError, RealNetworkError)):
            await client.get("https://api.telegram.org/")
        answer = await client.post(f"{api.url}/bot{api.token}/getMe")
    assert answer.status_code == 200 and answer.json()["ok"] is True


async def test_asyncio_connections_are_guarded_too() -> None:
    with pytest.raises(RealNetworkError):
        await asyncio.wait_for(asyncio.open_connection("198.51.100.9", 80), 2)
