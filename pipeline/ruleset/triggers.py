"""Trigger rules (rules/triggers.yaml): loading, validation and matching over a sentence.

A trigger names the indicator a number is about (毛入园率, 专任教师, 投入 …).
:func:`trigger_rules` loads and compiles the rules once per process;
:func:`find_hits` returns every trigger occurrence in a text, longest and
highest-priority first where two overlap at the same place.

Matching is one pass over the sentence's characters, then only the rules that can
match: each rule's anchor characters (:mod:`pipeline.ruleset.anchors`: the
characters a match can begin with, read from its pattern when the rules load) are
looked up in the set of the sentence's characters, and a rule none of whose anchors
occurs is not run (a sentence with numbers runs ~10 of the 38 rules). The hits are
exactly those of every rule's pattern (tests/test_triggers.py checks it on the seed
and dev sentences); a pattern whose anchors cannot be read simply always runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import regex

from pipeline.ruleset.anchors import AnchorIndex
from pipeline.ruleset.codebook import CODES, STAGES, UNITS
from pipeline.ruleset.rulefiles import RuleError, derived, load_yaml_records, recall, rule_path

TRIGGER_FILE = "triggers.yaml"
SIDES = ("left", "right", "both")

_SCHEMA: dict[str, type | tuple[type, ...]] = {
    "id": str, "indicator": str, "pattern": str, "units": list, "priority": int, "local": bool,
    "stage": str, "default_stage": str, "side": str, "requires": str, "change_units": list, "reach": int, "education": str,
    "subject": bool, "share": str, "max_value": (int, float), "note": str,
}


@dataclass(frozen=True)
class TriggerRule:
    """One validated trigger rule."""

    id: str
    indicator: str
    pattern: regex.Pattern
    units: tuple[str, ...]
    priority: int = 0
    local: bool = False
    stage: str | None = None
    default_stage: str | None = None
    side: str = "both"
    requires: regex.Pattern | None = None
    change_units: tuple[str, ...] = ("%", "百分点")
    reach: int | None = None
    education: str | None = None
    subject: bool = False
    share: str | None = None
    max_value: float | None = None
    line: int = 0


@dataclass(frozen=True)
class Hit:
    """A trigger rule matched at [start, end) of a text."""

    rule: TriggerRule
    start: int
    end: int
    text: str


def _check(rec: dict[str, Any], where: str) -> None:
    if rec["indicator"] not in CODES:
        raise RuleError(f"{where}: unknown indicator '{rec['indicator']}' (not in codebook v1.2)")
    bad = [u for u in rec["units"] + (rec.get("change_units") or []) if u not in UNITS]
    if bad:
        raise RuleError(f"{where}: unknown unit(s) {bad}; allowed {list(UNITS)}")
    for key in ("stage", "default_stage"):
        if rec.get(key) is not None and rec[key] not in STAGES:
            raise RuleError(f"{where}: unknown {key} '{rec[key]}'")
    if rec.get("side", "both") not in SIDES:
        raise RuleError(f"{where}: side must be one of {SIDES}")
    if rec.get("education") not in (None, "clause", "sentence", "period"):
        raise RuleError(f"{where}: education must be 'clause', 'sentence' or 'period'")


@cache
def trigger_rules() -> tuple[TriggerRule, ...]:
    """Every trigger rule of rules/triggers.yaml, validated and compiled (loaded once per process)."""
    path = rule_path(TRIGGER_FILE)
    recs = load_yaml_records(TRIGGER_FILE, _SCHEMA, required=("id", "indicator", "pattern", "units"), key="id")
    rules: list[TriggerRule] = []
    for rec in recs:
        where = f"{path}:{rec['_line']}"
        _check(rec, where)
        try:
            pat = regex.compile(rec["pattern"])
            requires = regex.compile(rec["requires"]) if rec.get("requires") else None
        except regex.error as exc:
            raise RuleError(f"{where}: bad pattern: {exc}") from exc
        rules.append(TriggerRule(
            id=rec["id"], indicator=rec["indicator"], pattern=pat, units=tuple(rec["units"]),
            priority=rec.get("priority") or 0, local=bool(rec.get("local")), stage=rec.get("stage"),
            default_stage=rec.get("default_stage"), side=rec.get("side") or "both", requires=requires,
            change_units=tuple(rec["change_units"]) if rec.get("change_units") is not None else ("%", "百分点"),
            reach=rec.get("reach"), education=rec.get("education"), subject=bool(rec.get("subject")),
            share=rec.get("share"), max_value=rec.get("max_value"),
            line=rec["_line"]))
    ids = {r.id for r in rules}
    for r in rules:
        if r.share is not None and r.share not in ids:
            raise RuleError(f"{path}:{r.line}: share names no rule id '{r.share}'")
    return tuple(rules)


def rule_by_id(rule_id: str) -> TriggerRule:
    """The trigger rule with id ``rule_id``."""
    return next(r for r in trigger_rules() if r.id == rule_id)


def covered_codes() -> set[str]:
    """Indicator codes that at least one trigger rule can produce."""
    return {r.indicator for r in trigger_rules()}


_INDEX: list[tuple[tuple[TriggerRule, ...], AnchorIndex]] = []


def _index() -> AnchorIndex:
    """The anchor index of the loaded rules (a rule with ``requires`` needs the anchors of both)."""
    rules = trigger_rules()
    return derived(_INDEX, (rules,), lambda: AnchorIndex(
        [(r, r.pattern.pattern, r.requires.pattern if r.requires else None) for r in rules]))


def find_hits(text: str) -> list[Hit]:
    """Every trigger occurrence in ``text``, sorted by position.

    Several rules may match the same words (资助 names both student aid and
    its recipients); the extractor picks among them by the number's unit.
    Only the rules that can match are run (see the module doc): the hits are those of every rule.
    The hits of a text are remembered (a repeated sentence is not matched again).
    """
    index = _index()

    def hits_of(t: str) -> tuple[Hit, ...]:
        hits = [Hit(rule, m.start(), m.end(), m.group(0))
                for rule in index.candidates(t) if rule.requires is None or rule.requires.search(t)
                for m in rule.pattern.finditer(t) if m.end() > m.start()]
        hits.sort(key=lambda h: (h.start, -(h.end - h.start), -h.rule.priority))
        return tuple(hits)

    return list(recall(index.results, text, hits_of))
