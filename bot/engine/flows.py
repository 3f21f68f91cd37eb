"""Flows as replies: a step shown, typed input taken, leaving a flow."""

from __future__ import annotations

from .. import dialogue
from ..content import Flow, Step
from ..content.buttons import button_data
from .answers import Answers
from .replies import Reply, ReplyButton


class Flows(Answers):
    def start_flow(self, flow: Flow, step_id: str | None = None, *, campaign: str | None = None) -> Reply:
        step = dialogue.enter(self.session, flow, step_id)
        return self.show_step(flow, step, campaign=campaign)

    def show_step(self, flow: Flow, step: Step, *, prefix: str = "", campaign: str | None = None) -> Reply:
        text = self.pick(step.say)
        text = text.replace("{emergency}", self.content.emergency_numbers(self.locale, self.session.country))
        if "{callers_law}" in text:  # by country, like the number: never a legal promise the country does not make
            text = text.replace("{callers_law}", self.content.callers_law(self.locale, self.session.country))
        if step.action == "combo-result":
            a, b = self.session.vars.get("first"), self.session.vars.get("second")
            if a and b:
                text = f"{self.combo_text(a, b)}\n\n{text}".strip()
        if prefix:
            text = f"{prefix}\n\n{text}"
        buttons = [ReplyButton(self.pick(b.label, b.target), button_data(flow.id, b)) for b in step.buttons]
        if not (flow.id == "menu" and step.id == flow.start):
            buttons.append(self.menu_button())
        buttons.append(self.stop_button())
        dialogue.after_show(self.session, step)
        return self.reply(
            text, tuple(buttons), emergency=flow.emergency, kind="emergency" if flow.emergency else "flow", id=flow.id, campaign=campaign
        )

    def flow_input(self, flow: Flow, step: Step, text: str) -> list[Reply]:
        assert step.input is not None
        found = self.index.substances(text, self.locale)
        other = self.index.detect_locale(text, self.locale)
        if not found and other != self.locale:
            found = self.index.substances(text, other)
        if not found:
            retry = self.pick(step.input.retry)
            return [self.show_step(flow, step, prefix=retry)]
        return [self.show_step(flow, dialogue.capture_substances(self.content, self.session, flow, step, found))]

    def menu(self) -> list[Reply]:
        flow = self.content.flows.get("menu")
        if flow is None:
            return [self.reply(self.s("help"), kind="command")]
        return [self.start_flow(flow)]

    def stop(self) -> list[Reply]:
        was_in_flow = self.session.flow is not None
        dialogue.leave(self.session)
        return [self.reply(self.s("stopped" if was_in_flow else "nothing_to_stop"), (self.menu_button(),), kind="command")]

    def step_gone(self) -> list[Reply]:
        dialogue.leave(self.session)
        flow = self.content.flows.get("menu")
        if flow is None:
            return [self.notice("step_gone")]
        return [self.show_step(flow, dialogue.enter(self.session, flow), prefix=self.s("step_gone"))]
