"""One turn of a conversation, for every channel (Telegram, the web chat, the terminal).

A channel turns what arrived into an `Incoming` and whom it came from into a key (a chat id, a web token);
this module does the rest: the key becomes a pseudonym (HMAC with the pepper), the session is loaded by it,
the engine answers, the replies are delivered by the channel, and only then is the session saved (deleted on
/forget), the replies counted and an unanswered question noted. A channel never touches the store itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from . import metrics
from .engine import Engine, Incoming, Reply
from .privacy import Pseudonymizer
from .session import Session
from .storage import CounterKey, Store
from .storage.unanswered import content_vocabulary

log = logging.getLogger("hrbot.conversation")

Deliver = Callable[[list[Reply]], Awaitable[bool]]  # True once every reply reached the person
HEAVY_TEXT = 256  # a text longer than this is matched in a worker thread, off the event loop


@dataclass(frozen=True, slots=True)
class Outcome:
    replies: list[Reply]
    delivered: bool = True


class Conversation:
    """The per-message service. `channel` namespaces the keys, so a web token can never meet a chat id."""

    def __init__(self, engine: Engine, store: Store, pepper: bytes, *, channel: str = "telegram", keep_unanswered: bool = False) -> None:
        self.engine = engine
        self.store = store
        self.pseudonyms = Pseudonymizer(pepper)
        self.channel = channel
        self.keep_unanswered = keep_unanswered
        self._heavy = ThreadPoolExecutor(2, thread_name_prefix="hrbot-engine")

    def pseudonym(self, who: int | str) -> str:
        # Telegram keys stay as they were (sessions survive the upgrade); other channels get a prefix.
        return self.pseudonyms.key(who if self.channel == "telegram" else f"{self.channel}:{who}")

    async def turn(self, who: int | str, incoming: Incoming | None, *, hint: str | None = None, deliver: Deliver | None = None) -> Outcome:
        """Answer one message (`None`: something that is not text). The session is saved only once `deliver`
        (the channel's send) says every reply got through: the flow does not move on for a person who never
        saw the reply. /forget deletes the session first, whether or not its reply gets through. No other turn
        of the same person runs between load and save, in any worker (the store's turn lock)."""
        key = self.pseudonym(who)
        async with self.store.turn_lock(key):
            session = await self._load(key)
            replies = [self.engine.notice("not_text", session, hint)] if incoming is None else await self.think(incoming, session)
            forget = any(r.kind == "forget" for r in replies)
            if forget:
                await self._store("session delete", self.store.delete_session(key))
            if deliver is not None and not await deliver(replies):
                log.warning("reply not delivered; the conversation stays where it was", extra={"fields": {"kind": replies[0].kind}})
                return Outcome(replies, delivered=False)
            if not forget:
                await self._store("session save", self.store.save_session(key, session))
        self.count(replies)
        if self.keep_unanswered and incoming is not None and incoming.text and replies and replies[-1].kind == "fallback":
            content = self.engine.content  # after the reply: the word lists load once, the store scrubs and keeps it once k asked
            await self._store(
                "noting an unanswered question", self.store.note_unanswered(key, incoming.text, lambda: content_vocabulary(content))
            )
        return Outcome(replies)

    async def think(self, incoming: Incoming, session: Session) -> list[Reply]:
        """The engine's answer. A long text is matched in a worker thread so the event loop (every other
        person's replies, emergencies included) never waits for it; a short one costs well under a millisecond."""
        if incoming.text is not None and len(incoming.text) > HEAVY_TEXT:
            return await asyncio.get_running_loop().run_in_executor(self._heavy, self.engine.handle, incoming, session)
        return self.engine.handle(incoming, session)

    def notice(self, key: str, hint: str | None = None) -> Reply:
        """A reply that belongs to no session (a group hint): counted, nothing stored."""
        reply = self.engine.notice(key, Session(), hint)
        self.count([reply])
        return reply

    def count(self, replies: Sequence[Reply]) -> None:
        metrics.replies(list(replies), self.engine.content.flows)
        day = time.strftime("%Y-%m-%d", time.gmtime())
        for reply in replies:
            topic = "smalltalk" if reply.kind == "smalltalk" else reply.id or reply.kind  # small talk is never a topic
            self.store.count(CounterKey(day, reply.locale, topic, reply.campaign or ""))

    async def _load(self, key: str) -> Session:
        try:
            return await self.store.load_session(key) or Session()
        except Exception as exc:  # answer anyway (it may be an emergency), without the session
            log.error("session load failed", extra={"fields": {"error": type(exc).__name__}})
            return Session()

    @staticmethod
    async def _store(what: str, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception as exc:  # a store fault never ends a turn
            log.error(f"{what} failed", extra={"fields": {"error": type(exc).__name__}})

    async def maintain(self, stop: asyncio.Event, *, flush_interval: float, sweep_interval: float, session_ttl: float) -> None:
        """Flush counters and sweep idle sessions until `stop` is set (never cancelled: a flush cut off mid-write
        would lose the counters it had taken from the buffer); `shutdown` does the last flush."""
        last_sweep = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), flush_interval)
            if stop.is_set():
                return
            try:
                await self.store.flush()
                if time.monotonic() - last_sweep >= sweep_interval:
                    last_sweep = time.monotonic()
                    swept = await self.store.sweep(session_ttl)
                    log.info("sessions swept", extra={"fields": {"count": swept}})
            except Exception as exc:  # a database hiccup must not end maintenance
                log.error("store maintenance failed", extra={"fields": {"error": type(exc).__name__}})

    async def shutdown(self) -> None:
        try:
            await self.store.flush()
        finally:
            self._heavy.shutdown(wait=False, cancel_futures=True)
            await self.store.close()
