"""Engine benchmark: content load time, per-message latency (p50/p99) and messages per second over dev.jsonl.

    python bench/engine.py [--eval ../shared/eval/dev.jsonl] [--rounds 20]

Targets on the 2-core reference machine: p99 <= 2 ms per message, load < 1 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_content  # noqa: E402
from bot.engine import Engine, Incoming  # noqa: E402
from bot.session import Session  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval" / "dev.jsonl"))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    texts = [json.loads(line)["text"] for line in Path(args.eval).read_text(encoding="utf-8").splitlines() if line.strip()]

    loads = []
    for _ in range(3):
        started = time.perf_counter()
        content = load_content(ROOT)
        engine = Engine(content)
        loads.append(time.perf_counter() - started)

    # Cold pass: every message seen for the first time (no analysis cache), then warm rounds.
    cold: list[float] = []
    for text in texts:
        started = time.perf_counter()
        engine.handle(Incoming(text=text), Session())
        cold.append(time.perf_counter() - started)
    warm: list[float] = []
    started_all = time.perf_counter()
    for _ in range(args.rounds):
        for text in texts:
            started = time.perf_counter()
            engine.handle(Incoming(text=text), Session())
            warm.append(time.perf_counter() - started)
    total = time.perf_counter() - started_all
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows = [
        ("content load (best of 3)", f"{min(loads) * 1000:.0f} ms", "< 1000 ms"),
        ("messages", f"{len(texts)} x {args.rounds} rounds", ""),
        ("latency p50, first sight", f"{statistics.median(cold) * 1000:.3f} ms", ""),
        ("latency p99, first sight", f"{percentile(cold, 0.99) * 1000:.3f} ms", "<= 2 ms"),
        ("latency p50, repeated", f"{statistics.median(warm) * 1000:.3f} ms", ""),
        ("latency p99, repeated", f"{percentile(warm, 0.99) * 1000:.3f} ms", "<= 2 ms"),
        ("messages per second", f"{len(warm) / total:,.0f}", ""),
        ("max RSS", f"{rss_mb:.0f} MB", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'engine benchmark':<{width}}  {'measured':>22}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>22}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
