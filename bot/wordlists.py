"""Common words of a language (wordfreq's frequency lists), for the matcher and for unanswered questions.

The matcher corrects an unknown word to the closest word of the content ("overdosin" -> "overdosing"); a
common word of the language is not a typo and is left alone ("confusing" is not "convulsing"). Unanswered
questions are kept only when made of content words and common words (no names or handles).
"""

from __future__ import annotations

import functools
import logging

log = logging.getLogger(__name__)


@functools.cache
def common_words(lang: str, zipf: float) -> frozenset[str]:
    """The words of `lang` with a Zipf frequency of at least `zipf` (3.0: once per million words), lower case.
    Empty when wordfreq is not installed."""
    return frozenset(frequencies(lang, zipf))


@functools.cache
def frequencies(lang: str, zipf: float) -> dict[str, int]:
    """The words of `lang` with a Zipf frequency of at least `zipf`, each with ten times its Zipf frequency (an
    int). wordfreq's full list (tens of MB) is read once and let go. Empty when wordfreq is not installed or has
    no such language."""
    try:
        import wordfreq
    except ImportError:
        log.warning("wordfreq is not installed: no frequency list for %s", lang)
        return {}
    out: dict[str, int] = {}
    buckets = round((9 - zipf) * 100)
    try:
        for i, bucket in enumerate(wordfreq.get_frequency_list(lang)[: buckets + 1]):
            for word in bucket:
                out.setdefault(word, round(90 - i / 10))
    except (LookupError, ValueError):
        return {}
    finally:
        wordfreq.get_frequency_list.cache_clear()
        wordfreq.get_frequency_dict.cache_clear()
    return out


def version() -> str:
    """wordfreq's version ("" without it): part of the matcher's cache key, since its lists shape the index."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("wordfreq")
    except PackageNotFoundError:
        return ""
