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

from dataclasses import dataclass
from typing import Any

from pipeline.learn.labelled import MentionExample
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
    """Worker processes of the fold fits (``ZHIBIAO_TRAIN_JOBS``, default every CPU): the fits are
    independent and deterministic, so the figures are the same for any number of workers."""
    import os

    return max(1, int(os.environ.get("ZHIBIAO_TRAIN_JOBS") or os.cpu_count() or 1))


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


def leave_one_annotator_out(data: MentionData, gold: list[dict[str, Any]], c: float = MENTION_C,
                            code_c: float = CODE_C) -> dict[str, Any]:
    """Nested leave-one-annotator-out, a robustness view that chooses nothing: each annotator group
    is scored by models trained on every other group (and the extras), with thresholds chosen on
    the other groups' held-out scores, each of them scored by models trained without it and without
    the group (one fit per pair of groups). Returns the groups, their thresholds and the
    :func:`compare` tables over all sources and per group."""
    examples = data.examples
    groups = annotator_groups(sorted({e.source for e in examples}))
    names = list(groups)
    group_of = {s: g for g, ss in groups.items() for s in ss}
    scores, inner = held_out_scores(data, groups, c, code_c)
    thresholds: dict[str, dict[str, float]] = {}
    for g in names:
        idx = [i for i, e in enumerate(examples) if group_of[e.source] != g]
        thresholds[g] = choose_thresholds([x for x in gold if group_of.get(x["source"]) != g],
                                          [examples[i] for i in idx],
                                          Scores([inner[g].pair[i] for i in idx], [inner[g].codes[i] for i in idx]))[0]
    by_source = {s: thresholds[group_of[s]] for s in group_of}
    tables = {"all": compare(gold, examples, scores, by_source)}
    for g in names:
        tables[g] = compare(gold, examples, scores, by_source, tuple(groups[g]))
    changes = relabel_counts(gold, examples, scores, by_source)
    return {"groups": groups, "thresholds": thresholds, "tables": tables, "changes": changes["counts"]}


def _value_key(v: float | None) -> str:
    return f"{float(v or 0.0):.9g}"


def code_grid() -> list[dict[str, float]]:
    """The thresholds of the code model's relabel path and veto (``relabel_codes``, ``keep_codes``,
    ``veto_codes``): "never relabel" once, then every pair of the grids, each with every code veto.
    Its first point is "never" (:data:`CONFIDENCE_ONLY`'s values)."""
    from pipeline.stages.extract.mention_model import KEEP_CODES_GRID, RELABEL_CODES_GRID, VETO_CODES_GRID

    relabels = [(1.01, KEEP_CODES_GRID[0])] + [(r, k) for r in RELABEL_CODES_GRID if r <= 1.0
                                                for k in KEEP_CODES_GRID]
    return [{"relabel_codes": r, "keep_codes": k, "veto_codes": v} for r, k in relabels for v in VETO_CODES_GRID]


def choose_thresholds(gold: list[dict[str, Any]], examples: list[MentionExample], scores: Scores
                      ) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The thresholds (:data:`THRESHOLDS`) of the grid with the best F1 on ``examples`` scored
    held-out (``scores``), and the grid.

    The grid holds both decision rules: the pair model's vetoes and relabels alone
    (``relabel_codes`` above 1, ``veto_codes`` 0) and with the code model's relabel path and veto
    (:func:`code_grid`), so choosing here chooses the variant too; and every point with each
    confidence gate of :data:`pipeline.stages.extract.mention_model.GATE_GRID` ("no gate", 1.01, included): rule
    records of rule confidence at or above the gate are kept whatever the models say.

    Counted fast: a record matches a gold record of the same source, code,
    unit and value (to 9 digits), as :func:`pipeline.learn.evaluate.evaluate`
    counts. Rule records depend on (veto, relabel, relabel_codes, keep_codes, veto_codes) only,
    numbers without one on (propose, suggest) only, so each half is decided once per point of its
    own grid and the grid adds the two (as count vectors over the keys either half can touch). Ties
    go to the more conservative thresholds (fewer proposals, vetoes and relabels, then the lower gate).
    """
    from collections import Counter

    import numpy as np

    from pipeline.stages.extract.mention_model import (
        GATE_GRID,
        KEEP_CODES_GRID,
        PROPOSE_GRID,
        RELABEL_CODES_GRID,
        RELABEL_GRID,
        SUGGEST_GRID,
        VETO_CODES_GRID,
        VETO_GRID,
        considered,
        decide,
    )

    def key(r: dict[str, Any]) -> tuple[str, str, str | None, str]:
        return (r["source"], r["indicator"], r["unit"], _value_key(r["value"]))

    sources = {g["source"] for g in gold}
    want = Counter(key(g) for g in gold)
    base: Counter[tuple[str, str, str | None, str]] = Counter()
    ruled_active, free_active = [], []
    lo_p, lo_s, hi_v = min(PROPOSE_GRID), min(SUGGEST_GRID), max(VETO_GRID)
    lo_rc, hi_k, hi_vc = min(RELABEL_CODES_GRID), max(KEEP_CODES_GRID), max(VETO_CODES_GRID)

    def code_may_act(e: MentionExample, q: dict[str, float]) -> bool:
        x = e.cand.indicator
        qx = q.get(x, 0.0)
        return bool(q) and ((qx < hi_k and max((v for c, v in q.items() if c != x), default=0.0) >= lo_rc)
                            or qx < hi_vc)

    for e, p, q in zip(examples, scores.pair, scores.codes, strict=True):
        if not e.on_topic or e.source not in sources:
            continue
        ruled = e.cand.rule is not None and e.cand.indicator is not None
        if considered(e.cand) and ruled and (p.get(e.cand.indicator, 0.0) < hi_v or code_may_act(e, q)):
            ruled_active.append((e, p, q))
        elif considered(e.cand) and not ruled and (max(p.values(), default=0.0) >= lo_p
                                                  or max(q.values(), default=0.0) >= lo_s):
            free_active.append((e, p, q))
        else:
            base.update(key(r) for r in example_records(e, p, q, "rules", 1.01, 0.0, 1.01, 1.01))

    def keys_of(e: MentionExample, indicator: str | None, extractor: str | None) -> list[tuple[str, ...]]:
        if indicator is None:
            return []
        vk = _value_key(e.cand.value)
        out = [(e.source, indicator, e.cand.unit, vk)]
        if extractor == "rules" and indicator == e.cand.indicator:
            out += [(e.source, rule.indicator, e.cand.unit, vk) for rule, _ in getattr(e.cand, "shared", [])]
        return out

    def delta(active: list[Any], ruled: bool, **th: float) -> Counter[tuple[str, ...]]:
        out: Counter[tuple[str, ...]] = Counter()
        for e, p, q in active:
            d = decide(e.cand.indicator if ruled else None, e.cand.confidence, p, codes=q, **th)
            out.update(keys_of(e, d.indicator, d.extractor))
        return out

    # tier t: the rule records of confidence in [GATE_GRID[t-1], GATE_GRID[t]) (the last: at or above
    # every gate); gate k lets the models act on tiers 0..k and keeps the rule keys of the others, so
    # each record is decided once a point
    by_tier: list[list[Any]] = [[] for _ in range(len(GATE_GRID) + 1)]
    for row in ruled_active:
        by_tier[next((t for t, g in enumerate(GATE_GRID) if row[0].cand.confidence < g), len(GATE_GRID))].append(row)
    kept = [Counter(k for e, _, _ in rows for k in keys_of(e, e.cand.indicator, "rules")) for rows in by_tier]

    base_points = [{"veto": v, "relabel": r, **c} for v in VETO_GRID for r in RELABEL_GRID for c in code_grid()]
    rule_points = [{**th, "gate": g} for th in base_points for g in GATE_GRID]
    free_points = [{"propose": p, "suggest": s} for p in PROPOSE_GRID for s in SUGGEST_GRID]
    by_base = [[delta(rows, True, propose=1.01, suggest=1.01, **th) for rows in by_tier[:-1]] for th in base_points]
    by_free = [delta(free_active, False, veto=0.0, relabel=1.01, **th) for th in free_points]
    touched = sorted({k for d in [*kept, *(c for cs in by_base for c in cs), *by_free] for k in d})
    col = {k: i for i, k in enumerate(touched)}

    def vec(c: Counter[tuple[str, ...]]) -> Any:
        v = np.zeros(len(touched), dtype=np.int64)
        for k, n in c.items():
            v[col[k]] += n
        return v

    # the keys the sure tiers keep under gate k (tiers above k), then each point's rows gate by gate
    kept_above = np.cumsum(np.array([vec(c) for c in kept])[::-1], axis=0)[::-1]
    rule_m = np.zeros((len(rule_points), len(touched)), dtype=np.int64)
    for i, cs in enumerate(by_base):
        act = np.cumsum(np.array([vec(c) for c in cs]), axis=0)
        for k in range(len(GATE_GRID)):
            rule_m[i * len(GATE_GRID) + k] = act[k] + kept_above[k + 1]
    free_m = np.array([vec(d) for d in by_free]).reshape(len(by_free), len(touched))
    base_t, want_t = vec(Counter({k: n for k, n in base.items() if k in col})), vec(
        Counter({k: n for k, n in want.items() if k in col}))
    fixed_matched = sum(min(n, want[k]) for k, n in base.items() if k not in col)
    n_base, n_gold = sum(base.values()), sum(want.values())
    rule_pred = rule_m.sum(axis=1)
    grid = []
    for fp, free in zip(free_points, free_m, strict=True):
        matched = fixed_matched + np.minimum(base_t + free + rule_m, want_t).sum(axis=1)
        n_pred = n_base + int(free.sum()) + rule_pred
        for rp, m, n in zip(rule_points, matched.tolist(), n_pred.tolist(), strict=True):
            prec, rec = (m / n if n else 0.0), (m / n_gold if n_gold else 0.0)
            f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
            grid.append({**fp, **rp, "f1": round(f1, 4), "predicted": n, "matched": m})
    best = max(grid, key=lambda g: (g["f1"], g["propose"] + g["suggest"] + g["relabel"] + g["relabel_codes"],
                                    -g["veto"] - g["veto_codes"] - g["keep_codes"], -g["gate"]))
    return {k: best[k] for k in THRESHOLDS}, grid


def relabel_counts(gold: list[dict[str, Any]], examples: list[MentionExample], scores: Scores,
                   by_source: dict[str, dict[str, float]]) -> dict[str, Any]:
    """What the combination did to the rule records of each source with the thresholds of its fold:
    relabels (by the pair path and by the code model), vetoes; how many of the new codes match a gold
    record, and how many of the rule codes they replaced did."""
    from collections import Counter

    from pipeline.stages.extract.mention_model import considered, decide

    want = {(g["source"], g["indicator"], g["unit"], _value_key(g["value"])) for g in gold}
    out: dict[str, Counter[str]] = {}
    examples_list: list[dict[str, Any]] = []
    for e, p, q in zip(examples, scores.pair, scores.codes, strict=True):
        if not e.on_topic or e.source not in by_source or not considered(e.cand) \
                or e.cand.rule is None or e.cand.indicator is None:
            continue
        d = decide(e.cand.indicator, e.cand.confidence, p, codes=q, **by_source[e.source])
        if d.extractor == "rules":
            continue
        what = (d.reason or "").split(":", 1)[0]
        vk = _value_key(e.cand.value)
        was = (e.source, e.cand.indicator, e.cand.unit, vk) in want
        now = d.indicator is not None and (e.source, d.indicator, e.cand.unit, vk) in want
        c = out.setdefault(what, Counter())
        c["made"] += 1
        c["new_code_right"] += now
        c["rule_code_was_right"] += was
        examples_list.append({"source": e.source, "what": what, "rule": e.cand.indicator, "new": d.indicator,
                              "value": e.cand.value, "unit": e.cand.unit, "right": now, "was_right": was,
                              "rule_confidence": e.cand.confidence})
    return {"counts": {k: dict(v) for k, v in sorted(out.items())}, "changes": examples_list}


def nested_thresholds(gold: list[dict[str, Any]], examples: list[MentionExample],
                      inner: dict[str, Scores]) -> dict[str, dict[str, float]]:
    """The thresholds of every fold, chosen on the other sources only (:func:`inner_probabilities`)."""
    out = {}
    for f, sc in sorted(inner.items()):
        idx = [i for i, e in enumerate(examples) if fold_of(e.source) != f]
        chosen = choose_thresholds([g for g in gold if fold_of(g["source"]) != f], [examples[i] for i in idx],
                                   Scores([sc.pair[i] for i in idx], [sc.codes[i] for i in idx]))[0]
        out.update((e.source, chosen) for e in examples if fold_of(e.source) == f)
    return dict(sorted(out.items()))


def fold_predictions(examples: list[MentionExample], scores: Scores, mode: str,
                     by_source: dict[str, dict[str, float]] | None = None) -> list[dict[str, Any]]:
    """:func:`predictions` of every source with the thresholds of its fold (``by_source``; the
    defaults when None)."""
    if by_source is None or mode != "combined":
        return predictions(examples, scores.pair, mode, codes=scores.codes)
    out: list[dict[str, Any]] = []
    for s in sorted({e.source for e in examples}):
        idx = [i for i, e in enumerate(examples) if e.source == s]
        out += predictions([examples[i] for i in idx], [scores.pair[i] for i in idx], mode,
                           codes=[scores.codes[i] for i in idx], **by_source[s])
    return out


def compare(gold: list[dict[str, Any]], examples: list[MentionExample], scores: Scores,
            by_source: dict[str, dict[str, float]] | None = None,
            only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Rules-only, classifier-only and combined scores (overall and per family) and calibration;
    combined with the thresholds of each fold (``by_source``). ``only``: the sources whose names
    start with one of these prefixes (the slice's rows of the same held-out predictions)."""
    from pipeline.learn.evaluate import evaluate

    if only is not None:
        gold = [g for g in gold if g["source"].startswith(only)]
    out: dict[str, Any] = {}
    for mode in ("rules", "classifier", "combined"):
        recs = fold_predictions(examples, scores, mode, by_source)
        ev = evaluate(gold, recs)
        sources = {s: round(evaluate([g for g in gold if g["source"] == s],
                                     [r for r in recs if r["source"] == s]).overall.f1, 4)
                   for s in sorted({g["source"] for g in gold})}
        out[mode] = {"overall": ev.overall.as_dict(), "families": {k: v.as_dict() for k, v in ev.families.items()},
                     "calibration": calibration(gold, recs), "sources": sources,
                     "extractors": dict(sorted(_count(r["extractor"] for r in recs
                                                      if r["source"] in sources).items()))}
    return out


def _count(items: Any) -> dict[str, int]:
    from collections import Counter

    return dict(Counter(items))


def format_comparison(title: str, table: dict[str, Any]) -> str:
    """The side-by-side table printed by ``zhibiao train``."""
    modes = ("rules", "classifier", "combined")
    lines = [title, f"  {'slice':<18}" + "".join(f"{m + ' P/R/F1':>26}" for m in modes)]

    def cell(s: dict[str, Any]) -> str:
        return f"{s['precision']:.4f}/{s['recall']:.4f}/{s['f1']:.4f}".rjust(26)

    lines.append(f"  {'overall':<18}" + "".join(cell(table[m]["overall"]) for m in modes))
    for fam in table["rules"]["families"]:
        lines.append(f"  {fam:<18}" + "".join(cell(table[m]["families"][fam]) for m in modes))
    lines.append(f"  {'errors by conf.':<18}" + "".join(
        f"{table[m]['calibration']['errors_lowest_10pct']:.2f} low10%, {table[m]['calibration']['errors_top_50pct']:.2f} top50%".rjust(26)
        for m in modes))
    lines.append(f"  {'gold/pred/match':<18}" + "".join(
        f"{table[m]['overall']['gold']}/{table[m]['overall']['predicted']}/{table[m]['overall']['matched']}".rjust(26)
        for m in modes))
    lines.append("  F1 by source (rules/classifier/combined): " + "; ".join(
        f"{s[:3]} " + "/".join(f"{table[m]['sources'][s]:.3f}" for m in modes) for s in table["rules"].get("sources", {})))
    lines.append("  combined records by extractor: " + ", ".join(
        f"{k} {v}" for k, v in table["combined"].get("extractors", {}).items()))
    lines.append("  attributes on matched records (rules' resolvers in every mode): " + ", ".join(
        f"{a} {table['combined']['overall'][a + '_acc']:.3f}" for a in ("stage", "year", "kind", "approx")))
    return "\n".join(lines)
