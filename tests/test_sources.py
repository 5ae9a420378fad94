"""Input kinds: files, directories, .zip, .tar.gz, JSON Lines, WARC; source names; unreadable inputs."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from pipeline.records import ErrorRecord, Page
from pipeline.run.sources import iter_inputs

CORPORA = Path(__file__).resolve().parent.parent / "corpora"
SEEDS = sorted(CORPORA.glob("*.txt"))


def _pages(items: list) -> list[Page]:
    return [i for i in items if isinstance(i, Page)]


def _errors(items: list) -> list[ErrorRecord]:
    return [i for i in items if isinstance(i, ErrorRecord)]


def test_plain_files_are_named_by_their_stem_as_the_gold_is() -> None:
    items = list(iter_inputs([SEEDS[0]]))
    assert [p.source for p in _pages(items)] == ["000_07bb8635d2c48c09"]
    assert items[0].data == SEEDS[0].read_bytes()


def test_directories_are_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "b" / "c" / "2.htm").write_text("<p>二</p>", encoding="utf-8")
    (tmp_path / "b" / "1.html").write_text("<p>一</p>", encoding="utf-8")
    (tmp_path / "a.txt").write_text("甲", encoding="utf-8")
    (tmp_path / "notes.md").write_text("skip me", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text("hidden", encoding="utf-8")
    assert [p.source for p in _pages(list(iter_inputs([tmp_path])))] == ["a", "1", "2"]
    assert [p.source for p in _pages(list(iter_inputs([CORPORA])))][:5] == [p.stem for p in SEEDS]


def test_zip_members_are_named_by_their_path_in_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "pages.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("site/a/001.txt", SEEDS[1].read_bytes())
        zf.writestr("site/readme.pdf", b"%PDF")
        zf.writestr("site/b/004.html", SEEDS[4].read_bytes())
    pages = _pages(list(iter_inputs([archive])))
    assert [p.source for p in pages] == ["site/a/001.txt", "site/b/004.html"]
    assert pages[0].data == SEEDS[1].read_bytes() and pages[0].path == f"{archive}!site/a/001.txt"


def _tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_tar_gz_members_and_a_truncated_archive(tmp_path: Path) -> None:
    archive = tmp_path / "pages.tar.gz"
    _tar(archive, {"x/000.txt": SEEDS[0].read_bytes(), "x/002.txt": SEEDS[2].read_bytes()})
    assert [p.source for p in _pages(list(iter_inputs([archive])))] == ["x/000.txt", "x/002.txt"]
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    items = list(iter_inputs([cut]))
    errors = _errors(items)
    assert len(errors) == 1 and errors[0].reason == "truncated_archive" and errors[0].stage == "read"
    assert len(_pages(items)) <= 1  # the first member may be whole


def test_json_lines_pages_with_url_text_or_html_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "crawl.jsonl"
    lines = [
        json.dumps({"url": "http://edu.example.cn/1", "text": SEEDS[4].read_text(encoding="utf-8"),
                    "metadata": {"site": "example"}}, ensure_ascii=False),
        json.dumps({"url": "http://edu.example.cn/2", "html": "<html><body><p>全市在园幼儿共15353名。</p></body></html>"},
                   ensure_ascii=False),
        "{not json",
        json.dumps({"url": "http://edu.example.cn/3"}),
        "",
        json.dumps({"text": "小学入学率达到99.99%。"}, ensure_ascii=False),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(iter_inputs([path]))
    pages = _pages(items)
    assert [p.source for p in pages] == ["http://edu.example.cn/1", "http://edu.example.cn/2", "crawl:6"]
    assert pages[0].meta["metadata"] == {"site": "example"} and pages[1].meta["content_type"] == "text/html"
    assert [(e.source, e.reason) for e in _errors(items)] == [("crawl:3", "bad_json_line"), ("crawl:4", "bad_json_line")]


def test_warc_responses_are_pages_named_by_url(tmp_path: Path) -> None:
    pytest.importorskip("warcio")
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i, seed in enumerate(SEEDS[3:5]):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/plain; charset=utf-8")], protocol="HTTP/1.0")
            rec = writer.create_warc_record(f"http://gov.example.cn/{i}", "response",
                                            payload=io.BytesIO(seed.read_bytes()), http_headers=headers)
            writer.write_record(rec)
    pages = _pages(list(iter_inputs([path])))
    assert [p.source for p in pages] == ["http://gov.example.cn/0", "http://gov.example.cn/1"]
    assert pages[1].data == SEEDS[4].read_bytes()


def test_mixed_inputs_in_one_call_and_a_bad_zip(tmp_path: Path) -> None:
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    items = list(iter_inputs([SEEDS[4], bad, tmp_path / "missing.txt"]))
    assert [p.source for p in _pages(items)] == [SEEDS[4].stem]
    assert [e.reason for e in _errors(items)] == ["bad_archive", "not_found"]


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reader"


@pytest.mark.parametrize(("name", "expected"), [
    # a lone surrogate in the text (line 2) and in the url (line 3): each line its own row
    ("surrogate.jsonl", [("u1", ""), ("surrogate:2", "bad_json_line"), ("surrogate:3", "bad_json_line"), ("u4", "")]),
    # nesting deeper than Python's stack (RecursionError)
    ("deep.jsonl", [("u1", ""), ("deep:2", "bad_json_line"), ("u3", "")]),
    ("encrypted.zip", [("a.txt", ""), ("b.txt", "encrypted"), ("c.txt", "")]),
    ("unknown_method.zip", [("a.txt", ""), ("b.txt", "unsupported_compression"), ("c.txt", "")]),
    ("corrupt_deflate.zip", [("a.txt", ""), ("b.txt", "truncated_archive"), ("c.txt", "")]),
    ("corrupt_lzma.zip", [("a.txt", ""), ("b.txt", "truncated_archive"), ("c.txt", "")]),
    # a compressed stream cannot be read past the damage: the member before it is kept
    ("corrupt_deflate.tar.gz", [("a.txt", ""), ("corrupt_deflate", "truncated_archive")]),
    # the zip's central directory asks for a version Python cannot read: the archive is one row
    ("bad_version.zip", [("bad_version", "bad_archive")]),
])
def test_a_damaged_member_or_line_is_its_own_error_row_and_the_rest_is_read(name: str, expected: list) -> None:
    items = list(iter_inputs([FIXTURES / name, SEEDS[0]]))
    assert [(i.source, getattr(i, "reason", "")) for i in items[:-1]] == expected
    assert all(e.stage == "read" for e in _errors(items))
    assert isinstance(items[-1], Page) and items[-1].source == SEEDS[0].stem  # the next input is read too


def test_broken_links_and_unreadable_folders_are_error_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    (tmp_path / "a.txt").write_text("甲", encoding="utf-8")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "loop1.txt").symlink_to(tmp_path / "loop2.txt")
    (tmp_path / "loop2.txt").symlink_to(tmp_path / "loop1.txt")
    (tmp_path / "notes.md").symlink_to(tmp_path / "nowhere.md")  # not an input: no row
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.txt").write_text("乙", encoding="utf-8")
    scandir = os.scandir

    def refuse(path: object = ".") -> object:  # root reads any folder: refuse one as a mode-000 folder would
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", refuse)
    items = list(iter_inputs([tmp_path]))
    assert [p.source for p in _pages(items)] == ["a"]
    rows = sorted((e.source, e.reason) for e in _errors(items))
    assert rows == [("gone", "broken_link"), ("locked", "unreadable"), ("loop1", "broken_link"),
                    ("loop2", "broken_link")]
