"""Which trigger governs a number: unit compatibility, segments, claimed triggers, subjects.

The rule extractor (:mod:`pipeline.stages.extract.extract`) asks, for each number of a
sentence, :func:`choose` for the trigger that governs it, :func:`continues`
for the earlier record it carries on when it has no trigger of its own,
:func:`subject_hits` for the list of subjects a 分别/均 list is aligned to, and
:func:`blocked` for the cues that cancel a record (其中少数民族, 校长, schools
acted on, people who are not the indicator's subject).
"""

from __future__ import annotations

import regex

from pipeline.ruleset.cues import cue_candidates, cue_match, first_cue
from pipeline.ruleset.triggers import Hit, TriggerRule
from pipeline.stages.extract.attributes import stage_in
from pipeline.stages.extract.candidate import Candidate
from pipeline.stages.extract.frames import SEPARATOR, Clause, clause_at, in_brackets
from pipeline.stages.extract.quantity_grammar import Quantity

#: A change clause continues the previous record only when it has no subject of its
#: own: at most this many characters besides the change words (较xx年增长, 比上年同期提高).
BARE_CHANGE = 6
#: Units of a growth rate: a change of any count may be written in them (增长3.2%, 提高0.7个百分点).
RATE_UNITS = ("%", "百分点")
_FILLER = regex.compile(r"整体|分别|均|都|也")
_OWN_RATE = regex.compile(r"(?<!该|这一|此|上述)(?:率|占比|比例|比重)")  # 该比例 names the rate before
_LEADS_IN = regex.compile(r"[分别为是达到共计有约近：:\s]*$")
#: Codes whose trigger alone does not say who is counted (培训 N人次: teachers or farmers?)
NEEDS_SUBJECT = frozenset({"teachers.trained"})
ADJACENT = 3      # chars between a number and a noun label right after it


def accepts(rule: TriggerRule, unit: str, change: bool) -> bool:
    """Whether ``rule`` may govern a number in ``unit`` (in a change frame: also its change units)."""
    return unit in rule.units or (change and unit in rule.change_units)


def subject_hits(text: str, hits: list[Hit], lo: int, hi: int, unit: str,
                 change: bool, by_stage: bool = False) -> list[tuple[Hit, str | None]]:
    """The triggers of text[lo:hi] that accept ``unit``, one a subject (overlaps dropped; triggers
    not parted by 、/和/，name one subject), with the
    stage words written with each (义务教育巩固率、高中阶段毛入学率); empty unless they name at
    least two different indicators (or, with ``by_stage``, one indicator at different stages)."""
    chosen: list[Hit] = []
    for h in sorted((h for h in hits if lo <= h.start and h.end <= hi and accepts(h.rule, unit, change)
                     and h.rule.side != "right"), key=lambda h: (h.start, -(h.end - h.start), -h.rule.priority)):
        if chosen and h.start < chosen[-1].end:
            continue
        if chosen and not SEPARATOR.search(text, chosen[-1].end, h.start):
            # words of one subject (生均公用经费): the more specific trigger speaks for it
            if h.rule.priority > chosen[-1].rule.priority:
                chosen[-1] = h
            continue
        chosen.append(h)
    out: list[tuple[Hit, str | None]] = []
    start = lo
    for h in chosen:
        found, stage = stage_in(text[start:h.end])
        out.append((h, h.rule.stage or (stage if found else None)))
        start = h.end
    if len({h.rule.indicator for h in chosen}) >= 2:
        return out
    stages = [st for _h, st in out]
    if by_stage and len(out) >= 2 and None not in stages and len(set(stages)) == len(stages):
        return out  # 小学入学率、初中入学率均达到100%: one indicator, a subject a stage
    return []


def distance(h: Hit, q: Quantity) -> int:
    """Characters between a trigger and a number (0 when they touch or overlap)."""
    return max(0, q.start - h.end, h.start - q.end)


def claimed(text: str, h: Hit, q: Quantity, values: list[Quantity], clause: Clause, unit: str) -> bool:
    """Whether trigger ``h`` (right of ``q``) already governs a later number of the same unit:
    the words since the previous number are that number's own (…304人、444人入学人数分别为267人)."""
    for v in values:
        if v.start >= h.end and v.end <= clause.end and v.unit == unit:
            if any(h.end <= w.start < v.start for w in values):
                return False
            # adjacent to q it is the noun q counts (3.6万教职工和44万学生), unless it
            # leads straight into the next number (444人入学人数分别为267人)
            return h.start - q.end > ADJACENT or bool(_LEADS_IN.match(text, h.end, v.start))
    return False


def choose(text: str, hits: list[Hit], q: Quantity, values: list[Quantity], clause: Clause, seg_start: int,
           unit: str, change: bool) -> tuple[Hit | None, str | None]:
    """The trigger hit that governs ``q`` and how it was found: ``label`` (a noun label right
    after it), ``segment``/``right`` (its own words or after it in the clause; highest
    priority, then the segment, then the nearest), ``clause`` (a clause-wide trigger before)."""
    ok = [h for h in hits if accepts(h.rule, unit, change) and clause.start <= h.start and h.end <= clause.end
          and (h.rule.reach is None or distance(h, q) <= h.rule.reach)
          and (h.rule.max_value is None or q.value is None or abs(q.value) <= h.rule.max_value)]
    label = [h for h in ok if h.rule.local and q.end <= h.start <= q.end + ADJACENT and h.rule.side != "left"
             and not SEPARATOR.search(text[q.end:h.start])]
    if label:
        best = min(label, key=lambda h: (h.start, -h.rule.priority))
        return _verb_over_subject(best, "label", ok, q, values, clause, seg_start)
    seg = [(h, "segment", q.start - h.end) for h in ok
           if h.start >= seg_start and h.end <= q.start and h.rule.side != "right"]
    right = [(h, "right", h.start - q.end) for h in ok if h.start >= q.end and h.rule.side != "left"
             and not h.rule.local and not claimed(text, h, q, values, clause, unit)]
    near = seg + right
    if near:
        h, how, _d = max(near, key=lambda t: (t[0].rule.priority, t[1] == "segment", -t[2]))
        return _verb_over_subject(h, how, ok, q, values, clause, seg_start)
    wide = [h for h in ok if h.end <= seg_start and not h.rule.local and h.rule.side != "right"]
    if wide:
        return max(wide, key=lambda h: (h.end, h.rule.priority)), "clause"
    return None, None


def _verb_over_subject(h: Hit, how: str, ok: list[Hit], q: Quantity, values: list[Quantity], clause: Clause,
                       seg_start: int) -> tuple[Hit, str]:
    """A subject noun (骨干教师) names who is counted; a verb trigger of the same family around the
    number decides what is counted (骨干教师交流43人, 选派18名骨干教师到乡村学校支教: exchanges).
    The verb stands in the number's segment or after it, before the next number of the clause."""
    if not h.rule.subject:
        return h, how
    family = h.rule.indicator.split(".")[0]
    nxt = min((v.start for v in values if v.start >= q.end), default=clause.end)
    verbs = [w for w in ok if not w.rule.subject and not w.rule.local and w.rule.indicator.split(".")[0] == family
             and ((seg_start <= w.start and w.end <= q.start) or (q.end <= w.start and w.end <= min(nxt, clause.end)))]
    if not verbs:
        return h, how
    best = min(verbs, key=lambda w: (-w.rule.priority, distance(w, q)))
    return best, "segment" if best.end <= q.start else "right"


def nearest_subject(text: str, q: Quantity, clause: Clause, code: str) -> bool | None:
    """Whether the person noun a count of people counts suits ``code``: True (教师 for teachers.*),
    False (校长, 干部, 学生 for teachers.*), None when no person noun is near."""
    found: list[tuple[int, int, bool]] = []
    for kind, good in (("subject", True), ("not_subject", False)):
        for cue in cue_candidates(kind, "sentence", text, code):  # the cues of ``code`` that can match
            found += [(m.start(), m.end(), good) for m in cue.pattern.finditer(text)]
    if not found:
        return None
    adjacent = [f for f in found if q.end <= f[0] <= q.end + ADJACENT and not SEPARATOR.search(text, q.end, f[0])]
    if adjacent:
        return min(adjacent, key=lambda f: (f[0], -(f[1] - f[0])))[2]
    left = [f for f in found if f[1] <= q.start]
    if left:
        return max(left, key=lambda f: (f[1], f[1] - f[0]))[2]
    right = [f for f in found if q.end <= f[0] and f[1] <= clause.end]
    if right:
        return min(right, key=lambda f: (f[0], -(f[1] - f[0])))[2]
    return None


def blocked(text: str, code: str, clause: Clause, q: Quantity, context: str = "") -> str | None:
    """Why a record of ``code`` for ``q`` is cancelled (a cue id or ``not_subject``), or None.

    ``context`` is the text of the period before the sentence: a count whose sentence names
    nobody (组织各级各类培训1.2万人次, after 招聘教师236人；) takes its subject from there."""
    before = text[max(clause.start, q.start - 8):q.start]
    after = text[q.end:q.end + 16]  # may cross the clause end: after-cues say themselves where they stop
    clause_left = text[clause.start:q.start]
    for kind, scope, part in (("block", "before", before), ("block", "after", after),
                              ("block", "clause", clause_left), ("block", "sentence", text[:q.start]),
                              ("acted_on", "clause", clause_left),
                              ("acted_on", "after", after)):
        cue = first_cue(kind, scope, part, code)
        if cue is not None:
            return cue.id
    if q.unit in ("人", "人次", None):
        subject = nearest_subject(text, q, clause, code)
        if subject is None and context:
            subject = nearest_subject(context, Quantity("", len(context), len(context), None, None),
                                      Clause(0, len(context), context), code)
        if subject is False or (subject is None and code in NEEDS_SUBJECT):
            return "not_subject"
    return None


class Decided:
    """The candidates of a sentence before the current number, indexed as they are decided, so that
    :func:`continues` takes constant time (it walked back over every earlier number: quadratic in a
    sentence of thousands of numbers). Call :meth:`catch_up` before each :func:`continues`."""

    def __init__(self) -> None:
        self.seen = 0
        self.last: tuple[int, Candidate] | None = None        # the last record
        self.last_level: tuple[int, Candidate] | None = None  # the last record that is not a change
        self.change_in: dict[str | None, tuple[int, Candidate]] = {}  # the last change record, by unit
        self.level_in: dict[str | None, tuple[int, Candidate]] = {}   # the last record not a change, by unit
        self.blocked_in: dict[str | None, int] = {}  # where the last blocked value is, by unit

    def catch_up(self, before: list[Candidate], upto: int) -> None:
        """Index ``before[:upto]`` (each candidate once: they do not change once decided)."""
        for k in range(self.seen, upto):
            c = before[k]
            if c.rule is not None:
                self.last = (k, c)
                if c.kind == "change":
                    self.change_in[c.unit] = (k, c)
                else:
                    self.last_level = self.level_in[c.unit] = (k, c)
            elif c.quantity.is_value and c.reason and c.reason.startswith("blocked"):
                self.blocked_in[c.unit] = k
        self.seen = max(self.seen, upto)


def continues(before: Decided, unit: str, change: bool, seg_left: str, text: str, cls: list[Clause],
              ci: int) -> Candidate | None:
    """The earlier record of the sentence a number without a trigger continues: in a change
    frame the last record of its clause or the clause before (较xx年增长12.03%; a clause in brackets between
    them does not count); otherwise the last record in the same unit,
    past numbers that made none (1554万元的30%(466万元)) and changes in another unit
    (比例为4.03%,比上年下降0.11个百分点,但仍保持在4%以上: past the change to its level), unless
    the number's own words name a new rate or share (占比, 比例). A value blocked in the unit
    after that record stops the search."""
    blocked = before.blocked_in.get(unit, -1)
    if change:
        if before.last is None or before.last[0] < blocked:
            return None
        c = before.last[1]
        found = cue_match("change", "before", seg_left)
        rest = seg_left[:found[1].start()] if found else seg_left
        bare = len(_FILLER.sub("", rest)) <= BARE_CHANGE
        if not bare:
            return None
        k = ci - 1  # the clause before, past bracket notes (27所(不含技工学校),较去年减少1所)
        while k > 0 and in_brackets(text, cls[k]):
            k -= 1
        if c.unit != unit and unit not in RATE_UNITS:
            # 上线236人,一本上线率18.4%,比上年增加41人: past a rate to the count in the change's unit
            found = before.level_in.get(unit)
            if found is None or found[0] < blocked:
                return None
            c, k = found[1], k - 1
        return c if clause_at(cls, c.quantity.start) >= k else None
    found_at = [f for f in (before.last_level, before.change_in.get(unit)) if f is not None and f[0] > blocked]
    if not found_at:
        return None
    c = max(found_at, key=lambda f: f[0])[1]
    if c.unit == unit and c.rule is not None and unit in c.rule.units and not _OWN_RATE.search(seg_left):
        return c
    return None
