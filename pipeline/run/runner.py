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
marked ``_CRASHED`` and redone by the next run (a crash is never a result). A worker's memory is bounded by bytes, not by the archive:
a shard is cut before it passes ``--shard-mb`` (a bigger page is a shard alone) and
``--max-page-mb`` turns a page over that size into a ``too_large`` row before
it is read (README "Memory"). A page that runs longer than ``--page-timeout`` in a stage is
stopped (:class:`page_time_limit`, SIGALRM: local engine only) and becomes a
``timeout`` row; its shard's entry is marked so that a run with a larger limit
redoes it. After a successful run the cache entries of older code, rules or
models are pruned (:func:`pipeline.run.cache.prune`) when no other run holds the
folder's lock.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.records import ErrorRecord
from pipeline.run.assemble import format_summary, write_tables
from pipeline.run.cache import (
    STAGES,
    cache_lock,
    code_key,
    digest,
    is_done,
    note_rules_checked,
    note_versions,
    prune,
    read_manifest,
    remove_entry,
    remove_leftovers,
    rules_checked,
    run_lock,
    shard_dir,
    shard_keys,
    stage_versions,
    state_dir,
    version_chains,
    write_json_atomic,
    write_manifest,
)
from pipeline.run.engines import make_engine, warm_up
from pipeline.run.inputs import PageRef, StaleInput, StatCache, read_pages
from pipeline.run.publish import summary_path
from pipeline.run.shards import (
    CRASHED,
    DISK_ERRNOS,
    TIMED_OUT,
    RunOptions,
    ShardTask,
    max_page_bytes,
    plan_shards,
    process_shard,
    reads_pages,
    retry_by_page,
)
from pipeline.run.sources import input_size
from pipeline.run.verified import EntryChecks
from pipeline.stages.registry import check_rules

__all__ = ["RunOptions", "format_summary", "run_pipeline", "run_stages", "warm_up", "write_tables"]

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
          counters: Counter, checks: EntryChecks) -> tuple[str, ...]:
    """Stages of ``stages`` to run on a shard. A damaged entry (checksums, :func:`pipeline.run.cache.entry_intact`, unless
    its files' stat is as when it was last found intact: :class:`EntryChecks`) is
    dropped and computed again (counted in ``counters["cache_damaged"]``); an entry to be retried
    (timeouts, crashes) is removed with every later stage's entry of the shard, whose input it was."""
    for stage in STAGES:
        if is_done(out, stage, keys[stage]) and not checks.intact(stage, keys[stage]):
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
    :class:`~pipeline.ruleset.rulefiles.RuleError` before anything is read or written; not again while
    no file of the rules, models or code changed since a run into ``out`` validated them (by stat).
    With ``clean`` among the stages the pages are read from ``paths``; otherwise the
    shards of the last run in ``out`` are used. Returns the run summary. With ``opts.prune``
    the cache entries of older code, rules or models are removed afterwards, when no other
    run uses ``out`` (:func:`pipeline.run.cache.prune`); the summary's ``cache_pruned`` says how many.
    """
    opts = opts or RunOptions()
    out = Path(out)
    key, keep = code_key()  # rule files (and the code reading them) as a run last validated them: not again
    checked = not opts.full_check and rules_checked(out, key)
    if not checked:
        check_rules()  # a broken rule file stops the run here: nothing read, written or deleted
    out.mkdir(parents=True, exist_ok=True)
    with run_lock(out), cache_lock(out):
        if not checked and keep:
            note_rules_checked(out, key)
        try:
            try:
                summary = _run_locked(out, stages, paths, opts)
            except StaleInput:  # a file changed under an unchanged stat signature: read every file
                summary = _run_locked(out, stages, paths, dataclasses.replace(opts, full_check=True))
        except OSError as exc:
            if exc.errno in DISK_ERRNOS:
                raise RuntimeError(f"{out}: {exc.strerror or exc}: the run stopped; the previous tables are "
                                   "intact (free some space and run again: it resumes)") from exc
            raise
    if opts.prune:
        pruned = prune(out, quick=True)  # None: another run uses the folder, the cache is left alone
        if pruned is not None:
            summary["cache_pruned"] = pruned.removed
            write_json_atomic(summary_path(out), summary)
    return summary


def _run_locked(out: Path, stages: tuple[str, ...], paths: list[str | Path] | None,
                opts: RunOptions) -> dict[str, Any]:
    remove_leftovers(out)
    versions = stage_versions(state_dir(out))
    chains = version_chains(versions)
    note_versions(out, chains)
    counters: Counter = Counter()
    started = time.monotonic()
    enabled = sys.stderr.isatty() if opts.progress is None else opts.progress
    stat_cache = None
    if reads_pages(stages):
        if not paths:
            raise ValueError("the clean stage needs input paths")
        stat_cache = StatCache(state_dir(out), max_page_bytes(opts), use=not opts.full_check)
        shards: Iterator[tuple[str, list[PageRef | ErrorRecord] | None, int, int]] = (
            (digest(*s.ids), s.items, s.pages, s.nbytes) for s in plan_shards(paths, opts, counters, stat_cache))
        progress = _Progress(enabled, input_size(paths) if enabled else None, by_bytes=True)
    else:
        manifest = read_manifest(out)
        counters.update(manifest.get("read", {}))
        shards = ((cid, None, 0, 0) for cid in manifest["shards"])
        progress = _Progress(enabled, len(manifest["shards"]), by_bytes=False)
    content_ids: list[str] = []
    checks = EntryChecks(out, use=not opts.full_check)
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
            todo = _plan(out, stages, keys, opts.page_timeout, counters, checks)
            if not todo:
                progress.update(pages, nbytes)
                continue
            first = STAGES.index(todo[0])
            if first > 0 and not is_done(out, STAGES[first - 1], keys[STAGES[first - 1]]):
                raise RuntimeError(f"the {STAGES[first - 1]} stage has not run on {out} with the current "
                                   f"code and rules: run `zhibiao {STAGES[first - 1]}` first")
            read = read_pages(items, max_page_bytes(opts)) if reads_pages(todo) and items is not None else None
            task = ShardTask(str(out), keys, todo, read, opts.page_timeout, chains)
            pending[engine.submit(task)] = (task, pages, nbytes)
            while len(pending) >= engine.window:
                collect(engine.wait(set(pending)))
        while pending:
            collect(engine.wait(set(pending)))
    finally:
        engine.close()
        progress.close()
    checks.save()
    if stat_cache is not None:
        stat_cache.save()
        write_manifest(out, {"shards": content_ids, "read": {k: counters[k] for k in
                                                             ("pages_read", "bytes_read", "read_errors")}})
    # _plan checked every entry this run did not write
    summary = write_tables(out, versions, verify=False, reuse=not opts.full_check)
    if counters["cache_damaged"]:
        summary["cache_damaged"] = counters["cache_damaged"]
    summary["seconds"] = round(time.monotonic() - started, 3)
    write_json_atomic(summary_path(out), summary)
    return summary


def run_pipeline(paths: list[str | Path], out: Path, opts: RunOptions | None = None) -> dict[str, Any]:
    """Every stage on the inputs: clean → segment → extract → tables. Returns the summary."""
    return run_stages(Path(out), STAGES, paths, opts)
