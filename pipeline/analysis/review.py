"""``zhibiao review``: one self-contained static HTML page to check a run's records by eye.

The page holds its data as one JSON blob (records, their sentences with the neighbouring ones,
documents, the panel) and its CSS, JavaScript and charts inline; nothing is fetched when it is
viewed. Charts are hand-written SVG drawn by the page's script (see README, "The review page").
The output is deterministic: the same tables give the same bytes (no timestamps, sorted data).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Columns of ``indicators`` the page shows, in the order of the JSON rows.
RECORD_COLUMNS = ("record_id", "indicator", "value", "unit", "stage", "year", "year_basis", "kind", "region",
                  "region_code", "confidence", "extractor", "rule_id", "quote", "sentence_id", "doc_id", "start",
                  "end", "raw_start", "raw_end", "approx")
PANEL_COLUMNS = ("region_code", "region", "year", "indicator", "stage", "kind", "unit", "value", "n_records",
                 "n_documents", "conflict", "record_ids")
#: Characters of the neighbouring sentences shown as context around the selected one.
CONTEXT_CHARS = 160


class ReviewError(ValueError):
    """A folder the page cannot be made from; the message is one line."""


def _clean(value: Any) -> Any:
    """A Parquet value as plain JSON (NaN and numpy types are not JSON)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [{n: _clean(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def _select(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def collect(out: Path) -> dict[str, Any]:
    """The page's data from the tables of ``out``: records lowest confidence first, the sentences,
    documents and panel rows they need, all in a stable order."""
    from .query import QueryError, connect

    try:
        con = connect(out)
    except QueryError as exc:
        raise ReviewError(str(exc)) from None
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    missing = [t for t in ("indicators", "documents", "sentences") if t not in views]
    if missing:
        raise ReviewError(f"{out} has no {', '.join(missing)} table (run `zhibiao run PATH --out {out}` first)")
    import duckdb

    try:
        records = _rows(con, f"SELECT {_select(RECORD_COLUMNS)} FROM indicators "
                             "ORDER BY confidence NULLS FIRST, record_id")
        wanted = sorted({r["sentence_id"] for r in records})
        con.register("wanted", __import__("pandas").DataFrame({"sentence_id": wanted}))
        sentences = _rows(con, """
            SELECT s.sentence_id, s.text, s.start, s.raw_start, s.raw_end, s.heading,
                   lag(s.text) OVER w AS prev, lead(s.text) OVER w AS next
            FROM sentences s WINDOW w AS (PARTITION BY s.doc_id ORDER BY s.index)
            QUALIFY s.sentence_id IN (SELECT sentence_id FROM wanted) ORDER BY s.sentence_id""")
        docs = _rows(con, "SELECT doc_id, source, path, title, region, reporting_year FROM documents "
                          "WHERE doc_id IN (SELECT DISTINCT doc_id FROM indicators) ORDER BY doc_id")
        panel = _rows(con, f"SELECT {_select(PANEL_COLUMNS)} FROM panel ORDER BY ALL") if "panel" in views else []
    except duckdb.Error as exc:  # tables of an older run (a column missing): one line, not a traceback
        raise ReviewError(f"{out}: {str(exc).strip().splitlines()[0]}") from None
    finally:
        con.close()
    for s in sentences:
        s["prev"] = (s["prev"] or "")[-CONTEXT_CHARS:]
        s["next"] = (s["next"] or "")[:CONTEXT_CHARS]
    return {
        "columns": list(RECORD_COLUMNS),
        "records": [[r[c] for c in RECORD_COLUMNS] for r in records],
        "sentences": {s.pop("sentence_id"): s for s in sentences},
        "documents": {d.pop("doc_id"): d for d in docs},
        "panel_columns": list(PANEL_COLUMNS),
        "panel": [[p[c] for c in PANEL_COLUMNS] for p in panel],
    }


def _blob(data: dict[str, Any]) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(data: dict[str, Any], title: str = "Zhibiao review") -> str:
    """The page for ``data`` (from :func:`collect`)."""
    assets = Path(__file__).with_name("review_assets")
    css = (assets / "review.css").read_text(encoding="utf-8")
    js = (assets / "review.js").read_text(encoding="utf-8")
    html = (assets / "review.html").read_text(encoding="utf-8")
    return (html.replace("{{title}}", title.replace("&", "&amp;").replace("<", "&lt;"))
            .replace("/*{{css}}*/", css).replace("{{data}}", _blob(data)).replace("//{{js}}", js))


def write_review(out: Path, dest: Path) -> int:
    """Write the review page of the run in ``out`` to ``dest``; returns the number of records."""
    data = collect(out)
    dest.write_text(render(data, f"Zhibiao review: {out.resolve().name}"), encoding="utf-8")
    return len(data["records"])
