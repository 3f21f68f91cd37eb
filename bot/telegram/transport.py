"""The Telegram side of the wire: receiving updates (long polling, the webhook server), the update processor
and sending with retries.

Nothing is acknowledged before it is handled, so a crash (kill -9) loses nothing Telegram was told is done:
- `Poller`: getUpdates confirms an offset only once every update below it is handled (or was handled before:
  see the seen-update ids in `bot/storage/updates.py`). Each update is parsed once; a malformed one is
  skipped without stalling the batch, and nothing of its content is logged.
- `WebhookServer`: checks the secret header before reading any body, refuses bodies over `MAX_BODY` (413),
  and answers a POST only after its update is handled (503 while another worker holds it: Telegram retries).
- `ChatOrderedProcessor`: updates of different chats run concurrently, updates of one chat in order.
- `deliver`: sends with retries; emergency replies until sent (or the process stops), others for a bounded
  time; a TimedOut after the request was written is not retried for ordinary replies (it may have arrived).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import httpx
import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import BaseUpdateProcessor

from .. import metrics
from .logs import fields

if TYPE_CHECKING:
    from .adapter import TelegramBot

log = logging.getLogger("hrbot.telegram")
T = TypeVar("T")

MAX_BODY = 1 << 20  # an update is a few KB; Telegram's own limit for a message is 4,096 characters
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
STRAGGLER = 1.0  # seconds a poll batch waits for its slowest update before fetching past it
BUSY_PAUSE = 0.5  # seconds before asking again for an update another worker holds


class Outcome:
    DONE = "done"  # handled here, reply delivered (or nothing to send)
    DUPLICATE = "duplicate"  # handled before (here or by another worker)
    FAILED = "failed"  # handled, but the reply could not be delivered: the conversation did not advance
    BUSY = "busy"  # another worker is handling it right now
    FINAL = frozenset({DONE, DUPLICATE, FAILED})


# --- the update processor -----------------------------------------------------------------------------------


class ChatOrderedProcessor(BaseUpdateProcessor):
    """At most `max_concurrent_updates` updates at once, concurrent across chats, in order within a chat.

    The per-chat FIFO lock is taken before a slot (our own semaphore, in `do_process_update`): a busy chat
    waits on its lock and cannot hold every slot. The base class's semaphore is set wide open for that."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(1 << 30)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self.limit = max_concurrent_updates
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            return
        key = chat.id
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


# --- sending ------------------------------------------------------------------------------------------------


def retry_seconds(exc: RetryAfter) -> float:
    after = exc.retry_after  # a timedelta (PTB_TIMEDELTA, set in __init__), an int in older versions
    return float(after.total_seconds() if hasattr(after, "total_seconds") else after)


def written(exc: TimedOut) -> bool:
    """Whether the request may have reached Telegram: a read or write timeout (not a pool or connect one)."""
    cause = exc.__cause__
    return not isinstance(cause, httpx.PoolTimeout | httpx.ConnectTimeout | aiohttp.ConnectionTimeoutError)


async def deliver(
    method: str,
    call: Callable[[], Awaitable[T]],
    *,
    urgent: bool,
    deadline: float,
    backoff: float = 0.5,
    max_backoff: float = 5.0,
) -> T | None:
    """Await `call()` until it succeeds. Retried: network errors, 5xx, 429 (after its retry_after), timeouts.
    `urgent` (an emergency reply): until it is sent or the task is cancelled (the process stops), a TimedOut
    too (a doubled emergency message beats a lost one). Otherwise: for `deadline` seconds, and a TimedOut
    after the request was written is taken as sent (returns None) rather than risk sending it twice.
    Raises BadRequest, Forbidden and InvalidToken at once, anything else once the time is up."""
    give_up = time.monotonic() + deadline
    delay = backoff
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except (BadRequest, Forbidden, InvalidToken):  # retrying cannot fix these
            metrics.send_failure(method)
            raise
        except RetryAfter as exc:
            wait = retry_seconds(exc) + 0.1
        except TimedOut as exc:
            if not urgent and written(exc):
                log.warning("send timed out after the request was written; not sent again", extra=fields(method=method))
                return None
            wait = delay
        except NetworkError:
            wait = delay
        remaining = give_up - time.monotonic()
        if not urgent and remaining < wait:
            metrics.send_failure(method)
            raise
        metrics.send_retry(method)
        log.warning("send failed, retrying", extra=fields(method=method, attempt=attempt, urgent=urgent))
        await asyncio.sleep(wait * (1 + random.random() / 4))
        delay = min(delay * 2, max_backoff)


# --- receiving: one update ----------------------------------------------------------------------------------


def parse_update(item: object, bot: Any) -> Update | None:
    """The update if python-telegram-bot can read it, else None (nothing of it is logged)."""
    try:
        return Update.de_json(item, bot)  # type: ignore[arg-type]
    except Exception as exc:  # whatever the parser chokes on, the rest of the batch must go through
        log.warning("malformed update skipped", extra=fields(error=type(exc).__name__))
        return None


def update_id(item: object) -> int | None:
    if isinstance(item, dict) and type(item.get("update_id")) is int:
        return int(item["update_id"])
    return None


# --- receiving: long polling --------------------------------------------------------------------------------


class Poller:
    """getUpdates in a loop. A batch is handled concurrently (in order per chat); the offset that confirms it
    is sent only once all of it is handled. An update still running after `STRAGGLER` seconds (an emergency
    reply being retried) holds the offset at its id: later fetches skip what is in flight or done."""

    def __init__(self, tg: TelegramBot, *, timeout: float, allowed_updates: list[str], limit: int = 100) -> None:
        self.tg = tg
        self.timeout = timeout
        self.allowed = allowed_updates
        self.limit = limit
        s = tg.settings
        self._http = httpx.AsyncClient(
            base_url=f"{s.base_url}{s.token}/",
            timeout=httpx.Timeout(s.read_timeout + timeout, connect=s.connect_timeout, write=s.write_timeout, pool=s.pool_timeout),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        self.next_offset = 0
        self.pending: dict[int, asyncio.Task[str]] = {}  # being handled
        self.retry: set[int] = set()  # not handled (another worker had it, or stopped): fetched again

    async def fetch(self, offset: int, timeout: float, limit: int | None = None) -> list[Any]:
        params: dict[str, Any] = {"timeout": int(timeout), "limit": limit or self.limit, "allowed_updates": self.allowed}
        if offset:
            params["offset"] = offset
        try:
            response = await self._http.post("getUpdates", json=params)
            data = response.json()
        except httpx.TimeoutException:
            raise TimedOut("getUpdates timed out") from None
        except httpx.HTTPError as exc:
            raise NetworkError(f"getUpdates failed ({type(exc).__name__})") from None
        except ValueError:
            raise NetworkError("the Bot API answered with something that is not JSON") from None
        if not isinstance(data, dict):
            raise NetworkError("the Bot API answered with JSON that is not an object")
        if response.status_code == 401:
            raise InvalidToken()
        if response.status_code == 429:
            after = (data.get("parameters") or {}).get("retry_after")
            raise RetryAfter(int(after) if isinstance(after, int) else 1)
        if not data.get("ok") or not isinstance(data.get("result"), list):
            raise NetworkError(f"getUpdates answered {response.status_code}")
        return list(data["result"])

    def offset(self) -> int:
        """The offset to ask with: below it, every update is handled (so asking confirms them)."""
        return min([*self.pending, *self.retry, self.next_offset])

    async def run(self, stop: asyncio.Event, on_error: Callable[[TelegramError], None]) -> None:
        failures = 0
        while not stop.is_set():
            wait = 0 if (self.pending or self.retry) else self.timeout
            fetching = asyncio.ensure_future(self.fetch(self.offset(), wait))
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not fetching.done():  # stopping: a poll cut off confirms nothing
                fetching.cancel()
                with contextlib.suppress(BaseException):
                    await fetching
                break
            try:
                items = fetching.result()
                failures = 0
            except TelegramError as exc:
                on_error(exc)
                failures += 1
                pause = retry_seconds(exc) if isinstance(exc, RetryAfter) else min(0.5 * 2**failures, 30.0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                continue
            self.take(items)
            if self.pending:
                await asyncio.wait(list(self.pending.values()), timeout=STRAGGLER)
            self.collect()
            if self.retry and not self.pending:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), BUSY_PAUSE)

    def take(self, items: list[Any]) -> None:
        for item in items:
            uid = update_id(item)
            if uid is None:
                log.warning("malformed update dropped (no update_id)")
                continue
            self.next_offset = max(self.next_offset, uid + 1)
            if uid in self.pending:
                continue
            self.retry.discard(uid)
            update = parse_update(item, self.tg.application.bot)
            if update is None:
                continue
            self.pending[uid] = asyncio.ensure_future(self.tg.take(update))

    def collect(self) -> None:
        """Move finished updates out of `pending`; those not handled (busy elsewhere, stopped) to `retry`."""
        for uid, task in list(self.pending.items()):
            if task.done():
                del self.pending[uid]
                if task.cancelled() or task.exception() is not None or task.result() not in Outcome.FINAL:
                    self.retry.add(uid)

    async def drain(self) -> None:
        """After `run`: wait for the updates in flight (the caller bounds how long), confirm what is done."""
        if self.pending:
            with contextlib.suppress(BaseException):
                await asyncio.gather(*self.pending.values(), return_exceptions=True)
        self.collect()

    async def confirm(self) -> None:
        """Tell Telegram what is handled (as python-telegram-bot does on stop); in flight stays unconfirmed."""
        if self.next_offset:
            with contextlib.suppress(TelegramError):
                await self.fetch(self.offset(), 0, limit=1)

    async def close(self) -> None:
        await self._http.aclose()


# --- receiving: the webhook server --------------------------------------------------------------------------


@tornado.web.stream_request_body
class _WebhookHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, server: WebhookServer) -> None:
        self.server = server
        self.chunks: list[bytes] = []

    def _refuse(self, status: int, *, unread: bool = False) -> None:
        self.set_status(status)
        if unread:  # tornado closes the connection rather than read the body: say so, or a client reuses it
            self.set_header("Connection", "close")
        self.finish()

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.server.secret):
            self._refuse(403, unread=True)
            return
        length = self.request.headers.get("Content-Length", "")
        if not length.isdigit():
            self._refuse(411, unread=True)  # Telegram always sends a length; a chunked body is not an update
            return
        if int(length) > MAX_BODY:
            self._refuse(413, unread=True)
            return
        self.request.connection.set_max_body_size(MAX_BODY)  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    async def post(self) -> None:
        try:
            item = json.loads(b"".join(self.chunks))
        except ValueError:
            self._refuse(400)
            return
        self.chunks = []
        if update_id(item) is None:
            self._refuse(400)
            return
        update = parse_update(item, self.server.tg.application.bot)
        if update is None:
            self._refuse(400)
            return
        try:
            outcome = await self.server.tg.take(update)
        except asyncio.CancelledError:  # stopping: not answered, so Telegram delivers it again
            self._refuse(503)
            return
        self.set_status(200 if outcome in Outcome.FINAL else 503)
        self.finish()

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:  # no request data, no traceback
        log.error("webhook request failed", extra=fields(error=getattr(typ, "__name__", "error")))


class WebhookServer:
    """Tornado on `listen:port` (or an already bound socket). No access log: it would hold IP addresses."""

    def __init__(self, tg: TelegramBot, secret: str, url_path: str) -> None:
        self.tg = tg
        self.secret = secret.encode()
        app = tornado.web.Application([(url_path, _WebhookHandler, {"server": self})], log_function=lambda _h: None)
        self._http = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY, idle_connection_timeout=75)

    def start(self, *, sock: socket.socket | None = None, listen: str = "127.0.0.1", port: int = 8443) -> None:
        if sock is not None:
            self._http.add_sockets([sock])
        else:
            self._http.listen(port, listen)

    def stop(self) -> None:
        """Stop accepting connections; requests in progress go on."""
        self._http.stop()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._http.close_all_connections(), 2)
