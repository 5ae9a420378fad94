"""The tables as spaCy documents: a DocBin export of two seed pages, read back by spaCy."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from pipeline.analysis.spacy_docs import SPANS_KEY, export_docbin, words_of
from pipeline.run.runner import RunOptions, run_pipeline
from pipeline.tables import read_records

SEEDS = sorted((Path(__file__).resolve().parent.parent / "corpora").glob("*.txt"))


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spacy")
    run_pipeline([SEEDS[0], SEEDS[3]], out, RunOptions(jobs=1, progress=False))
    return out


def test_words_cover_every_character_once() -> None:
    text = "全县小学入学率达100%。"
    words = words_of(text, [(0, 2), (2, 4), (4, 7), (8, 12), (10, 11)])  # 达 uncovered, (10, 11) overlaps
    assert "".join(words) == text
    assert words[:4] == ["全县", "小学", "入学率", "达"]


def test_every_record_becomes_a_labelled_span_over_its_number(out_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "records.spacy"
    counts = export_docbin(out_dir, dest)
    records = read_records(out_dir, "indicators")
    assert counts["spans"] == len(records) and counts["docs"] == len({r["sentence_id"] for r in records})

    nlp = spacy.blank("zh")
    docs = list(DocBin().from_disk(dest).get_docs(nlp.vocab))
    sentences = {s["sentence_id"]: s for s in read_records(out_dir, "sentences")}
    seen = 0
    for doc in docs:
        sent = sentences[doc.user_data["sentence_id"]]
        assert doc.text == sent["text"]
        for span, rec in zip(doc.spans[SPANS_KEY], doc.user_data["records"], strict=True):
            assert span.label_ == rec["indicator"]
            number = sent["text"][rec["start"] - sent["start"]:rec["end"] - sent["start"]]
            assert number and number in span.text  # the span covers the number's tokens
            seen += 1
        assert len(doc.ents) <= len(doc.spans[SPANS_KEY])
    assert seen == len(records)


def test_negatives_add_the_sentences_without_records(out_dir: Path, tmp_path: Path) -> None:
    with_neg = export_docbin(out_dir, tmp_path / "all.spacy", negatives=True)
    assert with_neg["docs"] == len(read_records(out_dir, "sentences"))
    assert with_neg["spans"] == len(read_records(out_dir, "indicators"))


def test_the_command_writes_the_file_and_a_folder_without_tables_is_a_clear_error(out_dir: Path,
                                                                                   tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    dest = tmp_path / "out.spacy"
    ok = CliRunner().invoke(main, ["export-spacy", str(out_dir), str(dest)])
    assert ok.exit_code == 0 and dest.stat().st_size > 0
    assert f"{len(read_records(out_dir, 'indicators'))} indicator spans" in ok.output
    bad = CliRunner().invoke(main, ["export-spacy", str(tmp_path), str(tmp_path / "x.spacy")])
    assert bad.exit_code == 1 and "no indicators table" in bad.output and "Traceback" not in bad.output
