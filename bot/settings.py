"""The settings of `hrbot run`: one validated object from the command line, the environment and defaults.

Every setting is written once, in `OPTIONS` (flag, environment variable, parser, help) and `Settings` (type and
default). The command line wins over the environment, the environment over the default. A bad value is one
`ConfigError` line naming where it came from (`HRBOT_SESSION_TTL: not a duration: 'abc'`); the value is
quoted only for settings that cannot hold a secret (never the token, the webhook secret or a database URL).

Cheap to import (no python-telegram-bot): `hrbot --help` builds its flags from here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .storage import DEFAULT_DATABASE

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_API_URL = "https://api.telegram.org"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


@dataclass(frozen=True, slots=True)
class Settings:
    token: str
    api_url: str = DEFAULT_API_URL  # root of the Bot API server; `/bot<token>/<method>` is appended
    webhook_url: str | None = None  # None: long polling
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None
    max_connections: int = 40
    drop_pending_updates: bool = False
    database: str = DEFAULT_DATABASE  # SQLite path or postgresql:// URL
    log_level: str = "INFO"
    watch: bool = False  # reload the content when a file changes
    metrics_port: int | None = None  # serve Prometheus metrics on this port (None: off)
    metrics_listen: str = "127.0.0.1"
    poll_timeout: float = 10.0  # seconds a getUpdates long poll waits
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    write_timeout: float = 10.0
    pool_timeout: float = 5.0
    send_deadline: float = 60.0  # seconds an ordinary reply is retried (an emergency reply: until it is sent)
    retry_backoff: float = 0.5  # seconds before the first retry, doubled each time
    rate_limit: float = 30.0  # messages per second across all chats (0: no overall limit)
    concurrency: int = 16  # updates handled at once (different chats); more only contend for the CPU and the pool
    session_ttl: float = 3600.0  # idle seconds after which a session is deleted
    sweep_interval: float = 60.0  # so a session outlives its ttl by at most a minute
    flush_interval: float = 30.0
    keep_unanswered: bool = False  # note questions the bot could not answer (scrubbed, k-anonymous; see storage)

    def __repr__(self) -> str:  # never show the token, the secret or the database URL
        return f"Settings(api_url={self.api_url!r}, webhook={self.webhook_url is not None})"

    def __post_init__(self) -> None:
        if not TOKEN_RE.match(self.token):
            raise ConfigError("the bot token is malformed: expected <digits>:<35 letters> as @BotFather gives it")
        for option in OPTIONS:  # the same checks whether the values came from `load_settings` or from code
            value = getattr(self, option.field)
            problem = option.check(value) if value is not None else None
            if problem:
                raise ConfigError(f"{option.flag}: {problem}")

    @property
    def base_url(self) -> str:
        return self.api_url.rstrip("/") + "/bot"

    @property
    def base_file_url(self) -> str:
        return self.api_url.rstrip("/") + "/file/bot"

    @property
    def url_path(self) -> str:
        return urlsplit(self.webhook_url or "").path or "/"


# --- parsers (text -> value; ValueError with the reason) and checks (value -> problem or None) ------------


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def parse_duration(text: str) -> float:
    """Seconds: `3600`, `90s`, `15m`, `1h`, `2d`."""
    found = _DURATION.match(text.strip())
    if not found:
        raise ValueError(f"not a duration (seconds, or e.g. 90s, 15m, 1h, 2d): {_shown(text)}")
    return float(found.group(1)) * _UNITS[(found.group(2) or "s").lower()]


def parse_int(text: str) -> int:
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise ValueError(f"not a whole number: {_shown(text)}") from None


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f"not yes or no (1/0, true/false, yes/no, on/off): {_shown(text)}")


def parse_level(text: str) -> str:
    value = text.strip().upper()
    if value not in LOG_LEVELS:
        raise ValueError(f"not a log level ({', '.join(LOG_LEVELS)}): {_shown(text)}")
    return value


def parse_text(text: str) -> str:
    if not text.strip():
        raise ValueError("is empty")
    return text.strip()


def parse_secret(text: str) -> str:
    """The webhook secret: checked, never quoted."""
    if not SECRET_RE.match(text):
        raise ValueError("must be 1-256 characters of A-Z a-z 0-9 _ - (the value is not shown)")
    return text


def _between(low: float, high: float, span: str = "") -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if low <= value <= high:
            return None
        return f"must be between {span or f'{low:g} and {high:g}'}, not {value:g}"

    return check


def _http_url(example: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        url = urlsplit(str(value))
        if url.scheme in ("http", "https") and url.netloc:
            return None
        return f"must be an http(s) URL such as {example}"  # not quoted: a URL can hold a password

    return check


def _secret(value: Any) -> str | None:
    try:
        parse_secret(str(value))
    except ValueError as exc:
        return str(exc)
    return None


def _ok(_value: Any) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Option:
    field: str  # the Settings attribute
    flag: str
    env: str | None
    help: str
    parse: Callable[[str], Any] = parse_text
    check: Callable[[Any], str | None] = _ok
    metavar: str | None = None
    switch: bool = False  # a flag without a value (its environment variable is yes/no)

    @property
    def default(self) -> Any:
        return _DEFAULTS[self.field]

    def describe(self) -> str:
        where = f"env {self.env}; " if self.env else ""
        default = self.default
        if default is None or isinstance(default, bool):
            shown = "on" if default else "off"
        else:
            shown = f"{default:g}" if isinstance(default, float) else str(default)
        return f"{self.help} ({where}default {shown})"

    def value(self, raw: str, source: str) -> Any:
        """Parse and check one value; a ConfigError naming `source` (the flag or the variable) if it is bad."""
        try:
            value = self.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}") from None
        problem = self.check(value)
        if problem:
            raise ConfigError(f"{source}: {problem}")
        return value


_DEFAULTS: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(Settings) if f.default is not dataclasses.MISSING}

OPTIONS: tuple[Option, ...] = (
    Option(
        "webhook_url",
        "--webhook",
        "HRBOT_WEBHOOK_URL",
        "public https URL Telegram posts updates to (webhook mode; else long polling)",
        check=_http_url("https://example.org/hrbot"),
        metavar="URL",
    ),
    Option("listen", "--listen", "HRBOT_LISTEN", "address the webhook server binds", metavar="ADDRESS"),
    Option("port", "--port", "HRBOT_PORT", "port the webhook server binds", parse_int, _between(0, 65535), metavar="PORT"),
    Option(
        "secret_token",
        "--secret-token",
        "TELEGRAM_WEBHOOK_SECRET",
        "secret Telegram sends with each webhook call (unset: derived from the pepper, so every worker agrees)",
        parse_secret,
        _secret,
        metavar="SECRET",
    ),
    Option(
        "max_connections",
        "--max-connections",
        "HRBOT_MAX_CONNECTIONS",
        "webhook connections Telegram may open (1-100)",
        parse_int,
        _between(1, 100),
        metavar="N",
    ),
    Option(
        "drop_pending_updates",
        "--drop-pending-updates",
        "HRBOT_DROP_PENDING_UPDATES",
        "discard updates that arrived while the bot was down",
        parse_bool,
        switch=True,
    ),
    Option(
        "session_ttl",
        "--session-ttl",
        "HRBOT_SESSION_TTL",
        "delete a session after this long without a message (seconds, or 15m, 1h)",
        parse_duration,
        _between(60, 30 * 86400, "60 seconds and 30 days (2592000 s)"),
        metavar="DURATION",
    ),
    Option("watch", "--watch", "HRBOT_WATCH", "reload the content when a file changes (SIGHUP always reloads)", parse_bool, switch=True),
    Option(
        "keep_unanswered",
        "--keep-unanswered",
        "HRBOT_KEEP_UNANSWERED",
        "keep questions the bot could not answer, scrubbed, once several people asked them",
        parse_bool,
        switch=True,
    ),
    Option(
        "api_url",
        "--api-url",
        "TELEGRAM_API_URL",
        "root of the Bot API server; /bot<token>/<method> is appended",
        check=_http_url(DEFAULT_API_URL),
        metavar="URL",
    ),
    Option("database", "--database", "DATABASE_URL", "SQLite path or postgresql:// URL", metavar="PATH|URL"),
    Option("log_level", "--log-level", "HRBOT_LOG_LEVEL", "log level: " + ", ".join(LOG_LEVELS), parse_level, metavar="LEVEL"),
    Option(
        "metrics_port",
        "--metrics-port",
        "HRBOT_METRICS_PORT",
        "serve Prometheus metrics on this port (/metrics)",
        parse_int,
        _between(1, 65535),
        metavar="PORT",
    ),
    Option("metrics_listen", "--metrics-listen", "HRBOT_METRICS_LISTEN", "address the metrics server binds", metavar="ADDRESS"),
)
BY_FIELD: Mapping[str, Option] = {o.field: o for o in OPTIONS}


def resolve(field: str, given: object, environ: Mapping[str, str]) -> Any:
    """One setting: the flag's value if given, else its environment variable, else the default."""
    option = BY_FIELD[field]
    if given is not None and given is not False:
        return True if option.switch else option.value(str(given), option.flag)
    raw = environ.get(option.env) if option.env else None
    if raw is not None and (raw.strip() or option.switch):
        return option.value(raw, option.env or option.flag)
    return option.default


def load_settings(given: Mapping[str, object], environ: Mapping[str, str], **fixed: Any) -> Settings:
    """The validated settings of `hrbot run` from parsed flags (`vars(args)`; None: not given) and the environment.
    `fixed` overrides a knob that has no flag (tests). Raises ConfigError (one line) on the first bad value."""
    token = read_token(environ)
    values = {o.field: resolve(o.field, given.get(o.field), environ) for o in OPTIONS}
    return Settings(token=token, **{**values, **fixed})


def read_token(environ: Mapping[str, str]) -> str:
    """The token from TELEGRAM_BOT_TOKEN, else from the file named by TELEGRAM_BOT_TOKEN_FILE. Never echoed."""
    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    path = environ.get("TELEGRAM_BOT_TOKEN_FILE", "").strip()
    if not token and path:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError(f"cannot read TELEGRAM_BOT_TOKEN_FILE: {reason}") from None
    if not token:
        raise ConfigError("no bot token: set TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_TOKEN_FILE); @BotFather gives you one")
    if not TOKEN_RE.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN: the bot token is malformed: expected <digits>:<35 letters> as @BotFather gives it")
    return token
