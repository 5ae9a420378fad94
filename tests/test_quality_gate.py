"""Quality gate: the whole product path (runner, every stage, tables) scored against gold.

The five seed pages (corpora/, gold/), ../shared/web (fifty real-page models of other sites), dev/ (fourteen pages of other sites,
HTML/GB18030/GBK/Big5 included, annotated from the codebook by people who did
not read the rules, in two rounds: h01-h06, d01-d08) and train/ (twenty-eight
pages written for the learned models, never used to tune the rules). heldout/ is the blind set, never used for tuning: it is
scored only when ZHIBIAO_HELDOUT=1 (CI sets it in .ci/run), so that engineers
working on the rules do not see it pass or fail while they tune. The floors are pinned below the figures measured when
they were set (see the issue notes) so that a change that loses recall or
precision on either set fails CI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.learn.evaluate import evaluate, load_gold
from pipeline.run.runner import RunOptions, run_pipeline
from pipeline.tables import read_records

ROOT = Path(__file__).resolve().parent.parent

#: (pages, gold folder, F1 floor, recall floor). Measured at pinning time: seeds F1 0.989, dev F1 1.000
#: (dev is now a development set the rules were improved on: its figure is optimistic; d01-d08 scored
#: F1 0.858 blind, dev as a whole 0.998 after the rules were tuned on them).
SETS = {
    "seeds": (sorted((ROOT / "corpora").glob("[0-9][0-9][0-9]_*.txt")), ROOT / "gold", 0.96, 0.96),
    "dev": (sorted((ROOT / "dev" / "pages").iterdir()), ROOT / "dev" / "gold", 0.97, 0.97),
    # train/: training data of the learned models, never used to tune the rules (train/README.md).
    # Measured at the first, blind scoring of each round: t01–t10 F1 0.919, t11–t28 0.922; all 28 pages
    # F1 0.921 (P 0.929, R 0.912), year accuracy 0.875.
    "train": (sorted((ROOT / "train" / "pages").iterdir()), ROOT / "train" / "gold", 0.90, 0.88),
    # ../shared/web: fifty pages modelled on real pages of fifty other sites (codebook v1.3). F1 0.673 at the
    # start of issue 10; pages 07-10 scored once blind at 0.745 after tuning on 01-06; all fifty 0.902
    # (P 0.970, R 0.844) when pinned (2026-12-07; 0.898 once the mention classifier went back to confidence only),
    # tuned and trained on since: floors with a margin. 0.961 (P 0.977, R 0.945), year 0.949 on 2026-12-07
    # after the fifth session (tables with lost cells, hard-wrapped text, news dates); floors raised.
    "web": (sorted((ROOT.parent / "shared" / "web" / "pages").glob("*.txt")), ROOT.parent / "shared" / "web" / "gold",
            0.93, 0.91),
    # blind/: eight pages of eight genres written by a helper that never saw the code (blind/README.md):
    # 0.920 at its first scoring; pages 01-04 tuned on, then 05-08 scored once (0.890) and opened;
    # 0.978 (P 0.982, R 0.974) when pinned.
    "blind": (sorted((ROOT / "blind" / "pages").iterdir()), ROOT / "blind" / "gold", 0.94, 0.93),
    # blind2/ and blind3/: ten pages each, written in the sixth session by two helpers that never saw the
    # code (their READMEs). blind2: 0.950 at its first scoring; pages 01-05 tuned on, 06-10 scored once
    # (0.940), then opened; 0.992 (P 0.994, R 0.991) when pinned. blind3 (HTML pages): 0.826 at its first
    # scoring, then opened whole; 0.976 (P 0.968, R 0.984) when pinned.
    "blind2": (sorted((ROOT / "blind2" / "pages").iterdir()), ROOT / "blind2" / "gold", 0.96, 0.95),
    "blind3": (sorted((ROOT / "blind3" / "pages").iterdir()), ROOT / "blind3" / "gold", 0.94, 0.94),
    # blind4/: eight scraped-text pages written late in the sixth session by a third blind helper:
    # 0.912 at its first scoring (the session's start code alike), then opened; 0.970 (P 0.967, R 0.972)
    # when pinned.
    "blind4": (sorted((ROOT / "blind4" / "pages").iterdir()), ROOT / "blind4" / "gold", 0.94, 0.94),
}
if os.environ.get("ZHIBIAO_HELDOUT") == "1":
    # Blind: never tuned on. Measured 0.978 (P 0.986, R 0.971) at its first scoring, 0.980 on 2026-11-25; floor with a margin.
    SETS["heldout"] = (sorted((ROOT / "heldout" / "pages").iterdir()), ROOT / "heldout" / "gold", 0.93, 0.93)
#: Attribute accuracies on matched pairs may not fall below these on either set.
ATTRIBUTE_FLOORS = {"stage": 0.90, "year": 0.94, "kind": 0.95, "approx": 0.96}
#: Per-set exceptions: train/ year accuracy was 0.875 at its first scoring (its annotators give null to
#: sentences without a written year that the rules date from the document). region_code is scored
#: where the gold has it (the seeds' and web's v1.3 gold): 0.987 and 0.991 when pinned (2026-12-07);
#: web year accuracy 0.928 then; train year 0.959, web 0.949, blind/ region_code 0.902 (its places are
#: mostly invented: a county name the division list lacks) on 2026-12-07. blind3 stage 0.880 (its
#: annotator takes a stage only from the number's own sentence, the rules also from the section's lead),
#: region_code 0.979; blind2 region_code 0.984, when pinned. blind4 year 0.933 (its annotator gives null to
#: the undated values of a news item whose title says 今年春季学期; the rules take the title's year).
SET_ATTRIBUTE_FLOORS = {"train": {"year": 0.92}, "seeds": {"region_code": 0.97},
                        "web": {"year": 0.93, "region_code": 0.97}, "blind": {"region_code": 0.85},
                        "blind2": {"region_code": 0.95}, "blind3": {"stage": 0.85, "region_code": 0.95},
                        "blind4": {"year": 0.92}}


@pytest.mark.parametrize("name", sorted(SETS))
def test_extraction_quality_stays_above_the_pinned_floors(name: str, tmp_path: Path) -> None:
    pages, gold_dir, f1_floor, recall_floor = SETS[name]
    assert pages, f"no pages for {name}"
    run_pipeline(pages, tmp_path / "out", RunOptions(jobs=1, progress=False))
    ev = evaluate(load_gold(gold_dir), read_records(tmp_path / "out", "indicators"))
    figures = ev.as_dict()["overall"]
    assert ev.overall.gold > 200, figures  # every set holds a few hundred records
    assert ev.overall.f1 >= f1_floor, figures
    assert ev.overall.recall >= recall_floor, figures
    for attr, floor in {**ATTRIBUTE_FLOORS, **SET_ATTRIBUTE_FLOORS.get(name, {})}.items():
        assert ev.overall.accuracy(attr) >= floor, (attr, figures)
    # provenance: every record's number lies inside the sentence its sentence_id names
    spans = {s["sentence_id"]: (s["doc_id"], s["start"], s["end"]) for s in read_records(tmp_path / "out", "sentences")}
    outside = [(r["sentence_id"], r["start"], r["end"]) for r in read_records(tmp_path / "out", "indicators")
               if not (spans[r["sentence_id"]][0] == r["doc_id"]
                       and spans[r["sentence_id"]][1] <= r["start"] <= r["end"] <= spans[r["sentence_id"]][2])]
    assert not outside, outside[:5]
