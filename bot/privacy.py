"""Pseudonyms: sessions are keyed by HMAC-SHA256(pepper, chat id), never by the id itself."""

from __future__ import annotations

import hashlib
import hmac


class Pseudonymizer:
    def __init__(self, pepper: bytes) -> None:
        if len(pepper) < 16:
            raise ValueError("the pepper must be at least 16 bytes")
        self._pepper = pepper

    def key(self, chat_id: int | str) -> str:
        return hmac.new(self._pepper, str(chat_id).encode(), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show the pepper
        return "Pseudonymizer(<pepper hidden>)"
