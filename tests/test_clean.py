"""The clean stage on the real seed pages (corpora/) and on tables of real seed sentences."""

from __future__ import annotations

import html
import json
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import opencc
import pytest
import regex

from pipeline.records import Document, Page
from pipeline.stages.clean.articles import document_year, split_articles
from pipeline.stages.clean.clean import (
    PINYIN_NOTE,
    CleanError,
    clean_page,
    clean_pages,
    normalize_text,
    variant_map,
)
from pipeline.stages.clean.flattables import rejoin_flat_tables
from pipeline.text.aligned import AlignedText, map_offset

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "corpora").glob("*.txt"))
GOLD = ROOT / "gold"


def page_of(path: Path, data: bytes | None = None, name: str | None = None) -> Page:
    return Page(source=path.stem, path=name or str(path), data=path.read_bytes() if data is None else data)


@cache
def cleaned(stem: str) -> tuple[Document, ...]:
    path = next(p for p in SEEDS if p.stem.startswith(stem))
    return tuple(clean_page(page_of(path)))


def all_text(stem: str) -> str:
    return "\n".join(d.text for d in cleaned(stem))


def norm(text: str) -> str:
    return normalize_text(AlignedText.from_raw(text)).text


def covered_raw(doc: Document) -> np.ndarray:
    """Raw offset of every clean character of ``doc``."""
    return np.array([map_offset(doc.offset_clean, doc.offset_raw, i) for i in range(len(doc.text))], dtype=np.int64)


# --- character normalisation ----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "clean"), [
    ("健全机制,高位推进我县加强对义务教育均衡发展笁作的领导", "健全机制,高位推进我县加强对义务教育均衡发展工作的领导"),
    ("(一)全媔落实“两个到位”实现全义务教育均衡统筹推进。", "(一)全面落实“两个到位”实现全义务教育均衡统筹推进。"),
    ("制定《横县国囻经济和社会发展第十三个五年规划纲要》", "制定《横县国民经济和社会发展第十三个五年规划纲要》"),
    ("与经济社会发展同研究、同蔀署、同实施", "与经济社会发展同研究、同部署、同实施"),
    ("坚持教育优先发展战略以敎育均衡、优质、内涵为主题", "坚持教育优先发展战略以教育均衡、优质、内涵为主题"),
    ("符合国家规定的小学尛于或等于0.65", "符合国家规定的小学小于或等于0.65"),
    ("学校教育实践活动整改落实再“囙头看”情况报告", "学校教育实践活动整改落实再“回头看”情况报告"),
    ("县委召开了12佽常委会县政府召开了50次常务会", "县委召开了12次常委会县政府召开了50次常务会"),
    ("茬推进义务教育均衡发展工作中", "在推进义务教育均衡发展工作中"),
    ("按照目湔教师缺额情况", "按照目前教师缺额情况"),
    ("开展名校长、名师、名班主任培训囲190人", "开展名校长、名师、名班主任培训共190人"),
    ("我县在推进义务教育均衡发展工作Φ,虽然取得了较好的成绩", "我县在推进义务教育均衡发展工作中,虽然取得了较好的成绩"),
    ("解决了进城务工人员的后顾の忧", "解决了进城务工人员的后顾之忧"),
    ("实施中小学D建“双优”工程", "实施中小学党建“双优”工程"),
    ("全面落实在校生人每天4元嘚营养改善补助标准", "全面落实在校生人每天4元的营养改善补助标准"),
    # real words that look like variants stay
    ("收割后的麦茬要及时处理", "收割后的麦茬要及时处理"),
    ("湔洗旧案", "湔洗旧案"),
    ("TDD开发", "TDD开发"),
])
def test_variant_characters_map_back(raw: str, clean: str) -> None:
    assert norm(raw) == clean


@pytest.mark.parametrize(("raw", "clean"), [
    ("2021-4-10 | 計劃總結(jié)", "2021-4-10 | 计划总结"),
    ("推進教育改革創(chuàng)新,加快教育現(xiàn)代化進程", "推进教育改革创新,加快教育现代化进程"),
    ("對普惠性幼兒園3-5歲在園困難兒童資助標準為每人每年1200元", "对普惠性幼儿园3-5岁在园困难儿童资助标准为每人每年1200元"),
    ("保障機制、教師隊伍", "保障机制、教师队伍"),
    ("教育(Education)狭义上指专门组织的学校教育", "教育(Education)狭义上指专门组织的学校教育"),
    # notes between a number and its unit, full-width, spaced, toneless, tone digits, several syllables
    ("在校生75.6萬(wàn)人,提高2.1個(gè)百分點(diǎn)", "在校生75.6万人,提高2.1个百分点"),
    ("在校生75.6萬（wàn）人", "在校生75.6万人"),
    ("在校生75.6 萬 (wàn) 人", "在校生75.6 万 人"),
    ("共有19.74萬個(ge)班", "共有19.74万个班"),
    ("比上年增長(zeng1 zhang3)3.2%", "比上年增长3.2%"),
    ("增長(zēngzhǎng)3.2%", "增长3.2%"),
    ("開發智能(app)與(pdf)文檔", "开发智能(app)与(pdf)文档"),
    ("學校(含教學點)", "学校(含教学点)"),
    ("入学率达到１２３．５％,共２０所", "入学率达到123.5%,共20所"),
    ("时间为１０：３０，地点：学校", "时间为10:30，地点：学校"),
    ("巩固率为99.10%、99.07%;初中", "巩固率为99.10%、99.07%;初中"),
    # an ideographic full stop as a decimal point before a unit; a sentence end stays
    ("学前教育毛入园率达87。6%,全国幼儿园29。31万所", "学前教育毛入园率达87.6%,全国幼儿园29.31万所"),
    ("学校21所。2021年全县", "学校21所。2021年全县"),
])
def test_traditional_pinyin_and_fullwidth(raw: str, clean: str) -> None:
    assert norm(raw) == clean


def test_a_dropped_note_keeps_the_number_and_unit_on_their_raw_characters() -> None:
    raw = "全省在園幼兒75.6萬(wàn)人,占總數(shù)的2.38%"
    at = normalize_text(AlignedText.from_raw(raw))
    assert at.text == "全省在园幼儿75.6万人,占总数的2.38%"
    start = at.text.index("75.6万人")
    assert at.raw_span(start, start + 6) == (raw.index("75.6"), raw.index("人,") + 1)
    assert raw[int(at.raw[start + 5])] == "人" and raw[int(at.raw[at.text.index("2.38")])] == "2"


PIPE_TABLE = ("2023-2024年全市基础教育情况表\n类别 |\n学校数 |\n在校生数 |\n专任教师数 |\n学前教育 |\n612 |\n117863 |\n"
              "8571 |\n普通高中 |\n53 |\n85318 |\n中等职业教育 |\n14 |\n/ |\n1779 |\n备注:\n1、本表数据取自年度统计。")


def test_a_table_scraped_one_cell_a_line_becomes_tab_rows() -> None:
    at = rejoin_flat_tables(AlignedText.from_raw(PIPE_TABLE))
    # a row short of a cell is a row of cells too: the table reader decides which column each is in
    # (pipeline/stages/extract/tablegrid.py), or leaves it unread
    assert at.text.split("\n")[1:6] == ["类别\t学校数\t在校生数\t专任教师数", "学前教育\t612\t117863\t8571",
                                        "普通高中\t53\t85318", "中等职业教育\t14\t/\t1779", "备注:"]
    for ch, off in zip(at.text, at.raw, strict=True):  # every kept character on its raw one
        assert ch == PIPE_TABLE[off] or ch in "\t\n "


@pytest.mark.parametrize("text", [
    "集运 |\n首页 |\n新闻 |\n正文",  # a menu: no number cell
    "类别 |\n学校数 |\n幼儿园 |\n3 |\n4 |\n5 |\n6 |",  # a row longer than the header
    "2019 |\n2020 |\n2021 |\n12 |\n13 |\n14 |",  # numbers first: no header
])
def test_pipe_lines_that_are_not_a_table_stay(text: str) -> None:
    assert rejoin_flat_tables(AlignedText.from_raw(text)).text == text


def test_every_seed_variant_is_mapped() -> None:
    vm = variant_map()
    seen = 0
    for path in SEEDS:
        raw = path.read_text(encoding="utf-8")
        text = all_text(path.stem[:3])
        for cp in vm.table:
            if chr(cp) in raw:
                seen += 1
                assert chr(cp) not in text, f"{chr(cp)} left in {path.stem}"
    assert seen >= 20


def test_traditional_page_comes_out_simplified_without_pinyin() -> None:
    text = all_text("004")
    conv = opencc.OpenCC("t2s").convert
    assert conv(text) == text
    assert not PINYIN_NOTE.search(text)
    assert not regex.search(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", text)
    assert "全市教育工作的总体要求是" in text
    doc = cleaned("004")[0]
    assert doc.stats["pinyin_removed"] == 142  # 141 notes in parentheses, one that lost its "("
    assert doc.stats["t2s_changed"] > 500


# --- chrome and spam ---------------------------------------------------------------------------

CHROME = {
    "000": ["首页 述职报告 个人述职报告", "分享", "更新时间", "范文网今天为大家精心准备了", "推荐阅读", "AD位1",
            "相关推荐", "热门图文", "AD3", "税务局某党支部关于召开组织生活会", "护士转正个人述职报告",
            "团委书记宣传部的述职报告格式"],
    "001": ["为什么教育工作与一是高位推动动高效落实有差距", "您还没有浏览的资料哦", "快去寻找自己想要的资料吧",
            "收藏资料后可随时找到", "}", "我要回帖", "更多关于", "更多推荐", "版权声明", "点击添加站长微信"],
    "003": ["唯优公文网", "www.hanzhu666.com", "当前位置", "浏览数", "发布时间", "下面是小编为大家整理的",
            "推荐访问", "相关文章", "Top", "【优秀范文】"],
    "004": ["2021-4-10"],
}


@pytest.mark.parametrize("stem", sorted(CHROME))
def test_chrome_is_removed(stem: str) -> None:
    text = all_text(stem)
    for chrome in CHROME[stem]:
        assert chrome not in text, f"{chrome!r} still in {stem}"


def _gold(stem: str) -> list[dict]:
    path = next(GOLD.glob(f"{stem}*.jsonl"))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem[:3])
def test_every_gold_number_survives(path: Path) -> None:
    """Every digit of every gold quote's numbers maps to a character some document kept."""
    raw = path.read_text(encoding="utf-8")
    kept = set()
    for doc in cleaned(path.stem[:3]):
        kept.update(int(x) for x in covered_raw(doc))
    records = _gold(path.stem[:3])
    assert records
    for rec in records:
        at = raw.find(rec["quote"])
        assert at >= 0, rec["quote"]
        for m in regex.finditer(r"\d+(?:\.\d+)?", rec["quote"]):
            missing = [at + i for i in range(m.start(), m.end()) if at + i not in kept]
            assert not missing, f"{m.group(0)} of {rec['quote']!r} was cleaned away"


@cache
def _sources() -> dict[str, str]:
    vm = variant_map()
    out = {chr(cp): s for cp, s in vm.table.items()}
    out.update({v: s for v, s, _ in vm.context})
    return out


def source_ok(clean: str, raw: str) -> bool:
    """``raw`` is ``clean`` itself, or its variant, traditional or full-width source, or white space."""
    return (clean == raw or _sources().get(raw) == clean or norm(raw) == clean
            or (clean in " \n" and raw.isspace()))


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem[:3])
def test_offsets_point_at_the_source_character(path: Path) -> None:
    """Each clean character maps to a raw character equal to it or its variant/traditional/full-width source."""
    raw = path.read_text(encoding="utf-8")
    for doc in cleaned(path.stem[:3]):
        assert doc.offset_clean[0] == 0 and len(doc.offset_clean) == len(doc.offset_raw)
        for i, r in enumerate(covered_raw(doc)):
            assert source_ok(doc.text[i], raw[r]), f"{doc.doc_id}@{i}: clean {doc.text[i]!r} maps to raw {raw[r]!r}"


def test_offset_map_spans_a_gold_quote() -> None:
    raw = SEEDS[1].read_text(encoding="utf-8")
    doc = cleaned("001")[0]
    quote = "大班额比例由21.23%下降至8.52%"
    start = doc.text.index(quote)
    rs = doc.raw_offset(start)
    re_ = doc.raw_offset(start + len(quote) - 1) + 1
    assert raw[rs:re_] == quote


# --- articles --------------------------------------------------------------------------------------

def test_page_with_five_articles_splits() -> None:
    docs = cleaned("002")
    assert [d.title for d in docs] == ["达州市教育局2011年工作总结", "达州市肢残人协会2015年工作总结",
                                       "教育局工作总结", "教育局年终工作总结", "教育局工作总结"]
    assert [d.doc_id for d in docs] == [f"002_0a56dfec3668c418#{i}" for i in range(5)]
    assert [d.year for d in docs] == [2011, 2015, None, None, 2020]
    assert "达州市肢残人协会2016年工作计划" in docs[1].text
    assert not any("第二篇" in d.text for d in docs)
    assert all(d.kept for d in docs)


def test_repeated_report_title_splits_sample_essays() -> None:
    docs = cleaned("000")
    assert len(docs) == 3
    assert {d.title for d in docs} == {"履行教育职责自查报告"}
    assert docs[1].text.startswith("履行教育职责自查报告\n根据《国务院办公厅关于印发")
    assert docs[2].text.startswith("履行教育职责自查报告\n一、基本情况\n截止20_年底")
    assert all(d.year is None for d in docs)  # only masked years (xx年, 20_年)


@pytest.mark.parametrize(("stem", "title", "year"), [
    ("001", "学校教育实践活动整改落实再“回头看”情况报告", None),
    ("003", "2023年度某县-学年度教育工作自查报告", 2023),
    ("004", "", None),
])
def test_single_article_pages(stem: str, title: str, year: int | None) -> None:
    docs = cleaned(stem)
    assert len(docs) == 1
    assert (docs[0].title, docs[0].year) == (title, year)


@pytest.mark.parametrize(("title", "text", "year"), [
    ("某县2022-2023学年度教育工作的自查报告", "", 2023),
    ("教育局工作总结", "教育局工作总结\n2020年,紧紧围绕市委市政府的工作大局", 2020),
    ("20xx年教育工作总结", "今年,我县", None),
    ("教育局工作总结", "截止20_年底,州直有各级各类学校1380所", None),
])
def test_document_year(title: str, text: str, year: int | None) -> None:
    assert document_year(title, text) == year


def test_title_shown_twice_is_one_article() -> None:
    text = "教育工作自查报告\n" + "教育工作自查报告\n" + "全县共有学校78所。" * 40
    assert len(split_articles(text)) == 1


# --- encodings, HTML, failures ---------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["gb18030", "big5", "utf-16", "utf-8-sig"])
def test_encoded_copies_clean_to_the_same_text(encoding: str) -> None:
    # 004 is traditional; without its pinyin notes every character exists in Big5.
    text = PINYIN_NOTE.sub("", SEEDS[4].read_text(encoding="utf-8"))
    expected = [d.text for d in clean_page(Page("004", "004.txt", text.encode("utf-8")))]
    docs = clean_page(Page("004", "004.txt", text.encode(encoding)))
    assert [d.text for d in docs] == expected
    assert docs[0].encoding == encoding
    assert expected == [d.text for d in cleaned("004")]


def test_gb18030_copy_of_a_simplified_seed() -> None:
    docs = clean_page(page_of(SEEDS[2], SEEDS[2].read_text(encoding="utf-8").encode("gb18030")))
    assert [d.text for d in docs] == [d.text for d in cleaned("002")]
    assert docs[0].encoding == "gb18030"


def _as_html(text: str) -> str:
    body = "\n".join(f"  <p>{html.escape(line.strip())}</p>" for line in text.splitlines() if line.strip())
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>自查报告 - 范文网</title>"
            "<style>p { margin: 0 }</style><script>var x = '<p>不是正文</p>';</script></head>\n<body>\n"
            "<nav><a href='/'>首页</a> &gt; <a href='/a'>述职报告</a></nav>\n<!-- 广告位 -->\n"
            f"<div class='content'>\n{body}\n</div>\n<footer>Copyright &copy; 2023</footer>\n</body></html>\n")


@pytest.mark.parametrize("stem", ["000", "001", "003"])
def test_html_wrapper_cleans_to_the_same_text(stem: str) -> None:
    path = next(p for p in SEEDS if p.stem.startswith(stem))
    page = _as_html(path.read_text(encoding="utf-8"))
    docs = clean_page(Page(path.stem, path.stem + ".html", page.encode("utf-8")))
    assert [d.text for d in docs] == [d.text for d in cleaned(stem)]
    assert "不是正文" not in docs[0].text and "首页" not in docs[0].text
    for doc in docs[:1]:  # offsets point into the HTML source: entities map to their '&'
        for i, r in enumerate(covered_raw(doc)[:3000]):
            c, s = doc.text[i], page[r]
            assert source_ok(c, s) or (s == "&" and c in "&<>\"'") or (c == "\n" and s == "<"), f"{i}: {c!r} -> {s!r}"


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b" \r\n\t \n", "empty"),
    (bytes(range(256)) * 8, "binary"),
    (b"\x00\x01\x02\x03" * 200, "binary"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(32)) * 30, "binary"),
])
def test_non_text_raises_clean_error(data: bytes, reason: str) -> None:
    with pytest.raises(CleanError) as info:
        clean_page(Page("x", "x.txt", data))
    assert info.value.reason == reason


def test_page_of_only_chrome_is_an_empty_dropped_document() -> None:
    data = "首页 述职报告 个人述职报告\n分享\n推荐阅读:\n党建述职报告\nAD位1\n".encode()
    docs = clean_page(Page("chrome", "chrome.txt", data))
    assert [(d.kept, d.drop_reason, d.text) for d in docs] == [(False, "empty", "")]


def test_line_with_an_education_number_is_never_dropped() -> None:
    data = "教育工作报告\n推荐阅读:\n全县投入资金1.2亿元\n党建述职报告\n正文。".encode()
    text = clean_page(Page("p", "p.txt", data))[0].text
    assert "全县投入资金1.2亿元" in text and "党建述职报告" not in text


def test_clean_pages_counts_kept_dropped_and_failed() -> None:
    counters: Counter = Counter()
    pages = [page_of(SEEDS[2]), Page("e", "e.txt", b""), Page("c", "c.txt", "分享\n".encode())]
    docs = clean_pages(pages, counters)
    assert len(docs) == 6
    assert counters == Counter({"pages": 3, "documents_kept": 5, "pages_failed:empty": 1,
                                "documents_dropped:empty": 1})


def test_stats_and_hash() -> None:
    docs = cleaned("001")
    stats = docs[0].stats
    assert stats["variants_mapped"] >= 30 and stats["boilerplate_lines"] == 12
    assert stats["chars_clean"] == len(docs[0].text)
    assert docs[0].content_hash == __import__("hashlib").sha1(SEEDS[1].read_bytes()).hexdigest()
    assert docs[0].encoding == "utf-8"


# --- rules: chrome of other sites, and rule-file validation ------------------------------------------

def _drops(line: str) -> bool:
    from pipeline.stages.clean.boilerplate import strip_boilerplate

    out, dropped = strip_boilerplate(AlignedText.from_raw(f"正文第一段。\n{line}\n正文第二段。"))
    return line.strip() not in out.text


@pytest.mark.parametrize("line", [
    "分享到:微信 微博 QQ空间", "打印本页 关闭窗口", "来源:某县教育局 作者:张三", "责任编辑:李四",
    "上一页 1 2 3 下一页", "(此文档为word格式,可任意修改编辑!)", "展开全文", "本文链接:某某",
    "当前位置:首页 > 新闻中心 > 教育动态", "发布时间:2020-01-02 来源:本站 【字体:大 中 小】",
    "2021-4-10 | 计划总结", "AD位3", "相关阅读", "Copyright © 2019 某某网 版权所有",
    "久久精品视频在线_日韩高清一区二区_一本久道综合在线_免费影院在线观看", "人民网>>教育>>本网原创",
    "某市教育体育局 > 学生资助 > 资助动态",
])
def test_chrome_of_other_sites_is_dropped(line: str) -> None:
    assert _drops(line)


@pytest.mark.parametrize("line", [
    # real seed body lines with chrome-like words
    "推进“互联网+政务服务”,完成教育系统115项公共服务事项认领和服务指南的编辑等工作。",
    "把履职考核结果作为学校主要负责人等干部聘用参考的重要依据。",
    "严格落实作业、手机、睡眠、读物、体质“五项管理”规定。",
    "2015年11月23日",
    "达州市肢残人协会2016年工作计划",
    "一、2011年主要工作开展情况",
    "教育(Education)狭义上指专门组织的学校教育",
    # chrome words, but the line holds an education number
    "更新时间:全县入学率达到99.5%",
    "小学_初中_高中",  # underscores, but no spam word
    "教育部:去年全国幼儿园数量达到29.1万所",
])
def test_body_lines_are_kept(line: str) -> None:
    assert not _drops(line)


def test_page_without_chrome_loses_no_line() -> None:
    assert all(d.stats["boilerplate_lines"] == 0 for d in cleaned("002"))
    raw = SEEDS[2].read_text(encoding="utf-8")
    body = [line for line in raw.splitlines() if line.strip() and not regex.match(r"第.篇", line)]
    assert sum(len(d.text.splitlines()) for d in cleaned("002")) == len(body)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("variants.tsv", "variant\tstandard\tnote\n笁\t工工\tx\n", "variants.tsv:2: variant and standard"),
    ("variants.tsv", "variant\tstandard\tnote\n笁\t工\tx\n笁\t工\ty\n", "variants.tsv:3: duplicate variant"),
    ("variants.tsv", "variant\tstandard\tnote\tcontext\n茬\t在\tx\t(?<=a)b\n", "variants.tsv:2: the context"),
    ("boilerplate.yaml", "- id: a\n  pattern: x\n  scope: page\n  note: n\n", "boilerplate.yaml:1: scope 'page'"),
    ("boilerplate.yaml", "- id: a\n  pattern: '第(.)篇'\n  scope: article\n  note: n\n", "needs a (?P<title>"),
    ("boilerplate.yaml", "- id: a\n  pattern: '(['\n  scope: line\n  note: n\n", "boilerplate.yaml:1: bad pattern"),
])
def test_bad_rule_files_name_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                           content: str, message: str) -> None:
    from pipeline.ruleset.rulefiles import RuleError
    from pipeline.stages.clean.boilerplate import boilerplate_rules

    (tmp_path / name).write_text(content, encoding="utf-8")
    monkeypatch.setenv("ZHIBIAO_RULES", str(tmp_path))
    loader = variant_map if name == "variants.tsv" else boilerplate_rules
    loader.cache_clear()
    try:
        with pytest.raises(RuleError, match=regex.escape(message)):
            loader()
    finally:
        loader.cache_clear()


@pytest.mark.parametrize(("text", "titles"), [
    # a repeated section heading is not an article boundary
    ("全县教育工作报告\n主要做法\n" + "全县共有学校78所。" * 30 + "\n主要做法\n" + "新建幼儿园5所。" * 30,
     ["全县教育工作报告"]),
    ("第一篇章 总体情况\n" + "全县共有学校78所。" * 30, ["第一篇章 总体情况"]),
    ("第一篇:甲县教育工作总结\n" + "全县共有学校78所。" * 30 + "\n第二篇:乙县教育工作总结\n" + "新建5所。" * 30,
     ["甲县教育工作总结", "乙县教育工作总结"]),
])
def test_article_boundaries(text: str, titles: list[str]) -> None:
    assert [a.title for a in split_articles(text)] == titles


def test_government_style_html_page_in_gb18030() -> None:
    raw = SEEDS[3].read_text(encoding="utf-8")
    body = [line.strip() for line in raw.splitlines()[14:40] if line.strip()]
    paragraphs = "\n".join(f"<p style='text-indent:2em'>{html.escape(line)}<br></p>" for line in body)
    page = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'>"
        "<title>某县教育工作自查报告_唯优公文网</title></head><body>"
        "<div class='top'><ul><li><a href='/'>首页</a></li><li><a href='/zt'>专题范文</a></li></ul></div>"
        "<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/zt'>专题范文</a> &gt; 自查报告</div>"
        "<table><tr><td><h1>某县教育工作自查报告</h1>\n"
        "<div class='info'>作者：&nbsp;浏览数：12&nbsp;发布时间：2023-11-23</div>\n"
        f"<div id='content'>\n{paragraphs}\n</div></td></tr></table>\n"
        "<div class='related'><h3>相关推荐</h3><ul><li><a href='/1'>2023年教育工作总结</a></li>"
        "<li><a href='/2'>学校安全自查报告</a></li></ul></div>"
        "<div>Copyright © 2024 唯优公文网 版权所有</div></body></html>")
    docs = clean_page(Page("gov", "gov.htm", page.encode("gb18030")))
    assert len(docs) == 1 and docs[0].encoding == "gb18030"
    doc = docs[0]
    assert doc.title == "某县教育工作自查报告"
    assert doc.text.splitlines()[0] == "某县教育工作自查报告"
    assert doc.text.splitlines()[1:] == [norm(line) for line in body]
    assert doc.stats["html"] == 1
    start = doc.text.index("自评得分为98分")
    assert page[doc.raw_offset(start):doc.raw_offset(start + 8)] == "自评得分为98分"


@pytest.mark.parametrize(("source", "text"), [
    # menus and link lists go; a lone linked title and linked words inside a sentence stay
    ("<ul><li><a href='/'>首页</a></li>\n<li> </li><li><a href='/n'>新闻</a></li></ul><p>正文<a>链接</a>内容。</p>"
     "<p><a href='/t'>学校教育实践活动整改落实情况报告</a></p>", "正文链接内容。\n学校教育实践活动整改落实情况报告\n"),
    # a linked line with an education number is never dropped
    ("<ul><li><a>2023年全县投入5亿元</a></li><li><a>党建述职报告</a></li></ul>", "2023年全县投入5亿元\n党建述职报告\n"),
    # a paragraph wrapped in the source joins without a space between Chinese characters
    ("<p>全县义务教育\n   均衡发展累计投入资金12.1304亿元&nbsp;其中</p>", "全县义务教育均衡发展累计投入资金12.1304亿元 其中\n"),
    ("<div>入学率&gt;99%<br>巩固率<!-- 注释 -->&#57;&#x38;%</div><script>document.write('x')</script>", "入学率>99%\n巩固率98%\n"),
    # a table row is one line, its cells parted by a tab; the caption is a line of its own
    ("<table><caption>2021年学校情况</caption><tr><th>类别</th><th>学校数(所)</th></tr>\n"
     "<tr><td>小学</td> <td>12</td></tr></table>", "2021年学校情况\n类别\t学校数(所)\n小学\t12\n"),
    # spanned cells are written in every row and column they cover, a line break inside a cell is
    # a space, an empty cell keeps its place: every row is as wide as the table
    ("<table><tr><th rowspan='2' colspan='2'>项目</th><th rowspan='2'>学校数<br>(所)</th><th colspan='2'>学生(人)</th></tr>"
     "<tr><th>招生数</th><th>在校生数</th></tr><tr><td colspan='2'>合计</td><td>115</td><td></td><td>65941</td></tr>"
     "<tr><td rowspan='2'>基础教育</td><td><p>幼儿园</p></td><td>58</td><td>3126</td><td>9874</td></tr>"
     "<tr><td>小学</td><td>34</td><td>5327</td><td>30216</td></tr></table>",
     "项目\t项目\t学校数 (所)\t学生(人)\t学生(人)\n项目\t项目\t学校数 (所)\t招生数\t在校生数\n"
     "合计\t合计\t115\t\t65941\n基础教育\t幼儿园\t58\t3126\t9874\n基础教育\t小学\t34\t5327\t30216\n"),
    # a table cut off at the end of the page: its open cells and spans are written all the same
    ("<table><tr><td rowspan=3>a<td>b<tr><td>c", "a\tb\na\tc\n"),
    # a page laid out in a table keeps its lines, and a data table inside it its rows
    ("<table><tr><td><h1>某县2022年教育工作总结</h1><p>全县现有学校数据如下,各项指标均达到省定标准要求。</p>"
     "<table><tr><td>小学</td><td>12</td></tr></table><p>完。</p></td></tr></table>",
     "某县2022年教育工作总结\n全县现有学校数据如下,各项指标均达到省定标准要求。\n小学\t12\n完。\n"),
    # containers of site chrome by their class or id go with what they hold (nested ones too); an
    # article container named like chrome but holding the headline stays
    ("<div class='top-bar'><div>今天是:2023年</div> | 无障碍</div><div class=\"nav main\"><ul><li>首页</li>"
     "<li>政务公开</li></ul></div><div id='footer'>地址:xx路1号</div><p>正文。</p>", "正文。\n"),
    ("<div class='header'><h1>教育</h1></div><div class='navigation-text'>全县学校12所</div>",
     "教育\n全县学校12所\n"),
])
def test_html_to_text(source: str, text: str) -> None:
    from pipeline.stages.clean.htmltext import html_to_text

    out = html_to_text(AlignedText.from_raw(source))
    assert out.text == text
    assert all(source[r] == c or c in " \n\t" or source[r] == "&" for c, r in zip(out.text, out.raw, strict=True))


def test_an_html_pages_headline_is_its_title_and_its_site_name_its_last_place() -> None:
    # a yearbook entry: menus of short items (no link) before the <h1>, the place only in the <title>
    page = ("<html><head><title>教育_隆回年鉴(2022)_隆回县人民政府门户网站</title></head><body>"
            "<div class='nav'><ul><li>首页</li><li>政务公开</li><li>走进隆回</li></ul></div>"
            "<div class='article'><h1>教育</h1><p>【概况】2021年,全县有各级各类学校(园)512所,"
            "全县在校(园)学生18.97万人。</p></div></body></html>")
    doc = clean_page(Page("nj", "nj.html", page.encode("utf-8")))[0]
    assert doc.title == "教育" and "政务公开" not in doc.text
    assert (doc.year, doc.reporting_year) == (2021, 2021)  # the opening's year, not the edition's
    assert (doc.region_code, doc.region_method) == ("430524", "site")


def test_an_h2_headline_when_the_page_has_no_h1_but_not_a_side_bar_heading() -> None:
    page = ("<html><head><title>招生信息-栾川县伏牛高级中学</title></head><body>"
            "<div class='logo'><span class='motto'>厚德 笃学 自强 创新</span></div>"
            "<div class='lbox'><h2>联系方式</h2><p>招生办电话:0379-66821305</p></div>"
            "<div class='title'><h2>栾川县伏牛高级中学2024年招生简章</h2></div>"
            "<p>目前,伏牛高中共有教学班54个,在校学生2716人。</p></body></html>")
    doc = clean_page(Page("zs", "zs.html", page.encode("utf-8")))[0]
    assert doc.title == "栾川县伏牛高级中学2024年招生简章" and doc.year == 2024


@pytest.mark.parametrize("raw, clean", [
    # anti-scraping tokens strewn through the text go, with their spaces: a number they cut is whole
    ("专任教师26 t4Rk 13人,来, N0cL 阜平", "专任教师2613人,来,阜平"),
    ("当前页ewCu9 扫一扫", "当前页扫一扫"),
    # words and codes that mix letters and digits as words do stay
    ("Win10 系统、Office365 软件、PM2.5 浓度、5G 网络、www.a.com/aB3d", "Win10 系统、Office365 软件、PM2.5 浓度、5G 网络、www.a.com/aB3d"),
])
def test_anti_scraping_tokens_are_removed(raw: str, clean: str) -> None:
    events: dict[str, list[int]] = {}
    assert normalize_text(AlignedText.from_raw(raw), events).text == clean
    assert len(events.get("noise_tokens_removed", [])) == (raw != clean) * (2 if "N0cL" in raw else 1)
