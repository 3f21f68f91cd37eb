"""Running the bot: one async path (`serve`) for the CLI, the tests and the benchmark.

serve: initialize (getMe) -> open the store, set the commands -> start polling or the webhook server ->
start handling -> wait for `stop` -> stop receiving -> finish the updates in flight -> flush and close the
store -> shut down. `run` wires SIGINT/SIGTERM to `stop` and is what `hrbot run` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import socket
from datetime import timedelta

from telegram.error import InvalidToken, NetworkError, TelegramError

from ..errors import StartError
from ..reload import ContentReloader
from .adapter import ALLOWED_UPDATES, TelegramBot
from .logs import fields

log = logging.getLogger("hrbot.telegram")


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
    maintenance: asyncio.Task[None] | None = None
    stop_maintenance = asyncio.Event()
    try:
        try:
            await tg.store.open()
        except Exception as exc:  # the message could quote a URL with a password: the type only
            raise StartError(f"cannot open the database ({type(exc).__name__})") from None
        await tg.startup()
        maintenance = asyncio.create_task(tg.maintain(stop_maintenance), name="hrbot:maintenance")
        updater = app.updater
        assert updater is not None
        try:
            if s.webhook_url:
                secret = s.secret_token or secrets.token_urlsafe(32)  # set on setWebhook, printed nowhere
                where = {"unix": webhook_socket} if webhook_socket is not None else {"listen": s.listen, "port": s.port}
                await updater.start_webhook(
                    url_path=s.url_path,
                    webhook_url=s.webhook_url,
                    secret_token=secret,
                    max_connections=s.max_connections,
                    drop_pending_updates=s.drop_pending_updates,
                    allowed_updates=ALLOWED_UPDATES,
                    **where,
                )
            else:
                await updater.start_polling(
                    timeout=timedelta(seconds=s.poll_timeout),
                    drop_pending_updates=s.drop_pending_updates,
                    allowed_updates=ALLOWED_UPDATES,
                    error_callback=_polling_error,
                )
        except TelegramError as exc:
            raise StartError(f"could not start receiving updates ({type(exc).__name__})") from None
        await app.start()
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
        updater = app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if app.running:
            await app.stop()  # waits for the updates in flight
        if maintenance is not None:
            stop_maintenance.set()  # not cancelled: a flush in progress finishes (cut off, its counters were lost)
            await maintenance
        try:
            await tg.shutdown()  # flush counters, close the store
        finally:
            await app.shutdown()
        log.info("bot stopped")


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
