"""Compare every table of two output folders (``zhibiao run --out A`` and ``--out B``).

    python benchmarks/compare_runs.py A B [--ignore-column path ...]

Reads each table (a Parquet file or a folder of parts) of both folders with pandas
and prints, per table, whether rows and columns are equal; for a difference, the
row counts, the columns only one side has and the first differing rows. Exits 1
when any table differs. ``--ignore-column`` leaves a column out of the comparison
(say ``path`` or ``source`` when the two runs read the same pages from other places).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd


def tables_of(folder: Path) -> dict[str, Path]:
    """Table name → its Parquet file or part folder, for every table in ``folder``."""
    out: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_dir() and any(p.glob("*.parquet")):
            out[p.name] = p
        elif p.suffix == ".parquet":
            out[p.stem] = p
    return out


def read_table(path: Path) -> pd.DataFrame:
    """A table as one DataFrame, parts in name order, index reset."""
    parts = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    frames = [pd.read_parquet(p) for p in parts]
    frames = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _normal(df: pd.DataFrame) -> pd.DataFrame:
    """Cells as comparable text (lists and arrays, which pandas cannot compare, as their repr)."""
    return df.apply(lambda col: col.map(lambda v: repr(v.tolist()) if hasattr(v, "tolist") else repr(v)))


def compare_table(a: pd.DataFrame, b: pd.DataFrame, ignore: tuple[str, ...] = ()) -> list[str]:
    """Differences between two tables, as lines of text (empty when equal)."""
    a = a.drop(columns=[c for c in ignore if c in a.columns])
    b = b.drop(columns=[c for c in ignore if c in b.columns])
    lines: list[str] = []
    if list(a.columns) != list(b.columns):
        lines.append(f"  columns only in A: {sorted(set(a.columns) - set(b.columns))}, "
                     f"only in B: {sorted(set(b.columns) - set(a.columns))}")
        common = [c for c in a.columns if c in b.columns]
        a, b = a[common], b[common]
    if len(a) != len(b):
        lines.append(f"  rows: A {len(a)}, B {len(b)}")
    na, nb = _normal(a.head(min(len(a), len(b)))), _normal(b.head(min(len(a), len(b))))
    diff = (na != nb).any(axis=1)
    for i in list(diff[diff].index)[:5]:
        cols = [c for c in na.columns if na.at[i, c] != nb.at[i, c]][:4]
        lines.append(f"  row {i}: " + "; ".join(f"{c}: {na.at[i, c][:80]} | {nb.at[i, c][:80]}" for c in cols))
    if diff.sum() > 5:
        lines.append(f"  … {int(diff.sum())} differing rows in all")
    return lines


def compare_runs(a: Path, b: Path, ignore: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Table name → its differences (empty list: equal) for every table of either folder."""
    ta, tb = tables_of(a), tables_of(b)
    result: dict[str, list[str]] = {}
    for name in sorted(set(ta) | set(tb)):
        if name not in ta or name not in tb:
            result[name] = [f"  only in {'A' if name in ta else 'B'}"]
        else:
            result[name] = compare_table(read_table(ta[name]), read_table(tb[name]), ignore)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--ignore-column", action="append", default=[], help="a column left out (repeatable)")
    args = ap.parse_args(argv)
    result = compare_runs(args.a, args.b, tuple(args.ignore_column))
    for name, lines in result.items():
        print(f"{name}: {'equal' if not lines else 'DIFFERENT'}")
        for line in lines:
            print(line)
    return 1 if any(result.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
