"""One shard of pages through the stages: run options, shard tasks, cache entries of a shard
(:func:`process_shard`, the one function every engine calls), retries page by page, and
content-defined shards of the inputs (:func:`plan_shards`)."""

from __future__ import annotations

import errno
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.limits import PageTimeout
from pipeline.records import ErrorRecord, Page
from pipeline.run.cache import (
    commit,
    digest,
    is_done,
    shard_dir,
)
from pipeline.run.inputs import PageRef, StatCache, scan_inputs
from pipeline.stages.registry import STAGES as STAGE_REGISTRY
from pipeline.stages.registry import writer_of
from pipeline.stages.stage import MAX_MESSAGE, Batch, Stage, StageOutput, count_errors
from pipeline.tables import columns_table, from_row, to_table

#: Target pages per shard: a page closes its shard when its hash is 0 modulo this. 32 pages of
#: ~36 kB (the seeds' mean) make ~1 MB shards: a few seconds of work, cheap to redo.
SHARD_PAGES = 32
#: A shard also closes at 4 × SHARD_PAGES pages, and before the page that would take it past this many
#: bytes (a page bigger than this alone is a shard by itself): a worker's memory follows its shard's bytes
#: (README "Memory": about 70 MB a MB of pages over a worker's ~270 MB).
SHARD_BYTES = 4_000_000
#: Shards in flight per worker: enough to keep workers busy, few enough to keep memory flat.
WINDOW_PER_JOB = 2
#: Default time limit of one page in one stage (seconds; 0 = none), see :func:`page_time_limit`.
PAGE_TIMEOUT = 60.0
#: Default size limit of one page (MB; 0 = none): a bigger page is a ``too_large`` errors row. With
#: SHARD_BYTES it bounds a worker's memory (a 19.9 MB page took a worker to 1.6 GB).
MAX_PAGE_MB = 5.0
#: Errors of a full or read-only disk: they stop the run (with one line), no page is blamed.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


@dataclass
class RunOptions:
    """How to run: parallelism, engine, shard size, progress bar, page limits, cache pruning."""

    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    engine: str = "local"
    scheduler: str | None = None
    shard_pages: int = SHARD_PAGES
    shard_bytes: int = SHARD_BYTES
    progress: bool | None = None  # None: only on a terminal
    page_timeout: float = PAGE_TIMEOUT  # seconds a page may take in one stage; 0 = no limit
    max_page_mb: float = MAX_PAGE_MB  # bigger pages become ``too_large`` errors rows; 0 = no limit
    prune: bool = True  # remove stale-version cache entries after a successful run
    full_check: bool = False  # read and hash every input file, rebuild every table (no stat cache, no reuse)


@dataclass
class ShardTask:
    """One shard of work: the stages to run on it and, for the clean stage, its pages."""

    out: str
    keys: dict[str, str]
    stages: tuple[str, ...]
    items: list[Page | ErrorRecord] | None = None
    page_timeout: float = 0.0
    chains: dict[str, str] = field(default_factory=dict)  # version chain of each stage (cache metadata)


# ----------------------------------------------------------------------------- cache markers


#: Name of the marker file in a cache entry whose shard had a page time out (it holds the limit).
TIMED_OUT = "_TIMED_OUT"
#: Name of the marker file in a cache entry whose shard had a page kill its worker (never reused).
CRASHED = "_CRASHED"


# ----------------------------------------------------------------------------- stage calls


# ----------------------------------------------------------------------------- one shard


def _writer(name: str, records: list[Any]) -> Callable[[Path], None]:
    return lambda path: pq.write_table(to_table(name, records), path, compression="zstd")


def _columns_writer(name: str, columns: dict[str, list[Any]]) -> Callable[[Path], None]:
    return lambda path: pq.write_table(columns_table(name, columns), path, compression="zstd")


def _sig_writer(rows: list[dict[str, Any]]) -> Callable[[Path], None]:
    sig_schema = pa.schema([("doc_id", pa.string()), ("minhash", pa.list_(pa.uint64()))])
    return lambda path: pq.write_table(pa.Table.from_pylist(rows, schema=sig_schema), path)


def _load(out: Path, stage: str, key: str, name: str) -> Any:
    table = pq.read_table(shard_dir(out, stage, key) / f"{name}.parquet")
    if name == "tokens":  # kept as columns, as the segment stage makes it
        return table.to_pydict()
    return [from_row(name, row) for row in table.to_pylist()]


def stage_output(stage: str, batch: Batch, page_timeout: float) -> StageOutput:
    """Run one stage in memory on ``batch`` (:meth:`pipeline.stages.stage.Stage.run`). A pure function of
    its arguments, called by :func:`process_shard` on a whole shard and, after a worker died twice on it,
    on one page at a time (:func:`retry_by_page`)."""
    return STAGE_REGISTRY[stage].run(batch, page_timeout)


def _commit_output(out: Path, stage: str, task: ShardTask, output: StageOutput, crashed: str = "") -> None:
    """Commit a stage's output of a shard to the cache, with the markers of what must be redone later:
    ``_TIMED_OUT`` (the limit) when a page timed out, ``_CRASHED`` (the message) when a page killed its
    worker; :func:`_reusable` makes a later run redo such entries."""
    files: dict[str, Callable[[Path], None]] = {}
    for table, records in output.records.items():
        files[f"{table}.parquet"] = (_sig_writer(records) if table == "signatures" else
                       _columns_writer(table, records) if table == "tokens" else _writer(table, records))
    files["errors.parquet"] = _writer("errors", output.errors)
    if any(e.reason == PageTimeout.reason and e.stage == stage for e in output.errors):
        limit = f"{task.page_timeout:g}"
        files[TIMED_OUT] = lambda path, limit=limit: path.write_text(limit, encoding="utf-8")  # type: ignore[misc]
    if crashed:
        files[CRASHED] = lambda path: path.write_text(crashed[:MAX_MESSAGE], encoding="utf-8")
    commit(out, stage, task.keys[stage], files, output.stats, task.chains.get(stage, ""))


def process_shard(task: ShardTask) -> dict[str, Any]:
    """Run the given stages on one shard, each stage's output committed to the cache; returns counters.

    The one function every engine calls. A stage whose output is already
    in the cache is skipped, so a re-run after a kill redoes only what was lost.
    A stage in which a page timed out gets a ``_TIMED_OUT`` marker holding the limit:
    :func:`run_stages` redoes such an entry when a later run allows more time.
    """
    out = Path(task.out)
    batch = Batch(pages=task.items)
    result: dict[str, Any] = {"pages": 0, "bytes": 0, "errors": 0}
    for name in task.stages:
        if is_done(out, name, task.keys[name]):
            continue
        _load_reads(out, task, STAGE_REGISTRY[name], batch)
        output = stage_output(name, batch, task.page_timeout)
        for table, records in output.records.items():
            batch.put(table, records)
        for counter in ("pages", "bytes"):
            result[counter] = output.stats.get(counter, result[counter])
        _commit_output(out, name, task, output)
        result["errors"] += len(output.errors)
    for name in task.stages:
        STAGE_REGISTRY[name].release()  # e.g. the jieba cuts the segment stage kept for the extract stage
    return result


def reads_pages(names: Iterable[str]) -> bool:
    """Whether one of the stages ``names`` reads the input pages (so the inputs must be read)."""
    return any("pages" in STAGE_REGISTRY[n].reads for n in names)


def _load_reads(out: Path, task: ShardTask, stage: Stage, batch: Batch) -> None:
    """Load into ``batch`` the tables ``stage`` reads that it does not hold yet, from the cache entries
    of the stages that wrote them."""
    for table in stage.reads:
        if batch.get(table) is None:
            writer = writer_of(table)
            batch.put(table, _load(out, writer, task.keys[writer], table))


def _merge(parts: list[StageOutput]) -> StageOutput:
    """The outputs of a stage on successive pages of a shard as one (records in page order)."""
    merged = StageOutput({}, [], {})
    for part in parts:
        for name, records in part.records.items():
            if isinstance(records, dict):  # the tokens file's columns
                into = merged.records.setdefault(name, {k: [] for k in records})
                for k, values in records.items():
                    into[k] += values
            else:
                merged.records.setdefault(name, []).extend(records)
        merged.errors += part.errors
        add_counts(merged.stats, {k: v for k, v in part.stats.items() if k != "errors"})
    merged.stats["errors"] = count_errors(merged.errors)
    return merged


def retry_by_page(task: ShardTask, run_alone: Callable[..., StageOutput], message: str) -> int:
    """Run a shard whose worker died twice one page at a time, each page and stage alone in a fresh
    process (``run_alone(stage_output, *args)``), so that a poisonous page is only its own errors row
    (reason ``worker_crashed``, in the stage where it died) and every other page is kept.

    When the clean stage is done, the units are the shard's kept documents. The entries are
    committed with a ``_CRASHED`` marker: a crash is not a result, and the next run tries the
    shard again. Returns the number of errors rows.
    """
    out = Path(task.out)
    stages = [s for s in task.stages if not is_done(out, s, task.keys[s])]
    if not stages:
        return 0
    shard = Batch(pages=task.items)
    _load_reads(out, task, STAGE_REGISTRY[stages[0]], shard)
    by_page = "pages" in STAGE_REGISTRY[stages[0]].reads
    units: list[Any] = list(shard.pages or []) if by_page else [d for d in shard.documents or [] if d.kept]
    parts: dict[str, list[StageOutput]] = {s: [] for s in stages}
    crashed: list[str] = []
    for unit in units:
        batch = (Batch(pages=[unit]) if by_page else
                 Batch(documents=[unit], sentences=None if shard.sentences is None else shard.sentences_of(unit.doc_id)))
        for stage in stages:
            args = (stage, batch, task.page_timeout)
            try:
                part = stage_output(*args) if isinstance(unit, ErrorRecord) else run_alone(stage_output, *args)
            except Exception as exc:  # noqa: BLE001 - the page killed its worker again: its own row
                why = f"{type(exc).__name__}: {exc}" if str(exc) else message
                crashed.append(why)
                row = ErrorRecord(unit.source, unit.path, stage, "worker_crashed", why[:MAX_MESSAGE])
                stats = {"pages": 1, "bytes": len(unit.data)} if "pages" in STAGE_REGISTRY[stage].reads else {}
                parts[stage].append(StageOutput({}, [row], stats))
                break
            parts[stage].append(part)
            for table, records in part.records.items():
                batch.put(table, records)
    total = 0
    empty = {stage: stage_output(stage, Batch([], [], []), 0) for stage in stages}  # every file, even with no rows
    for stage in stages:
        merged = _merge([empty[stage]] + parts[stage])
        _commit_output(out, stage, task, merged, crashed="; ".join(crashed))
        total += len(merged.errors)
    return total


# ----------------------------------------------------------------------------- reading and sharding


@dataclass
class _Shard:
    items: list[PageRef | ErrorRecord] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    nbytes: int = 0
    pages: int = 0


def plan_shards(paths: list[str | Path], opts: RunOptions, counters: Counter,
                stat_cache: StatCache | None = None) -> Iterator[_Shard]:
    """Pages of the inputs in shards; exact duplicate pages become ``duplicate`` errors. With a
    ``stat_cache``, files unchanged since the last run are not read (:func:`pipeline.run.inputs.scan_inputs`)."""
    seen: dict[str, str] = {}
    shard = _Shard()
    cap_pages = 4 * opts.shard_pages
    for item in scan_inputs(paths, max_page_bytes(opts), stat_cache):
        if isinstance(item, PageRef):
            counters["pages_read"] += 1
            counters["bytes_read"] += item.nbytes
            h = item.hash
            if h in seen:
                dup = ErrorRecord(item.source, item.path, "read", "duplicate", f"same bytes as {seen[h]}")
                shard.ids.append(digest("dup", item.source, item.path, h))
                shard.items.append(dup)
            else:
                if shard.pages and shard.nbytes + item.nbytes > opts.shard_bytes:
                    yield shard  # cut by bytes before the page that would take the shard past its bytes
                    shard = _Shard()
                seen[h] = item.source
                shard.ids.append(digest(item.source, item.path, h, repr(sorted(item.meta.items()))))
                shard.nbytes += item.nbytes
                shard.pages += 1
                shard.items.append(item)
            boundary = int(h[:8], 16) % opts.shard_pages == 0
        else:
            counters["read_errors"] += 1
            shard.items.append(item)
            shard.ids.append(digest("error", item.source, item.path, item.reason, item.message))
            boundary = False
        if boundary or shard.pages >= cap_pages or shard.nbytes >= opts.shard_bytes:
            yield shard
            shard = _Shard()
    if shard.items:
        yield shard


def max_page_bytes(opts: RunOptions) -> int | None:
    """The page size limit of the options in bytes (None: no limit)."""
    return int(opts.max_page_mb * 1e6) if opts.max_page_mb > 0 else None


def add_counts(into: dict[str, Any], stats: dict[str, Any]) -> None:
    for k, v in stats.items():
        if isinstance(v, dict):
            add_counts(into.setdefault(k, {}), v)
        else:
            into[k] = into.get(k, 0) + v
