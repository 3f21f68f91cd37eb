"""The deployment files, checked without Docker or systemd: what they run exists and what they set is real.

- deploy/compose.yaml parses as YAML with PostgreSQL, two webhook workers and a reverse proxy; the workers
  share one webhook secret and one pepper, reach PostgreSQL, and run `hrbot run` with real flags.
- The Dockerfile copies files that exist, runs as a non-root user with the content read-only and the data on
  a volume, and every `hrbot` command in it is a real subcommand with real flags.
- The systemd unit starts `hrbot run`, and every variable in these files is one the bot reads.
- docs/operating.md names only real flags.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import build_parser
from bot.settings import OPTIONS, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
TOKEN = "123456789:AAH" + "x7_-" * 8 + "Zq"
# Variables read elsewhere than bot.settings: the token, the pepper, the content, the model cache, libpq's
# password for asyncpg.
OTHER_VARIABLES = {
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BOT_TOKEN_FILE",
    "HRBOT_PEPPER",
    "HRBOT_PEPPER_FILE",
    "HRBOT_CONTENT",
    "HRBOT_CACHE_DIR",
    "PGPASSWORD",
}
KNOWN = {o.env for o in OPTIONS if o.env} | OTHER_VARIABLES


def commands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def check_hrbot(argv: list[str]) -> argparse.Namespace:
    """`argv` after `hrbot`: a real subcommand whose flags parse (argparse exits on an unknown one)."""
    assert argv and argv[0] in commands(), argv
    return build_parser().parse_args(argv)


def hrbot_vars(names: list[str]) -> None:
    unknown = {n for n in names if n.startswith(("HRBOT_", "TELEGRAM_"))} - KNOWN
    assert not unknown, f"variables the bot never reads: {sorted(unknown)}"


def test_compose_has_postgres_two_webhook_workers_and_a_proxy() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "worker1", "worker2", "caddy"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:") and "healthcheck" in services["postgres"]
    workers = [services["worker1"], services["worker2"]]
    for worker in workers:
        args = check_hrbot(worker["command"])
        assert args.command == "run" and args.webhook_url.startswith("https://")
        env = worker["environment"]
        hrbot_vars(list(env))
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:" in env["DATABASE_URL"]
        assert env["TELEGRAM_BOT_TOKEN_FILE"].startswith("/run/secrets/") and "TELEGRAM_BOT_TOKEN" not in env
        assert env["HRBOT_PEPPER_FILE"].startswith("/run/secrets/")
        assert worker["read_only"] is True and worker["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "ports" not in worker  # only the proxy is published
        # the values the bot would get parse (placeholders filled in as docker compose would)
        filled = {k: re.sub(r"\$\{[^}]*\}", "filled-in", str(v)) for k, v in env.items()}
        settings = load_settings(vars(args), {**filled, "TELEGRAM_BOT_TOKEN": TOKEN})
        assert settings.port == 8443 and settings.metrics_port == 9100 and settings.listen == "0.0.0.0"
    # one secret and one pepper for both: each worker registers the same webhook
    assert workers[0]["environment"] == workers[1]["environment"]
    assert "${TELEGRAM_WEBHOOK_SECRET" in workers[0]["environment"]["TELEGRAM_WEBHOOK_SECRET"]
    assert set(compose["secrets"]) == {"telegram_bot_token", "hrbot_pepper"}
    proxy = services["caddy"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert "worker1:8443" in caddyfile and "worker2:8443" in caddyfile and "handle /hrbot" in caddyfile
    assert not re.search(r"^\s*log\b", caddyfile, re.MULTILINE)  # no access log: it would hold addresses


def dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_non_root_with_read_only_content_and_a_data_volume() -> None:
    steps = dockerfile()
    for word, rest in steps:
        if word == "COPY":
            for source in shlex.split(rest)[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    runs = " && ".join(rest for word, rest in steps if word == "RUN")
    assert "chmod -R a-w /app/knowledge /app/dialogues" in runs
    assert any(word == "VOLUME" and "/data" in rest for word, rest in steps)
    env = " ".join(rest for word, rest in steps if word == "ENV")
    hrbot_vars(re.findall(r"\b([A-Z][A-Z0-9_]+)=", env))
    assert "DATABASE_URL=/data/hrbot.db" in env
    # every hrbot command it runs is real: the RUN steps, and ENTRYPOINT + CMD
    run_commands = re.findall(r"(?:^|&&|;|\|)\s*hrbot ([^&|<>;]+)", runs)  # hrbot where a shell command starts
    assert len(run_commands) == 2, run_commands  # validate, and match (which builds the model's cache)
    for command in run_commands:
        check_hrbot(shlex.split(command))
    entry = next(yaml.safe_load(rest) for word, rest in steps if word == "ENTRYPOINT")
    cmd = next(yaml.safe_load(rest) for word, rest in steps if word == "CMD")
    assert entry == ["hrbot"] and check_hrbot(cmd).command == "run"
    health = next(rest for word, rest in steps if word == "HEALTHCHECK")
    assert "/metrics" in health and "HRBOT_METRICS_PORT" in health


def test_systemd_unit_runs_hrbot_run_with_real_settings() -> None:
    unit = (DEPLOY / "hrbot@.service").read_text()
    keys = dict(re.findall(r"^(\w+)=(.*)$", unit, re.MULTILINE))  # the last of each key; enough for these
    start = shlex.split(keys["ExecStart"])
    assert start[0].endswith("/hrbot") and check_hrbot(start[1:]).command == "run"
    assert keys["User"] == "hrbot" and keys["RestartPreventExitStatus"] == "2" and keys["ExecReload"].endswith("-HUP $MAINPID")
    names = re.findall(r"^Environment=(\w+)=", unit, re.MULTILINE)
    hrbot_vars(names)
    assert {"HRBOT_PORT", "HRBOT_METRICS_PORT", "TELEGRAM_BOT_TOKEN_FILE", "HRBOT_PEPPER_FILE"} <= set(names)
    example = (DEPLOY / "hrbot.env.example").read_text()
    hrbot_vars(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert "bot.example.org" in (DEPLOY / "Caddyfile.host").read_text()


def test_the_operating_guide_names_real_flags_and_variables() -> None:
    guide = (ROOT / "docs" / "operating.md").read_text()
    run_flags = {s for a in commands()["run"]._actions for s in a.option_strings}
    for flag in set(re.findall(r"`(--[a-z-]+)", guide)):
        assert flag in run_flags or flag in ("--content",), flag
    hrbot_vars(re.findall(r"\b((?:HRBOT|TELEGRAM)_[A-Z_]+)\b", guide))
    for option in OPTIONS:  # every setting is documented
        assert option.env is None or option.env in guide, option.env


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` on an instance of the template, pointed at this checkout's hrbot."""
    hrbot = Path(sys.executable).with_name("hrbot")
    unit = (DEPLOY / "hrbot@.service").read_text().replace("/opt/hrbot/.venv/bin/hrbot", str(hrbot))
    (tmp_path / "hrbot@.service").write_text(unit)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "hrbot@1.service")], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0 and "hrbot@" not in done.stderr, done.stderr
