"""A turn's texts: UI strings with their placeholders filled, texts in the turn's locale, the common buttons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..content.buttons import CB_MENU, CB_STOP
from ..session import Session
from .replies import Reply, ReplyButton

if TYPE_CHECKING:
    from .core import Bundle


class Texts:
    """One message's worth of work, with the locale fixed (decided once per turn, by `Engine`)."""

    def __init__(self, bundle: Bundle, session: Session, locale: str) -> None:
        self.bundle = bundle
        self.content = bundle.content
        self.index = bundle.index
        self.session = session
        self.locale = locale
        self.strings = self.content.locales[locale].strings
        session.last_locale = locale

    def s(self, key: str, **values: str) -> str:
        text = self.strings.get(key) or self.content.locales[self.content.default_locale].strings.get(key, key)
        values.setdefault("emergency", self.content.emergency_numbers(self.locale, self.session.country))
        if "{callers_law}" in text:
            values.setdefault("callers_law", self.content.callers_law(self.locale, self.session.country))
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    def pick(self, texts: Mapping[str, str], default: str = "") -> str:
        """The text in this locale, else its fallback, else the default locale."""
        for code in self.content.chain(self.locale):
            if texts.get(code):
                return texts[code]
        return default

    def menu_button(self) -> ReplyButton:
        return ReplyButton(self.s("button_menu"), CB_MENU)

    def stop_button(self) -> ReplyButton:
        return ReplyButton(self.s("button_stop"), CB_STOP)

    def reply(self, text: str, buttons: tuple[ReplyButton, ...] = (), **kw: object) -> Reply:
        return Reply(text=text, buttons=buttons, locale=self.locale, **kw)  # type: ignore[arg-type]

    def notice(self, key: str, **values: str) -> Reply:
        return self.reply(self.s(key, **values), (self.menu_button(),), kind="notice")
