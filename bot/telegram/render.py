"""Rendering engine replies for Telegram: plain text (no parse mode, so nothing in the content can break
escaping), split at 4,096 characters on paragraph, then line, then word boundaries; buttons as an inline
keyboard, one per row, whose callback data is the engine's button data (64 bytes at most)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ..content.models import CALLBACK_LIMIT, MESSAGE_LIMIT
from ..engine import Reply, ReplyButton


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut `text` into chunks of at most `limit` UTF-16 units (Telegram's measure), preferring paragraph,
    then line, then space breaks; a hard cut only when a chunk has none."""
    text = text.strip() or "…"
    chunks: list[str] = []
    while (n := _fitting(text, limit)) < len(text):
        cut = next((at for sep in ("\n\n", "\n", " ") if (at := text.rfind(sep, 0, n + 1)) > 0), n)
        head, text = text[:cut].rstrip(), text[cut:].lstrip()
        if head:
            chunks.append(head)
    if text:
        chunks.append(text)
    return chunks


def _fitting(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 code units."""
    if len(text) <= limit // 2:
        return len(text)
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def fits_callback(data: str) -> bool:
    return 0 < len(data.encode("utf-8")) <= CALLBACK_LIMIT


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard that works out its JSON form once. python-telegram-bot converts `reply_markup` with
    `to_dict()` on every send, which was a tenth of the CPU of a turn; a markup is immutable once made."""

    __slots__ = ("_as_dict",)

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive=False)
        cached: dict[str, Any] | None = getattr(self, "_as_dict", None)
        if cached is None:
            cached = self._as_dict = super().to_dict()
        return dict(cached)  # a copy of the top level: whoever gets it may add keys


@functools.lru_cache(maxsize=4096)
def keyboard(buttons: tuple[ReplyButton, ...]) -> InlineKeyboardMarkup | None:
    """One markup per set of buttons, made once: the content's buttons repeat, and PTB's objects are immutable."""
    rows = [[InlineKeyboardButton(b.label or "…", callback_data=b.data)] for b in buttons if fits_callback(b.data)]
    return Keyboard(rows) if rows else None


def render(reply: Reply) -> list[Message]:
    """The messages to send for one reply; the keyboard goes with the last chunk."""
    chunks = split_text(reply.text)
    markup = keyboard(reply.buttons)
    return [Message(chunk, markup if i == len(chunks) - 1 else None) for i, chunk in enumerate(chunks)]
