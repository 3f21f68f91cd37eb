"""Running the bot: one async path (`serve`) for the CLI, the tests and the benchmark.

serve: initialize (getMe) -> open the store, set the commands -> start the webhook server (and setWebhook, with
the configured secret or one derived from the pepper, so every worker agrees) or the poller -> wait for `stop`
-> stop receiving -> let the updates in flight finish (`STOP_GRACE`; the rest stay unacknowledged, so Telegram
delivers them again) -> flush and close the store -> shut down. `run` wires SIGINT/SIGTERM to `stop` and is
what `hrbot run` calls. Receiving and acknowledging is in `transport`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket

from telegram.error import InvalidToken, NetworkError, TelegramError

from ..errors import StartError
from ..reload import ContentReloader
from .adapter import ALLOWED_UPDATES, TelegramBot
from .logs import fields
from .transport import Poller, WebhookServer

log = logging.getLogger("hrbot.telegram")
STOP_GRACE = 8.0  # seconds the updates in flight get to finish on SIGTERM


async def serve(
    tg: TelegramBot,
    stop: asyncio.Event,
    *,
    ready: asyncio.Event | None = None,
    webhook_socket: socket.socket | None = None,
) -> None:
    """Run until `stop` is set. `webhook_socket`: an already bound socket for the webhook server (tests)."""
    app = tg.application
    s = tg.settings
    try:
        await app.initialize()  # getMe
    except InvalidToken:
        raise StartError("Telegram rejected the bot token (check it with @BotFather)") from None
    except NetworkError as exc:
        raise StartError(f"cannot reach the Bot API ({type(exc).__name__}); check --api-url and the network") from None
    background: list[asyncio.Task[None]] = []
    stop_background = asyncio.Event()
    poller: Poller | None = None
    polling: asyncio.Task[None] | None = None
    hook: WebhookServer | None = None
    try:
        try:
            await tg.store.open()
        except Exception as exc:  # the message could quote a URL with a password: the type only
            raise StartError(f"cannot open the database ({type(exc).__name__})") from None
        await tg.startup()
        background.append(asyncio.create_task(tg.maintain(stop_background), name="hrbot:maintenance"))
        background.append(asyncio.create_task(tg.keep_claims(stop_background), name="hrbot:claims"))
        try:
            if s.webhook_url:
                hook = WebhookServer(tg, tg.webhook_secret, s.url_path)
                if webhook_socket is not None:
                    hook.start(sock=webhook_socket)
                else:
                    hook.start(listen=s.listen, port=s.port)
                await app.bot.set_webhook(
                    url=s.webhook_url,
                    secret_token=tg.webhook_secret,
                    max_connections=s.max_connections,
                    drop_pending_updates=s.drop_pending_updates,
                    allowed_updates=ALLOWED_UPDATES,
                )
            else:
                await app.bot.delete_webhook(drop_pending_updates=s.drop_pending_updates)
                poller = Poller(tg, timeout=s.poll_timeout, allowed_updates=ALLOWED_UPDATES)
                polling = asyncio.create_task(poller.run(stop, _polling_error), name="hrbot:polling")
        except (TelegramError, OSError) as exc:
            raise StartError(f"could not start receiving updates ({type(exc).__name__})") from None
        log.info(
            "bot started",
            extra=fields(
                mode="webhook" if s.webhook_url else "polling",
                locales=",".join(sorted(tg.engine.content.locales)),
                store=type(tg.store).__name__,
            ),
        )
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("bot stopping")
    finally:
        stop.set()
        if hook is not None:
            hook.stop()  # no new connections; the requests in progress are answered once handled
        if polling is not None:
            await polling  # returns at once: a poll in progress is cut off (it confirms nothing)
        await _drain(tg, poller)
        if hook is not None:
            await hook.close()
        stop_background.set()  # not cancelled: a flush in progress finishes (cut off, its counters were lost)
        if background:
            await asyncio.gather(*background)
        try:
            await tg.shutdown()  # flush counters, close the store
        finally:
            await app.shutdown()
        log.info("bot stopped")


async def _drain(tg: TelegramBot, poller: Poller | None) -> None:
    """Let the updates in flight finish, for `STOP_GRACE` seconds; then cancel them (an emergency reply
    still being retried): they stay unconfirmed, so Telegram delivers them again to the next process."""
    inflight = tg.inflight()
    if inflight:
        _, late = await asyncio.wait(inflight, timeout=STOP_GRACE)
        if late:
            log.warning("stopping with updates in flight; Telegram will deliver them again", extra=fields(count=len(late)))
            tg.cancel_inflight()
            await asyncio.gather(*late, return_exceptions=True)
    if poller is not None:
        await poller.drain()
        await poller.confirm()
        await poller.close()


def _polling_error(exc: TelegramError) -> None:
    log.warning("polling failed, retrying", extra=fields(error=type(exc).__name__))


def run(tg: TelegramBot, reloader: ContentReloader | None = None, *, watch: bool = False) -> int:
    """Run until SIGINT or SIGTERM; then stop cleanly. SIGHUP (and, with `watch`, a changed content file)
    reloads the content. Returns the exit code."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # not on every platform
                loop.add_signal_handler(sig, stop.set)
        tasks: set[asyncio.Task[object]] = set()
        if reloader is not None:

            def on_hup() -> None:
                log.info("SIGHUP: reloading the content")
                task = loop.create_task(reloader.reload())
                tasks.add(task)
                task.add_done_callback(tasks.discard)

            with contextlib.suppress(NotImplementedError, AttributeError):
                loop.add_signal_handler(signal.SIGHUP, on_hup)
            if watch:
                tasks.add(loop.create_task(reloader.watch(), name="hrbot:watch"))
        try:
            await serve(tg, stop)
        finally:
            for task in tasks:
                task.cancel()

    asyncio.run(main())
    return 0
