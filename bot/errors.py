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
    locale: str = ""  # the locale the problem is in, when it is in one
    follows: str = ""  # a file whose own error (it did not load) causes this one

    def __str__(self) -> str:
        after = f" (follows from the error in {self.follows} above)" if self.follows else ""
        return f"{self.path}:{self.line}: {'warning: ' if self.warning else ''}{self.message}{after}"


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
