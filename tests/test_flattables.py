"""Tables flattened to one cell a line (a bar after each cell) are put back into rows."""

from __future__ import annotations

from pipeline.aligned import AlignedText
from pipeline.flattables import rejoin_flat_tables
from pipeline.tablecells import table_cells

FLAT = ("2023年全市基础教育情况表\n类别 |\n学校数 |\n在校生数 |\n专任教师数 |\n"
        "学前教育 |\n612 |\n117863 |\n8571 |\n普通高中 |\n53 |\n6712 |\n"
        "小学 |\n318 |\n352617 |\n18034 |\n备注:数据取自年度统计。")


def test_flat_table_becomes_rows_and_offsets_stay_exact() -> None:
    at = rejoin_flat_tables(AlignedText.from_raw(FLAT))
    lines = at.text.split("\n")
    assert lines[1] == "类别\t学校数\t在校生数\t专任教师数"
    assert lines[2] == "学前教育\t612\t117863\t8571"
    # a row with a cell lost: its numbers are one cell of bare numbers beside its label
    assert lines[3] == "普通高中\t53 6712"
    assert lines[4] == "小学\t318\t352617\t18034"
    for word in ("612", "352617", "备注"):
        i = at.text.index(word)
        lo, hi = at.raw_span(i, i + len(word))
        assert FLAT[lo:hi] == word


def test_flat_table_cells_read_with_headers_and_counted_units() -> None:
    text = rejoin_flat_tables(AlignedText.from_raw(FLAT)).text
    phrases = [r.text for rs in table_cells(text).values() for r in rs]
    assert "2023年学前教育学校数 612所" in phrases
    assert "2023年小学在校生数 352617人" in phrases
    # the row that lost a cell gives no header to its numbers: they are read as bare text
    assert [p for p in phrases if "6712" in p] == ["53 6712"]


def test_bars_outside_a_table_stay() -> None:
    text = "湘西网 |\n保靖义务教育大班额实现动态清零\n时间:2020-12-22 |"
    assert rejoin_flat_tables(AlignedText.from_raw(text)).text == text
