"""Measure the matcher on a labelled JSONL file: accuracy per kind and locale, emergency recall, misses."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .content import Content
from .matching import Decision, MatchIndex


@dataclass(slots=True)
class Case:
    line: int
    text: str
    locale: str
    expect: dict
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class Report:
    total: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    right: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    emergency_total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    emergency_caught: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    non_emergency_total: int = 0
    false_emergency: int = 0
    misses: list[tuple[Case, Decision]] = field(default_factory=list)
    tags: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # tag -> [right, total]

    def accuracy(self, locale: str | None = None, kind: str | None = None) -> float:
        keys = [k for k in self.total if (locale is None or k[1] == locale) and (kind is None or k[0] == kind)]
        total = sum(self.total[k] for k in keys)
        return sum(self.right[k] for k in keys) / total if total else 1.0

    def emergency_recall(self, locale: str | None = None) -> float:
        locs = [locale] if locale else list(self.emergency_total)
        total = sum(self.emergency_total[loc] for loc in locs)
        return sum(self.emergency_caught[loc] for loc in locs) / total if total else 1.0

    def false_emergency_rate(self) -> float:
        return self.false_emergency / self.non_emergency_total if self.non_emergency_total else 0.0


def read_cases(path: Path) -> list[Case]:
    cases = []
    with path.open(encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                cases.append(Case(n, data["text"], data.get("locale", "en"), data["expect"], tuple(data.get("tags") or ())))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not an evaluation line ({exc.__class__.__name__})") from None
    return cases


def is_right(expect: dict, got: Decision) -> bool:
    kind = expect.get("kind")
    if got.kind != kind:
        return False
    if kind in ("emergency", "flow", "answer", "smalltalk"):
        return got.id == expect.get("id")
    if kind == "combo":
        return sorted(got.substances) == sorted(expect.get("substances", []))
    if kind == "clarify":
        return set(expect.get("candidates", [])) <= set(got.candidates)
    return True


def evaluate(index: MatchIndex, cases: list[Case], default_locale: str = "en") -> Report:
    report = Report()
    for case in cases:
        _score(report, case, index.classify(case.text, None, default_locale=default_locale))
    return report


def _score(report: Report, case: Case, got: Decision) -> None:
    kind = case.expect.get("kind", "?")
    key = (kind, case.locale)
    report.total[key] += 1
    right = is_right(case.expect, got)
    for tag in case.tags:
        report.tags[tag][0] += right
        report.tags[tag][1] += 1
    if right:
        report.right[key] += 1
    else:
        report.misses.append((case, got))
    if kind == "emergency":
        report.emergency_total[case.locale] += 1
        report.emergency_caught[case.locale] += got.kind == "emergency"
    else:
        report.non_emergency_total += 1
        report.false_emergency += got.kind == "emergency"


def format_report(report: Report) -> str:
    locales = sorted({loc for _, loc in report.total})
    kinds = ["emergency", "flow", "answer", "combo", "clarify", "smalltalk", "fallback"]
    kinds += sorted({k for k, _ in report.total} - set(kinds))
    width = max(9, *(len(k) for k in kinds))
    lines = [f"{'kind':<{width}}  " + "  ".join(f"{loc:>14}" for loc in locales)]
    for kind in kinds:
        cells = []
        for loc in locales:
            n = report.total.get((kind, loc), 0)
            cells.append(f"{report.right.get((kind, loc), 0):>4}/{n:<4} {report.accuracy(loc, kind):>4.0%}" if n else f"{'-':>14}")
        lines.append(f"{kind:<{width}}  " + "  ".join(cells))
    cells = []
    for loc in locales:
        n = sum(v for (k, lo), v in report.total.items() if lo == loc)
        r = sum(v for (k, lo), v in report.right.items() if lo == loc)
        cells.append(f"{r:>4}/{n:<4} {report.accuracy(loc):>4.0%}")
    lines.append(f"{'all':<{width}}  " + "  ".join(cells))
    lines.append("")
    for loc in locales:
        lines.append(f"emergency recall {loc}: {report.emergency_recall(loc):.1%}")
    lines.append(f"false emergencies: {report.false_emergency}/{report.non_emergency_total} ({report.false_emergency_rate():.1%})")
    lines.append(f"accuracy overall: {report.accuracy():.1%}")
    for tag, (right, total) in sorted(report.tags.items()):
        lines.append(f"tag {tag}: {right}/{total} ({right / total:.0%})")
    if report.misses:
        lines.append("")
        lines.append(f"misses ({len(report.misses)}):")
        for case, got in report.misses:
            want = case.expect.get("id") or case.expect.get("substances") or case.expect.get("candidates") or ""
            have = got.id or (list(got.substances) if got.substances else "") or (list(got.candidates) if got.candidates else "")
            lines.append(
                f"  line {case.line} [{case.locale}] want {case.expect.get('kind')} {want} got {got.kind} {have} "
                f"({got.score:.2f}): {case.text}"
            )
    return "\n".join(lines)


def cross_validate(
    content: Content,
    folds: int = 5,
    *,
    progress: Callable[[str], None] | None = None,
    context: Mapping[str, Sequence[str]] | None = None,
    latin: bool = False,
) -> tuple[Report, Report | None, Report | None]:
    """k-fold cross-validation over the content's own phrasings: each phrasing is held out once, the model and the
    emergency rule net are built from the others, and the held-out phrasing must reach its own target.

    With `context` (see `long_context`), each held-out phrasing is also asked inside a long message: a few
    sentences of background before it and maybe one after, as people write; that second report measures how the
    question is found in a long message. With `latin`, each held-out Russian and Ukrainian phrasing is also asked
    in Latin letters (see `to_latin`), with no locale to go by: the third report measures transliterated reading.

    This is the figure to tune by; evaluation sets are only scored (see DEVELOPERS.md on honest figures)."""
    texts = MatchIndex.training_texts_of(content)
    fold_of = [int(hashlib.sha256(f"{label}|{code}|{text}".encode()).hexdigest(), 16) % folds for label, code, text in texts]
    report = Report()
    long_report = Report() if context is not None else None
    latin_report = Report() if latin else None
    for k in range(folds):
        held = [(label, code, text) for (label, code, text), f in zip(texts, fold_of, strict=True) if f == k]
        if progress:
            progress(f"fold {k + 1}/{folds}: {len(held)} phrasings held out")
        index = MatchIndex(content, cache=False, exclude=frozenset((code, text) for _, code, text in held))
        for n, (label, code, text) in enumerate(held):
            kind, _, target = label.partition(":")
            if kind == "background":  # taught as "no topic", not a question to answer
                continue
            expect = {"kind": kind, "id": target}
            _score(report, Case(n, text, code, expect), index.classify(text, None, default_locale=code))
            if long_report is not None and context is not None and context.get(code):
                wrapped = wrap_in_context(text, code, context)
                _score(long_report, Case(n, wrapped, code, expect), index.classify(wrapped, None, default_locale=code))
            if latin_report is not None and code in LATIN_SPELLINGS and (typed := to_latin(text, code)) != text.lower():
                _score(latin_report, Case(n, typed, code, expect), index.classify(typed, None, default_locale="en"))
    return report, long_report, latin_report


# How people spell Russian and Ukrainian letters on a Latin keyboard, a few ways each. One message keeps one habit
# (chosen by its hash), as a person does. Written apart from bot/matching/translit.py, which reads them back, so
# the measure does not only echo the reader's own table: "j" or "z" for ж, "u" for ю, "i" for й are here too.
_LATIN_COMMON = {
    "а": ("a",), "б": ("b",), "в": ("v",), "д": ("d",), "е": ("e",), "з": ("z",), "к": ("k",), "л": ("l",),
    "м": ("m",), "н": ("n",), "о": ("o",), "п": ("p",), "р": ("r",), "с": ("s",), "т": ("t",), "у": ("u",),
    "ф": ("f",), "ж": ("zh", "zh", "j", "z"), "й": ("y", "j", "i", "y"), "х": ("h", "kh", "x", "h"),
    "ц": ("c", "ts", "tc", "ts"), "ч": ("ch", "ch", "4", "ch"), "ш": ("sh", "sh", "w", "6"),
    "щ": ("sch", "sh", "shch", "sch"), "ь": ("", "'", "", ""), "ю": ("yu", "ju", "u", "yu"),
    "я": ("ya", "ja", "ia", "ya"), "ъ": ("", "'", "", ""), "'": ("", "'", "", ""), "’": ("", "'", "", ""),
}  # fmt: skip
LATIN_SPELLINGS = {
    "ru": {**_LATIN_COMMON, "г": ("g",), "и": ("i",), "ы": ("y", "i", "y", "y"), "э": ("e",), "ё": ("yo", "e", "jo", "e")},
    "uk": {**_LATIN_COMMON, "г": ("h", "g", "h", "h"), "ґ": ("g",), "и": ("y", "i", "y", "y"), "і": ("i",),
           "ї": ("yi", "i", "ji", "yi"), "є": ("ye", "e", "je", "ie")},
}  # fmt: skip


def to_latin(text: str, code: str) -> str:
    """`text` (lower-cased) as someone without a Cyrillic keyboard might type it: each letter group's spelling
    picked by the text's hash, so one message keeps one habit and every run asks the same text."""
    table = LATIN_SPELLINGS[code]
    h = int(hashlib.sha256(f"latin|{code}|{text}".encode()).hexdigest(), 16)
    habit = {ch: ways[(h >> (2 * i)) % len(ways)] for i, (ch, ways) in enumerate(sorted(table.items()))}
    return "".join(habit.get(ch, ch) for ch in text.lower())


def long_context() -> dict[str, list[str]]:
    """The background sentences of evaluation_context.yaml, per locale ("en", and "en_after" for the end)."""
    import yaml

    data = yaml.safe_load((Path(__file__).with_name("evaluation_context.yaml")).read_text(encoding="utf-8"))
    return {str(k): [str(v) for v in vs] for k, vs in data.items()}


def wrap_in_context(text: str, code: str, context: Mapping[str, Sequence[str]]) -> str:
    """The phrasing with one to three background sentences before it and, one time in two, one after; chosen by
    the phrasing's hash, so every run asks the same long messages."""
    before, after = context.get(code, ()), context.get(f"{code}_after", ())
    h = int(hashlib.sha256(f"{code}|{text}".encode()).hexdigest(), 16)
    picked = [before[(h >> (8 * i)) % len(before)] for i in range(1 + h % 3)]
    parts = [*dict.fromkeys(picked), text]
    if after and (h >> 40) % 2:
        parts.append(after[(h >> 48) % len(after)])
    return ". ".join(parts)
