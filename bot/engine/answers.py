"""Entries, combinations and small talk as replies."""

from __future__ import annotations

from ..content import Entry
from ..content.buttons import cb_entry, cb_flow, cb_more
from .replies import Reply, ReplyButton
from .texts import Texts


class Answers(Texts):
    def entry(self, entry: Entry) -> Reply:
        self.session.flow = self.session.step = None
        buttons = [ReplyButton(self.s("button_more"), cb_more(entry.id))]
        for rid in entry.related[:3]:
            if (related := self.content.entry(self.locale, rid)) is not None:
                buttons.append(ReplyButton(related.title, cb_entry(rid)))
        buttons.append(self.menu_button())
        return self.reply(f"{entry.title}\n\n{self.numbers(entry.answer)}", tuple(buttons), kind="answer", id=entry.id)

    def numbers(self, text: str) -> str:
        """{emergency} in an entry, as in a flow: the number of the person's country, else of their language."""
        if "{emergency}" not in text:
            return text
        return text.replace("{emergency}", self.content.emergency_numbers(self.locale, self.session.country))

    def more(self, entry: Entry) -> Reply:
        parts = [entry.title]
        if entry.more:
            parts.append(self.numbers(entry.more))
        sources = "\n".join(f"• {src.title}: {src.url}" for src in entry.sources)
        parts.append(f"{self.s('sources_label')}:\n{sources}\n{self.s('reviewed_label')}: {entry.reviewed.isoformat()}")
        buttons = tuple(
            ReplyButton(related.title, cb_entry(rid))
            for rid in entry.related[:3]
            if (related := self.content.entry(self.locale, rid)) is not None
        )
        return self.reply("\n\n".join(parts), (*buttons, self.menu_button()), kind="answer", id=entry.id)

    def combo_text(self, a: str, b: str) -> str:
        name_a, name_b = self.substance_name(a), self.substance_name(b)
        if a == b:
            return self.s("combo_same", a=name_a, b=name_b)
        combo = self.content.combo(a, b)
        if combo is None:
            return self.s("combo_unknown")
        reason = self.pick(combo.reasons)
        return self.s("combo_result", a=name_a, b=name_b, level=self.s(f"risk_{combo.risk}"), reason=reason)

    def substance_name(self, sid: str) -> str:
        for code in self.content.chain(self.locale):
            names = self.content.locales[code].substances
            if sid in names:
                return names[sid].name
        return sid

    def smalltalk(self, sid: str) -> str | None:
        for code in self.content.chain(self.locale):
            talk = self.content.locales[code].smalltalk.get(sid)
            if talk is not None:
                return talk.reply
        return None

    def combo_many(self, pairs: tuple[tuple[str, str, str | None], ...]) -> Reply:
        """Three or more substances: the most dangerous pair in full, then every other pair with its level."""
        self.session.flow = self.session.step = None
        a, b, _ = pairs[0]
        lines = [self.combo_text(a, b), "", self.s("combo_other_pairs")]
        for x, y, level in pairs[1:]:
            label = self.s(f"risk_{level}") if level else self.s("risk_unknown")
            lines.append(f"• {self.substance_name(x)} + {self.substance_name(y)}: {label}")
        buttons = (ReplyButton(self.s("button_check_another"), cb_flow("combo-check")), self.menu_button())
        ids = sorted({s for p in pairs for s in p[:2]})
        return self.reply("\n".join(lines), buttons, kind="combo", id="+".join(ids))

    def combo(self, a: str, b: str) -> Reply:
        self.session.flow = self.session.step = None  # an answer of its own: the person moved on, as with entries
        buttons = (ReplyButton(self.s("button_check_another"), cb_flow("combo-check")), self.menu_button())
        return self.reply(self.combo_text(a, b), buttons, kind="combo", id=f"{min(a, b)}+{max(a, b)}")
