"""The mention classifier: what codebook indicator (or none) a number in context is.

For every number the quantity reader finds, the extractor's
:func:`pipeline.extract.candidates` gives its sentence, clause, trigger hits
and the rule decision. :class:`MentionClassifier` predicts ``P(code | context)``
over the codebook codes plus ``none`` from :func:`pipeline.features.mention_features`,
and :func:`decide` combines it with the rules:

- a rule record is kept, with a confidence blended from the rule's and the
  model's; it is **vetoed** when the model is very sure the number is no
  indicator (``p(none) >= VETO_NONE``) and gives the rule's code almost nothing;
- a number the rules left alone (no trigger) is **proposed** as a record when
  the model's best code reaches ``PROPOSE``; its stage, year, kind and approx
  come from the same resolvers the rules use (:mod:`pipeline.attributes`).

Stage, kind and approx are not learned: the rules resolve them from explicit
words (学前/小学…, 计划/比上年/到20xx年, 余/约/以上), and on the matched seed
records they agree with the gold far more often than a classifier trained on a
few hundred records could (see ``zhibiao train``).

:func:`combine` is the hook :func:`pipeline.extract.extract_document` calls; it
does nothing when no model file exists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from .codebook import UNITS
from .features import LinearModel, load_model, mention_features
from .records import Document

if TYPE_CHECKING:
    from .extract import Candidate

MODEL_NAME = "mention_classifier"
NONE = "none"
EXTRACTOR = "classifier"

#: Propose a record for a number without a rule when the best code's probability reaches
#: this. Chosen by leave-one-source-out on the seeds (see models/mention_classifier.meta.json):
#: below ~0.6 proposals add more false records than they recover.
PROPOSE = 0.7

#: Veto a rule record when p(none) reaches VETO_NONE and p(rule's code) is at most VETO_CODE.
#: Chosen the same way; vetoes are rare by design, the rules are precise.
VETO_NONE = 0.9
VETO_CODE = 0.05

#: Weight of the model in the confidence of a rule record (the rest is the rule's own).
MODEL_WEIGHT = 0.5


@dataclass
class Decision:
    """What becomes of one number: its indicator (or None), who made it, how sure, and why."""

    indicator: str | None
    extractor: str | None
    confidence: float
    reason: str | None = None


def usable(cand: Candidate) -> bool:
    """A number the classifier looks at: a value with a codebook unit."""
    return cand.quantity.is_value and cand.unit in UNITS


def decide(rule_code: str | None, rule_confidence: float, proba: dict[str, float],
           propose: float = PROPOSE, veto_none: float = VETO_NONE, veto_code: float = VETO_CODE) -> Decision:
    """Combine a rule decision (``rule_code`` or None) with the model's probabilities."""
    p_none = proba.get(NONE, 0.0)
    if rule_code is not None:
        p_code = proba.get(rule_code, 0.0)
        if p_none >= veto_none and p_code <= veto_code:
            return Decision(None, None, round(p_none, 4), f"vetoed: p(none)={p_none:.2f}, p({rule_code})={p_code:.2f}")
        conf = (1 - MODEL_WEIGHT) * rule_confidence + MODEL_WEIGHT * p_code
        return Decision(rule_code, "rules", round(conf, 4))
    best = max((c for c in proba if c != NONE), key=lambda c: (proba[c], c), default=None)
    if best is not None and proba[best] >= propose:
        return Decision(best, EXTRACTOR, round(proba[best], 4))
    return Decision(None, None, round(p_none, 4))


class MentionClassifier:
    """A trained mention model with the sentence tokenisation it needs."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model

    def predict(self, cands: list[Candidate]) -> list[dict[str, float]]:
        """``{code: probability}`` for each candidate (codes the model knows, and ``none``)."""
        return self.predict_features(candidate_features(cands))

    def predict_features(self, rows: list[list[str]]) -> list[dict[str, float]]:
        """``{code: probability}`` for each feature list."""
        if not rows:
            return []
        proba = self.model.predict_proba(rows)
        return [dict(zip(self.model.classes, map(float, row), strict=True)) for row in np.asarray(proba)]


def candidate_features(cands: list[Candidate]) -> list[list[str]]:
    """Feature lists of candidates (jieba runs once per sentence)."""
    from .segment import tokenize

    tokens: dict[str, list[tuple[str, int, int]]] = {}
    out = []
    for c in cands:
        sid = c.sentence.sentence_id
        if sid not in tokens:
            tokens[sid] = tokenize(c.sentence.text)
        out.append(mention_features(c, tokens[sid]))
    return out


@cache
def mention_classifier() -> MentionClassifier | None:
    """The trained mention classifier, loaded once per process; ``None`` when not trained."""
    model = load_model(MODEL_NAME)
    return MentionClassifier(model) if model is not None else None


def apply_attributes(doc: Document, cand: Candidate, code: str, facts: object | None = None) -> None:
    """Stage, year, kind and approx of a proposed record, by the rules' resolvers."""
    from .attributes import doc_facts, resolve_approx, resolve_kind, resolve_stage, resolve_year
    from .extract import _plan_section
    from .frames import clause_at, clauses

    facts = facts or doc_facts(doc.text, doc.title, doc.year)
    text, q = cand.sentence.text, cand.quantity
    cls = clauses(text)
    clause = cls[clause_at(cls, q.start)]
    before = text[clause.start:q.start]
    plan = _plan_section(facts, cand.sentence.start)
    cand.stage = resolve_stage(text, clause, q.start, q.end, fixed=None, default=None, inherited=None,
                               list_pos=None, lead=None)
    cand.year = resolve_year(text, q.start, repaired=q.year if "repaired_glued_year" in q.flags else None,
                             list_pos=None, lead=None, heading=facts.heading_at(cand.sentence.start),
                             doc_year=facts.year)
    cand.kind = resolve_kind(text, clause, q.start, q.end, code, plan_section=plan, before=before)
    if cand.kind == "change" and plan:
        cand.kind = "target"
    cand.approx = resolve_approx(text, q.end, code, reader_approx=q.approx, before=before)


def combine(doc: Document, cands: list[Candidate], classifier: MentionClassifier | None = None) -> list[Candidate]:
    """Apply the mention classifier to a document's candidates, in place; returns them.

    Vetoed rule records get ``indicator = None`` and a ``reason``; proposed
    records get an indicator, ``how = "classifier"`` and their attributes;
    every record's ``confidence`` is set. Without a model file nothing changes.
    """
    clf = classifier or mention_classifier()
    if clf is None:
        return cands
    todo = [c for c in cands if usable(c) and not (c.reason or "").startswith("blocked")]
    facts = None
    for cand, proba in zip(todo, clf.predict(todo), strict=True):
        d = decide(cand.indicator if cand.rule is not None else None, cand.confidence, proba)
        if cand.rule is not None:
            if d.indicator is None:
                cand.indicator, cand.reason = None, d.reason
            cand.confidence = d.confidence
        elif d.indicator is not None:
            if facts is None:
                from .attributes import doc_facts

                facts = doc_facts(doc.text, doc.title, doc.year)
            cand.indicator, cand.how, cand.confidence, cand.reason = d.indicator, EXTRACTOR, d.confidence, None
            apply_attributes(doc, cand, d.indicator, facts)
    return cands


def codes_by_count(labels: list[str]) -> dict[str, int]:
    """How often each label occurs (for the training report)."""
    out: dict[str, int] = defaultdict(int)
    for lab in labels:
        out[lab] += 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))
