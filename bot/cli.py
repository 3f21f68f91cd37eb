"""The `hrbot` command line. Only this module exits the process."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import ContentError


def default_root() -> Path:
    env = os.environ.get("HRBOT_CONTENT")
    if env:
        return Path(env)
    cwd = Path.cwd()
    if (cwd / "knowledge").is_dir():
        return cwd
    return Path(__file__).resolve().parent.parent


def _engine(args: argparse.Namespace):  # -> Engine, imported lazily so `--help` stays fast
    from .content import load_content
    from .engine import Engine

    return Engine(load_content(Path(args.content)))


def cmd_validate(args: argparse.Namespace) -> int:
    from .content import validate_content

    started = time.perf_counter()
    content, problems = validate_content(Path(args.content), args.locale)
    for problem in problems:
        print(problem)
    if problems or content is None:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    entries = sum(len(p.entries) for p in content.locales.values())
    print(
        f"ok: {entries} entries, {len(content.flows)} flows, {len(content.combos)} combos, "
        f"{len(content.locales)} locales ({', '.join(sorted(content.locales))}) "
        f"in {time.perf_counter() - started:.2f}s"
    )
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from .console import main_chat

    return main_chat(_engine(args), args.locale)


def cmd_match(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.locale and args.locale not in engine.content.locales:
        print(f"hrbot match: unknown locale {args.locale!r}; known: {', '.join(sorted(engine.content.locales))}", file=sys.stderr)
        return 2
    out = sys.stdout
    for raw in sys.stdin:
        text = raw.rstrip("\n")
        decision = engine.classify(text, args.locale)
        out.write(json.dumps({"text": text, **decision.as_dict()}, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate, format_report, read_cases

    try:
        cases = read_cases(Path(args.file))
    except OSError as exc:
        print(f"hrbot eval: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"hrbot eval: {exc}", file=sys.stderr)
        return 2
    engine = _engine(args)
    report = evaluate(engine.bundle.index, cases, engine.content.default_locale)
    print(format_report(report))
    failed = []
    if report.accuracy() < args.min_accuracy:
        failed.append(f"accuracy {report.accuracy():.1%} < {args.min_accuracy:.1%}")
    for loc in sorted(report.emergency_total):
        if report.emergency_recall(loc) < args.min_emergency_recall:
            failed.append(f"emergency recall {loc} {report.emergency_recall(loc):.1%} < {args.min_emergency_recall:.1%}")
    if report.false_emergency_rate() > args.max_false_emergency:
        failed.append(f"false emergencies {report.false_emergency_rate():.1%} > {args.max_false_emergency:.1%}")
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    return 0


def cmd_test_conversations(args: argparse.Namespace) -> int:
    from .transcripts import run_all

    root = Path(args.content)
    paths = [Path(p) for p in args.paths] or [root / "tests" / "conversations"]
    results = run_all(_engine(args), paths, root)
    failed = 0
    for result in results:
        status = "ok  " if not result.failures else "FAIL"
        print(f"{status} {result.path} ({result.name}, {result.steps} steps)")
        for problem in result.failures:
            print(f"  {problem}")
        failed += bool(result.failures)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed or not results else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hrbot", description="An anonymous harm reduction chatbot.")
    parser.add_argument("--version", action="version", version=f"hrbot {__version__}")
    parser.add_argument("--content", default=str(default_root()), help="folder holding knowledge/ and dialogues/ (env HRBOT_CONTENT)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("chat", help="talk to the bot in the terminal (buttons shown as numbers)")
    p.add_argument("--locale", help="language hint when none is chosen, e.g. ru")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("validate", help="check all content; prints file:line: message for each problem")
    p.add_argument("--locale", help="report only what concerns this locale")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("match", help="read questions on stdin, print one JSON decision per line")
    p.add_argument("--locale", help="force a locale instead of detecting it from the text")
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("eval", help="measure matching on a labelled JSONL file")
    p.add_argument("file", help="JSONL with {text, locale, expect} per line")
    p.add_argument("--min-accuracy", type=float, default=0.0, help="exit 1 if overall accuracy is below this (0-1)")
    p.add_argument("--min-emergency-recall", type=float, default=1.0, help="exit 1 if any locale's emergency recall is below")
    p.add_argument("--max-false-emergency", type=float, default=0.02, help="exit 1 if false emergencies exceed this share")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("test-conversations", help="run YAML conversation transcripts (default: tests/conversations/)")
    p.add_argument("paths", nargs="*", help="transcript files or folders")
    p.set_defaults(func=cmd_test_conversations)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"hrbot: the content has {len(exc.problems)} problem(s); run `hrbot validate`", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
