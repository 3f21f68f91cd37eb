"""A local fake Telegram Bot API server (aiohttp, 127.0.0.1, port 0) and update factories.

The real python-telegram-bot Application talks to it through `--api-url` (its real HTTP layer: the bot's
aiohttp one, or PTB's default httpx for the echo bot of the benchmark).
It serves queued updates on getUpdates (long polling with a short cap), answers the methods the bot uses,
records every call in order (`calls`), and can fail the next N calls of a method: an HTTP error (429 with
retry_after, 500), a call held unanswered (past the client's read timeout, or until the test releases it),
or a connection reset (the socket closed without an answer). Waits are on events, each bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Parameters PTB sends JSON encoded; every other value stays the string it is (a text is never decoded).
JSON_KEYS = frozenset(
    {
        "chat_id",
        "message_id",
        "reply_markup",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
        "offset",
        "timeout",
        "limit",
        "max_connections",
        "drop_pending_updates",
        "show_alert",
        "cache_time",
    }
)
BOT_ID = 7000001
BOT_USERNAME = "hrtest_bot"


@dataclass(slots=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)
    status: int = 200  # 0: no answer (held, or the connection was reset)
    fault: str = ""  # "held" while (or if never) answered, "reset"

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard, in order."""
        markup = self.params.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data", b.get("url", ""))) for row in markup.get("inline_keyboard", []) for b in row]


@dataclass(frozen=True, slots=True)
class _Fault:
    kind: str  # "status" | "hold" | "reset"
    status: int = 0
    retry_after: int | None = None
    gate: asyncio.Event | None = None


class FakeBotAPI:
    def __init__(self, token: str, *, max_poll: float = 0.5, keep_calls: bool = True) -> None:
        self.token = token
        self.max_poll = max_poll  # a long poll never waits longer than this
        self.keep_calls = keep_calls  # False: only the listeners see the calls (long soak runs stay flat in memory)
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._failures: dict[str, deque[_Fault]] = {}
        self._changed = asyncio.Event()
        self._queued = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.listeners: list[Callable[[Call], None]] = []

    # --- server -------------------------------------------------------------------------------------------

    async def start(self) -> FakeBotAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation: a handler whose client went away (a read timeout, a reset) is cancelled
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        self._closing.set()  # release any held call
        self._queued.set()  # release any long poll
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- test controls ------------------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; gives it the next update_id unless it has one."""
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._queued.set()
        return int(update["update_id"])

    def push_raw(self, item: Any) -> None:
        """Queue anything at all (for malformed updates)."""
        self._updates.append(item)
        self._queued.set()

    def fail_next(self, method: str, status: int, times: int = 1, *, retry_after: int | None = None) -> None:
        """Answer the next `times` calls of `method` with an HTTP error."""
        self._failures.setdefault(method, deque()).extend([_Fault("status", status, retry_after)] * times)

    def hold_next(self, method: str, times: int = 1) -> asyncio.Event:
        """Hold the next `times` calls of `method` unanswered until the returned event is set (then they are
        answered as usual), the client gives up (its read timeout: never answered) or the server closes."""
        gate = asyncio.Event()
        self._failures.setdefault(method, deque()).extend([_Fault("hold", gate=gate)] * times)
        return gate

    def reset_next(self, method: str, times: int = 1) -> None:
        """Close the connection of the next `times` calls of `method` without answering (a TCP reset)."""
        self._failures.setdefault(method, deque()).extend([_Fault("reset")] * times)

    def of(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Successful sendMessage calls (optionally to one chat)."""
        return [c for c in self.of("sendMessage") if c.status == 200 and (chat_id is None or c.params.get("chat_id") == chat_id)]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            self._changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; calls: {self.summary()}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    async def wait_sent(self, count: int, chat_id: int | None = None, timeout: float = 5.0) -> list[Call]:
        await self.wait(lambda: len(self.sent(chat_id)) >= count, timeout, f"{count} sendMessage")
        return self.sent(chat_id)

    def summary(self, methods: Iterable[str] | None = None) -> list[str]:
        wanted = set(methods) if methods else None
        return [f"{c.method}:{c.status}" for c in self.calls if wanted is None or c.method in wanted][-30:]

    # --- the API ------------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        call = Call(method, params)
        failures = self._failures.get(method)
        fault = failures.popleft() if failures else None
        if fault is not None and fault.kind == "status":
            call.status = fault.status
            self._record(call)
            description = "Too Many Requests: retry after" if fault.status == 429 else "Internal Server Error"
            return _error(fault.status, description, {"retry_after": fault.retry_after} if fault.retry_after is not None else None)
        if fault is not None and fault.kind == "reset":
            call.status, call.fault = 0, "reset"
            self._record(call)
            _reset(request)
            await self._closing.wait()  # cancelled as soon as the connection is gone
            raise web.HTTPServiceUnavailable()
        if fault is not None and fault.kind == "hold":
            assert fault.gate is not None
            call.status, call.fault = 0, "held"
            self._record(call)  # cancelled in here if the client gives up first: never answered
            await _first(fault.gate.wait(), self._closing.wait())
            if not fault.gate.is_set():
                raise web.HTTPServiceUnavailable()
            call.status, call.fault = 200, ""
            self._changed.set()
        if method == "getUpdates":
            return _ok(await self._get_updates(params, call, recorded=fault is not None))
        if fault is None:
            self._record(call)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return _ok(handler(params))

    def _record(self, call: Call) -> None:
        if self.keep_calls:
            self.calls.append(call)
        for listener in self.listeners:
            listener(call)
        self._changed.set()

    async def _get_updates(self, params: dict[str, Any], call: Call, *, recorded: bool = False) -> list[Any]:
        offset = params.get("offset")
        if isinstance(offset, int):
            while self._updates and isinstance(self._updates[0], dict) and _id(self._updates[0]) < offset:
                self._updates.popleft()
        timeout = min(float(params.get("timeout") or 0), self.max_poll)
        if not self._updates and timeout > 0:
            self._queued.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queued.wait(), timeout)
        limit = int(params.get("limit") or 100)
        batch = list(itertools.islice(self._updates, 0, limit))
        for item in batch:  # garbage without an update_id can never be confirmed: serve it once
            if not isinstance(item, dict):
                self._updates.remove(item)
        call.params["served"] = len(batch)
        if not recorded:
            self._record(call)
        return batch

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        chat_type = "private" if isinstance(chat_id, int) and chat_id > 0 else "group"
        return {
            "message_id": params.get("message_id") or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type, **({"title": "A group"} if chat_type == "group" else {"first_name": "X"})},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "HR Test", "username": BOT_USERNAME},
            "text": params.get("text", ""),
        }

    def _m_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "HR Test",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params)

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params)

    def _m_answerCallbackQuery(self, _params: dict[str, Any]) -> bool:
        return True

    def _m_setMyCommands(self, _params: dict[str, Any]) -> bool:
        return True

    def _m_deleteMyCommands(self, _params: dict[str, Any]) -> bool:
        return True

    def _m_deleteWebhook(self, _params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _m_getWebhookInfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    def _m_close(self, _params: dict[str, Any]) -> bool:
        return True


async def _first(*waits: Any) -> None:
    """Wait until the first of several awaitables is done; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _reset(request: web.Request) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), as a crashed proxy or a lost NAT entry would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _id(update: dict[str, Any]) -> int:
    value = update.get("update_id")
    return value if isinstance(value, int) else -1


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        raw = value if isinstance(value, str) else ""
        if key in JSON_KEYS:
            try:
                params[key] = json.loads(raw)
                continue
            except ValueError:
                pass
        params[key] = raw
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


# --- update factories (realistic defaults, as Telegram sends them) ----------------------------------------------


def user(user_id: int = 1001, language_code: str | None = "en") -> dict[str, Any]:
    found: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Test", "username": f"user{user_id}"}
    if language_code:
        found["language_code"] = language_code
    return found


def chat(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Test"}
    return {"id": chat_id, "type": chat_type, "title": "A group"}


_message_ids = itertools.count(1)


def message(
    text: str | None = None,
    *,
    chat_id: int = 1001,
    chat_type: str = "private",
    user_id: int | None = None,
    language_code: str | None = "en",
    entities: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An update holding one message. A text starting with '/' gets its bot_command entity."""
    msg: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat(chat_id, chat_type),
        "from": user(user_id if user_id is not None else abs(chat_id), language_code),
    }
    if text is not None:
        msg["text"] = text
        if entities is None and text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
        if entities:
            msg["entities"] = entities
    msg.update(extra)
    return {"message": msg}


def command(text: str, **kw: Any) -> dict[str, Any]:
    return message(text, **kw)


def photo(*, chat_id: int = 1001, caption: str | None = None, **kw: Any) -> dict[str, Any]:
    sizes = [{"file_id": "AgAD-photo", "file_unique_id": "uniq-photo", "width": 90, "height": 90, "file_size": 1000}]
    extra: dict[str, Any] = {"photo": sizes}
    if caption is not None:
        extra["caption"] = caption
    return message(None, chat_id=chat_id, **extra, **kw)


def callback(data: str, *, chat_id: int = 1001, message_id: int = 1000, language_code: str | None = "en") -> dict[str, Any]:
    """A button press on one of the bot's messages in a private chat."""
    return {
        "callback_query": {
            "id": f"cq-{next(_message_ids)}",
            "from": user(chat_id, language_code),
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat(chat_id),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "HR Test", "username": BOT_USERNAME},
                "text": "…",
            },
        }
    }
