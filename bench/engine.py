"""Engine benchmark: content load (cold process, with and without the model cache), per-message latency p50/p99
and accuracy, side by side in one run: our matcher, the previous release's matcher (from git, commit a0b166f),
difflib over every phrasing, and rapidfuzz WRatio over every phrasing; then the same at 20x synthetic content.
Also how often a message is tokenised and its language detected.

    python bench/engine.py [--eval ../shared/eval/dev.jsonl] [--rounds 5] [--scale 20] [--train-logistic]

At --scale the logistic regression is not trained unless --train-logistic is given (at 20x that takes most of an
hour): the latency is measured on arrays of their real size, the decisions are not the real ones.

Targets on the 2-core reference machine: p50 <= 0.5 ms and p99 <= 2 ms per message, with the shipped content and
with 20x synthetic content; load, training included, <= 1 s in a cold process (with the cache).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

import bot.matching.index as index_module  # noqa: E402
from bot.content import Content, load_content  # noqa: E402
from bot.evaluation import is_right, read_cases  # noqa: E402
from bot.matching import Decision, MatchIndex  # noqa: E402

Row = tuple[str, str, str]
PREVIOUS = "a0b166f"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def phrasings(content: Content) -> dict[str, tuple[list[str], list[tuple[str, str]]]]:
    out = {}
    for code, pack in content.locales.items():
        texts: list[str] = []
        owner: list[tuple[str, str]] = []
        for entry in pack.entries.values():
            for text in (entry.title, *entry.questions, *entry.keywords):
                texts.append(text.lower())
                owner.append(("answer", entry.id))
        for flow in content.flows.values():
            for trig in flow.triggers.get(code, ()):
                texts.append(trig.phrase.lower())
                owner.append(("emergency" if flow.emergency else "flow", flow.id))
        out[code] = (texts, owner)
    return out


class Difflib:
    """The obvious first attempt: closest example phrasing by difflib ratio, or fallback below 0.6."""

    def __init__(self, content: Content) -> None:
        self.by_locale = phrasings(content)

    def classify(self, text: str, locale: str) -> Decision:
        texts, owner = self.by_locale.get(locale, self.by_locale["en"])
        best = difflib.get_close_matches(text.lower(), texts, n=1, cutoff=0.6)
        if not best:
            return Decision("fallback", locale)
        kind, target = owner[texts.index(best[0])]
        return Decision(kind, locale, target, 1.0)


class WRatio:
    """rapidfuzz WRatio over every phrasing (the precise fuzzy scorer, no first stage)."""

    def __init__(self, content: Content) -> None:
        self.by_locale = phrasings(content)

    def classify(self, text: str, locale: str) -> Decision:
        texts, owner = self.by_locale.get(locale, self.by_locale["en"])
        best = process.extractOne(text.lower(), texts, scorer=fuzz.WRatio, score_cutoff=60)
        if not best:
            return Decision("fallback", locale)
        kind, target = owner[best[2]]
        return Decision(kind, locale, target, best[1] / 100)


def previous_matcher(content: Content) -> object | None:
    """The matcher of the previous release, loaded from git into a throwaway package beside ours."""
    folder = Path(tempfile.mkdtemp(prefix="hrbot-previous-"))
    pkg = folder / "previous"
    (pkg / "matching").mkdir(parents=True)
    try:
        for name in ("index.py", "normalise.py", "__init__.py"):
            src = subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{PREVIOUS}:bot/matching/{name}"], capture_output=True, check=True, text=True
            ).stdout
            (pkg / "matching" / name).write_text(src)
    except (OSError, subprocess.CalledProcessError):
        return None
    (pkg / "__init__.py").write_text("")
    (pkg / "content.py").write_text("from bot.content import *  # noqa\nfrom bot.content import Content\n")
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("previous.matching.index")
        return module.MatchIndex(content)
    except Exception:  # the old code may not read today's content
        return None
    finally:
        sys.path.remove(str(folder))


def synthetic(content: Content, scale: int) -> Content:
    """`scale` times the entries: copies whose ids and phrasings get a distinct made-up word, so the index and
    the model grow as with real new topics."""
    locales = {}
    for code, pack in content.locales.items():
        entries = dict(pack.entries)
        for k in range(1, scale):
            for entry in pack.entries.values():
                tag = f"zq{k}x{entry.id.replace('-', '')[:6]}"
                entries[f"{entry.id}-s{k}"] = dataclasses.replace(
                    entry,
                    id=f"{entry.id}-s{k}",
                    questions=tuple(f"{q} {tag}" for q in entry.questions),
                    keywords=(*entry.keywords, tag),
                )
        locales[code] = dataclasses.replace(pack, entries=entries)
    return dataclasses.replace(content, locales=locales, digest="")  # not the files' content: no cached index


def timed(classify: Callable[[str, str], Decision], cases: list, rounds: int) -> tuple[list[float], float]:
    times: list[float] = []
    right = 0
    for r in range(rounds):
        for case in cases:
            started = time.perf_counter()
            got = classify(case.text, case.locale)
            times.append(time.perf_counter() - started)
            if r == 0:
                right += is_right(case.expect, got)
    return times, right / len(cases)


def cold_load(cache: str) -> float:
    """Seconds to load the content and build the index in a new process (interpreter start not counted)."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from pathlib import Path\nfrom bot.content import load_content\nfrom bot.engine import Engine\n"
        f"Engine(load_content(Path({str(ROOT)!r})))\nprint(time.perf_counter() - t)\n"
    )
    env = {**os.environ, "HRBOT_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def count_calls(index: MatchIndex, cases: list) -> tuple[float, float]:
    """Tokenisations per sentence and language readings per message (the issue counted 7.5 tokenisations and 1.9
    detections per message before). A message of several sentences is read whole and by sentence, so it has a
    reading per sentence too; each sentence is still tokenised once."""
    counts = {"tokens": 0, "detect": 0, "sentences": 0}
    real_tokens, real_readings = index_module.basic_tokens, index._readings_of

    def tokens(text: str) -> list[str]:
        counts["tokens"] += 1
        return real_tokens(text)

    def readings(self: MatchIndex, tokens: tuple[str, ...], default: str) -> list:
        counts["detect"] += 1
        return real_readings(tokens, default)

    index_module.basic_tokens = tokens
    index._readings_of = types.MethodType(readings, index)  # type: ignore[method-assign]
    try:
        for case in cases:
            counts["sentences"] += max(1, sum(1 for part in index_module._SENTENCE.split(case.text) if real_tokens(part)))
            index.classify(case.text, None, default_locale="en")
    finally:
        index_module.basic_tokens = real_tokens
        del index._readings_of
    return counts["tokens"] / counts["sentences"], counts["detect"] / len(cases)


def rows(eval_path: Path, rounds: int = 5) -> list[Row]:
    cases = read_cases(eval_path)
    with tempfile.TemporaryDirectory() as cache:
        os.chmod(cache, 0o700)
        first = cold_load(cache)
        model_only = []
        for _ in range(3):  # as before the content and index were cached: YAML read and index built again
            for built in [*Path(cache).glob("content-*.pickle"), *Path(cache).glob("index-*.pickle")]:
                built.unlink()
            model_only.append(cold_load(cache))
        cached = statistics.median(cold_load(cache) for _ in range(3))
    table: list[Row] = [
        ("load + index, cold process, no cache (training)", f"{first * 1000:.0f} ms", ""),
        ("load + index, cold process, only the model cached (median of 3)", f"{statistics.median(model_only) * 1000:.0f} ms", ""),
        ("load + index, cold process, build cache (median of 3)", f"{cached * 1000:.0f} ms", "<= 1000 ms"),
    ]
    content = load_content(ROOT)
    ours = MatchIndex(content)
    tok, det = count_calls(ours, cases)
    table.append(("tokenisations per sentence / language readings per message", f"{tok:.1f} / {det:.1f}", "1 / 1"))
    matchers: list[tuple[str, Callable[[str, str], Decision]]] = [
        ("ours", lambda t, loc: ours.classify(t, None, default_locale="en")),
    ]
    old = previous_matcher(content)
    if old is not None:
        matchers.append((f"previous ({PREVIOUS})", lambda t, loc: old.classify(t, None, default_locale="en")))  # type: ignore[attr-defined]
    base, wr = Difflib(content), WRatio(content)
    matchers += [("difflib", base.classify), ("rapidfuzz WRatio", wr.classify)]
    p50s = {}
    for name, classify in matchers:
        times, acc = timed(classify, cases, rounds if name in ("ours",) or name.startswith("previous") else 1)
        p50s[name] = statistics.median(times)
        table.append(
            (
                f"{name}: p50 / p99 per message, accuracy",
                f"{p50s[name] * 1000:.3f} / {percentile(times, 0.99) * 1000:.3f} ms, {acc:.0%}",
                "",
            )
        )
    for name in p50s:
        if name != "ours":
            table.append((f"{name} / ours (p50 time)", f"{p50s[name] / p50s['ours']:.1f}x", ""))
    return table


def rows_scaled(scale: int = 20, eval_path: Path | None = None, rounds: int = 5, *, logistic: bool = False) -> list[Row]:
    """The same matcher on `scale` times the entries: index build and latency, beside the shipped content's in
    the same run. Without `logistic` the logistic regression is not trained (at 20x it takes most of an hour and
    gigabytes here): the naive Bayes half, the index and every array have their real size, so the latency is
    the real one; the decisions are not, so no accuracy is reported."""
    from bot.matching.model import Model

    cases = read_cases(eval_path or ROOT.parent / "shared" / "eval" / "dev.jsonl")
    content = load_content(ROOT)
    big = synthetic(content, scale)
    Model.logistic = logistic
    try:
        started = time.perf_counter()
        big_index = MatchIndex(big, cache=False)
        build = time.perf_counter() - started
        # every page of the weights touched once, as loading a cached model does (its finiteness check): the
        # untrained logistic half is never written, and its first reads would fault page by page mid-message
        assert np.isfinite(big_index.model.weights).all()
    finally:
        Model.logistic = True
    small_index = MatchIndex(content)
    entries = sum(len(p.entries) for p in big.locales.values())
    trained = "training included" if logistic else "naive Bayes trained, logistic regression not"
    table = [
        (f"{scale}x content ({entries} entries, {len(big_index.model.labels)} labels): build, {trained}", f"{build * 1000:.0f} ms", "")
    ]
    for name, index in (("shipped content", small_index), (f"{scale}x content", big_index)):
        times, _ = timed(lambda t, loc, index=index: index.classify(t, None, default_locale="en"), cases, rounds)
        table.append(
            (
                f"{name}: p50 / p99 per message",
                f"{statistics.median(times) * 1000:.3f} / {percentile(times, 0.99) * 1000:.3f} ms",
                "0.5 / 2 ms",
            )
        )
    return table


def print_table(title: str, table: list[Row]) -> None:
    width = max(len(r[0]) for r in table)
    print(f"{title:<{width}}  {'measured':>24}  target")
    for name, value, target in table:
        print(f"{name:<{width}}  {value:>24}  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval" / "dev.jsonl"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument(
        "--train-logistic", action="store_true", help="at --scale, also train the logistic regression (most of an hour at 20x)"
    )
    args = parser.parse_args(argv)
    print_table("engine benchmark", rows(Path(args.eval), args.rounds))
    sys.stdout.flush()
    if args.scale > 1:
        table = rows_scaled(args.scale, Path(args.eval), args.rounds, logistic=args.train_logistic)
        print_table("engine benchmark, synthetic content", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
