"""Bulk-archive benchmark (`make bench`): throughput, scaling, memory and incremental re-runs.

Builds a synthetic archive from corpora/ under bench-data/ (git-ignored): pages
made of seed paragraphs in random order, every number changed, with varied
noise (site chrome, full-width digits, anti-scraping variant characters, blank
lines, a tenth of the pages in GB18030). Then, in one run, prints:

- end-to-end MB/s of ``zhibiao run`` with 1 and 2 jobs, and the speed-up;
- the ratio of the 1-job time to jieba alone (``jieba.lcut`` over the same
  pages' text, in this process);
- peak resident memory (the whole process tree) for the large archive and
  for one a tenth of its size;
- the time of a re-run after touching one file, and after editing one.

Usage: python benchmarks/bench_pipeline.py [--mb 200] [--small-mb 20] [--jobs 1,2]
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


def _page(rng: random.Random, paras: list[str], variants: dict[str, str]) -> str:
    body = rng.sample(paras, rng.randint(15, 60))

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


def build_archive(mb: int, seed: int = 7) -> Path:
    """A folder of synthetic pages totalling ``mb`` megabytes (built once, then reused)."""
    folder = BENCH / f"pages-{mb}mb"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    rng = random.Random(seed)
    paras, variants = _paragraphs(), _variants()
    total, i = 0, 0
    while total < mb * 1_000_000:
        text = _page(rng, paras, variants)
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


def timed_run(args: list[str]) -> tuple[float, float, dict, float]:
    """Wall seconds, peak RSS (MB, the process and all its children), the run summary and the CPU
    seconds (user + system, the process and all its children) of a ``zhibiao`` command.

    CPU seconds are what the figures per core rest on: the machine may be shared.
    """
    import resource

    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    out_dir = Path(args[args.index("--out") + 1])
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    return wall, peak / 1e6, summary, cpu


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=200, help="size of the large archive (MB)")
    ap.add_argument("--small-mb", type=int, default=20, help="size of the small archive (MB)")
    ap.add_argument("--jobs", default="1,2", help="job counts to measure")
    ap.add_argument("--skip-jieba", action="store_true", help="do not time jieba alone")
    args = ap.parse_args()
    jobs = [int(j) for j in args.jobs.split(",")]
    results: dict[str, object] = {}

    large, small = build_archive(args.mb), build_archive(args.small_mb)
    size_l, size_s = archive_bytes(large), archive_bytes(small)
    results["archive"] = {"large_mb": round(size_l / 1e6, 1), "small_mb": round(size_s / 1e6, 1),
                          "large_pages": sum(1 for _ in large.rglob("*.txt"))}
    print(f"archive: {size_l / 1e6:.1f} MB ({results['archive']['large_pages']} pages); small {size_s / 1e6:.1f} MB")

    walls: dict[int, float] = {}
    cpus: dict[int, float] = {}
    mb = size_l / 1e6
    for j in jobs:
        out = BENCH / f"out-{args.mb}mb-j{j}"
        shutil.rmtree(out, ignore_errors=True)
        wall, peak, summary, cpu = timed_run(["run", str(large), "--out", str(out), "--jobs", str(j),
                                              "--no-progress"])
        walls[j], cpus[j] = wall, cpu
        results[f"jobs_{j}"] = {"seconds": round(wall, 1), "mb_per_s": round(mb / wall, 3),
                                "cpu_seconds": round(cpu, 1), "mb_per_cpu_s": round(mb / cpu, 3),
                                "peak_rss_mb": round(peak), "documents": summary["documents"],
                                "indicators": summary["indicators"], "errors": summary["errors_total"]}
        print(f"{args.mb} MB, {j} job(s): {wall:.1f} s wall ({mb / wall:.3f} MB/s), {cpu:.1f} s CPU "
              f"({mb / cpu:.3f} MB per CPU-second), peak RSS {peak:.0f} MB, {summary['documents']} documents, "
              f"{summary['indicators']} records, {summary['errors_total']} errors")
    if 1 in walls and 2 in walls:
        results["speedup_2_jobs"] = round(walls[1] / walls[2], 2)
        print(f"speed-up with 2 jobs (wall): {walls[1] / walls[2]:.2f}x; CPU overhead of 2 jobs: "
              f"{cpus[2] / cpus[1]:.2f}x")

    if not args.skip_jieba and 1 in walls:
        secs, chars = jieba_alone(large)
        results["jieba_alone"] = {"cpu_seconds": round(secs, 1), "mb_per_cpu_s": round(mb / secs, 3),
                                  "pipeline_cpu_ratio": round(cpus[1] / secs, 2)}
        print(f"jieba alone over the same text: {secs:.1f} s CPU ({mb / secs:.3f} MB/s); "
              f"pipeline (1 job) / jieba, CPU time: {cpus[1] / secs:.2f}")

    out_small = BENCH / f"out-{args.small_mb}mb-j1"
    shutil.rmtree(out_small, ignore_errors=True)
    wall_s, peak_s, _, _ = timed_run(["run", str(small), "--out", str(out_small), "--jobs", "1", "--no-progress"])
    peak_l = results.get("jobs_1", {}).get("peak_rss_mb") if isinstance(results.get("jobs_1"), dict) else None
    results["small_jobs_1"] = {"seconds": round(wall_s, 1), "peak_rss_mb": round(peak_s)}
    print(f"{args.small_mb} MB, 1 job: {wall_s:.1f} s, peak RSS {peak_s:.0f} MB"
          + (f"; large/small peak RSS = {peak_l / peak_s:.2f}" if peak_l else ""))

    j = max(jobs)
    out = BENCH / f"out-{args.mb}mb-j{j}"
    pages = sorted(large.rglob("*.txt"))
    one = pages[min(123, len(pages) - 1)]
    one.touch()
    wall_t, _, _, _ = timed_run(["run", str(large), "--out", str(out), "--jobs", str(j), "--no-progress"])
    original = one.read_bytes()
    one.write_bytes(original.replace("教育".encode(), "教育事业".encode(), 1) if b"\xe6\x95\x99" in original
                    else original + b"\n")
    try:
        wall_e, _, _, _ = timed_run(["run", str(large), "--out", str(out), "--jobs", str(j), "--no-progress"])
    finally:
        one.write_bytes(original)
    results["rerun"] = {"touched_seconds": round(wall_t, 1), "edited_seconds": round(wall_e, 1)}
    print(f"re-run after touching one file: {wall_t:.1f} s; after editing one file: {wall_e:.1f} s")
    (BENCH / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
