"""Immutable content models. Built once by the loader; never changed afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

# Telegram's limits, checked by the validator.
MESSAGE_LIMIT = 4096
CALLBACK_LIMIT = 64
ANSWER_SCREEN_LIMIT = 4000

BUTTON_KINDS = ("goto", "entry", "flow", "locale")
CAPTURE_KINDS = ("substance",)  # never raw text: user text is not stored
ACTIONS = ("combo-result",)


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    locale: str
    title: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    more: str | None
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: dt.date
    path: str
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)  # key -> line, for error messages


@dataclass(frozen=True, slots=True)
class Button:
    label: Mapping[str, str]  # locale -> text
    kind: str  # one of BUTTON_KINDS
    target: str


@dataclass(frozen=True, slots=True)
class StepInput:
    capture: str  # one of CAPTURE_KINDS
    into: str
    goto: str
    retry: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    say: Mapping[str, str]
    buttons: tuple[Button, ...] = ()
    input: StepInput | None = None
    action: str | None = None
    end: bool = False


@dataclass(frozen=True, slots=True)
class Trigger:
    phrase: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    emergency: bool
    triggers: Mapping[str, tuple[Trigger, ...]]
    signals: Mapping[str, tuple[str, ...]]
    start: str
    steps: Mapping[str, Step]
    path: str
    title: Mapping[str, str] = field(default_factory=dict)
    # whole messages the model learns the flow from (long, rambling, in Latin letters); unlike triggers, the
    # emergency rule net never looks at them, so they teach without making the net fire on every word of them
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SubstanceNames:
    id: str
    name: str
    aliases: tuple[str, ...]
    unless: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Combo:
    pair: tuple[str, str]  # sorted
    risk: str
    reasons: Mapping[str, str]  # locale -> text
    # sold as one another (NBOMe as LSD): named together without a mixing word, the question is which it is
    lookalike: bool = False


# What {name} in a flow's text becomes, per person: the emergency number(s) and what the law of their
# country gives people who call for help (both from knowledge/countries.yaml).
FLOW_PLACEHOLDERS = ("emergency", "callers_law")


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str  # in the default locale (en)
    emergency: str  # in the default locale (en)
    callers_law: Mapping[str, str] = field(default_factory=dict)  # locale -> what the law gives people who call
    # locale -> text; empty when the file gives one text for all (a name, or numbers only such as "112")
    names: Mapping[str, str] = field(default_factory=dict)
    emergencies: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SmallTalk:
    """A greeting, thanks and the like: example phrasings and one short reply (never counted as a topic)."""

    id: str
    phrasings: tuple[str, ...]
    reply: str


@dataclass(frozen=True, slots=True)
class LocalePack:
    code: str
    strings: Mapping[str, str]
    stopwords: frozenset[str]
    synonyms: Mapping[str, tuple[str, ...]]  # canonical -> variants
    substances: Mapping[str, SubstanceNames]
    entries: Mapping[str, Entry]
    name: str = ""
    fallback: str | None = None  # where a partial locale's missing texts come from
    partial: bool = False
    smalltalk: Mapping[str, SmallTalk] = field(default_factory=dict)
    # matching.yaml `words`: mixing, connectors, contrast, general, urgent, stop -> phrases (see MATCH_WORDS)
    match_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # matching.yaml `background`: sentences with no question in them, learned as "no topic"
    background: tuple[str, ...] = ()
    # matching.yaml `offtopic`: questions about what the bot does not cover, learned as "no topic" too
    offtopic: tuple[str, ...] = ()


MATCH_WORDS = (
    "mixing", "connectors", "contrast", "asking", "permission", "general", "urgent", "stop", "notnow", "now", "over", "again",
    "reassured", "ahead",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Topics:
    """The content contract of shared/topics.yaml."""

    emergency: tuple[str, ...] = ()
    flow: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()
    smalltalk: tuple[str, ...] = ()
    combo_substances: tuple[str, ...] = ()
    risk_levels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Content:
    locales: Mapping[str, LocalePack]
    flows: Mapping[str, Flow]
    combos: Mapping[tuple[str, str], Combo]
    countries: Mapping[str, Country]
    default_emergency: Mapping[str, str]
    topics: Topics
    combo_sources: tuple[Source, ...] = ()
    default_locale: str = "en"
    root: str = field(default="", compare=False)
    default_callers_law: Mapping[str, str] = field(default_factory=dict)  # for a country without its own line
    # the hash of the files it was loaded from (files.tree_digest): the key of the built index's cache. "" for
    # content made any other way; whoever derives content with dataclasses.replace must set it to ""
    digest: str = field(default="", compare=False)

    def emergency_numbers(self, locale: str, country: str | None) -> str:
        """The number(s) for the person's country in their language ("103 (скорая) или 112"), falling back
        like every text; with no country, the locale's default line."""
        if country and country in self.countries:
            own = self.countries[country]
            return self._localized(own.emergencies, locale) or own.emergency
        return self.default_emergency.get(locale) or self.default_emergency.get(self.default_locale, "112")

    def country_name(self, locale: str, country: str) -> str:
        own = self.countries[country]
        return self._localized(own.names, locale) or own.name

    def _localized(self, texts: Mapping[str, str], locale: str) -> str:
        return next((texts[code] for code in self.chain(locale) if texts.get(code)), "")

    def callers_law(self, locale: str, country: str | None) -> str:
        """What the law of the person's country gives someone who calls for help; with no country (or none
        written for it), the default line, which promises nothing."""
        own = self.countries[country].callers_law if country and country in self.countries else {}
        for table in (own, self.default_callers_law):
            for code in self.chain(locale):
                if table.get(code):
                    return table[code]
        return ""

    def chain(self, locale: str) -> list[str]:
        """The locale, then its fallback, then the default: where a missing text is looked up."""
        out = [locale]
        pack = self.locales.get(locale)
        if pack is not None and pack.fallback and pack.fallback in self.locales:
            out.append(pack.fallback)
        if self.default_locale not in out:
            out.append(self.default_locale)
        return out

    def entry(self, locale: str, entry_id: str) -> Entry | None:
        for code in self.chain(locale):
            pack = self.locales.get(code)
            if pack is not None and entry_id in pack.entries:
                return pack.entries[entry_id]
        return None

    def combo(self, a: str, b: str) -> Combo | None:
        return self.combos.get((a, b) if a <= b else (b, a))
