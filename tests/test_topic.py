"""The topic gate on real seed articles and the labelled pages of corpora/articles."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pytest

from pipeline import topic
from pipeline.records import Document

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
    for d, _ in pages:
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
