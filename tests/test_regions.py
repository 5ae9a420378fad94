"""Places (pipeline/stages/clean/divisions.py, regions.py): the division list, names in real report text, documents' and records' places."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.records import Page
from pipeline.stages.clean.clean import clean_page
from pipeline.stages.clean.divisions import Resolution, division_list
from pipeline.stages.clean.doctypes import report_type
from pipeline.stages.clean.regions import document_region, record_region
from pipeline.stages.extract.extract import extract_document
from pipeline.stages.segment.segment import segment_document

ROOT = Path(__file__).resolve().parent.parent


def codes(text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(h.kind, h.codes) for h in division_list().scan(text)]


@pytest.mark.parametrize("text, kind, expected", [
    ("达州市教育局2011年工作总结", "name", ("511700",)),
    ("宁夏回族自治区固原市原州区", "name", ("640402",)),       # a chain is one place
    ("江西于都县2012高考本科上线率达41.2%", "name", ("360731",)),  # 江西: short form, then its county
    ("伊犁州直有各级各类学校1380所", "name", ("654000",)),       # 伊犁哈萨克自治州's short form
    ("东乡县入园率已超过92%", "name", ("622926",)),            # 东乡族自治县
    ("横县2016年义务教育", "name", ("450181",)),               # renamed: 横州市 (rules/region_renames.tsv)
    ("新城区教育局", "name", ("150102", "610102")),             # two places of that name
    ("某县2022-2023学年度教育工作的自查报告", "anonymised", ()),
    ("全县共有义务教育阶段中小学校33所", "self", ()),
    ("2021年,全国学前三年毛入园率为88.4%", "national", ()),
])
def test_first_place_expression_of_real_text(text: str, kind: str, expected: tuple[str, ...]) -> None:
    assert codes(text)[0] == (kind, expected)


@pytest.mark.parametrize("text", [
    "目前尚余大班额38个(其中长春镇中心小学三年级新增2个)",  # a town named like a city
    "积极与延边大学、长春师范高等专科学校进行中高职衔接",      # partner and institution
    "到20_年,上级下达州直教育建设项目346个",                  # 下达州直 is not 达州
    "城区学校大班额比例下降",                                  # 城区 is a county name and a word
])
def test_words_that_are_not_places(text: str) -> None:
    assert [c for k, c in codes(text) if k == "name" and c and c[0][:4] in ("2201", "2224", "5117", "1403")] == []


def test_full_name_and_parent_of_a_county() -> None:
    div = division_list().by_code["654026"]
    assert div.full == "新疆维吾尔自治区伊犁哈萨克自治州昭苏县"
    assert division_list().ancestors("654026") == ["654000", "650000"]


def test_context_tells_same_name_places_apart() -> None:
    assert division_list().pick(("150102", "610102"), "610100") == ("610102",)
    assert division_list().pick(("150102", "610102"), None) == ("150102", "610102")


YILI = division_list().resolution("654000", "body")
HENGZHOU = division_list().resolution("450181", "body")


@pytest.mark.parametrize("sentence, number, home, expected", [
    # the place in the number's own clause, after it
    ("加快基础设施建设,争取现代职业教育质量提升计划资金858万元建设项目学校3所,投资20_万元的伊犁州高级技工学校实训楼项目、"
     "投资500万元昭苏县职业技术学校运动场项目开工建设。", "500万元", YILI, "654026"),
    ("新源县设置1所特殊教育学校", "1所", YILI, "654025"),
    # a place above the document's leaves the value the document's
    ("保障困难学生顺利入学我县全面落实各项助学政策,全县发放义务教育阶段寄宿生生活费补助及南宁市九年义务教育资助金"
     "分别为2615.05万元、2598.64万元", "2615.05万元", HENGZHOU, "450181"),
    # 州直 and 全县 are the document's place; no place named: the document's
    ("到20_年,上级下达州直教育建设项目346个,资金投入37186万元。", "37186万元", YILI, "654000"),
    ("今年,面向社会招聘111名教师。", "111名", HENGZHOU, "450181"),
    ("2021年,全国学前三年毛入园率为88.4%", "88.4%", YILI, "100000"),
    # a destination is not the value's place
    ("遴选出5个参赛团队14名教师赴江苏参加集训", "14名", YILI, "654000"),
    # a clause naming several places: the smallest place holding them (web d04)
    ("(网络配图)京口区象山幼儿园(新建)润州区金山湖幼儿园(改扩建)丹徒区高资中心幼儿园(新建)9所幼儿园新建、改扩建完成",
     "9所", division_list().resolution("321100"), "321100"),
    # anonymised: null whatever the document
    ("xx年全省一般公共预算教育支出1507.3亿元", "1507.3亿元", Resolution(), None),
])
def test_record_region_on_seed_sentences(sentence: str, number: str, home: Resolution, expected: str | None) -> None:
    start = sentence.index(number)
    assert record_region(sentence, start, start + len(number), home).region_code == expected


def test_province_self_word_gives_the_documents_province() -> None:
    res = record_region("全省普惠性幼儿园覆盖率达到80%", 12, 15, YILI)
    assert (res.region_code, res.region) == ("650000", "新疆维吾尔自治区")


@pytest.mark.parametrize("title, text, code, method", [
    ("达州市教育局2011年工作总结", "一、2011年主要工作开展情况", "511700", "title"),
    ("2023年度某县-学年度教育工作自查报告", "某县2022-2023学年度教育工作的自查报告", None, "title"),
    ("教育局工作总结", "2020年,紧紧围绕市委市政府的工作大局。\n制定下发《珲春市教育局新型冠状病毒感染的肺炎疫情防控工作方案》等文件。",
     "222404", "issuer"),
    ("新城区教育局工作总结", "全区学校", None, "title"),
    # an issuing body of a place writing about a place inside its own: the document is about that place
    ("临沂市人民政府教育督导委员会办公室关于沂南县义务教育优质均衡发展督导评估的反馈意见", "", "371321", "title"),
    # ... but not about a place it cites, nor about its own place named again
    ("四川省教育厅关于印发《达州市教育发展规划》的通知", "", "510000", "title"),
    ("达州市教育局关于达州市2022年教育工作的总结", "", "511700", "title"),
    # a chain of names parted by a space is one place
    ("甘肃省定西市 通渭县人民政府", "", "621121", "title"),
])
def test_document_region(title: str, text: str, code: str | None, method: str) -> None:
    res = document_region(title, text)
    assert (res.region_code, res.method) == (code, method)
    if title.startswith("新城区"):
        assert res.candidates == ["150102", "610102"]


@pytest.mark.parametrize("title, expected", [
    ("达州市教育局2011年工作总结", "工作总结"),
    ("2016年全国教育事业发展统计公报", "统计公报"),
    ("霍山县2020年度教育经费执行情况统计公告", "统计公报"),
    ("霍邱县学前教育普及普惠督导评估创建规划", "规划"),
    ("某县2022-2023学年度教育工作的自查报告", "自查报告"),
    ("吴振东在全省教育工作会议上的讲话", "讲话"),
    ("平凉市幼儿园2018年度部门决算公开", "预算/决算"),
    ("2021年县教育局上半年工作情况总结.docx", "工作总结"),
    ("莲溪县教育局2022年工作总结和2023年工作要点", "工作计划/要点"),  # the genre named last
])
def test_report_type(title: str, expected: str) -> None:
    assert report_type(title, "") == expected


def _seed_records(name: str) -> tuple[list, list]:
    path = next((ROOT / "corpora").glob(f"{name}_*.txt"))
    docs = clean_page(Page(source=path.stem, path=str(path), data=path.read_bytes()))
    out = []
    for doc in docs:
        if doc.kept:
            out += extract_document(doc, segment_document(doc)[0])[1]
    return docs, out


def test_seed_documents_and_records_carry_their_place_and_a_stable_id() -> None:
    docs, records = _seed_records("002")
    assert [(d.region_code, d.report_type, d.reporting_year) for d in docs][0] == ("511700", "工作总结", 2011)
    by_quote = {r.quote: r for r in records}
    assert by_quote["奉化区选派9名教师来我市开展支教工作"].region == "浙江省宁波市奉化区"
    assert by_quote["2011年全市普通高考本、专科上线3.43万人"].region_code == "511700"
    ids = [r.record_id for r in records]
    assert len(set(ids)) == len(ids) and all(len(i) == 16 for i in ids)
    assert [r.record_id for r in _seed_records("002")[1]] == ids  # same input, same ids


def test_an_opening_that_sets_the_scene_is_refined_by_the_site_or_the_body() -> None:
    text = "发布于 2023-06-24\n6月23日晚,2023年江西省高考成绩揭晓。我校本科上线812人。全县本科上线3120人。"
    assert document_region("喜报!兴国三中高考再创新高", text).region_code == "360000"
    res = document_region("喜报!兴国三中高考再创新高", text, site="校园新闻 | 兴国县第三中学")
    assert (res.region_code, res.method) == ("360732", "site")


def test_a_title_self_word_passes_over_an_opening_place_of_another_kind() -> None:
    text = "记者从市教育局获悉,今年秋季学期,全市新建成投用中小学幼儿园31所,其中城固县5所、西乡县4所。"
    res = document_region("全市31所新建中小学幼儿园秋季开学投用", text, site="县区新闻 - 汉中新闻网")
    assert (res.region_code, res.method) == ("610700", "site")
    # a county's own news names the county in its opening
    assert document_region("全县教师节表彰大会召开", "9月10日,城固县召开大会。").region_code == "610722"
