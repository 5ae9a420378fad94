"""SIGKILL a ``--jobs 2`` run at random moments, re-run, and check the tables and the processes.

    python benchmarks/kill_runs.py [--kills 10] [--pages 24] [--seed 14]

Builds a corpus of distinct pages from the seeds, runs it once uninterrupted (the
reference), then ``--kills`` times starts ``zhibiao run --jobs 2`` into one folder and
kills the main process with SIGKILL after a random delay (within the reference's time).
After each kill it waits for every worker process it saw to end (Linux /proc), then
tries ``zhibiao cache prune`` (refused while anything holds the folder). A run that
finished before its kill (it resumed what earlier kills left) is compared with the
reference, and the folder is removed, so that the next kill meets a run with work to do.
Finally it runs to the end and compares every table with the reference (``compare_runs.py``).
Prints what it found; exits 1 on any table difference or process left behind.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compare_runs import compare_runs  # the script's folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
ZHIBIAO = [sys.executable, "-m", "pipeline.cli"]


def _corpus(folder: Path, n: int) -> Path:
    seeds = sorted((ROOT / "corpora").glob("*.txt"))
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        text = seeds[k % len(seeds)].read_text(encoding="utf-8")
        text = re.sub(r"\d{2,}", lambda m, k=k: str(int(m.group()) + k), text)
        (folder / f"page{k:03d}.txt").write_text(text, encoding="utf-8")
    return folder


def children(pid: int) -> set[int]:
    """Live processes whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(stat.parent.name))
    return out


def running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie has ended: only its parent has not collected it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _run(corpus: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*ZHIBIAO, "run", str(corpus), "--out", str(out), "--jobs", "2", "--shard-pages", "2",
                           "--no-progress"], cwd=ROOT, capture_output=True, text=True, check=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--pages", type=int, default=24)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    problems = hits = 0
    with tempfile.TemporaryDirectory() as tmp:
        corpus = _corpus(Path(tmp) / "corpus", args.pages)
        ref, out = Path(tmp) / "reference", Path(tmp) / "killed"
        started = time.monotonic()
        if _run(corpus, ref).returncode != 0:
            print("the reference run failed")
            return 1
        whole = time.monotonic() - started
        print(f"reference run: {whole:.1f} s")
        for k in range(args.kills):
            delay = rng.uniform(0.2, whole)
            proc = subprocess.Popen([*ZHIBIAO, "run", str(corpus), "--out", str(out), "--jobs", "2",
                                     "--shard-pages", "2", "--no-progress"], cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seen: set[int] = set()
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and proc.poll() is None:
                seen |= children(proc.pid)
                time.sleep(0.02)
            finished = proc.poll() is not None
            os.kill(proc.pid, signal.SIGKILL) if not finished else None
            proc.wait()
            end = time.monotonic() + 10
            while time.monotonic() < end and any(running(p) for p in seen):
                time.sleep(0.05)
            left = sorted(p for p in seen if running(p))
            for p in left:
                os.kill(p, signal.SIGKILL)
            refused = ""
            if out.exists():  # killed before it made the folder: nothing to prune
                prune = subprocess.run([*ZHIBIAO, "cache", "prune", str(out)], cwd=ROOT, capture_output=True,
                                       text=True, check=False)
                # a folder the killed run left without any cache yet has nothing to prune: not a refusal
                refused = prune.stderr.strip() if prune.returncode != 0 and "no stage cache" not in prune.stderr else ""
            problems += bool(left) + bool(refused)
            note = ""
            if finished:  # resumed to the end before the kill: check it, and start the next one afresh
                different = [name for name, lines in compare_runs(ref, out, ignore=()).items() if lines]
                problems += bool(different) + (proc.returncode != 0)
                note = f" (it had finished: exit {proc.returncode}, tables {'equal' if not different else 'DIFFERENT'})"
                shutil.rmtree(out)
            else:
                hits += bool(seen)
            print(f"kill {k + 1}: after {delay:.2f} s{note}, "
                  f"{len(seen)} workers seen, {len(left)} left behind; cache prune "
                  f"{'refused: ' + refused if refused else 'ok'}")
        final = _run(corpus, out)
        diff = compare_runs(ref, out, ignore=())
        different = [name for name, lines in diff.items() if lines]
        problems += bool(different) + (final.returncode != 0)
        print(f"re-run: exit {final.returncode}; tables equal to the reference: "
              f"{'all' if not different else 'not ' + ', '.join(different)}; "
              f"{hits} of {args.kills} kills hit a run with live workers")
    print("OK" if not problems else f"{problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
