"""The topic gate: is a document about education (indicators), or about something else?

A report page may hold articles of a tax office, a disabled persons'
association or a party branch next to the education bureau's; those yield
no records. :func:`is_on_topic` answers with the article classifier
(``models/article_classifier.json``, a logistic regression over character
n-grams built by ``zhibiao train`` from the labelled articles of
``corpora/articles/labels.tsv``) and, when no model file exists, with a
transparent keyword score over ``rules/topic_terms.tsv``.
"""

from __future__ import annotations

import math
from functools import cache

from .features import LinearModel, article_feature_ids, load_model
from .records import Document
from .rulefiles import RuleError, load_tsv

MODEL_NAME = "article_classifier"

#: Probability of "education" at or above which the model keeps a document. The
#: training corpus separates cleanly (see models/article_classifier.meta.json), so
#: the middle is the natural cut; leave-one-out scores of both classes stay clear of it.
MODEL_THRESHOLD = 0.5

#: A document below MODEL_THRESHOLD is still kept when one of its sections (paragraphs
#: joined to SECTION_CHARS characters) reaches SECTION_THRESHOLD: a government work report
#: covers every sector in one article, and its education paragraph counts. Leave-one-page-out
#: sections of off-topic pages reach at most 0.54 (the disabled persons' association of 002),
#: education sections 0.86 and more; the education paragraph of
#: corpora/articles/mixed_gov_work_report_2019.txt scores 0.83 while the whole report scores 0.39.
SECTION_THRESHOLD = 0.7
SECTION_CHARS = 120

#: Keyword fallback: weighted education terms per 1000 characters at or above which a
#: document is kept. Calibrated on corpora/articles and the seeds: education articles
#: score 45-145, off-topic reports 0-7 (a tax office's 教育费附加, a health bureau's
#: 学校卫生); 15 sits well inside the gap.
KEYWORD_THRESHOLD = 15.0

#: A term in the title counts this many times as much as one in the body.
TITLE_WEIGHT = 10.0


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


def keyword_score(title: str, text: str) -> float:
    """Weighted education terms per 1000 characters of ``text`` (title hits weigh more)."""
    terms = _topic_terms()
    body = sum(w * text.count(t) for t, w in terms)
    head = sum(w * (title or "").count(t) for t, w in terms)
    return (body + TITLE_WEIGHT * head) / max(len(text), 200) * 1000.0


def model_probability(model: LinearModel, title: str, text: str) -> float:
    """The article classifier's probability that a document (or a section: no title) is about education.

    Features are looked up as ids (:func:`pipeline.features.article_feature_ids`): the same row
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


def is_on_topic(doc: Document) -> tuple[bool, float, str]:
    """``(on topic?, score, reason)`` for a document; pure, the model loads once per process.

    With a model, a document is on topic when it is about education as a
    whole, or when one of its sections is (a government work report with an
    education paragraph); the score is the probability of education in [0, 1].
    Without a model, the score is the keyword density. The reason names the
    method, the score and the threshold, e.g. ``"model p(education)=0.03 < 0.5"``.
    """
    model = article_model()
    if model is not None:
        p = model_probability(model, doc.title, doc.text)
        if p >= MODEL_THRESHOLD:
            return True, p, f"model p(education)={p:.2f} >= {MODEL_THRESHOLD}"
        best = max((model_probability(model, "", s) for s in sections(doc.text)), default=0.0)
        if best >= SECTION_THRESHOLD:
            return True, best, f"model p(education)={p:.2f}, of a section {best:.2f} >= {SECTION_THRESHOLD}"
        return False, p, f"model p(education)={p:.2f} < {MODEL_THRESHOLD}, sections <= {best:.2f}"
    score = keyword_score(doc.title, doc.text)
    if not math.isfinite(score):
        score = 0.0
    ok = score >= KEYWORD_THRESHOLD
    return ok, score, f"keywords {score:.1f}/1000 chars {'>=' if ok else '<'} {KEYWORD_THRESHOLD}"
