"""Engines that run shards: the in-process loop and local process pool, and Dask; the warm-up
the parent runs before forking workers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from pipeline.limits import exit_with_parent
from pipeline.records import Page
from pipeline.run.shards import WINDOW_PER_JOB, RunOptions, ShardTask, process_shard
from pipeline.settings import current
from pipeline.stages.registry import STAGES as STAGE_REGISTRY
from pipeline.stages.stage import Batch
from pipeline.tables import to_table

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
        self.pool: Any = None
        # the pool (or, with one job, the warm-up) is started by the first shard that needs work: a
        # re-run whose shards are all cached loads no dictionary or model
        self.started = False
        self.page_timeout = page_timeout

    def _start(self) -> None:
        self.started = True
        if self.jobs > 1:
            self.pool = self._new_pool()
        elif self.page_timeout > 0:
            warm_up(freeze=False)  # loading jieba and the models is no page's time

    def _new_pool(self) -> Any:
        if sys.platform.startswith("linux"):
            warm_up()  # forked workers inherit the loaded dictionaries and models
        return _pool(self.jobs)

    def submit(self, task: ShardTask) -> Any:
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        if not self.started:
            self._start()
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
        return _DaskEngine(opts.jobs, opts.scheduler, processes=current().dask_processes,
                           page_timeout=opts.page_timeout)
    if opts.engine != "local":
        raise ValueError(f"unknown engine {opts.engine!r} (local or dask)")
    return _LocalEngine(opts.jobs, opts.page_timeout)
