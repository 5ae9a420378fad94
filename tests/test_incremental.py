"""Incremental re-runs: after a page is edited, added or removed, a re-run's tables equal a fresh
run's, row for row, while it reuses what did not change (part files linked from the published
run, near duplicates recomputed only where they can change, unchanged files not read again)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.run.cache import STATE_DIR
from pipeline.run.inputs import STAT_CACHE
from pipeline.run.neardup import ShardSignatures, link
from pipeline.run.runner import RunOptions, run_pipeline
from pipeline.stages.clean.dedup import NUM_PERM, NearDuplicateIndex
from pipeline.tables import TABLES, read_records

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from compare_runs import compare_runs  # noqa: E402

SEEDS = sorted((ROOT / "corpora").glob("*.txt"))
SMALL = [SEEDS[4], SEEDS[1]]  # the two shortest seed pages (8 kB, 20 kB)


def _opts(**kw: object) -> RunOptions:
    base: dict[str, object] = {"jobs": 1, "shard_pages": 2, "progress": False}
    base.update(kw)
    return RunOptions(**base)  # type: ignore[arg-type]


def _shifted(text: str, k: int) -> str:
    return re.sub(r"\d{2,}", lambda m: str(int(m.group()) + k), text)


def _corpus(folder: Path) -> Path:
    """Six pages: variants of the two short seeds (those of one seed are near duplicates of each other)
    and a copy of one with other chrome."""
    folder.mkdir(parents=True)
    for k in range(5):
        text = _shifted(SMALL[k % 2].read_text(encoding="utf-8"), k)
        (folder / f"p{k}.txt").write_text(text, encoding="utf-8")
    copy = "首页 > 教育动态 > 正文\n" + (folder / "p1.txt").read_text(encoding="utf-8") + "\n版权所有 某某县人民政府"
    (folder / "p5_copy.txt").write_text(copy, encoding="utf-8")
    return folder


def _parts(out: Path) -> dict[str, int]:
    """Inode of every part file of the published run, by table and part name."""
    return {f"{p.parent.name}/{p.name}": p.stat().st_ino for p in (out / STATE_DIR / "published").glob("*/*.parquet")}


def _edit(corpus: Path, change: str) -> None:
    if change == "edit":  # one word of one page
        page = corpus / "p2.txt"
        page.write_text(page.read_text(encoding="utf-8").replace("教育", "教育事业", 1), encoding="utf-8")
    elif change == "edit_original":  # the page others are near duplicates of becomes another text
        (corpus / "p1.txt").write_text(_shifted(SEEDS[0].read_text(encoding="utf-8"), 3), encoding="utf-8")
    elif change == "add":
        (corpus / "p2a.txt").write_text(_shifted(SMALL[1].read_text(encoding="utf-8"), 11), encoding="utf-8")
    elif change == "remove":
        (corpus / "p1.txt").unlink()


@pytest.mark.parametrize("change", ["edit", "edit_original", "add", "remove"])
def test_a_rerun_after_a_change_equals_a_fresh_run_and_reuses_the_rest(tmp_path: Path, change: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.run.inputs.RACY_NS", 0)  # the pages were just written: trust their stat
    corpus = _corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    first = run_pipeline([corpus], out, _opts())
    before = _parts(out)
    assert any(d["near_duplicate_of"] for d in read_records(out, "documents"))
    _edit(corpus, change)
    again = run_pipeline([corpus], out, _opts())
    fresh = tmp_path / "fresh"
    run_pipeline([corpus], fresh, _opts())
    assert {name: lines for name, lines in compare_runs(out, fresh).items() if lines} == {}
    assert set(compare_runs(out, fresh)) == set(TABLES)
    assert again["pages_read"] == first["pages_read"] + {"add": 1, "remove": -1}.get(change, 0)
    # the parts of unchanged shards are the previous run's files (linked, not written again)
    after = _parts(out)
    assert set(after.values()) & set(before.values())
    assert set(after.values()) != set(before.values())


def test_a_damaged_table_file_is_written_again_by_the_next_run(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    run_pipeline([corpus], out, _opts())
    for part in sorted((out / "indicators").glob("*.parquet"))[:2]:
        part.write_bytes(part.read_bytes()[:50])  # damaged in place (the same size would do too)
    (out / "panel" / "part-000000.parquet").write_bytes(b"")
    run_pipeline([corpus], out, _opts())
    run_pipeline([corpus], fresh, _opts())
    assert {name: lines for name, lines in compare_runs(out, fresh).items() if lines} == {}


def _read_counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the input files the runner reads (through the stat cache's reader)."""
    from pipeline.run import inputs

    real = inputs.iter_file
    seen: list[str] = []

    def counting(path: Path, max_bytes: int | None = None):  # type: ignore[no-untyped-def]
        seen.append(Path(path).name)
        return real(path, max_bytes)

    monkeypatch.setattr(inputs, "iter_file", counting)
    return seen


def test_unchanged_files_are_not_read_again_and_a_change_under_old_times_is_seen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.run.inputs.RACY_NS", 0)
    corpus = _corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    run_pipeline([corpus], out, _opts(shard_pages=1))  # a page a shard: a page read is a page changed
    seen = _read_counter(monkeypatch)
    run_pipeline([corpus], out, _opts(shard_pages=1))
    assert seen == []  # every file known by its stat signature
    page = corpus / "p3.txt"
    st = page.stat()
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("学校", "学堂", 1), encoding="utf-8")  # same size in UTF-8
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old modification time (as cp -p would)
    assert page.stat().st_size == st.st_size and page.stat().st_mtime_ns == st.st_mtime_ns
    run_pipeline([corpus], out, _opts(shard_pages=1))
    assert seen == ["p3.txt"]  # its ctime changed: read again
    assert any("学堂" in d["text"] for d in read_records(out, "documents"))
    run_pipeline([corpus], out, _opts(shard_pages=1, full_check=True))
    assert len(seen) == 1 + 6  # a full check reads every file


def test_a_file_written_just_before_the_run_is_not_trusted_by_its_stat(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    run_pipeline([corpus], out, _opts())  # the default margin: every page was written a moment ago
    known = json.loads((out / STATE_DIR / STAT_CACHE).read_text(encoding="utf-8"))["files"]
    assert known == {}
    seen = _read_counter(monkeypatch)
    run_pipeline([corpus], out, _opts())
    assert len(seen) == 6


def test_a_page_whose_bytes_differ_from_its_remembered_hash_restarts_the_run_reading_every_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.run.inputs.RACY_NS", 0)
    corpus = _corpus(tmp_path / "corpus")
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    opts = _opts(shard_pages=1000)  # one shard: editing one page makes the runner read the others again
    run_pipeline([corpus], out, opts)
    cache_file = out / STATE_DIR / STAT_CACHE
    remembered = json.loads(cache_file.read_text(encoding="utf-8"))
    lying = corpus / "p3.txt"
    lying.write_text(lying.read_text(encoding="utf-8") + "\n全县共有小学99所。", encoding="utf-8")
    st = lying.stat()  # the stat cache claims the new signature for the old bytes
    remembered["files"][str(lying)][0] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
    cache_file.write_text(json.dumps(remembered), encoding="utf-8")
    _edit(corpus, "edit")  # p2 changes: the shard is cleaned again, p3 is read again and does not match
    run_pipeline([corpus], out, opts)
    run_pipeline([corpus], fresh, opts)
    assert {name: lines for name, lines in compare_runs(out, fresh).items() if lines} == {}
    assert any("小学99所" in d["text"] for d in read_records(out, "documents"))


# ----------------------------------------------------------------------------- near duplicates


def _signatures(rng: np.random.Generator, n: int, families: np.ndarray) -> np.ndarray:
    """Signatures of near copies of a few ``families`` (shared by every shard), each drawn from few
    values: many shared band keys across shards, full buckets, pairs on both sides of the threshold."""
    sigs = families[rng.integers(0, len(families), size=n)].copy()
    noise = rng.random((n, NUM_PERM)) < rng.choice([0.05, 0.3, 0.6], size=(n, 1))
    sigs[noise] = rng.integers(0, 3, size=int(noise.sum()), dtype=np.uint64)
    return sigs


def _from_scratch(shards: list[ShardSignatures]) -> list[list[str | None]]:
    index = NearDuplicateIndex()
    return [[index.add(i, s) for i, s in zip(shard.ids, shard.sigs, strict=True)] for shard in shards]


@pytest.mark.parametrize("seed", range(40))
def test_near_duplicates_recomputed_where_they_can_change_equal_those_from_scratch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    families = rng.integers(0, 3, size=(int(rng.integers(2, 8)), NUM_PERM), dtype=np.uint64)
    n_shards = int(rng.integers(3, 12))
    shards = []
    for k in range(n_shards):
        m = int(rng.integers(0, 25))
        shards.append(ShardSignatures(f"s{k}", [f"d{k}-{j}" for j in range(m)], _signatures(rng, m, families)))
    old = _from_scratch(shards)
    previous = [ShardSignatures(s.key, s.ids, s.sigs, found) for s, found in zip(shards, old, strict=True)]
    # the next run: some shards replaced (a page edited), one inserted, one removed
    new = list(previous)
    removed = []
    for k in rng.choice(n_shards, size=int(rng.integers(1, 3)), replace=False):
        m = int(rng.integers(0, 25))
        removed.append(new[k])
        new[k] = ShardSignatures(f"s{k}'", [f"e{k}-{j}" for j in range(m)], _signatures(rng, m, families))
    if rng.random() < 0.5:
        new.insert(int(rng.integers(0, len(new) + 1)), ShardSignatures("t", ["t0", "t1"], _signatures(rng, 2, families)))
    if rng.random() < 0.5:
        removed.append(new.pop(int(rng.integers(0, len(new)))))
    got = link(new, [r for r in removed if r.found is not None])
    assert got == _from_scratch(new)
    assert sum(f is not None for shard in got for f in shard)  # links are there to get right


def test_the_near_duplicate_cases_change_answers_of_unchanged_shards() -> None:
    """The cases above are not trivial: in most, documents of shards that did not change get another
    answer than in the previous run (which a recomputation of the changed shards alone would miss)."""
    changed = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        families = rng.integers(0, 3, size=(int(rng.integers(2, 8)), NUM_PERM), dtype=np.uint64)
        shards = [ShardSignatures(f"s{k}", [f"d{k}-{j}" for j in range(m)], _signatures(rng, m, families))
                  for k, m in enumerate(rng.integers(0, 25, size=int(rng.integers(3, 12))))]
        old = _from_scratch(shards)
        k = int(rng.integers(0, len(shards)))
        new = shards[:k] + shards[k + 1:]
        changed += [f for i, f in enumerate(old) if i != k] != _from_scratch(new)
    assert changed >= 10


def test_a_run_without_changes_links_every_part_and_changes_no_table(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.run.inputs.RACY_NS", 0)
    corpus = _corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    run_pipeline([corpus], out, _opts())
    before = _parts(out)
    shutil.copytree(out, tmp_path / "copy", symlinks=True)
    run_pipeline([corpus], out, _opts())
    assert _parts(out) == before  # every part, the panel too, linked from the previous run
    assert {name: lines for name, lines in compare_runs(out, tmp_path / "copy").items() if lines} == {}


def test_a_cache_entry_damaged_under_its_old_times_is_still_found_and_recomputed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.run import verified

    monkeypatch.setattr("pipeline.run.inputs.RACY_NS", 0)
    monkeypatch.setattr(verified, "RACY_NS", 0)  # entries written a moment ago: trusted by their stat
    corpus = _corpus(tmp_path / "corpus")
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    run_pipeline([corpus], out, _opts())
    run_pipeline([corpus], out, _opts())  # every entry now known intact by its files' stat
    checked = json.loads((out / STATE_DIR / verified.VERIFIED).read_text(encoding="utf-8"))["entries"]
    assert len(checked) == 3 * len(json.loads((out / STATE_DIR / "manifest.json").read_text())["shards"])
    calls: list[str] = []
    real = verified.entry_intact
    monkeypatch.setattr(verified, "entry_intact", lambda *a: calls.append(a[2]) or real(*a))
    run_pipeline([corpus], out, _opts())
    assert calls == []  # no checksum read while nothing changed
    entry = sorted((out / STATE_DIR / "cache").glob("extract/*/*/indicators.parquet"))[1]
    st = entry.stat()
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one bit flipped, same size, old modification time
    entry.write_bytes(bytes(data))
    os.utime(entry, ns=(st.st_atime_ns, st.st_mtime_ns))
    summary = run_pipeline([corpus], out, _opts())
    assert summary["cache_damaged"] == 1 and calls == [entry.parent.name]
    run_pipeline([corpus], fresh, _opts())
    assert {name: lines for name, lines in compare_runs(out, fresh).items() if lines} == {}


def test_files_half_written_by_a_killed_run_are_removed_by_the_next(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    run_pipeline([corpus], out, _opts())
    state = out / STATE_DIR
    killed = [state / ".inputs.json.tmp-999999999", state / ".verified.json.tmp-999999999"]
    for path in killed:
        path.write_text("{half", encoding="utf-8")
    os.symlink("runs/nowhere", state / ".published.tmp-999999999")
    alive = state / f".other.json.tmp-{os.getppid()}"  # a writer still running: left alone
    alive.write_text("{half", encoding="utf-8")
    run_pipeline([corpus], out, _opts())
    assert not [p for p in killed + [state / ".published.tmp-999999999"] if p.exists() or p.is_symlink()]
    assert alive.exists()
