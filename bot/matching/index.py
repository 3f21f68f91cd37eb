"""The match index: built once from the content, then asked per message. Nothing here touches files.

A message is analysed into canonical stems (see normalise.py) and then checked, in order, for:
an emergency (trigger phrases whose words all appear), a combination (two substances and no contrast word),
and the best knowledge entry or flow (IDF-weighted overlap with the example questions and keywords).
Every result carries its score, so a decision can be explained and tested.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from ..content import Content
from .normalise import Analyzer, basic_tokens

# Decision thresholds, tuned on the dev set as a whole (see `hrbot eval`), not on single lines.
ANSWER_MIN = 0.38  # below this: fallback
CLARIFY_MIN = 0.30  # a candidate below this is never offered
MARGIN = 0.04  # the best must lead the runner-up by this much, or we ask which one was meant
MAX_CANDIDATES = 3
# Score = weighted sum of: the best single phrasing (cosine), how much of the message the target's whole
# vocabulary explains (coverage), and how much of it the target's title explains (topicality).
W_PHRASE, W_COVER, W_TITLE = 0.6, 0.4, 0.2
SIGNAL_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class Decision:
    kind: str  # emergency | flow | answer | combo | clarify | fallback
    locale: str
    id: str | None = None
    score: float = 0.0
    candidates: tuple[str, ...] = ()
    substances: tuple[str, ...] = ()
    risk: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"locale": self.locale, "kind": self.kind, "id": self.id, "score": round(self.score, 3)}
        if self.kind == "combo":
            out["substances"] = list(self.substances)
            out["risk"] = self.risk
        if self.kind == "clarify":
            out["candidates"] = list(self.candidates)
        return out


@dataclass(slots=True)
class _Target:
    kind: str  # answer | flow
    id: str
    phrasings: list[frozenset[str]] = field(default_factory=list)
    norms: list[float] = field(default_factory=list)
    vocab: set[str] = field(default_factory=set)
    title: frozenset[str] = frozenset()


@dataclass(slots=True)
class _LocaleIndex:
    analyzer: Analyzer
    targets: list[_Target]
    weights: dict[str, float]
    unknown_weight: float
    postings: dict[str, list[tuple[int, int]]]
    triggers: list[tuple[str, frozenset[str], float]]  # (flow id, stems, weight)
    signals: dict[str, tuple[frozenset[str], ...]]  # flow -> phrases (all words must appear)
    emergency_order: dict[str, int]
    aliases: dict[tuple[str, ...], str]  # analysed alias -> substance id
    unless: dict[str, frozenset[str]]
    max_alias: int
    mixing: tuple[tuple[str, ...], ...]  # surface word sequences
    connectors: tuple[tuple[str, ...], ...]
    contrast: tuple[tuple[str, ...], ...]
    general: tuple[tuple[str, ...], ...]
    urgent: tuple[tuple[str, ...], ...]
    stop_words: frozenset[str]  # typed words that leave a flow


class MatchIndex:
    def __init__(self, content: Content) -> None:
        self.content = content
        self.locales: dict[str, _LocaleIndex] = {code: self._build(content, code) for code in content.locales}

    # --- building ---------------------------------------------------------------------------------------

    @staticmethod
    def _build(content: Content, code: str) -> _LocaleIndex:
        pack = content.locales[code]
        analyzer = Analyzer(code, pack.stopwords, pack.synonyms)
        flows = [f for f in content.flows.values() if not f.emergency]
        texts: list[str] = []
        for entry in pack.entries.values():
            texts.extend((entry.title, *entry.questions, *entry.keywords))
        for flow in content.flows.values():
            texts.extend(t.phrase for t in flow.triggers.get(code, ()))
            texts.extend(flow.signals.get(code, ()))
        for names in pack.substances.values():
            texts.extend(names.aliases)
        analyzer.learn(texts)
        analyzer.freeze()

        targets: list[_Target] = []
        for entry in pack.entries.values():
            t = _Target("answer", entry.id, title=frozenset(analyzer.analyse(entry.title)))
            for text in (entry.title, *entry.questions, *entry.keywords):
                stems = frozenset(analyzer.analyse(text))
                if stems:
                    t.phrasings.append(stems)
            targets.append(t)
        for flow in flows:
            t = _Target("flow", flow.id, title=frozenset(analyzer.analyse(flow.title.get(code, ""))))
            for trig in flow.triggers.get(code, ()):
                stems = frozenset(analyzer.analyse(trig.phrase))
                if stems:
                    t.phrasings.append(stems)
            targets.append(t)
        df: dict[str, int] = defaultdict(int)
        for t in targets:
            t.vocab = set().union(*t.phrasings) if t.phrasings else set()
            for stem in t.vocab:
                df[stem] += 1
        n = max(len(targets), 1)
        weights = {stem: math.log(1 + n / d) for stem, d in df.items()}
        unknown_weight = math.log(1 + n)
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for ti, t in enumerate(targets):
            for pi, phr in enumerate(t.phrasings):
                t.norms.append(math.sqrt(sum(weights[s] ** 2 for s in phr)))
                for stem in phr:
                    postings[stem].append((ti, pi))

        triggers: list[tuple[str, frozenset[str], float]] = []
        signals: dict[str, tuple[frozenset[str], ...]] = {}
        order: dict[str, int] = {}
        emergencies = [f for f in content.flows.values() if f.emergency]
        rank = {fid: i for i, fid in enumerate(content.topics.emergency)}
        for flow in emergencies:
            order[flow.id] = rank.get(flow.id, len(rank))
            for trig in flow.triggers.get(code, ()):
                stems = frozenset(analyzer.analyse(trig.phrase))
                if stems:
                    triggers.append((flow.id, stems, trig.weight))
            signals[flow.id] = tuple(frozenset(st) for text in flow.signals.get(code, ()) if (st := analyzer.analyse(text)))

        aliases: dict[tuple[str, ...], str] = {}
        unless: dict[str, frozenset[str]] = {}
        for sid, names in pack.substances.items():
            for alias in (sid, names.name, *names.aliases):
                key = analyzer.analyse(alias)
                if key and key not in aliases:
                    aliases[key] = sid
            unless[sid] = frozenset(s for text in names.unless for s in analyzer.analyse(text))
        max_alias = max((len(k) for k in aliases), default=1)

        def words(key: str) -> tuple[tuple[str, ...], ...]:
            return tuple(t for w in pack.strings.get(key, "").split(",") if (t := tuple(basic_tokens(w))))

        return _LocaleIndex(
            analyzer,
            targets,
            weights,
            unknown_weight,
            dict(postings),
            triggers,
            signals,
            order,
            aliases,
            unless,
            max_alias,
            words("match_mixing_words"),
            words("match_connector_words"),
            words("match_contrast_words"),
            words("match_general_words"),
            words("match_urgent_words"),
            frozenset(" ".join(w) for w in words("stop_words")),
        )

    # --- asking -----------------------------------------------------------------------------------------

    def detect_locale(self, text: str, default: str) -> str:
        tokens = basic_tokens(text)
        letters = "".join(tokens)
        cyr = sum("а" <= ch <= "я" or ch in "іїєґ" for ch in letters)
        lat = sum("a" <= ch <= "z" for ch in letters)
        if cyr > lat:
            # Letters only one of the two languages has decide; otherwise keep a Cyrillic default (the person's
            # hint or last language), since most short messages read the same in both.
            if any(ch in "іїєґ" for ch in letters) and "uk" in self.locales:
                return "uk"
            if any(ch in "ыэъ" for ch in letters) and "ru" in self.locales:
                return "ru"
            if default in ("ru", "uk"):
                return default
            return "ru" if "ru" in self.locales else default
        if lat == 0:
            return default
        best, best_share = default, -1.0
        for code, li in self.locales.items():
            share = li.analyzer.known_share(text)
            if share > best_share + 0.25 or (code == default and share >= best_share):
                best, best_share = code, share
        return best

    def is_stop_word(self, text: str, locale: str) -> bool:
        """A message that is only a word such as "stop" or "стоп" (parsed once at load)."""
        return " ".join(basic_tokens(text)) in self.locales[locale].stop_words

    def emergency(self, text: str, locale: str) -> tuple[str | None, float]:
        li = self.locales[locale]
        stems = set(li.analyzer.analyse(text))
        return self._emergency(li, stems, self._damping(li, text))

    @staticmethod
    def _has(phrases: tuple[tuple[str, ...], ...], padded: str) -> bool:
        return any(f" {' '.join(p)} " in padded for p in phrases)

    def _damping(self, li: _LocaleIndex, text: str) -> float:
        """A general question ("can meth cause a stroke") about nobody in particular weighs emergency signs half;
        any sign of a person or of urgency ("he", "my friend", "help", "now") keeps them whole."""
        padded = " " + " ".join(basic_tokens(text)) + " "
        if self._has(li.general, padded) and not self._has(li.urgent, padded):
            return 0.5
        return 1.0

    @staticmethod
    def _emergency(li: _LocaleIndex, stems: set[str], damping: float = 1.0) -> tuple[str | None, float]:
        """Sum the weights of the triggers whose words all appear; 1 or more is an emergency.

        Within a flow, a trigger equal to or inside another one that also fired is not counted twice ("wont
        wake" and "wont wake up"). The flow is then chosen by the evidence only it has (triggers no other flow shares,
        and its signals, up to two), so a sign common to several emergencies does not decide which one it is.
        """
        fired: dict[str, list[tuple[frozenset[str], float]]] = defaultdict(list)
        for fid, need, weight in li.triggers:
            if need <= stems:
                fired[fid].append((need, weight))
        if not fired:
            return None, 0.0
        totals: dict[str, float] = {}
        kept: dict[str, list[frozenset[str]]] = {}
        for fid, hits in fired.items():
            hits.sort(key=lambda h: -len(h[0]))
            keep: list[tuple[frozenset[str], float]] = []
            for need, weight in hits:
                if not any(need <= other for other, _ in keep):
                    keep.append((need, weight))
            totals[fid] = damping * sum(w for _, w in keep)
            kept[fid] = [need for need, _ in keep]
        if max(totals.values()) < 1.0:
            return None, 0.0
        # A sign is shared when another flow fired the very same words (even if that flow's longer trigger
        # also fired); only unshared signs, each counted once, and signals decide between flows.
        owners: dict[frozenset[str], int] = defaultdict(int)
        for hits in fired.values():
            for need in {need for need, _ in hits}:
                owners[need] += 1
        choice: dict[str, float] = {}
        for fid, hits in fired.items():
            weight_of: dict[frozenset[str], float] = {}
            for need, w in hits:
                weight_of[need] = max(w, weight_of.get(need, 0.0))
            unique = sum(weight_of[need] for need in set(kept[fid]) if owners[need] == 1)
            signal = SIGNAL_WEIGHT * min(2, len({sig for sig in li.signals.get(fid, ()) if sig <= stems}))
            choice[fid] = unique + signal
        best = max(totals, key=lambda f: (choice[f], totals[f] >= 1.0, totals[f], -li.emergency_order.get(f, 99)))
        return best, totals[best]

    def substances(self, text: str, locale: str) -> list[str]:
        li = self.locales[locale]
        return self._substances(li, li.analyzer.analyse(text))

    @staticmethod
    def _substances(li: _LocaleIndex, stems: tuple[str, ...]) -> list[str]:
        found: list[str] = []
        present = set(stems)
        i, n = 0, len(stems)
        while i < n:
            for size in range(min(li.max_alias, n - i), 0, -1):
                sid = li.aliases.get(stems[i : i + size])
                if sid is not None:
                    if sid not in found and not (li.unless.get(sid, frozenset()) & present):
                        found.append(sid)
                    i += size
                    break
            else:
                i += 1
        return found

    def _mixing_intent(self, li: _LocaleIndex, text: str) -> bool:
        """Two substances are a combo question when joined as a mix ("with", "and", "on"), not compared ("X or Y",
        "difference between X and Y"), or when the message is little more than the two names ("xanax alcohol?").
        A contrast word only compares when a substance follows it: "X and Y, or is that dumb" still mixes."""
        tokens = basic_tokens(text)
        padded = " " + " ".join(tokens) + " "
        if self._has(li.mixing, padded):
            return True
        for phrase in li.contrast:
            size = len(phrase)
            for k in range(len(tokens) - size + 1):
                if tuple(tokens[k : k + size]) == phrase:
                    rest = " ".join(tokens[k + size :])
                    if self._substances(li, li.analyzer.analyse(rest)):
                        return False
        return self._has(li.connectors, padded) or len(tokens) <= 3

    def _rank(self, li: _LocaleIndex, stems: tuple[str, ...]) -> list[tuple[float, int]]:
        query = set(stems)
        if not query:
            return []
        w = {s: li.weights.get(s, li.unknown_weight) for s in query}
        qnorm2 = sum(v * v for v in w.values())
        qnorm = math.sqrt(qnorm2)
        dots: dict[tuple[int, int], float] = defaultdict(float)
        covered: dict[int, set[str]] = defaultdict(set)
        for s in query:
            for ti, pi in li.postings.get(s, ()):
                dots[(ti, pi)] += w[s] * w[s]
                covered[ti].add(s)
        best_sim: dict[int, float] = defaultdict(float)
        for (ti, pi), dot in dots.items():
            sim = dot / (qnorm * li.targets[ti].norms[pi])
            if sim > best_sim[ti]:
                best_sim[ti] = sim
        scored = []
        for ti, sim in best_sim.items():
            cov = sum(w[s] * w[s] for s in covered[ti]) / qnorm2
            title = sum(w[s] * w[s] for s in li.targets[ti].title & query) / qnorm2
            scored.append((W_PHRASE * sim + W_COVER * cov + W_TITLE * title, ti))
        scored.sort(reverse=True)
        return scored

    def classify(self, text: str, locale: str | None = None, *, default_locale: str = "en") -> Decision:
        """Route a free-text message: emergency > combo > best match > clarify > fallback."""
        code = locale if locale in self.locales else self.detect_locale(text, default_locale)
        li = self.locales[code]
        stems = li.analyzer.analyse(text)
        stem_set = set(stems)
        fid, escore = self._emergency(li, stem_set, self._damping(li, text))
        if fid is not None:
            return Decision("emergency", code, fid, escore)
        subs = self._substances(li, stems)
        if len(subs) >= 2 and self._mixing_intent(li, text):
            a, b = sorted(subs[:2])
            combo = self.content.combo(a, b)
            return Decision("combo", code, None, 1.0, substances=(a, b), risk=combo.risk if combo else None)
        ranked = self._rank(li, stems)
        if not ranked or ranked[0][0] < CLARIFY_MIN:
            return Decision("fallback", code, None, ranked[0][0] if ranked else 0.0)
        top, ti = ranked[0]
        close = [li.targets[t].id for s, t in ranked[:MAX_CANDIDATES] if s >= CLARIFY_MIN and top - s < MARGIN]
        if top >= ANSWER_MIN and len(close) == 1:
            target = li.targets[ti]
            return Decision(target.kind, code, target.id, top)
        if len(close) == 1:
            return Decision("fallback", code, None, top)
        return Decision("clarify", code, None, top, candidates=tuple(close))

    def explain(self, text: str, locale: str) -> list[tuple[str, float]]:
        li = self.locales[locale]
        return [(li.targets[ti].id, round(s, 3)) for s, ti in self._rank(li, li.analyzer.analyse(text))[:8]]
