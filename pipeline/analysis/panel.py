"""The panel table: one row per (region_code, year, indicator, stage, kind, unit) over a run.

Records with no place or no year are left out: the panel answers "which value did each place
have in each year". Every record of a cell is evidence (``n_records``, ``value_min``,
``value_max``, ``record_ids``), but documents vote, not records: a document and its near
duplicates (``documents.near_duplicate_of``, the same report on another site) are one voter,
whose value is the one it states most often (the first stated on a tie). The chosen value is
the one most voters state; a tie goes to the value whose records have the higher mean
confidence, then to the smaller value. ``conflict`` is true when two values of the cell differ
beyond rounding (:func:`agree`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from pipeline.records import PanelRow

KEY = ("region_code", "year", "indicator", "stage", "kind", "unit")
#: The columns the panel reads, by table: the documents' texts and offset maps are never loaded.
PANEL_COLUMNS: dict[str, list[str]] = {
    "indicators": ["doc_id", "record_id", "region", "value", "confidence", *KEY],
    "documents": ["doc_id", "near_duplicate_of"],
}
#: Units whose values are never rounded to tens or thousands (100% is exact).
_RATE_UNITS = frozenset({"%", "百分点"})
#: From this size on, a whole number's trailing zeros are taken as rounding (1.5万人 = 15000).
ROUNDED_FROM = 10_000


def precision(value: float, unit: str) -> float:
    """The rounding step a written value implies: 0.01 for 93.25, 1 for 93, 1000 for 15000 人."""
    text = repr(float(value))
    if "e" in text:
        return 0.0
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    if frac:
        return 10.0 ** -len(frac)
    if unit in _RATE_UNITS or abs(value) < ROUNDED_FROM:
        return 1.0
    digits = whole.lstrip("-")
    return 10.0 ** (len(digits) - len(digits.rstrip("0")))


def agree(a: float, b: float, unit: str) -> bool:
    """Whether two values are the same figure written with different rounding (93 and 93.2,
    15000 and 15353 人), i.e. the finer one rounds to the coarser."""
    step = max(precision(a, unit), precision(b, unit))
    return math.isclose(a, b, rel_tol=1e-9) or abs(a - b) <= step / 2 + 1e-9 * max(1.0, abs(a), abs(b))


def _roots(documents: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each document's first copy: near_duplicate_of followed to a document that is no duplicate."""
    link = {d["doc_id"]: d.get("near_duplicate_of") for d in documents}

    def root(doc_id: str) -> str:
        seen = {doc_id}
        while link.get(doc_id) and link[doc_id] not in seen:
            doc_id = link[doc_id]
            seen.add(doc_id)
        return doc_id

    return {d: root(d) for d in link}


def _vote(records: list[dict[str, Any]]) -> float:
    """The value one voter (a document and its near duplicates) states most often; first on a tie."""
    counts = Counter(r["value"] for r in records)
    best = max(counts.values())
    return next(r["value"] for r in records if counts[r["value"]] == best)


def build_panel(indicators: Iterable[dict[str, Any]], documents: Iterable[dict[str, Any]]) -> list[PanelRow]:
    """The panel rows of a run's indicator records, ordered by their key."""
    roots = _roots(documents)
    cells: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for rec in indicators:
        if rec.get("region_code") is None or rec.get("year") is None:
            continue
        cells[tuple(rec[k] for k in KEY)].append(rec)
    rows: list[PanelRow] = []
    for key in sorted(cells, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        recs = cells[key]
        voters: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in recs:
            voters[roots.get(rec["doc_id"], rec["doc_id"])].append(rec)
        votes = Counter(_vote(v) for v in voters.values())
        confidence = defaultdict(list)
        for rec in recs:
            confidence[rec["value"]].append(rec.get("confidence") or 0.0)
        value = max(votes, key=lambda v: (votes[v], sum(confidence[v]) / len(confidence[v]), -v))
        values = sorted({r["value"] for r in recs})
        unit = key[5]
        conflict = any(not agree(a, b, unit) for i, a in enumerate(values) for b in values[i + 1:])
        rows.append(PanelRow(
            region_code=key[0], region=recs[0]["region"], year=key[1], indicator=key[2], stage=key[3],
            kind=key[4], unit=unit, value=value, n_records=len(recs), n_documents=len(voters),
            value_min=values[0], value_max=values[-1], conflict=conflict,
            record_ids=sorted(r["record_id"] for r in recs)))
    return rows
