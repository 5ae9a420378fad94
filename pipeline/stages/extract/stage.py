"""The extract stage as a :class:`~pipeline.stages.stage.Stage`: kept documents and their sentences
in, mentions and indicator records out."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipeline.records import Document, ErrorRecord
from pipeline.ruleset.codebook import CODES, family
from pipeline.ruleset.cues import cue_rules, stage_words
from pipeline.ruleset.triggers import trigger_rules
from pipeline.stages.clean.divisions import division_list_version
from pipeline.stages.extract import extract as extracting
from pipeline.stages.extract.quantity_grammar import _grammar
from pipeline.stages.segment.segment import StoredTokens, use_stored_tokens
from pipeline.stages.stage import Batch, Stage, StageOutput, count_errors


class ExtractStage(Stage):
    """``documents`` + ``sentences`` → ``mentions`` + ``indicators``, see :mod:`pipeline.stages.extract.extract`."""

    name = "extract"
    reads = ("documents", "sentences", "tokens")
    writes = ("mentions", "indicators")
    entry_modules = ("pipeline.stages.extract.stage",)
    rule_loaders = ((cue_rules, "cues.yaml"), (stage_words, "stages.yaml"), (trigger_rules, "triggers.yaml"),
                    (_grammar, "quantity_units.tsv, quantity_words.tsv"))
    uses_models = True  # the mention classifier

    def versions(self) -> tuple[str, ...]:
        """The division list the records' places are read from."""
        return (division_list_version(),)

    def run(self, batch: Batch, page_timeout: float = 0.0) -> StageOutput:
        """Every kept document; the mention classifier takes a sentence's words from the batch's
        tokens table (the segment stage's output) where the segment stage of this process did not
        leave them (the stage run alone: ``zhibiao extract`` after ``zhibiao segment``)."""
        if batch.tokens is not None and batch.sentences is not None:
            use_stored_tokens(StoredTokens(batch.sentences, batch.tokens))
        try:
            return super().run(batch, page_timeout)
        finally:
            use_stored_tokens(None)

    def run_document(self, doc: Document, batch: Batch) -> Any:
        """A document's mentions and records. The clean stage ran the topic gate on it (``doc.kept``
        holds its answer, and the extract cache key chains the clean key, so both saw the same
        model): it is not run again."""
        return extracting.extract_document(doc, batch.sentences_of(doc.doc_id), gated=True)

    def collect(self, batch: Batch, results: list[Any], errors: list[ErrorRecord]) -> StageOutput:
        """Mentions and records in document order, records counted per codebook family."""
        mentions: list[Any] = []
        indicators: list[Any] = []
        for ments, inds in results:
            mentions += ments
            indicators += inds
        families = Counter(family(r.indicator) if r.indicator in CODES else "other" for r in indicators)
        stats = {"mentions": len(mentions), "indicators": len(indicators), "families": dict(families),
                 "errors": count_errors(errors)}
        return StageOutput({"mentions": mentions, "indicators": indicators}, errors, stats)
