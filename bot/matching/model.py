"""The learned part of understanding: which entry, flow, emergency or small talk a message is about.

Trained on the content's own phrasings (entry questions, keywords and titles, flow triggers and signals, small
talk phrasings) of every locale at once, so a Ukrainian message also meets the Russian phrasings and a
transliterated one the Cyrillic. Features are TF-IDF weights of analysed words, word pairs, the substances the
lexicon found, and character n-grams of the folded words (typos, inflections, transliteration). The model is a
multinomial logistic regression (scikit-learn) with a naive Bayes model's probabilities mixed in (NB_SHARE), so
every decision carries a probability.

Asking the model is a few dictionary look-ups and one gather over the weight matrix: scikit-learn is imported
only to train. A trained model is cached by the hash of what it was trained on (numpy arrays, no pickle; see bot/cache.py);
a cache that does not check out is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..cache import cache_dir, open_private, prune, used, write_atomic

MODEL_VERSION = 14  # bump whenever the analysis of a text changes: the cache key holds the texts, not this code
C_REGULARISATION = 20.0  # --cv 5: 20: 65.6%, 40: 66.7%, 160: 67.1%; above 20 the model grows too sure to ask "which one?"
SAGA_PASSES = 30
ALARM_C = 10.0  # the binary emergency model's regularisation
CHAR_NGRAMS = (3, 4, 5)
# Beside the logistic regression, a multinomial naive Bayes over the same features, its probabilities mixed in at
# this share (--cv 5: 72.8% alone; with naive Bayes at 0.1: 73.7%, 0.2: 73.8%, 0.3: 73.5%; a uniform
# distribution mixed in at 0.2 instead gives 72.2%, so it is what naive Bayes knows, not the smoothing).
NB_SHARE = 0.2
NB_ALPHA = 0.03  # --cv 5 at 0.2: 0.01: 73.4% (at 0.3), 0.03: 73.8%, 0.1: 73.4% (at 0.3)


@dataclass(frozen=True, slots=True)
class Example:
    label: str  # the target id: an entry, flow, emergency flow or small talk id
    keys: tuple[str, ...]  # features of the phrasing (see `feature_keys`)


def feature_keys(stems: Sequence[str], surface: Iterable[str], substances: Iterable[str], negated: Iterable[str] = ()) -> list[str]:
    """The features of one reading of a text; the same function runs on content phrasings and on messages."""
    keys = [f"w:{s}" for s in stems]
    keys.extend(f"n:{s}" for s in negated)  # what a negation reaches learns apart: "not breathing" is a sign, "no fit" is not
    keys.extend(f"b:{a}_{b}" for a, b in itertools.pairwise(stems))
    keys.extend(f"s:{sid}" for sid in substances)
    for token in surface:
        keys.extend(_char_keys(token))
    return keys


@lru_cache(maxsize=1 << 16)
def _char_keys(token: str) -> tuple[str, ...]:
    """The character n-gram features of one word: the same few thousand words come again and again."""
    padded = f"<{token}>"
    return tuple(f"c:{padded[i : i + n]}" for n in CHAR_NGRAMS for i in range(max(len(padded) - n + 1, 0)))


class Model:
    # False only in benchmarks of size (bench/engine.py --scale): the logistic regression is not trained, which
    # at 20x content takes most of an hour; the naive Bayes half and every shape are as in use
    logistic = True

    def __init__(
        self,
        labels: Sequence[str],
        vocab: dict[str, int],
        idf: np.ndarray,
        weights: np.ndarray,
        bias: np.ndarray,
        alarm: np.ndarray | None = None,
    ) -> None:
        self.labels = tuple(labels)
        self.vocab = vocab
        self.idf = idf
        # (features, 2 x labels): the logistic regression's weights, then naive Bayes' log probabilities, so
        # one gather gives both models' logits
        self.weights = weights
        self.bias = bias
        # (features + 1): a binary logistic regression of "an emergency flow or not", its bias last (see _fit)
        self.alarm_weights = alarm if alarm is not None else np.concatenate([np.zeros(len(vocab), np.float32), [np.float32(-20.0)]])

    def vector(self, keys: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(map(self.vocab.get, keys))  # both loops in C: a message has a few hundred keys
        counts.pop(None, None)  # not a feature of the model
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        vals = (1.0 + np.log(tf)) * self.idf[idx]
        vals /= float(np.sqrt(np.dot(vals, vals))) or 1.0
        return idx, vals

    def alarm(self, keys: Iterable[str]) -> float:
        """The probability that the text asks for an emergency flow, from the binary model: unlike the emergency
        flows' share of `probabilities`, it is not split with the topics the text also names (a substance)."""
        idx, vals = self.vector(keys)
        z = float(self.alarm_weights[-1]) + (float(vals @ self.alarm_weights[idx]) if len(idx) else 0.0)
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def probabilities(self, keys: Iterable[str]) -> np.ndarray:
        idx, vals = self.vector(keys)
        logits = (self.bias + (vals @ self.weights[idx] if len(idx) else 0.0)).reshape(2, -1)
        # both softmaxes at once (few numpy calls: on ~100 labels each call costs more than its arithmetic)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        share = np.array([1.0 - NB_SHARE, NB_SHARE], dtype=np.float32) / e.sum(axis=1)
        return share @ e

    # --- training -----------------------------------------------------------------------------------------

    @classmethod
    def train(cls, labels: Sequence[str], digest: str, examples: Callable[[], Sequence[Example]], *, cache: bool = True) -> Model:
        """Train on `examples()`, or take the cached model of the same `digest` (see `digest`)."""
        labels = sorted(set(labels))
        if cache and (cached := cls.cached(labels, digest)) is not None:
            return cached
        model = cls._fit(examples(), labels)
        folder = cache_dir() if cache else None
        if folder is not None:
            _save(model, folder / f"model-{digest}.npz")
        return model

    @classmethod
    def cached(cls, labels: Sequence[str], digest: str) -> Model | None:
        """The model `train` saved under `digest`, if the cache has it and it checks out."""
        folder = cache_dir()
        return _load_cached(folder / f"model-{digest}.npz", sorted(set(labels))) if folder is not None else None

    @classmethod
    def _fit(cls, examples: Sequence[Example], labels: list[str]) -> Model:
        from scipy.sparse import csr_matrix
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression  # only training needs scikit-learn (1.5 s to import)

        vocab: dict[str, int] = {}
        df: Counter[int] = Counter()
        rows: list[Counter[int]] = []
        for e in examples:
            counts = Counter(vocab.setdefault(k, len(vocab)) for k in e.keys)
            rows.append(counts)
            df.update(counts.keys())
        n = len(examples)
        idf = np.ones(len(vocab), dtype=np.float32)
        for i, d in df.items():
            idf[i] = math.log((1 + n) / (1 + d)) + 1.0
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for counts in rows:
            vals = np.array([(1.0 + math.log(c)) * idf[i] for i, c in counts.items()], dtype=np.float32)
            norm = float(np.sqrt(np.dot(vals, vals))) or 1.0
            data.extend((vals / norm).tolist())
            indices.extend(counts.keys())
            indptr.append(len(indices))
        x = csr_matrix((data, indices, indptr), shape=(n, len(vocab)), dtype=np.float32)
        label_index = {lab: i for i, lab in enumerate(labels)}
        y = np.array([label_index[e.label] for e in examples])
        n_labels = len(labels)
        weights = np.zeros((len(vocab), 2 * n_labels), dtype=np.float32)
        bias = np.full(2 * n_labels, -1e9, dtype=np.float32)  # a label without examples is never the answer
        if not cls.logistic:  # a benchmark of size only: the logistic half stays flat over the labels seen
            bias[np.unique(y)] = 0.0
            return cls._add_naive_bayes(labels, vocab, idf, weights, bias, x, y)
        # saga stopped early: a few passes are as good under cross-validation as full convergence, at a
        # tenth of the time (lbfgs to convergence takes about 15 s on the shipped content).
        clf = LogisticRegression(C=C_REGULARISATION, solver="saga", max_iter=SAGA_PASSES, tol=1e-2, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(x, y)
        seen = list(clf.classes_)
        alarm = cls._fit_alarm(x, np.array([labels[i].startswith("emergency:") for i in y]), len(vocab))
        if len(seen) == 1:  # one label: nothing to tell apart
            bias[[seen[0], n_labels + seen[0]]] = 0.0
            return cls(labels, vocab, idf, weights, bias, alarm)
        if len(seen) == 2:  # scikit-learn keeps one row for two labels: the second's logit, the first at 0
            weights[:, seen[1]] = clf.coef_[0]
            bias[seen] = (0.0, float(clf.intercept_[0]))
        else:
            weights[:, seen] = clf.coef_.T.astype(np.float32)
            bias[seen] = clf.intercept_.astype(np.float32)
        return cls._add_naive_bayes(labels, vocab, idf, weights, bias, x, y, alarm)

    @staticmethod
    def _fit_alarm(x: object, positive: np.ndarray, n_features: int) -> np.ndarray:
        """The binary emergency model's weights and bias (last), trained on the same features; flat (never an
        alarm) when the examples hold one side only."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        out = np.zeros(n_features + 1, dtype=np.float32)
        out[-1] = -20.0
        if positive.all() or not positive.any():
            return out
        clf = LogisticRegression(C=ALARM_C, solver="saga", max_iter=SAGA_PASSES, tol=1e-2, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(x, positive)
        out[:-1] = clf.coef_[0]
        out[-1] = float(clf.intercept_[0])
        return out

    @classmethod
    def _add_naive_bayes(
        cls,
        labels: list[str],
        vocab: dict[str, int],
        idf: np.ndarray,
        weights: np.ndarray,
        bias: np.ndarray,
        x: object,
        y: np.ndarray,
        alarm: np.ndarray | None = None,
    ) -> Model:
        """Multinomial naive Bayes as scikit-learn's MultinomialNB computes it (log((count + alpha) / (total +
        alpha * features)), log class priors), written straight into the float32 weights from sparse counts:
        MultinomialNB keeps dense float64 counts of labels x features, 27 GB at 20x synthetic content."""
        from scipy.sparse import csc_matrix, csr_matrix

        n_labels = len(labels)
        classes, y_index, class_count = np.unique(y, return_inverse=True, return_counts=True)
        onehot = csr_matrix((np.ones(len(y), dtype=np.float32), (np.arange(len(y)), y_index)), shape=(len(y), len(classes)))
        counts = csc_matrix(x.T @ onehot)  # type: ignore[attr-defined]
        totals = np.asarray(counts.sum(axis=0), dtype=np.float64).ravel()
        n_features = counts.shape[0]
        for k, c in enumerate(classes):
            col = n_labels + int(c)
            norm = math.log(totals[k] + NB_ALPHA * n_features)
            weights[:, col] = math.log(NB_ALPHA) - norm
            start, end = counts.indptr[k], counts.indptr[k + 1]
            rows, found = counts.indices[start:end], counts.data[start:end].astype(np.float64)
            weights[rows, col] = (np.log(found + NB_ALPHA) - norm).astype(np.float32)
            bias[col] = math.log(class_count[k] / len(y))
        return cls(labels, vocab, idf, weights, bias, alarm)


def digest(source: str) -> str:
    """The cache key of everything a model is made from: the content's texts and analysis rules, this code."""
    return hashlib.sha256(f"v{MODEL_VERSION} C{C_REGULARISATION} {SAGA_PASSES} NB{NB_ALPHA}\n{source}".encode()).hexdigest()[:32]


def _map_weights(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """The weights file mapped read-only: no copy is made, and processes serving the same content share the pages.
    Its header must say float32 of exactly `shape`, and its size must be what that takes."""
    f = open_private(path)
    if f is None:
        return None
    with f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            got, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            got, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            return None
        offset = f.tell()
        if got != shape or fortran or dtype != np.dtype(np.float32):
            return None
        if os.fstat(f.fileno()).st_size != offset + shape[0] * shape[1] * 4:
            return None
        if not shape[0] * shape[1]:
            return np.zeros(shape, dtype=np.float32)
        return np.memmap(f, dtype=np.float32, mode="r", offset=offset, shape=shape)  # the mapping outlives the file


def _load_cached(path: Path, labels: list[str]) -> Model | None:
    """The model saved by `_save`: `path` (.npz) holds the vocabulary, labels, idf and bias; the weights, most of
    its size, are a .npy file beside it, mapped rather than read (0.1 s instead of 0.6 s in a cold process)."""
    f = open_private(path)
    if f is None:
        return None
    try:
        with f, np.load(f, allow_pickle=False) as arrays:
            blob = arrays["vocab"]
            keys = blob.tobytes().decode("utf-8").split("\n") if blob.size else []
            got_labels = [str(k) for k in arrays["labels"]]
            idf, bias, alarm = arrays["idf"], arrays["bias"], arrays["alarm"]
        if blob.dtype != np.uint8 or got_labels != labels or idf.shape != (len(keys),) or bias.shape != (2 * len(labels),):
            return None
        if alarm.shape != (len(keys) + 1,) or alarm.dtype != np.float32 or not np.isfinite(alarm).all():
            return None
        mapped = _map_weights(path.with_suffix(".npy"), (len(keys), 2 * len(labels)))
        weights = None if mapped is None else mapped.view(np.ndarray)  # a plain array: np.memmap indexes in Python
        if weights is None or not (np.isfinite(weights).all() and np.isfinite(idf).all()):
            return None
        used(path)
        vocab = dict(zip(keys, range(len(keys)), strict=True))
        if len(vocab) != len(keys):
            return None
        return Model(labels, vocab, idf.astype(np.float32, copy=False), weights, bias, alarm)
    except (OSError, ValueError, KeyError, UnicodeDecodeError, EOFError):
        return None


def _save(model: Model, path: Path) -> None:
    keys = sorted(model.vocab, key=model.vocab.__getitem__)
    if any("\n" in k for k in keys):  # the vocabulary is stored one key per line; features never hold one
        return
    blob = np.frombuffer("\n".join(keys).encode("utf-8"), dtype=np.uint8)
    weights = np.ascontiguousarray(model.weights, dtype=np.float32)
    # the weights first: a model is taken only when its .npz is there too, and each file appears whole
    if not write_atomic(path.with_suffix(".npy"), lambda f: np.save(f, weights, allow_pickle=False)):
        return
    labels = np.array(model.labels)
    if write_atomic(path, lambda f: np.savez(f, vocab=blob, labels=labels, idf=model.idf, bias=model.bias, alarm=model.alarm_weights)):
        prune(path.parent, "model")
