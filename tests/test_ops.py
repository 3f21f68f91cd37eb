"""Operating the bot: a failed turn still answers, Prometheus metrics from a real `hrbot run`, the error tree.

- An exception inside the engine (a content method made to raise, through the real adapter and
  python-telegram-bot stack) gets the fixed reply with the emergency number and the menu button, and one log
  line with the exception's type and frames (file:line:function), without its message or what was typed.
- `hrbot run --metrics-port N` against the fake Bot API serves /metrics: updates, replies by kind,
  emergencies by flow, latency, send retries, reloads; every label value is from a fixed set.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fakebotapi import FakeBotAPI, command, message
from harness import MINI, ROOT, TOKEN, WAIT, hrbot_env, running
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot import errors, metrics
from bot.content import Content
from bot.content.buttons import CB_MENU
from bot.engine import Engine, Incoming
from bot.session import Session
from bot.storage.base import Health
from bot.telegram import setup_logging
from bot.telegram.logs import NOISY

TYPED = "tangerinewalrus naloxone"
CHAT = 4_200_000_421  # ten digits: no timestamp or duration in the log contains them by chance


@pytest.fixture
def production_logs() -> Iterator[io.StringIO]:
    """The logging `hrbot run` sets up (PrivacyFilter, key=value lines), into a buffer."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in NOISY})
    out = io.StringIO()
    setup_logging("INFO", stream=out)
    try:
        yield out
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
        logging.captureWarnings(False)


def broken_entry(self: Content, locale: str, entry_id: str) -> None:
    raise KeyError(f"{entry_id} {TYPED}")  # the message holds what was typed: it must not reach the log


async def test_an_engine_failure_gets_the_fixed_reply_and_logs_only_the_frames(
    api: FakeBotAPI, mini_content: Content, monkeypatch: pytest.MonkeyPatch, production_logs: io.StringIO
) -> None:
    engine = Engine(mini_content)
    async with running(api, engine):
        monkeypatch.setattr(Content, "entry", broken_entry)
        api.push(message(TYPED, chat_id=CHAT))
        [failed] = await api.wait_sent(1, CHAT)
        monkeypatch.undo()  # the next message is answered as usual: the session was not left half done
        api.push(message("he is not breathing", chat_id=CHAT))
        sent = await api.wait_sent(2, CHAT)
    number = mini_content.emergency_numbers("en", None)
    assert number in failed.text and "something went wrong" in failed.text
    assert [data for _, data in failed.buttons] == [CB_MENU]
    assert sent[1].text.startswith("1. Call 112 or 911 now.")
    log = production_logs.getvalue()
    [line] = [x for x in log.splitlines() if 'msg="turn failed"' in x]
    assert "level=ERROR logger=hrbot.engine" in line and "error=KeyError" in line
    frames = re.search(r'frames="([^"]+)"', line)
    assert frames is not None, line
    assert re.fullmatch(r"[\w./<>-]+:\d+:[\w<>]+( > [\w./<>-]+:\d+:[\w<>]+)*", frames.group(1)), frames.group(1)
    assert "bot/engine/core.py:" in frames.group(1) and frames.group(1).endswith(":broken_entry")
    assert "tangerinewalrus" not in log and "naloxone" not in log and str(CHAT) not in log and "/home/" not in log


def test_the_failure_reply_speaks_the_persons_language_and_country(mini_engine: Engine) -> None:
    [ru] = mini_engine.failure_replies("ru", None)
    assert ru.locale == "ru" and "звони" in ru.text and ru.buttons[0].data == CB_MENU
    [gb] = mini_engine.failure_replies("xx", "GB")
    assert gb.locale == mini_engine.content.default_locale and "999 or 112" in gb.text


def test_a_failed_notice_is_answered_too(mini_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Content, "emergency_numbers", lambda *_: (_ for _ in ()).throw(RuntimeError("x")))
    reply = mini_engine.notice("not_text", Session())
    assert reply.kind == "error" and "112" in reply.text  # even the number falls back to the built-in one
    assert mini_engine.handle(Incoming(text="/help"), Session())[0].kind == "error"


def test_frames_carry_no_message_and_no_local() -> None:
    def inner(secret: str) -> None:
        raise ValueError(secret)

    try:
        inner("tangerinewalrus")
    except ValueError as exc:
        where = errors.frames(exc)
    assert where.startswith("tests/test_ops.py:") and where.endswith(":inner") and "tangerine" not in where


def test_every_project_error_is_in_the_one_tree() -> None:
    from bot.privacy import PepperError
    from bot.storage import StorageError
    from bot.telegram import ConfigError, StartError
    from bot.yamlsafe import YamlFileError

    for cls in (PepperError, StorageError, ConfigError, StartError, YamlFileError):
        assert issubclass(cls, errors.HrbotError) and cls.__module__ == "bot.errors", cls
        assert cls.__name__ in (errors.__doc__ or "")
    assert ConfigError is errors.ConfigError  # one class of that name


# --- metrics -------------------------------------------------------------------------------------------------

ALLOWED = {
    "kind": metrics.UPDATE_KINDS | metrics.REPLY_KINDS | {"other"},
    "method": metrics.METHODS | {"other"},
    "backend": metrics.BACKENDS | {"other"},
    "operation": set(metrics.OPERATIONS.values()) | {"other"},
    "result": metrics.RESULTS,
    "flow": {"emergency-overdose", "emergency-seizure", "other"},
    "le": None,  # histogram buckets
}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("hrbot_"):
                out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_hrbot_run_serves_prometheus_metrics(api: FakeBotAPI, tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "bot.cli", "--content", str(MINI), "run", "--database", str(tmp_path / "hrbot.db")]
    argv += ["--metrics-port", str(port)]
    proc = await asyncio.create_subprocess_exec(*argv, env=hrbot_env(api), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines: list[str] = []

    async def logged(needle: str) -> None:
        assert proc.stderr is not None
        async with asyncio.timeout(20):
            while not any(needle in line for line in lines):
                line = await proc.stderr.readline()
                if not line:
                    raise AssertionError(f"hrbot run ended before logging {needle!r}:\n" + "".join(lines))
                lines.append(line.decode())

    try:
        await logged('msg="bot started"')
        api.fail_next("sendMessage", 500)  # retried once
        api.push(message("he is not breathing", chat_id=CHAT))
        api.push(command("/help", chat_id=CHAT))
        api.push(command("/start naloxone__" + TYPED.replace(" ", "-"), chat_id=CHAT))  # an undeclared campaign
        api.push(message(TYPED, chat_id=CHAT + 1))
        await api.wait_sent(3, CHAT)
        await api.wait_sent(1, CHAT + 1)
        proc.send_signal(signal.SIGHUP)
        await logged("content reloaded")
        async with httpx.AsyncClient(timeout=WAIT) as client:
            scraped = await client.get(f"http://127.0.0.1:{port}/metrics")
        proc.send_signal(signal.SIGTERM)
        await logged('msg="bot stopped"')
        assert await asyncio.wait_for(proc.wait(), WAIT * 2) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert scraped.status_code == 200
    found = samples(scraped.text)
    assert found[("hrbot_updates_total", (("kind", "message"),))] == 4
    assert found[("hrbot_update_seconds_count", (("kind", "message"),))] == 4
    assert found[("hrbot_replies_total", (("kind", "emergency"),))] == 1
    assert found[("hrbot_emergencies_total", (("flow", "emergency-overdose"),))] == 1
    assert found[("hrbot_replies_total", (("kind", "command"),))] >= 1
    assert found[("hrbot_send_retries_total", (("method", "sendMessage"),))] == 1
    assert found[("hrbot_reloads_total", (("result", "ok"),))] == 1
    for (name, labels), _ in found.items():  # nothing typed, no id, no campaign: only values from fixed sets
        for key, value in labels:
            allowed = ALLOWED[key]
            assert allowed is None or value in allowed, (name, key, value)
    assert "tangerinewalrus" not in scraped.text and str(CHAT) not in scraped.text


def test_store_faults_and_unknown_labels_are_counted_without_growing_a_label() -> None:
    def value(*labels: str) -> float:
        return REGISTRY.get_sample_value("hrbot_store_faults_total", dict(zip(("backend", "operation"), labels, strict=True))) or 0.0

    before, other = value("sqlite", "save_session"), value("other", "other")
    Health("sqlite", 0).failed("saving a session", OSError(28, "No space left on device"))
    metrics.store_fault("typed text", "anything")
    assert value("sqlite", "save_session") == before + 1 and value("other", "other") == other + 1


def test_metrics_serve_and_stop() -> None:
    port = free_port()
    stop = metrics.serve(port)
    try:
        metrics.reload(False)
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=WAIT).text
    finally:
        stop()
    assert 'hrbot_reloads_total{result="refused"}' in body
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=WAIT)


def test_a_metrics_port_that_is_taken_is_one_line_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = [sys.executable, "-m", "bot.cli", "--content", str(MINI), "run", "--database", str(tmp_path / "hrbot.db")]
        done = subprocess.run(
            [*argv, "--metrics-port", str(port)], env=hrbot_env_for_nothing(), cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"hrbot run: --metrics-port: cannot listen on 127.0.0.1:{port}: ")


def hrbot_env_for_nothing() -> dict[str, str]:
    """An environment with a well-formed token and no Bot API: the run must end before it is needed."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "HRBOT_"))}
    return {**base, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9"}
