"""The project's exceptions.

    HrbotError                  base of everything we raise on purpose
    ├── ContentError            content failed validation; carries every Problem found
    └── ConfigError             bad settings: missing token, bad database URL, bad flag combination

Messages never carry user text, chat ids or tokens.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with the content, located at a file and line."""

    path: str
    line: int
    message: str
    warning: bool = False  # a gap in a partial locale: reported, but the content still loads

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"


class HrbotError(Exception):
    """Base of the project's own errors."""


class ContentError(HrbotError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        first = str(self.problems[0]) if self.problems else "unknown content error"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


class ConfigError(HrbotError):
    """A setting is missing or malformed."""
