"""The rule extractor's reading of one sentence: which trigger governs each number, and the record's
attributes (see :mod:`pipeline.stages.extract.extract` for the order the rules are tried in)."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from pipeline.records import Sentence
from pipeline.ruleset.codebook import UNITS
from pipeline.ruleset.cues import first_cue
from pipeline.ruleset.triggers import Hit, TriggerRule, find_hits, rule_by_id
from pipeline.stages.extract.attributes import (
    DocFacts,
    stage_in,
    stage_run,
)
from pipeline.stages.extract.candidate import CONTEXT, Candidate
from pipeline.stages.extract.frames import Clause, clause_at, clauses, list_runs, respectively_before
from pipeline.stages.extract.governing import (
    RATE_UNITS,
    Decided,
    accepts,
    blocked,
    choose,
    continues,
    subject_hits,
)
from pipeline.stages.extract.quantities import read_quantities
from pipeline.stages.extract.quantity_grammar import NOT_A_VALUE, Quantity
from pipeline.stages.extract.resolver import AttributeContext, lead_clause, resolve_attributes

#: Confidence by how the governing trigger was found (hand-set from the seed
#: gold: segment triggers are right ~9 times in 10, inherited ones less often).
_RESPECTIVELY_BEFORE = regex.compile(r"分别(?:为|是|有|达到?)")
CONFIDENCE = {"label": 0.85, "segment": 0.9, "list": 0.85, "right": 0.75, "clause": 0.65, "inherited": 0.6,
              "lead": 0.6}
_LIST_BOUND = regex.compile(r"(?:以上|以下)")
_SHARED = regex.compile(r"(?:均|都|皆|各有?)(?:达到?|为|是|保持在?|在|接近)?\s*$")
_BREAKDOWN = regex.compile(r"其中|其[:：]|[(（]含")
_PERIOD_BREAK = regex.compile(r"[；;。]")
_CLOSING = regex.compile(r"[)）]")
_FRAME_LINK = regex.compile(r"^\s*[^，,。；;\d]{0,4}?(?:到|至)了?\s*$")
_SHARE_OF = regex.compile(r"占[^，,。；;\d]{0,10}?的?(?:比例|比重)?(?:为|是|达到?)?\s*$")
_QUOTES = ("“”", "\"\"", "‘’", "「」")
#: Characters around a number read for another sector's words (建设城乡道路, 固定资产投资); the
#: seed and dev pages name a number's object within this reach.
SECTOR_WINDOW = 12



def _quoted(text: str, q: Quantity) -> bool:
    """A number that is a whole quoted name (“三名”培训工程, “两免一补”) is not a value."""
    if q.start == 0 or q.end >= len(text):
        return False
    return any(text[q.start - 1] == o and text[q.end] == c for o, c in _QUOTES)


def _breakdown_lead(text: str, q: Quantity, before: list[Candidate]) -> Candidate | None:
    """The record a 其中/其:/含 breakdown holding ``q`` breaks down (the last record before the
    marker), or None when ``q`` is in no breakdown."""
    marker = None
    for m in _BREAKDOWN.finditer(text, 0, q.start):
        marker = m
    if marker is None or _PERIOD_BREAK.search(text, marker.end(), q.start):
        return None
    if marker.group(0)[0] in "(（" and _CLOSING.search(text, marker.end(), q.start):
        return None  # 招聘教师326名(含特岗教师120名),新评骨干教师150名: the bracket's breakdown is over
    lead = [c for c in before if c.rule is not None and c.quantity.end <= marker.start()]
    return lead[-1] if lead else None


@dataclass
class _Slot:
    """Where a value stands in its sentence: clause, segment, list, change frame."""

    ci: int
    clause: Clause
    members: list[int]          # quantity indices of its list run (itself alone when in none)
    pos: int                    # its position in the run
    seg_start: int
    seg_left: str               # its own words: since the previous number of its clause
    cue_left: str               # the words the change cue is read from (the run's lead segment)
    change: bool
    parallel: Candidate | None  # the previous number of its clause
    lead: str | None = None     # text before 分别, when the run is a 分别 list
    list_pos: tuple[int, int] | None = None
    lower: int = 0              # end of the number before the run
    host: Clause | None = None  # the clause before the bracket the value's clause is parted by
    subjects_at: int | None = None  # start of the first subject a list of subjects aligns values to

    @property
    def in_run(self) -> bool:
        """Whether the value is one of a list of numbers (分别为A、B、C)."""
        return len(self.members) > 1


class _SentenceReader:
    """Reads the numbers of one sentence into candidates (see :func:`sentence_candidates`)."""

    def __init__(self, sent: Sentence, facts: DocFacts, earlier: list[Candidate] | None,
                 broken_down: list[Candidate] | None = None) -> None:
        self.sent, self.facts, self.earlier = sent, facts, earlier or []
        self.broken_down = broken_down or []
        self.text = text = sent.text
        self.qs = read_quantities(text)
        self.out: list[Candidate] = []
        self.decided = Decided()
        self.clause_hits: dict[int, list[Hit]] = {}
        self.times_run: dict[int, int] = {}  # first member of a run -> how many members from it are in 人次
        if not self.qs:  # a sentence without numbers has no candidates: nothing more to read
            self.hits, self.cls, self.values, self.vals, self.runs = [], [], [], [], []
            return
        self.hits = find_hits(text)
        self.cls = clauses(text)
        self.values = [i for i, q in enumerate(self.qs) if q.is_value]
        self.vals = [self.qs[k] for k in self.values]
        self.runs = list_runs(text, [(self.qs[i].start, self.qs[i].end) for i in self.values])
        self.run_of: dict[int, tuple[list[int], int]] = {}
        for run in self.runs:
            members = [self.values[k] for k in run]
            for pos, i in enumerate(members):
                self.run_of[i] = (members, pos)
        self.prev_end_in_clause: dict[int, int] = {}
        self.prev_in_clause: dict[int, Candidate] = {}
        self.run_lead: dict[int, str] = {}
        self.run_align: dict[int, tuple[str, int, int]] = {}  # first member -> (lead, lower, size)
        self._period_educational: bool | None = None
        self._lead_hits: list[Hit] | None = None

    def read(self) -> list[Candidate]:
        """Every quantity of the sentence as a candidate, decided."""
        text = self.text
        for i, q in enumerate(self.qs):
            ci = clause_at(self.cls, q.start)
            clause = self.cls[ci]
            if ci not in self.clause_hits:  # once a clause (one list, read only, for all its numbers)
                self.clause_hits[ci] = [h for h in self.hits if clause.start <= h.start and h.end <= clause.end]
            cand = Candidate(self.sent, q, i, clause.text, text[max(0, q.start - CONTEXT):q.start],
                             text[q.end:q.end + CONTEXT], self.clause_hits[ci])
            self.out.append(cand)
            slot = self._slot(cand, ci)
            if slot is not None:
                self._decide(cand, slot)
        _share_list_bounds(text, self.runs, self.values, self.out)
        return self.out

    def _slot(self, cand: Candidate, ci: int) -> _Slot | None:
        """The place of a value in the sentence, or None (reason set) when it cannot be a record."""
        q, text, i = cand.quantity, self.text, cand.index
        if not q.is_value:
            cand.reason = next((f for f in q.flags if f in NOT_A_VALUE), "not_a_value")
            return None
        if _quoted(text, q):
            cand.reason = "quoted_name"
            return None
        clause = self.cls[ci]
        members, pos = self.run_of.get(i, ([i], 0))
        cand.in_list = len(members) > 1
        seg_start = max(clause.start, self.prev_end_in_clause.get(ci, clause.start))
        self.prev_end_in_clause[ci] = q.end
        parallel, self.prev_in_clause[ci] = self.prev_in_clause.get(ci), cand
        # the reader gives a bare number its implied unit (unit_implied, unit_from_list, unit_from_frame)
        cand.unit = q.unit
        if cand.unit == "人" and pos >= 2 and self._times_before(members, pos):
            cand.unit = "人次"  # 43637人次、43658人次、42982人次、47087人: the scrape lost a 次
        if cand.unit is None:
            cand.reason = "no_unit"
            return None
        if cand.unit not in UNITS:
            cand.reason = "unit_not_covered"
            return None
        seg_left = text[seg_start:q.start]
        if pos == 0:
            self.run_lead[members[0]] = seg_left
        # list members share the words before the list (较五年前分别提高了0.6%、2.3%)
        cue_left = self.run_lead.get(members[0], seg_left) if pos > 0 else seg_left
        slot = _Slot(ci, clause, members, pos, seg_start, seg_left, cue_left,
                     bool(first_cue("change", "before", cue_left)), parallel)
        if slot.in_run:
            k = self.values.index(members[0])
            slot.lower = self.qs[self.values[k - 1]].end if k > 0 else 0
            first = self.qs[members[0]].start
            resp = respectively_before(text, first, slot.lower)
            prior = self._frame_partner(members, k)
            if prior is not None:
                # 巩固率、毛入学率分别由94.1%、88.6%提高到98.9%、94.5%: the list after 提高到
                # aligns like the list it moves from
                slot.lead, slot.lower = prior
                slot.list_pos = (pos, len(members))
            elif resp is not None:
                slot.lead, slot.list_pos = text[:resp], (pos, len(members))
            elif len(stage_run(text[slot.lower:first])) == len(members):
                # 小学、初中巩固率为99.1%、98.2%: as many stages as numbers, without 分别
                slot.lead, slot.list_pos = text[:first], (pos, len(members))
            if slot.lead is not None:
                self.run_align[members[0]] = (slot.lead, slot.lower, len(members))
        return slot

    def _times_before(self, members: list[int], pos: int) -> bool:
        """Whether every number of the run before position ``pos`` is in 人次 (each member read once)."""
        ok = self.times_run.get(members[0], 0)
        while ok < pos and self.out[members[ok]].unit == "人次":
            ok += 1
        self.times_run[members[0]] = ok
        return ok >= pos

    def _frame_partner(self, members: list[int], k: int) -> tuple[str, int] | None:
        """(lead, lower) of the aligned list of as many numbers that a list moves from
        (由A、B提高到C、D), when ``members`` (the first at ``k`` among values) is its 到 side."""
        if k == 0:
            return None
        prev_last = self.values[k - 1]
        prev_members = self.run_of.get(prev_last, ([prev_last], 0))[0]
        found = self.run_align.get(prev_members[0])
        if found is None or found[2] != len(members):
            return None
        between = self.text[self.qs[prev_last].end:self.qs[members[0]].start]
        return (found[0], found[1]) if _FRAME_LINK.match(between) else None

    def _govern(self, cand: Candidate, slot: _Slot) -> tuple[Hit | None, str | None, str | None,
                                                                list[tuple[Hit, str | None]]]:
        """(trigger hit, how, stage fixed by a list of subjects, shared subjects) of a value."""
        q, text, hits, unit = cand.quantity, self.text, self.hits, cand.unit or ""
        hit, how = choose(text, hits, q, self.vals, slot.clause, slot.seg_start, unit, slot.change)
        host = self._bracket_host(slot.clause) if hit is None else None
        if host is not None:
            # 超大班额(66人及以上), 在校学生(含在园幼儿)68927人: a bracket does not part a
            # number from the subject written right before the bracket
            wide = [h for h in hits if host.start <= h.start and h.end <= host.end and accepts(h.rule, unit, slot.change)
                    and h.rule.side != "right"]
            if wide:
                hit, how = max(wide, key=lambda h: (h.end, h.rule.priority)), "clause"
                slot.host = host
        par = slot.parallel
        if (how == "segment" and hit is not None and slot.seg_left.lstrip().startswith(("、", "和", "及"))
                and par is not None and par.rule is not None and not par.rule.local
                and par.unit == unit and par.rule.priority > hit.rule.priority
                and par.rule.indicator.split(".")[0] == hit.rule.indicator.split(".")[0]):
            # 新建、改扩建幼儿园60所、中小学45所: a list item named by a weaker noun of the same family
            # (中小学 counts schools) is counted as the item before it (built)
            same = [h for h in hits if h.rule is par.rule and slot.clause.start <= h.start < q.start]
            hit = same[-1] if same else hit
        if how == "clause" and par is not None and par.rule is not None and not par.rule.local and par.unit == unit:
            # 生均公用经费小学达到720元、初中达到920元: items of one clause share their trigger
            same = [h for h in hits if h.rule is par.rule and slot.clause.start <= h.start and h.end <= slot.seg_start]
            hit = same[-1] if same else hit
        aligned_stage = None
        if slot.list_pos is not None:
            # 巩固率、毛入学率分别达到96.5%和92.1%: one trigger an item, in order
            lead_end = len(slot.lead or "")
            near = max(slot.lower, slot.clause.start)
            subjects = subject_hits(text, hits, near, lead_end, unit, slot.change)
            if not subjects and near > slot.lower and not any(
                    near <= h.start and h.end <= lead_end and accepts(h.rule, unit, slot.change) for h in hits):
                # subjects named in the clauses before the list's (入学率、巩固率,分别为…)
                subjects = subject_hits(text, hits, slot.lower, lead_end, unit, slot.change)
            if len(subjects) == slot.list_pos[1]:
                hit, how = subjects[slot.pos][0], "list"
                aligned_stage = subjects[slot.pos][1]
                slot.subjects_at = subjects[0][0].start
        shared: list[tuple[Hit, str | None]] = []
        if _SHARED.search(slot.seg_left):
            # 升学率、入学率均达到100%: the number is the value of every subject before it
            lo = max((v.end for v in self.vals if v.end <= q.start), default=0)
            shared = subject_hits(text, hits, lo, q.start, unit, slot.change, by_stage=True)
            if len(shared) == 1 or not shared:
                shared = _stage_subjects(text, shared[0][0] if shared else hit, lo, q.start)
            if len(shared) < 2 and _EACH.search(slot.seg_left):
                shared = _each_items(text, hit, lo, q.start)
            if len(shared) >= 2:
                hit, how, aligned_stage = shared[-1][0], "list", shared[-1][1]
                slot.subjects_at = shared[0][0].start
        return hit, how, aligned_stage, shared

    def _list_lead_rule(self, unit: str) -> TriggerRule | None:
        """The rule of the strongest trigger, taking ``unit``, of the line that introduces the
        numbered list this sentence's line is an item of (see :meth:`DocFacts.list_lead`)."""
        if self._lead_hits is None:
            lead = self.facts.list_lead(self.sent.start)
            self._lead_hits = find_hits(lead) if lead else []
        ok = [h.rule for h in self._lead_hits if accepts(h.rule, unit, False) and not h.rule.local]
        return max(ok, key=lambda r: r.priority) if ok else None

    def _bracket_host(self, clause: Clause) -> Clause | None:
        """The clause written right before the bracket that holds ``clause`` (超大班额(66人…)) or
        that ``clause`` follows (在校学生(含在园幼儿)68927人), or None."""
        text, at = self.text, clause.start - 1
        if at < 0:
            return None
        if text[at] in ")）":
            at = max(text.rfind("(", 0, at), text.rfind("（", 0, at))
            if at <= 0:
                return None
        elif text[at] not in "(（":
            return None
        return next((c for c in self.cls if c.end == at), None)

    def _prev_clause(self, ci: int) -> Clause | None:
        """The clause that may lead clause ``ci`` (:func:`pipeline.stages.extract.resolver.lead_clause`)."""
        return lead_clause(self.text, self.cls, ci)

    def _educational(self, scope: str, slot: _Slot, slot_q: Quantity) -> bool:
        """Whether an education word stands in the number's clause (scope ``clause``), its
        sentence (``sentence``) or its paragraph, section heading or the document's opening (scope
        ``period``: an education bureau's budget; not when another sector is named next to a number of
        a sentence without education words)."""
        if scope == "clause":
            words = slot.clause.text + ("\n" + slot.host.text if slot.host is not None else "")
            return bool(first_cue("education", "sentence", words))
        if scope == "sentence":
            return bool(first_cue("education", "sentence", self.text))
        if not first_cue("education", "sentence", self.text):
            q, clause = slot_q, slot.clause
            near = self.text[max(clause.start, q.start - SECTOR_WINDOW):min(clause.end, q.end + SECTOR_WINDOW)]
            if first_cue("other_sector", "sentence", near):
                return False  # 投入资金3.2亿元建设城乡道路 in a paragraph that also speaks of schools
        if self._period_educational is None:
            facts, start = self.facts, self.sent.start
            context = "\n".join([facts.paragraph_at(start), self.text, facts.heading_at(start) or "", facts.opening])
            self._period_educational = bool(first_cue("education", "sentence", context))
        return self._period_educational

    def _decide(self, cand: Candidate, slot: _Slot) -> None:
        """Governing rule, blocks and attributes of one value (fills ``cand``). (Long: the rules'
        decision in the order of :mod:`pipeline.stages.extract.extract`'s docstring; its attribute
        half is to become the one resolver shared with the mention classifier.)"""
        q, text, out = cand.quantity, self.text, self.out
        hit, how, aligned_stage, shared = self._govern(cand, slot)
        rule = hit.rule if hit else None
        self.decided.catch_up(out, len(out) - 1)
        source = continues(self.decided, cand.unit or "", slot.change, slot.seg_left, text, self.cls, slot.ci)
        if rule is None and slot.change and slot.in_run:
            # 入学率分别为A、B；完成率分别为C、D，较五年前分别提高了a、b、c、d: a change list
            # mirrors the records before it, in order
            mirrored = _mirrored(self.earlier + out[:-1], slot.members, self.values, self.qs, self.sent)
            source = mirrored[slot.pos] if mirrored else source
        if rule is None and cand.unit == "%" and _SHARE_OF.search(slot.seg_left):
            # 大班额326个,占总班数的24.6%: the share of the count before it
            counted = next((c for c in reversed(out[:-1]) if c.rule is not None), None)
            if counted is not None and counted.rule is not None and counted.rule.share:
                rule, how, source = rule_by_id(counted.rule.share), "inherited", counted
        if rule is None and source is None and self.broken_down and not any(c.rule for c in out[:-1]):
            # 生均经费为13105.57元。其中,农村普通小学为12488.09元: a sentence that opens with 其中
            # breaks down the last record of the sentence before (in the unit, or as its change)
            source = next((c for c in reversed(self.broken_down) if c.rule is not None and c.kind != "change"
                           and (c.unit == cand.unit or (slot.change and accepts(c.rule, cand.unit or "", True)))),
                          None)
        if (source is not None and source.rule is not None and not accepts(source.rule, cand.unit or "", slot.change)
                and not (slot.change and cand.unit in RATE_UNITS)):
            # 218所学校的7.13万名学生,比去年增加1100名: a count of people changes no count of schools (its
            # growth rate does: 幼儿园29.1万所,增幅为74.3%)
            source = None
        if rule is None and source is not None:
            rule, how = source.rule, "inherited"
        if rule is None and source is None and cand.unit and _RESPECTIVELY_BEFORE.search(text, 0, q.start):
            # 按本科进线人数统计,各高中分别为固始一高3125人、慈济高中1538人: a list after 分别 whose
            # items name no trigger in the unit counts what the nearest such trigger before it names
            named = [h for h in self.hits if h.end <= q.start and not h.rule.local and accepts(h.rule, cand.unit, False)]
            if named:
                rule, how = named[-1].rule, "clause"
        if rule is None and source is None and not slot.change and cand.unit:
            # (1)普通小学上年9846.27元,本年10213.55元 under 生均…教育经费变动如下: a numbered item
            # without a trigger of its own counts what the line that introduces the list names
            rule = self._list_lead_rule(cand.unit)
            how = "lead" if rule is not None else how
        breakdown = _breakdown_lead(text, q, out[:-1]) if rule is not None else None
        lead = breakdown if how != "list" else None
        if lead is None and rule is not None and how != "list" and not slot.change and self.broken_down:
            # 累计投入营养膳食补助资金3.26亿元。其中,2019年…分别投入5820万元: the record a 其中 sentence breaks down
            lead = next((c for c in reversed(self.broken_down) if c.rule is not None and c.kind != "change"
                         and c.unit == cand.unit), None)
        if (lead is not None and lead.rule is not None and rule is not None and lead.unit == cand.unit
                and (lead.rule.priority > rule.priority or (rule.subject and lead.rule.side != "left"))
                and lead.rule.indicator.split(".")[0] == rule.indicator.split(".")[0]):
            # 新建、改扩建学校11所,其中幼儿园6所: a breakdown item named by a weaker noun
            # trigger, or by a subject noun (培训190人(其中:名师60名)), counts what the lead counts
            rule, how = lead.rule, "inherited"
        inherited_stage = source.stage if source is not None and (how == "inherited" or slot.pos > 0) else None
        if rule is None or how is None:
            # triggers in the clause that take other units (巩固率 … 18所): unit_mismatch
            cand.reason = "unit_mismatch" if cand.hits else "no_trigger"
            return
        code = rule.indicator
        block = blocked(text, code, slot.clause, q, self.facts.period_prefix(self.sent.start))
        if block:
            cand.reason = f"blocked:{block}"
            return
        if (rule.education and how != "inherited" and breakdown is None
                and not self._educational(rule.education, slot, q)):
            # a 其中 part of an education record is about education (幼儿园342所,其中…新建5所)
            cand.reason = "not_education"
            return
        cand.rule, cand.how, cand.indicator = rule, how, code
        cand.shared = [(h.rule, st) for h, st in shared[:-1]]
        if inherited_stage is None and breakdown is not None:
            inherited_stage = breakdown.stage
        resolve_attributes(cand, code, text, slot.clause, self.facts, self.sent.start, AttributeContext(
            seg_start=slot.seg_start, cue_left=slot.cue_left, seg_left=slot.seg_left, how=how, change=slot.change,
            fixed_stage=rule.stage or aligned_stage, default_stage=rule.default_stage,
            inherited_stage=inherited_stage, list_pos=slot.list_pos, lead=slot.lead, subjects_at=slot.subjects_at,
            prev_clause=self._prev_clause(slot.ci), breakdown=breakdown, earlier=out[:-1],
            broken_down=self.broken_down))
        cand.confidence = round(min(1.0, CONFIDENCE[how] + (0.05 if slot.list_pos else 0.0)), 3)


def sentence_candidates(sent: Sentence, facts: DocFacts, earlier: list[Candidate] | None = None,
                        broken_down: list[Candidate] | None = None) -> list[Candidate]:
    """Candidates of one sentence (see :func:`candidates`); ``earlier`` holds the candidates of
    the sentences before it in the same period (cut at ；), which a change list may mirror;
    ``broken_down`` those of the sentence before, when this one opens with 其中 and breaks it down."""
    return _SentenceReader(sent, facts, earlier, broken_down).read()


def _stage_subjects(text: str, hit: Hit | None, lo: int, hi: int) -> list[tuple[Hit, str | None]]:
    """小学、初中入学率均达到100%: one trigger after a run of different stages stands for each of
    them; empty otherwise."""
    if hit is None or hit.rule.stage or not lo <= hit.start < hi + 2:
        return []  # the trigger is before the number, or is the number's counter (各1所)
    run = stage_run(text[lo:hit.start])
    if len(run) >= 2 and None not in run and len(set(run)) == len(run):
        return [(hit, st) for st in run]
    return []


_EACH = regex.compile(r"各有?\s*$")
#: Where the list of things counted by 各 starts: the clause's start or its verb of having.
_EACH_LIST_START = regex.compile(r"(?:^|[,，;；:：。]|(?:共有|现有|拥有|设有|有))(?=[^,，;；:：。]*$)")


def _each_items(text: str, hit: Hit | None, lo: int, hi: int) -> list[tuple[Hit, str | None]]:
    """公办职业中专、教师进修学校和特殊教育学校各1所: one count for each item of the list before 各,
    at the item's own stage (none for a school type without one); empty unless two or more items."""
    if hit is None or hit.rule.stage:
        return []
    end = text.rindex("各", lo, hi)
    m = _EACH_LIST_START.search(text, lo, end)
    items = [w for w in regex.split(r"[、和及与]", text[m.end() if m else lo:end]) if w.strip()]
    if not 2 <= len(items) <= 8:
        return []
    return [(hit, stage_in(w)[1]) for w in items]


def _mirrored(before: list[Candidate], members: list[int], values: list[int], qs: list[Quantity],
              sent: Sentence) -> list[Candidate] | None:
    """The level records a change list of ``members`` mirrors: the last len(members) numbers
    before the list, when each of them made a level record."""
    first = sent.start + qs[members[0]].start
    numbers = [c for c in before if c.quantity.is_value and c.unit and c.end <= first]
    n = len(members)
    if len(numbers) < n or any(c.rule is None or c.kind != "level" for c in numbers[-n:]):
        return None
    return numbers[-n:]


def _share_list_bounds(text: str, runs: list[list[int]], values: list[int], out: list[Candidate]) -> None:
    """A bound written after the last item of a list holds for every item (分别达87%、72%和60%以上)."""
    for run in runs:
        if len(run) < 2:
            continue
        items = [out[values[k]] for k in run]
        last = items[-1]
        if last.indicator and _LIST_BOUND.match(text, last.quantity.end) or last.quantity.text.endswith(("以上", "以下")):
            for c in items:
                if c.indicator and c.indicator != "class_size.limit":
                    c.approx = True
