"""AlignedText (pipeline/text/aligned.py): edits keep every character's raw offset; anchors compress it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.aligned import AlignedText, map_offset, map_span

SEED_004 = next((Path(__file__).resolve().parent.parent / "corpora").glob("004_*.txt"))
LINE = "2021-4-10 | 計劃總結(jié)\n年全市教育工作的總體要求是:學習貫徹市十次黨代會精神"


def offsets(at: AlignedText) -> list[int]:
    return [int(x) for x in at.raw]


def test_from_raw_is_identity_and_one_anchor() -> None:
    at = AlignedText.from_raw(LINE, base=5)
    assert offsets(at) == list(range(5, 5 + len(LINE)))
    assert at.anchors() == ([0], [5])


def test_deletion_drops_offsets() -> None:
    at = AlignedText.from_raw(LINE).sub(r"\((?:jié)\)", "")
    assert at.text.startswith("2021-4-10 | 計劃總結\n")
    k = at.text.index("\n")
    assert LINE[at.raw[k]] == "\n" and at.raw[k] == LINE.index("\n")
    oc, orw = at.anchors()
    assert oc == [0, k] and orw == [0, LINE.index("\n")]


def test_equal_length_replacement_maps_char_for_char() -> None:
    at = AlignedText.from_raw("巩固率为９９．１０％").sub(r"[０-９．％]+", lambda m: m.group(0).translate(
        {ord(c): chr(ord(c) - 0xFEE0) for c in m.group(0)}))
    assert at.text == "巩固率为99.10%"
    assert offsets(at) == list(range(len(at.text)))


def test_longer_replacement_maps_to_match_start() -> None:
    at = AlignedText.from_raw("共15所学校").sub("所", "所（处）")
    assert at.text == "共15所（处）学校"
    assert offsets(at) == [0, 1, 2, 3, 3, 3, 3, 4, 5]


def test_translate_keeps_offsets_and_rejects_length_change() -> None:
    at = AlignedText.from_raw("全媔落实笁作")
    out = at.translate({ord("媔"): "面", ord("笁"): "工"})
    assert out.text == "全面落实工作" and offsets(out) == offsets(at)
    with pytest.raises(ValueError):
        at.translate({ord("媔"): "面面"})


def test_map_segments_per_line() -> None:
    at = AlignedText.from_raw("總結\n學習")
    out = at.map_segments(lambda s: s.replace("總結", "总结").replace("學習", "学习"))
    assert out.text == "总结\n学习" and offsets(out) == [0, 1, 2, 3, 4]
    shorter = at.map_segments(lambda s: s[:1])
    assert shorter.text == "總\n學" and offsets(shorter) == [0, 2, 3]


def test_strip_and_slices() -> None:
    at = AlignedText.from_raw("  教育工作  \n")
    st_ = at.strip()
    assert st_.text == "教育工作" and offsets(st_) == [2, 3, 4, 5]
    assert AlignedText.from_raw("   ").strip().text == ""
    assert at[2:4].raw_span(0, 2) == (2, 4)


def test_map_offset_and_span_on_anchors() -> None:
    at = AlignedText.from_raw("分享\n全县大班额比例由21.23%下降至8.52%\nAD位1").sub(r"^分享\n|\nAD位1$", "",
                                                                           flags=regex.MULTILINE)
    oc, orw = at.anchors()
    assert at.text == "全县大班额比例由21.23%下降至8.52%"
    start = at.text.index("21.23%")
    assert map_span(oc, orw, start, start + 6) == (start + 3, start + 9)
    assert map_offset(oc, orw, 0) == 3
    assert map_span(oc, orw, 4, 4) == (7, 7)


def test_seed_page_round_trip() -> None:
    raw = SEED_004.read_text(encoding="utf-8")
    at = AlignedText.from_raw(raw).sub(r"(?<=\p{Han})\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+\)", "")
    oc, orw = at.anchors()
    assert "總結\n" in at.text and "(jié)" not in at.text
    assert len(oc) > 100  # one anchor per deleted note
    for i in range(len(at.text)):
        assert raw[map_offset(oc, orw, i)] == at.text[i]


edits = st.lists(st.tuples(st.sampled_from(["a", "教", "1", "\n", "%"]), st.sampled_from(["", "x", "教育", "Z"])),
                 max_size=5)


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet="ab教育1%\n ", max_size=60), edits=edits)
def test_anchors_reproduce_every_offset(text: str, edits: list[tuple[str, str]]) -> None:
    at = AlignedText.from_raw(text)
    for pattern, repl in edits:
        at = at.sub(regex.escape(pattern), repl)
        assert len(at.raw) == len(at.text)
        assert np.all(at.raw >= 0) and np.all(at.raw <= max(len(text), 0))
    oc, orw = at.anchors()
    assert [map_offset(oc, orw, i) for i in range(len(at.text))] == offsets(at)
