"""Bulk-archive benchmark (`make bench`): throughput, scaling, memory, re-runs, Dask, per stage.

Builds synthetic archives from corpora/ under bench-data/ (git-ignored, `make distclean` removes
it): pages made of seed paragraphs in random order, every number changed, with varied noise (site
chrome, full-width digits, anti-scraping variant characters, blank lines, a tenth of the pages in
GB18030). Then, in one run, prints (CPU seconds are user + system of the whole process tree: the
machine may be shared, wall time is not a measure of the code):

- MB per CPU-second of ``zhibiao run --jobs 1`` (every table written), and the ratio of its CPU
  time to plain jieba's (``jieba.lcut``, default dictionary, over the same pages' text, in this run);
- the wall-time speed-up of ``--jobs 2`` over ``--jobs 1``;
- peak resident memory (the whole process tree) of one job on the large archive and on one a tenth
  of its size;
- the time of a re-run after touching one page and after editing one, of an archive of
  ``--rerun-pages`` pages (10,000 by default, short pages);
- the same run through Dask (``dask scheduler`` and two ``dask worker`` processes on localhost),
  whether its tables equal the local engine's, and its MB per CPU-second beside the local one;
- CPU seconds per MB by stage (``bench_stages.py`` on the small archive).

Defaults finish in a few minutes on 2 cores; ``--mb 200`` is the larger run.

Usage: python benchmarks/bench_pipeline.py [--mb 20] [--small-mb 2] [--rerun-pages 10000] [--jobs 1,2]
       [--skip-jieba] [--skip-dask] [--skip-stages] [--only rerun]

``--only rerun`` measures the re-runs alone (the first run of the re-run archive, then touching and
editing one page), checks that the re-run's tables equal a fresh run's, and prints those figures.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench-data"
ZHIBIAO = [sys.executable, "-m", "pipeline.cli"]

CHROME_TOP = ["首页 > 工作总结 > 正文", "分享到:微信 微博 QQ空间", "发布时间:2023-03-09 19:12:16 来源:本站原创",
              "下面是小编为大家整理的工作总结,供大家参考。"]
CHROME_BOTTOM = ["推荐访问:工作总结 自查报告 述职报告", "相关推荐", "版权所有 © 2023 范文网 备案号:京ICP备12345678号"]
FULLWIDTH = str.maketrans("0123456789%", "０１２３４５６７８９％")


def _paragraphs() -> list[str]:
    paras: list[str] = []
    for path in sorted((ROOT / "corpora").glob("*.txt")):
        paras += [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 20]
    return paras


def _variants() -> dict[str, str]:
    """Standard → variant characters, from the clean stage's own table (so cleaning has work to do)."""
    out: dict[str, str] = {}
    path = ROOT / "rules" / "variants.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) >= 2 and not line.startswith("#") and cells[0] != "variant" and len(cells) < 4:
            if len(cells[0]) == 1 and len(cells[1]) == 1:
                out[cells[1]] = cells[0]
    return out


def _page(rng: random.Random, paras: list[str], variants: dict[str, str], size: tuple[int, int] = (15, 60)) -> str:
    body = rng.sample(paras, rng.randint(*size))

    def number(m: re.Match) -> str:
        digits = m.group(0)
        new = str(max(1, int(digits) + rng.randint(-int(digits) // 5 - 1, int(digits) // 5 + 1)))
        return new.translate(FULLWIDTH) if rng.random() < 0.05 else new

    lines = [rng.choice(CHROME_TOP) for _ in range(rng.randint(0, 3))]
    lines.append(f"{rng.choice(['某县', '某市', '某区'])}教育局{rng.randint(2010, 2022)}年工作总结")
    for p in body:
        p = re.sub(r"\d+", number, p)
        if variants and rng.random() < 0.2:
            p = "".join(variants.get(ch, ch) if rng.random() < 0.3 else ch for ch in p)
        lines.append(p)
        if rng.random() < 0.3:
            lines.append("")
    lines += [rng.choice(CHROME_BOTTOM) for _ in range(rng.randint(0, 2))]
    return "\n".join(lines) + "\n"


def build_archive(mb: int, seed: int = 7, pages: int = 0) -> Path:
    """A folder of synthetic pages totalling ``mb`` megabytes (built once, then reused); with ``pages``,
    that many short pages (1-4 paragraphs) instead, whatever their size."""
    folder = BENCH / (f"pages-{pages}p" if pages else f"pages-{mb}mb")
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    rng = random.Random(seed)
    paras, variants = _paragraphs(), _variants()
    total, i = 0, 0
    while (i < pages) if pages else (total < mb * 1_000_000):
        text = _page(rng, paras, variants, (1, 4) if pages else (15, 60))
        data = text.encode("gb18030") if rng.random() < 0.1 else text.encode("utf-8")
        path = folder / f"{i // 1000:03d}" / f"page_{i:06d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
        i += 1
    marker.write_text(json.dumps({"pages": i, "bytes": total}), encoding="utf-8")
    return folder


def archive_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.txt"))


def timed_run(args: list[str], others: list[Any] | None = None) -> tuple[float, float, dict, float]:
    """Wall seconds, peak RSS (MB, the process and all its children), the run summary and the CPU
    seconds (user + system, the process and all its children) of a ``zhibiao`` command.

    CPU seconds are what the figures per core rest on: the machine may be shared. ``others``:
    processes outside the command's tree whose CPU time counts too (Dask's workers and scheduler).
    """
    import resource

    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    others_before = _cpu_of(others or [])
    start = time.monotonic()
    proc = subprocess.Popen(ZHIBIAO + args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.monotonic() - start
    out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{err.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu += _cpu_of(others or []) - others_before
    out_dir = Path(args[args.index("--out") + 1])
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    return wall, peak / 1e6, summary, cpu


def _cpu_of(procs: list[Any]) -> float:
    """User + system CPU seconds of processes and all their children, living or ended and waited for."""
    import psutil

    total = 0.0
    for p in procs:
        try:
            for q in [p, *p.children(recursive=True)]:
                t = q.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def jieba_alone(folder: Path) -> tuple[float, int]:
    """CPU seconds jieba (the plain library, as a user would call it) takes over the pages' text."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    chars = 0
    start = time.process_time()
    for path in sorted(folder.rglob("*.txt")):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        chars += len(text)
        tk.lcut(text)
    return time.process_time() - start, chars


class Steps:
    """Numbered progress lines ("[3/9] …"), flushed at once (the bench's runs take minutes)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.start = total, 0, time.monotonic()

    def __call__(self, what: str) -> None:
        self.done += 1
        print(f"[{self.done}/{self.total} +{time.monotonic() - self.start:.0f}s] {what}", flush=True)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dask_run(folder: Path, out: Path, workers: int = 2) -> tuple[float, float, dict, float]:
    """``timed_run`` of the archive through a Dask scheduler and ``workers`` worker processes started
    on localhost as a user would on a cluster (``dask scheduler``, ``dask worker tcp://…``); their
    CPU time counts. They are stopped afterwards."""
    import psutil

    dask = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              **quiet)]
    try:
        from dask.distributed import Client

        deadline = time.monotonic() + 60
        client = None
        while client is None:
            try:
                client = Client(address, timeout=5)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                                    "--no-nanny"], **quiet) for _ in range(workers)]
        client.wait_for_workers(workers, timeout=120)
        client.close()
        return timed_run(["run", str(folder), "--out", str(out), "--engine", "dask", "--scheduler", address,
                          "--no-progress"], others=[psutil.Process(p.pid) for p in procs])
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def tables_equal(a: Path, b: Path) -> list[str]:
    """Names of the tables that differ between two output folders (benchmarks/compare_runs.py's reading)."""
    from compare_runs import read_table, tables_of  # the script's folder is on sys.path

    ta, tb = tables_of(a), tables_of(b)
    differ = sorted(set(ta) ^ set(tb))
    for name in sorted(set(ta) & set(tb)):
        if not read_table(ta[name]).equals(read_table(tb[name])):
            differ.append(name)
    return differ


def measure_rerun(rerun: Path, n_pages: int, j: int, step: Steps, verify: bool = False) -> dict[str, Any]:
    """The first run of the re-run archive, then a re-run after touching one page and one after editing it
    (wall and CPU seconds of each). With ``verify``, the edited re-run's tables are compared with a fresh
    run's on the edited archive (every table, row for row). The page is restored afterwards."""
    out = BENCH / f"out-rerun-{n_pages}p"
    step(f"first run of the {n_pages}-page archive, {j} job(s)")
    shutil.rmtree(out, ignore_errors=True)
    wall_f, _, _, cpu_f = timed_run(["run", str(rerun), "--out", str(out), "--jobs", str(j), "--no-progress"])
    print(f"  {wall_f:.1f} s wall, {cpu_f:.1f} s CPU", flush=True)
    pages = sorted(rerun.rglob("*.txt"))
    one = pages[min(123, len(pages) - 1)]
    step("re-run after touching one page")
    one.touch()
    wall_t, _, _, cpu_t = timed_run(["run", str(rerun), "--out", str(out), "--jobs", str(j), "--no-progress"])
    print(f"  {wall_t:.1f} s wall, {cpu_t:.1f} s CPU", flush=True)
    step("re-run after editing one page")
    original = one.read_bytes()
    one.write_bytes(original.replace("教育".encode(), "教育事业".encode(), 1) if "教育".encode() in original
                    else original + b"\n")
    differ: list[str] | None = None
    try:
        wall_e, _, _, cpu_e = timed_run(["run", str(rerun), "--out", str(out), "--jobs", str(j), "--no-progress"])
        print(f"  {wall_e:.1f} s wall, {cpu_e:.1f} s CPU", flush=True)
        if verify:
            step("a fresh run of the edited archive, its tables compared with the re-run's")
            fresh = BENCH / f"out-rerun-{n_pages}p-fresh"
            shutil.rmtree(fresh, ignore_errors=True)
            timed_run(["run", str(rerun), "--out", str(fresh), "--jobs", str(j), "--no-progress"])
            differ = tables_equal(out, fresh)
            print("  tables " + ("equal" if not differ else f"DIFFER: {', '.join(differ)}"), flush=True)
            shutil.rmtree(fresh, ignore_errors=True)
    finally:
        one.write_bytes(original)
    result: dict[str, Any] = {"pages": n_pages, "first_seconds": round(wall_f, 1), "first_cpu": round(cpu_f, 1),
                              "touched_seconds": round(wall_t, 1), "touched_cpu": round(cpu_t, 1),
                              "edited_seconds": round(wall_e, 1), "edited_cpu": round(cpu_e, 1)}
    if differ is not None:
        result["tables_differ"] = differ
    return result


def rerun_only(args: argparse.Namespace) -> None:
    """``--only rerun``: the re-run figures alone (and, with ``--verify``, the equality check)."""
    step = Steps(4 + args.verify)
    step("building the re-run archive (once; kept in bench-data/)")
    rerun = build_archive(0, pages=args.rerun_pages)
    result = measure_rerun(rerun, args.rerun_pages, max(int(j) for j in args.jobs.split(",")), step, args.verify)
    print(f"\nsummary\n  re-run after touching one page of {args.rerun_pages}: {result['touched_seconds']:.1f} s wall, "
          f"{result['touched_cpu']:.1f} s CPU\n  re-run after editing one page: {result['edited_seconds']:.1f} s wall, "
          f"{result['edited_cpu']:.1f} s CPU (goal < 5 s)", flush=True)
    (BENCH / "results-rerun.json").write_text(json.dumps(result, indent=1), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=20, help="size of the large archive (MB)")
    ap.add_argument("--small-mb", type=int, default=2, help="size of the small archive (MB), for the memory figure")
    ap.add_argument("--rerun-pages", type=int, default=10_000, help="pages of the re-run archive")
    ap.add_argument("--jobs", default="1,2", help="job counts to measure")
    ap.add_argument("--skip-jieba", action="store_true", help="do not time jieba alone")
    ap.add_argument("--skip-dask", action="store_true", help="do not run through Dask")
    ap.add_argument("--skip-stages", action="store_true", help="do not measure CPU per stage")
    ap.add_argument("--only", choices=["rerun"], help="measure only this part (the re-runs)")
    ap.add_argument("--verify", action="store_true",
                    help="compare the edited re-run's tables with a fresh run's (one more full run)")
    args = ap.parse_args()
    if args.only == "rerun":
        rerun_only(args)
        return
    jobs = [int(j) for j in args.jobs.split(",")]
    results: dict[str, Any] = {}
    step = Steps(3 + len(jobs) + (not args.skip_jieba) + (not args.skip_dask) + 3 + args.verify
                 + (not args.skip_stages))

    step("building the archives (once; kept in bench-data/)")
    large, small = build_archive(args.mb), build_archive(args.small_mb)
    rerun = build_archive(0, pages=args.rerun_pages)
    size_l, size_s = archive_bytes(large), archive_bytes(small)
    mb = size_l / 1e6
    results["archive"] = {"large_mb": round(mb, 1), "small_mb": round(size_s / 1e6, 1),
                          "large_pages": sum(1 for _ in large.rglob("*.txt")),
                          "rerun_pages": args.rerun_pages, "rerun_mb": round(archive_bytes(rerun) / 1e6, 1)}
    print(f"  archive: {mb:.1f} MB ({results['archive']['large_pages']} pages); small {size_s / 1e6:.1f} MB; "
          f"re-run archive {args.rerun_pages} pages ({results['archive']['rerun_mb']} MB)", flush=True)

    walls: dict[int, float] = {}
    cpus: dict[int, float] = {}
    for j in jobs:
        step(f"zhibiao run, {args.mb} MB, {j} job(s)")
        out = BENCH / f"out-{args.mb}mb-j{j}"
        shutil.rmtree(out, ignore_errors=True)
        wall, peak, summary, cpu = timed_run(["run", str(large), "--out", str(out), "--jobs", str(j),
                                              "--no-progress"])
        walls[j], cpus[j] = wall, cpu
        results[f"jobs_{j}"] = {"seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
                                "mb_per_cpu_s": round(mb / cpu, 3), "peak_rss_mb": round(peak),
                                "documents": summary["documents"], "indicators": summary["indicators"],
                                "errors": summary["errors_total"]}
        print(f"  {wall:.1f} s wall, {cpu:.1f} s CPU: {mb / cpu:.3f} MB per CPU-second; peak RSS {peak:.0f} MB; "
              f"{summary['documents']} documents, {summary['indicators']} records, {summary['errors_total']} errors",
              flush=True)
    if 1 in walls and 2 in walls:
        results["speedup_2_jobs"] = round(walls[1] / walls[2], 2)
        print(f"  speed-up of 2 jobs (wall): {walls[1] / walls[2]:.2f}x; their CPU / 1 job's: {cpus[2] / cpus[1]:.2f}x"
              " (wall time counts the other users of the machine)", flush=True)

    if not args.skip_jieba and 1 in cpus:
        step("plain jieba (jieba.lcut, default dictionary) over the same pages' text")
        secs, _chars = jieba_alone(large)
        results["jieba_alone"] = {"cpu_seconds": round(secs, 1), "mb_per_cpu_s": round(mb / secs, 3),
                                  "pipeline_cpu_ratio": round(cpus[1] / secs, 2)}
        print(f"  {secs:.1f} s CPU ({mb / secs:.3f} MB per CPU-second); pipeline (1 job) / jieba, CPU: "
              f"{cpus[1] / secs:.2f}", flush=True)

    if not args.skip_dask and 1 in cpus:
        step("the same run through Dask: dask scheduler + 2 dask worker processes on localhost")
        out = BENCH / f"out-{args.mb}mb-dask"
        shutil.rmtree(out, ignore_errors=True)
        wall, _peak, _summary, cpu = dask_run(large, out)
        differ = tables_equal(BENCH / f"out-{args.mb}mb-j1", out) if 1 in cpus else []
        results["dask"] = {"seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "mb_per_cpu_s": round(mb / cpu, 3),
                           "tables_differ": differ}
        print(f"  {wall:.1f} s wall, {cpu:.1f} s CPU (client, scheduler, workers): {mb / cpu:.3f} MB per CPU-second "
              f"(local engine, 1 job: {mb / cpus[1]:.3f}); tables "
              + ("equal to the local run's" if not differ else f"DIFFER from the local run's: {', '.join(differ)}"),
              flush=True)

    step(f"zhibiao run, {args.small_mb} MB, 1 job (peak memory at a tenth of the size)")
    out_small = BENCH / f"out-{args.small_mb}mb-j1"
    shutil.rmtree(out_small, ignore_errors=True)
    wall_s, peak_s, _, cpu_s = timed_run(["run", str(small), "--out", str(out_small), "--jobs", "1", "--no-progress"])
    peak_l = results.get("jobs_1", {}).get("peak_rss_mb")
    results["small_jobs_1"] = {"seconds": round(wall_s, 1), "cpu_seconds": round(cpu_s, 1), "peak_rss_mb": round(peak_s)}
    print(f"  peak RSS {peak_s:.0f} MB" + (f"; {args.mb} MB / {args.small_mb} MB peak RSS = {peak_l / peak_s:.2f}"
                                          if peak_l else ""), flush=True)

    results["rerun"] = measure_rerun(rerun, args.rerun_pages, max(jobs), step, verify=args.verify)
    wall_e, cpu_e = results["rerun"]["edited_seconds"], results["rerun"]["edited_cpu"]

    if not args.skip_stages:
        step(f"CPU per MB by stage (benchmarks/bench_stages.py --mb {args.small_mb}, one process)")
        proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_stages.py"), "--mb", str(args.small_mb)],
                              cwd=ROOT, capture_output=True, text=True, check=True)
        results["stages"] = proc.stdout
        print("\n".join("  " + line for line in proc.stdout.splitlines()), flush=True)

    print("\nsummary")
    if "jobs_1" in results:
        print(f"  end to end, 1 job: {results['jobs_1']['mb_per_cpu_s']:.3f} MB per CPU-second (goal >= 2)")
    if "jieba_alone" in results:
        print(f"  CPU / plain jieba's: {results['jieba_alone']['pipeline_cpu_ratio']:.2f} (goal <= 0.5)")
    if "speedup_2_jobs" in results:
        print(f"  2 jobs / 1 job, wall: {results['speedup_2_jobs']:.2f}x (goal >= 1.8)")
    if peak_l:
        print(f"  peak RSS, 1 job: {peak_l} MB at {args.mb} MB, {round(peak_s)} MB at {args.small_mb} MB "
              f"(ratio {peak_l / peak_s:.2f}; goals < 600 MB, ratio <= 1.2)")
    print(f"  re-run after editing one page of {args.rerun_pages}: {wall_e:.1f} s wall, {cpu_e:.1f} s CPU (goal < 5 s)")
    if "dask" in results:
        print(f"  Dask, 2 workers: {results['dask']['mb_per_cpu_s']:.3f} MB per CPU-second, tables "
              + ("equal" if not results["dask"]["tables_differ"] else "DIFFER"))
    (BENCH / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
