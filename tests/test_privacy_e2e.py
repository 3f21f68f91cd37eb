"""Privacy end to end: real Telegram stack, real SQLite file. Known ids, names and texts go in; none comes out
in any file of the database (including -wal and -shm), any log line or any exception text."""

from __future__ import annotations

import io
import logging
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI, callback, message
from harness import PEPPER, TOKEN, running

from bot.engine import Engine
from bot.storage.sqlite import SQLiteStore
from bot.telegram.logs import NOISY, setup_logging

PEOPLE = [
    # chat id, user id, username, first name, last name
    (918273645, 918273645, "zebra_unicorn_77", "Anastasiya", "Quixotewright"),
    (827364519, 827364519, "marmalade_otter", "Bartholomew", "Xylophonic"),
    (736451928, 736451928, "velvet_kraken_9", "Cordelia", "Wimbleborough"),
]
TEXTS = [
    "not breathing, call +44 7700 900123 purplehippo",
    "coke and a few beers tangerinewalrus",
    "fluorescentmongoose zorblax question about nothing we know",
    "fluorescentmongoose zorblax question about nothing we know",
    "combo checker",
    "/forget",
]


def update(text: str, person: tuple[int, int, str, str, str]) -> dict:
    chat_id, user_id, username, first, last = person
    sender = {"id": user_id, "is_bot": False, "first_name": first, "last_name": last, "username": username, "language_code": "en"}
    chat = {"id": chat_id, "type": "private", "first_name": first, "last_name": last, "username": username}
    return message(text, chat_id=chat_id, **{"from": sender, "chat": chat})


def secrets_of(person: tuple[int, int, str, str, str]) -> list[bytes]:
    chat_id, user_id, username, first, last = person
    out = [str(chat_id).encode(), username.encode(), first.encode(), last.encode()]
    for number in {chat_id, user_id}:
        out += [struct.pack("<q", number), struct.pack(">q", number)]
    return out


@pytest.fixture
def production_logs() -> Iterator[io.StringIO]:
    """The logging `hrbot run` sets up, with every library turned up to DEBUG (the worst an operator can do)."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in NOISY})
    out = io.StringIO()
    setup_logging("DEBUG", secrets=[TOKEN], stream=out)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG)
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


async def test_nothing_identifying_reaches_the_database_or_the_logs(
    api: FakeBotAPI, mini_engine: Engine, tmp_path: Path, production_logs: io.StringIO
) -> None:
    db = tmp_path / "data" / "hrbot.db"
    db.parent.mkdir()
    store = SQLiteStore(db, pepper=PEPPER, unanswered_min_people=2)
    async with running(api, mini_engine, store=store, keep_unanswered=True):
        for person in PEOPLE:
            for n, text in enumerate(TEXTS[:-1]):
                api.push(update(text, person))
                await api.wait_sent(n + 1, person[0])
            api.push(callback("menu", chat_id=person[0]))
            await api.wait_sent(len(TEXTS), person[0])
        api.push(update("/forget", PEOPLE[0]))
        await api.wait_sent(len(TEXTS) + 1, PEOPLE[0][0])
    files = sorted(db.parent.iterdir())
    assert any(f.name == "hrbot.db" for f in files)
    blob = b"".join(f.read_bytes() for f in files if f.is_file())
    assert b"fluorescentmongoose zorblax" in blob  # unanswered collection was on and did keep the scrubbed text
    forbidden = [b"purplehippo", b"tangerinewalrus", b"7700", b"900123"]
    for person in PEOPLE:
        forbidden += secrets_of(person)
    for needle in forbidden:
        assert needle not in blob, f"{needle!r} found in the database files"
    log = production_logs.getvalue()
    assert "getUpdates" in log or "sendMessage" in log or "bot started" in log  # the logs did capture the run
    for needle in forbidden:
        text = needle.decode("latin-1")
        if text.isprintable() and len(text) > 3:
            assert text not in log, f"{text!r} found in the log"
    assert "not breathing" not in log and "tangerinewalrus" not in log and TOKEN not in log
