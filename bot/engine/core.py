"""The engine: plain data in (`Incoming`), plain data out (`Reply`). It knows nothing of Telegram or the web.

Router order: command > emergency > active flow step > combo > best match > clarify > fallback.
An emergency message interrupts any flow at any step. The turn's work is split by concern: `texts`,
`answers`, `flows`, `commands`, `routing` (each a layer of `Turn`); button data is `content.buttons`.
"""

from __future__ import annotations

import dataclasses
import logging

from .. import dialogue
from ..content import Content
from ..content.buttons import CB_MENU
from ..errors import frames
from ..matching import Decision, MatchIndex
from ..session import Session
from .replies import Incoming, Reply, ReplyButton
from .routing import Turn

log = logging.getLogger("hrbot.engine")

# The reply when a turn failed: fixed text, so that it cannot fail in turn. The content may override it with a
# `turn_failed` string; {emergency} is the number for the person's locale or country.
FAILURE_TEXTS = {
    "en": "Sorry, something went wrong on my side and I could not answer that. If someone is in danger, call {emergency} now. "
    "You can try again, or open the menu.",
    "ru": "Извини, у меня что-то сломалось, и я не смог ответить. Если кто-то в опасности, звони {emergency} прямо сейчас. "
    "Можно попробовать ещё раз или открыть меню.",
    "uk": "Вибач, у мене щось зламалося, і я не зміг відповісти. Якщо хтось у небезпеці, телефонуй {emergency} просто зараз. "
    "Можна спробувати ще раз або відкрити меню.",
}
FAILURE_MENU = {"en": "☰ Menu", "ru": "☰ Меню", "uk": "☰ Меню"}
FAILURE_NUMBER = "112"


class Bundle:
    """Content plus its prebuilt index: swapped as one on reload."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.index = MatchIndex(content)


class Engine:
    def __init__(self, content: Content) -> None:
        self.bundle = Bundle(content)

    @property
    def content(self) -> Content:
        return self.bundle.content

    def reload(self, content: Content) -> None:
        """Swap in new content; sessions keep going (see `handle` for steps that vanished)."""
        self.swap(Bundle(content))

    def swap(self, bundle: Bundle) -> None:
        """Install a bundle built elsewhere (e.g. in a worker thread). One assignment, so a message in progress
        keeps the bundle it started with."""
        self.bundle = bundle

    def notice(self, key: str, session: Session, locale_hint: str | None = None) -> Reply:
        """A UI string (e.g. `not_text`, `group_hint`) in the session's locale, for adapters; id = the key."""
        bundle = self.bundle
        try:
            locale = self._locale(bundle, session, locale_hint, None)
            return dataclasses.replace(Turn(bundle, session, locale).notice(key), id=key)
        except Exception as exc:
            return self._failed(exc, session, locale_hint)[0]

    def classify(self, text: str, locale: str | None = None) -> Decision:
        return self.bundle.index.classify(text, locale, default_locale=self.content.default_locale)

    # --- entry point --------------------------------------------------------------------------------------

    def handle(self, incoming: Incoming, session: Session) -> list[Reply]:
        """The replies to one message or button press. Never raises: a failed turn gets `failure_replies`, and
        the log gets the exception's type and frames (no message, no locals: they may hold what was typed)."""
        try:
            return self._handle(incoming, session)
        except Exception as exc:
            return self._failed(exc, session, incoming.locale_hint)

    def _failed(self, exc: Exception, session: Session, hint: str | None) -> list[Reply]:
        log.error("turn failed", extra={"fields": {"error": type(exc).__name__, "frames": frames(exc)}})
        dialogue.leave(session)  # a half-done step could fail again on every message: start afresh
        try:
            locale = self._locale(self.bundle, session, hint, None)
        except Exception:
            locale = None
        return self.failure_replies(locale, session.country)

    def failure_replies(self, locale: str | None = None, country: str | None = None) -> list[Reply]:
        """The fixed reply to a turn that failed: the emergency number and the menu button. Built from as little
        as possible (a broken content still gets the built-in text and 112)."""
        content = self.bundle.content
        code = locale if locale and locale in content.locales else content.default_locale
        text = FAILURE_TEXTS.get(code) or FAILURE_TEXTS["en"]
        label, number = FAILURE_MENU.get(code) or FAILURE_MENU["en"], FAILURE_NUMBER
        try:
            strings, default = content.locales[code].strings, content.locales[content.default_locale].strings
            text = strings.get("turn_failed") or text
            label = strings.get("button_menu") or default.get("button_menu") or label
            number = content.emergency_numbers(code, country) or number
        except Exception:  # pragma: no cover - a content so broken that even this fails
            log.error("failure reply built from the defaults")
        return [Reply(text.replace("{emergency}", number), (ReplyButton(label, CB_MENU),), kind="error", locale=code)]

    def _handle(self, incoming: Incoming, session: Session) -> list[Reply]:
        bundle = self.bundle  # one consistent view for the whole message, even if a reload happens meanwhile
        if incoming.button is not None:
            locale = self._locale(bundle, session, incoming.locale_hint, None)
            return Turn(bundle, session, locale).button(incoming.button)
        text = (incoming.text or "").strip()
        if text.startswith("/") or not text:
            locale = self._locale(bundle, session, incoming.locale_hint, None)
            turn = Turn(bundle, session, locale)
            return turn.command(text) if text else turn.text(text)
        # Read the message once: the decision carries the language it was read in, which is the reply's
        # language unless the person chose one.
        fallback = self._locale(bundle, session, incoming.locale_hint, None)
        chosen = session.locale if session.locale in bundle.content.locales else None
        decision = bundle.index.classify(text, chosen, default_locale=fallback)
        return Turn(bundle, session, decision.locale).text(text, decision)

    @staticmethod
    def _locale(bundle: Bundle, session: Session, hint: str | None, text: str | None) -> str:
        locales = bundle.content.locales
        if session.locale in locales:
            return session.locale  # type: ignore[return-value]
        fallback = session.last_locale if session.last_locale in locales else None
        if fallback is None and hint:
            short = hint.lower().replace("_", "-").split("-")[0]
            fallback = short if short in locales else None
        fallback = fallback or bundle.content.default_locale
        if text and not text.startswith("/"):
            return bundle.index.detect_locale(text, fallback)
        return fallback
