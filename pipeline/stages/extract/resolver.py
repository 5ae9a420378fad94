"""The one attribute resolver: stage, year and year_basis, kind and sign, approx of a record, for the
rule path (:meth:`pipeline.stages.extract.reader._SentenceReader._decide`) and the classifier path
(:func:`pipeline.stages.extract.mention_model.apply_attributes`) alike. What the rules know of a
value's place in its sentence (list, segment, breakdown, inherited record) comes in an
:class:`AttributeContext`; the classifier path gives what it knows (the number's clause)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex

from pipeline.ruleset.cues import first_cue
from pipeline.stages.extract.attributes import (
    EXAMPLES,
    SETTLED,
    DocFacts,
    decreases,
    resolve_approx,
    resolve_kind,
    resolve_stage,
    resolve_year,
    stage_in,
    with_reporting_year,
    year_mentions,
)
from pipeline.stages.extract.candidate import Candidate, plan_section
from pipeline.stages.extract.frames import Clause

NOTE = regex.compile(r"\s*(?:含|包括|不含)")
OPENS_BREAKDOWN = regex.compile(r"\s*其中")
#: A sentence that opens by naming the rate of the sentence before (该比例2012年首度超过4%) or by
#: comparing it with last year (与上年相比,减少865.14万元): its numbers continue the sentence before
#: like a 其中 sentence's break down the one before.
REFERS_BACK = regex.compile(r"\s*(?:(?:该|这一|此|上述)(?:比例|比重|比率|占比)|(?:与|和|同)上年(?:同期)?相比[,，]|比上年[,，])")


@dataclass
class AttributeContext:
    """What is known of a value beyond its sentence and clause (the rule path knows all of it)."""

    seg_start: int                          # start of the value's own words (its segment)
    cue_left: str                           # the words its change cue is read from
    seg_left: str                           # its own words (hedges)
    how: str | None = None                  # how its rule was found (``inherited``: a continued record)
    change: bool = False                    # it stands in a change frame
    fixed_stage: str | None = None          # the rule's (or aligned subject's) stage
    default_stage: str | None = None        # the rule's default stage
    inherited_stage: str | None = None      # the stage of the record it continues or breaks down
    list_pos: tuple[int, int] | None = None  # its place in a list of values
    lead: str | None = None                 # text before 分别 of its list
    subjects_at: int | None = None          # start of a list of subjects the values align to
    prev_clause: Clause | None = None       # the clause that may lead its clause
    breakdown: Candidate | None = None      # the record its 其中 breakdown breaks down
    earlier: Sequence[Candidate] = ()       # the sentence's records before it
    broken_down: Sequence[Candidate] = ()   # records of the sentence a 其中 sentence breaks down


def lead_clause(text: str, cls: list[Clause], ci: int) -> Clause | None:
    """The clause before clause ``ci`` that may lead it, past bracket notes (全县中小学(含幼儿园)
    现有教职工), past 其中 parts (新建学校和幼儿园26所,其中幼儿园9所,总投资23.5亿元) and past
    clauses without stage words (义务教育学校大班额由183个减少至12个,大班额比例下降至0.9%,
    全面消除66人以上超大班额: the lead is the first clause)."""
    for k in range(ci - 1, -1, -1):
        c = cls[k]
        if NOTE.match(c.text) or OPENS_BREAKDOWN.match(c.text):
            continue  # a bracket note, or a 其中 part: neither leads what follows
        named = list(EXAMPLES.finditer(text, c.start, c.end))
        if named:  # 启动学前教育建设工程等教育项目181个: examples before 等 lead nothing
            c = Clause(named[-1].end(), c.end, text[named[-1].end():c.end])
        if not stage_in(c.text)[0]:
            continue
        return c
    return None


def resolve_attributes(cand: Candidate, code: str, text: str, clause: Clause, facts: DocFacts, sent_start: int,
                       ctx: AttributeContext) -> None:
    """Stage, year and year_basis, kind and sign (``negative``), approx of ``cand`` as a record of
    ``code``, set in place. (Long: the codebook's order of attribute steps, each a few lines with
    its example; splitting it would scatter that order.)"""
    q = cand.quantity
    at = ctx.subjects_at
    if at is not None and at >= clause.start and not ctx.fixed_stage:
        # 毛入园率、巩固率、毛入学率分别…: a subject without stage words of its own takes only
        # the stage written before the subjects, not another subject's (入园) nor the previous item's
        subjects_lead = Clause(clause.start, at, text[clause.start:at])
        cand.stage = resolve_stage(text[:at], subjects_lead, at, at, seg_start=clause.start, unit=cand.unit,
                                   fixed=None, default=ctx.default_stage, inherited=None,
                                   list_pos=None, lead=None, prev_clause=ctx.prev_clause)
    else:
        cand.stage = resolve_stage(text, clause, q.start, q.end, seg_start=ctx.seg_start, unit=cand.unit,
                                   fixed=ctx.fixed_stage, default=ctx.default_stage,
                                   inherited=ctx.inherited_stage, list_pos=ctx.list_pos, lead=ctx.lead,
                                   prev_clause=ctx.prev_clause)
    if cand.stage is None and not stage_in(text)[0]:
        # ——小学。学校21所;在校学生25864人: a sentence without stage words in a line about one stage
        cand.stage = facts.line_stage(sent_start)
    cand.year, cand.year_basis = resolve_year(
        text, q.start, repaired=q.year if "repaired_glued_year" in q.flags else None, list_pos=ctx.list_pos,
        lead=ctx.lead, heading=facts.heading_at(sent_start), doc_year=facts.year,
        prefix=facts.period_prefix(sent_start), near=ctx.seg_start, clause=clause,
        heading_year=facts.heading_year_at(sent_start))
    if "frame_from" in q.flags and not year_mentions(text[clause.start:clause.end]):
        # 大班额由2018年底的412个减少到2019年底的137个,其中超大班额由63个减少到8个: a later
        # from/to frame of the sentence without years of its own moves between the same years
        prior = next((c for c in reversed(ctx.earlier) if "frame_from" in c.quantity.flags and c.indicator), None)
        if prior is not None and prior.year is not None and "repaired_glued_year" not in prior.quantity.flags:
            cand.year, cand.year_basis = prior.year, prior.year_basis
    if cand.year is None and ctx.breakdown is not None and ctx.breakdown.year is not None \
            and not first_cue("span", "clause", text[clause.start:q.start]) \
            and not year_mentions(text[clause.start:clause.end]):
        # 由2018年的95人增加到2020年的164人,其中骨干教师交流43人: a ctx.breakdown item without a
        # year of its own has the year of the record it breaks down
        cand.year, cand.year_basis = ctx.breakdown.year, ctx.breakdown.year_basis
    if cand.year is None and ctx.broken_down and not year_mentions(text) \
            and not first_cue("span", "clause", text[clause.start:q.start]):
        # 2023年,全省教育经费总投入为2876.45亿元…。其中,国家财政性教育经费为2265.31亿元: a
        # ctx.breakdown sentence has the year of the total it breaks down (the first record before)
        total = next((c for c in ctx.broken_down if c.rule is not None), None)
        if total is not None:
            cand.year, cand.year_basis = total.year, total.year_basis
    in_plan = plan_section(facts, sent_start)
    frame = {"frame_from", "frame_to"} & set(q.flags)  # 由A下降至B: two levels
    cand.kind = "change" if ctx.how == "inherited" and ctx.change and not frame else resolve_kind(
        text, clause, q.start, q.end, code, plan_section=in_plan, before=ctx.cue_left, frame=bool(frame),
        doc_year=facts.year)
    if cand.kind == "change" and in_plan:
        cand.kind = "target"
    if cand.kind == "level" and ctx.breakdown is not None and ctx.breakdown.kind == "target" and not frame:
        cand.kind = "target"  # 计划新建学校26所,其中幼儿园9所: a part of a planned total is planned
    if cand.kind == "level" and cand.year is not None and facts.reporting_year is not None \
            and cand.year > facts.reporting_year:
        # a value of a year after the one the document reports on is not achieved yet (not after a year
        # that merely opens its text: 2016年全省招聘…;2017年招聘… are both achieved)
        cand.kind = "target"
    if first_cue("definition", "sentence", text[:q.start]):
        cand.kind, cand.year, cand.year_basis = "level", None, SETTLED  # 大班额:指每班56人以上的班级 defines, it dates nothing
    cand.year, cand.year_basis = with_reporting_year((cand.year, cand.year_basis), text, facts.reporting_year)
    cand.negative = cand.kind == "change" and decreases(text, clause, q.start, code)
    cand.approx = resolve_approx(text, q.end, code, reader_approx=q.approx, before=ctx.seg_left)
