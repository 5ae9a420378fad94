"""zhibiao query (pipeline/analysis/query.py): DuckDB views over a run's tables, formats, one-line SQL errors."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.run.runner import RunOptions, run_pipeline

ROOT = Path(__file__).resolve().parent.parent


@cache
def _run(tmp: Path) -> Path:
    out = tmp / "out"
    run_pipeline([next((ROOT / "corpora").glob("002_*.txt"))], out, RunOptions(jobs=1, progress=False))
    return out


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("query"))


def query(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["query", *args])
    return res.exit_code, res.output


def test_prints_a_table_of_the_records_with_their_places(out: Path) -> None:
    code, text = query(str(out), "SELECT region, year, value FROM indicators WHERE indicator = 'enroll.rate' "
                                 "AND region_code = '511700' ORDER BY value")
    assert code == 0, text
    lines = text.splitlines()
    assert [c.strip() for c in lines[0].split("|")] == ["region", "year", "value"]
    assert "四川省达州市 | 2011 | 81.1" in text and "99.99" in text
    assert lines[-1] == f"({len(lines) - 3} rows)"


def test_every_table_is_a_view(out: Path) -> None:
    for view in ("indicators", "panel", "documents", "sentences", "mentions", "errors"):
        code, text = query(str(out), f"SELECT count(*) AS n FROM {view}")
        assert code == 0, (view, text)


def test_a_sql_mistake_is_one_line(out: Path) -> None:
    code, text = query(str(out), "SELECT regon FROM indicators")
    assert code == 1
    assert text.startswith("Error: Binder Error") and "regon" in text
    assert len(text.strip().splitlines()) == 1 and "Traceback" not in text


def test_panel_ids_lead_back_to_records(out: Path) -> None:
    code, text = query(str(out), "SELECT count(*) AS missing FROM (SELECT unnest(record_ids) AS id FROM panel) p "
                                 "LEFT JOIN indicators i ON i.record_id = p.id WHERE i.record_id IS NULL",
                       "--format", "json")
    assert code == 0 and json.loads(text) == [{"missing": 0}]


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "xlsx"])
def test_formats_write_files(out: Path, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"panel.{fmt}"
    code, text = query(str(out), "SELECT region, year, indicator, value, record_ids FROM panel ORDER BY ALL",
                       "--format", fmt, "--out", str(target))
    assert code == 0, text
    read = {"csv": pd.read_csv, "json": pd.read_json, "parquet": pd.read_parquet, "xlsx": pd.read_excel}[fmt]
    df = read(target)
    assert len(df) > 10 and set(df["region"].dropna()) >= {"四川省达州市"}


def test_binary_formats_need_an_out_file(out: Path) -> None:
    code, text = query(str(out), "SELECT 1", "--format", "xlsx")
    assert code == 2 and "--out" in text
