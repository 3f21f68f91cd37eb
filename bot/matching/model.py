"""The learned part of understanding: which entry, flow, emergency or small talk a message is about.

Trained on the content's own phrasings (entry questions, keywords and titles, flow triggers and signals, small
talk phrasings) of every locale at once, so a Ukrainian message also meets the Russian phrasings and a
transliterated one the Cyrillic. Features are TF-IDF weights of analysed words, word pairs, the substances the
lexicon found, and character n-grams of the folded words (typos, inflections, transliteration). The model is a
multinomial logistic regression (scikit-learn) with a naive Bayes model's probabilities mixed in (NB_SHARE), so
every decision carries a probability.

Asking the model is a few dictionary look-ups and one gather over the weight matrix: scikit-learn is imported
only to train. A trained model is cached by the hash of what it was trained on (numpy arrays, no pickle), in a
folder only this user can write; a cache that does not check out is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import math
import os
import stat
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_VERSION = 9  # bump whenever the analysis of a text changes: the cache key holds the texts, not this code
C_REGULARISATION = 20.0  # --cv 5: 20: 65.6%, 40: 66.7%, 160: 67.1%; above 20 the model grows too sure to ask "which one?"
SAGA_PASSES = 30
CHAR_NGRAMS = (3, 4, 5)
# Beside the logistic regression, a multinomial naive Bayes over the same features, its probabilities mixed in at
# this share (--cv 5: 72.8% alone; with naive Bayes at 0.1: 73.7%, 0.2: 73.8%, 0.3: 73.5%; a uniform
# distribution mixed in at 0.2 instead gives 72.2%, so it is what naive Bayes knows, not the smoothing).
NB_SHARE = 0.2
NB_ALPHA = 0.03  # --cv 5 at 0.2: 0.01: 73.4% (at 0.3), 0.03: 73.8%, 0.1: 73.4% (at 0.3)


CACHE_KEEP = 8  # built indexes kept per kind of cache file, the most recently used: each content edit makes a new one


@dataclass(frozen=True, slots=True)
class Example:
    label: str  # the target id: an entry, flow, emergency flow or small talk id
    keys: tuple[str, ...]  # features of the phrasing (see `feature_keys`)


def feature_keys(stems: Sequence[str], surface: Iterable[str], substances: Iterable[str]) -> list[str]:
    """The features of one reading of a text; the same function runs on content phrasings and on messages."""
    keys = [f"w:{s}" for s in stems]
    keys.extend(f"b:{a}_{b}" for a, b in itertools.pairwise(stems))
    keys.extend(f"s:{sid}" for sid in substances)
    for token in surface:
        padded = f"<{token}>"
        for n in CHAR_NGRAMS:
            keys.extend(f"c:{padded[i : i + n]}" for i in range(max(len(padded) - n + 1, 0)))
    return keys


class Model:
    # False only in benchmarks of size (bench/engine.py --scale): the logistic regression is not trained, which
    # at 20x content takes most of an hour; the naive Bayes half and every shape are as in use
    logistic = True

    def __init__(self, labels: Sequence[str], vocab: dict[str, int], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> None:
        self.labels = tuple(labels)
        self.vocab = vocab
        self.idf = idf
        # (features, 2 x labels): the logistic regression's weights, then naive Bayes' log probabilities, so
        # one gather gives both models' logits
        self.weights = weights
        self.bias = bias

    def vector(self, keys: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(i for k in keys if (i := self.vocab.get(k)) is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        vals = (1.0 + np.log(tf)) * self.idf[idx]
        vals /= float(np.sqrt(np.dot(vals, vals))) or 1.0
        return idx, vals

    def probabilities(self, keys: Iterable[str]) -> np.ndarray:
        idx, vals = self.vector(keys)
        n = len(self.labels)
        logits = self.bias + (vals @ self.weights[idx] if len(idx) else 0.0)
        lr, nb = logits[:n], logits[n:]
        p = np.exp(lr - lr.max())
        q = np.exp(nb - nb.max())
        return (1.0 - NB_SHARE) * p / p.sum() + NB_SHARE * q / q.sum()

    # --- training -----------------------------------------------------------------------------------------

    @classmethod
    def train(cls, labels: Sequence[str], digest: str, examples: Callable[[], Sequence[Example]], *, cache: bool = True) -> Model:
        """Train on `examples()`, or take the cached model of the same `digest` (see `digest`)."""
        labels = sorted(set(labels))
        folder = cache_dir() if cache else None
        if folder is not None:
            cached = _load_cached(folder / f"model-{digest}.npz", labels)
            if cached is not None:
                return cached
        model = cls._fit(examples(), labels)
        if folder is not None:
            _save(model, folder / f"model-{digest}.npz")
        return model

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
        if len(seen) == 1:  # one label: nothing to tell apart
            bias[[seen[0], n_labels + seen[0]]] = 0.0
            return cls(labels, vocab, idf, weights, bias)
        if len(seen) == 2:  # scikit-learn keeps one row for two labels: the second's logit, the first at 0
            weights[:, seen[1]] = clf.coef_[0]
            bias[seen] = (0.0, float(clf.intercept_[0]))
        else:
            weights[:, seen] = clf.coef_.T.astype(np.float32)
            bias[seen] = clf.intercept_.astype(np.float32)
        return cls._add_naive_bayes(labels, vocab, idf, weights, bias, x, y)

    @classmethod
    def _add_naive_bayes(
        cls, labels: list[str], vocab: dict[str, int], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray, x: object, y: np.ndarray
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
        return cls(labels, vocab, idf, weights, bias)


def digest(source: str) -> str:
    """The cache key of everything a model is made from: the content's texts and analysis rules, this code."""
    return hashlib.sha256(f"v{MODEL_VERSION} C{C_REGULARISATION} {SAGA_PASSES} NB{NB_ALPHA}\n{source}".encode()).hexdigest()[:32]


def read_cached_json(name: str) -> object | None:
    """A JSON file of the cache (no pickle: what is read is only data), or None when absent or not private."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        fd = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _private(info) or info.st_size > 64 << 20:
            return None
        with os.fdopen(fd, "rb") as f:
            fd = -1
            data = json.loads(f.read())
        _used(folder / name)
        return data
    except (OSError, ValueError):
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def write_cached_json(name: str, data: object) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".cache-", suffix=".json", delete=False, encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(f.name, folder / name)
    except OSError as exc:
        log.warning("cache not written: %s", type(exc).__name__)
        return
    _prune(folder, name.split("-", 1)[0])


def cache_dir() -> Path | None:
    """$HRBOT_CACHE_DIR, else ~/.cache/hrbot; "off" disables. Only a folder this user owns and nobody else can
    write is used, since what it holds decides how messages are read."""
    setting = os.environ.get("HRBOT_CACHE_DIR", "")
    if setting.lower() in ("off", "0", "no", "none"):
        return None
    folder = Path(setting) if setting else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hrbot"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.stat()
    except OSError:
        return None
    if not _private(info):
        log.warning("model cache ignored: its folder is not private to this user")
        return None
    return folder


def _private(info: os.stat_result) -> bool:
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _load_cached(path: Path, labels: list[str]) -> Model | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _private(info):
            return None
        with os.fdopen(fd, "rb") as f:
            fd = -1
            arrays = np.load(f, allow_pickle=False)
            keys = [str(k) for k in arrays["vocab"]]
            got_labels = [str(k) for k in arrays["labels"]]
            idf, weights, bias = arrays["idf"], arrays["weights"], arrays["bias"]
        shape = (len(keys), 2 * len(labels))
        if got_labels != labels or weights.shape != shape or idf.shape != (len(keys),) or bias.shape != (2 * len(labels),):
            return None
        if not (np.isfinite(weights).all() and np.isfinite(idf).all()):
            return None
        _used(path)
        vocab = {k: i for i, k in enumerate(keys)}
        return Model(labels, vocab, idf.astype(np.float32, copy=False), weights.astype(np.float32, copy=False), bias)  # no copy
    except (OSError, ValueError, KeyError):
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def _save(model: Model, path: Path) -> None:
    keys = sorted(model.vocab, key=model.vocab.__getitem__)
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".model-", suffix=".npz", delete=False) as f:
            np.savez(f, vocab=np.array(keys), labels=np.array(model.labels), idf=model.idf, weights=model.weights, bias=model.bias)
        os.replace(f.name, path)
    except OSError as exc:
        log.warning("model cache not written: %s", type(exc).__name__)
        return
    _prune(path.parent, "model")


def _used(path: Path) -> None:
    """Mark a cache file as just used, so pruning keeps it."""
    with contextlib.suppress(OSError):
        os.utime(path)


def _prune(folder: Path, kind: str) -> None:
    """Keep the CACHE_KEEP most recently used files of one kind ("model", "lemmas", "common"); a model is
    about 100 MB, and every content edit made one more, without end."""
    try:
        found = [(p.stat().st_mtime, p) for p in folder.glob(f"{kind}-*.*") if p.is_file()]
    except OSError:
        return
    for _, p in sorted(found, reverse=True)[CACHE_KEEP:]:
        with contextlib.suppress(OSError):
            p.unlink()
