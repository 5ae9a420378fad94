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
  model's; it is **vetoed** when the model gives the rule's code less than
  ``veto`` (relabelled when another code of the sentence reaches ``propose``);
- a number the rules left alone is **proposed** as a record when its best
  code reaches ``PROPOSE``; its stage, year, kind and approx come from the
  same resolvers the rules use (:mod:`pipeline.attributes`).

Stage, kind and approx are not learned: the rules resolve them from explicit
words (学前/小学…, 计划/比上年/到20xx年, 余/约/以上), and on the records matched
by leave-one-source-out over the eleven labelled sources they agree with the
gold on stage 96%, kind 99.5% and approx 99.9% of the time (``zhibiao
train``); the errors left are a few dozen one-offs, too few to learn from, and
a learned attribute would have to beat those figures to be worth its opacity.

:func:`combine` is the hook :func:`pipeline.extract.extract_document` calls; it
does nothing when no model file exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .codebook import UNITS
from .features import LinearModel, ModelError, code_options, load_model, number_features, pair_extra
from .records import Document

if TYPE_CHECKING:
    from .extract import Candidate
    from .triggers import Hit

MODEL_NAME = "mention_classifier"
NONE = "none"
YES = "yes"
EXTRACTOR = "classifier"

#: Default thresholds; ``zhibiao train`` chooses them over a grid (PROPOSE_GRID x VETO_GRID) by
#: nested leave-one-source-out over the eleven labelled sources and stores them in the model's
#: meta file, which wins. It adopts a propose/veto pair only when the nested evaluation shows the
#: combination beating the rules; otherwise the stored pair is "never propose, never veto" (the
#: classifier sets confidence only). On those sources, which the rules were tuned on, the rules
#: miss 2 of 770 gold records and make 7 wrong ones (at the last training), each a one-off no other
#: source repeats, so thresholds chosen without the scored source do not find them: every fold
#: chooses "never" (models/mention_classifier.meta.json).
#: Propose a record (for a number the rules found no trigger for, or in place of a vetoed rule
#: code) when a code's probability reaches PROPOSE; above 1 it never proposes.
PROPOSE = 0.95
#: Veto a rule record when the model gives its code less than VETO (0 never vetoes).
VETO = 0.0
PROPOSE_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01)
VETO_GRID = (0.0, 0.005, 0.01, 0.05, 0.1)

#: Weight of the model in the confidence of a rule record (the rest is the rule's own).
#: By leave-one-source-out over the eleven sources every weight sorts: the 10% least confident
#: records hold 5.2% errors and the top half 0.8% at 0.1 to 0.75 (0: 5.2% vs 0%; 1.0: 5.2% vs
#: 1.0%); 0.25 keeps the rule's judgement first and lets the model break its ties.
MODEL_WEIGHT = 0.25


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


#: Why the rules made no record of a number, for the reasons the classifier may overrule: the
#: rules found no trigger for it (or none for its unit). A rule that looked and said no
#: (blocked:…, not_education: 新建乡镇卫生院3所, quoted_name) is respected.
OVERRULABLE = frozenset({"no_trigger", "unit_mismatch"})


def considered(cand: Candidate) -> bool:
    """Whether the classifier decides on this number: a rule record, or a number the rules found no
    trigger for (see :data:`OVERRULABLE`)."""
    if not usable(cand):
        return False
    return cand.rule is not None if cand.indicator is not None else (cand.reason or "no_trigger") in OVERRULABLE


def decide(rule_code: str | None, rule_confidence: float, proba: dict[str, float],
           propose: float = PROPOSE, veto: float = VETO) -> Decision:
    """Combine a rule decision (``rule_code`` or None) with the model's ``{code: probability}``."""
    best = max(proba, key=lambda c: (proba[c], c), default=None)
    p_best = proba[best] if best is not None else 0.0
    if rule_code is not None:
        p_code = proba.get(rule_code, 0.0)
        if p_code >= veto:
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
        if model.classes != ["no", YES] or model.coef.shape[0] != 1:
            raise ModelError(f"{MODEL_NAME}: expected a yes/no pair model, got classes {model.classes}")
        self._weights = model.coef[0].tolist()
        self._bias = float(model.intercept[0])
        chosen = model.meta.get("thresholds") or {}
        self.propose = float(chosen.get("propose", PROPOSE))
        self.veto = float(chosen.get("veto", VETO))

    def predict(self, cands: list[Candidate], everything: list[Candidate] | None = None) -> list[dict[str, float]]:
        """``{code: P(code is right)}`` for each of ``cands``, over its :func:`code_options`
        (``everything``: all candidates of the document, for the sentences' trigger hits)."""
        bases, hits = candidate_context(cands, everything)
        return self.predict_features(bases, cands, hits)

    def predict_features(self, bases: list[list[str]], cands: list[Candidate], hits: list[list[Hit]]
                         ) -> list[dict[str, float]]:
        """Like :meth:`predict`, from the candidates' :func:`candidate_context`.

        The pair features beyond a number's own are all indicators, so a
        number's TF-IDF part is encoded once and each code adds its weights:
        the same probabilities as ``model.predict_proba`` on full pair rows.
        """
        enc, w, b = self.model.encoder, self._weights, self._bias
        vocab = enc.vocabulary
        out: list[dict[str, float]] = []
        for cand, base, sh in zip(cands, bases, hits, strict=True):
            row = enc.encode(base)
            s0 = b + sum(w[i] * v for i, v in row.items())
            probs = {}
            for code in code_options(cand, sh):
                extra = {vocab[f] for f in pair_extra(cand, code, base, sh) if f in vocab} - row.keys()
                s = s0 + sum(w[i] for i in extra)
                probs[code] = 1.0 / (1.0 + math.exp(-s)) if s > -700 else 0.0
            out.append(probs)
        return out


def candidate_context(cands: list[Candidate], everything: list[Candidate] | None = None
                      ) -> tuple[list[list[str]], list[list[Hit]]]:
    """:func:`number_features` of ``cands`` and the trigger hits of their sentences.

    A sentence's hits are those the extractor found in the clauses of its
    numbers (``everything``: all candidates of the document, default ``cands``);
    jieba runs once per sentence, and only where a number has a code to score
    (a number without one gets no features).
    """
    from .segment import tokenize

    sentence_hits: dict[str, dict[tuple[int, int, str], Hit]] = {}
    for c in everything if everything is not None else cands:
        found = sentence_hits.setdefault(c.sentence.sentence_id, {})
        for h in c.hits:
            found[(h.start, h.end, h.rule.id)] = h
    tokens: dict[str, list[tuple[str, int, int]]] = {}
    bases, hits = [], []
    for c in cands:
        sid = c.sentence.sentence_id
        sh = [sentence_hits[sid][k] for k in sorted(sentence_hits.get(sid, {}))]
        hits.append(sh)
        if not code_options(c, sh):  # nothing to score: spare jieba
            bases.append([])
            continue
        if sid not in tokens:
            tokens[sid] = tokenize(c.sentence.text)
        bases.append(number_features(c, tokens[sid]))
    return bases, hits


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
    todo = [c for c in cands if considered(c)]
    facts = None
    for cand, proba in zip(todo, clf.predict(todo, cands), strict=True):
        d = decide(cand.indicator if cand.rule is not None else None, cand.confidence, proba,
                   propose=clf.propose, veto=clf.veto)
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
