"""Live reload: a broken file keeps the old content; people mid-flow carry on or go back to the menu."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

import pytest

from bot import reload as reload_module
from bot.content import load_content
from bot.engine import Engine, Incoming
from bot.reload import ContentReloader
from bot.session import Session


def test_a_broken_file_keeps_the_last_good_content(mini_tree: Path, caplog: pytest.LogCaptureFixture) -> None:
    engine = Engine(load_content(mini_tree))
    before = engine.bundle
    menu = mini_tree / "dialogues" / "menu.yaml"
    menu.write_text(menu.read_text().replace("goto: main", "goto: nowhere"))
    with caplog.at_level(logging.ERROR, logger="hrbot.reload"):
        assert ContentReloader(engine, mini_tree).reload_now() is False
    assert engine.bundle is before
    assert "content reload refused: dialogues/menu.yaml:" in caplog.text and "'nowhere'" in caplog.text
    assert engine.handle(Incoming(text="menu"), Session())[-1].id == "menu"


def test_reload_under_a_person_in_mid_flow(mini_tree: Path) -> None:
    engine = Engine(load_content(mini_tree))
    reloader = ContentReloader(engine, mini_tree)
    walking, waiting = Session(), Session()
    engine.handle(Incoming(text="combo checker"), walking)
    engine.handle(Incoming(text="coke"), walking)
    engine.handle(Incoming(text="/menu"), waiting)
    engine.handle(Incoming(button="s:menu:emergencies"), waiting)
    assert (walking.step, waiting.step) == ("second", "emergencies")

    # New content: the combo flow's text changes, the menu loses its "emergencies" step.
    combo = mini_tree / "dialogues" / "combo-check.yaml"
    combo.write_text(combo.read_text().replace("And the second?", "And the second one, please?"))
    menu = mini_tree / "dialogues" / "menu.yaml"
    text = menu.read_text()
    text = text.replace("      - label: {en: Emergency, ru: Срочно}\n        goto: emergencies\n", "")
    text = text[: text.index("  emergencies:")] + text[text.index("title:") :]  # the title comes last
    menu.write_text(text)
    assert reloader.reload_now() is True

    reply = engine.handle(Incoming(text="beer"), walking)[-1]  # carries on where they were
    assert reply.text.startswith("Cocaine + Alcohol") and walking.step == "result"
    reply = engine.handle(Incoming(button="s:menu:emergencies"), waiting)[-1]  # their step is gone
    assert reply.id == "menu" and reply.text.startswith("The content was just updated")
    assert engine.handle(Incoming(text="combo checker"), Session())[-1].id == "combo-check"


async def test_watch_reloads_when_a_file_changes(mini_tree: Path) -> None:
    engine = Engine(load_content(mini_tree))
    reloader = ContentReloader(engine, mini_tree)
    before = engine.bundle
    task = asyncio.create_task(reloader.watch(interval=0.02, settle=0.02))
    try:
        entry = mini_tree / "knowledge" / "en" / "entries" / "naloxone.yaml"
        entry.write_text(entry.read_text().replace("Carry it.", "Carry it, always."))
        async with asyncio.timeout(20):  # a generous bound: the reload builds the index, on a shared machine
            while engine.bundle is before:
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
    assert engine.bundle is not before
    reply = engine.handle(Incoming(button="e:naloxone"), Session())[-1]
    assert "Carry it, always." in reply.text


def unblock(fifo: Path) -> None:
    """If a reader is stuck opening the FIFO (the old bug), let it through so the test process can still exit."""
    with contextlib.suppress(OSError):  # ENXIO: no reader waiting, nothing hung
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


async def test_a_fifo_in_the_content_is_refused_not_waited_on(mini_tree: Path, caplog: pytest.LogCaptureFixture) -> None:
    engine = Engine(load_content(mini_tree))
    before = engine.bundle
    fifo = mini_tree / "knowledge/en/entries/naloxone.yaml"
    fifo.unlink()
    os.mkfifo(fifo)
    try:
        with caplog.at_level(logging.ERROR, logger="hrbot.reload"):
            assert await asyncio.wait_for(ContentReloader(engine, mini_tree).reload(), timeout=30) is False
    finally:
        unblock(fifo)
    assert engine.bundle is before
    assert "content reload refused: knowledge/en/entries/naloxone.yaml:1: a FIFO (named pipe), not a regular file" in caplog.text


def test_a_huge_integer_refuses_the_reload_with_its_line(mini_tree: Path, caplog: pytest.LogCaptureFixture) -> None:
    engine = Engine(load_content(mini_tree))
    entry = mini_tree / "knowledge/en/entries/alcohol.yaml"
    line = entry.read_text().splitlines().index("keywords: [alcohol, booze]") + 1
    entry.write_text(entry.read_text().replace("keywords: [alcohol, booze]", f"keywords: [alcohol, {'9' * 5000}]"))
    with caplog.at_level(logging.ERROR, logger="hrbot.reload"):
        assert ContentReloader(engine, mini_tree).reload_now() is False
    assert f"content reload refused: knowledge/en/entries/alcohol.yaml:{line}: a number is too long" in caplog.text
    assert "still serving the previous content" in caplog.text


def test_symlink_to_dev_zero_refuses_the_reload(mini_tree: Path, caplog: pytest.LogCaptureFixture) -> None:
    engine = Engine(load_content(mini_tree))
    entry = mini_tree / "knowledge/ru/entries/alcohol.yaml"
    entry.unlink()
    entry.symlink_to("/dev/zero")
    with caplog.at_level(logging.ERROR, logger="hrbot.reload"):
        assert ContentReloader(engine, mini_tree).reload_now() is False
    assert "content reload refused: knowledge/ru/entries/alcohol.yaml:1: symlink to a file outside the content folder" in caplog.text


def test_an_unexpected_failure_is_logged_as_refused_too(
    mini_tree: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine(load_content(mini_tree))
    before = engine.bundle

    def broken(_content: object) -> None:
        raise RuntimeError("index build failed")

    monkeypatch.setattr(reload_module, "Bundle", broken)  # a fault past validation, e.g. the index build
    with caplog.at_level(logging.ERROR, logger="hrbot.reload"):
        assert ContentReloader(engine, mini_tree).reload_now() is False
    assert engine.bundle is before
    assert "content reload refused: RuntimeError while loading; still serving the previous content" in caplog.text
