"""The Telegram side of the wire: the request layer, the update processor and send retries.

- `UpdatesRequest`: the getUpdates transport. A malformed update in a batch would make python-telegram-bot
  fail the whole batch and fetch it again forever; it is replaced by an empty update with the same id, so the
  offset moves on and the bot keeps running. Nothing of its content is logged.
- `ChatOrderedProcessor`: updates of different chats run concurrently, updates of one chat in order.
- `with_retries`: retries a send on network errors and 5xx (python-telegram-bot raises `NetworkError` or
  `TimedOut` for those) with exponential backoff; a 429 is retried by the AIORateLimiter after `retry_after`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import BaseUpdateProcessor
from telegram.request import HTTPXRequest

from .. import metrics
from .logs import fields

log = logging.getLogger("hrbot.telegram")
T = TypeVar("T")


class UpdatesRequest(HTTPXRequest):
    """HTTPXRequest for getUpdates that never lets one malformed update stall polling."""

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]  # issue 13 item 15
        try:
            data = json.loads(payload.decode("utf-8", "replace"))
        except ValueError:
            raise TelegramError("the Bot API answered with something that is not JSON") from None
        if not isinstance(data, dict):
            raise TelegramError("the Bot API answered with JSON that is not an object")
        result = data.get("result")
        if isinstance(result, list):
            data["result"] = [clean for item in result if (clean := sanitize_update(item)) is not None]
        return data


def sanitize_update(item: object) -> dict[str, Any] | None:
    """The update if python-telegram-bot can read it; else an empty update with its id; None without an id."""
    if not isinstance(item, dict) or type(item.get("update_id")) is not int:
        log.warning("malformed update dropped (no update_id)")
        return None
    try:
        Update.de_json(item, None)
    except Exception as exc:  # whatever the parser chokes on, the rest of the batch must go through
        log.warning("malformed update skipped", extra=fields(error=type(exc).__name__))
        return {"update_id": item["update_id"]}
    return item


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat (one FIFO lock per chat that has work in flight)."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[misc]  # issue 13 item 15
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await super().process_update(update, coroutine)
            return
        key = chat.id
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:  # taken before the semaphore: a busy chat cannot hold every slot
                await super().process_update(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


async def with_retries(method: str, call: Callable[[], Awaitable[T]], *, retries: int = 3, backoff: float = 0.5) -> T:
    """Await `call()`, again after `backoff`, 2x`backoff`, ... (with jitter) on network errors and 5xx."""
    delay = backoff
    for attempt in range(retries + 1):
        try:
            return await call()
        except BadRequest:  # a subclass of NetworkError, but retrying cannot fix it
            metrics.send_failure(method)
            raise
        except NetworkError as exc:
            if attempt >= retries:
                metrics.send_failure(method)
                raise
            metrics.send_retry(method)
            log.warning("send failed, retrying", extra=fields(method=method, attempt=attempt + 1, error=type(exc).__name__))
            await asyncio.sleep(delay * (1 + random.random() / 4))
            delay *= 2
    raise AssertionError("unreachable")
