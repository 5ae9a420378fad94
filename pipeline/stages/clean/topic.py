"""The topic gate: is a document about education (indicators), or about something else?

A report page may hold articles of a tax office, a disabled persons'
association or a party branch next to the education bureau's; those yield
no records. :func:`is_on_topic` answers with the article classifier
(``models/article_classifier.json``, a logistic regression over character
n-grams built by ``zhibiao train`` from the labelled articles of
``corpora/articles/labels.tsv``) and, when no model file exists, with a
transparent keyword score over ``rules/topic_terms.tsv``. A short document
(a news item, a data digest, a notice: below :data:`SHORT_CHARS`) gives the
model too few n-grams to go on, so there the keyword score weighs in too.
"""

from __future__ import annotations

import math
from functools import cache

from pipeline.records import Document
from pipeline.ruleset.rulefiles import RuleError, load_tsv
from pipeline.stages.features import LinearModel, article_feature_ids, load_model

MODEL_NAME = "article_classifier"

#: Probability of "education" at or above which the model keeps a document. Long documents
#: separate cleanly (see models/article_classifier.meta.json), so the middle is the natural cut:
#: leave-one-page-out, education documents of 596 characters and more score >= 0.92, off-topic
#: ones <= 0.22. Short ones do not (education 0.19-0.98, off-topic up to 0.71): see SHORT_CHARS.
MODEL_THRESHOLD = 0.5

#: A document below MODEL_THRESHOLD is still kept when one of its sections (paragraphs
#: joined to SECTION_CHARS characters) reaches SECTION_THRESHOLD: a government work report
#: covers every sector in one article, and its education paragraph counts. Leave-one-page-out
#: sections of long off-topic pages reach at most 0.26 (a party branch; 0.23 for the disabled
#: persons' association of 002), of education pages 0.84 and more; the education paragraph of
#: corpora/articles/mixed_gov_work_report_2019.txt scores 0.91 while the whole report scores 0.25.
#: (The short 卫健委 myopia note reaches 0.70: SHORT_KEYWORD_FLOOR drops it first.)
SECTION_THRESHOLD = 0.7
SECTION_CHARS = 120

#: Keyword fallback: weighted education terms per 1000 characters at or above which a
#: document is kept. Calibrated on corpora/articles and the seeds: education articles
#: score 45-145, off-topic reports 0-7 (a tax office's 教育费附加, a health bureau's
#: 学校卫生); 15 sits well inside the gap.
KEYWORD_THRESHOLD = 15.0

#: A term in the title counts this many times as much as one in the body.
TITLE_WEIGHT = 10.0

#: Below this many characters a document is short: the model's n-gram evidence is thin and the
#: keyword score joins it (:func:`short_keyword_decision`). Calibrated leave-one-page-out on the
#: long labelled pages cut to their first L characters: with the model alone 7/16 education
#: prefixes are kept at L=60, 10-11/16 at 100-200, 13-14/16 at 300-400, 15/16 at 600 and 16/16
#: at 900, while off-topic prefixes stay at p <= 0.22 at every L; the written short pages are 62-125.
SHORT_CHARS = 600

#: A short document whose keyword score (other sectors' bodies counting against) reaches this is
#: kept whatever the model says. Calibrated leave-one-page-out on the 30 short pages of
#: corpora/articles (62-125 characters): education pages score 50-398, off-topic ones at most 2.5
#: (a 疾控中心 health check of 中小学生; 182.5 on education terms alone); 35 sits inside the gap. It
#: keeps the two short education pages the model alone drops (青山县教育局 + 入托率/毛入园率, p 0.19;
#: a teacher-training item, p 0.38). Off-topic prefixes of the long pages: at most 7.6 on education terms.
SHORT_KEYWORD_THRESHOLD = 35.0

#: A short document whose keyword score is below this is dropped whatever the model says: the
#: issuing body of another sector (卫健委, 疾控, 公安, 税务 …, negative in rules/topic_terms.tsv)
#: outweighs its education words. Leave-one-page-out the model alone keeps a 卫健委 note on pupils'
#: myopia (p 0.71, score -145); 11 of the 16 short off-topic pages score below 0 (the rest 0-2.5),
#: no education page does. Between this and SHORT_KEYWORD_THRESHOLD the model decides.
SHORT_KEYWORD_FLOOR = 0.0


@cache
def _topic_terms() -> tuple[tuple[str, float], ...]:
    rows = load_tsv("topic_terms.tsv", ("term", "weight"), optional=("note",))
    terms = []
    for row in rows:
        try:
            terms.append((row["term"], float(row["weight"])))
        except ValueError as exc:
            raise RuleError(f"topic_terms.tsv:{row['_line']}: weight must be a number") from exc
    return tuple(terms)


@cache
def article_model() -> LinearModel | None:
    """The trained article classifier, loaded once per process; ``None`` when not trained."""
    return load_model(MODEL_NAME)


def keyword_score(title: str, text: str, against: bool = False) -> float:
    """Weighted education terms per 1000 characters of ``text`` (title hits weigh more).

    With ``against`` (short documents), the terms of negative weight count too: the bodies
    of other sectors, which a short page names as its issuer; the score can then be below 0.
    A long report is scored on education terms only (a government work report names every
    sector)."""
    terms = [(t, w) for t, w in _topic_terms() if against or w > 0]
    body = sum(w * text.count(t) for t, w in terms)
    head = sum(w * (title or "").count(t) for t, w in terms)
    return (body + TITLE_WEIGHT * head) / max(len(text), 200) * 1000.0


def model_probability(model: LinearModel, title: str, text: str) -> float:
    """The article classifier's probability that a document (or a section: no title) is about education.

    Features are looked up as ids (:func:`pipeline.stages.features.article_feature_ids`): the same row
    as ``article_features``, without a feature string an n-gram (the gate reads every document)."""
    return model.probability_ids(article_feature_ids(model.encoder, title, text), "education")


def sections(text: str, min_chars: int = SECTION_CHARS) -> list[str]:
    """Consecutive paragraphs (lines) of ``text`` joined until each holds ``min_chars`` characters."""
    out: list[str] = []
    cur = ""
    for line in text.split("\n"):
        if not line.strip():
            continue
        cur += line + "\n"
        if len(cur) >= min_chars:
            out.append(cur)
            cur = ""
    if cur.strip():
        out.append(cur)
    return out


def short_keyword_decision(title: str, text: str) -> tuple[bool, float, str] | None:
    """The keyword score's verdict on a short document, or ``None`` (long, or the model decides).

    Below :data:`SHORT_CHARS` a score of :data:`SHORT_KEYWORD_THRESHOLD` keeps a document and
    one below :data:`SHORT_KEYWORD_FLOOR` drops it; in between the model decides."""
    if len(text) >= SHORT_CHARS:
        return None
    score = keyword_score(title, text, against=True)
    if not math.isfinite(score):
        return None
    if score >= SHORT_KEYWORD_THRESHOLD:
        return True, score, f"short ({len(text)} chars), keywords {score:.1f}/1000 chars >= {SHORT_KEYWORD_THRESHOLD}"
    if score < SHORT_KEYWORD_FLOOR:
        return False, score, f"short ({len(text)} chars), keywords {score:.1f}/1000 chars < {SHORT_KEYWORD_FLOOR}"
    return None


def model_decision(model: LinearModel, title: str, text: str) -> tuple[bool, float, str]:
    """The gate with ``model``: ``(on topic?, score, reason)`` for a document's title and text.

    A short document is decided by its keyword score when that is clear
    (:func:`short_keyword_decision`); otherwise the document is on topic when
    the model finds it about education as a whole, or one of its sections
    (a government work report with an education paragraph)."""
    short = short_keyword_decision(title, text)
    if short is not None:
        return short
    p = model_probability(model, title, text)
    if p >= MODEL_THRESHOLD:
        return True, p, f"model p(education)={p:.2f} >= {MODEL_THRESHOLD}"
    best = max((model_probability(model, "", s) for s in sections(text)), default=0.0)
    if best >= SECTION_THRESHOLD:
        return True, best, f"model p(education)={p:.2f}, of a section {best:.2f} >= {SECTION_THRESHOLD}"
    return False, p, f"model p(education)={p:.2f} < {MODEL_THRESHOLD}, sections <= {best:.2f}"


def is_on_topic(doc: Document) -> tuple[bool, float, str]:
    """``(on topic?, score, reason)`` for a document; pure, the model loads once per process.

    With a model, :func:`model_decision`: the score is the probability of
    education in [0, 1], or the keyword density for a short document the
    keywords decide. Without a model, the score is the keyword density (a short
    document needs :data:`SHORT_KEYWORD_THRESHOLD`). The reason names the method,
    the score and the threshold, e.g. ``"model p(education)=0.03 < 0.5"``.
    """
    model = article_model()
    if model is not None:
        return model_decision(model, doc.title, doc.text)
    short = len(doc.text) < SHORT_CHARS
    score = keyword_score(doc.title, doc.text, against=short)
    if not math.isfinite(score):
        score = 0.0
    threshold = SHORT_KEYWORD_THRESHOLD if short else KEYWORD_THRESHOLD
    ok = score >= threshold
    return ok, score, f"keywords {score:.1f}/1000 chars {'>=' if ok else '<'} {threshold}"
