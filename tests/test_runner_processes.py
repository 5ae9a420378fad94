"""The runner's processes: pool workers end with their parent, even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "corpora").glob("*.txt"))

#: The command line with a clean stage that never returns on the pages ``stuck*`` (asleep, as a stuck
#: worker would be); the parent's warm-up page goes through.
_STUCK = """
import sys
import time
from pipeline import clean

real = clean.clean_page

def clean_page(page):
    while page.source.startswith("stuck"):
        time.sleep(0.05)
    return real(page)

clean.clean_page = clean_page
from pipeline.cli import main
main(sys.argv[1:])
"""


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent has not collected it


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
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        assert _wait_for(lambda: len(_children(proc.pid)) >= 2, 120), "the pool's workers never started"
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _wait_for(lambda: not any(_running(w) for w in workers), 30), "workers outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in workers:  # whatever the outcome, leave nothing behind
            if _running(w):
                os.kill(w, signal.SIGKILL)
