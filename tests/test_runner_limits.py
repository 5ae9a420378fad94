"""The runner's limits and housekeeping: a page that hangs (per-page time limit), a page too large to
read, and the stage cache's pruning (``zhibiao cache info|prune``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline.limits import PageTimeout, page_time_limit
from pipeline.records import ErrorRecord, Page
from pipeline.run.cache import STATE_DIR, cache_lock, prune, survey
from pipeline.run.runner import RunOptions, run_pipeline
from pipeline.run.sources import iter_inputs
from pipeline.tables import TABLES, read_records

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "corpora").glob("*.txt"))
SMALL = [SEEDS[4], SEEDS[1]]  # the two shortest seed pages


def _opts(**kw: object) -> RunOptions:
    base: dict[str, object] = {"jobs": 1, "shard_pages": 1, "progress": False}
    base.update(kw)
    return RunOptions(**base)  # type: ignore[arg-type]


def _tables(out: Path) -> dict[str, list[dict]]:
    return {name: read_records(out, name) for name in TABLES}


def _corpus(folder: Path, names: list[str]) -> Path:
    """Distinct pages named ``names``, built from the two short seeds (numbers shifted)."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(names):
        text = SMALL[k % 2].read_text(encoding="utf-8")
        (folder / f"{name}.txt").write_text(re.sub(r"\d{2,}", lambda m, k=k: str(int(m.group()) + k), text),
                                            encoding="utf-8")
    return folder


def _entries(out: Path) -> set[str]:
    """Finished cache entries as ``stage/key``."""
    return set(_written(out))


def _written(out: Path) -> dict[str, int]:
    """Finished cache entries (``stage/key``) with the inode of their marker: a rewritten entry has a new one."""
    cache = out / STATE_DIR / "cache"
    return {f"{p.parent.parent.parent.name}/{p.parent.name}": p.stat().st_ino for p in cache.glob("*/*/*/_DONE")}


# ----------------------------------------------------------------------------- per-page time limit

#: Runs the command line with two stage functions that never return on one page each: a regex with
#: catastrophic backtracking (inside the regex module's C code) in clean, a Python loop in segment.
_HANGING = """
import sys
import regex
from pipeline.stages.clean import clean
from pipeline.stages.segment import segment

real_clean, real_segment = clean.clean_page, segment.segment_columns

def clean_page(page):
    if page.source == "hang_regex":
        regex.search(r"(a|aa)+$", "a" * 80 + "b")  # exponential backtracking: never ends
    return real_clean(page)

def segment_columns(doc):
    while doc.source == "hang_loop":
        pass
    return real_segment(doc)

clean.clean_page, segment.segment_columns = clean_page, segment_columns
from pipeline.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_hanging_page_is_a_timeout_row_and_the_rest_of_the_run_goes_on(tmp_path: Path, jobs: int) -> None:
    corpus = _corpus(tmp_path / "corpus", ["a_page", "b_page", "hang_loop", "hang_regex", "c_page"])
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", _HANGING, "run", str(corpus), "--out", str(out), "--jobs", str(jobs),
           "--shard-pages", "1", "--page-timeout", "1", "--no-progress"]
    # the limit ends each hang after a second; the subprocess timeout only guards against a hung test
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    errors = read_records(out, "errors")
    assert sorted((e["source"], e["stage"], e["reason"]) for e in errors) == [
        ("hang_loop", "segment", "timeout"), ("hang_regex", "clean", "timeout")]
    assert all("took longer than 1 s" in e["message"] for e in errors)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["errors"] == {"timeout": 2} and "errors: 2 (timeout 2)" in done.stdout
    assert {r["source"] for r in read_records(out, "indicators")} == {"a_page", "b_page", "c_page"}
    assert "hang_loop" in {d["source"] for d in read_records(out, "documents")}  # cleaned, not segmented
    assert "hang_regex" not in {d["source"] for d in read_records(out, "documents")}

    # the same limit again: the timed-out pages are not retried (they would time out again)
    before = _written(out)
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert _written(out) == before and read_records(out, "errors") == errors

    # a run that allows more time (here: no limit, and pages that no longer hang) retries them,
    # and only them: the result is that of a fresh run
    cache = out / STATE_DIR / "cache"
    for done in cache.glob("*/*/*/_DONE"):
        (done.parent / "old").write_text("", encoding="utf-8")
    run_pipeline([corpus], out, _opts(page_timeout=0))
    assert read_records(out, "errors") == []
    assert {r["source"] for r in read_records(out, "indicators")} == {"a_page", "b_page", "c_page", "hang_loop",
                                                                      "hang_regex"}
    assert _entries(out) == set(before)
    redone = {f"{p.parent.parent.name}/{p.name}" for p in cache.glob("*/*/*") if not (p / "old").exists()}
    assert len(redone) == 5  # hang_regex: clean, segment, extract; hang_loop: segment, extract
    run_pipeline([corpus], tmp_path / "fresh", _opts())
    assert _tables(out) == _tables(tmp_path / "fresh")


def test_the_time_limit_clears_its_alarm_and_restores_the_handler() -> None:
    import signal
    import threading
    import time

    previous = signal.getsignal(signal.SIGALRM)
    with page_time_limit(5, "clean"):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and signal.getsignal(signal.SIGALRM) == previous
    with pytest.raises(PageTimeout, match="extract took longer than 0.05 s"), page_time_limit(0.05, "extract"):
        while True:
            time.sleep(0.01)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and signal.getsignal(signal.SIGALRM) == previous
    with pytest.raises(ValueError), page_time_limit(5, "segment"):
        raise ValueError("a stage failure")
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    # a timer of the calling program's own is left running, and no limit is set
    def outer(signum, frame):  # type: ignore[no-untyped-def]
        raise AssertionError("the caller's alarm must not fire here")

    signal.signal(signal.SIGALRM, outer)
    try:
        signal.setitimer(signal.ITIMER_REAL, 100)
        with page_time_limit(0.01, "clean"):
            time.sleep(0.05)
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0 < remaining <= 100 and signal.getsignal(signal.SIGALRM) is outer
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    # not in the main thread (Dask's worker threads): no alarm, no limit
    seen: list[tuple[float, float]] = []

    def in_thread() -> None:
        with page_time_limit(5, "clean"):
            seen.append(signal.getitimer(signal.ITIMER_REAL))

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [(0.0, 0.0)]


# ----------------------------------------------------------------------------- too large pages


def test_a_page_over_the_size_limit_is_a_too_large_row_and_is_never_read(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", ["a_page", "b_page"])
    big = "全县教育工作。" * 7000  # one line of 147 kB
    (corpus / "huge.txt").write_text(big, encoding="utf-8")
    zpath = tmp_path / "pages.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("site/huge.html", big)
        zf.writestr("site/small.txt", SEEDS[4].read_bytes())
    jpath = tmp_path / "pages.jsonl"
    jpath.write_text(json.dumps({"url": "http://x.cn/huge", "text": big}, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    items = list(iter_inputs([corpus, zpath, jpath], max_bytes=100_000))
    errors = [(i.source, i.stage, i.reason) for i in items if isinstance(i, ErrorRecord)]
    assert errors == [("huge", "read", "too_large"), ("site/huge.html", "read", "too_large"),
                      ("http://x.cn/huge", "read", "too_large")]
    assert [i.source for i in items if isinstance(i, Page)] == ["a_page", "b_page", "site/small.txt"]
    assert len(list(iter_inputs([corpus, zpath, jpath]))) == 6 and all(
        isinstance(i, Page) for i in iter_inputs([corpus, zpath, jpath]))  # no limit: all pages

    out = tmp_path / "out"
    summary = run_pipeline([corpus], out, _opts(max_page_mb=0.1))
    rows = read_records(out, "errors")
    assert [(e["source"], e["stage"], e["reason"]) for e in rows] == [("huge", "read", "too_large")]
    assert f"{len(big.encode())} bytes" in rows[0]["message"] and "--max-page-mb 0.1" in rows[0]["message"]
    assert summary["errors"] == {"too_large": 1}
    assert {r["source"] for r in read_records(out, "indicators")} == {"a_page", "b_page"}
    # a larger limit reads it (the limit is part of the shard's identity: the shard is redone)
    run_pipeline([corpus], out, _opts(max_page_mb=1))
    assert read_records(out, "errors") == [] and "huge" in {d["source"] for d in read_records(out, "documents")}


def test_shards_are_cut_by_bytes_so_a_worker_holds_at_most_one_shard_or_one_page(tmp_path: Path) -> None:
    from collections import Counter

    from pipeline.run.shards import plan_shards

    folder = tmp_path / "pages"
    folder.mkdir()
    sizes = [600, 600, 300, 2500, 200, 900, 100]
    for k, n in enumerate(sizes):
        (folder / f"p{k}.txt").write_text(f"{k}" * n, encoding="utf-8")
    shards = list(plan_shards([folder], RunOptions(shard_pages=1000, shard_bytes=1000), Counter()))
    # before: a shard closed at its first page past 1000 bytes (600 + 600 = 1200, then 300 + 2500 = 2800)
    assert [[p.nbytes for p in s.items] for s in shards] == [[600], [600, 300], [2500], [200], [900, 100]]
    assert all(s.nbytes <= 1000 or len(s.items) == 1 for s in shards)


def test_the_byte_limits_bound_memory_by_default_and_the_flags_set_them(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from pipeline import cli
    from pipeline.run import shards

    assert (cli.MAX_PAGE_MB, int(cli.SHARD_MB * 1e6)) == (shards.MAX_PAGE_MB, shards.SHARD_BYTES)
    assert RunOptions().max_page_mb == 5.0  # was 20: a 19.9 MB page took a worker to 1.6 GB
    big = tmp_path / "big.txt"
    big.write_bytes("学校。\n".encode() * 600_000)  # 6 MB
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["run", str(big), "--out", str(out), "--jobs", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    rows = read_records(out, "errors")
    assert [r["reason"] for r in rows] == ["too_large"] and "--max-page-mb 5" in rows[0]["message"]
    seen: list[RunOptions] = []
    monkeypatch.setattr("pipeline.run.runner.run_stages", lambda out, stages, paths, opts: seen.append(opts) or {})
    CliRunner().invoke(cli.main, ["run", str(big), "--out", str(out), "--shard-mb", "0.5", "--max-page-mb", "7"])
    assert (seen[0].shard_bytes, seen[0].max_page_mb) == (500_000, 7.0)


# ----------------------------------------------------------------------------- cache housekeeping


def _with_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    monkeypatch.setenv("ZHIBIAO_RULES", str(rules))
    return rules


def _edit_user_dictionary(rules: Path) -> None:
    """A new segment version (and so new segment and extract keys); clean is untouched."""
    from pipeline.stages.segment import segment

    path = rules / "userdict.txt"
    path.write_text(path.read_text(encoding="utf-8") + "学生资助\n", encoding="utf-8")
    segment.tokenizer.cache_clear()
    segment.domain_words.cache_clear()


@pytest.fixture
def _fresh_tokenizer():  # type: ignore[no-untyped-def]
    from pipeline.stages.segment import segment

    yield
    segment.tokenizer.cache_clear()
    segment.domain_words.cache_clear()


def test_prune_removes_exactly_the_stale_entries_and_a_rerun_gives_the_same_tables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _fresh_tokenizer: None) -> None:
    rules = _with_rules(tmp_path, monkeypatch)
    corpus = _corpus(tmp_path / "corpus", ["a_page", "b_page", "c_page"])
    out = tmp_path / "out"
    run_pipeline([corpus], out, _opts())
    first = _entries(out)
    assert len(first) == 9 and survey(out).entries["stale"] == {"clean": 0, "segment": 0, "extract": 0}

    _edit_user_dictionary(rules)
    run_pipeline([corpus], out, _opts(prune=False))
    second = _entries(out)
    old = {e for e in first if not e.startswith("clean/")}
    assert second - first and first <= second  # nothing removed yet
    report = survey(out)
    assert report.entries["stale"] == {"clean": 0, "segment": 3, "extract": 3}
    assert report.entries["current"] == {"clean": 3, "segment": 3, "extract": 3}
    tables = _tables(out)

    pruned = prune(out)
    assert pruned is not None and pruned.removed == 6 and pruned.removed_bytes > 0
    assert _entries(out) == second - old  # exactly the stale ones
    assert _tables(out) == tables  # the tables in OUT do not depend on pruned entries
    run_pipeline([corpus], out, _opts())
    assert _entries(out) == second - old  # nothing recomputed
    assert _tables(out) == tables
    run_pipeline([corpus], tmp_path / "fresh", _opts())
    assert _tables(tmp_path / "fresh") == tables


def test_a_run_prunes_stale_entries_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           _fresh_tokenizer: None) -> None:
    rules = _with_rules(tmp_path, monkeypatch)
    corpus = _corpus(tmp_path / "corpus", ["a_page", "b_page"])
    out = tmp_path / "out"
    run_pipeline([corpus], out, _opts())
    first = _entries(out)
    _edit_user_dictionary(rules)
    summary = run_pipeline([corpus], out, _opts())
    assert summary["cache_pruned"] == 4
    now = _entries(out)
    assert {e for e in first if e.startswith("clean/")} <= now and len(now) == 6
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["cache_pruned"] == 4
    assert survey(out).entries["stale"] == {"clean": 0, "segment": 0, "extract": 0}


def test_cache_commands_info_and_prune_all(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    corpus = _corpus(tmp_path / "corpus", ["a_page", "b_page", "c_page"])
    out = tmp_path / "out"
    run_pipeline([corpus], out, _opts())
    (corpus / "c_page.txt").unlink()  # a page no longer in the input
    run_pipeline([corpus], out, _opts())
    tables = _tables(out)
    # an entry of an older version written before versions were recorded (no meta.json)
    legacy = out / STATE_DIR / "cache" / "clean" / "ff" / ("ff" * 12)
    legacy.mkdir(parents=True)
    (legacy / "_DONE").write_text("", encoding="utf-8")

    info = CliRunner().invoke(main, ["cache", "info", str(out), "--json"])
    assert info.exit_code == 0, info.output
    report = json.loads(info.output)
    assert report["entries"]["current"] == {"clean": 2, "segment": 2, "extract": 2}
    assert report["entries"]["unused"] == {"clean": 1, "segment": 1, "extract": 1}
    assert report["entries"]["stale"] == {"clean": 1, "segment": 0, "extract": 0}
    text = CliRunner().invoke(main, ["cache", "info", str(out)])
    assert text.exit_code == 0 and "stale" in text.output and "unused" in text.output

    plain = CliRunner().invoke(main, ["cache", "prune", str(out)])  # stale only
    assert plain.exit_code == 0 and "removed 1 entries" in plain.output
    assert not legacy.exists() and len(_entries(out)) == 9
    every = CliRunner().invoke(main, ["cache", "prune", str(out), "--all"])
    assert every.exit_code == 0 and "removed 3 entries" in every.output
    assert survey(out).entries["unused"] == {"clean": 0, "segment": 0, "extract": 0} and len(_entries(out)) == 6
    assert _tables(out) == tables
    nothing = CliRunner().invoke(main, ["cache", "info", str(tmp_path)])
    assert nothing.exit_code != 0 and "no stage cache" in nothing.output and "Traceback" not in nothing.output


def test_prune_leaves_a_folder_in_use_and_entries_being_written_alone(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    corpus = _corpus(tmp_path / "corpus", ["a_page", "b_page"])
    out = tmp_path / "out"
    run_pipeline([corpus], out, _opts())
    shutil.rmtree(corpus)
    _corpus(corpus, ["c_page"])
    run_pipeline([corpus], out, _opts(prune=False))
    assert survey(out).entries["unused"]["clean"] == 2
    entries = _entries(out)
    with cache_lock(out) as held:  # a run holds the folder
        assert held
        summary = run_pipeline([corpus], out, _opts())  # a second run: it does not prune either
        assert "cache_pruned" not in summary
        stage_dir = out / STATE_DIR / "cache" / "segment" / "00"
        writing = stage_dir / f".{'00' * 12}.tmp-{os.getpid()}-abcd1234"  # this process is alive: a writer
        writing.mkdir(parents=True)
        (writing / "sentences.parquet").write_bytes(b"half")
        killed = stage_dir / f".{'01' * 12}.tmp-999999999-abcd1234"  # no such process: a killed writer
        killed.mkdir()
        assert prune(out, include_unused=True) is None
        busy = CliRunner().invoke(main, ["cache", "prune", str(out), "--all"])
        assert busy.exit_code != 0 and "a run is using" in busy.output
    assert _entries(out) == entries and writing.exists() and killed.exists()

    report = prune(out, include_unused=True)
    assert report is not None and report.removed == 6
    assert writing.exists() and (writing / "sentences.parquet").read_bytes() == b"half"
    assert not killed.exists() and report.in_progress == 1


# ----------------------------------------------------------------------------- damage to tables and cache


def test_table_files_are_not_the_cache_and_a_damaged_entry_is_dropped_and_recomputed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    corpus = _corpus(tmp_path / "corpus", ["a", "b", "c"])
    out, whole = tmp_path / "out", tmp_path / "whole"
    run_pipeline([corpus], whole, _opts())
    run_pipeline([corpus], out, _opts())
    cache = out / STATE_DIR / "cache"
    part = sorted((out / "indicators").glob("*.parquet"))[0]
    cached = {p.stat().st_ino for p in cache.rglob("*.parquet")}
    assert not cached & {p.stat().st_ino for p in out.glob("*/*.parquet")}  # copies, not hard links
    part.write_bytes(b"")  # a damaged table file: the cache is untouched, `zhibiao tables` rebuilds it
    assert CliRunner().invoke(main, ["tables", str(out)]).exit_code == 0
    assert _tables(out) == _tables(whole)
    entry = sorted(cache.glob("extract/*/*/indicators.parquet"))[1]
    entry.write_bytes(entry.read_bytes()[:100])  # a damaged cache entry
    summary = run_pipeline([corpus], out, _opts())
    assert summary["cache_damaged"] == 1
    assert _tables(out) == _tables(whole)
    assert run_pipeline([corpus], out, _opts()).get("cache_damaged") is None


def _published(out: Path) -> dict[str, object]:
    """Every table of ``out`` and its summary (without the run's seconds)."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary.pop("seconds", None)
    return {"summary": summary, **_tables(out)}


@pytest.mark.parametrize("failure", ["killed", "disk_full"])
def test_a_run_stopped_while_writing_tables_leaves_the_previous_run_published(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    import errno

    from click.testing import CliRunner

    from pipeline.cli import main
    from pipeline.run import assemble

    out = tmp_path / "out"
    run_pipeline([_corpus(tmp_path / "first", ["a", "b"])], out, _opts())
    before = _published(out)
    copies: list[Path] = []
    real_copy = shutil.copyfile

    def copy_then_fail(src: Path, dst: Path) -> object:
        if Path(dst).parent.name == "indicators":  # documents, sentences, tokens, mentions are written by now
            if failure == "killed":
                raise KeyboardInterrupt  # as a kill would stop it, after the first tables
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        copies.append(Path(dst))
        return real_copy(src, dst)

    monkeypatch.setattr(assemble.shutil, "copyfile", copy_then_fail)
    second = _corpus(tmp_path / "second", ["c", "d", "e"])
    if failure == "killed":
        with pytest.raises(KeyboardInterrupt):
            run_pipeline([second], out, _opts())
    else:
        result = CliRunner().invoke(main, ["run", str(second), "--out", str(out), "--jobs", "1", "--no-progress"])
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "No space left on device" in lines[0] and "previous tables are intact" in lines[0]
    assert copies  # it had written some tables of the second run
    assert _published(out) == before  # readers see the first run whole, nothing of the second
    monkeypatch.setattr(assemble.shutil, "copyfile", real_copy)
    run_pipeline([second], out, _opts())
    assert len(list((out / STATE_DIR / "runs").iterdir())) == 1  # the stopped run's tables are gone
    assert {r["source"] for r in read_records(out, "documents")} == {"c", "d", "e"}


def test_a_second_run_into_a_folder_in_use_refuses_clearly_and_changes_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main
    from pipeline.run.cache import run_lock

    out = tmp_path / "out"
    run_pipeline([_corpus(tmp_path / "first", ["a"])], out, _opts())
    before = _published(out)
    other = _corpus(tmp_path / "other", ["b", "c"])
    with run_lock(out):  # a run is writing the folder
        for args in (["run", str(other), "--out", str(out), "--jobs", "1"], ["tables", str(out)]):
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 1
            assert result.output.strip() == (f"Error: {out} is in use by another run (process {os.getpid()}): "
                                             "wait for it to finish, or give another output folder")
    assert _published(out) == before
    assert run_pipeline([other], out, _opts())["pages_read"] == 2  # once it is free, the folder is usable


def test_the_time_limit_holds_in_a_thread_where_no_alarm_can_fire() -> None:
    import threading

    outcome: list[str] = []

    def hang() -> None:
        try:
            with page_time_limit(0.5, "segment"):
                while True:
                    pass
        except PageTimeout as exc:
            outcome.append(str(exc))
        with page_time_limit(30, "extract"):  # a block that ends in time is left alone
            outcome.append("done")

    worker = threading.Thread(target=hang, daemon=True)
    worker.start()
    worker.join(120)  # a guard against a hung test
    assert outcome == ["segment took longer than 0.5 s (--page-timeout)", "done"]


def test_a_hanging_page_is_a_timeout_row_under_dask_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    from pipeline.stages.segment import segment

    monkeypatch.setenv("ZHIBIAO_DASK_PROCESSES", "0")  # Dask worker threads in this process
    real = segment.segment_columns

    def segment_columns(doc):  # type: ignore[no-untyped-def]
        while doc.source == "hang_loop":
            pass
        return real(doc)

    monkeypatch.setattr(segment, "segment_columns", segment_columns)
    corpus = _corpus(tmp_path / "corpus", ["a_page", "hang_loop", "b_page"])
    run_pipeline([corpus], tmp_path / "out", _opts(jobs=2, engine="dask", page_timeout=1))
    errors = read_records(tmp_path / "out", "errors")
    assert [(e["source"], e["stage"], e["reason"]) for e in errors] == [("hang_loop", "segment", "timeout")]
    assert {r["source"] for r in read_records(tmp_path / "out", "indicators")} == {"a_page", "b_page"}
