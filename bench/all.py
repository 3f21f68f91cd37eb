"""Every benchmark in one table: what `make bench` runs.

    python bench/all.py [--eval ../shared/eval/dev.jsonl] [--sessions 100000] [--updates 3000]

Engine (content load, latency p50/p99, messages/s, accuracy) beside the difflib baseline on the same content
and data; storage cost per message (SQLite, and PostgreSQL when HRBOT_TEST_POSTGRES names a server); end to end
updates/s through the webhook against the local fake Bot API; memory. See bench/engine.py, bench/storage.py
and bench/telegram.py for what each measures (each also runs on its own).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import resource
import sys
import time
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# bench/telegram.py is named like python-telegram-bot's package: bench/ must not be on the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

Row = tuple[str, str, str]


def load(name: str) -> ModuleType:
    """bench/<name>.py as the module bench_<name> (not importable by its plain name, see above)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def rss_mb() -> float:
    resident = int(Path("/proc/self/statm").read_text().split()[1])
    return resident * os.sysconf("SC_PAGE_SIZE") / 2**20


def print_table(table: list[tuple[str, str, str]]) -> None:
    header = ("benchmark", "measured", "target")
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(2)]
    for name, value, target in [header, *table]:
        print(f"{name:<{widths[0]}}  {value:>{widths[1]}}  {target}".rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval" / "dev.jsonl"))
    parser.add_argument("--rounds", type=int, default=20, help="engine: passes over the evaluation set")
    parser.add_argument("--sessions", type=int, default=100_000, help="storage: sessions stored beforehand")
    parser.add_argument("--messages", type=int, default=5_000, help="storage: messages measured")
    parser.add_argument("--updates", type=int, default=3_000, help="end to end: updates per run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    eval_path = Path(args.eval)
    if not eval_path.exists():
        print(f"bench: no evaluation set at {eval_path} (give --eval FILE.jsonl)", file=sys.stderr)
        return 2

    started = time.perf_counter()
    table: list[Row] = []
    table += load("engine").rows(eval_path, args.rounds)  # first: its max RSS is the engine's alone
    table.append(("process RSS after the engine benchmark", f"{rss_mb():.0f} MB", ""))
    table += load("storage").rows(args.sessions, args.messages)
    table += load("telegram").rows(args.updates, eval_path=eval_path)
    table.append(("process RSS at the end", f"{rss_mb():.0f} MB", ""))
    table.append(("process max RSS", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", ""))
    print(f"hrbot benchmarks (one process, {os.cpu_count()} CPUs, {time.perf_counter() - started:.0f} s)")
    print_table(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
