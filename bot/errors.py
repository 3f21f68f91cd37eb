"""The project's exceptions: every error we raise on purpose is defined here, in one tree.

    HrbotError                  base of everything we raise on purpose
    ├── ContentError            content failed validation; carries every Problem found
    ├── YamlFileError           one YAML file is not plain YAML (the loader turns it into a Problem)
    ├── ConfigError             bad settings: missing token, bad value, bad database URL, bad flag combination
    │   └── PepperError         the pepper is missing, unreadable or too short
    ├── StorageError            a reporting query (`hrbot stats`) failed
    └── StartError              `hrbot run` could not start (token rejected, Bot API or database unreachable)

Messages are one line and never carry user text, chat ids, tokens, secrets or passwords.
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


class YamlFileError(HrbotError):
    """A YAML file that is not plain YAML, at a line (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class ConfigError(HrbotError):
    """A setting is missing or malformed. One line; never holds the token, the secret or a password."""


class PepperError(ConfigError):
    """The pepper is missing, unreadable or too short. The message never contains the pepper."""


class StorageError(HrbotError):
    """A reporting query failed; the message names the backend and the error class only."""


class StartError(HrbotError):
    """The bot could not start (token rejected, Bot API unreachable). One line, no token."""


def frames(exc: BaseException, limit: int = 12) -> str:
    """Where an exception came from, for a log line: `bot/engine.py:80:handle > ...`, outermost first, the
    innermost `limit` frames. File, line and function only: never the message or a local (they may hold what
    a person typed). Paths are cut to the package (`bot/...`, `telegram/...`) so no home folder shows."""
    import traceback

    out = []
    for frame in traceback.extract_tb(exc.__traceback__)[-limit:]:
        parts = frame.filename.replace("\\", "/").split("/")
        where = "/".join(parts[-2:])
        for i in range(len(parts) - 1, -1, -1):
            if parts[i] in ("bot", "tests"):
                where = "/".join(parts[i:])
                break
        out.append(f"{where}:{frame.lineno}:{frame.name}")
    return " > ".join(out) or "none"
