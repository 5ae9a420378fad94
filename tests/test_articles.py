"""News list pages: one document per item (title line + 发布时间 line), dated by its publication line."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from pipeline.aligned import map_offset
from pipeline.clean import clean_page
from pipeline.records import Page

LIST_PAGE = """青禾县教育信息网
首页 > 工作动态

青禾县：秋季学期新增公办学位2400个
发布时间：2023-09-05  来源：县教育局
今年秋季学期，全县新建幼儿园3所，新增公办学位2400个，小学一年级新生入学1850人。

青禾县中小学教师招聘工作启动

发布日期：2024年3月12日 浏览：356次
今年全县计划招聘中小学教师180名，其中农村学校120名。
"""

SINGLE_ARTICLE = """青禾县2023年教育工作总结
发布时间：2024-01-15  来源：县教育局
今年全县新建幼儿园3所，小学一年级新生入学1850人。
"""


def _clean(text: str) -> list:
    return clean_page(Page(source="list", path="list.txt", data=text.encode("utf-8")))


def test_list_page_splits_into_items_with_their_titles_and_years() -> None:
    docs = _clean(LIST_PAGE)
    assert [(d.title, d.year) for d in docs] == [
        ("青禾县教育信息网", None),
        ("青禾县：秋季学期新增公办学位2400个", 2023),
        ("青禾县中小学教师招聘工作启动", 2024),
    ]
    assert docs[1].text.startswith("青禾县：秋季学期") and "招聘" not in docs[1].text
    assert docs[2].text.endswith("其中农村学校120名。")


def test_second_item_offsets_map_back_to_the_raw_page() -> None:
    doc = _clean(LIST_PAGE)[2]
    for i, ch in enumerate(doc.text):
        if ch != "\n":
            assert LIST_PAGE[map_offset(doc.offset_clean, doc.offset_raw, i)] == ch
    assert map_offset(doc.offset_clean, doc.offset_raw, 0) == LIST_PAGE.index("青禾县中小学教师招聘")


def test_single_dated_article_is_not_split() -> None:
    docs = _clean(SINGLE_ARTICLE)
    assert [(d.title, d.year) for d in docs] == [("青禾县2023年教育工作总结", 2023)]


def test_relative_year_of_an_item_resolves_to_its_publication_year(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "list.txt").write_text(LIST_PAGE, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(pages), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rows = pq.read_table(tmp_path / "out" / "indicators").to_pylist()
    years = {r["quote"]: r["year"] for r in rows}
    assert years["全县新建幼儿园3所"] == 2023  # 今年 of the item published 2023-09-05
    assert years["今年全县计划招聘中小学教师180名"] == 2024  # 今年 of the item published 2024-03-12
