"""Slash commands: /start (deep links), /menu, /help, /language, /privacy, /forget, /stop, /country."""

from __future__ import annotations

import dataclasses

from ..links import parse_payload
from .flows import Flows
from .replies import Reply


class Commands(Flows):
    def command(self, text: str) -> list[Reply]:
        head, _, arg = text.partition(" ")
        name = head[1:].split("@", 1)[0].lower()
        arg = arg.strip()
        if name == "start":
            return self.start(arg)
        if name == "menu":
            return self.menu()
        if name == "help":
            return [self.reply(self.s("help"), (self.menu_button(),), kind="command", id="help")]
        if name in ("language", "lang"):
            if arg:
                return self.set_locale(arg)
            flow = self.content.flows.get("language")
            return [self.start_flow(flow)] if flow else [self.set_locale("")[0]]
        if name == "locale":
            return self.set_locale(arg)
        if name == "privacy":
            entry = self.content.entry(self.locale, "privacy")
            return [self.entry(entry)] if entry else [self.notice("privacy_short")]
        if name == "forget":
            self.session.__init__()  # type: ignore[misc]
            return [Reply(self.s("forgotten"), (self.menu_button(),), kind="forget", locale=self.locale)]
        if name == "stop":
            return self.stop()
        if name == "country":
            return self.set_country(arg)
        return [self.notice("unknown_command")]

    def start(self, payload: str) -> list[Reply]:
        if payload:
            target, campaign = parse_payload(payload)
            if target in self.content.flows:
                return [self.start_flow(self.content.flows[target], campaign=campaign)]
            if (entry := self.content.entry(self.locale, target)) is not None:
                return [dataclasses.replace(self.entry(entry), campaign=campaign)]
        welcome = self.reply(self.s("welcome"), kind="command", id="start")
        return [welcome, *self.menu()]

    def set_locale(self, code: str) -> list[Reply]:
        code = code.lower().strip()
        if code not in self.content.locales:
            return [self.notice("unknown_locale", locales=", ".join(sorted(self.content.locales)))]
        self.session.locale = code
        return [type(self)(self.bundle, self.session, code).notice("locale_set")]

    def set_country(self, code: str) -> list[Reply]:
        code = code.upper().strip()
        if not code:
            return [self.notice("country_prompt")]
        if code not in self.content.countries:
            return [self.notice("country_unknown", countries=" ".join(sorted(self.content.countries)))]
        self.session.country = code
        return [self.notice("country_set", country=self.content.country_name(self.locale, code))]
