"""Soak: many updates from many chats through the webhook path (the real tornado webhook server, POSTs with
the secret token) against the fake Bot API, with a SQLite store.

Each chat walks the same four-message cycle, whose replies depend on the step before (the combo flow, then
/help), with a few of its updates in flight at once; so a lost update, a reply sent twice or a chat's updates
handled out of order all show as a reply that does not match. Memory must stay flat after a warm-up.

Short by default (for `make test`); `HRBOT_SOAK=full` (`make soak`) runs 50,000 updates from 1,000 chats.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from pathlib import Path

import aiohttp
from fakebotapi import Call, FakeBotAPI, message
from harness import SECRET, TOKEN, running

from bot.engine import Engine
from bot.storage.sqlite import SQLiteStore

FULL = os.environ.get("HRBOT_SOAK", "") == "full"
UPDATES, CHATS = (50_000, 1_000) if FULL else (3_000, 200)
WINDOW = 3  # updates of one chat posted and not yet answered, at most
RSS_GROWTH_LIMIT_MB = 40 if FULL else 25  # end minus after-warm-up
# (what the person writes, how the one reply to it starts)
CYCLE = [
    ("combo checker", "Name the first substance."),
    ("coke", "And the second?"),
    ("beer", "Cocaine + Alcohol"),
    ("/help", "Write a question in your own words"),
]
FIRST_CHAT = 100_000


def rss_mb() -> float:
    """Resident set size of this process, from /proc/self/statm (pages)."""
    gc.collect()
    resident = int(Path("/proc/self/statm").read_text().split()[1])
    return resident * os.sysconf("SC_PAGE_SIZE") / 2**20


class Tally:
    """What each chat received, checked reply by reply against the cycle; small integers only."""

    def __init__(self, chats: int, per_chat: int) -> None:
        self.per_chat = per_chat
        self.received = [0] * chats
        self.out_of_order = 0
        self.extra = 0
        self.total = 0
        self.reached: dict[int, asyncio.Event] = {}
        self.room = [asyncio.Semaphore(WINDOW) for _ in range(chats)]

    def when(self, total: int) -> asyncio.Event:
        event = self.reached[total] = asyncio.Event()
        if self.total >= total:
            event.set()
        return event

    def on_call(self, call: Call) -> None:
        if call.method != "sendMessage" or call.status != 200:
            return
        chat = int(call.params["chat_id"]) - FIRST_CHAT
        n = self.received[chat]
        self.received[chat] = n + 1
        if n >= self.per_chat:
            self.extra += 1
        elif not call.text.startswith(CYCLE[n % len(CYCLE)][1]):
            self.out_of_order += 1
        self.total += 1
        self.room[chat].release()
        event = self.reached.get(self.total)
        if event is not None:
            event.set()


async def test_soak_through_the_webhook(api: FakeBotAPI, mini_engine: Engine, tmp_path: Path) -> None:
    api.keep_calls = False  # the listener checks every reply; keeping 50,000 calls would be the leak
    per_chat = UPDATES // CHATS
    total = per_chat * CHATS
    tally = Tally(CHATS, per_chat)
    api.listeners.append(tally.on_call)
    store = SQLiteStore(tmp_path / "hrbot.db")
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    update_ids = iter(range(1, total + 1))
    assert TOKEN
    async with running(api, mini_engine, webhook=True, store=store, rate_limit=0, flush_interval=1.0) as bot:
        url = bot.webhook_url
        assert url is not None
        rss_start = rss_mb()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:

            async def person(chat: int) -> None:
                """One chat: its messages in order, each POSTed once the previous POST was taken."""
                for i in range(per_chat):
                    await tally.room[chat].acquire()  # at most WINDOW unanswered
                    text = CYCLE[i % len(CYCLE)][0]
                    body = json.dumps({"update_id": next(update_ids), **message(text, chat_id=FIRST_CHAT + chat)})
                    async with http.post(url, data=body, headers=headers) as response:
                        assert response.status == 200

            warm = tally.when(min(total, CHATS * len(CYCLE)))  # every chat once through the cycle
            done = tally.when(total)
            started = time.perf_counter()
            people = asyncio.gather(*(person(c) for c in range(CHATS)))
            try:
                await asyncio.wait_for(warm.wait(), 120)
                rss_warm = rss_mb()
                await asyncio.wait_for(asyncio.shield(people), 1800 if FULL else 120)
                await asyncio.wait_for(done.wait(), 60)
            finally:
                people.cancel()
            elapsed = time.perf_counter() - started
            rss_end = rss_mb()
    # The bot has stopped: every update in flight was finished, so a late duplicate would be counted by now.
    lost = sum(max(0, per_chat - n) for n in tally.received)
    print(
        f"\nsoak: {total:,} updates from {CHATS:,} chats through the webhook in {elapsed:.1f} s = {total / elapsed:,.0f} updates/s;"
        f" RSS start {rss_start:.1f} MB, after warm-up {rss_warm:.1f} MB, end {rss_end:.1f} MB"
        f" (+{rss_end - rss_warm:.1f} MB after warm-up); lost={lost} duplicates={tally.extra} out-of-order={tally.out_of_order}"
    )
    assert (lost, tally.extra, tally.out_of_order) == (0, 0, 0)
    reader = SQLiteStore(tmp_path / "hrbot.db")
    try:
        assert sum(n for _, n in await reader.counters()) == total  # every reply counted, none twice
    finally:
        await reader.close()
    assert rss_end - rss_warm < RSS_GROWTH_LIMIT_MB, f"memory grew by {rss_end - rss_warm:.1f} MB after the warm-up"
