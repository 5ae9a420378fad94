"""Property tests of the quantity reader and the clean stage on the number classes of real pages
(issue 10): spaced numbers, pinyin-noted units, lone unit words and whole Chinese numerals."""

from __future__ import annotations

from decimal import Decimal

import opencc
from hypothesis import given, settings
from hypothesis import strategies as st
from test_quantities import chinese, only

from pipeline.stages.clean.clean import normalize_text
from pipeline.stages.extract.quantities import read_quantities
from pipeline.text.aligned import AlignedText

T2S = opencc.OpenCC("t2s").convert
SPACE = st.sampled_from([" ", "  ", "\u3000", "\u00a0"])
UNITS = st.sampled_from([("人", 1, "人"), ("所", 1, "所"), ("名", 1, "人"), ("万人", 10**4, "人"),
                         ("万元", 10**4, "元"), ("亿元", 10**8, "元"), ("个", 1, "个"), ("人次", 1, "人次")])


def clean(text: str) -> str:
    return normalize_text(AlignedText.from_raw(text)).text


def value_units(text: str) -> list[tuple[float | None, str | None]]:
    return [(q.value, q.unit) for q in read_quantities(text) if q.is_value]


# --- spacing ---------------------------------------------------------------------------------------

@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99), UNITS, SPACE)
def test_a_space_between_number_and_unit_or_scale_is_read_through(n: int, frac: int, unit: tuple[str, int, str],
                                                                    space: str) -> None:
    written, factor, base = unit
    number = f"{n}.{frac:02d}" if frac else str(n)
    expected = float(Decimal(number) * factor)
    assert value_units(f"全县共有{number}{space}{written},比上年") == [(expected, base)]
    if factor > 1:  # 4.6 万 人: a space on both sides of the scale word
        assert value_units(f"共有{number}{space}{written[0]}{space}{written[1:]}。") == [(expected, base)]


@given(st.integers(min_value=1000, max_value=10**12 - 1), st.sampled_from(["人", "所", "个", "元"]))
def test_a_space_as_thousands_separator_joins_the_groups(n: int, unit: str) -> None:
    written = f"{n:,}".replace(",", " ")
    q = only(f"在校学生{written}{unit},较上年")
    assert (q.value, q.unit, q.text) == (float(n), unit, f"{written}{unit}")
    assert "thousands_space" in q.flags


@given(st.integers(min_value=1000, max_value=99999), st.integers(min_value=1000, max_value=99999))
def test_spaced_groups_without_a_unit_stay_separate_numbers(a: int, b: int) -> None:
    # a row of a table flattened with spaces: no unit follows, so no group is joined
    assert [q.value for q in read_quantities(f"小学 {a} {b}")] == [float(a), float(b)]


@given(st.integers(min_value=1, max_value=99), st.integers(min_value=1, max_value=99), SPACE)
def test_a_rate_that_lost_its_point_to_a_space(whole: int, frac: int, space: str) -> None:
    q = only(f"小学净入学率{whole} {frac:02d}{space.strip()}%")
    assert (q.value, q.unit) == (float(f"{whole}.{frac:02d}"), "%") and "repaired_lost_point" in q.flags
    # after a number or without %, the two numbers stay two
    assert len(read_quantities(f"分别为95% {whole} {frac:02d}%")) == 3
    assert not any("repaired_lost_point" in q.flags for q in read_quantities(f"入学率{whole} {frac:02d}人"))


@given(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=99), SPACE, SPACE)
def test_spaces_around_percent(whole: int, frac: int, before: str, after: str) -> None:
    written = f"{whole}.{frac:02d}"
    q = only(f"增长{before}-{written}{before}%{after},较上年")
    assert (q.value, q.unit) == (-float(written), "%")


# --- pinyin notes ---------------------------------------------------------------------------------

NOTED_UNITS = st.sampled_from([
    ("萬(wàn)人", 10**4, "人"), ("萬（wàn）人", 10**4, "人"), ("億(yì)元", 10**8, "元"), ("萬(wàn)元", 10**4, "元"),
    ("個(gè)百分點(diǎn)", 1, "百分点"), ("所(suǒ)", 1, "所"), ("個(ge)", 1, "个"), ("萬(wan4)人", 10**4, "人"),
    ("萬 (wàn) 人", 10**4, "人"), ("人次(cì)", 1, "人次"),
])


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=99), NOTED_UNITS,
       st.sampled_from(["", " "]))
def test_pinyin_noted_units_read_as_their_unit(n: int, frac: int, unit: tuple[str, int, str], space: str) -> None:
    written, factor, base = unit
    number = f"{n}.{frac:02d}" if frac else str(n)
    raw = f"全省在校學(xué)生{number}{space}{written},比上年增長(zhǎng)"
    text = clean(raw)
    assert not any(ch.isascii() and ch.isalpha() for ch in text), text
    assert value_units(text) == [(float(Decimal(number) * factor), base)]


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["萬(wàn)", "個(gè)", "增長(zhǎng)", "學(xué)", "點(diǎn)", "（jiào）", "(ge)", " ",
                                 "教育", "12.5", "%", "(Education)", "[2]", "所", "(含)", "人"]), max_size=12))
def test_offsets_stay_exact_when_notes_are_dropped(parts: list[str]) -> None:
    raw = "".join(parts)
    at = normalize_text(AlignedText.from_raw(raw))
    assert list(at.raw) == sorted(set(at.raw))  # deletions only: increasing, no character used twice
    for ch, off in zip(at.text, at.raw, strict=True):
        assert T2S(raw[off]) == ch or raw[off] == ch or ord(raw[off]) - 0xFEE0 == ord(ch)
    assert "(Education)" in at.text or "(Education)" not in raw


# --- lone unit words and Chinese numerals ---------------------------------------------------------

@given(st.sampled_from(["万", "千", "百", "萬"]), st.sampled_from(["人", "名", "人次"]),
       st.sampled_from(["", "空巷", "门槛", "大会", "计划"]), st.sampled_from(["", "首次跨越", "有", "。"]))
def test_a_lone_unit_word_is_not_a_number(mult: str, unit: str, noun: str, before: str) -> None:
    text = f"{before}{mult}{unit}{noun}"
    if before in ("", "。") or noun:
        assert value_units(text) == [], text


@given(st.integers(min_value=11, max_value=10**12 - 1), st.sampled_from(["", "。", ",共计", "的"]))
def test_a_chinese_numeral_is_read_whole_or_not_at_all(n: int, after: str) -> None:
    got = [q.value for q in read_quantities(f"全县在校学生{chinese(n)}{after}")]
    assert got in ([], [float(n)]), (chinese(n), got)
