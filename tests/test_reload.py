"""Live reload: a broken file keeps the old content; people mid-flow carry on or go back to the menu."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

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
    text = text[: text.index("  emergencies:")]
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
