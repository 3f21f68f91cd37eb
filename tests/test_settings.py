"""Settings of `hrbot run`: one validated object from flags and environment; a bad value is one line, exit 2.

The bad-value tests run the real `hrbot` in a subprocess (as an operator would) and check the exit code, that
stderr is exactly one line naming the setting, no traceback, and that no secret is echoed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from harness import MINI, ROOT, TOKEN

from bot.cli import build_parser
from bot.errors import ConfigError
from bot.settings import OPTIONS, Settings, load_settings, parse_duration

SECRETISH = "hunter2-secret-value"


def hrbot(*argv: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "HRBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--content", str(MINI), *argv],
        env={**base, "TELEGRAM_BOT_TOKEN": TOKEN, **(env or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


BAD = [
    ({"HRBOT_SESSION_TTL": "abc"}, [], "hrbot run: HRBOT_SESSION_TTL: not a duration (seconds, or e.g. 90s, 15m, 1h, 2d): 'abc'"),
    ({"HRBOT_SESSION_TTL": "10"}, [], "hrbot run: HRBOT_SESSION_TTL: must be between 60 seconds and 30 days (2592000 s), not 10"),
    ({}, ["--session-ttl", "1x"], "hrbot run: --session-ttl: not a duration"),
    ({"HRBOT_LOG_LEVEL": "verbose"}, [], "hrbot run: HRBOT_LOG_LEVEL: not a log level (DEBUG, INFO, WARNING, ERROR): 'verbose'"),
    ({}, ["--log-level", "loud"], "hrbot run: --log-level: not a log level"),
    ({"HRBOT_PORT": "eighty"}, [], "hrbot run: HRBOT_PORT: not a whole number: 'eighty'"),
    ({}, ["--port", "70000"], "hrbot run: --port: must be between 0 and 65535, not 70000"),
    ({"HRBOT_MAX_CONNECTIONS": "0"}, [], "hrbot run: HRBOT_MAX_CONNECTIONS: must be between 1 and 100, not 0"),
    ({"HRBOT_KEEP_UNANSWERED": "maybe"}, [], "hrbot run: HRBOT_KEEP_UNANSWERED: not yes or no"),
    ({"HRBOT_WATCH": "2"}, [], "hrbot run: HRBOT_WATCH: not yes or no"),
    ({"HRBOT_DROP_PENDING_UPDATES": "sure"}, [], "hrbot run: HRBOT_DROP_PENDING_UPDATES: not yes or no"),
    ({"HRBOT_METRICS_PORT": "0"}, [], "hrbot run: HRBOT_METRICS_PORT: must be between 1 and 65535, not 0"),
    ({}, ["--metrics-port", "x"], "hrbot run: --metrics-port: not a whole number: 'x'"),
    ({"HRBOT_WEBHOOK_URL": f"ftp://{SECRETISH}@example.org/"}, [], "hrbot run: HRBOT_WEBHOOK_URL: must be an http(s) URL"),
    ({"TELEGRAM_API_URL": SECRETISH}, [], "hrbot run: TELEGRAM_API_URL: must be an http(s) URL"),
    ({"TELEGRAM_WEBHOOK_SECRET": SECRETISH + " with spaces!"}, [], "hrbot run: TELEGRAM_WEBHOOK_SECRET: must be 1-256 characters"),
    ({}, ["--secret-token", SECRETISH + "/"], "hrbot run: --secret-token: must be 1-256 characters"),
    ({"TELEGRAM_BOT_TOKEN": "123:" + SECRETISH}, [], "hrbot run: TELEGRAM_BOT_TOKEN: the bot token is malformed"),
    ({"TELEGRAM_BOT_TOKEN": ""}, [], "hrbot run: no bot token"),
]


@pytest.mark.parametrize(("env", "argv", "expected"), BAD, ids=[next(iter(e), None) or a[0] for e, a, _ in BAD])
def test_a_bad_value_is_one_line_naming_it_exit_2(env: dict[str, str], argv: list[str], expected: str) -> None:
    done = hrbot("run", *argv, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(expected), done.stderr
    assert "Traceback" not in done.stderr and not done.stdout
    assert SECRETISH not in done.stderr and TOKEN not in done.stderr  # never echo a token, a secret or a URL


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["stats", "--help"]])
def test_help_works_whatever_the_environment_holds(argv: list[str]) -> None:
    done = hrbot(*argv, env={"HRBOT_SESSION_TTL": "abc", "HRBOT_LOG_LEVEL": "verbose", "HRBOT_PORT": "x"})
    assert done.returncode == 0 and "usage: hrbot" in done.stdout and not done.stderr


def test_stats_with_an_empty_database_setting_is_one_line(tmp_path: Path) -> None:
    done = hrbot("stats", env={"DATABASE_URL": str(tmp_path / "none.db")})
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "no database at" in done.stderr


def test_flags_win_over_the_environment_which_wins_over_the_defaults() -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "HRBOT_SESSION_TTL": "2h", "HRBOT_PORT": "9000", "HRBOT_KEEP_UNANSWERED": "yes"}
    args = vars(build_parser().parse_args(["run", "--port", "9001", "--log-level", "debug"]))
    settings = load_settings(args, env)
    assert (settings.port, settings.session_ttl, settings.keep_unanswered, settings.log_level) == (9001, 7200.0, True, "DEBUG")
    assert settings.database == "data/hrbot.db" and settings.metrics_port is None and settings.watch is False
    bare = load_settings(vars(build_parser().parse_args(["run"])), {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert bare == Settings(token=TOKEN)  # nothing given: exactly the dataclass defaults, written once


def test_every_option_is_a_real_flag_with_its_default_from_settings() -> None:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    run = commands.choices["run"]
    flags = {s for action in run._actions for s in action.option_strings}
    defaults = Settings(token=TOKEN)
    for option in OPTIONS:
        assert option.flag in flags
        assert option.default == getattr(defaults, option.field)


def test_settings_made_in_code_are_checked_the_same_way() -> None:
    with pytest.raises(ConfigError, match=r"^--session-ttl: must be between"):
        Settings(token=TOKEN, session_ttl=5)
    with pytest.raises(ConfigError, match=r"^--secret-token: must be") as info:
        Settings(token=TOKEN, secret_token="no spaces allowed")
    assert "no spaces" not in str(info.value)


@pytest.mark.parametrize(("text", "seconds"), [("3600", 3600.0), ("90s", 90.0), ("15m", 900.0), ("1h", 3600.0), ("2D", 172800.0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
