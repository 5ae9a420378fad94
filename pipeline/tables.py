"""Parquet tables (pyarrow): one schema per record type, written and read here.

Layout of an output folder ``DIR``: a dataset folder ``DIR/<table>/part-*.parquet``
per table (one part per shard of input pages, in input order) or a single file
``DIR/<table>.parquet``; both read back with :func:`read_records`, pandas
(``pd.read_parquet("DIR/indicators")``) or DuckDB
(``SELECT * FROM 'DIR/indicators/*.parquet'``) as they are.

Schemas are derived from the dataclasses of :mod:`pipeline.records`; every
column is described in :data:`COLUMN_DOCS` (rendered into README by
:func:`columns_markdown`).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import operator
import os
import typing
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.records import Document, ErrorRecord, Indicator, Mention, PanelRow, Sentence, Token

TABLES = ("documents", "sentences", "tokens", "mentions", "indicators", "panel", "errors")

#: The record type of each table.
RECORD_TYPES: dict[str, type] = {
    "documents": Document, "sentences": Sentence, "tokens": Token,
    "mentions": Mention, "indicators": Indicator, "panel": PanelRow, "errors": ErrorRecord,
}

#: Fields stored as JSON text (free-form mappings).
JSON_FIELDS = frozenset({"stats", "meta"})

_SCALARS: dict[type, pa.DataType] = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}

#: Every column of every table, described (README renders this).
COLUMN_DOCS: dict[str, dict[str, str]] = {
    "documents": {
        "doc_id": "document id, `{source}#{index}`",
        "source": "input name: file name without extension, member path inside an archive, or the url",
        "path": "where the page was read: file path, `archive.zip!member`, or `file.jsonl:line`",
        "index": "position of the article in its page (a page may hold several: 第一篇, 第二篇 …)",
        "title": "article title",
        "text": "clean text (chrome removed, variant characters mapped, simplified, half-width)",
        "encoding": "encoding the raw page was decoded with (utf-8, gb18030, big5 …)",
        "content_hash": "hash of the content the document comes from (cache key)",
        "offset_clean": "offset map, clean side: start of each run of characters that map contiguously",
        "offset_raw": "offset map, raw side: raw offset of each of those starts",
        "kept": "false when the document was dropped (see drop_reason); dropped documents yield no sentences",
        "drop_reason": "why the document was dropped (e.g. `off_topic`), else null",
        "year": (
            "the base year of its 今年/去年: a news list item's date, else the year its title states, "
            "else a news item's posting date, else the year of its opening lines (see \"Years and signs\")"
        ),
        "stats": "cleaning statistics (JSON object: characters removed, variants mapped …)",
        "near_duplicate_of": "doc_id of an earlier document with nearly the same text (SimHash), else null",
        "region": "the place the document is about, full name from the division list (`四川省达州市`, `全国`), "
                  "or null (anonymised, ambiguous or not named)",
        "region_code": "6-digit division code of `region` (current list; `100000` for 全国), or null",
        "region_method": "where the place was found: `title`, `opening` (first lines), `issuer` (the body "
                         "named with its bureau or government: 霍邱县教育体育局) or `body` (the place the text "
                         "names most), `site` (an HTML page's <title> with its site name, read last); null when none",
        "region_candidates": "the codes a place name could mean when it is ambiguous (新城区), else empty",
        "report_type": "自查报告, 工作总结, 工作计划/要点, 统计公报, 年鉴, 政府工作报告, 规划, 讲话, 新闻, 公示/公告, "
                       "述职报告, 调研报告, 预算/决算 (from the title, else the first lines), or null",
        "reporting_year": "the year the document reports on (codebook v1.3): the one year its title or opening "
                          "line names as its period; null for a span (2022-2023学年度), a masked year or a timestamp",
    },
    "sentences": {
        "sentence_id": "sentence id, `{doc_id}:{index}`",
        "doc_id": "document id",
        "source": "input name",
        "index": "position in the document",
        "text": "sentence text (clean)",
        "start": "clean offset of the first character in the document text",
        "end": "clean offset after the last character",
        "raw_start": "offset of the first character in the page's decoded raw text",
        "raw_end": "raw offset after the last character",
        "heading": "nearest preceding section heading line (一、…, (二)…, 第三篇…), else null",
    },
    "tokens": {
        "sentence_id": "sentence id",
        "doc_id": "document id",
        "index": "position in the sentence",
        "text": "jieba token",
        "start": "clean offset of the token in the document text",
        "end": "clean offset after the token",
        "in_domain_dict": "true when the token is a term of rules/userdict.txt",
    },
    "mentions": {
        "mention_id": "mention id",
        "sentence_id": "sentence id",
        "doc_id": "document id",
        "source": "input name",
        "text": "the number as written",
        "value": "value in the base unit, null when not a value",
        "unit": "unit (codebook base unit or the word as written), null for a bare number",
        "approx": "hedged or bounded number (余, 约, 以上 …)",
        "flags": "what the quantity reader recognised or repaired (masked, year, ordinal …)",
        "start": "clean offset in the document text",
        "end": "clean offset after the number",
        "raw_start": "offset in the page's decoded raw text",
        "raw_end": "raw offset after the number",
        "indicator": "codebook code it became, else null",
        "extractor": "extractor that decided (rules, classifier …)",
        "rule_id": "id of the rule (rules/) that fired",
        "confidence": "confidence of the decision, 0-1",
        "reason": "why the number became no record, else null",
    },
    "indicators": {
        "source": "input name (file name without extension, archive member, or url)",
        "doc_id": "document id",
        "sentence_id": "sentence id",
        "indicator": "codebook v1.3 code (enroll.gross_rate …)",
        "stage": "education stage (preschool, primary, junior, compulsory, senior, senior_stage, vocational, "
                 "higher, special) or null",
        "value": "value in the base unit; a change is signed (a decrease is negative: 减少153所 is -153)",
        "unit": "base unit: %, 百分点, 元, 人, 人次, 所, 个",
        "year": "calendar year the value refers to (its sentence, section heading, a relative word, else the "
                "document's reporting year), or null",
        "year_basis": "where the year came from: sentence, heading, relative, document; null with year",
        "kind": "level, change or target",
        "approx": "true when the text hedges or bounds the number",
        "quote": "text around the number (substring of the clean sentence)",
        "start": "clean offset of the number in the document text",
        "end": "clean offset after the number",
        "raw_start": "offset of the number in the page's decoded raw text",
        "raw_end": "raw offset after the number",
        "extractor": "extractor that made the record (rules, classifier, combined)",
        "rule_id": "id of the rule (rules/) that fired, else null",
        "confidence": "confidence of the record, 0-1 (sortable)",
        "flags": "notes on the record (repaired_glued_year …)",
        "region": "the place the value is about (full name, `全国`): the place named in its clause or "
                  "sentence, else the document's; null when anonymised or ambiguous",
        "region_code": "6-digit division code of `region` (`100000` for 全国), or null",
        "record_id": "stable id of the record: hash of source, document, sentence, offsets, code, stage, value",
    },
    "panel": {
        "region_code": "division code of the place",
        "region": "full name of the place",
        "year": "year the values refer to",
        "indicator": "codebook code",
        "stage": "education stage, or null",
        "kind": "level, change or target",
        "unit": "base unit",
        "value": "the chosen value: the one most documents state (near duplicates vote once)",
        "n_records": "records of this cell, near duplicates included",
        "n_documents": "independent documents behind them (a document and its near duplicates count once)",
        "value_min": "smallest value of the cell's records",
        "value_max": "largest value of the cell's records",
        "conflict": "true when two of the values differ beyond rounding (93 and 93.2 agree; 93 and 95 do not)",
        "record_ids": "record_id of every record of the cell (indicators.record_id)",
    },
    "errors": {
        "source": "input name of the page (or archive) that failed",
        "path": "where it was read",
        "stage": "stage that failed: read, clean, segment, extract",
        "reason": "machine-readable reason (empty, binary, undecodable, duplicate, truncated_archive, "
                  "no_documents, exception class …)",
        "message": "human-readable detail",
    },
}


def _arrow_type(hint: Any) -> tuple[pa.DataType, bool]:
    """Arrow type of a field type hint, and whether it is nullable."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if args and type(None) in args:
        inner = [a for a in args if a is not type(None)][0]
        return _arrow_type(inner)[0], True
    if origin is list:
        return pa.list_(_arrow_type(args[0])[0]), False
    if origin is dict:
        return pa.string(), False
    if hint in _SCALARS:
        return _SCALARS[hint], False
    raise TypeError(f"no Arrow type for {hint!r}")


@cache
def schema(name: str) -> pa.Schema:
    """The Arrow schema of table ``name``, built from its record dataclass, with column docs as metadata."""
    cls = RECORD_TYPES[name]
    hints = typing.get_type_hints(cls)
    fields = []
    for f in dataclasses.fields(cls):
        typ, nullable = _arrow_type(hints[f.name])
        doc = COLUMN_DOCS[name].get(f.name, "")
        fields.append(pa.field(f.name, typ, nullable=nullable, metadata={"doc": doc}))
    return pa.schema(fields, metadata={"table": name})


def to_row(record: Any) -> dict[str, Any]:
    """A record as a table row (mappings as JSON text)."""
    row = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    for k in JSON_FIELDS & row.keys():
        row[k] = json.dumps(row[k], ensure_ascii=False, sort_keys=True)
    return row


def from_row(name: str, row: dict[str, Any]) -> Any:
    """The record of table ``name`` for a row (inverse of :func:`to_row`)."""
    cls = RECORD_TYPES[name]
    kwargs = {f.name: row[f.name] for f in dataclasses.fields(cls) if f.name in row}
    for k in JSON_FIELDS & kwargs.keys():
        if isinstance(kwargs[k], str):
            kwargs[k] = json.loads(kwargs[k])
    return cls(**kwargs)


@contextmanager
def _no_collection() -> Iterator[None]:
    """The garbage collector paused: building a table makes no reference cycles, but its many
    short-lived objects start collections that walk the whole heap (a third of the build's CPU time
    on the bench archive)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def to_table(name: str, records: Iterable[Any]) -> pa.Table:
    """An Arrow table of records (dataclass instances or row dicts) with the schema of ``name``.

    Built column by column (no per-row dict): the tokens table has ~200,000 rows per MB of text.
    """
    sch = schema(name)
    records = list(records)
    if records and isinstance(records[0], dict):
        return pa.Table.from_pylist(records, schema=sch)
    with _no_collection():
        # an attrgetter a column, mapped in C (no tuple a record); one column's values at a time
        columns = [_array(f, list(map(operator.attrgetter(f.name), records))) for f in sch]
    return pa.Table.from_arrays(columns, schema=sch)


def columns_table(name: str, columns: dict[str, list[Any]]) -> pa.Table:
    """An Arrow table of table ``name`` from its columns (column name → values, as the record fields);
    the cheap path for a table built column by column (the segment stage's tokens)."""
    sch = schema(name)
    with _no_collection():
        arrays = [_array(f, columns[f.name]) for f in sch]
    return pa.Table.from_arrays(arrays, schema=sch)


def _array(f: pa.Field, values: list[Any]) -> pa.Array:
    """The Arrow array of one column's values (JSON fields as JSON text)."""
    if f.name in JSON_FIELDS:
        values = [json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values]
    return pa.array(values, type=f.type)


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file under a temporary name, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def table_path(out_dir: Path, name: str) -> Path:
    """Where table ``name`` lives in ``out_dir`` (file or dataset folder)."""
    folder = out_dir / name
    return folder if folder.is_dir() else out_dir / f"{name}.parquet"


def part_files(folder: Path) -> list[Path]:
    """The part files of a dataset folder, in row order."""
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def read_table(path: Path, name: str, columns: list[str] | None = None) -> pa.Table:
    """Table ``name`` of an output folder as one Arrow table, rows in order (only ``columns``, when
    given: the others are never read, so a few columns of a large table take little memory)."""
    path = table_path(path, name)
    if not path.exists():
        raise FileNotFoundError(f"no {name} table in {path.parent} (run `zhibiao run` or `zhibiao tables` first)")
    if path.is_dir():
        parts = [pq.read_table(p, columns=columns) for p in part_files(path)]
        if parts:
            return pa.concat_tables(parts)
        empty = schema(name).empty_table()
        return empty.select(columns) if columns is not None else empty
    return pq.read_table(path, columns=columns)


def read_records(path: Path, name: str) -> list[dict[str, Any]]:
    """Rows of table ``name`` from an output folder, or of a .parquet/.jsonl file given directly."""
    if path.is_dir():
        return read_table(path, name).to_pylist()
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    return pq.read_table(path).to_pylist()


def columns_markdown(names: Sequence[str] = TABLES) -> str:
    """Markdown describing every column of every table (for README)."""
    lines: list[str] = []
    for name in names:
        lines += [f"### `{name}`", "", "| column | type | meaning |", "|---|---|---|"]
        for f in schema(name):
            lines.append(f"| `{f.name}` | {f.type} | {f.metadata[b'doc'].decode()} |")
        lines.append("")
    return "\n".join(lines)
