"""The extract stage's record in the making: :class:`Candidate`, one number of a sentence and what
the rules (or the mention classifier) made of it, shared by the rule path and the classifier path."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.records import Sentence
from pipeline.ruleset.cues import first_cue
from pipeline.ruleset.triggers import Hit, TriggerRule
from pipeline.stages.extract.attributes import DocFacts
from pipeline.stages.extract.quantity_grammar import Quantity

EXTRACTOR = "rules"
CLASSIFIER = "classifier"
CONTEXT = 30  # chars of sentence context kept on each side of a number (Candidate.left/right)


@dataclass
class Candidate:
    """A number of a sentence, its context, and what the rules made of it.

    Stable shape for the mention classifier: ``sentence``, ``quantity``, ``index``
    (among the sentence's quantities), ``clause`` (text), ``left``/``right``
    (context in the sentence), ``hits`` (triggers of the clause), ``unit`` (as
    read or implied by the quantity reader), ``rule`` (governing trigger or None),
    ``how`` (label/segment/list/right/clause/inherited; ``classifier`` when the
    mention classifier proposed it), ``reason`` (why no record: a reader flag such
    as masked/year, quoted_name, no_unit, unit_not_covered, unit_mismatch,
    no_trigger, blocked:<cue id>), then the record attributes when ``indicator``
    is set, ``in_list`` and ``shared`` (more records of the same number).
    """

    sentence: Sentence
    quantity: Quantity
    index: int
    clause: str
    left: str
    right: str
    hits: list[Hit] = field(default_factory=list)
    unit: str | None = None
    rule: TriggerRule | None = None
    how: str | None = None
    reason: str | None = None
    indicator: str | None = None
    stage: str | None = None
    year: int | None = None
    year_basis: str | None = None  # sentence, heading, relative, document (attributes.SETTLED while resolving)
    kind: str | None = None
    negative: bool = False  # a change that is a decrease: its record's value is signed (codebook v1.3)
    approx: bool = False
    confidence: float = 0.0
    in_list: bool = False
    #: further (rule, stage) records the same number stands for (A、B均达到100%)
    shared: list[tuple[TriggerRule, str | None]] = field(default_factory=list)

    @property
    def start(self) -> int:
        """Clean offset of the number in the document."""
        return self.sentence.start + self.quantity.start

    @property
    def end(self) -> int:
        """Clean offset just after the number in the document."""
        return self.sentence.start + self.quantity.end

    @property
    def value(self) -> float:
        """The record's value: the number in its base unit, negative for a decrease (减少153所 is -153)."""
        v = float(self.quantity.value or 0.0)
        return -v if self.negative and v > 0 else v


def plan_section(facts: DocFacts, pos: int) -> bool:
    """Whether clean offset ``pos`` lies in a forward plan: its section heading says so
    (三、明年工作打算), or, under no telling heading, the whole document is a plan."""
    heading = facts.heading_at(pos)
    if heading:
        if first_cue("plan_heading", "heading", heading) and not first_cue("report_heading", "heading", heading):
            return True
        if first_cue("report_heading", "heading", heading):
            return False
    return facts.plan
