"""The topic gate on real seed articles and the labelled pages of corpora/articles."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pytest

from pipeline.records import Document
from pipeline.stages.clean import topic

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "corpora"
ARTICLES = CORPORA / "articles"


def _doc(source: str, index: int, title: str, text: str) -> Document:
    return Document(doc_id=f"{source}#{index}", source=source, path=source, index=index, title=title, text=text,
                    encoding="utf-8", content_hash="", offset_clean=[0], offset_raw=[0])


@cache
def _t2s(text: str) -> str:
    import opencc

    return opencc.OpenCC("t2s").convert(text)


def seed_articles() -> list[tuple[Document, str]]:
    """The seed pages as articles: 002 split at its 第N篇 headings, 004 made simplified."""
    out = []
    for path in sorted(CORPORA.glob("*.txt")):
        text = _t2s(path.read_text(encoding="utf-8"))
        parts = re.split(r"(?m)^第[一二三四五六七八九十]篇[::]", text)
        parts = parts[1:] if len(parts) > 1 else parts
        for i, part in enumerate(parts):
            title = part.splitlines()[0] if part else ""
            label = "other" if "肢残人协会" in title else "education"
            out.append((_doc(path.stem, i, title, part), label))
    return out


def labelled_pages() -> list[tuple[Document, str]]:
    """The pages written for corpora/articles with their label from labels.tsv."""
    out = []
    with (ARTICLES / "labels.tsv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t") if r and not r[0].startswith("#")]
    for path, _doc_index, label, *_ in rows[1:]:
        if path.startswith("articles/"):
            text = (CORPORA / path).read_text(encoding="utf-8")
            out.append((_doc(Path(path).stem, 0, text.strip().splitlines()[0], text), label))
    return out


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topic, "article_model", lambda: None)


def test_seed_002_has_the_disabled_persons_article_second() -> None:
    docs = [d for d, _ in seed_articles() if d.source.startswith("002_")]
    assert len(docs) == 5
    assert "肢残人协会" in docs[1].title


def test_labels_cover_the_written_pages() -> None:
    pages = labelled_pages()
    on = [d for d, lab in pages if lab != "other"]
    off = [d for d, lab in pages if lab == "other"]
    assert len(on) >= 5 and len(off) >= 10
    assert {p.name for p in ARTICLES.glob("*.txt")} == {f"{d.source}.txt" for d, _ in pages}
    short = [(d, lab) for d, lab in pages if d.source.startswith("short_")]
    assert sum(lab == "education" for _, lab in short) >= 8 and sum(lab == "other" for _, lab in short) >= 8
    for d, _ in pages:
        if d.source.startswith("short_"):  # news items, digests, notices: 2-6 lines
            assert len(d.text) < topic.SHORT_CHARS and 2 <= len(d.text.strip().splitlines()) <= 9, d.source
        else:
            assert 600 <= len(d.text) <= 2000, d.source


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize("doc,label", seed_articles() + labelled_pages(), ids=lambda x: getattr(x, "doc_id", x))
def test_keyword_fallback_keeps_education_and_drops_the_rest(doc: Document, label: str) -> None:
    ok, score, reason = topic.is_on_topic(doc)
    assert ok == (label != "other"), (score, reason)
    assert reason.startswith("keywords")


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize("name", ["other_tax_bureau_2019", "other_health_bureau_2021", "other_market_regulation_2020"])
def test_keyword_fallback_outweighs_passing_mentions_of_schools(name: str) -> None:
    # These reports name 教育费附加, 中小学生, 学校卫生, 学校食堂: a score, but below the threshold.
    doc = next(d for d, _ in labelled_pages() if d.source == name)
    ok, score, _ = topic.is_on_topic(doc)
    assert not ok and 0 < score < topic.KEYWORD_THRESHOLD


@pytest.mark.parametrize("doc,label", seed_articles() + labelled_pages(), ids=lambda x: getattr(x, "doc_id", x))
def test_gate_in_force_keeps_education_and_drops_the_rest(doc: Document, label: str) -> None:
    ok, score, reason = topic.is_on_topic(doc)
    assert ok == (label != "other"), (score, reason)


def test_a_government_work_report_is_kept_for_its_education_section() -> None:
    # Every sector in one article: as a whole it is not about education, its 社会事业 paragraph is.
    doc = next(d for d, lab in labelled_pages() if lab == "mixed")
    model = topic.article_model()
    assert model is not None
    assert topic.model_probability(model, doc.title, doc.text) < topic.MODEL_THRESHOLD
    ok, score, reason = topic.is_on_topic(doc)
    assert ok and score >= topic.SECTION_THRESHOLD and "section" in reason
    best = max(topic.sections(doc.text), key=lambda s: topic.model_probability(model, "", s))
    assert "毛入园率" in best


def test_sections_join_short_paragraphs() -> None:
    text = "一、总体情况\n全县现有学校126所。\n" + "二、" + "教育" * 70 + "\n"
    parts = topic.sections(text, min_chars=20)
    assert "".join(parts) == text
    assert all(len(p) >= 20 for p in parts[:-1])


# Short pages written for these tests (not in corpora/articles, so the model never trained on them):
# an education bureau's two lines of 入托率/毛入园率 (the model once gave such a page 0.15-0.41), a
# digest, a funding notice; and off-topic items of the same genre that name schools, children or
# 教育费附加 in passing.
SHORT_EDUCATION = [
    "红岩县教育局\n\n2023年全县入托率45.3%，毛入园率92.6%。\n",
    "县教育局发布2023年秋季开学数据\n\n全县中小学在校生4.86万人，其中小学2.91万人、初中1.95万人，"
    "专任教师3260人，小学平均班额41人。\n",
    "关于下达2023年学前教育发展资金的通知\n\n各乡镇中心学校：现下达2023年学前教育发展资金860万元，"
    "用于普惠性幼儿园生均补助，标准为每生每年600元。\n县教育局\n",
]
SHORT_OTHER = [
    "市人社局举办农民工职业技能大赛\n\n本届大赛设焊工、电工、育婴员等8个工种，参赛选手326人，126人获评"
    "技术能手，全市今年已开展补贴性职业技能培训2.1万人次。\n",
    "区卫健委开展入托入学儿童预防接种证查验\n\n秋季学期共查验入托、入学儿童预防接种证1.36万份，查验率100%，"
    "需补种儿童2180人，补种率达到96.3%。\n",
    "市税务局关于减免小规模纳税人教育费附加的公告\n\n按月销售额不超过10万元的缴纳义务人免征教育费附加、"
    "地方教育附加，今年一季度全市共减免教育费附加1260万元，惠及纳税人2.3万户。\n",
    "区残联举办残疾人就业招聘会\n\n招聘会共有46家企业提供适合残疾人的岗位320个，现场达成就业意向86人，"
    "全区持证残疾人就业率达到52%。\n",
    "全民健身设施建设提速\n\n今年全区新建社区健身路径38个、多功能运动场9个，人均体育场地面积2.4平方米。\n",
]


def _clean_short(text: str) -> Document:
    """A short page through the clean stage, as a run sees it (one document)."""
    from pipeline.records import Page
    from pipeline.stages.clean.clean import clean_page

    docs = [d for d in clean_page(Page(source="short", path="short.txt", data=text.encode("utf-8"))) if d.text.strip()]
    assert len(docs) == 1
    return docs[0]


@pytest.mark.parametrize("text", SHORT_EDUCATION)
def test_a_short_education_page_is_kept(text: str) -> None:
    doc = _clean_short(text)
    assert len(doc.text) < topic.SHORT_CHARS
    ok, score, reason = topic.is_on_topic(doc)
    assert ok, (score, reason)


@pytest.mark.parametrize("text", SHORT_OTHER)
def test_a_short_off_topic_page_is_dropped(text: str) -> None:
    ok, score, reason = topic.is_on_topic(_clean_short(text))
    assert not ok, (score, reason)


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize("text,label", [(t, "education") for t in SHORT_EDUCATION] + [(t, "other") for t in SHORT_OTHER])
def test_keyword_fallback_on_short_pages(text: str, label: str) -> None:
    ok, score, reason = topic.is_on_topic(_clean_short(text))
    assert ok == (label == "education"), (score, reason)
    assert str(topic.SHORT_KEYWORD_THRESHOLD) in reason


def test_short_documents_let_the_keywords_speak_and_long_ones_do_not() -> None:
    bureau = _clean_short(SHORT_EDUCATION[0])
    ok, score, reason = topic.short_keyword_decision(bureau.title, bureau.text)
    assert ok and score >= topic.SHORT_KEYWORD_THRESHOLD and reason.startswith("short")
    tax = _clean_short(SHORT_OTHER[2])  # 教育费附加 is a tax, and 税务局 names another sector's body
    assert topic.keyword_score(tax.title, tax.text) > 0
    ok, score, _ = topic.short_keyword_decision(tax.title, tax.text)
    assert not ok and score < topic.SHORT_KEYWORD_FLOOR
    mixed = next(d for d, lab in labelled_pages() if lab == "mixed")  # names every sector: long, not penalised
    assert len(mixed.text) >= topic.SHORT_CHARS and topic.short_keyword_decision(mixed.title, mixed.text) is None
    assert topic.keyword_score(mixed.title, mixed.text) > topic.keyword_score(mixed.title, mixed.text, against=True)


def test_the_gate_of_a_run_keeps_short_education_documents(tmp_path: Path) -> None:
    import pandas as pd
    from click.testing import CliRunner

    from pipeline.cli import main

    pages = tmp_path / "pages"
    pages.mkdir()
    for i, text in enumerate(SHORT_EDUCATION + SHORT_OTHER):
        (pages / f"p{i:02d}.txt").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(pages), "--out", str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    docs = pd.read_parquet(tmp_path / "out" / "documents")
    kept = {r.source: bool(r.kept) for r in docs.itertuples()}
    assert kept == {f"p{i:02d}": i < len(SHORT_EDUCATION) for i in range(len(SHORT_EDUCATION + SHORT_OTHER))}
    records = pd.read_parquet(tmp_path / "out" / "indicators")
    assert {"p00"} <= set(records["source"])  # the bureau's 入托率/毛入园率 page yields its records
    assert set(records["source"]) <= {f"p{i:02d}" for i in range(len(SHORT_EDUCATION))}
