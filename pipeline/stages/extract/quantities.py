"""Quantity reader: every way a report writes a number, in one compiled-regex pass.

``read_quantities(text) -> list[Quantity]`` returns every number-like span of
``text`` in order. ``value`` is in the codebook's base unit (``万元`` scaled to
元, ``万人`` to 人, ``2个亿`` to 元 ...), ``unit`` one of ``% 百分点 元 人 人次 所
个`` (名/位 → 人, 处 → 所), another unit word as written (``平方米``, ``批``, ``岁``
...) or ``None`` for a bare number. ``flags`` name what was recognised or
repaired; a quantity whose flags include one of :data:`NOT_A_VALUE` has
``value is None`` and is never a value (its reading stays in ``number``).

Choices:

- **Chinese numerals** are read as a value only when a unit/counter follows
  (两所, 三千余人, 一千五百零七点三亿元), after 百分之 (百分之九十三), when they
  carry a 万/亿 scale (两万), or when 余/多 follows a numeral with a multiplier
  (三千余). Otherwise they are words: 一是 (list marker), 统一, 一批, 一本,
  十三五, 九年义务教育, 一岗双责, 两免一补, 一人一档 give nothing; 第一 is an
  ordinal.
- **Hedges** (近 约 超过 逾 不少于 不低于 …, 余 多, 以上 左右 …; words in
  rules/quantity_words.tsv) set ``approx`` and are kept in ``prefix_hedge`` /
  ``suffix_hedge`` (余/多 inside the number count as suffix). A bound next to a
  class-size cue (每班超过55人, 56人以上的大班额) is still approx, flagged
  ``threshold_phrase``: the extractor decides.
- **Not values** (``value`` None): masked numbers (xx.5%, 10xx6元, 20__年),
  years (2015年, 二〇一八年), ranges (2016-2018年, 3-5岁; ``low``/``high``),
  dates, ordinals (第3), list markers (1. / (二) / 一、 / 一是), document
  numbers (〔2018〕70号, 163号), ages (15周岁), phone numbers, times and
  ratios (19:12, 17:1), vague counts (数十所, 上千名).
- **Units borrowed or implied** (flagged): a bare number takes the unit of its
  list neighbour (2546.78万元、2763.06万; 15、17周岁) or of its from/to partner
  (由619下降至267个); a bare 亿 amount, or a bare 万 amount in a clause about
  money (预算100万), is 元; a bare count after or before a person noun
  (1.2万余教师, 在校生共7214) is 人.
- **From/to frames** (由A下降至B, 从A增加到B): A is flagged ``frame_from``, B
  ``frame_to`` (both are levels, not changes).
- **Spacing** of real pages: a space (or two) between a number and its scale,
  hedge or unit (75.6 万人, 4213 所, -5.32 %); a space as thousands separator
  when a unit follows (2 318个, ``thousands_space``); a rate whose point was lost
  to a space right after a word (入学率8 35% → 8.35, ``repaired_lost_point``).
- **Words, not numbers**: a lone 百/千/万 counts only after a word and hedged
  or closing its clause (近千名, 万余人, 突破千人,); 万人 alone, 千人门槛 give
  nothing, 每百名学生 is ``per``; a Chinese numeral is read whole or not at all
  (三万二千七百零五 with no unit gives nothing, never 三万); footnote markers
  ([2]) are ``footnote``; 达.47% (digits lost before the point) is ``lost_digits``.
- **Repairs** (flagged): a year glued to a count in a from/to frame
  (大班额数2016619下降至 → 619, ``year`` 2016, ``repaired_glued_year``) or after
  比/较 (比201834417.2046万元, checked against the level before it), a year
  range without its dash (20162018年, ``repaired_year_range``), a unit written
  after its noun (50幼儿园所 → 50 所, ``repaired_displaced_unit``), a footnote
  digit glued to a rate (入学率299.1% → 99.1, ``repaired_glued_footnote``), a
  comparison base that lost its 万 when the stated growth proves it
  (``repaired_unit_scale``), a decimal after 率/比例 that lost its % (``unit_implied``).
"""

from __future__ import annotations

import re
from decimal import Decimal

from pipeline.stages.extract.quantity_grammar import (
    BOUND_WORDS,
    LONE_MULTIPLIERS,
    OPEN_QUOTES,
    SPACES,
    VAGUE_BEFORE,
    YEAR_MAX,
    YEAR_MIN,
    Quantity,
    _Grammar,
    _grammar,
)
from pipeline.stages.extract.quantity_neighbours import (
    _comparisons,
    _frames,
    _implied,
    _lists,
    _merge_compounds,
    _merge_ranges,
    _repair_glued_footnote,
    _unit_slips,
)
from pipeline.text.numerals import ARABIC_SCALES, CN_SCALES, CN_UNITS, parse_arabic, parse_chinese, to_float

# ----------------------------------------------------------------------------- one match

def _hedges(q: Quantity, text: str, g: _Grammar, inner: str | None) -> None:
    """Set prefix/suffix hedges, approx, outer span and the threshold flag of ``q``."""
    s, e = q.start, q.end
    q.outer_start, q.outer_end = s, e
    pm = g.prefix_re.search(text, max(0, s - 6), s) if s and text[s - 1] in g.prefix_last else None
    if pm:
        q.prefix_hedge = pm.group("w")
        q.outer_start = pm.start()
    sm = g.suffix_re.match(text, e) if text[e:e + 1] in g.suffix_first else None
    if sm:
        q.suffix_hedge = sm.group("w")
        q.outer_end = sm.end()
    elif inner:
        q.suffix_hedge = inner
    if q.prefix_hedge or q.suffix_hedge:
        q.approx = True
        bound = q.suffix_hedge if q.suffix_hedge in BOUND_WORDS else q.prefix_hedge
        if bound in BOUND_WORDS and g.threshold_re.search(text, max(0, q.outer_start - 10), q.outer_end + 8):
            q.flags.append("threshold_phrase")


def _apply_role(q: Quantity, role: str, digits: str) -> None:
    """Turn a number with a role unit (年, 月, 岁, 号 ...) into a year/date/age/... reading."""
    n = q.number
    if role == "year":
        if q.scale == 1 and n is not None and n > 0 and digits.isdigit():
            if len(digits) == 4 and YEAR_MIN <= n <= YEAR_MAX:
                q.flags.append("year")
                q.year, q.value = int(n), None
                return
            if len(digits) == 8:
                a, b = int(digits[:4]), int(digits[4:])
                if YEAR_MIN <= a < b <= YEAR_MAX and b - a <= 30:
                    q.flags += ["year", "range", "repaired_year_range"]
                    q.low, q.high, q.value, q.number = float(a), float(b), None, None
                    return
        q.flags.append("duration")
    elif role == "date":
        limit = 12 if q.unit == "月" else 31
        if n is not None and n == int(n) and 1 <= n <= limit and q.scale == 1:
            q.flags.append("date")
            q.value = None
        else:
            q.flags.append("duration")
    elif role in ("age", "document_number"):
        q.flags.append(role)
        q.value = None
    elif role:
        q.flags.append(role)


def _from_match(m: re.Match, text: str, g: _Grammar) -> Quantity | None:
    """The quantity of one match of the reader's pattern, or None. (Long: one branch per
    alternative of the pattern, a, c and the masked forms, reading the same named groups.)"""
    kind = m.lastgroup
    s, e = m.span()
    if kind == "a":
        sign, num, lost, h1, sc, h2, u = m.group("a_sign", "a_num", "a_lost", "a_h1", "a_sc", "a_h2", "a_u")
        flags = []
        if lost:
            num, flags = lost.replace(" ", "."), ["repaired_lost_point"]  # 8 35% is 8.35%
        elif " " in num:
            flags = ["thousands_space"]  # 2 318个
        dec = parse_arabic(num.replace(" ", ""))
        if dec is None:
            return None
        if sign:
            dec = -dec
        elif s >= 2 and text[s - 1] in ".．" and (text[s - 2] == " " or "\u4e00" <= text[s - 2] <= "\u9fff"):
            flags = ["lost_digits"]  # 达.47%: the scrape dropped the digits before the point
        q = _number(m, text, g, dec, sc, h1 or h2, u, _number_end(m, text, "a_u"), num, flags)
        if "lost_digits" in flags:
            q.value = None
        return q
    if kind == "c":
        num, h1, sc, h2, u = m.group("c_n", "c_h1", "c_sc", "c_h2", "c_u")
        has_scale = bool(sc) or any(ch in CN_SCALES for ch in num[1:])
        has_mult = any(ch in CN_UNITS or ch in CN_SCALES for ch in num)
        if not u and not has_scale and not ((h1 or h2) and has_mult):
            return None  # a Chinese numeral inside an ordinary word: 一是, 统一, 十三五
        if len(num) == 1 and u and text.startswith("一", e):
            return None  # 一人一档, 三位一体, 五个一
        if s and text[s - 1] in OPEN_QUOTES:
            return None  # a slogan: “三个代表”, “八项规定”, “两个只增不减”
        dec = parse_chinese(num)
        if dec is None:
            return None
        q = _number(m, text, g, dec, sc, h1 or h2, u, _number_end(m, text, "c_u"), "", ["chinese_numeral"])
        if num in LONE_MULTIPLIERS and s and text[s - 1] == "每":
            q.flags.append("per")  # 每百名学生, 每万人: the denominator of a ratio, not a count
            q.value = None
        elif num in LONE_MULTIPLIERS and not _lone_multiplier_counts(q, text):
            return None  # 万人 alone, 千人门槛, 万人空巷: a word, not a number
        if s and text[s - 1] in VAGUE_BEFORE and num[0] in "十百千万萬":
            q.flags.append("vague")  # 数十所, 几百人, 上千名: no number is stated
            q.value = None
        return q
    if kind == "p":
        raw = m.group("p_n")
        cn = raw[0] not in "0123456789０１２３４５６７８９"
        dec = parse_chinese(raw) if cn else parse_arabic(raw)
        if dec is None:
            return None
        v = float(dec)
        q = Quantity(m.group(), s, e, v, "%", flags=["chinese_numeral"] if cn else [], number=v,
                     unit_text="百分之", number_end=e)
        _hedges(q, text, g, None)
        return q
    if kind == "m":
        u = m.group("m_u")
        unit, role = g.units.get(u, (None, "")) if u else (None, "")
        flags = ["masked"] + (["year"] if role == "year" else [])
        q = Quantity(m.group(), s, e, None, unit, flags=flags, unit_text=u, number_end=m.start("m_u") if u else e)
        _hedges(q, text, g, None)
        return q
    if kind == "o":
        raw, u = m.group("o_n", "o_u")
        dec = parse_arabic(raw) if raw[0] in "0123456789０１２３４５６７８９" else parse_chinese(raw)
        unit = g.units[u][0] if u else None
        return Quantity(m.group(), s, e, None, unit, flags=["ordinal"], number=float(dec) if dec is not None else None,
                        unit_text=u, number_end=_number_end(m, text, "o_u"), outer_start=s, outer_end=e)
    if kind == "fn":
        return Quantity(m.group(), s, e, None, None, flags=["footnote"], number=float(parse_arabic(m.group()[1:-1]) or 0),
                        number_end=e, outer_start=s, outer_end=e)
    if kind in ("lp", "lc", "ls"):
        raw = m.group()
        digits = "".join(ch for ch in raw if ch.isdigit() and ch.isascii())
        number = float(digits) if digits else (float(parse_chinese(raw) or 0) if kind != "lc" else
                                                float(ord(raw) - ord("①") + 1))
        return Quantity(raw, s, e, None, None, flags=["list_marker"], number=number, number_end=e,
                        outer_start=s, outer_end=e)
    if kind == "doc":
        return Quantity(m.group(), s, e, None, "号", flags=["document_number"], year=int(m.group("doc_y")),
                        number=float(m.group("doc_n")), unit_text="号", number_end=e, outer_start=s, outer_end=e)
    if kind in ("tm", "ra"):
        return Quantity(m.group(), s, e, None, None, flags=["time" if kind == "tm" else "ratio"], number_end=e,
                        outer_start=s, outer_end=e)
    if kind == "ph":
        return Quantity(m.group(), s, e, None, None, flags=["phone"], number_end=e, outer_start=s, outer_end=e)
    if kind == "dt":
        return Quantity(m.group(), s, e, None, None, flags=["date"], year=int(m.group("dt_y")), number_end=e,
                        outer_start=s, outer_end=e)
    if kind == "cy":
        y = int(parse_chinese(m.group()[:4]) or 0)
        return Quantity(m.group(), s, e, None, "年", flags=["year", "chinese_numeral"], year=y, number=float(y),
                        unit_text="年", number_end=s + 4, outer_start=s, outer_end=e)
    return None


def _lone_multiplier_counts(q: Quantity, text: str) -> bool:
    """A 百/千/万 with no digit before it counts only after a word and when hedged (近千名, 万余人, 数千人)
    or closing its clause (突破千人,); 万人 at the start, 千人门槛 and 万人空巷 are words."""
    s = q.start
    if not s or not ("\u4e00" <= text[s - 1] <= "\u9fff"):
        return False
    if q.approx or text[s - 1] in VAGUE_BEFORE:
        return True
    after = text[q.outer_end:q.outer_end + 1]
    return not after or not ("\u4e00" <= after <= "\u9fff")


def _number_end(m: re.Match, text: str, unit_group: str) -> int:
    """End of the numeral (and scale) of ``m``: before its unit and any space before the unit."""
    end = m.start(unit_group) if m.group(unit_group) else m.end()
    while end > m.start() and text[end - 1] in SPACES:
        end -= 1
    return end


def _number(m: re.Match, text: str, g: _Grammar, dec: Decimal, sc: str | None, inner: str | None,
            u: str | None, number_end: int, digits: str, flags: list[str]) -> Quantity:
    """A numeral with optional scale, inner hedge and unit (Arabic or Chinese)."""
    if sc:
        factor = ARABIC_SCALES.get(sc) or CN_SCALES[sc]
    else:
        factor = 1
    number = to_float(dec, factor)
    unit, role = g.units[u] if u else (None, "")
    if factor >= 10**8 and unit is None and sc in ("个亿", "個億", "个億", "個亿"):
        unit, flags = "元", flags + ["unit_implied"]  # 2个亿 is money
    s, e = m.span()
    q = Quantity(text[s:e], s, e, number, unit, flags=flags, number=number, unit_text=u,
                 number_end=number_end, scale=factor)
    if role:
        _apply_role(q, role, digits)
    _hedges(q, text, g, inner)
    return q


# ----------------------------------------------------------------------------- API

def read_quantities(text: str) -> list[Quantity]:
    """Every number-like span of ``text`` in order, read into base units (see the module doc)."""
    g = _grammar()
    qs = [q for m in g.pattern.finditer(text) if (q := _from_match(m, text, g)) is not None]
    if len(qs) > 1:
        qs = _merge_compounds(text, qs)
        qs = _merge_ranges(text, qs)
        _lists(text, qs)
        _frames(text, qs, g)
        _comparisons(text, qs)
        _unit_slips(text, qs, g)
    if qs:
        _implied(text, qs, g)
    for q in qs:
        _repair_glued_footnote(q, text)
    return qs
