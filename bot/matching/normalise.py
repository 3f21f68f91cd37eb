"""Text normalisation and per-locale analysis: the same steps run on content (at load) and on messages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import snowballstemmer
from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    import pymorphy3

MAX_CHARS = 1000  # long messages are cut before matching, so latency stays bounded
_STRETCH = re.compile(r"([^\W\d])\1{2,}")  # "plsss" -> "pls", "helppp" -> "help"
_NON_WORD = re.compile(r"[\W_]+")
_STEMMERS = {"en": "english", "ru": "russian", "uk": "russian", "de": "german", "fr": "french", "es": "spanish"}
_MORPHOLOGY = ("ru", "uk")  # a real analyser (pymorphy3 with its dictionaries) instead of a stemmer


@cache
def _morph(code: str) -> pymorphy3.MorphAnalyzer:
    """One analyser per language for the whole process (loading a dictionary takes about 0.1 s).

    Imported here, not at the top: with cached lemmas most processes never need it (0.3 s of start-up).
    """
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=code)


def basic_tokens(text: str) -> list[str]:
    """Case-fold, NFKC, ё->е, drop apostrophes and invisible characters, split on anything not a letter or digit."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).casefold().replace("ё", "е")
    if not text.isprintable():  # the common case has no control or format characters: skip the walk
        text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t ")
    text = text.replace("'", "").replace("’", "").replace("`", "").replace("ʼ", "")
    text = text.replace("+", " plus ").replace("&", " and ")
    text = _NON_WORD.sub(" ", text)
    return _STRETCH.sub(r"\1", text).split()


class Analyzer:
    """Turns text into canonical stems for one locale: synonyms and slang first, then stop words, then stems.

    Unknown words of four letters or more are corrected to the closest known word (rapidfuzz), so typos
    still meet the content.
    """

    def __init__(
        self,
        code: str,
        stopwords: Iterable[str],
        synonyms: Mapping[str, Iterable[str]],
        lemmas: Mapping[str, str] | None = None,
        common: Iterable[str] = (),
    ) -> None:
        """`common`: words of the language that are never taken for a typo of a content word."""
        self.code = code
        self.common = frozenset(common)
        self._glued_negation = code in ("ru", "uk")
        algo = _STEMMERS.get(code)
        self._morphology = code in _MORPHOLOGY  # the dictionary loads on the first word no cache knows (0.1 s each)
        self._stemmer = snowballstemmer.stemmer(algo) if algo and not self._morphology else None
        self._fallback = snowballstemmer.stemmer("russian")
        self._stems: dict[str, str] = {}
        self.preset(lemmas or {})
        self.stopwords = frozenset(t for w in stopwords for t in basic_tokens(w))
        self.phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.max_phrase = 1
        for canonical, variants in synonyms.items():
            target = tuple(basic_tokens(canonical))
            for variant in (canonical, *variants):
                key = tuple(basic_tokens(variant))
                if key and key not in self.phrases:
                    self.phrases[key] = target
                    self.max_phrase = max(self.max_phrase, len(key))
        # One-word variants also match by stem, so inflected forms ("геры", "overdosing") need not be listed.
        self.stem_phrases: dict[str, tuple[str, ...]] = {}
        for key, target in self.phrases.items():
            if len(key) == 1:
                self.stem_phrases.setdefault(self.stem(key[0]), target)
        self.vocabulary: set[str] = set(self.stopwords)
        for key, target in self.phrases.items():
            self.vocabulary.update(key)
            self.vocabulary.update(target)
        self._by_initial: dict[str, list[str]] = {}
        self._caches()

    def _caches(self) -> None:
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)
        self._analyse_cached = lru_cache(maxsize=4096)(self._analyse)
        self._tokens_cached = lru_cache(maxsize=4096)(self._analyse_tokens)

    # a built index is cached with pickle (bot/cache.py): its memo caches are left out and start empty
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k not in ("_correct", "_analyse_cached", "_tokens_cached")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._caches()

    def stem(self, token: str) -> str:
        found = self._stems.get(token)
        if found is None:
            if token.isdigit():
                found = token
            elif self._morphology and _morph(self.code).word_is_known(token):
                found = _lemma(_morph(self.code).parse(token), token).replace("ё", "е")
            elif self._morphology:
                found = self._fallback.stemWord(token)  # a word the dictionary lacks: guessing costs 0.3 ms
            elif self._stemmer is not None:
                found = self._stemmer.stemWord(token)
            else:
                found = token
            if found != token and is_negation(found):
                found = token  # a stemmer's guess is never a negation: the Ukrainian reading of "за ней" is no "не"
            if len(self._stems) < 200_000:  # content words plus what people write; bounded all the same
                self._stems[token] = found
        return found

    def lemmas(self) -> dict[str, str]:
        """Every word analysed so far and its stem or lemma, to cache (see `preset`)."""
        return dict(self._stems)

    def preset(self, lemmas: Mapping[str, str]) -> None:
        """Take lemmas worked out before (by the same dictionaries) instead of analysing the words again."""
        for token, found in lemmas.items():
            if isinstance(token, str) and isinstance(found, str):
                self._stems.setdefault(token, found)

    def learn(self, texts: Iterable[str]) -> None:
        """Add the words of content texts to the vocabulary that typos are corrected against."""
        for text in texts:
            self.vocabulary.update(basic_tokens(text))

    def freeze(self) -> None:
        # Typos rarely touch the first letter; bucketing by it keeps corrections honest and fast.
        self._by_initial = {}
        for t in sorted(self.vocabulary):
            if len(t) >= 3 and not t.isdigit():
                self._by_initial.setdefault(t[0], []).append(t)
        self._correct.cache_clear()
        self._analyse_cached.cache_clear()
        self._tokens_cached.cache_clear()

    def _correct_uncached(self, token: str) -> str:
        bucket = self._by_initial.get(token[:1])
        if len(token) < 4 or token in self.vocabulary or token in self.common or token.isdigit() or not bucket:
            return token
        cutoff = 86 if len(token) <= 5 else 80
        best = process.extractOne(token, bucket, scorer=fuzz.ratio, score_cutoff=cutoff)
        return best[0] if best else token

    def _canon(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        n = len(tokens)
        while i < n:
            for size in range(min(self.max_phrase, n - i), 0, -1):
                target = self.phrases.get(tuple(tokens[i : i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                token = tokens[i]
                target = self.stem_phrases.get(self.stem(token))
                if target is not None:
                    out.extend(target)
                else:
                    out.append(token)
                i += 1
        return out

    def _analyse(self, text: str) -> tuple[str, ...]:
        return self.analyse_tokens(tuple(basic_tokens(text)))[1]

    def _unglue(self, tokens: tuple[str, ...]) -> list[str]:
        """Russian and Ukrainian "не" typed onto its verb ("непросыпается", "недихає"): the two words, when the
        whole is no word the content or the language knows and the rest is one of the content's. Typo
        correction would otherwise read "недышит" as "дышит", the opposite."""
        out: list[str] = []
        for t in tokens:
            rest = t[2:]
            # "ни" too, as fast typing has it ("нидышит"), when the rest is a word
            if t[:2] in ("не", "ни") and len(rest) >= 4 and t not in self.vocabulary and t not in self.common and rest in self.vocabulary:
                out.extend(("не", rest))
            else:
                out.append(t)
        return out

    def _analyse_tokens(self, tokens: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        surface = [self._correct(t) for t in (self._unglue(tokens) if self._glued_negation else tokens)]
        canon = self._canon(surface)
        words = tuple(t for t in surface if t not in self.stopwords)
        return words, tuple(self.stem(t) for t in canon if t not in self.stopwords)

    def analyse_tokens(self, tokens: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(corrected words without stop words, canonical stems) of already tokenised text."""
        return self._tokens_cached(tokens)

    def analyse(self, text: str) -> tuple[str, ...]:
        """Canonical stems of the text, in order, stop words removed."""
        return self._analyse_cached(text[:MAX_CHARS])

    def known_share(self, text: str | list[str] | tuple[str, ...]) -> float:
        tokens = basic_tokens(text) if isinstance(text, str) else text
        if not tokens:
            return 0.0
        return sum(t in self.vocabulary for t in tokens) / len(tokens)


# Words that turn a statement round, in our languages: a button's words typed with one of these mean the opposite.
_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "isnt",
        "arent",
        "wasnt",
        "wont",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "never",
        "nobody",
        "nothing",
        "не",
        "нет",
        "ни",
        "ні",
        "немає",
        "нема",
        "никогда",
        "ніколи",
        "никаких",
        "ніяких",
        "никакой",
        "ніякої",
        "никакого",
        "ніякого",
        "ничего",
        "нічого",
        "никто",
        "ніхто",
    ]
)


_NT = frozenset(["is", "are", "was", "were", "wo", "ca", "do", "does", "did", "has", "have", "had", "could", "would", "should", "ai"])
POSTPOSED = frozenset(["нет", "немає", "нема"])  # negations that follow the word they deny


# Case endings of Russian and Ukrainian nouns, longest first. Slang and abbreviations the dictionaries lack
# ("мдма", "гбл", "мефчик") are declined all the same ("з мдмою", «гблом»): see `bare`.
_CASE_ENDINGS = tuple(
    sorted(
        {"ами", "ями", "ою", "ею", "ой", "ей", "ом", "ем", "ам", "ям", "ах", "ях", "ов", "ев", "ів", "їв", "ий", "ій",
         "ый", "а", "я", "у", "ю", "е", "є", "і", "и", "ы", "о"},
        key=len,
        reverse=True,
    )
)  # fmt: skip
BARE_MIN = 3  # letters left once the ending is gone: "мдм", "гбл"; shorter is too ambiguous to read as a name


def bare(stem: str) -> str:
    """The stem without a Russian or Ukrainian case ending, or itself when none leaves `BARE_MIN` letters: "мдмою",
    "мдму", "мдма" -> "мдм". The stemmer's guess for a word its dictionary lacks keeps some of them ("мдмо")."""
    for ending in _CASE_ENDINGS:
        if stem.endswith(ending) and len(stem) - len(ending) >= BARE_MIN:
            return stem[: -len(ending)]
    return stem


def is_negation(token: str) -> bool:
    """Whether the token turns a statement round: also what a stemmer's guess may never become (the Ukrainian
    reading of «за ней» is no «не»)."""
    return token in _NEGATIONS or (token.endswith("nt") and token[:-2] in _NT)


def _lemma(parses: list[Any], token: str) -> str:
    """The most likely parse's dictionary form; among parses as likely, the word itself when it is one: Ukrainian
    "колоти" (to prick, to inject) rather than the imperative of "колотити" (to shake)."""
    top = parses[0].score
    for parse in parses:
        if parse.score < top - 1e-9:
            break
        if parse.normal_form == token:
            return str(parse.normal_form)
    return str(parses[0].normal_form)
