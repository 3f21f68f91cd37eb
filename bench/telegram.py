"""Telegram benchmark: updates per second end to end in webhook mode, and latency from the update POST to the
sendMessage the (fake) Bot API receives, p50/p99.

    python bench/telegram.py [--updates 3000] [--concurrency 64] [--eval ../shared/eval/dev.jsonl]

The real stack runs: tornado webhook server -> python-telegram-bot Application -> adapter -> engine -> store
-> httpx -> the local fake Bot API (tests/fakebotapi.py) on 127.0.0.1. Each update comes from a different
chat, so the rows measure what the bot can do, not Telegram's per-chat limit. Target: >= 300 updates/s in
one process with the send rate limiter off; with the default limiter sends are held to Telegram's 30/s.
The load generator and the fake server share the bot's process and core, so the figures are a lower bound.
`rows()` gives the same figures as (name, measured, target) rows, for bench/all.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like python-telegram-bot's package: keep bench/ off the path so `import telegram` finds PTB.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import aiohttp  # noqa: E402
from fakebotapi import Call, FakeBotAPI, message  # noqa: E402

from bot.content import load_content  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.errors import ContentError  # noqa: E402
from bot.storage import MemoryStore, open_store  # noqa: E402
from bot.telegram import Settings, TelegramBot, serve  # noqa: E402

TOKEN = "123456789:AAH" + "b3nch_-x" * 4 + "Zq"
SECRET = "bench-secret"
FALLBACK_TEXTS = ["he is not breathing", "coke and alcohol together", "what is naloxone", "/help", "bad trip help", "hello"]


Row = tuple[str, str, str]  # name, measured, target


@dataclass
class Measurement:
    store: str
    rate_limit: str
    updates: int
    concurrency: int
    per_second: float
    p50_ms: float
    p99_ms: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(engine: Engine, texts: list[str], updates: int, concurrency: int, store_kind: str, rate_limit: float) -> Measurement:
    api = await FakeBotAPI(TOKEN).start()
    answered: dict[int, asyncio.Future[float]] = {}

    def on_call(call: Call) -> None:
        if call.method == "sendMessage":
            future = answered.get(call.params.get("chat_id"))  # type: ignore[arg-type]
            if future is not None and not future.done():
                future.set_result(call.at)

    api.listeners.append(on_call)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore() if store_kind == "memory" else open_store(str(Path(tmp) / "bench.db"))
        hook = "https://example.org/hrbot"
        settings = Settings(token=TOKEN, api_url=api.url, webhook_url=hook, secret_token=SECRET, rate_limit=rate_limit)
        tg = TelegramBot(engine, store, b"bench pepper, 32 bytes long!!!!!", settings)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        sock.setblocking(False)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/hrbot"
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(serve(tg, stop, ready=ready, webhook_socket=sock))
        await asyncio.wait_for(ready.wait(), 10)
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        loop = asyncio.get_running_loop()
        next_update = iter(range(updates))
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

                async def person() -> None:
                    """Closed loop: one update, wait for the bot's answer, the next update (a new chat each time)."""
                    for i in next_update:
                        chat_id = 10_000 + i
                        body = json.dumps({"update_id": i + 1, **message(texts[i % len(texts)], chat_id=chat_id)}).encode()
                        answered[chat_id] = future = loop.create_future()
                        sent = time.perf_counter()
                        async with http.post(url, data=body, headers=headers) as response:
                            if response.status != 200:
                                raise RuntimeError(f"webhook answered {response.status}")
                        at = await asyncio.wait_for(future, 30)
                        del answered[chat_id]
                        latencies.append((at - sent) * 1000)

                started = time.perf_counter()
                await asyncio.gather(*(person() for _ in range(concurrency)))
                elapsed = time.perf_counter() - started
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            await api.close()
    return Measurement(
        store_kind,
        f"{rate_limit:g}/s" if rate_limit else "off",
        updates,
        concurrency,
        updates / elapsed,
        statistics.median(latencies),
        percentile(latencies, 0.99),
    )


async def run(updates: int, concurrency: int, engine: Engine, texts: list[str]) -> list[Measurement]:
    await measure(engine, texts, min(300, updates), concurrency, "memory", 0)  # warm-up (imports, caches)
    return [
        await measure(engine, texts, updates, concurrency, "memory", 0),
        await measure(engine, texts, updates, concurrency, "sqlite", 0),
        await measure(engine, texts, min(150, updates), concurrency, "sqlite", 30),
    ]


def load_engine() -> Engine:
    """The shipped content; the small fixture content when the shipped one does not validate (mid-edit)."""
    try:
        return Engine(load_content(ROOT))
    except ContentError:
        return Engine(load_content(ROOT / "tests" / "fixtures" / "mini"))


def load_texts(eval_path: Path) -> list[str]:
    if not eval_path.exists():
        return FALLBACK_TEXTS
    texts = [json.loads(line)["text"] for line in eval_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts or FALLBACK_TEXTS


def rows(updates: int = 3000, concurrency: int = 32, eval_path: Path = ROOT.parent / "shared" / "eval" / "dev.jsonl") -> list[Row]:
    found: list[Row] = []
    for m in asyncio.run(run(updates, concurrency, load_engine(), load_texts(eval_path))):
        where = f"end to end, webhook, {m.store} store, send limit {m.rate_limit}"
        target = ">= 300" if m.rate_limit == "off" else "~30 (Telegram's bulk rate)"
        found += [
            (f"{where}: updates/s", f"{m.per_second:,.0f}", target),
            (f"{where}: latency p50 / p99", f"{m.p50_ms:.1f} / {m.p99_ms:.1f} ms", ""),
        ]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32, help="conversations in flight: each waits for its answer")
    parser.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval" / "dev.jsonl"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(run(args.updates, args.concurrency, load_engine(), load_texts(Path(args.eval))))
    print("Telegram end to end (webhook POST -> sendMessage at the fake Bot API), one process")
    print(f"{'store':<8} {'send limit':>10} {'updates':>8} {'in flight':>9} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(f"{r.store:<8} {r.rate_limit:>10} {r.updates:>8} {r.concurrency:>9} {r.per_second:>10.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f}")
    best = max(r.per_second for r in results if r.rate_limit == "off")
    print(f"target >= 300 updates/s with the limiter off: {'met' if best >= 300 else 'NOT met'} ({best:.0f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
