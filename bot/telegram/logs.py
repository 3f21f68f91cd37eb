"""Structured logs that carry nothing identifying.

One `key=value` line per record. Our own records (`hrbot.*`) are written with safe values only (kinds,
locales, counts, exception type names). Records of libraries (python-telegram-bot, tornado, httpx) can carry
update contents or URLs with the token in their arguments, so `PrivacyFilter`:

- redacts the bot token from every message;
- drops the arguments of library records unless they are plain numbers (the template stays);
- replaces exception info by the exception's type name and its frames (file:line:function), without the
  message or any local.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import TextIO

from ..errors import frames

OWN = "hrbot"
NOISY = ("httpx", "httpcore", "telegram", "tornado", "aiohttp", "asyncio")
_SAFE_ARG = (int, float, bool, type(None))
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+-]+$")


class PrivacyFilter(logging.Filter):
    """Redacts secrets (the bot token) and strips whatever a library record could carry of an update."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: list[str] = []
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, secret: str) -> None:
        if secret and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)  # the longest first, so a part never shadows the whole

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name == OWN or record.name.startswith(OWN + ".")
        if own or not record.args or all(isinstance(a, _SAFE_ARG) for a in _args(record.args)):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = str(record.msg)
        else:
            message = f"{record.msg} [arguments withheld]"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info:
            exc = record.exc_info[1]
            if exc is not None:  # the type and where it was raised; never its message, never a local
                known = record.__dict__.get("fields") or {}
                record.__dict__["fields"] = {**known, "error": type(exc).__name__, "frames": frames(exc)}
            record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def _args(args: object) -> tuple[object, ...]:
    if isinstance(args, dict):
        return tuple(args.values())
    return args if isinstance(args, tuple) else (args,)


def _value(value: object) -> str:
    text = str(value)
    if _BARE.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class KeyValueFormatter(logging.Formatter):
    """`ts=... level=INFO logger=hrbot.telegram msg="..." key=value ...` (fields from `extra={"fields": {...}}`)."""

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        parts = [f"ts={ts}", f"level={record.levelname}", f"logger={record.name}", f"msg={_value(record.getMessage())}"]
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            parts.extend(f"{k}={_value(v)}" for k, v in fields.items())
        if record.exc_info:  # only when no PrivacyFilter ran (it removes exc_info)
            parts.append(f"error={record.exc_info[0].__name__ if record.exc_info[0] else 'unknown'}")
        return " ".join(parts)


def setup_logging(level: str | int = "INFO", secrets: Iterable[str] = (), stream: TextIO | None = None) -> PrivacyFilter:
    """Configure the root logger: one key=value handler with a PrivacyFilter; libraries at WARNING."""
    privacy = PrivacyFilter(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(privacy)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)  # httpx logs every URL (it holds the token) at INFO
    logging.captureWarnings(True)
    return privacy


def install_filter(privacy: PrivacyFilter) -> None:
    """Add the filter to every root handler (for hosts, such as tests, that configure handlers themselves)."""
    for handler in logging.getLogger().handlers:
        if privacy not in handler.filters:
            handler.addFilter(privacy)


def fields(**values: object) -> dict[str, dict[str, object]]:
    """`log.info("msg", extra=fields(kind="answer"))`."""
    return {"fields": values}
