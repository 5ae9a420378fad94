"""The quantity reader's second pass: numbers read together with their neighbours (compounds,
ranges, lists, frames, comparisons) and repairs of glued years, footnotes and unit slips
(see :mod:`pipeline.stages.extract.quantities`)."""

from __future__ import annotations

from decimal import Decimal

import regex

from pipeline.stages.extract.quantity_grammar import (
    GLUED_YEAR_MAX,
    GLUED_YEAR_MIN,
    LIST_SEPS,
    NOT_A_VALUE,
    RANGE_SEPS,
    YEAR_MAX,
    YEAR_MIN,
    Quantity,
    _Grammar,
)
from pipeline.text.numerals import ARABIC_SCALES, parse_arabic, to_float

# ----------------------------------------------------------------------------- neighbours

def _plain(q: Quantity) -> bool:
    """A number that may borrow or lend a unit: read, not masked/ordinal/phone/... ."""
    return q.number is not None and not (set(q.flags) & {"masked", "ordinal", "list_marker", "phone",
                                                         "document_number", "range", "date", "footnote",
                                                         "lost_digits"})


def _merge_compounds(text: str, qs: list[Quantity]) -> list[Quantity]:
    """1亿2000万元, 1万2千人, 3万5000人: a bare scaled number and the smaller number right after it are one."""
    out: list[Quantity] = []
    for q in qs:
        a = out[-1] if out else None
        if (a is not None and a.end == q.start and a.unit is None and a.scale > 1 and not a.suffix_hedge
                and _plain(a) and _plain(q) and a.number is not None and q.number is not None
                and 0 < q.number < a.scale and q.scale < a.scale and not (set(q.flags) & NOT_A_VALUE)):
            total = float(Decimal(repr(a.number)) + Decimal(repr(q.number)))
            merged = Quantity(text[a.start:q.end], a.start, q.end, total if q.value is not None else None, q.unit,
                              q.approx, q.flags, number=total, unit_text=q.unit_text, number_end=q.number_end,
                              prefix_hedge=a.prefix_hedge, suffix_hedge=q.suffix_hedge, outer_start=a.outer_start,
                              outer_end=q.outer_end, scale=q.scale)
            out[-1] = merged
            continue
        out.append(q)
    return out


def _merge_ranges(text: str, qs: list[Quantity]) -> list[Quantity]:
    """3-5岁, 2016-2018年, 2019-2010年, 15至17周岁: one range quantity (value None, low/high)."""
    out: list[Quantity] = []
    i = 0
    while i < len(qs):
        a = qs[i]
        b = qs[i + 1] if i + 1 < len(qs) else None
        if (b is not None and text[a.end:b.start] in RANGE_SEPS and _plain(a) and _plain(b)
                and (a.unit is None or a.unit == b.unit) and a.number is not None and b.number is not None):
            low = a.number * (b.scale if a.scale == 1 else 1)
            flags = ["range"] + [f for f in b.flags if f in ("age", "chinese_numeral", "unit_implied")]
            year = None
            if b.unit == "年" and all(q.number == int(q.number) and YEAR_MIN <= q.number <= YEAR_MAX for q in (a, b)):
                flags.insert(0, "year")
            r = Quantity(text[a.start:b.end], a.start, b.end, None, b.unit, a.approx or b.approx, flags, year,
                         number=None, unit_text=b.unit_text, number_end=b.number_end,
                         prefix_hedge=a.prefix_hedge, suffix_hedge=b.suffix_hedge,
                         outer_start=a.outer_start, outer_end=b.outer_end, low=low, high=b.number, scale=b.scale)
            out.append(r)
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _borrow(q: Quantity, lender: Quantity, flag: str, with_scale: bool) -> None:
    """Give bare ``q`` the unit (and role) of ``lender``."""
    q.unit, q.unit_text = lender.unit, lender.unit_text
    if with_scale and q.scale == 1 and lender.scale > 1 and q.number is not None:
        q.number = float(Decimal(repr(q.number)) * lender.scale)
        q.scale = lender.scale
    q.value = q.number
    q.flags.append(flag)
    for role in ("age", "year", "duration"):
        if role in lender.flags:
            if role == "year" and not (q.number is not None and YEAR_MIN <= q.number <= YEAR_MAX):
                continue
            q.flags.append(role)
            if role != "duration":
                q.value = None
            if role == "year" and q.number is not None:
                q.year = int(q.number)


#: What may follow a whole number that is a rate which lost its %: the clause's end (入园率为93,).
_RATE_END = regex.compile(r"\s*+[)）]?\s*+(?:以上|左右)?\s*+(?:[,，。;；、]|$)")  # possessive: linear in a run of spaces


def _bare(q: Quantity) -> bool:
    return q.unit is None and q.value is not None and _plain(q)


#: Between the two figures of a pair of periods: 上年3015.48,本年3342.16元.
_PERIOD_PAIR = regex.compile(r"\s*[,，、]\s*(?:本年|今年|当年|本期)(?:为|是|达到?)?\s*")


def _lists(text: str, qs: list[Quantity]) -> None:
    """分别为A、B、C: a bare item borrows its neighbour's unit (15、17周岁; 2546.78万元、2763.06万)."""
    for i in range(len(qs) - 2, -1, -1):  # A、B单位: right to left so chains pass the unit on
        a, b = qs[i], qs[i + 1]
        if _bare(a) and b.unit and b.start == a.end + 1 and text[a.end] in LIST_SEPS and _plain(b):
            _borrow(a, b, "unit_from_list", with_scale=a.scale == 1)
    for i in range(len(qs) - 2, -1, -1):  # 上年3015.48,本年3342.16元: a pair of periods shares the unit
        a, b = qs[i], qs[i + 1]
        if _bare(a) and "." in a.text and b.unit and _plain(b) and _PERIOD_PAIR.fullmatch(text, a.outer_end, b.outer_start):
            _borrow(a, b, "unit_from_list", with_scale=a.scale == 1)
    for i in range(1, len(qs)):  # A单位、B: left to right
        a, b = qs[i - 1], qs[i]
        if _bare(b) and a.unit and b.start == a.outer_end + 1 and text[a.outer_end] in LIST_SEPS and _plain(a):
            _borrow(b, a, "unit_from_list", with_scale=False)


#: Between a year and the number it dates: 2023年(底)的1903人.
_DATES_NEXT = regex.compile(r"\s*(?:底|末)?的?\s*")


def _frames(text: str, qs: list[Quantity], g: _Grammar) -> None:
    """由A下降至B: repair a year glued to A, and let a bare end borrow the other's unit."""
    for i in range(len(qs) - 1):
        a, b = qs[i], qs[i + 1]
        if not g.frame_re.fullmatch(text, a.outer_end, b.outer_start):
            continue
        if "year" in b.flags and i + 2 < len(qs) and _DATES_NEXT.fullmatch(text, b.end, qs[i + 2].outer_start):
            b = qs[i + 2]  # 由A增加到2023年的B: the year dates B, the frame moves from A to B
        a.flags.append("frame_from")
        b.flags.append("frame_to")
        _repair_glued_year(a, b)
        if _bare(a) and b.unit and _plain(b):
            _borrow(a, b, "unit_from_frame", with_scale=False)
        elif _bare(b) and a.unit and _plain(a):
            _borrow(b, a, "unit_from_frame", with_scale=False)


def _comparisons(text: str, qs: list[Quantity]) -> None:
    """37326.9万元,比201834417.2万元增加2909.7万元: a year that lost its 年 after 比/较 is glued to the
    base of the comparison; the level before it is the partner that :func:`_repair_glued_year` checks."""
    for i in range(1, len(qs)):
        if text[qs[i].start - 1] in "比较較" and qs[i].unit is not None:
            _repair_glued_year(qs[i], qs[i - 1])


#: Verbs of a decrease (the rest of rules/quantity_words.tsv's frame_verb are increases).
DECREASE_VERBS = ("下降", "减少", "降低", "降", "缩小")
#: How far the stated growth may be from the one the two amounts give (rounding of the stated %).
GROWTH_TOLERANCE = 0.0006


def _unit_slips(text: str, qs: list[Quantity], g: _Grammar) -> None:
    """71540万元,较上年的66982.47元增加6.80%: a base written without the scale of the level before it
    takes that scale when, and only when, the growth stated after it then comes out (71540/66982.47
    is +6.80%); flagged ``repaired_unit_scale``."""
    for i in range(1, len(qs) - 1):
        level, base, rate = qs[i - 1], qs[i], qs[i + 1]
        gm = g.growth_re.fullmatch(text, base.outer_end, rate.outer_start)
        if not (gm and rate.unit == "%" and rate.value is not None and level.unit == base.unit is not None
                and level.value and base.value and level.scale != base.scale and _plain(base)
                and text[base.start - 1] in "的比较較"):
            continue
        growth = rate.value / 100 * (-1 if gm.group("verb").startswith(DECREASE_VERBS) and rate.value > 0 else 1)
        k = level.scale / base.scale
        if abs(level.value / (base.value * k) - 1 - growth) <= GROWTH_TOLERANCE < abs(level.value / base.value - 1 - growth):
            base.number = base.value = float(Decimal(repr(base.value)) * Decimal(repr(k)))
            base.scale = level.scale
            base.flags.append("repaired_unit_scale")


#: A glued number that carries a unit (2018152个下降至86个) is repaired only when it is this many
#: times larger than its from/to partner while its tail is of the partner's order (within this factor).
GLUED_JUMP, GLUED_ORDER = 100, 10


def _repair_glued_year(a: Quantity, b: Quantity) -> None:
    """大班额数2016619下降至267个: the head of a 5-8 digit number in a from/to frame is a year glued to
    the count. A bare whole number is always repaired; one written with its unit (2018152个下降至86个,
    201834417.2046万元) only when the tail, not the whole, is of the same order as the partner ``b``."""
    if a.value is None or not _plain(a) or "thousands_space" in a.flags:
        return
    digits = a.text[:a.number_end - a.start]
    whole, _, frac = digits.rstrip("".join(ARABIC_SCALES)).partition(".")
    if not (5 <= len(whole) <= (12 if a.unit else 8) and whole.isdigit() and whole.isascii()
            and (frac.isdigit() or not frac) and (a.unit or (a.scale == 1 and not frac))):
        return
    head, rest = int(whole[:4]), whole[4:] + (f".{frac}" if frac else "")
    if not GLUED_YEAR_MIN <= head <= GLUED_YEAR_MAX or rest[0] == "0":
        return
    number = to_float(Decimal(rest), a.scale)
    if a.unit is not None:
        other = b.value
        if a.unit != b.unit or not other or a.value < GLUED_JUMP * other \
                or not other / GLUED_ORDER <= number <= other * GLUED_ORDER:
            return
    a.year = head
    _drop_head(a, 4, number, "repaired_glued_year")


def _drop_head(q: Quantity, k: int, number: float, flag: str) -> None:
    """Cut the first ``k`` characters (a glued year or footnote) off ``q``, which now reads ``number``."""
    q.number = q.value = number
    if q.outer_start == q.start:
        q.outer_start += k
    q.start += k
    q.text = q.text[k:]
    q.flags.append(flag)


#: A rate glued to a footnote digit: a level rate (入学率 …) reads at most this much (gross rates pass 100).
RATE_MAX = 150
GROWTH_RATES = ("增长率", "增速", "增幅")


def _repair_glued_footnote(q: Quantity, text: str) -> None:
    """入学率299.1%: a footnote marker ([2]) scraped without its brackets is glued to the rate after it.
    A % right after 率 that reads over :data:`RATE_MAX` loses its first one or two digits when what
    is left is a rate (1-100, no leading 0); growth rates (增长率 …) are never cut."""
    if not (q.unit == "%" and q.scale == 1 and q.value is not None and q.value > RATE_MAX and _plain(q)
            and text[q.start - 1:q.start] == "率" and not text.endswith(GROWTH_RATES, 0, q.start)):
        return
    digits = text[q.start:q.number_end]
    for k in (1, 2):
        rest = digits[k:]
        if rest[:1] in "123456789" and rest[:1] and (dec := parse_arabic(rest)) is not None and 1 <= dec <= 100:
            _drop_head(q, k, float(dec), "repaired_glued_footnote")
            return


CLAUSE_ENDS = "。；;！？!?\n,，、:：(（"


def _clause_start(text: str, pos: int, window: int = 40) -> int:
    lo = max(0, pos - window)
    return max([lo] + [text.rfind(ch, lo, pos) + 1 for ch in CLAUSE_ENDS])


def _implied(text: str, qs: list[Quantity], g: _Grammar) -> None:
    """Units a bare number implies: person nouns (人), a 亿 or money-sentence 万 amount (元), 50幼儿园所."""
    for q in qs:
        if not _bare(q):
            continue
        unit = None
        if q.scale > 1 or q.suffix_hedge:
            if g.person_after_re.match(text, q.outer_end, q.outer_end + 8):
                unit = "人"
            elif q.scale >= 10**8:
                unit = "元"
            elif q.scale >= 10**4 and g.money_re.search(text, _clause_start(text, q.start), q.start):
                unit = "元"
        elif g.displaced_re.match(text, q.end):
            q.unit = q.unit_text = "所"
            q.flags.append("repaired_displaced_unit")
            continue
        if (unit is None and q.scale == 1 and q.number is not None and 0 < q.number <= 100
                and ("." in q.text or _RATE_END.match(text, q.outer_end))
                and g.rate_before_re.search(text, max(0, q.outer_start - 9), q.outer_start)):
            unit = "%"  # a rate that lost its %: 普及率升至98.87, 入园率为93, 比例为(55.36)
        if unit is None and not (q.scale == 1 and q.number is not None and q.number == int(q.number)
                                 and GLUED_YEAR_MIN <= q.number <= GLUED_YEAR_MAX and len(q.text) == 4):
            whole = q.scale > 1 or q.number == int(q.number)  # no bare 12.71 people
            if whole and g.person_before_re.search(text, max(0, q.outer_start - 10), q.outer_start):
                unit = "人"
            elif whole and q.scale == 1 and g.schools_before_re.search(text, max(0, q.outer_start - 8),
                                                                          q.outer_start):
                unit = "所"  # a table's 学校数 column: 学前教育学校数 612
            elif whole and q.scale == 1 and g.classes_before_re.search(text, max(0, q.outer_start - 8), q.outer_start):
                unit = "个"  # 超大班额为0
        if unit:
            q.unit = unit
            q.flags.append("unit_implied")
