"""News list pages: one document per item (title line + 发布时间 line), dated by its publication line."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.records import Page
from pipeline.stages.clean.clean import clean_page
from pipeline.text.aligned import map_offset

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


REPORTING_YEAR_CASES = [
    ("达州市教育局2011年工作总结", "全市共有中小学1850所。", 2011),
    ("江西于都县2012高考本科上线率达41.2%", "据县教育局消息。", 2012),
    # a site name for a title: the report's own title line below it names the year
    ("凤岭县教育局门户网站", "凤岭县2023年教育事业统计快报\n发布时间:2024-03-18 09:30\n根据通知要求。", 2023),
    # an opening line that starts with the year, or with the date the figures stand at
    ("", "【教育基本情况】 2021年,全县各级各类学校共计456所。", 2021),
    ("", "截止2013年3月,全州共有各级各类学校1049所。", 2013),
    # a news item naming the report it is about
    ("福建15年教育普及率升至98.87", "2020-05-11 04:12\n福建省教育厅日前对外公布2019年福建省教育事业发展统计公报。", 2019),
    # a notice names its period too (关于下达2023年秋季学期…资金的通知)
    ("某县人民政府  政府信息公开专栏", "某县财政局 某县教育局关于下达2023年秋季学期学生资助资金的通知\n各乡镇中心学校:", 2023),
    # spans, masked years and timestamps are no reporting year
    ("2020~2021学年初玉林市教育统计基本情况", "一、学生情况", None),
    ("2023年度某县-学年度教育工作自查报告", "一、基本情况", None),
    ("区政府履行教育职责自查报告范文", "时间:2021-11-08 09:12:47\n一、基本情况", None),
    # a year further down the text is not the opening's
    ("", "荆楚网讯2021年1月8日,县长作《政府工作报告》。\n回顾2020年。\n2021年,全县将推进学前教育。", None),
]


def test_a_headline_led_by_its_speaker_titles_the_page_and_its_relative_year_takes_the_dateline() -> None:
    """A hijacked page: an SEO keyword title and a breadcrumb above a news headline (教育部:去年…)."""
    from pipeline.records import Page
    from pipeline.stages.clean.clean import clean_page

    raw = ("久久精品视频在线_日韩高清一区二区_一本久道综合在线_免费影院在线观看\n人民网\n人民网>>教育>>本网原创\n"
           "教育部:去年全国幼儿园数量达到29.1万所\n10年增加12.4万所\n2022年05月18日16:26 | 来源:人民网-教育频道\n"
           "全国共有幼儿园29.1万所,普惠性幼儿园在园幼儿占比为87.6%。\n").encode()
    (doc,) = clean_page(Page("n", "n.txt", raw))
    assert doc.title == "教育部:去年全国幼儿园数量达到29.1万所"
    assert doc.reporting_year == 2021


def test_a_news_item_dates_its_relative_years_by_its_posting_line() -> None:
    """Codebook step 3: in a news item 今年/去年 are its publication year's; a report posted later is not news."""
    from pipeline.records import Page
    from pipeline.stages.clean.clean import clean_page

    news = ("某县新闻网 首页 | 教育\n我县高考再创佳绩 本科上线人数创历史新高\n"
            "2023-07-02 10:35  来源:某县融媒体中心  作者:记者 周琳\n"
            "今年高考成绩正式揭晓。记者从县教育局获悉,今年我县本科上线3126人,比去年增加287人。\n")
    (doc,) = clean_page(Page("n", "n.txt", news.encode()))
    assert doc.year == 2023 and doc.reporting_year is None  # a timestamp is never a reporting year
    summary = ("某范文网\n教育局年度工作总结\n发布时间:2022-03-09 来源:网友投稿\n"
               "今年以来,我局认真落实各项工作,全年新建幼儿园3所。\n")
    (doc,) = clean_page(Page("s", "s.txt", summary.encode()))
    assert doc.year is None


@pytest.mark.parametrize("first", [
    "禾丰新闻网  首页 | 时政要闻 | 乡镇动态 | 民生 | 教育",
    "无障碍浏览 | 长者模式 | 繁体版   欢迎访问某县人民政府门户网站",
    "【免费领取】2023高考志愿填报指南_名校录取分数线_中考真题下载_一键查询",
])
def test_a_navigation_bar_or_keyword_title_is_not_the_page_title(first: str) -> None:
    from pipeline.stages.clean.articles import reporting_year, split_articles

    text = f"{first}\n江西省2022年教育事业发展统计公报发布\n全省共有幼儿园1.5万所。\n"
    (span,) = split_articles(text)
    assert span.title == "江西省2022年教育事业发展统计公报发布"
    assert reporting_year(span.title, text) == 2022


@pytest.mark.parametrize("title,text,expected", REPORTING_YEAR_CASES, ids=[c[0][:8] + c[1][:8] for c in REPORTING_YEAR_CASES])
def test_reporting_year(title: str, text: str, expected: int | None) -> None:
    from pipeline.stages.clean.articles import reporting_year

    assert reporting_year(title, text) == expected


def test_a_posting_line_dates_a_news_item_whose_lead_opens_with_the_day() -> None:
    from pipeline.stages.clean.articles import publication_year

    head = "利川:营养餐“加餐” 农村学子吃得更好\n发布时间:2023-09-12 08:47 来源:市教育局 浏览:3268次\n"
    assert publication_year(head + "9月11日中午12时,汪营镇中心小学食堂里饭菜飘香。") == 2023
    # a work summary posted later, whose text opens otherwise, is not dated by its posting
    assert publication_year(head + "一年来,我局坚持以立德树人为根本任务。") is None


NEWS_LIST = ("县区新闻 - 汉中新闻网\n首页 | 汉中要闻 | 县区新闻\n"
             "洋县2024年高考再创佳绩\n2024-06-28 11:47\n6月25日高考成绩公布。今年全县本科上线1734人,较去年增加126人。\n"
             "勉县召开2024年教育工作会议\n2024-03-15 16:20\n3月14日,勉县召开会议。去年全县新建、改扩建学校6所。\n"
             "西乡县扎实开展教师全员培训\n2023-12-20 10:03\n今年,西乡县累计培训教师5600余人次。\n")


def test_a_news_list_dated_by_dates_alone_is_split_into_its_items() -> None:
    docs = clean_page(Page("list", "list.txt", NEWS_LIST.encode("utf-8")))
    items = [(d.title, d.year, d.region_code) for d in docs if d.title != "县区新闻 - 汉中新闻网"]
    # each item its own date's year and its own place (洋县 and 勉县: two-character county names)
    assert [(t[:4], y) for t, y, _c in items] == [("洋县20", 2024), ("勉县召开", 2024), ("西乡县扎", 2023)]
    assert [c for _t, _y, c in items] == ["610723", "610725", "610724"]


@pytest.mark.parametrize("tail", [
    # a report's signature: its issuer, then the date alone
    "霍山县教育体育局\n2022年3月18日\n",
    # comments under an article: a name, then the date alone
    "兴国老表\n2023-06-24 10:12\n厉害了!\n路过的家长\n2023-06-24 11:30\n恭喜恭喜\n",
])
def test_dates_alone_after_a_report_do_not_split_it(tail: str) -> None:
    body = "霍山县2020年度教育经费执行情况统计公告\n" + "2020年,我县各渠道教育经费投入合计58642万元,较上年增长-5.32%。\n" * 12
    docs = clean_page(Page("r", "r.txt", (body + tail).encode("utf-8")))
    assert len(docs) == 1 and docs[0].title.startswith("霍山县2020年度")


@pytest.mark.parametrize("chrome", ["昆山市人民政府", "网站首页  走进昆山  政务公开  政务服务  政民互动  专题专栏"])
def test_a_site_name_or_a_menu_line_is_never_the_title(chrome: str) -> None:
    page = (f"{chrome}\n网站首页  走进昆山  政务公开  政务服务\n首页>>教育新闻\n2024年我市普通高中招生录取工作圆满完成\n"
            "7月16日,我市2024年普通高中第二批次录取工作结束。全市现有普通高中14所。\n")
    doc = clean_page(Page("ks", "ks.txt", page.encode("utf-8")))[0]
    assert doc.title == "2024年我市普通高中招生录取工作圆满完成" and doc.year == 2024
