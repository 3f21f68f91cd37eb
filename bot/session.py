"""The per-person session: only what a conversation needs, nothing that identifies anyone."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(slots=True)
class Session:
    locale: str | None = None  # the person's explicit choice
    last_locale: str | None = None  # the locale of the last reply (detected), used for button presses
    country: str | None = None
    flow: str | None = None
    step: str | None = None
    vars: dict[str, str] = field(default_factory=dict)  # canonical ids only (e.g. substances), never user text

    def to_json(self) -> str:
        fields = {"locale": self.locale, "last_locale": self.last_locale, "country": self.country, "flow": self.flow, "step": self.step}
        return json.dumps({**fields, "vars": self.vars}, separators=(",", ":"), sort_keys=True)  # asdict() deep-copies: slower

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> Session:
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        known = {k: data[k] for k in ("locale", "last_locale", "country", "flow", "step") if isinstance(data.get(k), str)}
        raw_vars = data.get("vars")
        variables = {str(k): str(v) for k, v in raw_vars.items()} if isinstance(raw_vars, dict) else {}
        return cls(**known, vars=variables)

    def is_empty(self) -> bool:
        return self == Session()
