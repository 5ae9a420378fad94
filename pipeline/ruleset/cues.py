"""Cue words and stage words (rules/cues.yaml, rules/stages.yaml): loading and matching.

Cues tell the extractor the kind of a value (change, target), whether it is
hedged, which year it refers to, and when a number is not the subject of a
trigger at all (其中少数民族, 校长). Each cue has a scope (the text right
before the number, right after it, its clause, its sentence, the section
heading) and may apply to some indicator codes only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import regex

from pipeline.ruleset.anchors import AnchorIndex
from pipeline.ruleset.codebook import STAGES
from pipeline.ruleset.rulefiles import RuleError, derived, load_yaml_records, recall, rule_path

T = TypeVar("T")

CUE_FILE = "cues.yaml"
STAGE_FILE = "stages.yaml"
CUE_KINDS = ("change", "decrease", "target", "approx", "not_approx", "span", "block", "acted_on", "relative_year",
             "definition", "plan_heading", "report_heading", "plan_document",
             "subject", "not_subject", "education", "other_sector")
SCOPES = ("before", "after", "clause", "sentence", "heading")


@dataclass(frozen=True)
class Cue:
    """One cue rule."""

    id: str
    cue: str
    scope: str
    pattern: regex.Pattern
    codes: tuple[str, ...] = ()
    offset: int = 0

    def applies_to(self, code: str | None) -> bool:
        """Whether the cue concerns indicator ``code`` (prefix match; no codes: every code)."""
        if not self.codes:
            return True
        return code is not None and any(code == c or code.startswith(c + ".") for c in self.codes)


@dataclass(frozen=True)
class StageWord:
    """A word naming a stage (or several: stage None)."""

    id: str
    stage: str | None
    pattern: regex.Pattern
    priority: int = 0


@dataclass(frozen=True)
class StageHit:
    """A stage word found at [start, end) of a text."""

    word: StageWord
    start: int
    end: int


def _compile(pattern: str, where: str) -> regex.Pattern:
    try:
        return regex.compile(pattern)
    except regex.error as exc:
        raise RuleError(f"{where}: bad pattern: {exc}") from exc


@cache
def cue_rules() -> tuple[Cue, ...]:
    """Every cue of rules/cues.yaml, validated and compiled (once per process)."""
    path = rule_path(CUE_FILE)
    schema: dict[str, type | tuple[type, ...]] = {
        "id": str, "cue": str, "scope": str, "pattern": str, "codes": list, "offset": int, "note": str}
    out: list[Cue] = []
    for rec in load_yaml_records(CUE_FILE, schema, required=("id", "cue", "scope", "pattern"), key="id"):
        where = f"{path}:{rec['_line']}"
        if rec["cue"] not in CUE_KINDS:
            raise RuleError(f"{where}: unknown cue '{rec['cue']}'; allowed {list(CUE_KINDS)}")
        if rec["scope"] not in SCOPES:
            raise RuleError(f"{where}: unknown scope '{rec['scope']}'; allowed {list(SCOPES)}")
        out.append(Cue(rec["id"], rec["cue"], rec["scope"], _compile(rec["pattern"], where),
                       tuple(rec.get("codes") or ()), rec.get("offset") or 0))
    return tuple(out)


@cache
def stage_words() -> tuple[StageWord, ...]:
    """Every stage word of rules/stages.yaml, validated and compiled (once per process)."""
    path = rule_path(STAGE_FILE)
    schema: dict[str, type | tuple[type, ...]] = {"id": str, "stage": str, "pattern": str, "priority": int, "note": str}
    out: list[StageWord] = []
    for rec in load_yaml_records(STAGE_FILE, schema, required=("id", "pattern"), key="id"):
        where = f"{path}:{rec['_line']}"
        if rec.get("stage") is not None and rec["stage"] not in STAGES:
            raise RuleError(f"{where}: unknown stage '{rec['stage']}'; allowed {list(STAGES)} or null")
        out.append(StageWord(rec["id"], rec.get("stage"), _compile(rec["pattern"], where), rec.get("priority") or 0))
    return tuple(out)


_INDEX: list = []


def cues(kind: str, scope: str | None = None) -> list[Cue]:
    """The cues of one kind (and scope), indexed once per loaded rule set."""
    rules = cue_rules()

    def build() -> dict[tuple[str, str | None], list[Cue]]:
        index: dict[tuple[str, str | None], list[Cue]] = {}
        for c in rules:
            index.setdefault((c.cue, c.scope), []).append(c)
            index.setdefault((c.cue, None), []).append(c)
        return index

    return derived(_INDEX, (rules,), build).get((kind, scope), [])


_ALL = "*"  # the code key of cue_candidates(..., every=True): every cue of the kind, whatever its codes
_GROUPS: list = []


def _group(kind: str, scope: str | None, code: str | None) -> AnchorIndex:
    """The cues of ``kind``/``scope`` that apply to ``code`` (``_ALL``: every one), indexed by anchors."""
    groups: dict[tuple[str, str | None, str | None], AnchorIndex] = derived(_GROUPS, (cue_rules(),), dict)
    return recall(groups, (kind, scope, code), lambda _key: AnchorIndex(
        [(c, c.pattern.pattern) for c in cues(kind, scope) if code == _ALL or c.applies_to(code)]))


def cue_candidates(kind: str, scope: str | None, text: str, code: str | None = None,
                   every: bool = False) -> tuple[Cue, ...]:
    """The cues of ``kind``/``scope`` that apply to ``code`` (or, with ``every``, all of them, whatever
    their codes) and can match ``text`` (:class:`pipeline.ruleset.anchors.AnchorIndex`), in file order. A
    cue left out has no match in ``text``."""
    return _group(kind, scope, _ALL if every else code).candidates(text)


def cue_match(kind: str, scope: str, text: str, code: str | None = None) -> tuple[Cue, regex.Match] | None:
    """The first cue of ``kind``/``scope`` that matches ``text`` and applies to ``code``, with its match."""
    for c in _group(kind, scope, code).candidates(text):
        m = c.pattern.search(text)
        if m:
            return c, m
    return None


def first_cue(kind: str, scope: str, text: str, code: str | None = None) -> Cue | None:
    """The first cue of ``kind``/``scope`` that matches ``text`` and applies to ``code``."""
    found = cue_match(kind, scope, text, code)
    return found[0] if found else None


_STAGE_INDEX: list = []


def _stage_index() -> AnchorIndex:
    words = stage_words()
    return derived(_STAGE_INDEX, (words,), lambda: AnchorIndex([(w, w.pattern.pattern) for w in words]))


_MEMOS: list = []


def remembered(name: str, text: str, compute: Callable[[str], T]) -> T:
    """``compute(text)`` for a result that depends only on a text and the loaded cue and stage rules
    (the extractor asks about the same clause for every number of a sentence), remembered in memo
    ``name`` until the rules are reloaded (:func:`pipeline.ruleset.rulefiles.recall`: the value is shared
    between callers, return an immutable one or copy it)."""
    memos: dict[str, dict] = derived(_MEMOS, (cue_rules(), stage_words()), dict)
    return recall(memos.setdefault(name, {}), text, compute)


def find_stage_words(text: str) -> list[StageHit]:
    """Stage words in ``text``; where two overlap the longer (then higher priority) wins."""
    return list(remembered("stage_words", text, lambda t: tuple(_find_stage_words(t))))


def _find_stage_words(text: str) -> list[StageHit]:
    hits = [StageHit(w, m.start(), m.end()) for w in _stage_index().candidates(text) for m in w.pattern.finditer(text)
            if m.end() > m.start()]
    hits.sort(key=lambda h: (-(h.end - h.start), -h.word.priority, h.start))
    kept: list[StageHit] = []
    for h in hits:
        if all(h.end <= k.start or h.start >= k.end for k in kept):
            kept.append(h)
    kept.sort(key=lambda h: h.start)
    return kept
