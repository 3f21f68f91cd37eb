"""The `hrbot` command line. Only this module exits the process."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ConfigError, ContentError, HrbotError
from .settings import BY_FIELD, OPTIONS, parse_duration, parse_int, parse_level, resolve


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


def _serving(args: argparse.Namespace, database: str) -> tuple[Any, bytes, Any]:
    """What a serving command needs: the engine, the pepper next to the database, the store (not yet open).
    Raises ConfigError (one line) for a bad pepper or database setting."""
    from .privacy import load_pepper
    from .storage import open_store, pepper_path_for

    pepper = load_pepper(path=pepper_path_for(database))
    return _engine(args), pepper, open_store(database, pepper=pepper)


def cmd_validate(args: argparse.Namespace) -> int:
    from .content import validate_content

    started = time.perf_counter()
    content, problems = validate_content(Path(args.content), args.locale)
    errors = [p for p in problems if not p.warning]
    partial = {code for code, pack in (content.locales if content else {}).items() if pack.partial}
    # a partial locale's gaps are its translators' to-do list (`--locale`); other warnings are for everyone
    for problem in problems if args.locale else [p for p in problems if not (p.warning and p.locale in partial)]:
        print(problem)
    if not args.locale:
        gaps: dict[str, int] = {}
        for problem in problems:
            if problem.warning and problem.locale in partial:
                gaps[problem.locale] = gaps.get(problem.locale, 0) + 1
        for code, n in sorted(gaps.items()):
            print(f"locale {code} is partial: {n} text(s) still to translate (`hrbot validate --locale {code}` lists them)")
    # With --locale, what is still missing in that locale counts too: that is the translator's to-do list.
    if errors or content is None or (args.locale and problems):
        print(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)", file=sys.stderr)
        return 1
    entries = sum(len(p.entries) for p in content.locales.values())
    warned = f", {len(problems)} warning(s)" if problems else ""
    print(
        f"ok{warned}: {entries} entries, {len(content.flows)} flows, {len(content.combos)} combos, "
        f"{len(content.locales)} locales ({', '.join(sorted(content.locales))}) "
        f"in {time.perf_counter() - started:.2f}s"
    )
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from .console import main_chat

    return main_chat(_engine(args), args.locale, args.database)


def cmd_match(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.locale and args.locale not in engine.content.locales:
        print(f"hrbot match: unknown locale {args.locale!r}; known: {', '.join(sorted(engine.content.locales))}", file=sys.stderr)
        return 2
    out = sys.stdout
    for raw in sys.stdin:
        text = raw.rstrip("\n")
        decision = engine.classify(text, args.locale)
        line: dict[str, object] = {"text": text, **decision.as_dict()}
        if args.explain:
            line["explain"] = engine.bundle.index.explain(text, args.locale, default_locale=engine.content.default_locale)
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import cross_validate, evaluate, format_report, read_cases

    if args.cv:
        if args.file:
            print("hrbot eval: give a FILE or --cv, not both", file=sys.stderr)
            return 2
        if args.cv < 2:
            print("hrbot eval: --cv needs at least 2 folds", file=sys.stderr)
            return 2
        from .content import load_content

        content = load_content(Path(args.content))
        from .evaluation import long_context

        report, long_report, latin_report = cross_validate(
            content,
            args.cv,
            progress=lambda m: print(m, file=sys.stderr, flush=True),
            context=long_context() if args.long else None,
            latin=args.latin,
        )
        keep = (lambda _line: True) if args.misses else (lambda line: not line.startswith("  line "))
        print(f"{args.cv}-fold cross-validation over the content's own phrasings")
        print("\n".join(line for line in format_report(report).splitlines() if keep(line)))
        if long_report is not None:
            print("\nthe same phrasings inside long messages (background sentences of bot/evaluation_context.yaml)")
            print("\n".join(line for line in format_report(long_report).splitlines() if keep(line)))
        if latin_report is not None:
            print("\nthe Russian and Ukrainian phrasings typed in Latin letters (bot/evaluation.py: to_latin)")
            print("\n".join(line for line in format_report(latin_report).splitlines() if keep(line)))
        return _thresholds(args, report)
    if not args.file:
        print("hrbot eval: give a FILE (JSONL) or --cv K", file=sys.stderr)
        return 2
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
    # --summary: the figures without the lines missed, since reading a blind set's misses spends it
    keep = (lambda line: not line.startswith("  line ")) if args.summary else (lambda _line: True)
    print("\n".join(line for line in format_report(report).splitlines() if keep(line)))
    return _thresholds(args, report)


def _thresholds(args: argparse.Namespace, report) -> int:
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


def cmd_run(args: argparse.Namespace) -> int:
    from .errors import StartError
    from .settings import load_settings

    try:  # every setting is checked before anything starts: a bad one is one line, exit 2
        settings = load_settings(vars(args), os.environ)
    except ConfigError as exc:  # the messages never hold the token, the secret or a password
        print(f"hrbot run: {exc}", file=sys.stderr)
        return 2
    from . import metrics
    from .reload import ContentReloader
    from .telegram import TelegramBot, run, setup_logging

    setup_logging(settings.log_level, secrets=[settings.token, settings.secret_token or ""])
    stop_metrics = None
    if settings.metrics_port is not None:  # first: a port that is taken is found before the slow start
        try:
            stop_metrics = metrics.serve(settings.metrics_port, settings.metrics_listen)
        except OSError as exc:
            where = f"{settings.metrics_listen}:{settings.metrics_port}"
            print(f"hrbot run: --metrics-port: cannot listen on {where}: {exc.strerror}", file=sys.stderr)
            return 1
    try:
        try:
            engine, pepper, store = _serving(args, settings.database)
        except ConfigError as exc:
            print(f"hrbot run: {exc}", file=sys.stderr)
            return 2
        try:
            return run(TelegramBot(engine, store, pepper, settings), ContentReloader(engine, Path(args.content)), watch=settings.watch)
        except StartError as exc:
            print(f"hrbot run: {exc}", file=sys.stderr)
            return 1
    finally:
        if stop_metrics is not None:
            stop_metrics()


def cmd_web(args: argparse.Namespace) -> int:
    """The web chat: the page and its JSON API on the conversation service, until SIGTERM or Ctrl-C."""
    import asyncio
    import signal

    from .conversation import Conversation
    from .telegram import setup_logging
    from .web import WebSettings, serve

    setup_logging(args.log_level)
    settings = WebSettings(listen=args.listen, port=args.port, frame_ancestors=args.frame_ancestors)
    try:
        engine, pepper, store = _serving(args, args.database)
    except ConfigError as exc:
        print(f"hrbot web: {exc}", file=sys.stderr)
        return 2

    async def main() -> int:
        await store.open()
        conversation = Conversation(engine, store, pepper, channel="web", keep_unanswered=args.keep_unanswered)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        maintenance = asyncio.create_task(
            conversation.maintain(stop, flush_interval=1.0, sweep_interval=60.0, session_ttl=args.session_ttl)
        )

        def ready(port: int) -> None:
            print(f"web chat on http://{args.listen}:{port}/", flush=True)

        server = asyncio.create_task(serve(conversation, settings, ready=ready))
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({server, waiter}, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        failure = server.exception() if server.done() and not server.cancelled() else None
        if not server.done():
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
        await maintenance
        await conversation.shutdown()
        if failure is not None:  # e.g. the port is taken: one line, no traceback
            why = getattr(failure, "strerror", None) or type(failure).__name__
            print(f"hrbot web: cannot listen on {args.listen}:{args.port}: {why}", file=sys.stderr)
            return 1
        return 0

    return asyncio.run(main())


def cmd_link(args: argparse.Namespace) -> int:
    from .cards import card_text, write_card, write_qr
    from .content import load_content
    from .links import deep_link, make_payload, web_link

    content = load_content(Path(args.content))
    locale = args.locale or content.default_locale
    if locale not in content.locales:
        print(f"hrbot link: unknown locale {locale!r}; known: {', '.join(sorted(content.locales))}", file=sys.stderr)
        return 2
    entries = content.locales[locale].entries
    if args.target not in content.flows and args.target not in entries:
        valid = sorted(set(content.flows) | set(entries))
        print(f"hrbot link: unknown target {args.target!r}. Valid targets:\n  " + "\n  ".join(valid), file=sys.stderr)
        return 2
    if args.declare and not args.campaign:
        print("hrbot link: --declare needs --campaign NAME", file=sys.stderr)
        return 2
    bot = args.bot or os.environ.get("TELEGRAM_BOT_USERNAME")
    if not bot and not args.web:
        print("hrbot link: give the bot's username with --bot NAME (or TELEGRAM_BOT_USERNAME), or --web URL", file=sys.stderr)
        return 2
    try:
        payload = make_payload(args.target, args.campaign)
        url = web_link(args.web, payload) if args.web else deep_link(str(bot), payload)
        if args.declare:
            from .links import declare_campaign

            declare_campaign(args.database, args.campaign)
        elif args.campaign:
            print(f"hrbot link: campaign {args.campaign!r} counts as 'other' until declared (add --declare)", file=sys.stderr)
        if args.qr:
            write_qr(url, Path(args.qr))
        if args.card:
            country = args.country.upper() if args.country else None
            if country is not None and country not in content.countries:
                raise ValueError(f"unknown country {args.country!r}; known: {', '.join(sorted(content.countries))}")
            write_card(url, card_text(content, args.target, locale, country, web=bool(args.web)), Path(args.card))
    except ValueError as exc:
        print(f"hrbot link: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"hrbot link: cannot write the file: {exc.strerror}", file=sys.stderr)
        return 1
    except HrbotError as exc:  # StorageError, ConfigError: class and code only, never a password
        print(f"hrbot link: cannot declare the campaign: {exc}", file=sys.stderr)
        return 1
    print(url)
    return 0


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return lines


def cmd_stats(args: argparse.Namespace) -> int:
    import asyncio
    import csv
    from datetime import date

    from .storage import StorageError, is_postgres, open_store, sqlite_path

    if args.since is not None:
        try:
            date.fromisoformat(args.since)
        except ValueError:
            print(f"hrbot stats: --since wants a day as YYYY-MM-DD, not {args.since!r}", file=sys.stderr)
            return 2
    try:
        database = str(resolve("database", args.database, os.environ))
    except ConfigError as exc:
        print(f"hrbot stats: {exc}", file=sys.stderr)
        return 2
    if not is_postgres(database) and database != "memory" and not sqlite_path(database).is_file():
        print(f"hrbot stats: no database at {sqlite_path(database)} (give --database or DATABASE_URL)", file=sys.stderr)
        return 1

    async def read() -> list:
        store = open_store(database, retry_interval=0)
        try:
            if args.unanswered:
                return await store.unanswered(args.since)
            return await store.counters(args.since)
        finally:
            await store.close()

    try:
        found = asyncio.run(read())
    except (StorageError, ConfigError) as exc:  # never carry a password or user data
        print(f"hrbot stats: {exc}", file=sys.stderr)
        return 1
    if args.chart and not args.unanswered:
        from .chart import write_chart

        try:
            drawn = write_chart(found, Path(args.chart), by=args.by)
        except ValueError as exc:
            print(f"hrbot stats: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"hrbot stats: cannot write the chart: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"chart: {args.chart} ({drawn} line(s) by {args.by})", file=sys.stderr)
    if args.unanswered:
        header: tuple[str, ...] = ("count", "first", "last", "text")
        rows: list[tuple[str, ...]] = [(str(u.count), u.first, u.last, u.text) for u in found]
    else:
        header = ("day", "locale", "target", "campaign", "count")
        rows = [(k.day, k.locale, k.target, k.campaign, str(n)) for k, n in found]
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return 0
    if not rows:
        print("no unanswered questions kept" if args.unanswered else "no counts yet")
        return 0
    if args.unanswered:
        print("\n".join(_table(header, rows, right=(0,))))
    else:
        total = sum(n for _, n in found)
        print("\n".join(_table(header, [*rows, ("total", "", "", "", str(total))], right=(4,))))
    return 0


def cmd_new_locale(args: argparse.Namespace) -> int:
    from .newlocale import create_locale

    try:
        written = create_locale(Path(args.content), args.code, args.name or args.code, args.source)
    except ValueError as exc:
        print(f"hrbot new-locale: {exc}", file=sys.stderr)
        return 2
    print(f"created knowledge/{args.code}/ ({len(written)} files), every text marked TRANSLATE:")
    print(f"next: translate them, add '{args.code}:' texts and triggers to dialogues/*.yaml,")
    print(f"      and run `hrbot validate --locale {args.code}` to see what is still missing")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hrbot", description="An anonymous harm reduction chatbot.")
    parser.add_argument("--version", action="version", version=f"hrbot {__version__}")
    parser.add_argument("--content", default=str(default_root()), help="folder holding knowledge/ and dialogues/ (env HRBOT_CONTENT)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("chat", help="talk to the bot in the terminal (buttons shown as numbers)")
    p.add_argument("--locale", help="language hint when none is chosen, e.g. ru")
    p.add_argument("--database", metavar="PATH|URL", help="keep the session and counters there (default: in memory, gone on quit)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("validate", help="check all content; prints file:line: message for each problem")
    p.add_argument("--locale", help="report only what concerns this locale")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("match", help="read questions on stdin, print one JSON decision per line")
    p.add_argument("--locale", help="force a locale instead of detecting it from the text")
    p.add_argument("--explain", action="store_true", help="add why: readings, rule hits, the top targets with probabilities")
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("eval", help="measure matching on a labelled JSONL file")
    p.add_argument("file", nargs="?", help="JSONL with {text, locale, expect} per line")
    p.add_argument("--cv", type=int, metavar="K", help="instead: K-fold cross-validation over the content's own phrasings")
    p.add_argument("--long", action="store_true", help="with --cv: also ask each held-out phrasing inside a long message")
    p.add_argument("--latin", action="store_true", help="with --cv: also ask each held-out Russian and Ukrainian phrasing in Latin letters")
    p.add_argument(
        "--misses",
        action="store_true",
        help="with --cv: also list the held-out phrasings that missed (content, not eval data)",
    )
    p.add_argument(
        "--summary", action="store_true", help="with FILE: the figures only, not the lines missed (reading a blind set's misses spends it)"
    )
    p.add_argument("--min-accuracy", type=float, default=0.0, help="exit 1 if overall accuracy is below this (0-1)")
    p.add_argument("--min-emergency-recall", type=float, default=1.0, help="exit 1 if any locale's emergency recall is below")
    p.add_argument("--max-false-emergency", type=float, default=0.02, help="exit 1 if false emergencies exceed this share")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("link", help="print the deep link that opens a topic or flow; write its QR code or a card")
    p.add_argument("target", help="an entry or flow id, e.g. naloxone or combo-check")
    p.add_argument("--campaign", help="a name to count this link's use by (letters, digits, -)")
    p.add_argument("--declare", action="store_true", help="declare the campaign in the database, so it is counted by name")
    p.add_argument(
        "--database",
        default=os.environ.get("DATABASE_URL", "data/hrbot.db"),
        help="where --declare writes: SQLite path or postgresql:// URL (env DATABASE_URL; default data/hrbot.db)",
    )
    p.add_argument("--bot", help="the bot's username (env TELEGRAM_BOT_USERNAME)")
    p.add_argument("--web", metavar="URL", help="link to the web chat at URL (`hrbot web`) instead of Telegram")
    p.add_argument("--qr", metavar="FILE.png|svg", help="write the QR code")
    p.add_argument("--card", metavar="FILE.pdf|png", help="write a printable card")
    p.add_argument("--locale", help="language of the card's title and text")
    p.add_argument("--country", metavar="XX", help="print this country's emergency number on the card (default: the locale's)")
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("new-locale", help="create the files of a new language, every text marked to translate")
    p.add_argument("code", help="the locale code, e.g. uk")
    p.add_argument("--name", help="the language's own name, e.g. Українська")
    p.add_argument("--from", dest="source", default="en", help="the locale to copy from (default en)")
    p.set_defaults(func=cmd_new_locale)

    p = sub.add_parser("test-conversations", help="run YAML conversation transcripts (default: tests/conversations/)")
    p.add_argument("paths", nargs="*", help="transcript files or folders")
    p.set_defaults(func=cmd_test_conversations)

    p = sub.add_parser(
        "run",
        help="run the Telegram bot (long polling; --webhook URL for webhook mode); needs TELEGRAM_BOT_TOKEN",
        description="Run the Telegram bot. The token comes from TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_TOKEN_FILE, never from a flag. "
        "Every flag has an environment variable; the flag wins.",
    )
    for option in OPTIONS:  # flags, variables and defaults are written once, in bot.settings
        if option.switch:
            p.add_argument(option.flag, dest=option.field, action="store_true", default=None, help=option.describe())
        else:
            p.add_argument(option.flag, dest=option.field, metavar=option.metavar, help=option.describe())
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "web",
        help="serve the web chat (a page and a JSON API on the same conversation service)",
        description="Serve the web chat. Put it behind a reverse proxy with HTTPS; nothing typed and no address is logged.",
    )
    p.add_argument("--listen", default="127.0.0.1", metavar="ADDRESS", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8080, metavar="PORT", help="port to bind (default 8080; 0: any free port)")
    database, ttl = BY_FIELD["database"], BY_FIELD["session_ttl"]
    p.add_argument("--database", metavar=database.metavar, default=database.default, help=database.describe())
    p.add_argument("--session-ttl", type=_duration, default=ttl.default, metavar="DURATION", help=ttl.describe())
    p.add_argument("--keep-unanswered", action="store_true", help=BY_FIELD["keep_unanswered"].describe())
    p.add_argument(
        "--frame-ancestors",
        default="'none'",
        metavar="ORIGINS",
        type=_origins,
        help="sites that may embed the chat in an iframe, space-separated https origins (default: none)",
    )
    p.add_argument("--log-level", type=_level, default="INFO", metavar="LEVEL", help=BY_FIELD["log_level"].describe())
    p.set_defaults(func=cmd_web)

    p = sub.add_parser("stats", help="aggregate counts (day, locale, topic or flow, campaign) as a table")
    p.add_argument("--database", metavar=BY_FIELD["database"].metavar, help=BY_FIELD["database"].describe())
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only days from this one on")
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.add_argument("--unanswered", action="store_true", help="list the kept unanswered questions instead (if collecting is on)")
    p.add_argument("--chart", metavar="FILE.png|svg", help="also draw use over time as a line chart")
    p.add_argument("--by", choices=("target", "campaign"), default="target", help="one chart line per topic/flow or per campaign")
    p.set_defaults(func=cmd_stats)
    return parser


def _checked(parse: Callable[[str], Any], check: Callable[[Any], str | None] | None = None) -> Callable[[str], Any]:
    """An argparse type from a bot.settings parser and check: a bad value is one line, exit 2."""

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except (ValueError, ConfigError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        problem = check(value) if check else None
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    return convert


def _port(text: str) -> int:
    return _checked(parse_int, lambda v: None if 0 <= v <= 65535 else "must be between 0 and 65535")(text)


def _duration(text: str) -> float:
    return _checked(parse_duration, BY_FIELD["session_ttl"].check)(text)


def _level(text: str) -> str:
    return _checked(parse_level)(text)


def _origins(text: str) -> str:
    parts = text.split()
    if text.strip() in ("'none'", "none"):
        return "'none'"
    if not parts or not all(re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d{1,5})?", p) for p in parts):
        raise argparse.ArgumentTypeError("give https origins such as https://service.example.org, or 'none'")
    return " ".join(parts)


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
