"""The short version of `make fuzz`: generated and mutated pages and archives through the reader and
every stage (benchmarks/fuzz.py) give no crash, no hang and no wrong output."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz.py"


def _fuzz_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("zhibiao_fuzz", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["zhibiao_fuzz"] = module
    spec.loader.exec_module(module)
    return module


def test_fuzzed_pages_and_archives_give_no_crash_hang_or_wrong_output() -> None:
    fuzz = _fuzz_module()
    findings = fuzz.fuzz(150, seed=2026, page_timeout=30.0)
    assert findings.inputs == 150 and findings.pages > 100
    assert not findings.kinds, fuzz.report(findings, 0.0)


def test_the_fuzzer_reports_a_stage_that_crashes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pipeline.stages.segment import segment

    fuzz = _fuzz_module()

    def broken(doc):  # type: ignore[no-untyped-def]
        raise IndexError("a bug")

    monkeypatch.setattr(segment, "segment_columns", broken)
    findings = fuzz.fuzz(6, seed=2026)
    assert findings.kinds["crash:segment"] >= 1 and "IndexError" in fuzz.report(findings, 0.0)


def test_a_cell_of_running_text_across_sentences_gives_records_inside_their_sentences() -> None:
    # found by `make fuzz` (a mangled page): a row's cell of running text that ran past its sentence end was
    # read whole under the first sentence's id, so three records named a sentence without their number
    from pipeline.records import Page
    from pipeline.stages.registry import STAGES
    from pipeline.stages.stage import Batch

    data = (Path(__file__).parent / "fixtures" / "fuzz" / "prose_cell_across_sentences.txt").read_bytes()
    batch = Batch(pages=[Page("p", "p.txt", data)])
    outputs = {}
    for name, stage in STAGES.items():
        outputs[name] = stage.run(batch)
        for table, records in outputs[name].records.items():
            batch.put(table, records)
    spans = {s.sentence_id: (s.start, s.end) for s in outputs["segment"].records["sentences"]}
    records = outputs["extract"].records["indicators"]
    assert {r.value for r in records} >= {250.0, 1250.0}
    assert all(spans[r.sentence_id][0] <= r.start <= r.end <= spans[r.sentence_id][1] for r in records)
