"""Every decision the matcher makes on evaluation files, one JSON line each, for checking that a change meant
only for speed changes no decision: run it at two commits and diff the outputs.

    python bench/decisions.py [FILE.jsonl ...] > decisions.txt   (default: tests/data/*.jsonl and the shared dev set)

Prints kind, id, substances, the first candidates and the score; never the message text.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_content  # noqa: E402
from bot.evaluation import read_cases  # noqa: E402
from bot.matching import MatchIndex  # noqa: E402


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or [*sorted((ROOT / "tests" / "data").glob("*.jsonl")), ROOT.parent / "shared" / "eval" / "dev.jsonl"]
    index = MatchIndex(load_content(ROOT))
    started, n = time.perf_counter(), 0
    for path in files:
        if not path.exists():
            continue
        for case in read_cases(path):
            d = index.classify(case.text, None, default_locale="en")
            print(json.dumps([path.name, d.kind, d.id, sorted(d.substances), list(d.candidates)[:3], round(float(d.score), 4)]))
            n += 1
    print(f"{n} decisions in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
