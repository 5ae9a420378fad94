"""Parquet tables (pyarrow): one schema per record type, written and read here.

Layout of an output folder ``DIR``: ``DIR/<table>.parquet`` or a dataset
folder ``DIR/<table>/part-*.parquet``; both read back with :func:`read_records`,
pandas or DuckDB as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

TABLES = ("documents", "sentences", "tokens", "mentions", "indicators", "errors")


def table_path(out_dir: Path, name: str) -> Path:
    """Where table ``name`` lives in ``out_dir`` (file or dataset folder)."""
    folder = out_dir / name
    return folder if folder.is_dir() else out_dir / f"{name}.parquet"


def read_records(path: Path, name: str) -> list[dict[str, Any]]:
    """Rows of table ``name`` from an output folder, or of a .parquet/.jsonl file given directly."""
    if path.is_dir():
        path = table_path(path, name)
        if not path.exists():
            raise FileNotFoundError(f"no {name} table in {path.parent} (run `zhibiao run` or `zhibiao tables` first)")
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    return pq.read_table(path).to_pylist()
