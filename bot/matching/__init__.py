"""Matching: normalisation, synonyms and slang, and the prebuilt index that routes free text."""

from .index import Decision, MatchIndex
from .normalise import Analyzer, basic_tokens

__all__ = ["Analyzer", "Decision", "MatchIndex", "basic_tokens"]
