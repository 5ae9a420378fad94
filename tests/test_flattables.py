"""Tables flattened to one cell a line (a bar after each cell) are put back into rows."""

from __future__ import annotations

import pytest

from pipeline.stages.clean.flattables import rejoin_flat_tables
from pipeline.stages.extract.tablecells import table_cells
from pipeline.text.aligned import AlignedText

FLAT = ("2023年全市基础教育情况表\n类别 |\n学校数 |\n在校生数 |\n专任教师数 |\n"
        "学前教育 |\n612 |\n117863 |\n8571 |\n普通高中 |\n53 |\n6712 |\n"
        "小学 |\n318 |\n352617 |\n18034 |\n备注:数据取自年度统计。")


def test_flat_table_becomes_rows_and_offsets_stay_exact() -> None:
    at = rejoin_flat_tables(AlignedText.from_raw(FLAT))
    lines = at.text.split("\n")
    assert lines[1] == "类别\t学校数\t在校生数\t专任教师数"
    assert lines[2] == "学前教育\t612\t117863\t8571"
    # a row with a cell lost is a row of cells too: the table reader decides their columns
    assert lines[3] == "普通高中\t53\t6712"
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
    # the row that lost a cell: 53 may be schools or students, 6712 students or teachers, so each
    # carries the phrase of its other column and gives no record unless both agree
    lost = {r.cell: r for rs in table_cells(text).values() for r in rs if r.cell in ("53", "6712")}
    assert lost["53"].text == "2023年普通高中学校数 53所"
    assert [a for a, _at in lost["53"].alternatives] == ["2023年普通高中在校生数 53人"]
    assert [a for a, _at in lost["6712"].alternatives] == ["2023年普通高中专任教师数 6712人"]


def test_bars_outside_a_table_stay() -> None:
    text = "湘西网 |\n保靖义务教育大班额实现动态清零\n时间:2020-12-22 |"
    assert rejoin_flat_tables(AlignedText.from_raw(text)).text == text


COLUMN_TABLE = ("“十四五”教育事业发展主要指标\n指  标\n2020年\n2025年\n属性\n一、普及水平\n"
                "1.学前教育毛入园率(%)\n98.6%\n99%以上\n约束性\n"
                "4.义务教育标准班额比例(%)\n其中:小学\n初中\n41.36%\n72.85%\n85%以上\n90%以上\n预期性\n"
                "1.幼儿园教师专科及以上学历比例(%)\n其中:本科及以上学历比例(%)\n96.52%\n46.18%\n100%\n55%\n预期性\n"
                "本文仅代表作者观点,不代表本站立场。")


def test_a_table_laid_out_one_cell_a_line_is_read_column_by_column() -> None:
    readings = {r.cell: r.text for rs in table_cells(COLUMN_TABLE).values() for r in rs}
    assert readings["98.6%"] == "2020年学前教育毛入园率 98.6%"
    # a plan's table (属性 约束性/预期性): the later year is a target
    assert readings["99%以上"] == "2025年目标学前教育毛入园率 99%以上"
    # sub-rows: values go column by column, one per sub-row
    assert readings["72.85%"] == "2020年初中义务教育标准班额比例 72.85%"
    assert readings["90%以上"] == "2025年目标初中义务教育标准班额比例 90%以上"
    assert readings["46.18%"] == "2020年幼儿园教师专科及以上学历比例其中本科及以上学历比例 46.18%"
    assert len(readings) == 10
    for rs in table_cells(COLUMN_TABLE).values():
        for r in rs:
            assert COLUMN_TABLE[r.cell_start:r.cell_start + len(r.cell)] == r.cell


PLAIN = ("2022年全县教育基本情况\n学段\n学校数\n在校生数\n专任教师数\n生师比\n幼儿园\n186\n21460\n1532\n14.01\n"
         "小学\n142\n58230\n3410\n17.08\n初中\n31215\n2644\n11.81\n全县共有学校378所。")


def test_a_table_one_cell_a_line_without_bars_opens_with_its_heads() -> None:
    at = rejoin_flat_tables(AlignedText.from_raw(PLAIN))
    assert at.text.split("\n")[1:5] == ["学段\t学校数\t在校生数\t专任教师数\t生师比", "幼儿园\t186\t21460\t1532\t14.01",
                                        "小学\t142\t58230\t3410\t17.08", "初中\t31215\t2644\t11.81"]
    phrases = {r.cell: r.text for rs in table_cells(at.text).values() for r in rs}
    # 初中 lost its school count: 31215 / 2644 = 11.81 puts its cells in their columns
    assert phrases["31215"] == "2022年初中在校生数 31215人"


@pytest.mark.parametrize("text", [
    "项目\n进展顺利\n全面完成\n建设学校\n3\n5\n7\n",  # column lines that name no measure
    "学段\n学校数\n幼儿园\n186\n",  # one column: no table
    "2022年全县教育基本情况\n学校数\n在校生数\n幼儿园\n186\n21460\n",  # no label column head
])
def test_short_lines_that_are_no_table_stay(text: str) -> None:
    assert rejoin_flat_tables(AlignedText.from_raw(text)).text == text


def test_a_markdown_table_loses_its_rule_line_and_becomes_rows() -> None:
    md = "全县学校情况\n| 学段 | 学校数 | 在校生数 |\n|---|:---:|---|\n| 小学 | 12 | 3400 |\n| 初中 | 5 | 2100 |\n注:-- 无\n"
    at = rejoin_flat_tables(AlignedText.from_raw(md))
    assert at.text.split("\n")[1:4] == ["学段\t学校数\t在校生数", "小学\t12\t3400", "初中\t5\t2100"]
    assert at.text.endswith("注:-- 无\n")
    i = at.text.index("3400")
    assert md[slice(*at.raw_span(i, i + 4))] == "3400"
