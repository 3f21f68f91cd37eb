"""The Telegram adapter: Update -> `Incoming`, `Reply` -> Bot API calls. No matching or content logic here.

Per update (`take`): once per update_id (in this process, and across workers through the store's seen
update ids), the chat id becomes a pseudonym (HMAC with the pepper); the session is loaded by it, the engine
answers (a long text off the event loop), the replies are sent, and only once they are delivered is the
session saved (deleted first on /forget) and each reply counted as (day, locale, id or kind, campaign): a
reply that could not be delivered does not advance the conversation. A button press is acknowledged
(answerCallbackQuery) and its reply sent as a new message. In groups the bot only answers when addressed,
and then only suggests a private chat.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Mapping

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from .. import metrics
from ..conversation import Conversation
from ..engine import Engine, Incoming, Reply
from ..errors import frames
from ..session import Session
from ..storage import Store
from ..storage.updates import BUSY, DONE
from . import render
from .logs import PrivacyFilter, fields
from .request import AiohttpRequest
from .settings import Settings
from .transport import ChatOrderedProcessor, Outcome, deliver

log = logging.getLogger("hrbot.telegram")

COMMANDS = ("start", "menu", "help", "language", "privacy", "forget", "stop")
# Used when the content has no `command_<name>` string for a locale.
DEFAULT_DESCRIPTIONS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "start": "Start, or open a topic from a link",
        "menu": "Topics, combo checker, emergency steps",
        "help": "How to ask a question",
        "language": "Change the language",
        "privacy": "What I store (nothing that identifies you)",
        "forget": "Delete your session now",
        "stop": "Leave the current step",
    },
    "ru": {
        "start": "Начать или открыть тему по ссылке",
        "menu": "Темы, проверка сочетаний, срочная помощь",
        "help": "Как задать вопрос",
        "language": "Сменить язык",
        "privacy": "Что я храню (ничего, что тебя выдаёт)",
        "forget": "Удалить мою сессию сейчас",
        "stop": "Выйти из текущего шага",
    },
}
NO_PREVIEW = LinkPreviewOptions(is_disabled=True).to_dict()  # its JSON form, once: PTB would convert it per send
ALLOWED_UPDATES = ["message", "callback_query"]
TEXT_LIMIT = 2000  # characters of a message the engine reads: bounds the work one message can cause
HEAVY_TEXT = 256  # a text longer than this is matched in a worker thread, off the event loop
SEND_SLOTS = 8  # ordinary Bot API calls at once: more only queue in the connection pool and slow every send
URGENT_SLOTS = 4  # connections kept for emergency replies, which never wait for an ordinary send
UPDATE_LEASE = 5.0  # seconds a claim on an update lasts unless renewed (renewed every second while handled)
SEEN_IN_MEMORY = 10_000  # update ids remembered in this process (the store remembers them longer)
WEBHOOK_SECRET_LABEL = b"hrbot telegram webhook secret v1"


def derived_webhook_secret(pepper: bytes) -> str:
    """The webhook secret when none is configured: the same in every worker that shares the pepper."""
    digest = hmac.new(pepper, WEBHOOK_SECRET_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class SeenUpdates:
    """Claims on update ids and their "done" records, in batches: while one batch is at the database the
    next one gathers, so the dedup costs one round trip per batch, not two per update (SQLite serves one
    call at a time). "Done" records are written behind: an update is acknowledged once handled, and its
    record only matters if Telegram delivers it again, after a crash before the acknowledgement."""

    def __init__(self, store: Store, owner: str) -> None:
        self.store = store
        self.owner = owner
        self._claims: dict[int, asyncio.Future[str]] = {}
        self._done: list[int] = []
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    async def claim(self, uid: int) -> str:
        future = self._claims.get(uid)
        if future is None:
            future = self._claims[uid] = asyncio.get_running_loop().create_future()
        self._kick()
        return await asyncio.shield(future)

    def finish(self, uid: int) -> None:
        self._done.append(uid)
        self._kick()

    async def release(self, uid: int) -> None:
        await self.store.release_update(uid, self.owner)

    async def flush(self) -> None:
        """Wait until every claim is answered and every "done" record written."""
        while self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)

    def _kick(self) -> None:
        self._wake.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._work())

    async def _work(self) -> None:
        while self._wake.is_set():
            self._wake.clear()
            claims, self._claims = self._claims, {}
            done, self._done = self._done, []
            if claims:
                try:
                    found = await self.store.claim_updates(list(claims), self.owner, UPDATE_LEASE)
                except Exception as exc:  # answer anyway: the in-process record still stops copies here
                    log.error("claiming updates failed", extra=fields(error=type(exc).__name__))
                    found = {}
                for uid, future in claims.items():
                    if not future.done():
                        future.set_result(found.get(uid, "new"))
            if done:
                try:
                    await self.store.finish_updates(done)
                except Exception as exc:
                    log.error("recording updates failed", extra=fields(error=type(exc).__name__))


class TelegramBot:
    """The engine behind python-telegram-bot. `serve()` (see `runner`) runs it; `application` is the PTB app."""

    def __init__(self, engine: Engine, store: Store, pepper: bytes, settings: Settings) -> None:
        self.engine = engine
        self.store = store
        self.settings = settings
        # the turn itself (pseudonym, session, engine, save or forget, counters) is the shared service's
        self.conversation = Conversation(engine, store, pepper, channel="telegram", keep_unanswered=settings.keep_unanswered)
        self.webhook_secret = settings.secret_token or derived_webhook_secret(pepper)
        for handler in logging.getLogger().handlers:  # the derived secret is redacted like a configured one
            for found in handler.filters:
                if isinstance(found, PrivacyFilter):
                    found.add_secret(self.webhook_secret)
        self.processor = ChatOrderedProcessor(settings.concurrency)
        self.application: Application = self._build()
        self.application.add_handler(TypeHandler(Update, self.on_update))
        self.application.add_error_handler(self.on_error)
        self.owner = secrets.token_hex(8)  # this process, in the store's claims on update ids
        self.seen_updates = SeenUpdates(store, self.owner)
        self._inflight: dict[int, asyncio.Task[str]] = {}
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._send_slots = asyncio.Semaphore(SEND_SLOTS)

    def _build(self) -> Application:
        s = self.settings
        timeouts: dict[str, float] = {
            "connect_timeout": s.connect_timeout,
            "read_timeout": s.read_timeout,
            "write_timeout": s.write_timeout,
            "pool_timeout": s.pool_timeout,
        }
        builder = (
            ApplicationBuilder()
            .token(s.token)
            .base_url(s.base_url)
            .base_file_url(s.base_file_url)
            .request(AiohttpRequest(SEND_SLOTS + URGENT_SLOTS, **timeouts))
            .updater(None)  # updates come from `transport.Poller` or `transport.WebhookServer`
            .concurrent_updates(self.processor)
        )
        if s.rate_limit:  # its own retries are off: `deliver` waits out a 429 (retry_after) itself
            builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=s.rate_limit, max_retries=0))  # type: ignore[arg-type]
        return builder.build()

    # --- lifecycle (called by the runner around PTB's own start and stop) ----------------------------------

    async def startup(self) -> None:
        """After the store is open: the command menu per locale."""
        try:
            await self.set_commands()
        except TelegramError as exc:  # the bot works without the command menu
            log.warning("setMyCommands failed", extra=fields(error=type(exc).__name__))

    async def shutdown(self) -> None:
        try:
            await self.seen_updates.flush()
        except Exception as exc:
            log.error("recording updates failed", extra=fields(error=type(exc).__name__))
        await self.conversation.shutdown()  # flush counters, close the store

    async def keep_claims(self, stop: asyncio.Event) -> None:
        """Renew this process's claims on the updates it is handling, until `stop` is set."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), UPDATE_LEASE / 5)
            if self._inflight:
                try:
                    await self.store.renew_updates(self.owner, UPDATE_LEASE)
                except Exception as exc:
                    log.error("renewing update claims failed", extra=fields(error=type(exc).__name__))

    async def maintain(self, stop: asyncio.Event) -> None:
        """Flush counters and sweep idle sessions until `stop` is set (see `Conversation.maintain`)."""
        s = self.settings
        await self.conversation.maintain(stop, flush_interval=s.flush_interval, sweep_interval=s.sweep_interval, session_ttl=s.session_ttl)

    def command_list(self, locale: str) -> list[BotCommand]:
        content = self.engine.content
        strings = content.locales[locale].strings
        default = content.locales[content.default_locale].strings
        own = DEFAULT_DESCRIPTIONS.get(locale, {})
        english = DEFAULT_DESCRIPTIONS["en"]

        def describe(name: str) -> str:
            key = f"command_{name}"
            return strings.get(key) or own.get(name) or default.get(key) or english.get(name) or name

        return [BotCommand(name, describe(name)[:256]) for name in COMMANDS]

    async def set_commands(self) -> None:
        bot = self.application.bot
        content = self.engine.content
        scope = BotCommandScopeAllPrivateChats()
        await bot.set_my_commands(self.command_list(content.default_locale), scope=scope)
        for locale in sorted(content.locales):
            await bot.set_my_commands(self.command_list(locale), scope=scope, language_code=locale)

    # --- updates ------------------------------------------------------------------------------------------

    async def take(self, update: Update) -> str:
        """Handle an update once (an `Outcome`). A second copy waits for the first and is then a duplicate;
        one another worker holds is BUSY (ask again later); one handled before is a DUPLICATE. Raises
        CancelledError when stopped mid-turn (`cancel_inflight`): it was not handled."""
        uid = update.update_id
        if uid in self._seen:
            return Outcome.DUPLICATE
        first = self._inflight.get(uid)
        if first is not None:
            try:
                found = await asyncio.shield(first)
            except asyncio.CancelledError:
                return Outcome.BUSY
            return Outcome.DUPLICATE if found in Outcome.FINAL else Outcome.BUSY
        task = asyncio.ensure_future(self._take(update))
        self._inflight[uid] = task
        task.add_done_callback(lambda done: self._finished(uid, done))
        return await asyncio.shield(task)  # only `cancel_inflight` stops a turn, not a caller going away

    def _finished(self, uid: int, task: asyncio.Task[str]) -> None:
        self._inflight.pop(uid, None)
        if not task.cancelled() and task.exception() is None and task.result() in Outcome.FINAL:
            self._seen[uid] = None
            if len(self._seen) > SEEN_IN_MEMORY:
                self._seen.popitem(last=False)

    def inflight(self) -> set[asyncio.Task[str]]:
        return set(self._inflight.values())

    async def idle(self) -> None:
        """Wait until no update is being handled (tests, the benchmark)."""
        while self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        await self.seen_updates.flush()

    def cancel_inflight(self) -> None:
        for task in self._inflight.values():
            task.cancel()

    async def _take(self, update: Update) -> str:
        uid = update.update_id
        claim = await self.seen_updates.claim(uid)
        if claim == DONE:
            return Outcome.DUPLICATE
        if claim == BUSY:
            return Outcome.BUSY
        result: list[bool] = []
        try:
            await self.processor.process_update(update, self._handle(update, result))
        except BaseException:  # stopped mid-turn: let it be handled again (here after a restart, or elsewhere)
            with contextlib.suppress(Exception):
                await self.seen_updates.release(uid)
            raise
        delivered = bool(result and result[0])
        if delivered:
            self.seen_updates.finish(uid)
        else:
            try:
                await self.seen_updates.release(uid)
            except Exception as exc:
                log.error("releasing an update failed", extra=fields(error=type(exc).__name__))
        return Outcome.DONE if delivered else Outcome.FAILED

    async def _handle(self, update: Update, result: list[bool]) -> None:
        """One update through the handlers; `result` gets whether its replies were delivered."""
        try:
            result.append(await self.on_update(update, None))
        except Exception as exc:
            await self.on_error(update, exc)
            result.append(False)

    async def on_update(self, update: Update, _context: object) -> bool:
        """Handle one update; whether every reply was delivered (True when there was nothing to send)."""
        started = time.perf_counter()
        if update.callback_query is not None:
            kind = "button"
            delivered = await self.on_button(update.callback_query)
        elif update.message is not None:
            kind = "message"
            delivered = await self.on_message(update.message)
        else:
            return True  # edited messages, channel posts, ...: not for us
        seconds = time.perf_counter() - started
        metrics.update(kind, seconds)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("update handled", extra=fields(update=kind, ms=round(seconds * 1000, 2)))
        return delivered

    async def on_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE | BaseException) -> None:
        """Log the exception type only: never the update, never the message (it may hold user text or ids)."""
        error = context if isinstance(context, BaseException) else context.error
        if isinstance(error, Forbidden):
            log.info("the user blocked the bot", extra=fields(error="Forbidden"))
        else:
            log.error("update failed", extra=fields(error=type(error).__name__, frames=frames(error) if error else "none"))

    async def on_message(self, message: Message) -> bool:
        chat = message.chat
        hint = message.from_user.language_code if message.from_user else None
        if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            if self.addressed(message):
                reply = self.engine.notice("group_hint", Session(), hint)  # nothing stored for groups
                if not await self.send(chat.id, reply, buttons=False, reply_to=message.message_id):
                    return False
                self.conversation.count([reply])
            return True
        if chat.type != ChatType.PRIVATE:
            return True
        if message.text is not None:
            return await self.converse(chat.id, Incoming(text=message.text[:TEXT_LIMIT], locale_hint=hint))
        if has_content(message):
            return await self.converse(chat.id, None, hint=hint)
        return True  # service messages (pins, ...) get no answer

    async def on_button(self, query: CallbackQuery) -> bool:
        try:
            async with self._send_slots:
                await deliver("answerCallbackQuery", query.answer, urgent=False, deadline=2.0, backoff=self.settings.retry_backoff)
        except TelegramError as exc:  # too late or lost: still answer the press
            log.warning("answerCallbackQuery failed", extra=fields(error=type(exc).__name__))
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE or not query.data:
            return True
        return await self.converse(message.chat.id, Incoming(button=query.data, locale_hint=query.from_user.language_code))

    async def converse(self, chat_id: int, incoming: Incoming | None, *, hint: str | None = None) -> bool:
        """One turn: load the session, let the engine answer (`None`: a non-text message), send; only once
        every reply is delivered: save the session, count, note (`Conversation.turn`). Whether they were."""

        async def deliver(replies: list[Reply]) -> bool:
            urgent = any(r.emergency or r.kind == "emergency" for r in replies)
            for reply in replies:
                if not await self.send(chat_id, reply, urgent=urgent):
                    return False
            return True

        outcome = await self.conversation.turn(chat_id, incoming, hint=hint, deliver=deliver)
        return outcome.delivered

    async def send(
        self, chat_id: int, reply: Reply, *, buttons: bool = True, reply_to: int | None = None, urgent: bool | None = None
    ) -> bool:
        """Send a reply (in parts); whether it was delivered. Emergency replies are retried until they are
        sent or the process stops; others for `send_deadline` seconds. A blocked bot (Forbidden) counts as
        delivered: nothing will ever get through, and the turn is done."""
        bot = self.application.bot
        urgent = reply.emergency or reply.kind == "emergency" if urgent is None else urgent
        deadline = self.settings.send_deadline
        for part in render.render(reply):
            markup = part.keyboard if buttons else None
            quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None

            params = {"chat_id": chat_id, "text": part.text, "link_preview_options": NO_PREVIEW}
            if markup is not None:
                params["reply_markup"] = markup
            if quote is not None:
                params["reply_parameters"] = quote

            async def call(params: dict[str, object] = params) -> object:
                async with contextlib.nullcontext() if urgent else self._send_slots:
                    return await post_raw(bot, "sendMessage", params)

            try:
                await deliver("sendMessage", call, urgent=urgent, deadline=deadline, backoff=self.settings.retry_backoff)
            except Forbidden:
                log.info("the user blocked the bot", extra=fields(error="Forbidden"))
                return True
            except TelegramError as exc:
                log.error("update failed", extra=fields(error=type(exc).__name__))
                return False
        return True

    # --- groups -------------------------------------------------------------------------------------------

    def addressed(self, message: Message) -> bool:
        """In a group: a reply to the bot, a mention of @botname, or a /command@botname."""
        bot = self.application.bot
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        name = "@" + (bot.username or "").lower()
        if name == "@":
            return False
        kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.BOT_COMMAND, MessageEntity.TEXT_MENTION]
        found = message.parse_entities(kinds) if message.text else message.parse_caption_entities(kinds)
        for entity, value in found.items():
            if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == bot.id:
                return True
            if entity.type == MessageEntity.MENTION and value.lower() == name:
                return True
            if entity.type == MessageEntity.BOT_COMMAND and value.lower().endswith(name):
                return True
        return False


def post_raw(bot: Bot, method: str, params: dict[str, object]) -> Awaitable[object]:
    """A Bot API call whose answer nobody reads: the JSON result as it came, not parsed into PTB objects.

    `bot.send_message` builds a `Message` (with its chat, sender and entities) from every answer, about a
    tenth of the CPU of a turn, and the bot never looks at it. `Bot._post` is the step of PTB's every method
    below the parsing: defaults, the rate limiter (`ExtBot._do_post`), the request and its errors are the
    same. `tests/test_telegram_e2e.py` checks the calls as the Bot API receives them, and that `_post` is there."""
    return bot._post(method, dict(params))  # a copy: `_post` adds to and drops from what it is given


def has_content(message: Message) -> bool:
    """A photo, voice, sticker, file, location, ...: something the person sent that is not text."""
    return message.effective_attachment is not None or message.caption is not None
