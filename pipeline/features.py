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
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

#: Bump whenever a feature function below changes what it emits.
FEATURE_VERSION = "2026-11-24.1"

#: Folder of saved models; override with the environment variable ZHIBIAO_MODELS.
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


class ModelError(ValueError):
    """A model file is missing pieces or was built with other features."""


def models_dir() -> Path:
    """The models folder in force (ZHIBIAO_MODELS or the repository's models/)."""
    return Path(os.environ.get("ZHIBIAO_MODELS", DEFAULT_MODELS_DIR))


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


# --------------------------------------------------------------------------- encoding and model


@dataclass
class TfidfEncoder:
    """Feature strings -> L2-normalised sublinear TF-IDF rows over a fixed vocabulary."""

    vocabulary: dict[str, int]
    idf: np.ndarray

    @classmethod
    def fit(cls, rows: Sequence[Sequence[str]], min_df: int = 2, max_features: int | None = None) -> TfidfEncoder:
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
        return cls({f: i for i, f in enumerate(kept)}, idf)

    def transform(self, rows: Iterable[Sequence[str]]) -> sparse.csr_matrix:
        """The TF-IDF matrix of ``rows`` (unknown features are ignored)."""
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for feats in rows:
            counts = Counter(self.vocabulary[f] for f in feats if f in self.vocabulary)
            cols = sorted(counts)
            vals = np.array([(1.0 + math.log(counts[c])) * self.idf[c] for c in cols])
            norm = float(np.sqrt((vals ** 2).sum())) if len(vals) else 0.0
            if norm:
                vals = vals / norm
            indices.extend(cols)
            data.extend(vals.tolist())
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

    def to_json(self) -> dict[str, Any]:
        """The model as plain JSON data (features sorted, weights rounded to 6 places)."""
        feats = sorted(self.encoder.vocabulary, key=self.encoder.vocabulary.__getitem__)
        return {
            "name": self.name,
            "feature_version": FEATURE_VERSION,
            "classes": self.classes,
            "features": feats,
            "idf": [round(float(v), 6) for v in self.encoder.idf],
            "coef": [[round(float(v), 6) for v in row] for row in self.coef],
            "intercept": [round(float(v), 6) for v in self.intercept],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], meta: dict[str, Any] | None = None) -> LinearModel:
        """Rebuild a model from :meth:`to_json` data; :class:`ModelError` when pieces are missing."""
        try:
            feats = data["features"]
            enc = TfidfEncoder({f: i for i, f in enumerate(feats)}, np.array(data["idf"], dtype=np.float64))
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
