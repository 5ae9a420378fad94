"""The codebook contract in code agrees with itself: every code has its units, all of them base units."""

from __future__ import annotations

from pipeline.ruleset.codebook import CODE_UNITS, CODES, UNITS, unit_codes


def test_every_code_has_base_units_and_every_unit_names_its_codes() -> None:
    assert set(CODE_UNITS) == set(CODES)
    assert all(units and set(units) <= set(UNITS) for units in CODE_UNITS.values())
    assert "enroll.gross_rate" in unit_codes("百分点") and "funding.aid_recipients" in unit_codes("人次")
    assert unit_codes("所") == ["schools.built", "schools.count"] and unit_codes("平方米") == []
