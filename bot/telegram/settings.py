"""The settings of `hrbot run` live in `bot.settings` (cheap to import for `--help`); re-exported here for the adapter."""

from __future__ import annotations

from ..errors import ConfigError
from ..settings import DEFAULT_API_URL, SECRET_RE, TOKEN_RE, Settings, load_settings, read_token

__all__ = ["DEFAULT_API_URL", "SECRET_RE", "TOKEN_RE", "ConfigError", "Settings", "load_settings", "read_token"]
