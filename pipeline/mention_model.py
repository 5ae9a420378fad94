"""The mention classifier: what codebook indicator (or none) a number in context is.

For every number the quantity reader finds, the extractor's
:func:`pipeline.extract.candidates` gives its sentence, clause, trigger hits
and the rule decision. The codes a number may take are those of the trigger
words in its clause (:func:`pipeline.features.code_options`);
:class:`MentionClassifier` scores each pair (number, code) with a logistic
regression over :func:`pipeline.features.pair_features` (character n-grams
and jieba words around the number, the unit, where the code's trigger words
stand, list position) and answers ``{code: P(code is right)}``; the number is
"none" when no code is likely. Features that relate a code to the number are
the same for every code, so a few hundred gold records teach all 32 codes.
:func:`decide` combines it with the rules:

- a rule record is kept, with a confidence blended from the rule's and the
  model's; it is **vetoed** when the model gives the rule's code at most
  ``VETO`` (relabelled when another code of the clause reaches ``PROPOSE``);
- a number the rules left alone is **proposed** as a record when its best
  code reaches ``PROPOSE``; its stage, year, kind and approx come from the
  same resolvers the rules use (:mod:`pipeline.attributes`).

Stage, kind and approx are not learned: the rules resolve them from explicit
words (学前/小学…, 计划/比上年/到20xx年, 余/约/以上), and on the matched seed
records they agree with the gold far more often than a classifier trained on a
few hundred records could (see ``zhibiao train``).

:func:`combine` is the hook :func:`pipeline.extract.extract_document` calls; it
does nothing when no model file exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from .codebook import UNITS
from .features import LinearModel, code_options, load_model, number_features, pair_features
from .records import Document

if TYPE_CHECKING:
    from .extract import Candidate

MODEL_NAME = "mention_classifier"
NONE = "none"
YES = "yes"
EXTRACTOR = "classifier"

#: Propose a record (for a number without a rule, or instead of a vetoed rule code) when a
#: code's probability reaches this. Chosen by leave-one-source-out on the seeds (the table
#: in models/mention_classifier.meta.json).
PROPOSE = 0.8

#: Veto a rule record when the model gives the rule's code at most this.
VETO = 0.1

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
           propose: float = PROPOSE, veto: float = VETO) -> Decision:
    """Combine a rule decision (``rule_code`` or None) with the model's ``{code: probability}``."""
    best = max(proba, key=lambda c: (proba[c], c), default=None)
    p_best = proba[best] if best is not None else 0.0
    if rule_code is not None:
        p_code = proba.get(rule_code, 0.0)
        if p_code > veto:
            conf = (1 - MODEL_WEIGHT) * rule_confidence + MODEL_WEIGHT * p_code
            return Decision(rule_code, "rules", round(conf, 4))
        if best is not None and best != rule_code and p_best >= propose:
            return Decision(best, EXTRACTOR, round(p_best, 4), f"relabelled: p({rule_code})={p_code:.2f}")
        return Decision(None, None, round(1 - p_code, 4), f"vetoed: p({rule_code})={p_code:.2f}")
    if best is not None and p_best >= propose:
        return Decision(best, EXTRACTOR, round(p_best, 4))
    return Decision(None, None, round(1 - p_best, 4))


class MentionClassifier:
    """A trained mention model with the sentence tokenisation it needs."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model

    def predict(self, cands: list[Candidate]) -> list[dict[str, float]]:
        """``{code: P(code is right)}`` for each candidate, over its :func:`code_options`."""
        return self.predict_features(candidate_features(cands), cands)

    def predict_features(self, bases: list[list[str]], cands: list[Candidate]) -> list[dict[str, float]]:
        """Like :meth:`predict`, from the candidates' :func:`number_features`."""
        rows, owners = [], []
        for k, (cand, base) in enumerate(zip(cands, bases, strict=True)):
            for code in code_options(cand):
                rows.append(pair_features(cand, code, base))
                owners.append((k, code))
        out: list[dict[str, float]] = [{} for _ in cands]
        if rows:
            proba = self.model.predict_proba(rows)
            col = self.model.classes.index(YES)
            for (k, code), row in zip(owners, np.asarray(proba), strict=True):
                out[k][code] = float(row[col])
        return out


def candidate_features(cands: list[Candidate]) -> list[list[str]]:
    """:func:`number_features` of candidates (jieba runs once per sentence)."""
    from .segment import tokenize

    tokens: dict[str, list[tuple[str, int, int]]] = {}
    out = []
    for c in cands:
        sid = c.sentence.sentence_id
        if sid not in tokens:
            tokens[sid] = tokenize(c.sentence.text)
        out.append(number_features(c, tokens[sid]))
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
        cand.confidence = d.confidence
        if d.extractor == EXTRACTOR:
            if facts is None:
                from .attributes import doc_facts

                facts = doc_facts(doc.text, doc.title, doc.year)
            cand.indicator, cand.how, cand.reason = d.indicator, EXTRACTOR, d.reason
            apply_attributes(doc, cand, d.indicator, facts)
        elif d.indicator is None and cand.rule is not None:
            cand.indicator, cand.reason = None, d.reason
    return cands
