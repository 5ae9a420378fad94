"""The runner on real seed pages: input kinds, resumption after kill -9, determinism across --jobs,
incremental re-runs, bad input in the errors table, near duplicates, stage commands, Dask."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.records import ErrorRecord, Page
from pipeline.run.cache import STATE_DIR
from pipeline.run.runner import RunOptions, run_pipeline, run_stages, write_tables
from pipeline.stages.registry import stage
from pipeline.stages.stage import Batch
from pipeline.tables import TABLES, read_records

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "corpora").glob("*.txt"))
SMALL = [SEEDS[4], SEEDS[1]]  # the two shortest seed pages (8 kB, 20 kB)


def _opts(jobs: int = 1, shard_pages: int = 32, engine: str = "local") -> RunOptions:
    return RunOptions(jobs=jobs, shard_pages=shard_pages, engine=engine, progress=False)


def _tables(out: Path) -> dict[str, list[dict]]:
    return {name: read_records(out, name) for name in TABLES}


def _variant(text: str, k: int) -> str:
    """The seed text with every multi-digit number shifted by ``k`` (a different page of the same genre)."""
    return re.sub(r"\d{2,}", lambda m: str(int(m.group()) + k), text)


def _mini_corpus(folder: Path, n: int) -> Path:
    """``n`` distinct pages built from the two short seeds."""
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        seed = SMALL[k % 2]
        (folder / f"{seed.stem}_{k:02d}.txt").write_text(_variant(seed.read_text(encoding="utf-8"), k),
                                                         encoding="utf-8")
    return folder


def test_run_on_seeds_writes_every_table_and_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_pipeline(SMALL, out, _opts())
    tables = _tables(out)
    assert {d["source"] for d in tables["documents"]} == {p.stem for p in SMALL}
    assert tables["indicators"] and tables["sentences"] and tables["tokens"] and tables["mentions"]
    assert tables["errors"] == []
    stored = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert stored["pages_read"] == summary["pages_read"] == 2
    assert stored["indicators"] == len(tables["indicators"])
    assert sum(stored["records_per_family"].values()) == len(tables["indicators"])
    assert stored["documents_kept"] == sum(d["kept"] for d in tables["documents"])


def test_each_input_kind_in_one_run(tmp_path: Path) -> None:
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("site/001.txt", SEEDS[1].read_bytes())
    tpath = tmp_path / "b.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        data = SEEDS[3].read_bytes()
        info = tarfile.TarInfo("dump/003.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    jpath = tmp_path / "c.jsonl"
    jpath.write_text(json.dumps({"url": "http://edu.example.cn/004", "text": SEEDS[4].read_text(encoding="utf-8")},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "page.html").write_text("<html><head><title>某县教育局工作总结</title></head><body><p>"
                                      "全县学前三年毛入园率达93%以上。九年义务教育巩固率达到100%。</p></body></html>",
                                      encoding="utf-8")
    out = tmp_path / "out"
    run_pipeline([zpath, tpath, jpath, folder], out, _opts())
    docs = read_records(out, "documents")
    assert [d["source"] for d in docs if d["index"] == 0] == ["site/001.txt", "dump/003.txt",
                                                              "http://edu.example.cn/004", "page"]
    by_source = {r["source"] for r in read_records(out, "indicators")}
    assert {"site/001.txt", "dump/003.txt", "page"} <= by_source


def test_same_rows_in_the_same_order_whatever_jobs(tmp_path: Path) -> None:
    corpus = _mini_corpus(tmp_path / "corpus", 6)
    run_pipeline([corpus], tmp_path / "one", _opts(jobs=1, shard_pages=1))
    run_pipeline([corpus], tmp_path / "two", _opts(jobs=2, shard_pages=1))
    one, two = _tables(tmp_path / "one"), _tables(tmp_path / "two")
    assert one == two
    assert len({d["source"] for d in one["documents"]}) == 6
    assert len(list((tmp_path / "two" / "indicators").glob("part-*.parquet"))) > 1


def test_dask_engine_on_a_local_cluster_writes_the_same_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setenv("ZHIBIAO_DASK_PROCESSES", "0")  # threads in this process: light and fast
    corpus = _mini_corpus(tmp_path / "corpus", 4)
    run_pipeline([corpus], tmp_path / "local", _opts(jobs=1, shard_pages=1))
    run_pipeline([corpus], tmp_path / "dask", _opts(jobs=2, shard_pages=1, engine="dask"))
    assert _tables(tmp_path / "local") == _tables(tmp_path / "dask")


def test_killed_run_resumes_and_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    corpus = _mini_corpus(tmp_path / "corpus", 16)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "pipeline.cli", "run", str(corpus), "--out", str(out), "--jobs", "1",
           "--shard-pages", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    extract_cache = out / STATE_DIR / "cache" / "extract"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if extract_cache.exists() and any(extract_cache.glob("*/*/_DONE")):
            break
        time.sleep(0.01)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "finished before the kill"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "summary.json").exists()
    done_before = len(list(extract_cache.glob("*/*/_DONE")))
    assert 1 <= done_before < 16
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    run_pipeline([corpus], tmp_path / "whole", _opts(jobs=1, shard_pages=1))
    assert _tables(out) == _tables(tmp_path / "whole")
    assert not list((out / STATE_DIR / "cache").glob("*/*/.*.tmp-*"))


def test_rerun_redoes_only_the_changed_page(tmp_path: Path) -> None:
    corpus = _mini_corpus(tmp_path / "corpus", 6)
    out = tmp_path / "out"
    run_pipeline([corpus], out, _opts(shard_pages=1))
    cache = out / STATE_DIR / "cache"
    before = {p.parent.name for p in cache.glob("*/*/*/_DONE")}
    again = run_pipeline([corpus], out, _opts(shard_pages=1))
    assert {p.parent.name for p in cache.glob("*/*/*/_DONE")} == before and again["pages_read"] == 6
    changed = sorted(corpus.glob("*.txt"))[2]
    changed.write_text(changed.read_text(encoding="utf-8").replace("教育", "教育事业", 1), encoding="utf-8")
    run_pipeline([corpus], out, _opts(shard_pages=1))
    new = {p.parent.name for p in cache.glob("*/*/*/_DONE")} - before
    assert len(new) == 3  # one shard, three stages
    fresh = tmp_path / "fresh"
    run_pipeline([corpus], fresh, _opts(shard_pages=1))
    assert _tables(out) == _tables(fresh)


def test_a_changed_user_dictionary_reruns_segment_and_extract_not_clean(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.stages.segment import segment

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    monkeypatch.setenv("ZHIBIAO_RULES", str(rules))
    out = tmp_path / "out"
    run_pipeline([SEEDS[4]], out, _opts())
    cache = out / STATE_DIR / "cache"

    def count() -> dict[str, int]:
        return {s: len(list((cache / s).glob("*/*/_DONE"))) for s in ("clean", "segment", "extract")}

    before = count()
    (rules / "userdict.txt").write_text((rules / "userdict.txt").read_text(encoding="utf-8") + "学生资助\n",
                                        encoding="utf-8")
    segment.tokenizer.cache_clear()
    segment.domain_words.cache_clear()
    try:
        run_pipeline([SEEDS[4]], out, RunOptions(jobs=1, progress=False, prune=False))  # keep the old entries
    finally:
        segment.tokenizer.cache_clear()
        segment.domain_words.cache_clear()
    assert count() == {"clean": before["clean"], "segment": before["segment"] + 1, "extract": before["extract"] + 1}


def test_bad_inputs_become_error_rows_and_the_run_goes_on(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "mixed.txt").write_bytes("达州市教育局2011年工作总结。".encode() * 20
                                       + "全市在园幼儿共15353名。".encode("gbk") * 20)
    (inputs / "scripts.html").write_text("<html><head><script>var x = 1;</script></head>"
                                         "<body><script>document.write('教育')</script></body></html>",
                                         encoding="utf-8")
    shutil.copy(SEEDS[4], inputs / "page.txt")
    shutil.copy(SEEDS[4], inputs / "page_copy.txt")
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tf:
        for seed in SEEDS[:3]:
            tf.add(seed, arcname=f"t/{seed.name}")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    out = tmp_path / "out"
    summary = run_pipeline([inputs, cut], out, _opts())
    errors = {(e["source"], e["stage"], e["reason"]) for e in read_records(out, "errors")}
    assert ("binary", "clean", "binary") in errors
    assert ("empty", "clean", "empty") in errors
    assert ("scripts", "clean", "no_documents") in errors
    assert ("page_copy", "read", "duplicate") in errors
    assert ("cut", "read", "truncated_archive") in errors
    mixed = [e for e in errors if e[0] == "mixed"]
    mixed_docs = [d for d in read_records(out, "documents") if d["source"] == "mixed"]
    assert mixed or mixed_docs  # decoded as best it can, or an error row: never a crash
    assert {d["source"] for d in read_records(out, "documents")} >= {"page"}
    assert "page_copy" not in {d["source"] for d in read_records(out, "documents")}
    assert summary["errors"]["duplicate"] == 1 and summary["errors_total"] == len(read_records(out, "errors"))
    assert read_records(out, "indicators")


@pytest.mark.parametrize("module, function, expected", [
    ("pipeline.stages.clean.clean", "clean_page", [("poison", "clean", "worker_crashed")]),
    ("pipeline.stages.segment.segment", "segment_columns", [("poison", "segment", "worker_crashed")]),
])
def test_a_page_that_kills_its_worker_is_an_error_row_and_the_rest_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, function: str, expected: list) -> None:
    import importlib

    mod = importlib.import_module(module)
    real = getattr(mod, function)

    def work_or_die(arg):  # type: ignore[no-untyped-def]
        if b"POISON" in getattr(arg, "data", b"") or "POISON" in getattr(arg, "text", ""):
            os._exit(3)  # as a segfault or the OOM killer would
        return real(arg)

    monkeypatch.setattr(mod, function, work_or_die)  # forked workers inherit it
    corpus = _mini_corpus(tmp_path / "corpus", 4)
    (corpus / "poison.txt").write_bytes(SEEDS[4].read_bytes() + "\n全市教育工作POISON。".encode())
    out = tmp_path / "out"
    # one shard of five pages: the others in the poisonous page's shard are kept (page by page)
    summary = run_pipeline([corpus], out, _opts(jobs=2, shard_pages=1000))
    assert summary["shards"] == 1
    errors = read_records(out, "errors")
    assert [(e["source"], e["stage"], e["reason"]) for e in errors] == expected
    assert len({r["source"] for r in read_records(out, "indicators")}) == 4
    assert summary["errors"] == {"worker_crashed": len(expected)}
    # a crash is not a result: once the page no longer kills its worker, the next run reads it
    monkeypatch.setattr(mod, function, real)
    clean = tmp_path / "clean"
    run_pipeline([corpus], clean, _opts(jobs=1, shard_pages=1000))
    for name in ("documents", "sentences", "mentions", "indicators"):  # the other pages: as in a whole run
        rows = [r for r in read_records(clean, name) if r["source"] != "poison"]
        assert [r for r in read_records(out, name) if r["source"] != "poison"] == rows, name
    again = run_pipeline([corpus], out, _opts(jobs=2, shard_pages=1000))
    assert again["errors_total"] == 0 and _tables(out) == _tables(clean)


def test_near_duplicates_are_linked_not_dropped(tmp_path: Path) -> None:
    text = SEEDS[1].read_text(encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_site.txt").write_text(text, encoding="utf-8")
    # the same bulletin elsewhere: other chrome, a few numbers changed
    (folder / "b_site.txt").write_text("首页 > 教育动态 > 正文\n" + text.replace("2016", "2017", 1)
                                       + "\n版权所有 某某县人民政府", encoding="utf-8")
    shutil.copy(SEEDS[4], folder / "c_other.txt")
    out = tmp_path / "out"
    run_pipeline([folder], out, _opts())
    docs = {d["source"]: d for d in read_records(out, "documents") if d["kept"]}
    assert docs["b_site"]["near_duplicate_of"] == docs["a_site"]["doc_id"]
    assert docs["a_site"]["near_duplicate_of"] is None and docs["c_other"]["near_duplicate_of"] is None
    assert {r["source"] for r in read_records(out, "indicators")} >= {"a_site", "b_site"}


def test_stage_commands_one_at_a_time_equal_a_whole_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.run.engines import WARM_UP_PAGE
    from pipeline.stages.segment import segment

    staged = tmp_path / "staged"
    run_stages(staged, ("clean",), SMALL, _opts())
    assert read_records(staged, "documents") and not (staged / "sentences").exists()
    with pytest.raises(RuntimeError, match="segment"):
        run_stages(staged, ("extract",), None, _opts())
    run_stages(staged, ("segment",), None, _opts())
    cuts: list[str] = []
    real_cut = segment.jieba_cut
    monkeypatch.setattr(segment, "jieba_cut", lambda text: cuts.append(text) or real_cut(text))
    run_stages(staged, ("extract",), None, _opts())
    # the extract stage alone reads the segment stage's tokens, it does not cut again (the engine's
    # warm-up page aside: it loads the tokenizer before the pages' time limits start)
    assert [c for c in cuts if c not in WARM_UP_PAGE] == []
    monkeypatch.undo()
    write_tables(staged)
    run_pipeline(SMALL, tmp_path / "whole", _opts())
    assert _tables(staged) == _tables(tmp_path / "whole")


def test_cli_run_prints_the_summary(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    result = CliRunner().invoke(main, ["run", str(SEEDS[4]), "--out", str(tmp_path / "o"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "pages read: 1" in result.output and "indicator records:" in result.output
    bad = CliRunner().invoke(main, ["segment", str(tmp_path)])
    assert bad.exit_code != 0 and "zhibiao clean" in bad.output and "Traceback" not in bad.output


_SEED_BYTES = [p.read_bytes() for p in SEEDS]


@st.composite
def _mutated_page(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SEED_BYTES)))
    start = draw(st.integers(0, max(0, len(data) - 1)))
    data = data[start:start + draw(st.integers(0, 3000))]
    for _ in range(draw(st.integers(0, 8))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        data[pos:pos + draw(st.integers(0, 4))] = draw(st.binary(max_size=6))
    return bytes(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages=st.lists(st.one_of(st.binary(max_size=400), _mutated_page()), min_size=1, max_size=4))
def test_clean_stage_never_crashes_on_random_or_mutated_pages(pages: list[bytes]) -> None:
    items = [Page(source=f"p{i}", path=f"p{i}.txt", data=d) for i, d in enumerate(pages)]
    out = stage("clean").run(Batch(pages=items))
    docs, errors, stats = out.records["documents"], out.errors, out.stats
    assert stats["pages"] == len(pages)
    assert all(isinstance(e, ErrorRecord) and e.stage == "clean" and e.reason for e in errors)
    # every page gives documents or an error row
    assert {d.source for d in docs} | {e.source for e in errors} == {p.source for p in items}


def test_extract_trusts_the_clean_stages_gate_and_gates_an_ungated_document_itself() -> None:
    """The runner gates documents once (clean stage) and tells extract so; extract_document called on
    a document that never went through the gate still runs it."""
    from pipeline.stages.clean.clean import clean_page
    from pipeline.stages.extract.extract import extract_document
    from pipeline.stages.segment.segment import segment_document

    other = ROOT / "corpora" / "articles" / "other_tax_bureau_2019.txt"
    doc = clean_page(Page("tax", str(other), other.read_bytes()))[0]
    assert doc.kept  # clean_page alone does not gate
    sentences, _ = segment_document(doc)
    mentions, indicators = extract_document(doc, sentences)
    assert mentions and not indicators and {m.reason for m in mentions} == {"off_topic"}
    docs = stage("clean").run(Batch(pages=[Page("tax", str(other), other.read_bytes())])).records["documents"]
    assert not docs[0].kept and docs[0].drop_reason == "off_topic"
    assert stage("extract").run(Batch(documents=docs, sentences=sentences)).records == {"mentions": [], "indicators": []}  # a dropped document yields nothing

    edu = SEEDS[1]
    docs = stage("clean").run(Batch(pages=[Page("edu", str(edu), edu.read_bytes())])).records["documents"]
    sentences = [s for d in docs if d.kept for s in segment_document(d)[0]]
    records = stage("extract").run(Batch(documents=docs, sentences=sentences)).records
    mentions, indicators = records["mentions"], records["indicators"]
    direct = [extract_document(d, [s for s in sentences if s.doc_id == d.doc_id]) for d in docs if d.kept]
    assert indicators and mentions == [m for ms, _ in direct for m in ms]
    assert indicators == [i for _, inds in direct for i in inds]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "lock"}


def test_a_broken_rule_file_stops_the_run_before_anything_is_read_or_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    out = tmp_path / "o"
    run_pipeline([SEEDS[4]], out, _opts())
    before = _snapshot(out)
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    triggers = rules / "triggers.yaml"
    triggers.write_text(triggers.read_text(encoding="utf-8").replace("pattern: ", "pattern: (", 1), encoding="utf-8")
    monkeypatch.setenv("ZHIBIAO_RULES", str(rules))
    for args in (["run", str(SEEDS[1]), "--out", str(out), "--jobs", "1"], ["extract", str(out), "--jobs", "1"],
                 ["run", str(SEEDS[1]), "--out", str(tmp_path / "new"), "--jobs", "1"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and re.match(rf"Error: {re.escape(str(triggers))}:\d+: bad pattern", lines[0]), lines
    assert _snapshot(out) == before  # the earlier run's tables and cache untouched
    assert not (tmp_path / "new").exists()


def test_a_page_with_a_bad_byte_is_kept_and_its_replaced_characters_counted(tmp_path: Path) -> None:
    data = SEEDS[4].read_bytes()
    page = tmp_path / "damaged.txt"
    page.write_bytes(data[: len(data) // 2] + b"\xff" + data[len(data) // 2:])
    summary = run_pipeline([page, SEEDS[1]], tmp_path / "o", _opts())
    assert summary["errors_total"] == 0 and summary["pages_with_replaced_chars"] == 1
    docs = {d["source"]: d for d in read_records(tmp_path / "o", "documents")}
    assert docs["damaged"]["kept"] and json.loads(docs["damaged"]["stats"])["replaced_chars"] >= 1
    assert "replaced_chars" not in json.loads(docs[SEEDS[1].stem]["stats"])
    assert any(r["source"] == "damaged" for r in read_records(tmp_path / "o", "indicators"))
    from pipeline.run.runner import format_summary

    assert "kept with replacement characters: 1" in format_summary(summary)
