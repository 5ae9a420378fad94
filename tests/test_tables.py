"""Table schemas, round trips, and the output of a real run read by pandas and DuckDB as it is."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from pipeline.records import Document, ErrorRecord, Indicator
from pipeline.run.runner import RunOptions, run_pipeline
from pipeline.tables import (
    COLUMN_DOCS,
    RECORD_TYPES,
    TABLES,
    columns_markdown,
    columns_table,
    from_row,
    read_records,
    schema,
    to_row,
    to_table,
)

CORPORA = Path(__file__).resolve().parent.parent / "corpora"
SEEDS = sorted(CORPORA.glob("*.txt"))

INDICATOR_COLUMNS = ["source", "doc_id", "sentence_id", "indicator", "stage", "value", "unit", "year", "kind",
                     "approx", "quote", "start", "end", "raw_start", "raw_end", "extractor", "confidence",
                     "rule_id", "flags"]


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tables")
    run_pipeline([SEEDS[4], SEEDS[1]], out, RunOptions(jobs=1, progress=False))
    return out


def test_every_table_has_a_schema_from_its_record_and_every_column_documented() -> None:
    for name in TABLES:
        fields = [f.name for f in dataclasses.fields(RECORD_TYPES[name])]
        assert schema(name).names == fields
        assert set(COLUMN_DOCS[name]) == set(fields), name
    assert set(INDICATOR_COLUMNS) <= set(schema("indicators").names)
    assert schema("indicators").field("value").type == pa.float64()
    assert schema("indicators").field("year").nullable and not schema("indicators").field("value").nullable
    assert schema("documents").field("offset_raw").type == pa.list_(pa.int64())
    md = columns_markdown()
    assert "### `indicators`" in md and "| `raw_start` | int64 |" in md


def test_records_round_trip_through_a_table() -> None:
    doc = Document(doc_id="002#1", source="002", path="corpora/002.txt", index=1, title="达州市教育局2011年工作总结",
                   text="全市幼儿三年入园率达到81.10%", encoding="gb18030", content_hash="ab",
                   offset_clean=[0, 5], offset_raw=[10, 20], year=2011, stats={"variants_mapped": 2})
    rows = to_table("documents", [doc]).to_pylist()
    assert rows[0]["stats"] == '{"variants_mapped": 2}'
    assert from_row("documents", rows[0]) == doc
    ind = Indicator(source="002", doc_id="002#1", sentence_id="002#1:0", indicator="enroll.rate", stage="preschool",
                    value=81.1, unit="%", year=2011, year_basis="document", kind="level", approx=False, quote="三年入园率达到81.10%",
                    start=9, end=15, raw_start=30, raw_end=36, extractor="rules", rule_id="enroll.rate",
                    confidence=0.9, flags=[])
    assert from_row("indicators", to_table("indicators", [ind]).to_pylist()[0]) == ind
    err = ErrorRecord("x", "x.txt", "clean", "binary", "control bytes")
    assert to_table("errors", [err]).num_rows == 1


def test_column_by_column_tables_equal_the_row_by_row_table(out_dir: Path) -> None:
    """The writers' columnar paths (to_table of records, columns_table of the tokens' columns) give the
    table a row dict a record would (to_row, pyarrow's from_pylist): same schema and rows."""
    from pipeline.stages.segment.segment import TOKEN_COLUMNS, segment_columns, segment_document

    for name in TABLES:
        rows = read_records(out_dir, name)
        records = [from_row(name, row) for row in rows]
        expected = pa.Table.from_pylist([to_row(r) for r in records], schema=schema(name))
        built = to_table(name, records)
        assert built.schema.equals(expected.schema, check_metadata=True) and built.equals(expected), name
    doc = from_row("documents", read_records(out_dir, "documents")[0])
    _sentences, tokens = segment_document(doc)
    _sentences, columns = segment_columns(doc)
    assert list(columns) == list(TOKEN_COLUMNS) and tokens
    expected = pa.Table.from_pylist([to_row(t) for t in tokens], schema=schema("tokens"))
    assert columns_table("tokens", columns).equals(expected)


def test_pandas_and_duckdb_read_the_tables_as_they_are(out_dir: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    for name in TABLES:
        frame = pd.read_parquet(out_dir / name)
        assert list(frame.columns) == schema(name).names
        rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{out_dir / name}/*.parquet')").fetchall()[0][0]
        assert rows == len(frame) == len(read_records(out_dir, name))
    ind = pd.read_parquet(out_dir / "indicators")
    assert len(ind) > 50 and set(ind["source"]) <= {SEEDS[4].stem, SEEDS[1].stem}
    counts = duckdb.sql(f"SELECT indicator, count(*) n FROM '{out_dir}/indicators/*.parquet' "
                        "GROUP BY indicator ORDER BY n DESC").fetchall()
    assert sum(n for _, n in counts) == len(ind)


def test_raw_offsets_of_records_point_at_the_number_in_the_raw_file(out_dir: Path) -> None:
    raws = {p.stem: p.read_text(encoding="utf-8") for p in SEEDS}
    rows = read_records(out_dir, "indicators")
    assert rows
    for r in rows:
        span = raws[r["source"]][r["raw_start"]:r["raw_end"]]
        assert any(ch.isdigit() or ch in "零一二三四五六七八九十百千万亿两" for ch in span), (span, r["quote"])
    sentences = read_records(out_dir, "sentences")
    assert all(raws[s["source"]][s["raw_start"]:s["raw_end"]] for s in sentences)
