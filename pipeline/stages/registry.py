"""The stage registry: every stage in run order, by name. The runner dispatches through it; to add a
stage, write its :class:`~pipeline.stages.stage.Stage` subclass and add it to :data:`STAGES`."""

from __future__ import annotations

from pathlib import Path

from pipeline.ruleset.rulefiles import check_rule_files
from pipeline.stages.clean.stage import CleanStage
from pipeline.stages.extract.stage import ExtractStage
from pipeline.stages.segment.stage import SegmentStage
from pipeline.stages.stage import Stage

#: Stages in run order, by name.
STAGES: dict[str, Stage] = {s.name: s for s in (CleanStage(), SegmentStage(), ExtractStage())}


def stage(name: str) -> Stage:
    """The stage called ``name``."""
    return STAGES[name]


def writer_of(table: str) -> str:
    """Name of the stage that writes ``table``."""
    return next(s.name for s in STAGES.values() if table in s.writes)


def check_rules(folder: str | Path | None = None) -> int:
    """Load and validate every rule file the stages read (:func:`pipeline.ruleset.rulefiles.check_rule_files`);
    returns the number of files checked."""
    order = ("boilerplate.yaml", "variants.tsv", "cues.yaml", "stages.yaml", "triggers.yaml",
             "quantity_units.tsv, quantity_words.tsv", "topic_terms.tsv", "userdict.txt")
    loaders = sorted((lo for s in STAGES.values() for lo in s.rule_loaders), key=lambda lo: order.index(lo[1])
                     if lo[1] in order else len(order))
    return check_rule_files(loaders, folder)
