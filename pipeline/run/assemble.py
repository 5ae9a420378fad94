"""Assembling a run's tables from the stage cache (in shard order, near duplicates linked, the
panel), publishing them, and the run's summary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.analysis.panel import PANEL_COLUMNS, build_panel
from pipeline.run.cache import (
    STAGE_TABLES,
    STAGES,
    digest,
    entry_intact,
    entry_sums,
    is_done,
    read_manifest,
    read_stats,
    remove_entry,
    shard_dir,
    shard_keys,
    stage_versions,
    state_dir,
    write_json_atomic,
)
from pipeline.run.neardup import ShardSignatures, link
from pipeline.run.publish import SUMMARY, new_run_dir, publish, remove_unpublished
from pipeline.run.reuse import Assembly, PreviousRun, read_parquet, read_signatures
from pipeline.run.shards import add_counts
from pipeline.tables import schema, to_table, write_atomic

# ----------------------------------------------------------------------------- tables


def _documents_part(src: Path, links: dict[str, str], dst: Path) -> None:
    """Copy a shard's documents, filling near_duplicate_of from ``links`` (doc_id → earlier doc_id)."""
    if not links:
        shutil.copyfile(src, dst)
        return
    table = read_parquet(src)
    col = [links.get(d, cur) for d, cur in zip(table.column("doc_id").to_pylist(),
                                               table.column("near_duplicate_of").to_pylist(), strict=True)]
    pos = table.schema.get_field_index("near_duplicate_of")
    table = table.set_column(pos, table.schema.field(pos), pa.array(col, type=pa.string()))
    write_atomic(table, dst)


def _file(out: Path, stage: str, key: str, name: str) -> Path:
    return shard_dir(out, stage, key) / name


def _recipe(out: Path, stage: str, key: str, name: str, sums: dict[tuple[str, str], dict[str, str]]) -> str:
    """What a part copied from file ``name`` of a cache entry is made of: the entry and the file's
    checksum (an entry redone under the same key, after a crash or a timeout, holds other bytes)."""
    if (stage, key) not in sums:
        sums[stage, key] = entry_sums(out, stage, key)
    return f"{stage}/{key}/{name}@{sums[stage, key].get(f'{name}.parquet', '')}"


def _near_duplicates(shards_sigs: list[tuple[str, Path]], made: Assembly) -> list[dict[str, str]]:
    """Each shard's near-duplicate links (doc_id → the earlier document), recomputed only for the
    documents whose answer can have changed since the published run (:func:`pipeline.run.neardup.link`).
    ``shards_sigs``: each shard's signatures file and its identity (the file's recipe)."""
    keys = [k for k, _ in shards_sigs]
    order, known = made.previous.signatures() if made.previous is not None else ([], {})
    common = set(order) & set(keys)
    if len(set(keys)) != len(keys) or len(set(order)) != len(order) or \
            [k for k in order if k in common] != [k for k in keys if k in common]:
        known = {k: ShardSignatures(s.key, s.ids, s.sigs) for k, s in known.items()}  # asked again, all of them
    shards = [known.get(k) or read_signatures(path, k) for k, path in shards_sigs]
    removed = [known[k] for k in order if k not in common]
    found = link(shards, removed)
    made.signatures = (shards, found)
    return [{d: f for d, f in zip(s.ids, f_shard, strict=True) if f is not None}
            for s, f_shard in zip(shards, found, strict=True)]


def _panel_inputs(made: Assembly, n_parts: int) -> dict[str, pa.Table]:
    """The columns the panel reads of the indicators and documents tables: parts the previous run had
    come from its record, the others are read from the part files."""
    tables: dict[str, pa.Table] = {}
    for name, columns in PANEL_COLUMNS.items():
        before = made.previous.panel_slices(name) if made.previous is not None else {}
        slices = []
        for i in range(n_parts):
            rel = f"{name}/part-{i:06d}.parquet"
            recipe = made.recipe(rel)
            part = before.get(recipe)
            if part is None:
                part = read_parquet(made.run_dir / rel, columns)
            slices.append((recipe, part))
        made.panel[name] = slices
        tables[name] = pa.concat_tables([t for _, t in slices]) if slices else \
            schema(name).empty_table().select(columns)
    return tables


def _panel_part(tables: dict[str, pa.Table], dst: Path) -> None:
    rows = build_panel(tables["indicators"].to_pylist(), tables["documents"].to_pylist())
    write_atomic(to_table("panel", rows), dst)


def write_tables(out: Path, versions: dict[str, str] | None = None, verify: bool = True,
                 reuse: bool = True) -> dict[str, Any]:
    """Assemble every table of ``out`` from the cache, in shard order, publish them with the
    summary as one atomic switch (:mod:`pipeline.run.publish`), and return the summary.

    A stage's tables are written when it is done for every shard of the last
    run; tables of a stage that is not (stale after new input) are not published.
    Table files are copies, never links to the cache: damaging one leaves the cache intact. With
    ``reuse``, a part file the published run made alike (same cache entry, same near-duplicate
    links; the panel of the same parts) is hard-linked from that run's folder after checking its
    checksum (:mod:`pipeline.run.reuse`), and near duplicates are recomputed only where they can
    change (:mod:`pipeline.run.neardup`). With ``verify``
    every entry's checksums are checked first, and a damaged entry is dropped (its stage is then
    incomplete until a run computes it again; the summary's ``cache_damaged`` counts them).
    If writing fails (a full disk) the tables written so far are removed and the previous
    run's tables stay published.
    """
    out = Path(out)
    versions = versions or stage_versions(state_dir(out))
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
    made = Assembly(run_dir, PreviousRun.load(out) if reuse else None)
    sums: dict[tuple[str, str], dict[str, str]] = {}
    try:
        names = [name for stage in complete for name in STAGE_TABLES[stage]] + ["errors"]
        links = _near_duplicates([(_recipe(out, "clean", k["clean"], "signatures", sums),
                                   shard_dir(out, "clean", k["clean"]) / "signatures.parquet") for k in keys],
                                 made) if "clean" in complete else []
        for stage in complete:
            for name in STAGE_TABLES[stage]:
                (run_dir / name).mkdir()
                for i, k in enumerate(keys):
                    recipe = _recipe(out, stage, k[stage], name, sums)
                    src = (stage, k[stage], f"{name}.parquet")
                    if name == "documents":
                        recipe += f"+{digest(json.dumps(links[i], sort_keys=True))}" if links[i] else ""
                        made.part(f"{name}/part-{i:06d}.parquet", recipe,
                                  lambda dst, src=src, i=i: _documents_part(_file(out, *src), links[i], dst))
                    else:
                        made.part(f"{name}/part-{i:06d}.parquet", recipe,
                                  lambda dst, src=src: shutil.copyfile(_file(out, *src), dst))
        (run_dir / "errors").mkdir()
        for i, k in enumerate(keys):
            for n, stage in enumerate(STAGES):
                if is_done(out, stage, k[stage]):
                    src = (stage, k[stage], "errors.parquet")
                    made.part(f"errors/part-{i:06d}-{n}{stage}.parquet", _recipe(out, stage, k[stage], "errors", sums),
                              lambda dst, src=src: shutil.copyfile(_file(out, *src), dst))
        if "extract" in complete and "clean" in complete:
            (run_dir / "panel").mkdir()
            tables = _panel_inputs(made, len(keys))
            recipe = "panel/" + digest(*(made.recipe(f"{t}/part-{i:06d}.parquet") for t in PANEL_COLUMNS
                                         for i in range(len(keys))))
            made.part("panel/part-000000.parquet", recipe, lambda dst: _panel_part(tables, dst))
            names.append("panel")
        summary = summarize(out, manifest, keys, complete)
        if damaged:
            summary["cache_damaged"] = damaged
        made.save()
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
