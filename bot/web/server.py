"""`hrbot web`: the chat page and `POST /api/turn` (aiohttp).

Privacy: no access log (it would hold addresses and deep-link payloads), no cookies, no third-party request;
the page makes a random token, keeps it in sessionStorage, and the server knows it only as an HMAC pseudonym
(`Conversation`, channel "web"). Bodies are capped, turns are rate-limited per token in memory, and every
response carries a strict Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from ..conversation import Conversation
from ..engine import Incoming, Reply

log = logging.getLogger("hrbot.web")

STATIC = Path(__file__).parent / "static"
MAX_BODY = 16 * 1024  # a turn is a few hundred bytes; Telegram's own limit for a message is 4,096 characters
TEXT_LIMIT = 4096
BUTTON_LIMIT = 64  # Telegram's limit for callback data, which the engine's button data keeps to
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
_NUMBER = re.compile(r"(?<![\d.,:/-])\d{2,4}(?![\d.,:/-])")
LOCALE_RE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True, slots=True)
class WebSettings:
    listen: str = "127.0.0.1"
    port: int = 8080
    frame_ancestors: str = "'none'"  # sites that may show the chat in an iframe, e.g. "https://service.example.org"
    burst: int = 12  # turns a token may send at once ...
    per_second: float = 1.0  # ... and then this many a second
    max_tokens: int = 50_000  # rate-limit buckets kept in memory; the oldest go first


class RateLimit:
    """A token bucket per pseudonym, in memory only, bounded in size."""

    def __init__(self, burst: int, per_second: float, max_keys: int) -> None:
        self.burst = burst
        self.per_second = per_second
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, seen = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - seen) * self.per_second)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed


def call_numbers(reply: Reply) -> list[str]:
    """The numbers to offer as tel: links: those of an emergency reply's first step ("1. Call 103 or 112")."""
    if not reply.emergency:
        return []
    first = reply.text.strip().splitlines()[0] if reply.text.strip() else ""
    first = re.sub(r"^\s*\d+[.)]\s*", "", first)
    return list(dict.fromkeys(_NUMBER.findall(first)))


def reply_json(reply: Reply) -> dict[str, object]:
    return {
        "text": reply.text,
        "buttons": [{"label": b.label, "data": b.data} for b in reply.buttons],
        "emergency": reply.emergency,
        "call": call_numbers(reply),
    }


def accept_language(header: str | None, known: set[str]) -> str | None:
    """The first language of Accept-Language that the content has ("uk-UA,uk;q=0.9,ru;q=0.8" -> "uk")."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if LOCALE_RE.match(code) and code in known:
            ranked.append((-q, n, code))
    return min(ranked)[2] if ranked else None


def _headers(frame_ancestors: str) -> dict[str, str]:
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        f"base-uri 'none'; form-action 'none'; frame-ancestors {frame_ancestors}"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def create_app(conversation: Conversation, settings: WebSettings | None = None) -> web.Application:
    settings = settings or WebSettings()
    limit = RateLimit(settings.burst, settings.per_second, settings.max_tokens)
    headers = _headers(settings.frame_ancestors)

    @web.middleware
    async def secure(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # 404, 405, 413: a plain answer, the same headers
            response = _error(exc.status, exc.reason)
        response.headers.update(headers)
        return response

    async def page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Content-Type": "text/html; charset=utf-8"})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def turn(request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return _error(415, "send JSON")
        try:
            body = json.loads(await request.read())
        except web.HTTPRequestEntityTooLarge:
            return _error(413, "too large")
        except (ValueError, UnicodeDecodeError):
            return _error(400, "not JSON")
        if not isinstance(body, dict):
            return _error(400, "not a JSON object")
        token, text, button = body.get("session"), body.get("text"), body.get("button")
        if not isinstance(token, str) or not TOKEN_RE.match(token):
            return _error(400, "session must be a random token of 22-128 letters, digits, - or _")
        if (text is None) == (button is None):
            return _error(400, "send either text or button")
        if text is not None and (not isinstance(text, str) or len(text) > TEXT_LIMIT):
            return _error(400, f"text must be a string of at most {TEXT_LIMIT} characters")
        if button is not None and (not isinstance(button, str) or len(button) > BUTTON_LIMIT):
            return _error(400, "unknown button")
        if not limit.allow(conversation.pseudonym(token)):
            return _error(429, "too many messages at once; wait a moment")
        hint = accept_language(request.headers.get("Accept-Language"), set(conversation.engine.content.locales))
        incoming = Incoming(text=text, locale_hint=hint) if text is not None else Incoming(button=button, locale_hint=hint)
        replies = (await conversation.turn(token, incoming, hint=hint)).replies
        # an emergency reply comes first, whatever else this turn said
        ordered = sorted(replies, key=lambda r: not r.emergency)
        return web.json_response({"replies": [reply_json(r) for r in ordered]})

    app = web.Application(client_max_size=MAX_BODY, middlewares=[secure])
    app.router.add_get("/", page)
    app.router.add_get("/healthz", health)
    app.router.add_post("/api/turn", turn)
    app.router.add_static("/static/", STATIC, show_index=False, follow_symlinks=False)
    return app


async def serve(conversation: Conversation, settings: WebSettings, *, ready: Callable[[int], None] | None = None) -> None:
    """Serve until cancelled. `ready` gets the bound port (0 asks the system for a free one)."""
    runner = web.AppRunner(create_app(conversation, settings), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.listen, settings.port)
    await site.start()
    port = settings.port
    server = getattr(site, "_server", None)
    if server is not None and server.sockets:
        port = server.sockets[0].getsockname()[1]
    log.info("web chat listening", extra={"fields": {"listen": settings.listen, "port": port}})
    if ready is not None:
        ready(port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
