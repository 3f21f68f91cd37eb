"""What goes into the engine (`Incoming`) and what comes out (`Reply`): plain data, no channel in it."""

from __future__ import annotations

from dataclasses import dataclass


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
