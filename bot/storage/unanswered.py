"""Unanswered questions, kept without identifying anyone (off by default; the caller decides to call it).

A text is kept only if every word in it is a word of the content (any string the content holds) or a common
word of English, Russian or Ukrainian (wordfreq's frequency lists, Zipf >= `COMMON_ZIPF`): a name, a
handle typed without "@" (`zebra_unicorn_77`), a phone number or anything with a digit is not, and then the
whole text is dropped. A capitalised word inside a sentence is taken for a name unless the content has it.
Without wordfreq installed, only content words count. The text is then scrubbed (digits, @handles,
e-mails, URLs and phone-like runs removed, in case) and normalised. Until
`k` different people have sent the same normalised text, the store holds only two keyed hashes per sender:
one of the text and one of the sender's pseudonym (a different HMAC from the session key, so the tables
cannot be joined). The plain scrubbed text is written only when the k-th different person sends it, and the
per-sender hashes are then dropped. Candidates and kept entries expire after 30 days.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .. import wordlists
from .base import UNANSWERED_MIN_PEOPLE, UNANSWERED_TTL_SECONDS

MAX_CHARS = 200
MIN_LETTERS = 3
COMMON_ZIPF = 3.5  # ~3 per million words or more: "dizzy" 3.4 is out, "pills" 4.1 in; "bartholomew" 3.1, "anastasiya" 1.5
COMMON_LANGUAGES = ("en", "ru", "uk")

log = logging.getLogger("hrbot.storage")
_TOKEN = re.compile(r"\S+")
_EDGE = ".,!?;:()[]{}«»\"'“”„‘’…—–-*"
_WORD_PART = re.compile(r"[^\W\d_]+")  # letters only
_JOINERS = re.compile(r"['’\-]")  # inside a word: don't, по-русски
_SENTENCE_END = (".", "!", "?", "…")
# Digits spelled out ("five five five o one"): a phone number, in words. Three or more drop the text.
_NUMBER_WORDS = frozenset(
    {
        *("zero", "oh", "o", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
        *("ноль", "нуль", "один", "одна", "два", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"),
        *("дві", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять", "десять"),
    }
)
MAX_NUMBER_WORDS = 2

_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S*|\b(?:[\w-]+\.)+[a-z]{2,}(?::\w*)?(?:/\S*)?", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+")
_HANDLE = re.compile(r"@\w+")
_PHONE = re.compile(r"\+?\d[\d\s().\-/]{4,}\d")
_DIGITS = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[\W_]+")


def common_words() -> frozenset[str]:
    """The words of Zipf frequency >= COMMON_ZIPF in any of COMMON_LANGUAGES (about 60,000, a few MB)."""
    return _common_words()


@functools.cache
def _common_words() -> frozenset[str]:
    return frozenset().union(*(wordlists.common_words(lang, COMMON_ZIPF) for lang in COMMON_LANGUAGES))


def is_common(word: str) -> bool:
    """A frequent word of English, Russian or Ukrainian (lower case)."""
    return word in common_words()


def words_of(texts: Iterable[str]) -> frozenset[str]:
    """The lower-case words of some texts: the content's vocabulary."""
    return frozenset(w.casefold() for text in texts for w in _WORD_PART.findall(text))


Vocabulary = frozenset[str] | Callable[[], frozenset[str]]  # the words, or how to get them (off the loop)
_VOCABULARY: list[tuple[object, frozenset[str]]] = []  # one slot: the content last asked about, and its words


def content_vocabulary(content: object) -> frozenset[str]:
    """Every word of every string the content holds (titles, phrasings, answers, flows), computed once per
    content object (a reload makes a new one)."""
    if _VOCABULARY and _VOCABULARY[0][0] is content:
        return _VOCABULARY[0][1]
    texts: list[str] = []
    seen: set[int] = set()
    stack: list[object] = [content]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts.append(item)
            continue
        if id(item) in seen or item is None or isinstance(item, int | float | bool | bytes):
            continue
        seen.add(id(item))
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
    words = words_of(texts)
    _VOCABULARY[:] = [(content, words)]
    return words


def only_known_words(text: str, vocabulary: frozenset[str] = frozenset()) -> bool:
    """True if every word of `text` is a content word or a common one; False for any digit, handle, name-like
    capital or unknown word, and for a text with no word at all."""
    tokens = _TOKEN.findall(text)
    if sum(t.strip(_EDGE).casefold() in _NUMBER_WORDS for t in tokens) > MAX_NUMBER_WORDS:
        return False
    seen = False
    sentence_start = True
    for raw in tokens:
        token = raw.strip(_EDGE)
        starts = sentence_start
        sentence_start = raw.endswith(_SENTENCE_END)
        if not token:
            continue
        parts = _JOINERS.split(token)
        if not all(part and _WORD_PART.fullmatch(part) for part in parts):
            return False  # a digit, "_", "@", ".", ...: a handle, a number, an address
        for part in parts:
            word = part.casefold()
            if word in vocabulary:
                continue
            if not starts and len(part) > 1 and part.istitle():
                return False  # "my friend Anna": a name, unless the content uses the word ("I" is not one)
            if not is_common(word):
                return False
        seen = True
    return seen


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

    def note(self, pseudonym: str, text: str, vocabulary: Vocabulary = frozenset()) -> Note | None:
        """A note to keep, or None when the text is too short or holds a word that is neither the content's
        nor common (it may name or reach someone). May load word lists: call it off the event loop."""
        words = vocabulary() if callable(vocabulary) else vocabulary
        if not only_known_words(text[: MAX_CHARS * 2], words):
            return None
        cleaned = prepare_text(text)
        if cleaned is None:
            return None
        text_hash = hmac.new(self._secret, b"text\0" + cleaned.encode(), hashlib.sha256).hexdigest()[:32]
        who = hmac.new(self._secret, b"who\0" + pseudonym.encode(), hashlib.sha256).hexdigest()[:16]
        return Note(cleaned, text_hash, who)

    def __repr__(self) -> str:
        return f"UnansweredPolicy(min_people={self.min_people}, <secret hidden>)"
