"""The engine: plain data in (`Incoming`), plain data out (`Reply`). It knows nothing of Telegram.

Router order: command > emergency > active flow step > combo > best match > clarify > fallback.
An emergency message interrupts any flow at any step.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from . import dialogue
from .content import Content, Entry, Flow, Step
from .content.models import CB_MENU, CB_STOP, button_data, cb_entry, cb_flow, cb_more
from .errors import frames
from .links import parse_payload
from .matching import Decision, MatchIndex
from .session import Session

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


@dataclass(frozen=True, slots=True)
class Incoming:
    text: str | None = None
    button: str | None = None  # callback data of a pressed button
    locale_hint: str | None = None  # e.g. Telegram's language_code


@dataclass(frozen=True, slots=True)
class ReplyButton:
    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[ReplyButton, ...] = ()
    emergency: bool = False
    kind: str = "notice"  # emergency|flow|answer|combo|clarify|fallback|smalltalk|command|notice|forget|error
    id: str | None = None  # entry or flow id, for counters and tests
    locale: str = "en"
    campaign: str | None = None


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
            return dataclasses.replace(_Turn(bundle, session, locale).notice(key), id=key)
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
            return _Turn(bundle, session, locale).button(incoming.button)
        text = (incoming.text or "").strip()
        if text.startswith("/") or not text:
            locale = self._locale(bundle, session, incoming.locale_hint, None)
            turn = _Turn(bundle, session, locale)
            return turn.command(text) if text else turn.text(text)
        # Read the message once: the decision carries the language it was read in, which is the reply's
        # language unless the person chose one.
        fallback = self._locale(bundle, session, incoming.locale_hint, None)
        chosen = session.locale if session.locale in bundle.content.locales else None
        decision = bundle.index.classify(text, chosen, default_locale=fallback)
        return _Turn(bundle, session, decision.locale).text(text, decision)

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


class _Turn:
    """One message's worth of work, with the locale fixed."""

    def __init__(self, bundle: Bundle, session: Session, locale: str) -> None:
        self.bundle = bundle
        self.content = bundle.content
        self.index = bundle.index
        self.session = session
        self.locale = locale
        self.strings = self.content.locales[locale].strings
        session.last_locale = locale

    # --- helpers ----------------------------------------------------------------------------------------

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

    # --- text -------------------------------------------------------------------------------------------

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

    # --- entries and combos -----------------------------------------------------------------------------

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

    # --- flows ------------------------------------------------------------------------------------------

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

    # --- buttons ----------------------------------------------------------------------------------------

    def button(self, data: str) -> list[Reply]:
        kind, _, rest = data.partition(":")
        if data == CB_MENU:
            return self.menu()
        if data == CB_STOP:
            return self.stop()
        if kind in ("e", "m") and (found := self.content.entry(self.locale, rest)) is not None:
            return [self.entry(found) if kind == "e" else self.more(found)]
        if kind == "f" and rest in self.content.flows:
            return [self.start_flow(self.content.flows[rest])]
        if kind == "s":
            flow_id, _, step_id = rest.partition(":")
            flow = self.content.flows.get(flow_id)
            if flow is not None and step_id in flow.steps:
                return [self.start_flow(flow, step_id)]
            return self.step_gone()
        if kind == "l" and rest in self.content.locales:
            self.session.locale = rest
            dialogue.leave(self.session)
            turn = _Turn(self.bundle, self.session, rest)
            return [turn.notice("locale_set")]
        if kind == "v":
            here = dialogue.current(self.content, self.session)
            if here is not None and here[1].input is not None:
                return self.flow_input(here[0], here[1], rest)
        menu = self.content.flows.get("menu")
        if menu is None:
            return [self.notice("expired_button")]
        return [self.show_step(menu, dialogue.enter(self.session, menu), prefix=self.s("expired_button"))]

    # --- commands ---------------------------------------------------------------------------------------

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
        return [_Turn(self.bundle, self.session, code).notice("locale_set")]

    def set_country(self, code: str) -> list[Reply]:
        code = code.upper().strip()
        if not code:
            return [self.notice("country_prompt")]
        if code not in self.content.countries:
            return [self.notice("country_unknown", countries=" ".join(sorted(self.content.countries)))]
        self.session.country = code
        return [self.notice("country_set", country=self.content.country_name(self.locale, code))]
