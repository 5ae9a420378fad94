"""Paths that were quadratic (or worse) in the size of one line or table row, at the sizes that used
to hang a page until its timeout: the boilerplate's education-number test on a long run of ``1.``,
and table rows of thousands of cells (boilerplate.py, tablecells.py)."""

from __future__ import annotations

import random

import pytest
import regex

from pipeline.limits import page_time_limit
from pipeline.stages.clean.boilerplate import EDU_NUMBER, has_edu_number, strip_boilerplate
from pipeline.stages.extract import tablecells
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
