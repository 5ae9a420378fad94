"""The panel (pipeline/analysis/panel.py): documents vote, near duplicates once, conflicts beyond rounding."""

from __future__ import annotations

import pytest

from pipeline.analysis.panel import agree, build_panel, precision


def rec(doc: str, value: float, rid: str, confidence: float = 0.9, **kw: object) -> dict:
    row = {"doc_id": doc, "record_id": rid, "region": "安徽省六安市霍邱县", "region_code": "341522", "year": 2021,
           "indicator": "enroll.gross_rate", "stage": "preschool", "kind": "level", "unit": "%",
           "value": value, "confidence": confidence}
    row.update(kw)
    return row


def test_near_duplicates_add_evidence_not_weight() -> None:
    # a.txt and its copy on another site say 93.2; two other reports say 95: 95 wins, 2 votes to 1
    records = [rec("a#0", 93.2, "r1"), rec("a_copy#0", 93.2, "r2"), rec("b#0", 95.0, "r3"), rec("c#0", 95.0, "r4")]
    docs = [{"doc_id": "a#0", "near_duplicate_of": None}, {"doc_id": "a_copy#0", "near_duplicate_of": "a#0"},
            {"doc_id": "b#0", "near_duplicate_of": None}, {"doc_id": "c#0", "near_duplicate_of": None}]
    [row] = build_panel(records, docs)
    assert (row.value, row.n_records, row.n_documents) == (95.0, 4, 3)
    assert (row.value_min, row.value_max, row.conflict) == (93.2, 95.0, True)
    assert row.record_ids == ["r1", "r2", "r3", "r4"]


def test_without_the_link_the_copies_outvote() -> None:
    records = [rec("a#0", 93.2, "r1"), rec("a_copy#0", 93.2, "r2"), rec("b#0", 95.0, "r3")]
    docs = [{"doc_id": d, "near_duplicate_of": None} for d in ("a#0", "a_copy#0", "b#0")]
    assert build_panel(records, docs)[0].value == 93.2


def test_a_tie_goes_to_the_more_confident_value_and_rounding_is_no_conflict() -> None:
    records = [rec("a#0", 93.0, "r1", confidence=0.6), rec("b#0", 93.2, "r2", confidence=0.95)]
    [row] = build_panel(records, [])
    assert (row.value, row.conflict) == (93.2, False)


def test_records_without_place_or_year_are_left_out_and_keys_split_rows() -> None:
    records = [rec("a#0", 93.0, "r1", region_code=None), rec("a#0", 93.0, "r2", year=None),
               rec("a#0", 88.0, "r3", stage="senior_stage"), rec("a#0", 93.0, "r4")]
    rows = build_panel(records, [])
    assert [(r.stage, r.value) for r in rows] == [("preschool", 93.0), ("senior_stage", 88.0)]


@pytest.mark.parametrize("a, b, unit, same", [
    (93.0, 93.2, "%", True),          # 93 is 93.2 rounded
    (93.0, 95.0, "%", False),
    (100.0, 90.0, "%", False),        # a rate's trailing zeros are not rounding
    (15000.0, 15353.0, "人", True),   # 1.5万人
    (15000.0, 16353.0, "人", False),
    (1930.0, 1931.0, "人", False),
    (240620000.0, 240600000.0, "元", True),  # 24062万元 and 2.406亿元
])
def test_agree_within_rounding(a: float, b: float, unit: str, same: bool) -> None:
    assert agree(a, b, unit) is same
    assert agree(b, a, unit) is same


def test_precision() -> None:
    assert (precision(93.25, "%"), precision(93.0, "%"), precision(15000.0, "人")) == (0.01, 1.0, 1000.0)
