"""The Stage contract: what every pipeline stage declares and how it runs over a batch of records.

A stage reads some tables of a shard (``reads``: ``pages``, ``documents``, ``sentences``) and
writes others (``writes``); :meth:`Stage.run` takes a :class:`Batch` and returns a
:class:`StageOutput` (records per table, errors rows, counters). The base class owns the loop
over documents, the page time limit and turning failures into errors rows; a stage narrows
that to one hook (:meth:`Stage.run_document`), or overrides :meth:`Stage.run` (clean, which
reads pages). The runner (:mod:`pipeline.run.runner`) knows stages only through
:mod:`pipeline.stages.registry`; a stage's cache key is made from ``entry_modules`` (their
code and every pipeline module they import), the rule files that code names, and
:meth:`Stage.versions` (data the stage depends on besides rules: dictionaries, models).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.limits import PageTimeout, page_time_limit
from pipeline.records import Document, ErrorRecord, Page, Sentence

#: Message length kept in an errors row.
MAX_MESSAGE = 500


@dataclass
class Batch:
    """What a stage reads of one shard: its pages (and read errors), kept documents, sentences, and the
    tokens table's columns (``TOKEN_COLUMNS`` of the segment stage → values)."""

    pages: list[Page | ErrorRecord] | None = None
    documents: list[Document] | None = None
    sentences: list[Sentence] | None = None
    tokens: dict[str, list[Any]] | None = None

    _by_doc: dict[str, list[Sentence]] | None = field(default=None, repr=False)

    def sentences_of(self, doc_id: str) -> list[Sentence]:
        """The sentences of document ``doc_id``, in order (indexed on first use)."""
        if self._by_doc is None:
            self._by_doc = {}
            for s in self.sentences or []:
                self._by_doc.setdefault(s.doc_id, []).append(s)
        return self._by_doc.get(doc_id, [])

    def get(self, table: str) -> Any:
        """The records of ``table`` (None when not loaded)."""
        return getattr(self, table, None)

    def put(self, table: str, records: Any) -> None:
        """Keep a stage's output table for the stages after it (tables no stage reads are not kept)."""
        if table in ("pages", "documents", "sentences", "tokens"):
            setattr(self, table, records)
            self._by_doc = None


@dataclass
class StageOutput:
    """One stage's output on a batch: the records of each table it writes, errors rows, counters."""

    records: dict[str, Any]  # table name -> records (a table written from columns: a dict of columns)
    errors: list[ErrorRecord]
    stats: dict[str, Any] = field(default_factory=dict)


def error_row(source: str, path: str, stage: str, exc: BaseException) -> ErrorRecord:
    """An errors row for ``exc`` raised by ``stage`` on a page (its reason, else its class name)."""
    reason = getattr(exc, "reason", None) or type(exc).__name__
    return ErrorRecord(source=source, path=path, stage=stage, reason=str(reason),
                       message=f"{type(exc).__name__}: {exc}"[:MAX_MESSAGE])


def count_errors(errors: list[ErrorRecord]) -> dict[str, int]:
    """Errors rows by reason."""
    return dict(Counter(e.reason for e in errors))


class Stage:
    """A pipeline stage. Subclasses set the class attributes and implement :meth:`run_document`
    (or :meth:`run`, for a stage that does not go document by document)."""

    name: str = ""
    #: Tables of the shard the stage reads (loaded from the stages that write them).
    reads: tuple[str, ...] = ()
    #: Tables the stage writes, in order (each a Parquet file of its cache entry).
    writes: tuple[str, ...] = ()
    #: Modules whose code (and every pipeline module they import) is the stage's code version.
    entry_modules: tuple[str, ...] = ()
    #: Rule files of rules/ the stage reads (its cache key hashes these, and only these).
    rule_files: tuple[str, ...] = ()
    #: ``(module, loader)`` of each rule file loader, run by ``zhibiao check-rules`` and before a run.
    rule_loaders: tuple[tuple[str, str, str], ...] = ()
    #: Whether the trained models are part of the stage's cache key.
    uses_models: bool = False

    def versions(self) -> tuple[str, ...]:
        """Versions of data the stage depends on besides code and rules (dictionaries, lists)."""
        return ()

    def run(self, batch: Batch, page_timeout: float = 0.0) -> StageOutput:
        """Run the stage over a batch: :meth:`run_document` on every kept document, each under
        ``page_timeout`` seconds (0: no limit); a failing document is an errors row."""
        errors: list[ErrorRecord] = []
        results = list(self.per_document(batch, errors, page_timeout))
        return self.collect(batch, results, errors)

    def per_document(self, batch: Batch, errors: list[ErrorRecord], page_timeout: float) -> Iterator[Any]:
        """:meth:`run_document` of every kept document of ``batch``; failures and documents that
        take longer than ``page_timeout`` seconds become errors rows."""
        for doc in batch.documents or []:
            if not doc.kept:
                continue
            try:
                with page_time_limit(page_timeout, self.name):
                    result = self.run_document(doc, batch)
            except (Exception, PageTimeout) as exc:  # noqa: BLE001 - any failure becomes an errors row
                errors.append(error_row(doc.source, doc.path, self.name, exc))
                continue
            yield result

    def run_document(self, doc: Document, batch: Batch) -> Any:
        """The stage's output for one document."""
        raise NotImplementedError

    def collect(self, batch: Batch, results: list[Any], errors: list[ErrorRecord]) -> StageOutput:
        """The per-document results as the stage's tables and counters."""
        raise NotImplementedError

    def release(self) -> None:
        """Free what the stage kept for the stages after it on the same shard (default: nothing)."""
