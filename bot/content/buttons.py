"""Button data: what a button press carries, encoded and decoded in one place.

Built from ids only (never text), so a button keeps working across content reloads, and short enough for
Telegram's 64 bytes of callback data. `decode` never raises: anything it does not know is kind "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Button

CB_MENU = "menu"
CB_STOP = "stop"


def cb_entry(entry_id: str) -> str:
    return f"e:{entry_id}"


def cb_more(entry_id: str) -> str:
    return f"m:{entry_id}"


def cb_flow(flow_id: str) -> str:
    return f"f:{flow_id}"


def cb_step(flow_id: str, step_id: str) -> str:
    return f"s:{flow_id}:{step_id}"


def cb_locale(code: str) -> str:
    return f"l:{code}"


def cb_value(value: str) -> str:
    return f"v:{value}"


def button_data(flow_id: str, button: Button) -> str:
    """The data of a flow step's button."""
    if button.kind == "goto":
        return cb_step(flow_id, button.target)
    if button.kind == "entry":
        return cb_entry(button.target)
    if button.kind == "flow":
        return cb_flow(button.target)
    return cb_locale(button.target)


@dataclass(frozen=True, slots=True)
class Pressed:
    kind: str  # menu | stop | entry | more | flow | step | locale | value | unknown
    target: str = ""  # the entry, flow, locale or value
    step: str = ""  # kind "step": the step of flow `target`


_KINDS = {"e": "entry", "m": "more", "f": "flow", "l": "locale", "v": "value"}


def decode(data: str) -> Pressed:
    if data == CB_MENU:
        return Pressed("menu")
    if data == CB_STOP:
        return Pressed("stop")
    code, _, rest = data.partition(":")
    if code == "s":
        flow, _, step = rest.partition(":")
        return Pressed("step", flow, step)
    if code in _KINDS and rest:
        return Pressed(_KINDS[code], rest)
    return Pressed("unknown")
