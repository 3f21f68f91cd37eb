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
SHARED = "is the moon made of cheese"  # unanswered, all common words: the one text kept
TEXTS = [
    "not breathing, call +44 7700 900123 purplehippo",
    "coke and a few beers tangerinewalrus",
    "fluorescentmongoose zorblax question about nothing we know",
    SHARED,
    SHARED + "?",
    "/start naloxone__Quintessa-15550123456",  # a campaign nobody declared, with a phone in it
    "combo checker",
    "/forget",
]


def personal(person: tuple[int, int, str, str, str]) -> list[str]:
    """Unanswered questions that name or reach the person: --keep-unanswered must drop each whole."""
    _, _, username, first, last = person
    return [
        f"{username} is the moon made of cheese",  # a handle without "@"
        f"is the moon made of cheese for {first}",
        f"{first.lower()} {last.lower()} is the moon made of cheese",
        "is the moon made of cheese call +1 555 0100 2233",
        "is the moon made of cheese call me five five five o one",
    ]


def update(text: str, person: tuple[int, int, str, str, str]) -> dict:
    chat_id, user_id, username, first, last = person
    sender = {"id": user_id, "is_bot": False, "first_name": first, "last_name": last, "username": username, "language_code": "en"}
    chat = {"id": chat_id, "type": "private", "first_name": first, "last_name": last, "username": username}
    return message(text, chat_id=chat_id, **{"from": sender, "chat": chat})


def secrets_of(person: tuple[int, int, str, str, str]) -> list[bytes]:
    chat_id, user_id, username, first, last = person
    out = [str(chat_id).encode(), username.encode(), first.encode(), last.encode()]
    out += [" ".join(part for part in username.split("_") if part.isalpha()).encode()]  # "zebra unicorn" after scrubbing
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
    """With --keep-unanswered on: ids, names, handles (with or without "@"), phones, undeclared campaign
    payloads and typed text appear in no database file and no log line; only a question of common words
    that two people asked is kept."""
    db = tmp_path / "data" / "hrbot.db"
    db.parent.mkdir()
    store = SQLiteStore(db, pepper=PEPPER, unanswered_min_people=2)
    async with running(api, mini_engine, store=store, keep_unanswered=True):
        for person in PEOPLE:
            sent = 0
            for text in [*TEXTS[:-1], *personal(person)]:
                api.push(update(text, person))
                sent += 1
                await api.wait_sent(sent, person[0])
            api.push(callback("menu", chat_id=person[0]))
            await api.wait_sent(sent + 1, person[0])
            if person is PEOPLE[0]:
                db.unlink()  # a fault on the way: the database file deleted under the running bot (recreated)
        api.push(update("/forget", PEOPLE[0]))
        await api.wait_sent(sent + 2, PEOPLE[0][0])
        counters = await store.counters()
        kept = await store.unanswered()
    files = sorted(db.parent.iterdir())
    assert any(f.name == "hrbot.db" for f in files)
    assert [u.text for u in kept] == [SHARED]  # collection was on; nothing else survived the word check
    assert {k.campaign for k, _ in counters if k.target == "naloxone"} == {"other"}  # one row, not one per payload
    blob = b"".join(f.read_bytes() for f in files if f.is_file())
    assert SHARED.encode() in blob
    forbidden = [b"purplehippo", b"tangerinewalrus", b"fluorescentmongoose", b"zorblax", b"7700", b"900123"]
    forbidden += [b"Quintessa", b"quintessa", b"15550123456", b"555 0100", b"0100 2233", b"five five five"]
    for person in PEOPLE:
        forbidden += secrets_of(person)
        forbidden += [person[3].lower().encode(), person[4].lower().encode()]
    for needle in forbidden:
        assert needle not in blob, f"{needle!r} found in the database files"
    log = production_logs.getvalue()
    assert "getUpdates" in log or "sendMessage" in log or "bot started" in log  # the logs did capture the run
    for needle in forbidden:
        text = needle.decode("latin-1")
        if text.isprintable() and len(text) > 3:
            assert text not in log, f"{text!r} found in the log"
    assert "not breathing" not in log and "tangerinewalrus" not in log and TOKEN not in log
    assert "moon" not in log and "Quintessa" not in log
    assert log.count("the database file was deleted while open") == 1
