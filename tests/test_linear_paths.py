"""Paths that were quadratic (or worse) in the size of one line or table row, at the sizes that used
to hang a page until its timeout: the boilerplate's education-number test on a long run of ``1.``,
table rows of thousands of cells (boilerplate.py, tablecells.py), the mention classifier's
features and the places of the records of a sentence of thousands of numbers (features.py,
nearest.py, mention_model.py, regions.py), the record a number without a trigger continues in a
sentence of thousands of numbers (governing.continues), and the end of a rate that lost its % after
a long run of spaces (quantity_neighbours._RATE_END)."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import regex

from pipeline.limits import page_time_limit
from pipeline.records import Sentence
from pipeline.stages.clean.boilerplate import EDU_NUMBER, has_edu_number, strip_boilerplate
from pipeline.stages.extract import tablecells
from pipeline.stages.extract.attributes import doc_facts
from pipeline.stages.extract.frames import Clause
from pipeline.stages.extract.governing import _FILLER, _OWN_RATE, BARE_CHANGE, Decided, continues
from pipeline.stages.extract.quantities import read_quantities
from pipeline.stages.extract.quantity_neighbours import _RATE_END
from pipeline.stages.extract.reader import sentence_candidates
from pipeline.text.aligned import AlignedText

#: The pattern as it was: the same lines hold a match (a test below checks), but a run of ``1.1.1.…``
#: took cubic time (8,000 pairs: 60 s).
_OLD_EDU_NUMBER = regex.compile(
    r"\d(?:[\d.,]*\d)?\s*(?:多|余)?\s*(?:万|亿)?\s*(?:%|百分点|人次|人|名|所|元|个|班|处)|百分之")


@pytest.mark.parametrize("text", ["全县小学35所", "1.2万人", "12.5 %", "1,234 名", "百分之九十", "3多万元",
                                  "第1.2节", "2022年", "1.1.", "电话12345"])
def test_edu_number_finds_what_it_found(text: str) -> None:
    assert has_edu_number(text) == (_OLD_EDU_NUMBER.search(text) is not None)


def test_edu_number_agrees_with_the_old_pattern_on_random_lines() -> None:
    rng = random.Random(14)
    alphabet = list("1234.,  多余万亿%人名所元个班处百分之点x")
    for _ in range(20000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert (EDU_NUMBER.search(line) is None) == (_OLD_EDU_NUMBER.search(line) is None), line


def test_a_line_of_twenty_thousand_numbers_without_units_is_read_through() -> None:
    line = "1." * 20000  # about 10^4 times the 8,000 pairs that took the old pattern a minute
    with page_time_limit(120, "clean"):  # a guard against a hang, not a measurement
        kept, dropped = strip_boilerplate(AlignedText.from_raw(f"标题\n{line}\n正文。\n"))
    assert line in kept.text and dropped == []


def test_a_table_row_of_thousands_of_cells_reads_each_cell_label_once(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 5000
    header = "指标\t" + "\t".join(f"{2000 + i % 20}年" for i in range(n))
    rows = ["学校数\t" + "\t".join(str(i) for i in range(n)), "小学\t教师数\t" + "\t".join(str(i) for i in range(n - 1))]
    calls = 0
    real = tablecells._is_label

    def counted(cell: str) -> bool:
        nonlocal calls
        calls += 1
        return real(cell)

    monkeypatch.setattr(tablecells, "_is_label", counted)
    readings = tablecells.table_cells("\n".join(["表1", header, *rows]) + "\n")
    row_two = readings[len("表1\n" + header + "\n" + rows[0] + "\n")]
    assert len(row_two) == n - 1 and row_two[0].text.startswith("2001年小学教师数 0")  # word cells before it
    assert calls <= 4 * 2 * (n + 1)  # a few calls a cell (was one per earlier cell: n^2 / 2 a row)


# --------------------------------------------------------------------------- mention features (issue 14)

def _old_number_words(cand: Any, tokens: list[tuple[str, int, int]]) -> list[str]:
    """The clause words of :func:`number_features` as it was (every token scanned for every number)."""
    text, q = cand.sentence.text, cand.quantity
    cstart = text.find(cand.clause)
    cend = cstart + len(cand.clause) if cstart >= 0 else len(text)
    cstart = max(cstart, 0)
    words = [(w, s, e) for w, s, e in tokens if cstart <= s and e <= cend and not w.isdigit() and w.strip()]
    before = [w for w, s, e in words if e <= q.start][-3:]
    after = [w for w, s, e in words if s >= q.end][:2]
    zeros = str.maketrans("0123456789", "0000000000")
    return [w.translate(zeros) for w, _, _ in words] + ["|"] + before + ["|"] + after


def _new_number_words(feats: list[str]) -> list[str]:
    words = [f[2:] for f in feats if f.startswith("w:")]
    before = [f.split(":", 1)[1] for f in sorted(f for f in feats if f[:3] in ("lw1", "lw2", "lw3"))][::-1]
    after = [f.split(":", 1)[1] for f in sorted(f for f in feats if f[:3] in ("rw1", "rw2"))]
    return words + ["|"] + before + ["|"] + after


def _old_nearest(hits: list[Any], code: str, qstart: int, qend: int) -> tuple[Any, bool] | None:
    """``pair_extras``' nearest hit of a code and its ``near:other`` test as they were (every hit scanned)."""
    def dist(h: Any) -> int:
        return qstart - h.end if h.end <= qstart else h.start - qend

    mine = [h for h in hits if h.rule.indicator == code]
    if not mine:
        return None
    h = min(mine, key=dist)
    side_left = h.end <= qstart
    others = [o for o in hits if o.rule.indicator != code]
    return h, any(dist(o) < dist(h) and (o.end <= qstart) == side_left for o in others)


def test_hit_index_answers_as_a_scan_of_every_hit() -> None:
    from types import SimpleNamespace

    from pipeline.stages.nearest import HitIndex

    rng = random.Random(12)
    for _ in range(3000):
        hits = []
        for _ in range(rng.randint(0, 12)):
            start = rng.randint(0, 40)
            hits.append(SimpleNamespace(start=start, end=start + rng.randint(1, 5),
                                        rule=SimpleNamespace(indicator=rng.choice("abc"))))
        hits.sort(key=lambda h: (h.start, h.end))
        index = HitIndex(hits)
        qstart = rng.randint(0, 45)
        qend = qstart + rng.randint(1, 4)
        for code in "abcd":
            old = _old_nearest(hits, code, qstart, qend)
            h = index.nearest(code, qstart, qend)
            assert (h is None) == (old is None)
            if h is not None:
                assert h is old[0] and index.other_nearer(code, h, qstart) == old[1]


def _real_candidates() -> list[tuple[Any, list[tuple[str, int, int]]]]:
    from pipeline.records import Page
    from pipeline.stages.clean.clean import clean_page
    from pipeline.stages.extract.extract import candidates
    from pipeline.stages.segment.segment import segment_document, tokenize

    out = []
    for path in sorted((Path(__file__).resolve().parent.parent / "corpora").glob("*.txt"))[:3]:
        for doc in clean_page(Page(path.stem, str(path), path.read_bytes())):
            if doc.kept:
                sents, _ = segment_document(doc)
                out += [(c, tokenize(c.sentence.text)) for c in candidates(doc, sents)]
    return out


def test_number_features_take_the_words_they_took_on_seed_sentences() -> None:
    from pipeline.stages.features import number_features

    cands = _real_candidates()
    assert len(cands) > 300
    for cand, tokens in cands:
        assert _new_number_words(number_features(cand, tokens)) == _old_number_words(cand, tokens)


def _long_sentence(copies: int) -> tuple[Any, list[Any]]:
    """A document whose one sentence is a seed-like clause run repeated: ``5 * copies`` numbers, the
    candidates, trigger hits and rule decisions of each copy those of the clause run alone, moved."""
    from dataclasses import replace

    from pipeline.records import Page
    from pipeline.stages.clean.clean import clean_page
    from pipeline.stages.extract.extract import candidates
    from pipeline.stages.segment.segment import segment_document

    base = "全县小学35所,在校学生12000人,专任教师860人,小学适龄儿童入学率达100%,学前三年毛入园率达到92.5%"
    doc = next(d for d in clean_page(Page("t", "t", f"某县教育局2022年工作总结\n{base}。\n".encode())) if d.kept)
    sents, _ = segment_document(doc)
    cands = [c for c in candidates(doc, sents) if c.sentence.text.startswith(base)]
    assert len(cands) == 5
    sent = cands[0].sentence
    text = ",".join([base] * copies) + "。"
    long_sent = replace(sent, text=text, end=sent.start + len(text))
    doc = replace(doc, text=doc.text[:sent.start] + text + "\n")
    out = []
    for j in range(copies):
        off = j * (len(base) + 1)
        for c in cands:
            q = c.quantity
            moved = replace(q, start=q.start + off, end=q.end + off, flags=list(q.flags),
                            number_end=q.number_end + off if q.number_end >= 0 else -1,
                            outer_start=q.outer_start + off if q.outer_start >= 0 else -1,
                            outer_end=q.outer_end + off if q.outer_end >= 0 else -1)
            out.append(replace(c, sentence=long_sent, quantity=moved, index=len(out),
                               hits=[replace(h, start=h.start + off, end=h.end + off) for h in c.hits]))
    return doc, out


def test_a_sentence_of_three_thousand_numbers_is_scored_with_one_index_a_sentence(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The mention classifier's features of a line of 3,000 numbers (was quadratic: every token and
    trigger hit of the sentence scanned for each number) are made from one token index and one hit
    index; the same features as its five numbers alone."""
    from pipeline.stages import nearest
    from pipeline.stages.extract import mention_model

    built = {"tokens": 0, "hits": 0}
    real_of, real_init = nearest.TokenIndex.of, nearest.HitIndex.__init__

    def counted_of(tokens: Any) -> Any:
        built["tokens"] += 1
        return real_of(tokens)

    def counted_init(self: Any, hits: Any) -> None:
        built["hits"] += 1
        real_init(self, hits)

    monkeypatch.setattr(nearest.TokenIndex, "of", counted_of)
    monkeypatch.setattr(nearest.HitIndex, "__init__", counted_init)
    doc, cands = _long_sentence(600)
    with page_time_limit(120, "extract"):  # a guard against a hang, not a measurement
        bases, hits = mention_model.candidate_context(cands, all_numbers=True)
        clf = mention_model.mention_classifier()
        probs = clf.predict_features(bases, cands, hits) if clf is not None else []
        assert len(cands) == 3000 and built == {"tokens": 1, "hits": 1}
        if clf is not None:
            mention_model.combine(doc, cands, clf)
    # the copies between the first and the last have the same context: the same features and scores
    assert all(bases[k:k + 5] == bases[5:10] for k in range(5, 2990, 5))
    assert any(probs) and all(probs[k:k + 5] == probs[5:10] for k in range(5, 2990, 5))


def _old_continues(before: list[Any], unit: str, change: bool, seg_left: str, text: str, cls: list[Clause],
                   ci: int) -> Any:
    """governing.continues as a walk back over every earlier number (quadratic in a sentence)."""
    from pipeline.ruleset.cues import cue_match
    from pipeline.stages.extract.frames import clause_at, in_brackets

    def blocks(c: Any) -> bool:
        return c.rule is None and c.unit == unit and c.quantity.is_value and bool(c.reason) \
            and c.reason.startswith("blocked")

    for i in range(len(before) - 1, -1, -1):
        c = before[i]
        if c.rule is not None:
            if change:
                found = cue_match("change", "before", seg_left)
                rest = seg_left[:found[1].start()] if found else seg_left
                if len(_FILLER.sub("", rest)) > BARE_CHANGE:
                    return None
                k = ci - 1
                while k > 0 and in_brackets(text, cls[k]):
                    k -= 1
                if c.unit != unit and unit not in ("%", "百分点"):
                    for c2 in reversed(before[:i]):  # the last level in the change's unit, unless blocked
                        if c2.rule is not None and c2.kind != "change" and c2.unit == unit:
                            c, k = c2, k - 1
                            break
                        if blocks(c2):
                            return None
                    else:
                        return None
                return c if clause_at(cls, c.quantity.start) >= k else None
            if c.unit == unit and unit in c.rule.units and not _OWN_RATE.search(seg_left):
                return c
            if c.kind == "change" and c.unit != unit:
                continue
            return None
        if blocks(c):
            return None
    return None


def test_continues_finds_what_the_walk_back_found() -> None:
    rng = random.Random(14)
    units = ["人", "%", "元", "所", None]
    rules = [None, None, SimpleNamespace(units={"人", "所"}), SimpleNamespace(units={"%"}),
             SimpleNamespace(units={"%", "元"})]
    cls = [Clause(0, 10, "x" * 10), Clause(11, 20, "x" * 9), Clause(21, 40, "x" * 19)]
    for _ in range(400):
        before: list[Any] = []
        index = Decided()
        for k in range(rng.randint(1, 30)):
            rule = rng.choice(rules)
            before.append(SimpleNamespace(
                rule=rule, unit=rng.choice(units), kind=rng.choice(["level", "change", None]) if rule else None,
                reason=None if rule else rng.choice([None, "blocked:x", "no_trigger"]),
                quantity=SimpleNamespace(is_value=rng.random() < 0.9, start=rng.randint(0, 39))))
            index.catch_up(before, k)  # as the reader does: every candidate but the one being decided
            args = (rng.choice(["人", "%", "元", ""]), rng.random() < 0.3,
                    rng.choice(["", "较上年增长", "占比", "其中", "较xx年全县提高了"]), "x" * 40, cls,
                    rng.randint(0, 2))
            assert continues(index, *args) is _old_continues(before[:-1], *args)


def test_a_sentence_of_forty_thousand_numbers_without_triggers_is_read_through() -> None:
    # the old walk back took 5 s for 4,000 numbers, about 8 minutes for these (quadratic)
    text = "数据" + "，".join(f"{i}所" for i in range(40000)) + "。"
    sent = Sentence("t#0:0", "t#0", "t", 0, text, 0, len(text), 0, len(text), None)
    with page_time_limit(120, "extract"):  # a guard against a hang, not a measurement
        cands = sentence_candidates(sent, doc_facts(text, "", None))
    assert len(cands) == 40000 and not any(c.indicator for c in cands)


def test_the_end_of_a_rate_is_found_as_before_and_in_linear_time() -> None:
    old = regex.compile(r"\s*[)）]?\s*(?:以上|左右)?\s*(?:[,，。;；、]|$)")  # three \s* in a row: cubic
    rng = random.Random(14)
    alphabet = list("  \t)）以上左右,，。;；、x\n")
    for _ in range(20000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        a, b = old.match(s), _RATE_END.match(s)
        assert (a is None) == (b is None) and (a is None or a.span() == b.span()), s
    text = "入学率为1" + " " * 100_000 + "人"  # the fuzzer's page: 20,000 spaces took the extract stage 29 s
    with page_time_limit(120, "extract"):  # a guard against a hang, not a measurement
        assert [q.text for q in read_quantities(text)] == ["1"]


def test_records_of_a_sentence_share_one_scan_for_places(monkeypatch: pytest.MonkeyPatch) -> None:
    """A record's place reads its sentence's place names and clause breaks, made once a sentence (a
    line of thousands of records scanned it once a record, and found its clause by a scan too)."""
    from pipeline.records import Page
    from pipeline.stages.clean import divisions, regions
    from pipeline.stages.clean.clean import clean_page
    from pipeline.stages.extract.extract import extract_document
    from pipeline.stages.segment.segment import segment_document

    path = sorted((Path(__file__).resolve().parent.parent / "corpora").glob("*.txt"))[0]
    doc = next(d for d in clean_page(Page(path.stem, str(path), path.read_bytes())) if d.kept)
    sents, _ = segment_document(doc)
    _, records = extract_document(doc, sents, gated=True)
    before = [(r.region, r.region_code) for r in records]
    scans = 0
    real = divisions.DivisionList.scan

    def counted(self: Any, text: str) -> Any:
        nonlocal scans
        scans += 1
        return real(self, text)

    monkeypatch.setattr(divisions.DivisionList, "scan", counted)
    regions.locate_records(doc, sents, records)
    assert [(r.region, r.region_code) for r in records] == before
    assert scans == len({r.sentence_id for r in records}) < len(records)
    home = divisions.division_list().resolution(doc.region_code)
    spans = {s.sentence_id: s for s in sents}
    for r in records:  # the same place with the sentence's places given as without
        s = spans[r.sentence_id]
        args = (s.text, r.start - s.start, r.end - s.start, home)
        assert regions.record_region(*args, regions.sentence_places(s.text)) == regions.record_region(*args)
