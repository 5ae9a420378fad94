"""The segment stage as a :class:`~pipeline.stages.stage.Stage`: kept documents in, sentences and
the tokens table (as columns) out."""

from __future__ import annotations

from typing import Any

from pipeline.records import Document, ErrorRecord, Sentence
from pipeline.stages.segment import segment as segmenting
from pipeline.stages.segment.segment import (
    SEGMENT_VERSION,
    TOKEN_COLUMNS,
    _read_userdict,
    forget_cuts,
    tokenizer_backend,
    userdict_version,
)
from pipeline.stages.stage import Batch, Stage, StageOutput, count_errors


class SegmentStage(Stage):
    """``documents`` → ``sentences`` + ``tokens``, see :mod:`pipeline.stages.segment.segment`."""

    name = "segment"
    reads = ("documents",)
    writes = ("sentences", "tokens")
    entry_modules = ("pipeline.stages.segment.stage",)
    rule_loaders = ((_read_userdict, "userdict.txt"),)

    def versions(self) -> tuple[str, ...]:
        """The segmenter's version, its backend (jieba or jieba_fast) and the domain dictionary."""
        return (SEGMENT_VERSION, tokenizer_backend(), userdict_version())

    def run_document(self, doc: Document, batch: Batch) -> Any:
        """A document's sentences and token columns."""
        return segmenting.segment_columns(doc)

    def collect(self, batch: Batch, results: list[Any], errors: list[ErrorRecord]) -> StageOutput:
        """Sentences in document order; the tokens table's columns joined."""
        sentences: list[Sentence] = []
        tokens: dict[str, list[Any]] = {name: [] for name in TOKEN_COLUMNS}
        for sents, cols in results:
            sentences += sents
            for name, values in cols.items():
                tokens[name] += values
        stats = {"sentences": len(sentences), "tokens": len(tokens["index"]), "errors": count_errors(errors)}
        return StageOutput({"sentences": sentences, "tokens": tokens}, errors, stats)

    def release(self) -> None:
        """Forget the jieba cuts kept for the extract stage of the same shard."""
        forget_cuts()
