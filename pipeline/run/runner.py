"""The runner: reads inputs, runs the stages over shards of pages, caches, writes tables, counts.

Stages are pure functions (:func:`pipeline.stages.clean.clean.clean_page`,
:func:`pipeline.stages.segment.segment.segment_columns`, :func:`pipeline.stages.extract.extract.extract_document`);
this module owns everything else. Pages are grouped into shards with
content-defined boundaries (a page whose hash falls on a boundary closes the
shard), so adding or changing one page changes one shard. Every shard goes
through :func:`process_shard`, the single function that the local process
pool, the in-process loop (``--jobs 1``) and the Dask engine all call; it
writes each stage's output to the cache (:mod:`pipeline.run.cache`) atomically.
The tables in ``DIR`` are then assembled from the cache in shard order, so
rows come in the same order whatever ``--jobs`` is, and a killed run resumes
where it stopped.

A page that a stage cannot process becomes a row of the errors table; the run
goes on. A shard whose worker process dies (a crash, the OOM killer) is run
again alone in a fresh process; if it dies again it is run page by page, each
page and stage alone (:func:`retry_by_page`), so the page that kills its worker
is one ``worker_crashed`` errors row and the others are kept; such entries are
marked ``_CRASHED`` and redone by the next run (a crash is never a result). Memory is bounded by the shards in flight
(``WINDOW_PER_JOB`` per worker) and the largest page, not by the archive;
``--max-page-mb`` turns a page over that size into a ``too_large`` row before
it is read. A page that runs longer than ``--page-timeout`` in a stage is
stopped (:class:`page_time_limit`, SIGALRM: local engine only) and becomes a
``timeout`` row; its shard's entry is marked so that a run with a larger limit
redoes it. After a successful run the cache entries of older code, rules or
models are pruned (:func:`pipeline.run.cache.prune`) when no other run holds the
folder's lock.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.analysis.panel import write_panel
from pipeline.limits import PageTimeout, exit_with_parent
from pipeline.records import ErrorRecord, Page
from pipeline.run.cache import (
    STAGE_TABLES,
    STAGES,
    cache_lock,
    commit,
    digest,
    entry_intact,
    is_done,
    prune,
    read_manifest,
    read_stats,
    remove_entry,
    remove_leftovers,
    run_lock,
    shard_dir,
    shard_keys,
    stage_versions,
    version_chains,
    write_json_atomic,
    write_manifest,
)
from pipeline.run.publish import SUMMARY, new_run_dir, publish, remove_unpublished, summary_path
from pipeline.run.sources import input_size, iter_inputs
from pipeline.stages.clean.dedup import NearDuplicateIndex, content_hash
from pipeline.stages.registry import STAGES as STAGE_REGISTRY
from pipeline.stages.registry import check_rules, writer_of
from pipeline.stages.stage import MAX_MESSAGE, Batch, Stage, StageOutput, count_errors
from pipeline.tables import columns_table, from_row, to_table, write_atomic

#: Target pages per shard: a page closes its shard when its hash is 0 modulo this. 32 pages of
#: ~36 kB (the seeds' mean) make ~1 MB shards: a few seconds of work, cheap to redo.
SHARD_PAGES = 32
#: A shard also closes at this many bytes or 4 × SHARD_PAGES pages, whichever comes first.
SHARD_BYTES = 8 << 20
#: Shards in flight per worker: enough to keep workers busy, few enough to keep memory flat.
WINDOW_PER_JOB = 2
#: Default time limit of one page in one stage (seconds; 0 = none), see :func:`page_time_limit`.
PAGE_TIMEOUT = 60.0
#: Default size limit of one page (MB; 0 = none): a bigger page is a ``too_large`` errors row.
MAX_PAGE_MB = 20.0
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


def _load(out: Path, stage: str, key: str, name: str) -> list[Any]:
    table = pq.read_table(shard_dir(out, stage, key) / f"{name}.parquet")
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


def _reads_pages(names: Iterable[str]) -> bool:
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
        _add(merged.stats, {k: v for k, v in part.stats.items() if k != "errors"})
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
    items: list[Page | ErrorRecord] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    nbytes: int = 0
    pages: int = 0


def plan_shards(paths: list[str | Path], opts: RunOptions, counters: Counter) -> Iterator[_Shard]:
    """Pages of the inputs in shards; exact duplicate pages become ``duplicate`` errors."""
    seen: dict[str, str] = {}
    shard = _Shard()
    cap_pages = 4 * opts.shard_pages
    max_bytes = int(opts.max_page_mb * 1e6) if opts.max_page_mb > 0 else None
    for item in iter_inputs(paths, max_bytes=max_bytes):
        if isinstance(item, Page):
            counters["pages_read"] += 1
            counters["bytes_read"] += len(item.data)
            h = content_hash(item.data)
            if h in seen:
                item = ErrorRecord(item.source, item.path, "read", "duplicate", f"same bytes as {seen[h]}")
                shard.ids.append(digest("dup", item.source, item.path, h))
            else:
                seen[h] = item.source
                shard.ids.append(digest(item.source, item.path, h, repr(sorted(item.meta.items()))))
                shard.nbytes += len(item.data)
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


# ----------------------------------------------------------------------------- engines


#: A page the parent process runs through every stage before it forks its workers (see :func:`warm_up`).
WARM_UP_PAGE = ("某县教育局2022年工作总结\n"
                "2022年全县共有小学35所,在校学生12000人,专任教师860人,小学适龄儿童入学率达100%。\n"
                "全年投入教育经费3.2亿元,学前三年毛入园率达到92.5%,较上年提高1.5个百分点。\n")


def warm_up(freeze: bool = True) -> None:
    """Load what the stages load on first use (jieba's dictionary, the rules, the models, pyarrow's
    pandas) by running them on a small page in this process, then freeze the garbage collector's
    view of the heap.

    The local engine calls it before forking its workers: they inherit it all (copy-on-write),
    instead of each loading it again, and the collector does not touch (and copy) the inherited
    objects. Outputs are unaffected: the stages are pure; a failure here is ignored (the worker
    meets it again on real pages and records it).
    """
    import gc

    try:
        batch = Batch(pages=[Page("warm-up", "warm-up", WARM_UP_PAGE.encode())])
        for stage in STAGE_REGISTRY.values():
            for table, records in stage.run(batch).records.items():
                batch.put(table, records)
        # pyarrow imports pandas on its first pa.array (to recognise pandas objects): about 0.16 CPU-s
        # a worker would otherwise pay on its first table
        to_table("errors", [])
    except Exception:  # noqa: BLE001,S110 - only a head start
        pass
    finally:
        for stage in STAGE_REGISTRY.values():
            stage.release()
    if freeze:
        gc.collect()
        gc.freeze()


def _pool(jobs: int) -> Any:
    """A process pool whose workers end with this process (:func:`exit_with_parent`)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=exit_with_parent,
                               initargs=(os.getpid(),))


class _LocalEngine:
    """A process pool (or, with one job, the calling process)."""

    def __init__(self, jobs: int, page_timeout: float = 0.0) -> None:
        self.window = max(1, jobs) * WINDOW_PER_JOB
        self.jobs = jobs
        self.pool = self._new_pool() if jobs > 1 else None
        if self.pool is None and page_timeout > 0:
            warm_up(freeze=False)  # loading jieba and the models is no page's time

    def _new_pool(self) -> Any:
        if sys.platform.startswith("linux"):
            warm_up()  # forked workers inherit the loaded dictionaries and models
        return _pool(self.jobs)

    def submit(self, task: ShardTask) -> Any:
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        if self.pool is not None:
            try:
                return self.pool.submit(process_shard, task)
            except BrokenProcessPool:  # a worker died: start a fresh pool
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._new_pool()
                return self.pool.submit(process_shard, task)
        fut: Future = Future()
        try:
            fut.set_result(process_shard(task))
        except Exception as exc:  # noqa: BLE001 - reported like a worker failure
            fut.set_exception(exc)
        return fut

    def wait(self, pending: set[Any]) -> set[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        return wait(pending, return_when=FIRST_COMPLETED).done

    def run_isolated(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` alone in a fresh worker process, so a crash is its own (a retry)."""
        with _pool(1) as solo:
            return solo.submit(fn, *args).result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


class _DaskEngine:
    """A Dask distributed cluster: the scheduler given, else a LocalCluster."""

    def __init__(self, jobs: int, scheduler: str | None, processes: bool = True, page_timeout: float = 0.0) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("the dask engine needs `pip install zhibiao[dask]`") from exc
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            self.cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=processes,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        workers = len(self.client.scheduler_info().get("workers", {})) or max(1, jobs)
        self.window = workers * WINDOW_PER_JOB
        if page_timeout > 0:  # loading jieba and the models is no page's time
            if processes or scheduler:
                self.client.run(warm_up, False)
            else:
                warm_up(freeze=False)

    def submit(self, task: ShardTask) -> Any:
        return self.client.submit(process_shard, task, pure=False)

    def run_isolated(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` again (Dask already moves the tasks of a dead worker elsewhere)."""
        return self.client.submit(fn, *args, pure=False).result()

    def wait(self, pending: set[Any]) -> set[Any]:
        from dask.distributed import wait

        return set(wait(list(pending), return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_engine(opts: RunOptions) -> _LocalEngine | _DaskEngine:
    """The engine named by the options."""
    if opts.engine == "dask":
        return _DaskEngine(opts.jobs, opts.scheduler, processes=os.environ.get("ZHIBIAO_DASK_PROCESSES", "1") == "1",
                           page_timeout=opts.page_timeout)
    if opts.engine != "local":
        raise ValueError(f"unknown engine {opts.engine!r} (local or dask)")
    return _LocalEngine(opts.jobs, opts.page_timeout)


# ----------------------------------------------------------------------------- running


class _Progress:
    """tqdm bar, only on a terminal: MB of input (rate and ETA) with pages/s and errors so far.

    For a stage command, which reads no input, the bar counts shards.
    """

    def __init__(self, enabled: bool | None, total: int | None, by_bytes: bool) -> None:
        self.bar = None
        self.start = time.monotonic()
        self.by_bytes = by_bytes
        self.pages = 0
        self.errors = 0
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled:
            import tqdm

            tqdm.tqdm.monitor_interval = 0
            self.bar = tqdm.tqdm(total=total, desc="zhibiao", dynamic_ncols=True,
                                 **({"unit": "B", "unit_scale": True, "unit_divisor": 1000} if by_bytes
                                    else {"unit": "shard"}))

    def update(self, pages: int, nbytes: int, errors: int = 0) -> None:
        self.pages += pages
        self.errors += errors
        if self.bar is not None:
            rate = self.pages / max(time.monotonic() - self.start, 1e-9)
            self.bar.set_postfix_str(f"{rate:.1f} pages/s, {self.errors} errors", refresh=False)
            self.bar.update(nbytes if self.by_bytes else 1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _raise_disk_error(exc: BaseException) -> None:
    """Raise ``exc`` again when it is a full or read-only disk: no page's fault, retrying cannot help."""
    if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS:
        raise exc


def _reusable(out: Path, stage: str, key: str, page_timeout: float) -> bool:
    """A finished entry is reused unless a page timed out in it under a shorter limit than ``page_timeout``
    (0: none): a run that allows more time tries those pages again."""
    if (shard_dir(out, stage, key) / CRASHED).exists():
        return False
    marker = shard_dir(out, stage, key) / TIMED_OUT
    if not marker.exists():
        return True
    try:
        limit = float(marker.read_text(encoding="utf-8") or 0)
    except (OSError, ValueError):
        return False
    return 0 < page_timeout <= limit


def _plan(out: Path, stages: tuple[str, ...], keys: dict[str, str], page_timeout: float,
          counters: Counter) -> tuple[str, ...]:
    """Stages of ``stages`` to run on a shard. A damaged entry (checksums, :func:`entry_intact`) is
    dropped and computed again (counted in ``counters["cache_damaged"]``); an entry to be retried
    (timeouts, crashes) is removed with every later stage's entry of the shard, whose input it was."""
    for stage in STAGES:
        if is_done(out, stage, keys[stage]) and not entry_intact(out, stage, keys[stage]):
            remove_entry(out, stage, keys[stage])
            counters["cache_damaged"] += 1
    for n, stage in enumerate(STAGES):
        if stage in stages and is_done(out, stage, keys[stage]) and not _reusable(out, stage, keys[stage],
                                                                                  page_timeout):
            for later in STAGES[n:]:
                remove_entry(out, later, keys[later])
            break
    return tuple(s for s in stages if not is_done(out, s, keys[s]))


def run_stages(out: Path, stages: tuple[str, ...], paths: list[str | Path] | None = None,
               opts: RunOptions | None = None) -> dict[str, Any]:
    """Run ``stages`` (a contiguous part of clean → segment → extract) into ``out``, then write the tables.

    Every rule file is validated first (:func:`pipeline.stages.registry.check_rules`): a broken one raises
    :class:`~pipeline.ruleset.rulefiles.RuleError` before anything is read or written.
    With ``clean`` among the stages the pages are read from ``paths``; otherwise the
    shards of the last run in ``out`` are used. Returns the run summary. With ``opts.prune``
    the cache entries of older code, rules or models are removed afterwards, when no other
    run uses ``out`` (:func:`pipeline.run.cache.prune`); the summary's ``cache_pruned`` says how many.
    """
    opts = opts or RunOptions()
    out = Path(out)
    check_rules()  # a broken rule file stops the run here: nothing read, written or deleted
    out.mkdir(parents=True, exist_ok=True)
    with run_lock(out), cache_lock(out):
        try:
            summary = _run_locked(out, stages, paths, opts)
        except OSError as exc:
            if exc.errno in DISK_ERRNOS:
                raise RuntimeError(f"{out}: {exc.strerror or exc}: the run stopped; the previous tables are "
                                   "intact (free some space and run again: it resumes)") from exc
            raise
    if opts.prune:
        pruned = prune(out)  # None: another run uses the folder, the cache is left alone
        if pruned is not None:
            summary["cache_pruned"] = pruned.removed
            write_json_atomic(summary_path(out), summary)
    return summary


def _run_locked(out: Path, stages: tuple[str, ...], paths: list[str | Path] | None,
                opts: RunOptions) -> dict[str, Any]:
    remove_leftovers(out)
    versions = stage_versions()
    chains = version_chains(versions)
    counters: Counter = Counter()
    started = time.monotonic()
    enabled = sys.stderr.isatty() if opts.progress is None else opts.progress
    if _reads_pages(stages):
        if not paths:
            raise ValueError("the clean stage needs input paths")
        shards: Iterator[tuple[str, list[Page | ErrorRecord] | None, int, int]] = (
            (digest(*s.ids), s.items, s.pages, s.nbytes) for s in plan_shards(paths, opts, counters))
        progress = _Progress(enabled, input_size(paths) if enabled else None, by_bytes=True)
    else:
        manifest = read_manifest(out)
        counters.update(manifest.get("read", {}))
        shards = ((cid, None, 0, 0) for cid in manifest["shards"])
        progress = _Progress(enabled, len(manifest["shards"]), by_bytes=False)
    content_ids: list[str] = []
    engine = make_engine(opts)
    pending: dict[Any, tuple[ShardTask, int, int]] = {}

    def collect(done: set[Any]) -> None:
        for fut in done:
            task, pages, nbytes = pending.pop(fut)
            try:
                errors = fut.result()["errors"]
            except Exception as exc:  # noqa: BLE001 - a worker died (taking its pool's other shards with it)
                _raise_disk_error(exc)
                try:
                    errors = engine.run_isolated(process_shard, task)["errors"]
                except Exception as again:  # noqa: BLE001 - it dies alone too: find the page, page by page
                    _raise_disk_error(again)
                    errors = retry_by_page(task, engine.run_isolated, f"{type(again).__name__}: {again}")
            progress.update(pages, nbytes, errors)

    try:
        for cid, items, pages, nbytes in shards:
            content_ids.append(cid)
            keys = shard_keys(cid, versions)
            todo = _plan(out, stages, keys, opts.page_timeout, counters)
            if not todo:
                progress.update(pages, nbytes)
                continue
            first = STAGES.index(todo[0])
            if first > 0 and not is_done(out, STAGES[first - 1], keys[STAGES[first - 1]]):
                raise RuntimeError(f"the {STAGES[first - 1]} stage has not run on {out} with the current "
                                   f"code and rules: run `zhibiao {STAGES[first - 1]}` first")
            task = ShardTask(str(out), keys, todo, items if _reads_pages(todo) else None, opts.page_timeout, chains)
            pending[engine.submit(task)] = (task, pages, nbytes)
            while len(pending) >= engine.window:
                collect(engine.wait(set(pending)))
        while pending:
            collect(engine.wait(set(pending)))
    finally:
        engine.close()
        progress.close()
    if _reads_pages(stages):
        write_manifest(out, {"shards": content_ids, "read": {k: counters[k] for k in
                                                             ("pages_read", "bytes_read", "read_errors")}})
    summary = write_tables(out, versions, verify=False)  # _plan checked every entry this run did not write
    if counters["cache_damaged"]:
        summary["cache_damaged"] = counters["cache_damaged"]
    summary["seconds"] = round(time.monotonic() - started, 3)
    write_json_atomic(summary_path(out), summary)
    return summary


def run_pipeline(paths: list[str | Path], out: Path, opts: RunOptions | None = None) -> dict[str, Any]:
    """Every stage on the inputs: clean → segment → extract → tables. Returns the summary."""
    return run_stages(Path(out), STAGES, paths, opts)


# ----------------------------------------------------------------------------- tables


def _documents_part(src: Path, sig_path: Path, index: NearDuplicateIndex, dst: Path) -> None:
    """Copy a shard's documents, filling near_duplicate_of from the MinHash index."""
    import numpy as np

    links: dict[str, str] = {}
    for row in pq.read_table(sig_path).to_pylist():
        found = index.add(row["doc_id"], np.asarray(row["minhash"], dtype=np.uint64))
        if found is not None:
            links[row["doc_id"]] = found
    if not links:
        shutil.copyfile(src, dst)
        return
    table = pq.read_table(src)
    col = [links.get(d, cur) for d, cur in zip(table.column("doc_id").to_pylist(),
                                               table.column("near_duplicate_of").to_pylist(), strict=True)]
    pos = table.schema.get_field_index("near_duplicate_of")
    table = table.set_column(pos, table.schema.field(pos), pa.array(col, type=pa.string()))
    write_atomic(table, dst)


def write_tables(out: Path, versions: dict[str, str] | None = None, verify: bool = True) -> dict[str, Any]:
    """Assemble every table of ``out`` from the cache, in shard order, publish them with the
    summary as one atomic switch (:mod:`pipeline.run.publish`), and return the summary.

    A stage's tables are written when it is done for every shard of the last
    run; tables of a stage that is not (stale after new input) are not published.
    Table files are copies, never links: damaging one leaves the cache intact. With ``verify``
    every entry's checksums are checked first, and a damaged entry is dropped (its stage is then
    incomplete until a run computes it again; the summary's ``cache_damaged`` counts them).
    If writing fails (a full disk) the tables written so far are removed and the previous
    run's tables stay published.
    """
    out = Path(out)
    versions = versions or stage_versions()
    manifest = read_manifest(out)
    damaged = 0
    if verify:
        for cid in manifest["shards"]:
            for stage, key in shard_keys(cid, versions).items():
                if is_done(out, stage, key) and not entry_intact(out, stage, key):
                    remove_entry(out, stage, key)
                    damaged += 1
    remove_unpublished(out)
    keys = [shard_keys(cid, versions) for cid in manifest["shards"]]
    complete = [s for s in STAGES if all(is_done(out, s, k[s]) for k in keys)]
    run_dir = new_run_dir(out)
    try:
        names = [name for stage in complete for name in STAGE_TABLES[stage]] + ["errors"]
        for stage in complete:
            for name in STAGE_TABLES[stage]:
                (run_dir / name).mkdir()
                index = NearDuplicateIndex()
                for i, k in enumerate(keys):
                    src = shard_dir(out, stage, k[stage]) / f"{name}.parquet"
                    dst = run_dir / name / f"part-{i:06d}.parquet"
                    if name == "documents":
                        _documents_part(src, shard_dir(out, stage, k[stage]) / "signatures.parquet", index, dst)
                    else:
                        shutil.copyfile(src, dst)
        (run_dir / "errors").mkdir()
        for i, k in enumerate(keys):
            for n, stage in enumerate(STAGES):
                if is_done(out, stage, k[stage]):
                    shutil.copyfile(shard_dir(out, stage, k[stage]) / "errors.parquet",
                                    run_dir / "errors" / f"part-{i:06d}-{n}{stage}.parquet")
        if "extract" in complete:
            write_panel(run_dir)
            names.append("panel")
        summary = summarize(out, manifest, keys, complete)
        if damaged:
            summary["cache_damaged"] = damaged
        write_json_atomic(run_dir / SUMMARY, summary)
        publish(out, run_dir, names)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return summary


def _add(into: dict[str, Any], stats: dict[str, Any]) -> None:
    for k, v in stats.items():
        if isinstance(v, dict):
            _add(into.setdefault(k, {}), v)
        else:
            into[k] = into.get(k, 0) + v


def summarize(out: Path, manifest: dict[str, Any], keys: list[dict[str, str]],
              complete: list[str]) -> dict[str, Any]:
    """Counters of the run: pages read, documents kept and dropped by reason, records per family, errors."""
    totals: dict[str, dict[str, Any]] = {s: {} for s in STAGES}
    for k in keys:
        for stage in STAGES:
            if is_done(out, stage, k[stage]):
                _add(totals[stage], read_stats(out, stage, k[stage]))
    read = manifest.get("read", {})
    errors: dict[str, int] = {}
    for stage in STAGES:
        _add(errors, totals[stage].get("errors", {}))
    clean, seg, ext = totals["clean"], totals["segment"], totals["extract"]
    flags = {"pages_with_replaced_chars": clean["pages_replaced"]} if clean.get("pages_replaced") else {}
    return flags | {
        "pages_read": read.get("pages_read", 0), "bytes_read": read.get("bytes_read", 0),
        "pages_cleaned": clean.get("pages", 0), "shards": len(keys), "stages_complete": complete,
        "documents": clean.get("documents", 0), "documents_kept": clean.get("kept", 0),
        "documents_dropped": dict(sorted(clean.get("dropped", {}).items())),
        "sentences": seg.get("sentences", 0), "tokens": seg.get("tokens", 0),
        "mentions": ext.get("mentions", 0), "indicators": ext.get("indicators", 0),
        "records_per_family": dict(sorted(ext.get("families", {}).items())),
        "errors": dict(sorted(errors.items())), "errors_total": sum(errors.values()),
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The run summary as a few lines of text."""
    def kv(d: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v}" for k, v in d.items()) or "none"

    mb = summary.get("bytes_read", 0) / 1e6
    secs = summary.get("seconds")
    speed = f" in {secs:.1f} s ({mb / secs:.2f} MB/s)" if secs else ""
    return "\n".join([
        f"pages read: {summary['pages_read']} ({mb:.1f} MB){speed}",
        f"documents: {summary['documents']} (kept {summary['documents_kept']}; "
        f"dropped: {kv(summary['documents_dropped'])})",
        f"sentences: {summary['sentences']}, tokens: {summary['tokens']}, mentions: {summary['mentions']}",
        f"indicator records: {summary['indicators']} ({kv(summary['records_per_family'])})",
        f"errors: {summary['errors_total']} ({kv(summary['errors'])})",
    ] + ([f"pages with bad bytes, kept with replacement characters: {summary['pages_with_replaced_chars']} "
          "(documents' stats.replaced_chars)"] if summary.get("pages_with_replaced_chars") else []) + ([f"cache: {summary['cache_pruned']} entries of older code, rules or models removed"]
         if summary.get("cache_pruned") else []))

