"""Assembling a run's tables from the stage cache (in shard order, near duplicates linked, the
panel), publishing them, and the run's summary."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.analysis.panel import write_panel
from pipeline.run.cache import (
    STAGE_TABLES,
    STAGES,
    entry_intact,
    is_done,
    read_manifest,
    read_stats,
    remove_entry,
    shard_dir,
    shard_keys,
    stage_versions,
    write_json_atomic,
)
from pipeline.run.publish import SUMMARY, new_run_dir, publish, remove_unpublished
from pipeline.run.shards import add_counts
from pipeline.stages.clean.dedup import NearDuplicateIndex
from pipeline.tables import write_atomic

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


def summarize(out: Path, manifest: dict[str, Any], keys: list[dict[str, str]],
              complete: list[str]) -> dict[str, Any]:
    """Counters of the run: pages read, documents kept and dropped by reason, records per family, errors."""
    totals: dict[str, dict[str, Any]] = {s: {} for s in STAGES}
    for k in keys:
        for stage in STAGES:
            if is_done(out, stage, k[stage]):
                add_counts(totals[stage], read_stats(out, stage, k[stage]))
    read = manifest.get("read", {})
    errors: dict[str, int] = {}
    for stage in STAGES:
        add_counts(errors, totals[stage].get("errors", {}))
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
