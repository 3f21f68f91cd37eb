"""The Telegram adapter on python-telegram-bot v22: translates updates into engine calls and replies back.

`TelegramBot` builds the PTB `Application` (rate limiter, retries, per-chat ordering); `serve` runs it until
an event is set; `run` does so until SIGINT/SIGTERM. See `adapter`, `transport`, `runner`, `logs`.
"""

import os

# Opt in to python-telegram-bot's coming behaviour (durations as timedelta): without it every 429 it parses
# emits a deprecation warning. The adapter never reads those attributes itself.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from .adapter import TelegramBot
from .logs import PrivacyFilter, setup_logging
from .runner import StartError, run, serve
from .settings import ConfigError, Settings, read_token

__all__ = ["ConfigError", "PrivacyFilter", "Settings", "StartError", "TelegramBot", "read_token", "run", "serve", "setup_logging"]
