"""The Stage contract and registry: stages declare what they read and write, the runner dispatches
through the registry, and each stage's cache version covers what that stage reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.records import Page
from pipeline.run.cache import stage_versions
from pipeline.stages.registry import STAGES, check_rules, writer_of
from pipeline.stages.stage import Batch, Stage

ROOT = Path(__file__).resolve().parent.parent
NEW_TRIGGER = """
- id: teachers.fulltime.test_only
  indicator: teachers.fulltime
  pattern: 测试教师
  units: ["人"]
  priority: 1
"""


def test_every_stage_declares_reads_writes_and_code() -> None:
    assert list(STAGES) == ["clean", "segment", "extract"]
    for stage in STAGES.values():
        assert isinstance(stage, Stage) and stage.reads and stage.writes and stage.entry_modules
        for table in stage.reads:  # read from the pages or from a stage before it
            assert table == "pages" or list(STAGES).index(writer_of(table)) < list(STAGES).index(stage.name)


def test_the_stages_run_one_after_another_over_a_batch() -> None:
    page = (ROOT / "corpora").glob("*.txt").__next__()
    batch = Batch(pages=[Page("p", str(page), page.read_bytes())])
    for stage in STAGES.values():
        out = stage.run(batch)
        assert set(out.records) == set(stage.writes) and "errors" in out.stats
        for table, records in out.records.items():
            batch.put(table, records)
    assert batch.documents and batch.sentences


@pytest.fixture()
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", folder)
    monkeypatch.setenv("ZHIBIAO_RULES", str(folder))
    return folder


def test_a_new_trigger_changes_the_extract_stage_version_only(rules_copy: Path) -> None:
    before = stage_versions()
    with (rules_copy / "triggers.yaml").open("a", encoding="utf-8") as f:
        f.write(NEW_TRIGGER)
    check_rules(rules_copy)
    after = stage_versions()
    assert after["clean"] == before["clean"] and after["segment"] == before["segment"]
    assert after["extract"] != before["extract"]


@pytest.mark.parametrize(("name", "changed"), [
    ("variants.tsv", {"clean"}),  # the later stages' keys chain the clean key: they re-run too
    ("topic_terms.tsv", {"clean", "extract"}),  # extract_document gates an ungated document itself
    ("userdict.txt", {"segment", "extract"}),  # the mention classifier tokenizes
    ("cues.yaml", {"extract"}),
])
def test_a_rule_file_changes_the_versions_of_the_stages_that_read_it(rules_copy: Path, name: str,
                                                                      changed: set[str]) -> None:
    before = stage_versions()
    with (rules_copy / name).open("a", encoding="utf-8") as f:
        f.write("\n# edited\n")
    after = stage_versions()
    assert {s for s in STAGES if after[s] != before[s]} == changed
