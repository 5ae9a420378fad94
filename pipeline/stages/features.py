"""Features shared by training and prediction, and the plain model file format bound to them.

Every learned model of Zhibiao is a linear model over *feature strings*: a
document or a number in context becomes a list of strings (``c2:入园``,
``w:巩固率``, ``u:%`` …), a :class:`TfidfEncoder` turns the lists into a
sparse TF-IDF matrix, and :class:`LinearModel` holds the encoder with the
weights of a (multinomial) logistic regression. A model file is plain JSON
(no pickle): the feature version it was built with, the weights, and beside
it ``<name>.meta.json`` with the training-data hash and the metrics.
:func:`load_model` refuses a file whose feature version is not
:data:`FEATURE_VERSION`, so a change here forces ``zhibiao train``.
"""

from __future__ import annotations

import hashlib
import json
import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import mul, truediv
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from pipeline.settings import Settings, current
from pipeline.stages.nearest import SentenceHits, TokenIndex, hit_index

#: Bump whenever a feature function below changes what it emits.
FEATURE_VERSION = "2026-11-25.1"

#: Fixed seed of every learner (liblinear/lbfgs are deterministic given it).
SEED = 0

#: The repository's models folder (the packaged default of :class:`pipeline.settings.Settings`).
DEFAULT_MODELS_DIR = Settings.models


class ModelError(ValueError):
    """A model file is missing pieces or was built with other features."""


def models_dir() -> Path:
    """The models folder in force (:func:`pipeline.settings.current`)."""
    return current().models


# --------------------------------------------------------------------------- article features

#: Characters and digits are folded so that numbers do not become features of their own.
_DIGITS = str.maketrans("0123456789", "0000000000")


def article_features(title: str, text: str, max_chars: int = 6000) -> list[str]:
    """Character 2- and 3-grams of a document (digits folded), plus title bigrams.

    Only the first ``max_chars`` characters count: enough to tell a report's
    subject, and it keeps long pages cheap.
    """
    body = text[:max_chars].translate(_DIGITS)
    feats = [f"c2:{body[i:i + 2]}" for i in range(len(body) - 1) if not body[i:i + 2].isspace()]
    feats += [f"c3:{body[i:i + 3]}" for i in range(len(body) - 2) if not body[i:i + 3].isspace()]
    head = (title or "").translate(_DIGITS)
    feats += [f"t2:{head[i:i + 2]}" for i in range(len(head) - 1)]
    return feats


def article_feature_ids(encoder: TfidfEncoder, title: str, text: str, max_chars: int = 6000) -> list[int]:
    """``encoder``'s ids of :func:`article_features` (the same ids in the same order), without
    building a feature string an n-gram: the n-grams are looked up in per-prefix tables."""
    c2, c3, t2 = encoder.gram_ids("c2:", skip_space=True), encoder.gram_ids("c3:", skip_space=True), \
        encoder.gram_ids("t2:")
    body = text[:max_chars].translate(_DIGITS)
    head = (title or "").translate(_DIGITS)
    ids = [i for i in map(c2.get, [body[i:i + 2] for i in range(len(body) - 1)]) if i is not None]
    ids += [i for i in map(c3.get, [body[i:i + 3] for i in range(len(body) - 2)]) if i is not None]
    ids += [i for i in map(t2.get, [head[i:i + 2] for i in range(len(head) - 1)]) if i is not None]
    return ids


# --------------------------------------------------------------------------- encoding and model


class _SublinearTf(dict):
    """``n -> 1 + log(n)``, computed once a count (term frequencies repeat: mostly 1, 2, 3)."""

    def __missing__(self, n: int) -> float:
        value = self[n] = 1.0 + math.log(n)
        return value


_SUBLINEAR_TF = _SublinearTf()


@dataclass
class TfidfEncoder:
    """Feature strings -> rows over a fixed vocabulary.

    Features whose prefix (the part before the first ``:``) is in ``binary``
    are indicators worth 1.0 (a unit, the code of the nearest trigger);
    the others are weighted by sublinear TF-IDF and L2-normalised together, so
    a long clause does not drown the few structural facts about a number.
    """

    vocabulary: dict[str, int]
    idf: np.ndarray
    binary: tuple[str, ...] = ()

    @classmethod
    def fit(cls, rows: Sequence[Sequence[str]], min_df: int = 2, max_features: int | None = None,
            binary: tuple[str, ...] = ()) -> TfidfEncoder:
        """Learn vocabulary (features in at least ``min_df`` rows) and smoothed idf."""
        df: Counter[str] = Counter()
        for feats in rows:
            df.update(set(feats))
        kept = sorted((f for f, n in df.items() if n >= min_df), key=lambda f: (-df[f], f))
        if max_features is not None:
            kept = kept[:max_features]
        kept.sort()
        n = len(rows)
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in kept], dtype=np.float64)
        return cls({f: i for i, f in enumerate(kept)}, idf, tuple(binary))

    def __post_init__(self) -> None:
        self._flag_ids = frozenset(i for f, i in self.vocabulary.items() if f.split(":", 1)[0] in self.binary)
        self._idf = self.idf.tolist()
        self._gram_tables: dict[tuple[str, bool], dict[str, int]] = {}
        self._split: tuple[dict[str, int], dict[str, int]] | None = None

    def gram_ids(self, prefix: str, skip_space: bool = False) -> dict[str, int]:
        """``{text after prefix: index}`` of the features with ``prefix`` (built once); with
        ``skip_space``, white-space-only texts are left out (features that never get emitted)."""
        key = (prefix, skip_space)
        table = self._gram_tables.get(key)
        if table is None:
            n = len(prefix)
            table = self._gram_tables[key] = {f[n:]: i for f, i in self.vocabulary.items() if f.startswith(prefix)
                                              and not (skip_space and f[n:].isspace())}
        return table

    def encode(self, feats: Sequence[str]) -> dict[int, float]:
        """One row as ``{feature index: value}`` (unknown features are ignored).

        The same row as ``encode_ids`` of the known features' indices (bit for bit, keys in the same
        order), counted without a list of indices: the vocabulary is split into weighted and
        indicator features once, and each part is looked up in C (an unknown feature counts as None).
        """
        if self._split is None:
            flags = self._flag_ids
            self._split = ({f: i for f, i in self.vocabulary.items() if i not in flags},
                           {f: i for f, i in self.vocabulary.items() if i in flags})
        weighted_ids, flag_ids = self._split
        counts = Counter(map(weighted_ids.get, feats))  # first occurrence order, as Counter(ids)
        counts.pop(None, None)
        row = self._weigh(counts)
        if flag_ids:
            flagged = dict.fromkeys(map(flag_ids.get, feats), 1.0)
            flagged.pop(None, None)
            row.update(flagged)
        return row

    def encode_ids(self, ids: Sequence[int]) -> dict[int, float]:
        """Like :meth:`encode`, from the indices of the known features (in the order of the features)."""
        flag_ids = self._flag_ids
        row = self._weigh(Counter(ids if not flag_ids else [i for i in ids if i not in flag_ids]))
        if flag_ids:
            row.update((i, 1.0) for i in ids if i in flag_ids)
        return row

    def _weigh(self, counts: Counter[int]) -> dict[int, float]:
        """``{index: (1 + log n) * idf}`` of weighted features' counts, L2-normalised."""
        idf = self._idf
        # written with map() so the loops run in C; the same float operations in the same order as
        # a comprehension (bit-identical rows).
        weighted = list(map(mul, map(_SUBLINEAR_TF.__getitem__, counts.values()), map(idf.__getitem__, counts)))
        norm = math.sqrt(sum(map(mul, weighted, weighted))) or 1.0
        return dict(zip(counts, map(truediv, weighted, repeat(norm, len(weighted))), strict=True))

    def transform(self, rows: Iterable[Sequence[str]]) -> sparse.csr_matrix:
        """The feature matrix of ``rows``."""
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for feats in rows:
            row = self.encode(feats)
            for i in sorted(row):
                indices.append(i)
                data.append(row[i])
            indptr.append(len(indices))
        return sparse.csr_matrix((np.array(data), np.array(indices, dtype=np.int64), np.array(indptr)),
                                 shape=(len(indptr) - 1, len(self.vocabulary)))


@dataclass
class LinearModel:
    """A TF-IDF encoder plus logistic-regression weights; predicts class probabilities."""

    name: str
    encoder: TfidfEncoder
    classes: list[str]
    coef: np.ndarray  # (n_classes, n_features); one row for a binary model (positive class = classes[1])
    intercept: np.ndarray
    meta: dict[str, Any]
    _weights: list[float] | None = field(default=None, repr=False, compare=False)

    def predict_proba(self, rows: Sequence[Sequence[str]]) -> np.ndarray:
        """Probabilities, one row per input and one column per class (in ``classes`` order)."""
        x = self.encoder.transform(rows)
        scores = np.asarray(x @ self.coef.T) + self.intercept
        if len(self.classes) == 2 and self.coef.shape[0] == 1:
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - p, p])
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def probability(self, feats: Sequence[str], cls: str) -> float:
        """P(``cls``) of one row of a binary model, without building a matrix."""
        if self.coef.shape[0] != 1 or len(self.classes) != 2:
            return float(self.predict_proba([feats])[0][self.classes.index(cls)])
        return self._binary_probability(self.encoder.encode(feats), cls)

    def probability_ids(self, ids: Sequence[int], cls: str) -> float:
        """Like :meth:`probability`, from the encoder's indices of the row's known features."""
        if self.coef.shape[0] != 1 or len(self.classes) != 2:
            vocab = self.encoder.vocabulary
            names = sorted(vocab, key=vocab.__getitem__)
            return self.probability([names[i] for i in ids], cls)
        return self._binary_probability(self.encoder.encode_ids(ids), cls)

    def _binary_probability(self, row: dict[int, float], cls: str) -> float:
        if self._weights is None:
            self._weights = self.coef[0].tolist()
        w = self._weights
        s = float(self.intercept[0]) + sum(map(mul, map(w.__getitem__, row), row.values()))
        p = 1.0 / (1.0 + math.exp(-s)) if s > -700 else 0.0
        return p if cls == self.classes[1] else 1.0 - p

    def to_json(self) -> dict[str, Any]:
        """The model as plain JSON data (features sorted, weights rounded to 6 places)."""
        feats = sorted(self.encoder.vocabulary, key=self.encoder.vocabulary.__getitem__)
        return {
            "name": self.name,
            "feature_version": FEATURE_VERSION,
            "classes": self.classes,
            "features": feats,
            "idf": [round(float(v), 6) for v in self.encoder.idf],
            "binary": list(self.encoder.binary),
            "coef": [[round(float(v), 6) for v in row] for row in self.coef],
            "intercept": [round(float(v), 6) for v in self.intercept],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], meta: dict[str, Any] | None = None) -> LinearModel:
        """Rebuild a model from :meth:`to_json` data; :class:`ModelError` when pieces are missing."""
        try:
            feats = data["features"]
            enc = TfidfEncoder({f: i for i, f in enumerate(feats)}, np.array(data["idf"], dtype=np.float64),
                               tuple(data.get("binary", ())))
            coef = np.array(data["coef"], dtype=np.float64).reshape(len(data["coef"]), len(feats))
            return cls(data["name"], enc, list(data["classes"]), coef,
                       np.array(data["intercept"], dtype=np.float64), meta or {})
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"model {data.get('name', '?')}: malformed ({exc})") from exc


def model_paths(name: str, folder: Path | None = None) -> tuple[Path, Path]:
    """``(weights, meta)`` paths of model ``name`` in ``folder`` (default: :func:`models_dir`)."""
    folder = folder or models_dir()
    return folder / f"{name}.json", folder / f"{name}.meta.json"


def save_model(model: LinearModel, meta: dict[str, Any], folder: Path | None = None) -> tuple[Path, Path]:
    """Write the weights and the metadata (feature version, data hash, metrics) as JSON."""
    weights, meta_path = model_paths(model.name, folder)
    weights.parent.mkdir(parents=True, exist_ok=True)
    meta = {"name": model.name, "feature_version": FEATURE_VERSION, **meta}
    for path, data in ((weights, model.to_json()), (meta_path, meta)):
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=None if path == weights else 2,
                                  sort_keys=path != weights) + "\n", encoding="utf-8")
        tmp.replace(path)
    return weights, meta_path


def load_model(name: str, folder: Path | None = None) -> LinearModel | None:
    """Model ``name`` from the models folder, ``None`` when it was never trained.

    Raises :class:`ModelError` when the file was built with another
    :data:`FEATURE_VERSION` (run ``zhibiao train``) or is malformed.
    """
    weights, meta_path = model_paths(name, folder)
    if not weights.exists():
        return None
    try:
        data = json.loads(weights.read_text(encoding="utf-8"))
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    except json.JSONDecodeError as exc:
        raise ModelError(f"{weights}: not JSON ({exc})") from exc
    if data.get("feature_version") != FEATURE_VERSION:
        raise ModelError(f"{weights}: built with feature version {data.get('feature_version')!r}, "
                         f"this code uses {FEATURE_VERSION!r}; run `zhibiao train` (or `make train`)")
    return LinearModel.from_json(data, meta)


def data_hash(items: Iterable[str | bytes]) -> str:
    """A short SHA-256 over training inputs (file bytes, labels), in the order given."""
    h = hashlib.sha256()
    for item in items:
        b = item.encode("utf-8") if isinstance(item, str) else item
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- mention features

#: Characters of context on each side of a number that its window features look at.
LEFT_WINDOW = 12
RIGHT_WINDOW = 8

#: Mention features that are indicators (value 1.0), not TF-IDF weighted n-grams.
MENTION_BINARY = ("u", "qt", "l1", "r1", "lw1", "lw2", "lw3", "rw1", "rw2", "idx", "list", "approx", "f", "m",
                  "code", "fu", "hit", "acc", "near", "cw", "cr", "nhit", "cm")


#: The clause words a number's features take on each side of it: every word of a clause in the
#: labelled pages (the longest clause of corpora, dev, train, web and heldout has 89), a bound for a
#: line of thousands of numbers without a comma.
CLAUSE_WORDS = 200


def _bucket(n: int) -> str:
    return "0" if n <= 0 else "1-2" if n <= 2 else "3-6" if n <= 6 else "7-14" if n <= 14 else "15+"


def number_features(cand: Any, tokens: Sequence[tuple[str, int, int]] | TokenIndex) -> list[str]:
    """Features of a number in context (a :class:`pipeline.stages.extract.extract.Candidate`), whatever code it may get.

    ``tokens`` are the jieba tokens ``(word, start, end)`` of the candidate's
    sentence, or their :class:`TokenIndex` (made once a sentence by a caller with
    many numbers). Features: the unit; character 2/3-grams of the window left of the
    number and 2-grams right of it; the jieba words of its clause (at most
    :data:`CLAUSE_WORDS` each side of the number) and the three nearest on its left,
    two on its right; hedges, list position, magnitude and the quantity reader's flags.
    """
    q = cand.quantity
    text = cand.sentence.text
    qstart, qend = q.start, q.end
    left = text[max(0, qstart - LEFT_WINDOW):qstart].translate(_DIGITS)
    right = text[qend:qend + RIGHT_WINDOW].translate(_DIGITS)
    feats = [f"u:{cand.unit}", f"qt:{q.text[-1:]}".translate(_DIGITS), f"l1:{left[-1:]}", f"r1:{right[:1]}"]
    # character n-grams: L2 and L3 of the left window, R2 of the right one
    feats += ["L2:" + left[i:i + 2] for i in range(len(left) - 1)]
    feats += ["L3:" + left[i:i + 3] for i in range(len(left) - 2)]
    feats += ["R2:" + right[i:i + 2] for i in range(len(right) - 1)]
    cstart = text.find(cand.clause)
    cend = cstart + len(cand.clause) if cstart >= 0 else len(text)
    cstart = max(cstart, 0)
    ix = tokens if isinstance(tokens, TokenIndex) else TokenIndex.of(tokens)
    lo, hi = ix.span(cstart, cend)  # the clause's words: ix.words[lo:hi]
    kb = min(max(bisect_right(ix.ends, qstart), lo), hi)  # words[lo:kb] end before the number
    ka = min(max(bisect_left(ix.starts, qend), kb), hi)  # words[ka:hi] start after it
    words = ix.words[max(lo, kb - CLAUSE_WORDS):min(hi, ka + CLAUSE_WORDS)]
    feats += ["w:" + w.translate(_DIGITS) for w, _, _ in words]
    before = [w for w, _, _ in ix.words[max(lo, kb - 3):kb]]
    feats += [f"lw{len(before) - i}:{w}" for i, w in enumerate(before)]
    after = [w for w, _, _ in ix.words[ka:min(hi, ka + 2)]]
    feats += [f"rw{i + 1}:{w}" for i, w in enumerate(after)]
    feats.append(f"idx:{min(cand.index, 5)}")
    if cand.in_list:
        feats.append("list")
    if q.approx:
        feats.append("approx")
    feats += [f"f:{f}" for f in q.flags]
    if q.value:
        mag = int(math.floor(math.log10(abs(q.value))))
        feats.append(f"m:{cand.unit}:{max(-2, min(mag, 10))}")
    return feats


def code_options(cand: Any, hits: Sequence[Any]) -> list[str]:
    """Codes a number may be given: those of the trigger ``hits`` of its sentence, and the rule's choice."""
    codes = set(hits.codes) if isinstance(hits, SentenceHits) else {h.rule.indicator for h in hits}
    if cand.indicator:
        codes.add(cand.indicator)
    return sorted(codes)


def pair_features(cand: Any, code: str, base: Sequence[str], hits: Sequence[Any]) -> list[str]:
    """Features of the pair (number, code): ``base`` plus :func:`pair_extra`."""
    return list(base) + pair_extra(cand, code, base, hits)


def pair_extra(cand: Any, code: str, base: Sequence[str], hits: Sequence[Any]) -> list[str]:
    """How a code relates to a number (all indicator features, see :data:`MENTION_BINARY`).

    ``hits`` are the trigger hits of the number's sentence. The relation
    features are the same for every code (side and distance of the nearest
    trigger of this code, in the number's clause or not, whether it accepts
    the unit, whether another code's trigger is nearer), so what is learned
    for one indicator carries over to the others; ``code:`` and the
    code-joined nearest words add what is particular. The rule's decision is
    deliberately not a feature: the classifier is independent evidence (with
    it, trained on seeds the rules fit, it only learns to copy the rules).
    """
    return pair_extras(cand, [code], base, hits)[0]


def pair_extras(cand: Any, codes: Iterable[str], base: Sequence[str], hits: Sequence[Any]) -> list[list[str]]:
    """:func:`pair_extra` of each of ``codes`` (the parts that do not depend on the code made once)."""
    q = cand.quantity
    unit = cand.unit
    in_clause = {(h.start, h.end) for h in cand.hits}
    index = hit_index(hits)
    magnitudes = [f[2:] for f in base if f.startswith("m:")]
    words = [f.split(":", 1)[1] for f in base if f.startswith(("lw1:", "lw2:", "rw1:"))]
    out = []
    for code in codes:
        fam = code.split(".", 1)[0]
        feats = [f"code:{code}", f"fu:{fam}|{unit}", f"nhit:{min(index.count.get(code, 0), 3)}"]
        h = index.nearest(code, q.start, q.end)
        if h is not None:
            side = "L" if h.end <= q.start else "R"
            where = "c" if (h.start, h.end) in in_clause else "s"
            dist = q.start - h.end if side == "L" else h.start - q.end
            feats += [f"hit:{where}{side}{_bucket(dist)}", f"hit:{where}", f"acc:{unit in h.rule.units}"]
            if h.rule.local:
                feats.append(f"hit:local{side}")
            nearer = index.other_nearer(code, h, q.start)
            feats.append(f"near:{'other' if nearer else 'mine'}{side}{where}")
        else:
            feats.append("hit:none")
        feats += [f"cm:{code}|{m}" for m in magnitudes]
        feats += [f"cw:{fam}|{w}" for w in words]
        feats += [f"cr:{code}|{w}" for w in words]
        out.append(feats)
    return out


# --------------------------------------------------------------------------- code model features

#: Code model features that are indicators (see :data:`MENTION_BINARY`): trigger codes of the clause
#: and of the sentence.
CODE_BINARY = MENTION_BINARY + ("tc", "ts")


def code_features(cand: Any, base: Sequence[str], hits: Sequence[Any]) -> list[str]:
    """Features of a number for the code model: ``base`` (:func:`number_features`) plus the codes
    of the trigger words in its clause (``tc:``) and sentence (``ts:``), whatever unit they take.

    Unlike the pair model it does not need a trigger to name a code: the words of the clause and
    the window (入职…新教师 56名, 受助学生 3200人次) are evidence for a code by themselves.
    """
    feats = list(base)
    feats += sorted({f"tc:{h.rule.indicator}" for h in cand.hits})
    codes = hits.codes if isinstance(hits, SentenceHits) else {h.rule.indicator for h in hits}
    feats += sorted(f"ts:{code}" for code in codes)
    return feats
