"""Stage 3, extract: numbers of a document's sentences become codebook records (rule extractor).

For every number the quantity reader finds (:func:`pipeline.stages.extract.quantities.read_quantities`)
:func:`candidates` decides which trigger rule governs it (:mod:`pipeline.stages.extract.governing`),
in this order:

1. a noun label right after the number (10余万名特岗教师);
2. a trigger in the number's own segment (the words since the previous number of
   its clause), highest priority first, then the nearest;
3. a trigger after the number in its clause (1100名中职招生任务);
4. a clause-wide trigger before the segment (补充教师285名、全科教师115名);
5. the record of the previous number of the sentence, which it continues (a
   list, a 其中 breakdown, a change clause: 较xx年增长12.03%).

A trigger only governs a number whose unit it accepts (a rate needs %,
teachers need 人 or 人次, schools 所); in a change frame % and 百分点 are also
accepted. Blocking cues (其中少数民族, 校长, schools acted on) cancel a record.
Stage, year, kind and approx come from :mod:`pipeline.stages.extract.attributes`.
:func:`extract_document` turns candidates into Mention and Indicator rows.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.records import Document, Indicator, Mention, Sentence
from pipeline.stages.clean.regions import locate_records
from pipeline.stages.clean.topic import is_on_topic
from pipeline.stages.extract.attributes import (
    DocFacts,
    doc_facts,
)
from pipeline.stages.extract.candidate import CLASSIFIER, CONTEXT, EXTRACTOR, Candidate
from pipeline.stages.extract.mention_model import combine
from pipeline.stages.extract.reader import sentence_candidates
from pipeline.stages.extract.resolver import OPENS_BREAKDOWN, REFERS_BACK
from pipeline.stages.extract.tablecells import CellReading, table_cells
from pipeline.text.aligned import map_span


def candidates(doc: Document, sentences: list[Sentence]) -> list[Candidate]:
    """Every number of the document's sentences with its context, trigger hits and rule decision.

    This is the feature source of the mention classifier: its shape is stable.
    """
    facts = doc_facts(doc.text, doc.title, doc.year)
    rows = table_cells(doc.text)
    out: list[Candidate] = []
    period: list[Candidate] = []
    previous: tuple[int, list[Candidate]] = (-1, [])  # end and candidates of the sentence before
    for sent in sentences:
        if not facts.period_prefix(sent.start):
            period = []
        row_start = doc.text.rfind("\n", 0, sent.start) + 1 if rows else -1
        if row_start in rows:
            # a table row: its number cells are read with their headers, nothing else of the line
            out.extend(c for r in rows[row_start] if sent.start <= r.cell_start < sent.end
                       or (r.prose and r.cell_start < sent.end and sent.start < r.cell_start + len(r.cell))
                       for c in _cell_candidates(sent, r, facts))
            continue
        same_paragraph = previous[0] >= 0 and "\n" not in doc.text[previous[0]:sent.start]
        opens = same_paragraph and (OPENS_BREAKDOWN.match(sent.text) or REFERS_BACK.match(sent.text)) is not None
        cands = sentence_candidates(sent, facts, period, previous[1] if opens else None)
        previous = (sent.end, cands)
        period = period + cands
        out.extend(cands)
    return out


def _cell_candidates(sent: Sentence, reading: CellReading, facts: DocFacts) -> list[Candidate]:
    """Candidates of one table cell: the phrase its headers make (pipeline/stages/extract/tablecells.py) is
    read like a sentence, then its numbers are put back on the cell in the row's sentence; a
    cell of running text is read as a sentence of its own."""
    if reading.prose:
        # the cell's part in this sentence: a cell that runs past the sentence end is read a sentence at a
        # time, so that every number lies in the sentence its record names
        lo, hi = max(reading.cell_start, sent.start), min(reading.cell_start + len(reading.cell), sent.end)
        part = reading.cell[lo - reading.cell_start:hi - reading.cell_start]
        return sentence_candidates(replace(sent, text=part, start=lo, end=hi), facts)
    phrase = replace(sent, text=reading.text)
    number_len = reading.number_end

    def real(v: int) -> int:
        rel = v - reading.at
        if rel > number_len:
            rel = max(number_len, rel - reading.inserted)
        return reading.cell_start - sent.start + min(max(rel, 0), len(reading.cell))

    out = []
    found = [c for c in sentence_candidates(phrase, facts) if c.quantity.start >= reading.at]
    for text, at in reading.alternatives:
        # a cell of a row that lost cells, whose column is not decided: read only if every column
        # it may be in gives the same record (pipeline/stages/extract/tablegrid.py)
        other = [c for c in sentence_candidates(replace(sent, text=text), facts) if c.quantity.start >= at]
        if _records(other) != _records(found):
            return []
    for c in found:
        q = c.quantity
        q.start, q.end = real(q.start), real(q.end)
        q.outer_start = real(q.outer_start) if q.outer_start >= 0 else -1
        q.outer_end = real(q.outer_end) if q.outer_end >= 0 else -1
        q.number_end = real(q.number_end) if q.number_end >= 0 else -1
        q.text = sent.text[q.start:q.end] or q.text
        c.sentence, c.clause = sent, sent.text
        c.left, c.right = sent.text[max(0, q.start - CONTEXT):q.start], sent.text[q.end:q.end + CONTEXT]
        out.append(c)
    return out


def _records(cands: list[Candidate]) -> list[tuple]:
    """What candidates of one cell would record: indicator, unit, value, year."""
    return sorted((c.indicator or "", c.unit or "", c.quantity.value, c.year or 0) for c in cands if c.indicator)


def _combine(doc: Document, cands: list[Candidate]) -> list[Candidate]:
    """The mention classifier's vetoes and proposals (pipeline/stages/extract/mention_model.py), when it is
    installed and trained; the rule candidates unchanged otherwise."""
    return combine(doc, cands)


def _on_topic(doc: Document) -> tuple[bool, str]:
    """Whether the document is about education: a document the clean stage dropped is not;
    else the topic gate decides (every document is on topic when no gate is trained)."""
    if not doc.kept:
        return False, doc.drop_reason or "dropped"
    keep, _score, reason = is_on_topic(doc)
    return keep, reason


def extract_document(doc: Document, sentences: list[Sentence], gated: bool = False
                     ) -> tuple[list[Mention], list[Indicator]]:
    """Mentions (every number found) and indicator records of one document.

    ``gated``: the document comes from the clean stage, whose topic gate set ``doc.kept``
    (the runner's case), so a kept document is on topic and the gate does not run a
    second time. Called on any other document, leave it False: the gate runs here.

    Example: a sentence 学前三年毛入园率达93%以上 gives one Indicator
    (enroll.gross_rate, preschool, 93.0 %, approx) and one Mention pointing at it.
    """
    on_topic, _why = (True, "kept by the clean stage's topic gate") if gated and doc.kept else _on_topic(doc)
    mentions: list[Mention] = []
    indicators: list[Indicator] = []
    cands = candidates(doc, sentences)
    if on_topic:
        cands = _combine(doc, cands)
    for cand in cands:
        q, sent = cand.quantity, cand.sentence
        raw_start, raw_end = map_span(doc.offset_clean, doc.offset_raw, cand.start, cand.end)
        made = cand.indicator is not None and on_topic
        extractor = CLASSIFIER if cand.how == CLASSIFIER else EXTRACTOR
        mentions.append(Mention(
            mention_id=f"{sent.sentence_id}:{cand.index}", sentence_id=sent.sentence_id, doc_id=doc.doc_id,
            source=doc.source, text=q.text, value=q.value, unit=cand.unit or q.unit, approx=q.approx,
            flags=list(q.flags), start=cand.start, end=cand.end, raw_start=raw_start, raw_end=raw_end,
            indicator=cand.indicator if made else None, extractor=extractor if made else None,
            rule_id=cand.rule.id if cand.rule else None, confidence=cand.confidence if made else None,
            reason=None if made else ("off_topic" if not on_topic else cand.reason or "no_trigger")))
        if not made or cand.indicator is None or q.value is None or cand.unit is None:
            continue
        indicators.append(Indicator(
            source=doc.source, doc_id=doc.doc_id, sentence_id=sent.sentence_id, indicator=cand.indicator,
            stage=cand.stage, value=cand.value, unit=cand.unit, year=cand.year, year_basis=cand.year_basis,
            kind=cand.kind or "level",
            approx=cand.approx, quote=cand.clause, start=cand.start, end=cand.end, raw_start=raw_start,
            raw_end=raw_end, extractor=extractor, rule_id=cand.rule.id if cand.rule else None,
            confidence=cand.confidence, flags=[f for f in q.flags if f.startswith("repaired")]))
        for rule, stage in cand.shared:
            indicators.append(replace(indicators[-1], indicator=rule.indicator, stage=stage, rule_id=rule.id))
    locate_records(doc, sentences, indicators)
    return mentions, indicators
