"""Numerals as reports write them: Arabic (full-width, separators) and Chinese (一千五百零七点三, 两万, 〇).

Pure string → number helpers used by :mod:`pipeline.stages.extract.quantities`; no state,
no rule files. Values are returned as :class:`decimal.Decimal` so that scaling
(``12.1304`` × 亿) stays exact before the final ``float``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: Full-width digits and separators folded to ASCII (offsets are unchanged: one char for one char).
FULLWIDTH = str.maketrans("０１２３４５６７８９．，－－", "0123456789.,--")
FULLWIDTH[ord("−")] = "-"

#: Chinese digit characters (financial forms included) and their values.
CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "肆": 4, "伍": 5, "陆": 6, "陸": 6, "柒": 7, "捌": 8, "玖": 9,
}
#: Multipliers inside a section (十 百 千) and section scales (万 亿).
CN_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_SCALES: dict[str, int] = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
CN_POINT = frozenset("点點")
#: The longest Chinese numeral read (numeral characters, point and decimals included) and the largest
#: value: a longer numeral, or one worth more (一亿亿亿…), is not read at all (None), so that no input
#: builds a giant integer or multiplies one out (九千九百九十九万亿亿亿… took time quadratic in its length).
MAX_CN_CHARS = 48
MAX_CN_VALUE = 10**20

#: Scale words written after an Arabic number (1.2万, 3千, 2个亿) and their factors.
ARABIC_SCALES: dict[str, int] = {
    "十万": 100_000, "百万": 1_000_000, "千万": 10_000_000, "万亿": 10**12, "千亿": 10**11, "百亿": 10**10,
    "十亿": 10**9, "万": 10_000, "亿": 10**8, "千": 1000, "个亿": 10**8,
    "十萬": 100_000, "百萬": 1_000_000, "千萬": 10_000_000, "萬億": 10**12, "千億": 10**11, "百億": 10**10,
    "十億": 10**9, "萬": 10_000, "億": 10**8, "個億": 10**8, "个億": 10**8, "個亿": 10**8,
}


def parse_arabic(text: str) -> Decimal | None:
    """``"1,234.5"`` / ``"１２３"`` / ``"-0.01"`` → Decimal; None when it is not a number."""
    s = text.translate(FULLWIDTH).replace(",", "")
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _cn_integer(s: str) -> int | None:
    """Integer part of a Chinese numeral (positional 二〇一八 or multiplicative 一千五百零七); None
    when it is worth more than :data:`MAX_CN_VALUE` (read in one pass, never past that bound)."""
    if not s:
        return 0
    if len(s) > 1 and all(ch in CN_DIGITS for ch in s):  # 二〇一八: digit by digit
        value = int("".join(str(CN_DIGITS[ch]) for ch in s))
        return value if value <= MAX_CN_VALUE else None
    total = section = num = 0
    last_mult = 1  # multiplier of the last unit/scale seen, for abbreviated 一万二 / 三千五
    prev_was_mult = False
    for ch in s:
        if ch in CN_DIGITS:
            num = CN_DIGITS[ch]
            prev_was_mult = False
            if num == 0:
                last_mult = 1
        elif ch in CN_UNITS:
            mult = CN_UNITS[ch]
            section += (num or 1) * mult
            num = 0
            last_mult = mult
            prev_was_mult = True
        elif ch in CN_SCALES:
            scale = CN_SCALES[ch]
            if scale == 100_000_000:
                total = (total + section + num) * scale
            else:
                total += (section + num) * scale if (section + num) else scale
            section = num = 0
            last_mult = scale
            prev_was_mult = True
        if total > MAX_CN_VALUE or section > MAX_CN_VALUE:
            return None  # 一亿亿亿…: stop before the product grows
    if num and not prev_was_mult and last_mult >= 100 and len(s) >= 3 and s[-2] not in CN_DIGITS:
        num *= last_mult // 10  # 一万二 → 12000, 三千五 → 3500 (not 一千零五)
    value = total + section + num
    return value if value <= MAX_CN_VALUE else None


def parse_chinese(text: str) -> Decimal | None:
    """A Chinese numeral (``一千五百零七点三``, ``两万``, ``十二``, ``百``) → Decimal; None if empty,
    longer than :data:`MAX_CN_CHARS` or worth more than :data:`MAX_CN_VALUE` (read whole or not at all).

    Never raises: characters that are not numeral characters are ignored.
    """
    s = "".join(ch for ch in text if ch in CN_DIGITS or ch in CN_UNITS or ch in CN_SCALES or ch in CN_POINT)
    if not s or len(s) > MAX_CN_CHARS:
        return None
    frac = ""
    for p in CN_POINT:
        if p in s:
            s, _, frac_part = s.partition(p)
            frac = "".join(str(CN_DIGITS[ch]) for ch in frac_part if ch in CN_DIGITS)
            break
    whole = _cn_integer(s) if s else 0
    if whole is None:
        return None
    return Decimal(f"{whole}.{frac}") if frac else Decimal(whole)


def to_float(value: Decimal, factor: int = 1) -> float:
    """Scale exactly, then convert: ``to_float(Decimal("12.1304"), 10**8) == 1213040000.0``."""
    return float(value * factor) if factor != 1 else float(value)
