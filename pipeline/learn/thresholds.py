"""Choosing the mention classifier's thresholds from held-out probabilities (nested: thresholds
chosen on the inner folds are scored on the outer fold), and comparing the product paths."""

from __future__ import annotations

from typing import Any

from pipeline.learn.labelled import MentionExample
from pipeline.learn.loso import (
    CODE_C,
    MENTION_C,
    THRESHOLDS,
    MentionData,
    Scores,
    annotator_groups,
    calibration,
    example_records,
    fold_of,
    held_out_scores,
    predictions,
)


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
    held-out (``scores``), and the grid. (Long: one vectorised grid search whose precomputed
    arrays are shared by every grid point; split it and they must be passed around.)

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
