"""Unanswered questions, kept without identifying anyone (off by default; the caller decides to call it).

A text is first scrubbed (digits, @handles, e-mails, URLs and phone-like runs removed) and normalised. Until
`k` different people have sent the same normalised text, the store holds only two keyed hashes per sender:
one of the text and one of the sender's pseudonym (a different HMAC from the session key, so the tables
cannot be joined). The plain scrubbed text is written only when the k-th different person sends it, and the
per-sender hashes are then dropped. Candidates and kept entries expire after 30 days.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from .base import UNANSWERED_MIN_PEOPLE, UNANSWERED_TTL_SECONDS

MAX_CHARS = 200
MIN_LETTERS = 3

_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S*|\b(?:[\w-]+\.)+[a-z]{2,}(?::\w*)?(?:/\S*)?", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+")
_HANDLE = re.compile(r"@\w+")
_PHONE = re.compile(r"\+?\d[\d\s().\-/]{4,}\d")
_DIGITS = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[\W_]+")


def scrub(text: str) -> str:
    """Remove what could identify or reach someone: e-mails, URLs, @handles, phone-like runs and every digit."""
    for pattern in (_EMAIL, _URL, _HANDLE, _PHONE, _DIGITS):
        text = pattern.sub(" ", text)
    return " ".join(text.split())


def normalise(text: str) -> str:
    """Casefold, drop punctuation, collapse spaces: the form compared across people and the form kept."""
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())[:MAX_CHARS].strip()


def prepare_text(text: str) -> str | None:
    """The scrubbed, normalised text, or None when too little is left to be worth keeping."""
    cleaned = normalise(scrub(text))
    return cleaned if sum(ch.isalpha() for ch in cleaned) >= MIN_LETTERS else None


@dataclass(frozen=True, slots=True)
class Note:
    text: str  # scrubbed and normalised
    text_hash: str  # keyed hash of the text: what candidates are grouped by
    who: str  # keyed hash of the pseudonym, truncated


class UnansweredPolicy:
    """Turns (pseudonym, raw text) into a `Note` with keyed hashes; holds k and the expiry."""

    def __init__(
        self, pepper: bytes | None = None, min_people: int = UNANSWERED_MIN_PEOPLE, ttl_seconds: float = UNANSWERED_TTL_SECONDS
    ) -> None:
        if min_people < 1:
            raise ValueError("min_people must be at least 1")
        # Without a pepper, an ephemeral secret: candidates then only group within this process, which is safe.
        base = pepper if pepper is not None else secrets.token_bytes(32)
        self._secret = hmac.new(base, b"hrbot unanswered v1", hashlib.sha256).digest()
        self.min_people = min_people
        self.ttl_seconds = ttl_seconds

    def note(self, pseudonym: str, text: str) -> Note | None:
        cleaned = prepare_text(text)
        if cleaned is None:
            return None
        text_hash = hmac.new(self._secret, b"text\0" + cleaned.encode(), hashlib.sha256).hexdigest()[:32]
        who = hmac.new(self._secret, b"who\0" + pseudonym.encode(), hashlib.sha256).hexdigest()[:16]
        return Note(cleaned, text_hash, who)

    def __repr__(self) -> str:
        return f"UnansweredPolicy(min_people={self.min_people}, <secret hidden>)"
