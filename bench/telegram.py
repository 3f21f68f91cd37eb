"""Telegram benchmark: hrbot beside a bare python-telegram-bot echo bot, in the same run, webhook and polling.

    python bench/telegram.py [--updates 2000] [--concurrency 32] [--rounds 3] [--store sqlite|memory]

Each bot runs the real stack against the local fake Bot API (tests/fakebotapi.py) on 127.0.0.1:
webhook: POST -> (hrbot: its tornado webhook server, answered once handled | echo: PTB's Updater webhook)
-> handler -> sendMessage (hrbot: over aiohttp, bot/telegram/request.py, its answer not parsed | echo: PTB's
httpx layer); polling: getUpdates -> handler -> sendMessage. The load is a closed
loop of `--concurrency` people, each a new chat per update, sending the next update once the answer to the
last one reached the fake Bot API. Measured: updates per second, and latency from the update (POST, or
queued for getUpdates) to its sendMessage arriving, p50 / p99. The echo bot is python-telegram-bot as
its docs build it (ApplicationBuilder defaults plus a MessageHandler that calls reply_text), once as is
(updates one at a time) and once with concurrent_updates(True). No send rate limiter on either side.
Rounds are interleaved (echo, hrbot, echo, hrbot, ...) and the median of each is reported, so a noisy
neighbour on the machine hits both alike. Goal: hrbot >= 0.8x the echo bot in both modes.
`rows()` gives (name, measured, target) rows for bench/all.py.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like python-telegram-bot's package: keep bench/ off the path so `import telegram` finds PTB.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import aiohttp  # noqa: E402
from fakebotapi import Call, FakeBotAPI, message  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.content import load_content  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.errors import ContentError  # noqa: E402
from bot.storage import MemoryStore, open_store  # noqa: E402
from bot.telegram import Settings, TelegramBot, serve  # noqa: E402

TOKEN = "123456789:AAH" + "b3nch_-x" * 4 + "Zq"
SECRET = "bench-secret"
HOOK = "https://example.org/hrbot"
TEXTS = ["he is not breathing", "coke and alcohol together", "what is naloxone", "/help", "bad trip help", "hello"]

Row = tuple[str, str, str]  # name, measured, target


@dataclass
class Run:
    bot: str
    mode: str
    updates: int
    per_second: float
    p50_ms: float
    p99_ms: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


# --- the bots ---------------------------------------------------------------------------------------------------

Stopper = Callable[[], Awaitable[None]]


async def start_echo(api: FakeBotAPI, sock: socket.socket | None, concurrent: bool) -> Stopper:
    """The bare echo bot of python-telegram-bot's examples."""

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    builder = ApplicationBuilder().token(TOKEN).base_url(f"{api.url}/bot").base_file_url(f"{api.url}/file/bot")
    app: Application = builder.concurrent_updates(concurrent).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    assert app.updater is not None
    if sock is not None:
        await app.updater.start_webhook(url_path="hrbot", webhook_url=HOOK, secret_token=SECRET, unix=sock)
    else:
        await app.updater.start_polling(timeout=10)
    await app.start()

    async def stop() -> None:
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return stop


async def start_hrbot(api: FakeBotAPI, sock: socket.socket | None, engine: Engine, store_kind: str, tmp: str) -> Stopper:
    store = MemoryStore() if store_kind == "memory" else open_store(str(Path(tmp) / f"bench-{time.monotonic_ns()}.db"))
    hook = {"webhook_url": HOOK, "secret_token": SECRET} if sock is not None else {}
    settings = Settings(token=TOKEN, api_url=api.url, rate_limit=0, poll_timeout=10, **hook)  # type: ignore[arg-type]
    tg = TelegramBot(engine, store, b"bench pepper, 32 bytes long!!!!!", settings)
    stop_event, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(tg, stop_event, ready=ready, webhook_socket=sock))
    await asyncio.wait_for(ready.wait(), 10)

    async def stop() -> None:
        stop_event.set()
        await asyncio.wait_for(task, 30)

    return stop


# --- the load ---------------------------------------------------------------------------------------------------


async def measure(bot: str, mode: str, engine: Engine, updates: int, concurrency: int, store_kind: str) -> Run:
    api = await FakeBotAPI(TOKEN, keep_calls=False).start()
    answered: dict[int, asyncio.Future[float]] = {}

    def on_call(call: Call) -> None:
        if call.method == "sendMessage" and call.status == 200:
            future = answered.get(call.params.get("chat_id"))  # type: ignore[arg-type]
            if future is not None and not future.done():
                future.set_result(call.at)

    api.listeners.append(on_call)
    sock = listening_socket() if mode == "webhook" else None
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hrbot" if sock is not None else ""
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    numbers = iter(range(updates))
    with tempfile.TemporaryDirectory() as tmp:
        if bot == "hrbot":
            stop = await start_hrbot(api, sock, engine, store_kind, tmp)
        else:
            stop = await start_echo(api, sock, concurrent=bot == "echo-concurrent")
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

                async def person() -> None:
                    for i in numbers:
                        chat_id = 10_000 + i
                        update = {"update_id": i + 1, **message(TEXTS[i % len(TEXTS)], chat_id=chat_id)}
                        answered[chat_id] = future = loop.create_future()
                        sent = time.perf_counter()
                        if sock is not None:
                            async with http.post(url, data=json.dumps(update).encode(), headers=headers) as response:
                                if response.status != 200:
                                    raise RuntimeError(f"webhook answered {response.status}")
                        else:
                            api.push(update)
                        at = await asyncio.wait_for(future, 30)
                        del answered[chat_id]
                        latencies.append((at - sent) * 1000)

                started = time.perf_counter()
                await asyncio.gather(*(person() for _ in range(concurrency)))
                elapsed = time.perf_counter() - started
        finally:
            await stop()
            await api.close()
    return Run(bot, mode, updates, updates / elapsed, statistics.median(latencies), percentile(latencies, 0.99))


def load_engine() -> Engine:
    """The shipped content; the small fixture content when the shipped one does not validate (mid-edit)."""
    try:
        return Engine(load_content(ROOT))
    except ContentError:
        return Engine(load_content(ROOT / "tests" / "fixtures" / "mini"))


BOTS = ("echo", "echo-concurrent", "hrbot")


async def run(updates: int, concurrency: int, rounds: int, store_kind: str, engine: Engine) -> list[Run]:
    for mode in ("webhook", "polling"):  # warm-up: imports, caches, the first connections
        for bot in BOTS:
            await measure(bot, mode, engine, min(200, updates), concurrency, store_kind)
    found: dict[tuple[str, str], list[Run]] = {}
    for _ in range(rounds):
        for mode in ("webhook", "polling"):
            for bot in BOTS:
                found.setdefault((bot, mode), []).append(await measure(bot, mode, engine, updates, concurrency, store_kind))
    medians = []
    for (bot, mode), runs in found.items():
        medians.append(
            Run(
                bot,
                mode,
                updates,
                statistics.median(r.per_second for r in runs),
                statistics.median(r.p50_ms for r in runs),
                statistics.median(r.p99_ms for r in runs),
            )
        )
    return medians


def ratios(results: list[Run]) -> dict[tuple[str, str], float]:
    """hrbot's throughput / each echo bot's, per mode."""
    by = {(r.bot, r.mode): r for r in results}
    return {
        (echo, mode): by[("hrbot", mode)].per_second / by[(echo, mode)].per_second
        for mode in ("webhook", "polling")
        for echo in ("echo", "echo-concurrent")
    }


def rows(updates: int = 2000, concurrency: int = 32, eval_path: Path | None = None, rounds: int = 1) -> list[Row]:
    """For bench/all.py (`eval_path` is not used: the texts are fixed)."""
    results = asyncio.run(run(updates, concurrency, rounds, "sqlite", load_engine()))
    found: list[Row] = []
    for r in results:
        where = f"end to end, {r.mode}, {r.bot}"
        found.append((f"{where}: updates/s", f"{r.per_second:,.0f}", ""))
        found.append((f"{where}: latency p50 / p99", f"{r.p50_ms:.1f} / {r.p99_ms:.1f} ms", ""))
    for (echo, mode), ratio in ratios(results).items():
        found.append((f"hrbot / {echo}, {mode}", f"{ratio:.2f}x", ">= 0.8x"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32, help="people in flight: each waits for its answer")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(run(args.updates, args.concurrency, args.rounds, args.store, load_engine()))
    print(f"Telegram end to end, one process, {args.updates} updates x {args.rounds} rounds (median), {args.concurrency} in flight")
    print(f"hrbot store: {args.store}; update -> sendMessage at the fake Bot API")
    print(f"{'bot':<16} {'mode':<8} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for r in sorted(results, key=lambda r: (r.mode, r.bot)):
        print(f"{r.bot:<16} {r.mode:<8} {r.per_second:>10.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f}")
    for (echo, mode), ratio in ratios(results).items():
        print(f"hrbot / {echo:<16} {mode:<8} {ratio:.2f}x  (goal >= 0.8x: {'met' if ratio >= 0.8 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
