"""Score extracted indicator records against gold files (../shared/spec/gold.md).

A predicted record matches a gold record of the same source when indicator
and unit are equal and value is equal within a relative 1e-6; each gold
record matches at most once. Predictions whose indicator is not a codebook
code are ignored. Figures are micro-averaged over all sources, overall, per
codebook family and with ``hard`` gold records left out; attribute accuracy
(stage, year, kind, approx; region_code where the gold has it) is measured on the matched pairs.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.ruleset.codebook import CODES, FAMILIES, family

ATTRIBUTES = ("stage", "year", "kind", "approx", "region_code")
#: Attributes scored only on pairs whose gold record has the key (gold made before codebook v1.3
#: carries no region).
KEYED = frozenset({"region_code"})
REL_TOL = 1e-6


@dataclass
class Score:
    """Counts and figures for one slice of the evaluation."""

    gold: int = 0
    predicted: int = 0
    matched: int = 0
    agree: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ATTRIBUTES, 0))
    #: matched pairs on which each attribute is scored (all of them, but for KEYED attributes)
    scored: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ATTRIBUTES, 0))

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def accuracy(self, attr: str) -> float:
        return self.agree[attr] / self.scored[attr] if self.scored[attr] else 0.0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "gold": self.gold, "predicted": self.predicted, "matched": self.matched,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
        }
        out.update({f"{a}_acc": round(self.accuracy(a), 4) for a in ATTRIBUTES})
        return out


@dataclass
class Evaluation:
    """The whole evaluation: overall, per family, without hard records, and the errors."""

    overall: Score
    families: dict[str, Score]
    no_hard: Score
    missed: list[dict[str, Any]]
    spurious: list[dict[str, Any]]
    pairs: list[tuple[dict[str, Any], dict[str, Any]]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "families": {k: v.as_dict() for k, v in self.families.items()},
            "without_hard": self.no_hard.as_dict(),
            "year_by_basis": self.year_by_basis(),
        }

    def year_by_basis(self) -> dict[str, dict[str, float]]:
        """Year accuracy of the matched pairs by the gold record's ``year_basis`` (codebook v1.3;
        ``none`` for a null year), with how many pairs each holds."""
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for g, p in self.pairs:
            c = counts[str(g.get("year_basis") or "none")]
            c[0] += 1
            c[1] += _attr_equal(g.get("year"), p.get("year"))
        return {k: {"pairs": n, "year_acc": round(ok / n, 4)} for k, (n, ok) in sorted(counts.items())}


def load_gold(gold_dir: str | Path) -> list[dict[str, Any]]:
    """All gold records of a folder of ``<source>.jsonl`` files."""
    records: list[dict[str, Any]] = []
    paths = sorted(Path(gold_dir).glob("*.jsonl"))
    if not paths:
        raise FileNotFoundError(f"no gold files (*.jsonl) in {gold_dir}")
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno}: not JSON: {exc}") from exc
                rec.setdefault("source", path.stem)
                records.append(rec)
    return records


def _same_value(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-9)


def _agreement(gold: dict[str, Any], pred: dict[str, Any]) -> int:
    return sum(_attr_equal(gold.get(a), pred.get(a)) for a in ATTRIBUTES)


def _attr_equal(g: Any, p: Any) -> bool:
    if g is None or p is None:
        return g is None and p is None
    if isinstance(g, (int, float)) and isinstance(p, (int, float)) and not isinstance(g, bool):
        return int(g) == int(p)
    return g == p


def evaluate(gold: Iterable[dict[str, Any]], predicted: Iterable[dict[str, Any]],
             sources: Iterable[str] | None = None) -> Evaluation:
    """Match predictions to gold (multiset, per source) and compute every figure.

    ``sources`` restricts both sides to those sources; by default the sources
    of the gold are scored and predictions for other sources are ignored.
    """
    gold = list(gold)
    keep = set(sources) if sources is not None else {g["source"] for g in gold}
    gold = [g for g in gold if g["source"] in keep]
    predicted = [p for p in predicted if p.get("indicator") in CODES and p.get("source") in keep]

    by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for p in predicted:
        by_key[(p["source"], p["indicator"], p["unit"])].append(p)

    overall, no_hard = Score(), Score()
    fams = {f: Score() for f in FAMILIES}
    used: set[int] = set()
    missed: list[dict[str, Any]] = []
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    # Match gold records whose candidates are fewest first, then the best-agreeing prediction.
    for g in gold:
        cands = [p for p in by_key.get((g["source"], g["indicator"], g["unit"]), [])
                 if id(p) not in used and _same_value(p["value"], g["value"])]
        if not cands:
            missed.append(g)
            continue
        best = max(cands, key=lambda p: (_agreement(g, p), -abs(len(p.get("quote") or "") - len(g.get("quote") or ""))))
        used.add(id(best))
        pairs.append((g, best))

    for g in gold:
        for s in (overall, fams[family(g["indicator"])]) + ((no_hard,) if not g.get("hard") else ()):
            s.gold += 1
    for p in predicted:
        for s in (overall, fams[family(p["indicator"])], no_hard):
            s.predicted += 1
    hard_matched = 0
    for g, p in pairs:
        slices = [overall, fams[family(g["indicator"])]]
        if not g.get("hard"):
            slices.append(no_hard)
        else:
            hard_matched += 1
        for s in slices:
            s.matched += 1
            for a in ATTRIBUTES:
                if a in KEYED and a not in g:
                    continue
                s.scored[a] += 1
                s.agree[a] += _attr_equal(g.get(a), p.get(a))
    # Predictions that matched hard gold records leave the no-hard slice too.
    no_hard.predicted -= hard_matched
    spurious = [p for p in predicted if id(p) not in used]
    return Evaluation(overall, fams, no_hard, missed, spurious, pairs)


def format_report(ev: Evaluation) -> str:
    """A plain-text table of the evaluation."""
    width = {a: max(11, len(a) + 6) for a in ATTRIBUTES}
    head = f"{'slice':<18}{'gold':>6}{'pred':>6}{'match':>7}{'P':>8}{'R':>8}{'F1':>8}" + "".join(
        f"{a + '_acc':>{width[a]}}" for a in ATTRIBUTES)
    lines = [head, "-" * len(head)]

    def row(name: str, s: Score) -> str:
        return (f"{name:<18}{s.gold:>6}{s.predicted:>6}{s.matched:>7}{s.precision:>8.3f}{s.recall:>8.3f}"
                f"{s.f1:>8.3f}" + "".join(f"{s.accuracy(a):>{width[a]}.3f}" if s.scored[a] else f"{'-':>{width[a]}}"
                                          for a in ATTRIBUTES))

    lines.append(row("overall", ev.overall))
    lines.append(row("without hard", ev.no_hard))
    for name, s in ev.families.items():
        lines.append(row(name, s))
    lines.append("year_acc by gold year_basis: " + ", ".join(
        f"{k} {v['year_acc']:.3f} ({v['pairs']})" for k, v in ev.year_by_basis().items()))
    return "\n".join(lines)
