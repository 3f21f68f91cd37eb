"""The Telegram adapter: Update -> `Incoming`, `Reply` -> Bot API calls. No matching or content logic here.

Per update: the chat id becomes a pseudonym (HMAC with the pepper); the session is loaded by it, the engine
answers, the session is saved (deleted on /forget), each reply is counted as (day, locale, id or kind,
campaign), and the replies are sent. A button press is acknowledged (answerCallbackQuery) and its reply sent
as a new message. In groups the bot only answers when addressed, and then only suggests a private chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping

from telegram import (
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
from telegram.request import HTTPXRequest

from ..engine import Engine, Incoming, Reply
from ..privacy import Pseudonymizer
from ..session import Session
from ..storage import CounterKey, Store
from ..storage.unanswered import content_vocabulary
from . import render
from .logs import fields
from .settings import Settings
from .transport import ChatOrderedProcessor, UpdatesRequest, with_retries

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
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
ALLOWED_UPDATES = ["message", "callback_query"]
TEXT_LIMIT = 4096  # Telegram never sends more; a longer text is not a real message


class TelegramBot:
    """The engine behind python-telegram-bot. `serve()` (see `runner`) runs it; `application` is the PTB app."""

    def __init__(self, engine: Engine, store: Store, pepper: bytes, settings: Settings) -> None:
        self.engine = engine
        self.store = store
        self.pseudonyms = Pseudonymizer(pepper)
        self.settings = settings
        self.application: Application = self._build()
        self.application.add_handler(TypeHandler(Update, self.on_update))
        self.application.add_error_handler(self.on_error)

    def _build(self) -> Application:
        s = self.settings
        timeouts = {
            "connect_timeout": s.connect_timeout,
            "read_timeout": s.read_timeout,
            "write_timeout": s.write_timeout,
            "pool_timeout": s.pool_timeout,
        }
        return (
            ApplicationBuilder()
            .token(s.token)
            .base_url(s.base_url)
            .base_file_url(s.base_file_url)
            .request(HTTPXRequest(connection_pool_size=s.concurrency, **timeouts))
            .get_updates_request(UpdatesRequest(connection_pool_size=2, **timeouts))
            .rate_limiter(AIORateLimiter(overall_max_rate=s.rate_limit, max_retries=s.max_retry_after))
            .concurrent_updates(ChatOrderedProcessor(s.concurrency))
            .build()
        )

    # --- lifecycle (called by the runner around PTB's own start and stop) ----------------------------------

    async def startup(self) -> None:
        """After the store is open: the command menu per locale."""
        try:
            await self.set_commands()
        except TelegramError as exc:  # the bot works without the command menu
            log.warning("setMyCommands failed", extra=fields(error=type(exc).__name__))

    async def shutdown(self) -> None:
        try:
            await self.store.flush()
        finally:
            await self.store.close()

    async def maintain(self, stop: asyncio.Event) -> None:
        """Flush counters and sweep idle sessions until `stop` is set; `shutdown` does the last flush.

        Stopped by the event, never cancelled: a flush cut off mid-write would lose the counters it had
        taken from the buffer (the store's own timeouts bound how long the write in progress takes)."""
        last_sweep = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.flush_interval)
            if stop.is_set():
                return
            try:
                await self.store.flush()
                if time.monotonic() - last_sweep >= self.settings.sweep_interval:
                    last_sweep = time.monotonic()
                    swept = await self.store.sweep(self.settings.session_ttl)
                    log.info("sessions swept", extra=fields(count=swept))
            except Exception as exc:  # a database hiccup must not end maintenance
                log.error("store maintenance failed", extra=fields(error=type(exc).__name__))

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

    async def on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        started = time.perf_counter()
        if update.callback_query is not None:
            kind = "button"
            await self.on_button(update.callback_query)
        elif update.message is not None:
            kind = "message"
            await self.on_message(update.message)
        else:
            return  # edited messages, channel posts, ...: not for us
        log.debug("update handled", extra=fields(update=kind, ms=round((time.perf_counter() - started) * 1000, 2)))

    async def on_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the exception type only: never the update, never the message (it may hold user text or ids)."""
        error = context.error
        if isinstance(error, Forbidden):
            log.info("the user blocked the bot", extra=fields(error="Forbidden"))
        else:
            log.error("update failed", extra=fields(error=type(error).__name__))

    async def on_message(self, message: Message) -> None:
        chat = message.chat
        hint = message.from_user.language_code if message.from_user else None
        if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            if self.addressed(message):
                reply = self.engine.notice("group_hint", Session(), hint)  # nothing stored for groups
                self.count([reply])
                await self.send(chat.id, reply, buttons=False, reply_to=message.message_id)
            return
        if chat.type != ChatType.PRIVATE:
            return
        if message.text is not None:
            await self.converse(chat.id, Incoming(text=message.text[:TEXT_LIMIT], locale_hint=hint))
        elif has_content(message):
            await self.converse(chat.id, None, hint=hint)
        # service messages (pins, ...) get no answer

    async def on_button(self, query: CallbackQuery) -> None:
        try:
            await with_retries("answerCallbackQuery", query.answer, retries=1, backoff=self.settings.retry_backoff)
        except TelegramError as exc:  # too late or lost: still answer the press
            log.warning("answerCallbackQuery failed", extra=fields(error=type(exc).__name__))
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE or not query.data:
            return
        await self.converse(message.chat.id, Incoming(button=query.data, locale_hint=query.from_user.language_code))

    async def converse(self, chat_id: int, incoming: Incoming | None, *, hint: str | None = None) -> None:
        """One turn: load the session, let the engine answer (`None`: a non-text message), save, count, send."""
        key = self.pseudonyms.key(chat_id)
        async with self.store.turn_lock(key):  # no other worker runs a turn of this chat between load and save
            try:
                session = await self.store.load_session(key) or Session()
            except Exception as exc:  # answer anyway (it may be an emergency), without the session
                log.error("session load failed", extra=fields(error=type(exc).__name__))
                session = Session()
            replies = [self.engine.notice("not_text", session, hint)] if incoming is None else self.engine.handle(incoming, session)
            try:
                if any(r.kind == "forget" for r in replies):
                    await self.store.delete_session(key)
                else:
                    await self.store.save_session(key, session)
            except Exception as exc:
                log.error("session save failed", extra=fields(error=type(exc).__name__))
        self.count(replies)
        for reply in replies:
            await self.send(chat_id, reply)
        if self.settings.keep_unanswered and incoming is not None and incoming.text and replies and replies[-1].kind == "fallback":
            try:  # after the reply: the store checks every word (word lists load once), scrubs, keeps it once k asked
                content = self.engine.content
                await self.store.note_unanswered(key, incoming.text, lambda: content_vocabulary(content))
            except Exception as exc:
                log.error("noting an unanswered question failed", extra=fields(error=type(exc).__name__))

    def count(self, replies: list[Reply]) -> None:
        day = time.strftime("%Y-%m-%d", time.gmtime())
        for reply in replies:
            topic = "smalltalk" if reply.kind == "smalltalk" else reply.id or reply.kind  # small talk is never a topic
            self.store.count(CounterKey(day, reply.locale, topic, reply.campaign or ""))

    async def send(self, chat_id: int, reply: Reply, *, buttons: bool = True, reply_to: int | None = None) -> None:
        bot = self.application.bot
        for part in render.render(reply):
            markup = part.keyboard if buttons else None
            quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None

            async def call(part: render.Message = part, markup: object = markup, quote: ReplyParameters | None = quote) -> object:
                return await bot.send_message(
                    chat_id, part.text, reply_markup=markup, link_preview_options=NO_PREVIEW, reply_parameters=quote
                )

            await with_retries("sendMessage", call, retries=self.settings.send_retries, backoff=self.settings.retry_backoff)

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
        kinds = [MessageEntity.MENTION, MessageEntity.BOT_COMMAND, MessageEntity.TEXT_MENTION]
        found = message.parse_entities(kinds) if message.text else message.parse_caption_entities(kinds)
        for entity, value in found.items():
            if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == bot.id:
                return True
            if entity.type == MessageEntity.MENTION and value.lower() == name:
                return True
            if entity.type == MessageEntity.BOT_COMMAND and value.lower().endswith(name):
                return True
        return False


def has_content(message: Message) -> bool:
    """A photo, voice, sticker, file, location, ...: something the person sent that is not text."""
    return message.effective_attachment is not None or message.caption is not None
