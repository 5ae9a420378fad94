"""Record types that flow between stages: one dataclass per output table.

Ids are stable and readable: a page is named by its ``source`` (file name
without extension, or the archive member / url it came from), a document by
``{source}#{index}``, a sentence by ``{doc_id}:{index}``. Every offset is a
character offset: ``start``/``end`` into the document's clean text,
``raw_start``/``raw_end`` into the page's decoded raw text (the text you get
by decoding the raw file with the document's ``encoding``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Page:
    """One raw input page, as read from disk, an archive or a JSON Lines file."""

    source: str
    path: str
    data: bytes
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Document:
    """One article of a page after cleaning (a page may hold several)."""

    doc_id: str
    source: str
    path: str
    index: int
    title: str
    text: str
    encoding: str
    content_hash: str
    offset_clean: list[int]
    offset_raw: list[int]
    kept: bool = True
    drop_reason: str | None = None
    year: int | None = None
    stats: dict[str, int] = field(default_factory=dict)
    near_duplicate_of: str | None = None
    region: str | None = None
    region_code: str | None = None
    region_method: str | None = None
    region_candidates: list[str] = field(default_factory=list)
    report_type: str | None = None
    reporting_year: int | None = None

    def raw_offset(self, pos: int) -> int:
        """Map a clean-text offset to the raw-text offset (see :mod:`pipeline.text.aligned`)."""
        from pipeline.text.aligned import map_offset

        return map_offset(self.offset_clean, self.offset_raw, pos)


@dataclass
class Sentence:
    """A sentence of a kept document."""

    sentence_id: str
    doc_id: str
    source: str
    index: int
    text: str
    start: int
    end: int
    raw_start: int
    raw_end: int
    heading: str | None = None


@dataclass
class Token:
    """A jieba token of a sentence; offsets are into the document's clean text."""

    sentence_id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int
    in_domain_dict: bool = False


@dataclass
class Mention:
    """Every number the quantity reader found in a sentence, and what became of it."""

    mention_id: str
    sentence_id: str
    doc_id: str
    source: str
    text: str
    value: float | None
    unit: str | None
    approx: bool
    flags: list[str]
    start: int
    end: int
    raw_start: int
    raw_end: int
    indicator: str | None = None
    extractor: str | None = None
    rule_id: str | None = None
    confidence: float | None = None
    reason: str | None = None


@dataclass
class Indicator:
    """One codebook record (see ../shared/spec/codebook.md) with its provenance."""

    source: str
    doc_id: str
    sentence_id: str
    indicator: str
    stage: str | None
    value: float
    unit: str
    year: int | None
    year_basis: str | None
    kind: str
    approx: bool
    quote: str
    start: int
    end: int
    raw_start: int
    raw_end: int
    extractor: str
    rule_id: str | None
    confidence: float
    flags: list[str] = field(default_factory=list)
    region: str | None = None
    region_code: str | None = None
    record_id: str = ""


@dataclass
class PanelRow:
    """One cell of the panel: the value chosen for a (place, year, indicator, stage, kind, unit)."""

    region_code: str
    region: str
    year: int
    indicator: str
    stage: str | None
    kind: str
    unit: str
    value: float
    n_records: int
    n_documents: int
    value_min: float
    value_max: float
    conflict: bool
    record_ids: list[str] = field(default_factory=list)


@dataclass
class ErrorRecord:
    """A page (or document) that a stage could not process, and why."""

    source: str
    path: str
    stage: str
    reason: str
    message: str


def to_dict(record: Any) -> dict[str, Any]:
    """A record as a plain dict (for tables and JSON)."""
    return asdict(record)
