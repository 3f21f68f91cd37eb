"""Settings for `hrbot run`, and reading the bot token without ever echoing it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .. import errors

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_API_URL = "https://api.telegram.org"


class ConfigError(errors.ConfigError):
    """A setting is missing or wrong. The message is one line and never holds the token or the secret."""


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
    poll_timeout: float = 10.0  # seconds a getUpdates long poll waits
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    write_timeout: float = 10.0
    pool_timeout: float = 5.0
    send_retries: int = 3  # on network errors and 5xx
    send_deadline: float = 60.0  # seconds an ordinary reply is retried (an emergency reply: until it is sent)
    retry_backoff: float = 0.5  # seconds before the first retry, doubled each time
    max_retry_after: int = 3  # 429s the rate limiter waits out (retry_after) before giving up on a message
    rate_limit: float = 30.0  # messages per second across all chats (0: no overall limit)
    concurrency: int = 16  # updates handled at once (different chats); more only contend for the CPU and the pool
    session_ttl: float = 3600.0  # idle seconds after which a session is deleted
    sweep_interval: float = 60.0  # so a session outlives its ttl by at most a minute
    flush_interval: float = 30.0
    keep_unanswered: bool = False  # note questions the bot could not answer (scrubbed, k-anonymous; see storage)

    def __repr__(self) -> str:  # never show the token or the secret
        return f"Settings(api_url={self.api_url!r}, webhook={self.webhook_url is not None})"

    def __post_init__(self) -> None:
        if not TOKEN_RE.match(self.token):
            raise ConfigError("the bot token is malformed: expected <digits>:<35 letters> as BotFather gives it")
        api = urlsplit(self.api_url)
        if api.scheme not in ("http", "https") or not api.netloc:
            raise ConfigError("--api-url must be an http(s) URL such as https://api.telegram.org")
        if self.webhook_url is not None:
            hook = urlsplit(self.webhook_url)
            if hook.scheme not in ("http", "https") or not hook.netloc:
                raise ConfigError("--webhook must be the public https URL Telegram posts to, e.g. https://example.org/hrbot")
        if self.secret_token is not None and not SECRET_RE.match(self.secret_token):
            raise ConfigError("the webhook secret token must be 1-256 characters of A-Z a-z 0-9 _ -")
        if not 1 <= self.max_connections <= 100:
            raise ConfigError("--max-connections must be between 1 and 100")
        if not 0 <= self.port <= 65535:
            raise ConfigError("--port must be between 0 and 65535")
        if not 60 <= self.session_ttl <= 30 * 86400:
            raise ConfigError("--session-ttl must be between 60 seconds and 30 days")

    @property
    def base_url(self) -> str:
        return self.api_url.rstrip("/") + "/bot"

    @property
    def base_file_url(self) -> str:
        return self.api_url.rstrip("/") + "/file/bot"

    @property
    def url_path(self) -> str:
        return urlsplit(self.webhook_url or "").path or "/"


def read_token(environ: Mapping[str, str]) -> str:
    """The token from TELEGRAM_BOT_TOKEN, else from the file named by TELEGRAM_BOT_TOKEN_FILE."""
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
        raise ConfigError("the bot token is malformed: expected <digits>:<35 letters> as @BotFather gives it")
    return token
