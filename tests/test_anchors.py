"""The anchored matching of rule patterns (pipeline/ruleset/anchors.py) finds exactly what running every
pattern finds: triggers, cues and stage words, on every seed and dev sentence and its parts."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import regex

from pipeline.records import Page
from pipeline.ruleset import cues, triggers
from pipeline.ruleset.anchors import AnchorIndex, first_chars
from pipeline.ruleset.triggers import Hit
from pipeline.stages.clean.clean import clean_page
from pipeline.stages.segment.segment import split_sentences

ROOT = Path(__file__).resolve().parent.parent


@cache
def real_sentences() -> list[str]:
    """Every sentence of the seed pages (corpora/*.txt) and the dev pages, cleaned as the pipeline does."""
    paths = sorted((ROOT / "corpora").glob("*.txt")) + sorted((ROOT / "dev" / "pages").glob("*.*"))
    pages = [Page(path.stem, str(path), path.read_bytes()) for path in paths]
    out: list[str] = []
    for page in pages:
        for doc in clean_page(page):
            out += [doc.text[s:e] for s, e, _h in split_sentences(doc.text)]
    assert len(out) > 1000
    return out


def _parts(text: str) -> list[str]:
    """The sentence, and the pieces the extractor asks cues about (before and after each digit, clauses)."""
    parts = [text] + regex.split(r"[，,；;：:]", text)
    for m in regex.finditer(r"\d+", text):
        parts += [text[max(0, m.start() - 8):m.start()], text[m.end():m.end() + 16], text[:m.start()]]
    return parts


def _all_hits(text: str) -> list[Hit]:
    """find_hits as it was: every rule's pattern run over the text."""
    hits = [Hit(rule, m.start(), m.end(), m.group(0))
            for rule in triggers.trigger_rules() if rule.requires is None or rule.requires.search(text)
            for m in rule.pattern.finditer(text) if m.end() > m.start()]
    hits.sort(key=lambda h: (h.start, -(h.end - h.start), -h.rule.priority))
    return hits


def test_trigger_hits_equal_every_rule_run_on_real_sentences() -> None:
    sentences = real_sentences()
    assert sum(1 for s in sentences if _all_hits(s)) > 500
    for text in sentences:
        assert triggers.find_hits(text) == _all_hits(text), text


def test_cues_and_stage_words_equal_every_pattern_run_on_real_sentences() -> None:
    codes = sorted({r.indicator for r in triggers.trigger_rules()}) + [None]
    groups = sorted({(c.cue, c.scope) for c in cues.cue_rules()})
    for text in real_sentences()[::3]:
        for part in _parts(text):
            for kind, scope in groups:
                every = [c for c in cues.cues(kind, scope) if c.pattern.search(part)]
                assert [c for c in cues.cue_candidates(kind, scope, part, every=True) if c.pattern.search(part)] == every
                for code in codes:
                    want = next(((c, c.pattern.search(part)) for c in every if c.applies_to(code)), None)
                    got = cues.cue_match(kind, scope, part, code)
                    assert (got and (got[0], got[1].span())) == (want and (want[0], want[1].span())), (part, kind, code)
            words = [w for w in cues.stage_words() if w.pattern.search(part)]
            assert [w for w in cues._stage_index().candidates(part) if w.pattern.search(part)] == words


@pytest.mark.parametrize(("pattern", "anchors"), [
    ("毛入园(?:[(（]班[)）])?率", "毛"),
    ("(?<![毛净])入学率|受教育(?:覆盖)?率", "入受"),
    ("投入|投(?=\\d)|资金", "投资"),
    ("(?:中考|考试)[^，,。]{0,8}合格率", "中考"),
    ("a?b*c", "abc"),
    ("[x-z]q|", "xyz"),
    ("新\\(改\\)建", "新"),
])
def test_first_chars(pattern: str, anchors: str) -> None:
    assert first_chars(pattern) == frozenset(anchors)


@pytest.mark.parametrize("pattern", [
    r"\d+人", r".校", r"[^，]校", r"(?i)abc", r"\p{Han}校", r"[[:alpha:]]", r"(?|a|b)c", r"(?>a)b", r"a{e<=1}",
    r"(?:a|\w)b", r"[一-龥]校",
])
def test_open_patterns_always_run(pattern: str) -> None:
    assert first_chars(pattern) is None
    index = AnchorIndex([("p", pattern)])
    assert index.candidates("") == ("p",)


def test_index_keeps_order_and_needs_every_pattern() -> None:
    index = AnchorIndex([("a", "学校", None), ("b", "入学率", "普惠"), ("c", r"\d+")])
    assert index.candidates("全县学校") == ("a", "c")
    assert index.candidates("入园率") == ("c",)  # 入学率 needs 普惠 too
    assert index.candidates("普惠入学率学校") == ("a", "b", "c")


def test_remembered_hits_and_stage_words_are_fresh_lists() -> None:
    text = "全县小学、初中巩固率分别达到99.1%、98.2%"
    hits, words = triggers.find_hits(text), cues.find_stage_words(text)
    assert hits and words
    hits.clear()
    words.clear()
    assert triggers.find_hits(text) == _all_hits(text)
    assert [w.word.stage for w in cues.find_stage_words(text)] == ["primary", "junior"]
