"""Fitting and nested leave-one-source-out evaluation of the mention classifier.

:class:`MentionData` holds the rows of the pair model and the code model
(:mod:`pipeline.stages.extract.mention_model`) once, so that each fold's encoder and fit are
column picks over one count matrix. Each source is scored by models trained
on every other source (:func:`leave_one_source_out`); each fold's thresholds
are chosen on held-out scores of the other sources only, each scored by
models trained without it and without the fold's source
(:func:`inner_probabilities`, :func:`nested_thresholds`). :func:`compare`
prints rules-only, classifier-only and combined side by side;
:func:`leave_one_annotator_out` is a robustness view that chooses nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from pipeline.learn.labelled import MentionExample
from pipeline.settings import current
from pipeline.stages.extract.mention_model import DEFAULT_THRESHOLDS
from pipeline.stages.features import SEED, LinearModel, TfidfEncoder

#: Inverse regularisation of the pair model. Nested leave-one-source-out over the eleven
#: sources (with the rules of 22:00, rules-only 0.9890), C = 3 / 10 / 30: classifier alone F1 0.888 / 0.882 / 0.881, combined 0.9884 / 0.9884 /
#: 0.9890 (rules-only 0.9890): no C makes the combination add, 10 is kept.
MENTION_C = 10.0

#: Inverse regularisation of the code model (multinomial, one class per code plus "none").
CODE_C = 10.0

#: Thresholds under which the classifier neither proposes nor vetoes (it sets confidence only; the
#: defaults of :func:`pipeline.stages.extract.mention_model.decide`): the final model's when nested
#: leave-one-source-out shows no gain over the rules.
CONFIDENCE_ONLY = dict(DEFAULT_THRESHOLDS)

#: Class weights of the pair model (None: every pair counts once). "balanced" lifts the classifier
#: alone (F1 0.882 -> 0.886) but vetoes one right record more (combined 0.9884 either way).
CLASS_WEIGHT: dict[str, float] | str | None = None

#: The thresholds of the combination, in the order they are reported.
THRESHOLDS = tuple(DEFAULT_THRESHOLDS)

#: Minimum document frequency of a feature (in the training rows of a fold).
MIN_DF = 2

#: Names of the slices reported besides all sources: the seed pages (corpora/0*) and the train/
#: pages (t*), where the rules are out of sample.
SEED_PREFIX = ("0",)

DEV_PREFIX = ("h",)

#: The second round of dev pages (annotators F and G: d01-d08; the rules may be tuned on them).
DEV_NEW_PREFIX = ("d",)

TRAIN_PREFIX = ("t",)

#: The web pages (web/: fifty pages modelled on real pages of fifty other sites, ../shared/web),
#: copied into the project with their sources renamed w_a01 … w_e10.
WEB_PREFIX = ("w_",)

#: The train/ pages written after the relabel path was measured (annotators C, D, E: t11-t28).
NEW_TRAIN_PREFIX = tuple(f"t{n:02d}_" for n in range(11, 29))

#: Annotator groups of the labelled sources (pages of one annotator share conventions), by source
#: prefix: the seeds' original gold, the dev pages' annotator (h01-h06), train/ annotators A-E and
#: the second-round dev annotators F (d01-d04) and G (d05-d08). For the
#: leave-one-annotator-out view (:func:`leave_one_annotator_out`), a robustness figure that chooses
#: nothing.
ANNOTATORS: dict[str, tuple[str, ...]] = {
    "seeds": SEED_PREFIX, "dev": DEV_PREFIX,
    "A": tuple(f"t{n:02d}_" for n in range(1, 6)), "B": tuple(f"t{n:02d}_" for n in range(6, 11)),
    "C": tuple(f"t{n:02d}_" for n in range(11, 17)), "D": tuple(f"t{n:02d}_" for n in range(17, 23)),
    "E": tuple(f"t{n:02d}_" for n in range(23, 29)),
    "F": tuple(f"d{n:02d}_" for n in range(1, 5)), "G": tuple(f"d{n:02d}_" for n in range(5, 9)),
    "W": WEB_PREFIX,
}


class RowSpace:
    """Feature rows held once as counts over the sorted vocabulary of every feature seen.

    A fold's encoder (the features of at least ``MIN_DF`` of its training rows,
    smoothed idf) and its TF-IDF matrices are then column picks and array
    arithmetic, the same numbers as :meth:`TfidfEncoder.fit` and
    :meth:`TfidfEncoder.transform` on the fold's rows, without re-encoding
    strings for each of the few hundred fits of nested leave-one-source-out.
    """

    def __init__(self, rows: list[list[str]], binary: tuple[str, ...]) -> None:
        from collections import Counter

        import numpy as np
        from scipy import sparse

        self.names = sorted({f for r in rows for f in r})
        index = {f: i for i, f in enumerate(self.names)}
        data: list[int] = []
        indices: list[int] = []
        indptr = [0]
        for r in rows:
            counts = Counter(index[f] for f in r)
            for i in sorted(counts):
                indices.append(i)
                data.append(counts[i])
            indptr.append(len(indices))
        self.counts = sparse.csr_matrix((np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64),
                                         np.array(indptr, dtype=np.int64)), shape=(len(rows), len(self.names)))
        self.binary = binary
        self.flag = np.array([f.split(":", 1)[0] in binary for f in self.names], dtype=bool)

    def encoder(self, rows: Any, min_df: int = MIN_DF) -> tuple[TfidfEncoder, Any]:
        """The encoder fitted on ``rows`` (indices) and the columns it keeps."""
        import numpy as np

        sub = self.counts[rows]
        df = np.bincount(sub.indices, minlength=len(self.names))
        keep = np.flatnonzero(df >= min_df)
        idf = np.log((1 + sub.shape[0]) / (1 + df[keep])) + 1.0
        return TfidfEncoder({self.names[i]: k for k, i in enumerate(keep)}, idf, self.binary), keep

    def matrix(self, rows: Any, keep: Any, enc: TfidfEncoder) -> Any:
        """TF-IDF rows (indices ``rows``) over the encoder's columns ``keep``."""
        import numpy as np

        m = self.counts[rows][:, keep].tocsr()
        m.sort_indices()
        flag = self.flag[keep][m.indices]
        w = (1.0 + np.log(m.data)) * enc.idf[m.indices]
        w[flag] = 0.0
        row_of = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        norm = np.sqrt(np.bincount(row_of, weights=w * w, minlength=m.shape[0]))
        norm[norm == 0] = 1.0
        m.data = np.where(flag, 1.0, w / norm[row_of])
        return m


class MentionData:
    """The rows of both models for a list of examples (scored) and extras (always trained on)."""

    def __init__(self, examples: list[MentionExample], extra: list[MentionExample] | None = None) -> None:
        import numpy as np

        from pipeline.stages.extract.mention_model import YES
        from pipeline.stages.features import CODE_BINARY, MENTION_BINARY

        self.examples = examples
        self.everything = examples + (extra or [])
        self.source = np.array([e.source for e in examples] + ["" for _ in extra or []], dtype=object)
        pair_rows, self.pair_of, self.pair_y = [], [], []
        for i, e in enumerate(self.everything):
            for code, feats in e.pairs:
                pair_rows.append(feats)
                self.pair_of.append(i)
                self.pair_y.append(YES if code == e.label else "no")
        self.pair_of = np.array(self.pair_of, dtype=np.int64)
        self.pair_y = np.array(self.pair_y, dtype=object)
        self.pairs = RowSpace(pair_rows, MENTION_BINARY)
        self.codes = RowSpace([e.code_feats for e in self.everything], CODE_BINARY)
        self.code_y = np.array([e.label for e in self.everything], dtype=object)

    def train_rows(self, held: set[str]) -> Any:
        """Indices of the examples (and extras) not of the ``held`` sources."""
        import numpy as np

        return np.flatnonzero(~np.isin(self.source, list(held)))

    def fit(self, rows: Any, c: float = MENTION_C, code_c: float = CODE_C) -> tuple[LinearModel, LinearModel]:
        """Pair and code model fitted on examples ``rows`` (indices into ``everything``)."""
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        pr = np.flatnonzero(np.isin(self.pair_of, rows))
        enc, keep = self.pairs.encoder(pr)
        clf = LogisticRegression(C=c, random_state=SEED, max_iter=3000, solver="liblinear", dual=True,
                                 class_weight=CLASS_WEIGHT)  # liblinear dual: 10-30x faster than lbfgs here
        clf.fit(self.pairs.matrix(pr, keep, enc), self.pair_y[pr])
        pair = LinearModel("mention_classifier", enc, [str(k) for k in clf.classes_], clf.coef_.copy(),
                           clf.intercept_.copy(), {})
        rows = np.asarray(rows)
        cenc, ckeep = self.codes.encoder(rows)
        # one-vs-rest, each class a liblinear dual fit (5x faster than a multinomial lbfgs fit here)
        cclf = OneVsRestClassifier(LogisticRegression(C=code_c, random_state=SEED, max_iter=3000,
                                                      solver="liblinear", dual=True))
        cclf.fit(self.codes.matrix(rows, ckeep, cenc), self.code_y[rows])
        codes = LinearModel("mention_codes", cenc, [str(k) for k in cclf.classes_],
                            np.vstack([m.coef_ for m in cclf.estimators_]),
                            np.concatenate([m.intercept_ for m in cclf.estimators_]), {})
        return pair, codes

    def score(self, held: set[str], c: float = MENTION_C, code_c: float = CODE_C
              ) -> tuple[list[int], list[dict[str, float]], list[dict[str, float]]]:
        """Indices of the examples of the ``held`` sources and their pair and code probabilities by
        models trained on every other example."""
        import numpy as np

        from pipeline.stages.extract.mention_model import MentionClassifier

        idx = np.flatnonzero(np.isin(self.source, list(held))).tolist()
        if not idx:
            return [], [], []
        clf = MentionClassifier(*self.fit(self.train_rows(held), c, code_c))
        score = [self.examples[i] for i in idx]
        bases, cands, hits = [e.feats for e in score], [e.cand for e in score], [e.hits for e in score]
        return idx, clf.predict_features(bases, cands, hits), clf.predict_codes(bases, cands, hits)


def fit_mention_model(examples: list[MentionExample], c: float = MENTION_C) -> LinearModel:
    """The pair model (a logistic regression over (number, code) pairs: is this code the number's
    indicator?) fitted on ``examples``."""
    return fit_mention_models(examples, c)[0]


def fit_mention_models(examples: list[MentionExample], c: float = MENTION_C, code_c: float = CODE_C
                       ) -> tuple[LinearModel, LinearModel]:
    """The pair model and the code model fitted on ``examples``."""
    data = MentionData(examples)
    return data.fit(list(range(len(examples))), c, code_c)


Probs = list[dict[str, float]]


def _record(e: MentionExample, code: str, confidence: float, extractor: str) -> dict[str, Any]:
    c = e.cand
    return {"source": e.source, "indicator": code, "value": c.value, "unit": c.unit, "stage": c.stage,
            "year": c.year, "year_basis": c.year_basis, "kind": c.kind or "level", "approx": c.approx, "quote": c.clause,
            "confidence": confidence, "extractor": extractor}


def example_records(e: MentionExample, p: dict[str, float], q: dict[str, float], mode: str,
                    propose: float, veto: float, suggest: float, relabel: float, **code_th: float
                    ) -> list[dict[str, Any]]:
    """The records one on-topic example makes in ``mode`` (see :func:`predictions`)."""
    from pipeline.stages.extract.mention_model import considered, decide, usable

    ruled = e.cand.rule is not None and e.cand.indicator is not None
    if mode == "rules":
        if not ruled:
            return []
        rec = _record(e, e.cand.indicator, e.cand.confidence, "rules")
        return [rec, *_shared(e, rec)]
    if not (considered(e.cand) if mode == "combined" else usable(e.cand)):
        return []
    d = decide(e.cand.indicator if ruled and mode == "combined" else None, e.cand.confidence, p,
               propose=propose, veto=veto, codes=q, suggest=suggest, relabel=relabel, **code_th)
    if d.indicator is None:
        return []
    rec = _record(e, d.indicator, d.confidence, d.extractor or "")
    return [rec, *_shared(e, rec)] if d.indicator == e.cand.indicator and d.extractor == "rules" else [rec]


def predictions(examples: list[MentionExample], probs: Probs, mode: str, propose: float | None = None,
                veto: float | None = None, codes: Probs | None = None, suggest: float | None = None,
                relabel: float | None = None, **code_th: float) -> list[dict[str, Any]]:
    """Records of on-topic examples by ``mode``: ``rules``, ``classifier`` (both models alone, every
    usable number, a code when a model gives it 0.5) or ``combined`` (the rules, the pair model's
    vetoes and proposals at ``propose``/``veto``, the code model's proposals at ``suggest``, vetoed
    records relabelled at ``relabel``, the code model's relabels and vetoes of rule records at
    ``code_th``: ``relabel_codes``, ``keep_codes``, ``veto_codes``; never by default).

    Attributes (stage, year, kind, approx) are the rules' for every mode, so
    the modes differ only in which numbers become which indicator.
    """
    from pipeline.stages.extract.mention_model import PROPOSE, RELABEL, SUGGEST, VETO

    if mode == "classifier":
        propose, veto, suggest = 0.5, 0.0, 0.5
    propose = PROPOSE if propose is None else propose
    veto = VETO if veto is None else veto
    suggest = SUGGEST if suggest is None else suggest
    relabel = RELABEL if relabel is None else relabel
    codes = codes if codes is not None else [{} for _ in examples]
    out = []
    for e, p, q in zip(examples, probs, codes, strict=True):
        if e.on_topic:
            out += example_records(e, p, q, mode, propose, veto, suggest, relabel, **code_th)
    return out


def _shared(e: MentionExample, rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The extra records of a number shared by several subjects (均达到100%), as the extractor makes them."""
    return [{**rec, "indicator": rule.indicator, "stage": stage} for rule, stage in getattr(e.cand, "shared", [])]


def calibration(gold: list[dict[str, Any]], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Error rate among the 10% least confident records and among the top 50% (records of gold sources)."""
    from pipeline.learn.evaluate import evaluate

    sources = {g["source"] for g in gold}
    records = [r for r in records if r["source"] in sources]
    ev = evaluate(gold, records)
    matched = {id(p) for _, p in ev.pairs}
    ranked = sorted(records, key=lambda r: r["confidence"])
    n = len(ranked)
    low, top = ranked[:max(1, n // 10)], ranked[n // 2:]

    def err(rs: list[dict[str, Any]]) -> float:
        return round(sum(id(r) not in matched for r in rs) / len(rs), 4) if rs else 0.0

    return {"records": n, "errors_lowest_10pct": err(low), "errors_top_50pct": err(top),
            "sortable": err(low) > err(top)}


@dataclass
class Scores:
    """Held-out probabilities of every example by both models."""

    pair: Probs
    codes: Probs

    @classmethod
    def empty(cls, n: int) -> Scores:
        """No probabilities yet for ``n`` examples."""
        return cls([{} for _ in range(n)], [{} for _ in range(n)])


def train_jobs() -> int:
    """Worker processes of the fold fits (the ``train_jobs`` setting, 0: every CPU): the fits are
    independent and deterministic, so the figures are the same for any number of workers."""
    return max(1, current().train_jobs or os.cpu_count() or 1)


#: Fewer fits than this run in the calling process.
MIN_PARALLEL_FITS = 8

_POOL_DATA: list[Any] = []


def _pool_score(job: tuple[frozenset[str], float, float]) -> Any:
    held, c, code_c = job
    return _POOL_DATA[0].score(set(held), c, code_c)


def score_many(data: MentionData, helds: list[set[str]], c: float = MENTION_C, code_c: float = CODE_C
               ) -> list[tuple[list[int], Probs, Probs]]:
    """:meth:`MentionData.score` of each of ``helds``, in order; in :func:`train_jobs` forked worker
    processes when there are many (each fit is the same as in the calling process)."""
    import multiprocessing

    jobs = min(train_jobs(), len(helds))
    if jobs <= 1 or len(helds) < MIN_PARALLEL_FITS or "fork" not in multiprocessing.get_all_start_methods():
        return [data.score(h, c, code_c) for h in helds]
    _POOL_DATA[:] = [data]
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(_pool_score, [(frozenset(h), c, code_c) for h in helds], chunksize=1)
    finally:
        _POOL_DATA.clear()


def held_out_scores(data: MentionData, groups: dict[str, list[str]], c: float = MENTION_C,
                    code_c: float = CODE_C, outer: bool = True, inner: bool = True
                    ) -> tuple[Scores, dict[str, Scores]]:
    """Held-out probabilities by groups of sources (``{name: sources}``).

    ``outer``: every example scored by models trained without its group. ``inner``: for each group
    ``g``, the examples of every other group ``h`` scored by models trained without ``g`` and ``h``
    (one fit per pair of groups serves both of its folds): they choose the thresholds of fold ``g``
    (nested evaluation). Extras are always trained on.
    """
    n = len(data.examples)
    names = list(groups)
    group_of = {s: g for g, ss in groups.items() for s in ss}
    pairs = [(g, h) for k, g in enumerate(names) for h in names[k + 1:]] if inner else []
    helds = ([set(groups[g]) for g in names] if outer else []) + [set(groups[g]) | set(groups[h]) for g, h in pairs]
    done = score_many(data, helds, c, code_c)
    scores, folds = Scores.empty(n), {g: Scores.empty(n) for g in names}
    for idx, p, q in done[:len(names)] if outer else []:
        for i, pi, qi in zip(idx, p, q, strict=True):
            scores.pair[i], scores.codes[i] = pi, qi
    for (g, h), (idx, p, q) in zip(pairs, done[len(names) if outer else 0:], strict=True):
        for i, pi, qi in zip(idx, p, q, strict=True):
            fold = folds[h if group_of[data.examples[i].source] == g else g]
            fold.pair[i], fold.codes[i] = pi, qi
    return scores, folds


def fold_of(source: str) -> str:
    """The fold a source is held out in: its own, but for the web pages (:data:`WEB_PREFIX`), held out
    ten at a time by genre (w_a01-w_a10 …): fifty pages of their own fold would multiply the nested
    evaluation's fits by four (one a pair of folds)."""
    return source[:len(WEB_PREFIX[0]) + 1] if source.startswith(WEB_PREFIX) else source


def _by_source(data: MentionData) -> dict[str, list[str]]:
    folds: dict[str, list[str]] = {}
    for s in sorted({e.source for e in data.examples}):
        folds.setdefault(fold_of(s), []).append(s)
    return folds


def leave_one_source_out(data: MentionData, c: float = MENTION_C, code_c: float = CODE_C) -> Scores:
    """Held-out probabilities of every example: each source scored by models trained on the others
    (and on the extras, numbers that are never scored)."""
    return held_out_scores(data, _by_source(data), c, code_c, inner=False)[0]


def inner_probabilities(data: MentionData, c: float = MENTION_C, code_c: float = CODE_C) -> dict[str, Scores]:
    """For every source ``s``, held-out probabilities of the examples of all other sources by
    models that never saw ``s`` either: example ``i`` of source ``t`` is scored by the models
    trained without ``s`` and ``t``. They choose the thresholds of fold ``s`` (nested
    leave-one-source-out); one fit per pair of sources serves both of its folds."""
    return held_out_scores(data, _by_source(data), c, code_c, outer=False)[1]


def annotator_groups(sources: list[str]) -> dict[str, list[str]]:
    """The sources of each :data:`ANNOTATORS` group (a source of no group forms a group of its own)."""
    out: dict[str, list[str]] = {}
    for s in sorted(sources):
        name = next((g for g, prefix in ANNOTATORS.items() if s.startswith(prefix)), s)
        out.setdefault(name, []).append(s)
    return out
