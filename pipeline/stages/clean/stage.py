"""The clean stage as a :class:`~pipeline.stages.stage.Stage`: pages in, documents (and their
MinHash signatures, for near duplicates) out; off-topic documents are kept but marked dropped."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipeline.limits import PageTimeout, page_time_limit
from pipeline.records import Document, ErrorRecord
from pipeline.stages.clean import clean as cleaning
from pipeline.stages.clean import topic
from pipeline.stages.clean.boilerplate import boilerplate_rules
from pipeline.stages.clean.clean import variant_map
from pipeline.stages.clean.dedup import MIN_CHARS, minhash
from pipeline.stages.clean.divisions import division_list_version
from pipeline.stages.clean.topic import _topic_terms
from pipeline.stages.stage import Batch, Stage, StageOutput, count_errors, error_row


class CleanStage(Stage):
    """Raw pages → ``documents`` (+ ``signatures``), see :mod:`pipeline.stages.clean.clean`."""

    name = "clean"
    reads = ("pages",)
    writes = ("documents", "signatures")
    entry_modules = ("pipeline.stages.clean.stage",)
    rule_loaders = ((boilerplate_rules, "boilerplate.yaml"), (variant_map, "variants.tsv"),
                    (_topic_terms, "topic_terms.tsv"))
    uses_models = True  # the topic gate's article classifier

    def versions(self) -> tuple[str, ...]:
        """The division list the documents' places are read from."""
        return (division_list_version(),)

    def run(self, batch: Batch, page_timeout: float = 0.0) -> StageOutput:
        """Clean a shard's pages; each page (cleaning and the topic gate of its documents) runs under
        ``page_timeout`` seconds (0: no limit); a page over it becomes a ``timeout`` errors row.
        Read errors pass through as errors rows."""
        docs: list[Document] = []
        errors: list[ErrorRecord] = []
        sigs: list[dict[str, Any]] = []
        pages = nbytes = replaced = 0
        for item in batch.pages or []:
            if isinstance(item, ErrorRecord):
                errors.append(item)
                continue
            pages += 1
            nbytes += len(item.data)
            page_errors: list[ErrorRecord] = []
            try:
                with page_time_limit(page_timeout, self.name):
                    page_docs = cleaning.clean_page(item)
                    if not any(d.kept for d in page_docs):
                        page_errors.append(ErrorRecord(item.source, item.path, self.name, "no_documents",
                                                       "the page holds no text once chrome is removed"))
                    page_errors += self._gate(page_docs)
            except (Exception, PageTimeout) as exc:  # noqa: BLE001 - any failure becomes an errors row
                errors.append(error_row(item.source, item.path, self.name, exc))
                continue
            errors += page_errors
            replaced += any(doc.stats.get("replaced_chars") for doc in page_docs)
            for doc in page_docs:
                if doc.kept and len(doc.text) >= MIN_CHARS:
                    sigs.append({"doc_id": doc.doc_id, "minhash": minhash(doc.text).tolist()})
                docs.append(doc)
        stats = {
            "pages": pages, "bytes": nbytes, "documents": len(docs), "kept": sum(d.kept for d in docs),
            "dropped": dict(Counter(d.drop_reason for d in docs if not d.kept)), "errors": count_errors(errors),
        }
        if replaced:  # pages kept with bad bytes read as U+FFFD (documents' stats.replaced_chars)
            stats["pages_replaced"] = replaced
        return StageOutput({"documents": docs, "signatures": sigs}, errors, stats)

    def _gate(self, docs: list[Document]) -> list[ErrorRecord]:
        """The topic gate on a page's kept documents (an off-topic one is marked dropped); a gate
        failure is an errors row and keeps the document."""
        errors = []
        for doc in docs:
            if not doc.kept:
                continue
            try:
                on_topic, _score, _why = topic.is_on_topic(doc)
            except Exception as exc:  # noqa: BLE001
                errors.append(error_row(doc.source, doc.path, self.name, exc))
                on_topic = True
            if not on_topic:
                doc.kept, doc.drop_reason = False, "off_topic"
        return errors
