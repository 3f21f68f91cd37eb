"""Engine benchmark: content load time, per-message latency (p50/p99) and messages per second over dev.jsonl,
beside a simple baseline (difflib.get_close_matches over every example phrasing of the same content).

    python bench/engine.py [--eval ../shared/eval/dev.jsonl] [--rounds 20]

Targets on the 2-core reference machine: p99 <= 2 ms per message, load < 1 s.
"""

from __future__ import annotations

import argparse
import difflib
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import Content, load_content  # noqa: E402
from bot.engine import Engine, Incoming  # noqa: E402
from bot.evaluation import evaluate, is_right, read_cases  # noqa: E402
from bot.matching import Decision  # noqa: E402
from bot.session import Session  # noqa: E402

Row = tuple[str, str, str]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class DifflibBaseline:
    """The obvious first attempt: closest example phrasing by difflib ratio, or fallback below 0.6."""

    def __init__(self, content: Content) -> None:
        self.by_locale: dict[str, tuple[list[str], dict[str, tuple[str, str]]]] = {}
        for code, pack in content.locales.items():
            owner: dict[str, tuple[str, str]] = {}
            for entry in pack.entries.values():
                for text in (entry.title, *entry.questions, *entry.keywords):
                    owner.setdefault(text.lower(), ("answer", entry.id))
            for flow in content.flows.values():
                for trig in flow.triggers.get(code, ()):
                    owner.setdefault(trig.phrase.lower(), ("emergency" if flow.emergency else "flow", flow.id))
            self.by_locale[code] = (list(owner), owner)

    def classify(self, text: str, locale: str) -> Decision:
        phrasings, owner = self.by_locale[locale if locale in self.by_locale else "en"]
        best = difflib.get_close_matches(text.lower(), phrasings, n=1, cutoff=0.6)
        if not best:
            return Decision("fallback", locale)
        kind, target = owner[best[0]]
        return Decision(kind, locale, target, 1.0)


def rows(eval_path: Path, rounds: int = 20) -> list[Row]:
    cases = read_cases(eval_path)
    texts = [c.text for c in cases]
    loads = []
    for _ in range(3):
        started = time.perf_counter()
        content = load_content(ROOT)
        engine = Engine(content)
        loads.append(time.perf_counter() - started)

    cold: list[float] = []
    for text in texts:  # first sight: nothing cached
        started = time.perf_counter()
        engine.handle(Incoming(text=text), Session())
        cold.append(time.perf_counter() - started)
    warm: list[float] = []
    started_all = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            engine.handle(Incoming(text=text), Session())
            warm.append(time.perf_counter() - started)
    total = time.perf_counter() - started_all

    ours = evaluate(engine.bundle.index, cases, content.default_locale)
    baseline = DifflibBaseline(content)
    base_times: list[float] = []
    base_right = 0
    for case in cases:
        started = time.perf_counter()
        got = baseline.classify(case.text, case.locale)
        base_times.append(time.perf_counter() - started)
        base_right += is_right(case.expect, got)
    base_p50 = statistics.median(base_times)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [
        ("content load (best of 3)", f"{min(loads) * 1000:.0f} ms", "< 1000 ms"),
        ("engine latency p50 (first sight)", f"{statistics.median(cold) * 1000:.3f} ms", ""),
        ("engine latency p99 (first sight)", f"{percentile(cold, 0.99) * 1000:.3f} ms", "<= 2 ms"),
        ("engine latency p50 (repeated)", f"{statistics.median(warm) * 1000:.3f} ms", ""),
        ("engine latency p99 (repeated)", f"{percentile(warm, 0.99) * 1000:.3f} ms", "<= 2 ms"),
        ("engine messages per second", f"{len(warm) / total:,.0f}", ""),
        ("engine accuracy on the eval set", f"{ours.accuracy():.1%}", ""),
        ("baseline (difflib) latency p50", f"{base_p50 * 1000:.3f} ms", ""),
        ("baseline / engine time (p50)", f"{base_p50 / statistics.median(cold):.1f}x", ""),
        ("baseline accuracy on the eval set", f"{base_right / len(cases):.1%}", ""),
        ("engine process max RSS", f"{rss_mb:.0f} MB", ""),
    ]


def print_table(title: str, table: list[Row]) -> None:
    width = max(len(r[0]) for r in table)
    print(f"{title:<{width}}  {'measured':>14}  target")
    for name, value, target in table:
        print(f"{name:<{width}}  {value:>14}  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval" / "dev.jsonl"))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    print_table("engine benchmark", rows(Path(args.eval), args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
