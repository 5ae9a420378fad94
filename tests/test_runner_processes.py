"""The runner's processes: pool workers end with their parent, even when it is killed with SIGKILL."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
SEEDS = sorted((ROOT / "corpora").glob("*.txt"))

#: The command line with a clean stage that never returns on the pages ``stuck*`` (asleep, as a stuck
#: worker would be); the parent's warm-up page goes through.
_STUCK = """
import sys
import time
from pipeline.stages.clean import clean

real = clean.clean_page

def clean_page(page):
    while page.source.startswith("stuck"):
        time.sleep(0.05)
    return real(page)

clean.clean_page = clean_page
from pipeline.cli import main
main(sys.argv[1:])
"""


def _kill_runs():  # type: ignore[no-untyped-def]
    """benchmarks/kill_runs.py, whose /proc helpers this test shares."""
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("zhibiao_kill_runs", BENCH / "kill_runs.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def _wait_for(predicate, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for k in range(4):
        (corpus / f"stuck{k}.txt").write_text(SEEDS[4].read_text(encoding="utf-8") + f"\n第{k}页", encoding="utf-8")
    cmd = [sys.executable, "-c", _STUCK, "run", str(corpus), "--out", str(tmp_path / "out"), "--jobs", "2",
           "--shard-pages", "1", "--no-progress", "--page-timeout", "0"]
    procs = _kill_runs()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        assert _wait_for(lambda: len(procs.children(proc.pid)) >= 2, 120), "the pool's workers never started"
        workers = sorted(procs.children(proc.pid))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _wait_for(lambda: not any(procs.running(w) for w in workers), 30), "workers outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in workers:  # whatever the outcome, leave nothing behind
            if procs.running(w):
                os.kill(w, signal.SIGKILL)
