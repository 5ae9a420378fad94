"""CPU seconds per MB by stage (clean, topic gate, segment, extract, the rest: tables and I/O).

Runs ``zhibiao run`` in this process with one job on an archive of pages (default: the
4 MB archive of ``bench_pipeline.py``, built when missing), timing each stage's function
with ``time.process_time`` (CPU time: the figures hold on a shared machine). The rest is
split into building the Arrow tables, writing Parquet, the near-duplicate signatures
(MinHash) and the remainder (reading pages, cache keys and files). With
``--profile FILE`` the run is also profiled (cProfile) and the top functions are printed.

Usage: python benchmarks/bench_stages.py [--mb 4] [--profile FILE] [--top 40]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
from bench_pipeline import archive_bytes, build_archive  # the script's folder is on sys.path

from pipeline.run import runner, shards
from pipeline.stages.clean import clean, topic
from pipeline.stages.clean import stage as clean_stage
from pipeline.stages.extract import extract, reader
from pipeline.stages.segment import segment

SPENT: dict[str, float] = defaultdict(float)
COUNT: dict[str, int] = defaultdict(int)


def _timed(name: str, fn):  # noqa: ANN001, ANN202 - a wrapper keeping the wrapped signature
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[name] += time.process_time() - start
    return wrapper


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=4, help="archive size (MB), built under bench-data/ when missing")
    ap.add_argument("--profile", help="write a cProfile of the run to this file and print the top functions")
    ap.add_argument("--top", type=int, default=40, help="functions to print with --profile")
    args = ap.parse_args()
    folder = build_archive(args.mb)
    mb = archive_bytes(folder) / 1e6
    runner.warm_up()  # dictionaries, rules and models loaded before timing, as the workers have them
    clean.clean_page = _timed("clean", clean.clean_page)
    topic.is_on_topic = _timed("topic", topic.is_on_topic)
    segment.segment_columns = _timed("segment", segment.segment_columns)
    extract.extract_document = _timed("extract", extract.extract_document)
    # parts of the rest (the runner looks these names up when it calls them)
    shards.to_table = _timed("build", shards.to_table)
    shards.columns_table = _timed("build", shards.columns_table)
    clean_stage.minhash = _timed("minhash", clean_stage.minhash)
    # parts of extract: the candidate path (finding the numbers of every sentence: for a sentence
    # without one, its whole cost), the trigger search, the mention classifier, the records' places
    real_read = reader.read_quantities

    def read_quantities(text: str) -> list:
        start = time.process_time()
        found = real_read(text)
        SPENT["numbers" if found else "no_number"] += time.process_time() - start
        COUNT["numbers" if found else "no_number"] += 1
        return found

    reader.read_quantities = read_quantities
    reader.find_hits = _timed("triggers", reader.find_hits)
    extract._combine = _timed("classifier", extract._combine)
    extract.locate_records = _timed("places", extract.locate_records)
    pq.write_table = _timed("write", pq.write_table)
    out = Path(tempfile.mkdtemp(prefix="zhibiao-stages-"))
    prof = cProfile.Profile() if args.profile else None
    try:
        start = time.process_time()
        if prof:
            prof.enable()
        runner.run_pipeline([folder], out, runner.RunOptions(jobs=1, progress=False))
        if prof:
            prof.disable()
        total = time.process_time() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)
    parts = ("build", "write", "minhash")
    rest = total - sum(SPENT[name] for name in ("clean", "topic", "segment", "extract"))
    print(f"archive {folder.name}: {mb:.2f} MB{' (profiled: slower)' if prof else ''}")
    for name in ("clean", "topic", "segment", "extract"):
        print(f"  {name:<8} {SPENT[name] / mb:6.2f} CPU-s/MB")
    parts_x = {"no_number": f"finding no number in a sentence ({COUNT['no_number']} sentences)",
               "numbers": f"finding the numbers of a sentence ({COUNT['numbers']} sentences)",
               "triggers": "trigger words of sentences with numbers",
               "classifier": "mention classifier (features, scores, decisions)",
               "places": "records' places and ids"}
    for name, what_x in parts_x.items():
        print(f"    {name:<10} {SPENT[name] / mb:6.2f} CPU-s/MB ({what_x})")
    rules = SPENT["extract"] - sum(SPENT[name] for name in parts_x)
    print(f"    {'rules':<10} {rules / mb:6.2f} CPU-s/MB (the rest: governing triggers, attributes, tables' cells)")
    print(f"  {'tables':<8} {rest / mb:6.2f} CPU-s/MB (tables, reading, writing, caching)")
    what = {"build": "Arrow tables from records and columns", "write": "Parquet files",
            "minhash": "near-duplicate signatures", "other": "reading pages, cache keys and files"}
    for name in (*parts, "other"):
        spent = SPENT[name] if name != "other" else rest - sum(SPENT[p] for p in parts)
        print(f"    {name:<8} {spent / mb:6.2f} CPU-s/MB ({what[name]})")
    print(f"  {'total':<8} {total / mb:6.2f} CPU-s/MB ({mb / total:.3f} MB per CPU-second)")
    if prof:
        prof.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
