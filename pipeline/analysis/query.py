"""``zhibiao query``: SQL (DuckDB) over an output folder's tables, each a view of its name.

The views are the tables :data:`VIEWS` that the folder holds (a dataset folder of part files or
one ``.parquet`` file each). Results print as a text table, or are written as CSV, JSON (an
array of objects), Parquet or Excel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.text.width import display_width

VIEWS = ("indicators", "panel", "documents", "sentences", "mentions", "errors", "tokens")
FORMATS = ("table", "csv", "json", "parquet", "xlsx")
#: Longest cell shown in the text table (longer text ends in …).
CELL_WIDTH = 40


class QueryError(ValueError):
    """A query that DuckDB refused, or an output folder with no tables; the message is one line."""


def _parquet_files(out: Path, name: str) -> list[str]:
    folder = out / name
    if folder.is_dir():
        return sorted(str(p) for p in folder.glob("*.parquet") if not p.name.startswith("."))
    single = out / f"{name}.parquet"
    return [str(single)] if single.exists() else []


def connect(out: Path) -> Any:
    """A DuckDB connection with a view per table of ``out``."""
    import duckdb

    con = duckdb.connect(":memory:")
    found = 0
    for name in VIEWS:
        files = _parquet_files(out, name)
        if files:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({files!r}, union_by_name = true)")
            found += 1
    if not found:
        raise QueryError(f"no tables in {out} (run `zhibiao run PATH --out {out}` first)")
    return con


def run_query(out: Path, sql: str) -> Any:
    """The result of ``sql`` over the tables of ``out`` as a pandas DataFrame."""
    import duckdb

    con = connect(out)
    try:
        return con.execute(sql).fetchdf()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise QueryError(first) from None
    finally:
        con.close()


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or not hasattr(value, "tolist") and not isinstance(value, str) and pd.isna(value):
        return "NULL"
    if isinstance(value, float):
        text = f"{value:.6g}" if abs(value) < 1e15 else repr(value)
    elif hasattr(value, "tolist"):
        text = str(value.tolist())
    else:
        text = str(value)
    text = text.replace("\n", " ")
    if display_width(text) > CELL_WIDTH:
        while display_width(text) > CELL_WIDTH - 1:
            text = text[:-1]
        text += "…"
    return text


def format_table(df: Any) -> str:
    """A DataFrame as an aligned text table (wide characters count double), with its row count."""
    cols = [str(c) for c in df.columns]
    rows = [[_cell(v) for v in rec] for rec in df.itertuples(index=False, name=None)]
    widths = [max([display_width(c)] + [display_width(r[i]) for r in rows]) for i, c in enumerate(cols)]

    def line(cells: list[str]) -> str:
        return " | ".join(c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(cols), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def write_result(df: Any, fmt: str, path: Path) -> None:
    """Write a query result as csv, json, parquet or xlsx."""
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "json":
        df.to_json(path, orient="records", force_ascii=False, indent=1)
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    elif fmt == "xlsx":
        for col in df.columns:  # Excel cells hold no lists: list columns become text
            if df[col].map(lambda v: hasattr(v, "tolist") or isinstance(v, list)).any():
                df[col] = df[col].map(lambda v: ", ".join(map(str, list(v))) if v is not None else None)
        df.to_excel(path, index=False)
    else:
        raise QueryError(f"unknown format {fmt!r} (one of {', '.join(FORMATS[1:])})")
