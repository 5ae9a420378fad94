"""Paths that were quadratic (or worse) in the size of one line or table row, at the sizes that used
to hang a page until its timeout: the boilerplate's education-number test on a long run of ``1.``,
table rows of thousands of cells (boilerplate.py, tablecells.py), the record a number without a
trigger continues in a sentence of thousands of numbers (governing.continues), and the end of a rate
that lost its % after a long run of spaces (quantity_neighbours._RATE_END)."""

from __future__ import annotations

import random
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


def _old_continues(before: list[Any], unit: str, change: bool, seg_left: str, cls: list[Clause],
                   ci: int) -> Any:
    """governing.continues as it was: a walk back over every earlier number (quadratic in a sentence)."""
    from pipeline.ruleset.cues import cue_match
    from pipeline.stages.extract.frames import clause_at

    for c in reversed(before):
        if c.rule is not None:
            if change:
                found = cue_match("change", "before", seg_left)
                rest = seg_left[:found[1].start()] if found else seg_left
                bare = len(_FILLER.sub("", rest)) <= BARE_CHANGE
                return c if bare and clause_at(cls, c.quantity.start) >= ci - 1 else None
            if c.unit == unit and unit in c.rule.units and not _OWN_RATE.search(seg_left):
                return c
            if c.kind == "change" and c.unit != unit:
                continue
            return None
        if c.unit == unit and c.quantity.is_value and c.reason and c.reason.startswith("blocked"):
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
                    rng.choice(["", "较上年增长", "占比", "其中", "较xx年全县提高了"]), cls, rng.randint(0, 2))
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
