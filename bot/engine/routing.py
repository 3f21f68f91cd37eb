"""Routing one message or button press: command > emergency > the flow step > combo > match > clarify > fallback."""

from __future__ import annotations

import dataclasses

from .. import dialogue
from ..content import Flow
from ..content.buttons import button_data, cb_entry, cb_flow, decode
from ..matching import Decision
from .commands import Commands
from .replies import Reply, ReplyButton


class Turn(Commands):
    def text(self, text: str, decision: Decision | None = None) -> list[Reply]:
        if not text:
            return [self.reply(self.s("fallback"), (self.menu_button(),), kind="fallback")]
        if decision is None:
            decision = self.index.classify(text, self.locale, default_locale=self.locale)
        here = dialogue.current(self.content, self.session)
        if here is not None and here[1].buttons and here[1].input is None:
            # Typed words that say what a button says press it ("not breathing" in an emergency's own step);
            # outside an emergency flow, an emergency still interrupts.
            pressed = self.index.match_button(text, [b.label for b in here[1].buttons])
            if pressed is not None and (decision.kind != "emergency" or here[0].emergency):
                return self.button(button_data(here[0].id, here[1].buttons[pressed]))
        if decision.kind == "emergency" and decision.id:
            return [self.start_flow(self.content.flows[decision.id])]
        if self.session.flow is not None and here is None:
            return self.step_gone()
        if here is not None and self.index.is_stop_word(text, self.locale):
            return self.stop()
        if here is not None and here[1].input is not None:
            return self.flow_input(here[0], here[1], text)
        if here is not None and here[1].buttons and decision.kind in ("fallback", "clarify"):
            # Nothing fitted a button: the step is repeated unless the message is a question of its own.
            return [self.show_step(here[0], here[1], prefix=self.s("step_repeat"))]
        return self.decision(decision)

    def decision(self, d: Decision) -> list[Reply]:
        replies = self._decision(d)
        if d.urgent and d.urgent in self.content.flows and replies:
            # It may be about an emergency happening now: its steps are one press away, first.
            first = replies[0]
            urgent = ReplyButton(self.s("button_happening_now"), cb_flow(d.urgent))
            replies[0] = dataclasses.replace(first, buttons=(urgent, *first.buttons))
        return replies

    def _decision(self, d: Decision) -> list[Reply]:
        if d.kind == "combo":
            if len(d.substances) > 2:
                return [self.combo_many(d.pairs)]
            return [self.combo(d.substances[0], d.substances[1])]
        if d.kind == "smalltalk" and d.id:
            talk = self.smalltalk(d.id)
            if talk is not None:
                return [self.reply(talk, (self.menu_button(),), kind="smalltalk", id=d.id)]
        if d.kind == "flow" and d.id and d.id in self.content.flows:
            return [self.start_flow(self.content.flows[d.id])]
        if d.kind == "answer" and d.id:
            entry = self.content.entry(self.locale, d.id)
            if entry is not None:
                return [self.entry(entry)]
        if d.kind == "clarify":
            buttons = tuple(b for b in (self.target_button(c) for c in d.candidates) if b is not None)
            return [self.reply(self.s("clarify"), (*buttons, self.menu_button()), kind="clarify")]
        return [self.reply(self.s("fallback"), (self.menu_button(),), kind="fallback")]

    def target_button(self, target: str) -> ReplyButton | None:
        entry = self.content.entry(self.locale, target)
        if entry is not None:
            return ReplyButton(entry.title, cb_entry(entry.id))
        flow = self.content.flows.get(target)
        if flow is not None:
            return ReplyButton(self.flow_title(flow), cb_flow(flow.id))
        return None

    def flow_title(self, flow: Flow) -> str:
        title = self.pick(flow.title)
        if title:
            return title
        triggers = flow.triggers.get(self.locale) or flow.triggers.get(self.content.default_locale) or ()
        return triggers[0].phrase.capitalize() if triggers else flow.id

    def button(self, data: str) -> list[Reply]:
        pressed = decode(data)
        if pressed.kind == "menu":
            return self.menu()
        if pressed.kind == "stop":
            return self.stop()
        if pressed.kind in ("entry", "more") and (found := self.content.entry(self.locale, pressed.target)) is not None:
            return [self.entry(found) if pressed.kind == "entry" else self.more(found)]
        if pressed.kind == "flow" and pressed.target in self.content.flows:
            return [self.start_flow(self.content.flows[pressed.target])]
        if pressed.kind == "step":
            flow = self.content.flows.get(pressed.target)
            if flow is not None and pressed.step in flow.steps:
                return [self.start_flow(flow, pressed.step)]
            return self.step_gone()
        if pressed.kind == "locale" and pressed.target in self.content.locales:
            self.session.locale = pressed.target
            dialogue.leave(self.session)
            return [type(self)(self.bundle, self.session, pressed.target).notice("locale_set")]
        if pressed.kind == "value":
            here = dialogue.current(self.content, self.session)
            if here is not None and here[1].input is not None:
                return self.flow_input(here[0], here[1], pressed.target)
        menu = self.content.flows.get("menu")
        if menu is None:
            return [self.notice("expired_button")]
        return [self.show_step(menu, dialogue.enter(self.session, menu), prefix=self.s("expired_button"))]
