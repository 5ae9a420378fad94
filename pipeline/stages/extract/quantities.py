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
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import cache

import regex

from pipeline.ruleset.rulefiles import RuleError, load_tsv
from pipeline.text.numerals import ARABIC_SCALES, CN_SCALES, CN_UNITS, parse_arabic, parse_chinese, to_float

NOT_A_VALUE = frozenset({"masked", "year", "date", "time", "ratio", "ordinal", "list_marker", "document_number",
                         "age", "phone", "vague", "footnote", "lost_digits", "per"})
UNITS_FILE = "quantity_units.tsv"
WORDS_FILE = "quantity_words.tsv"
ROLES = frozenset({"age", "year", "date", "document_number", "duration"})
WORD_ROLES = frozenset({"prefix_hedge", "suffix_hedge", "inner_hedge", "threshold_cue", "money_cue",
                        "person_noun", "frame_verb", "school_noun", "rate_noun"})
#: Years a bare 4-digit number (or the head of a glued number) may name.
YEAR_MIN, YEAR_MAX = 1900, 2099
GLUED_YEAR_MIN, GLUED_YEAR_MAX = 1990, 2039
RANGE_SEPS = frozenset({"-", "－", "—", "–", "~", "～", "至", "到", "——", "--", "－－", "~~"})
LIST_SEPS = frozenset("、和及与")
#: Characters that end the gap between a bare 万 amount and a person noun after it (verbs, prepositions).
GAP_STOP = "分为是对向给让使用资助参培补覆惠于及和与在达到"
VAGUE_BEFORE = frozenset("数數几幾上")
#: Between a counted noun and its bare count: 在校生共7214, 教职工数为2406, 学校数 612.
COUNT_VERBS = "(?:共有|共计|合计|共|有|达到|达|为|计)?"
OPEN_QUOTES = frozenset("“\"「『‘")
LONE_MULTIPLIERS = frozenset("百千万萬")
BOUND_WORDS = frozenset({"以上", "及以上", "以下", "及以下", "以内", "超过", "超過", "不超过"})


@dataclass(slots=True)
class Quantity:
    """One number-like span: its reading in the base unit and what was recognised (see module doc)."""

    text: str
    start: int
    end: int
    value: float | None
    unit: str | None
    approx: bool = False
    flags: list[str] = field(default_factory=list)
    year: int | None = None  # a year repaired out of a glued number, or the year a date names
    number: float | None = None  # the numeral's reading whatever its role (3 for 第3, 15 for 15周岁)
    unit_text: str | None = None  # the unit as written (万元 → 元 is unit, 名 is unit_text of 人)
    number_end: int = -1  # end of the numeral and its scale, before the unit word
    prefix_hedge: str | None = None
    suffix_hedge: str | None = None
    outer_start: int = -1  # span including a prefix hedge
    outer_end: int = -1  # span including a suffix hedge
    low: float | None = None  # a range's two ends (2016-2018年, 3-5岁)
    high: float | None = None
    scale: int = 1  # the 万/亿 factor applied

    @property
    def is_value(self) -> bool:
        """A number an extractor may record: read, and not a year, mask, ordinal, date, age …"""
        return self.value is not None and NOT_A_VALUE.isdisjoint(self.flags)

    @property
    def unit_end(self) -> int:
        """End of the unit word (the quantity's end)."""
        return self.end

    def as_dict(self) -> dict:
        """The JSON shape of ``zhibiao numbers``: the core fields, then what is set of the rest."""
        d = asdict(self)
        core = {k: d.pop(k) for k in ("text", "start", "end", "value", "unit", "approx", "flags")}
        core.update({k: v for k, v in d.items() if v is not None and k not in ("number_end", "outer_start",
                                                                               "outer_end", "scale")})
        return core


# ----------------------------------------------------------------------------- grammar

@dataclass(frozen=True)
class _Grammar:
    pattern: re.Pattern  # stdlib re: twice as fast as regex on this pattern
    units: dict[str, tuple[str, str]]  # written -> (unit, role)
    prefix_re: regex.Pattern
    suffix_re: regex.Pattern
    prefix_last: frozenset[str]  # characters a prefix hedge (and its filler) can end with
    suffix_first: frozenset[str]  # characters a suffix hedge can start with
    threshold_re: regex.Pattern
    money_re: regex.Pattern
    person_after_re: regex.Pattern
    person_before_re: regex.Pattern
    schools_before_re: regex.Pattern
    rate_before_re: regex.Pattern
    frame_re: regex.Pattern
    growth_re: regex.Pattern
    displaced_re: regex.Pattern


def _alt(words: list[str]) -> str:
    """Regex alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


D = "[0-9０-９]"
# Repetitions are bounded everywhere so that no input (a page of 一 or x) makes the scan quadratic.
NUM = rf"(?:{D}{{1,3}}(?:,{D}{{3}}){{1,6}}(?!{D})|{D}{{1,24}})(?:[.．]{D}{{1,12}})?"
MASKCH = "[xXｘＸ×_＿]"
CN_DIG = "[零〇○一二三四五六七八九]"
CN_LEAD = "[零〇○一二两兩三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖十拾]"
CN_BODY = "[零〇○一二两兩三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖十拾百佰千仟万萬亿億]"
CN_NUM = rf"(?:{CN_LEAD}{CN_BODY}{{0,24}}(?:[点點]{CN_DIG}{{1,8}})?)"
SMALL_CN = "[一二三四五六七八九十]"
CLAUSE_START = r"(?:^|(?<=[\n\r。；;：:！!？?\s]))"
#: A space a page put between a number and its scale, hedge or unit (75.6 万人, 4213 所, -5.32 %).
SPACES = " \u00a0\u3000"
SP = f"[{SPACES}]{{0,2}}"
HAN = "[\u4e00-\u9fff]"
#: A decimal point lost to a space in a rate: 8 35% is 8.35%, only right after a word (入学率8 35%).
LOST_POINT = rf"(?:(?<={HAN})|(?<={HAN} ))(?P<a_lost>{D}{{1,2}} {D}{{1,2}})(?= ?[%％])"


@cache
def _grammar() -> _Grammar:
    """Compile the reader's pattern from rules/quantity_units.tsv and rules/quantity_words.tsv (once)."""
    units: dict[str, tuple[str, str]] = {}
    cn_units: list[str] = []
    not_before: dict[str, str] = {}
    for row in load_tsv(UNITS_FILE, ("written", "unit"), ("role", "cn", "not_before", "note")):
        where, role = f"{UNITS_FILE}:{row['_line']}", row.get("role", "")
        if role and role not in ROLES:
            raise RuleError(f"{where}: role '{role}' not one of {sorted(ROLES)}")
        if row["written"] in units:
            raise RuleError(f"{where}: duplicate unit word '{row['written']}'")
        units[row["written"]] = (row["unit"], role)
        if row.get("not_before"):
            not_before[row["written"]] = row["not_before"]
        if row.get("cn") == "yes":
            cn_units.append(row["written"])
    words: dict[str, list[tuple[str, str]]] = {r: [] for r in WORD_ROLES}
    for row in load_tsv(WORDS_FILE, ("word", "role"), ("not_after", "note")):
        if row["role"] not in WORD_ROLES:
            raise RuleError(f"{WORDS_FILE}:{row['_line']}: role '{row['role']}' not one of {sorted(WORD_ROLES)}")
        words[row["role"]].append((row["word"], row.get("not_after", "")))

    def unit_alt(ws: list[str]) -> str:
        ordered = sorted(set(ws), key=lambda w: (-len(w), w))
        return "|".join(re.escape(w) + (f"(?![{re.escape(not_before[w])}])" if w in not_before else "")
                        for w in ordered)

    scales = _alt(list(ARABIC_SCALES)).replace("千", "千(?![米克瓦])")
    unit_re = unit_alt(list(units))
    cn_unit_re = unit_alt(cn_units)
    inner = _alt([w for w, _ in words["inner_hedge"]])
    # a space as thousands separator (2 318个), only when a scale, hedge or unit follows
    spaced = rf"{D}{{1,3}}(?: {D}{{3}}){{1,4}}(?:[.．]{D}{{1,12}})?(?={SP}(?:{scales}|{inner}|{unit_re}))"
    pattern = "|".join([
        # 〔2018〕70号
        r"(?P<doc>[〔\[【［(（﹝]\s*(?P<doc_y>(?:19|20)[0-9]{2})\s*[〕\]】］)）﹞]\s*(?:第\s*)?(?P<doc_n>[0-9]{1,5})\s*[号號])",
        rf"(?P<ph>(?<![0-9])(?:0[0-9]{{2,3}}[-－—][0-9]{{7,8}}|1[3-9][0-9]{{9}})(?![0-9]|{inner}|{scales}|{unit_re}))",
        r"(?P<dt>(?<![0-9.])(?P<dt_y>(?:19|20)[0-9]{2})(?P<dt_s>[-./])(?:0?[1-9]|1[0-2])(?P=dt_s)"
        r"(?:0?[1-9]|[12][0-9]|3[01])(?![0-9]))",
        # masked: xx.5%, 10xx6元, 20__年, xx年
        rf"(?P<m>(?<![A-Za-z])(?={D}{{0,8}}{MASKCH})(?:(?=[0-9０-９xXｘＸ×_＿.．]{{0,16}}{D})|(?={MASKCH}{{1,8}}\s?(?:{unit_re})))"
        rf"[0-9０-９xXｘＸ×_＿]{{1,16}}(?:[.．][0-9０-９xXｘＸ×_＿]{{1,8}})?(?![A-Za-z])(?P<m_u>{unit_re})?)",
        rf"(?P<o>第\s*(?P<o_n>{NUM}|{CN_NUM})(?:{SP}(?P<o_u>{unit_re}))?)",
        rf"(?P<p>百分之(?P<p_n>{NUM}|{CN_NUM}|百))",
        rf"(?P<lp>[(（](?:[0-9]{{1,2}}|{SMALL_CN}{{1,3}})[)）])",
        r"(?P<lc>[①-⑳])",
        rf"(?P<fn>[\[［]{D}{{1,2}}[\]］])",  # a footnote marker: 入学率[2]99.1%
        rf"(?P<ls>{CLAUSE_START}(?:[0-9]{{1,2}}(?=[.．、](?![0-9０-９]))|{SMALL_CN}{{1,3}}(?=[、．.]))"
        rf"|(?:^|(?<=[\n\r。；;：:！!？?\s，,])){SMALL_CN}{{1,2}}(?=是))",
        r"(?P<cy>[〇零○一二三四五六七八九]{4}年)",
        r"(?P<tm>(?<![0-9])(?:[01]?[0-9]|2[0-3])[:：][0-5][0-9](?:[:：][0-5][0-9])?(?![0-9]))",
        r"(?P<ra>(?<![0-9.])[0-9]{1,12}(?:\.[0-9]{1,6})?\s{0,3}[:：∶]\s{0,3}[0-9]{1,12}(?:\.[0-9]{1,6})?(?![0-9]))",
        rf"(?P<a>(?P<a_sign>(?<![0-9０-９A-Za-z.xXｘＸ×_＿])[-－−])?(?<![0-9０-９A-Za-z])(?<![A-Za-z]-)(?<![0-9]\.)"
        rf"(?:{LOST_POINT}|(?P<a_num>{spaced}|{NUM}))(?:{SP}(?P<a_h1>{inner}))?"
        rf"(?:{SP}(?P<a_sc>{scales}))?(?:{SP}(?P<a_h2>{inner}))?(?:{SP}(?P<a_u>{unit_re}))?)",
        # a Chinese numeral only before a scale, a hedge or a counter, or ending in 万/亿 (两万)
        rf"(?P<c>(?P<c_n>{CN_NUM}|[百千万萬](?=(?:{inner})?[人名]))"
        rf"(?:(?=(?:{inner})?(?:个亿|個億|[万萬亿億])?(?:{inner})?(?:{cn_unit_re}))|(?={inner}|个亿|個億|[万萬亿億])"
        rf"|(?<=[万萬亿億]))"
        rf"(?P<c_h1>{inner})?(?P<c_sc>个亿|個億|[万萬亿億])?"
        rf"(?P<c_h2>{inner})?(?!{CN_BODY})(?P<c_u>{cn_unit_re})?)",  # whole or not at all: 三万二千七百零五
    ])

    # Every branch starts with one of these: testing it first lets the scan skip other characters fast.
    first = (r"[0-9０-９xXｘＸ×_＿〔﹝\[【［(（第百千万萬①-⑳\-－−零〇○一二两兩三四五六七八九"
             r"壹贰貳叁參肆伍陆陸柒捌玖十拾]")
    pattern = f"(?={first})(?:{pattern})"

    def hedge_alt(role: str) -> str:
        parts = []
        for w, not_after in sorted(words[role], key=lambda x: -len(x[0])):
            guard = f"(?<![{re.escape(not_after)}])" if not_after else ""
            parts.append(guard + re.escape(w))
        return "|".join(parts)

    person = _alt([w for w, _ in words["person_noun"]])
    return _Grammar(
        pattern=re.compile(pattern),
        units=units,
        prefix_re=regex.compile(rf"(?P<w>{hedge_alt('prefix_hedge')})了?(?:为|有|达到|达)?\s*$"),
        suffix_re=regex.compile(rf"\s{{0,3}}(?P<w>{hedge_alt('suffix_hedge')})"),
        prefix_last=frozenset({w[-1] for w, _ in words["prefix_hedge"]} | set("了为有到达 \t")),
        suffix_first=frozenset({w[0] for w, _ in words["suffix_hedge"]} | set(" \t")),
        threshold_re=regex.compile(_alt([w for w, _ in words["threshold_cue"]])),
        money_re=regex.compile(_alt([w for w, _ in words["money_cue"]])),
        # 2.9万普通高中学生: up to 6 modifier characters, but no verb or preposition (2763.06万分别资助学生)
        person_after_re=regex.compile(rf"[^\P{{Han}}{GAP_STOP}]{{0,6}}?(?:{person})"),
        person_before_re=regex.compile(rf"(?:{person})(?:人?数)?{COUNT_VERBS}\s*$"),
        schools_before_re=regex.compile(rf"(?:{_alt([w for w, _ in words['school_noun']])})数{COUNT_VERBS}\s*$"),
        rate_before_re=regex.compile(rf"(?:{_alt([w for w, _ in words['rate_noun']])})"
                                     r"(?:升至|提高到|提高至|增至|达到|达|为|是|保持在|稳定在)?\s*$"),
        growth_re=regex.compile(rf"(?P<verb>{_alt([w for w, _ in words['frame_verb']])})了?\s*"),
        frame_re=regex.compile(rf"(?:{_alt([w for w, _ in words['frame_verb']])})了?(?:至|到|为)"
                               r"[^0-9０-９，,。；;！？!?、]{0,6}"),
        displaced_re=regex.compile(rf"(?:{_alt([w for w, _ in words['school_noun']])})所(?![以有在属得需谓])"),
    )


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


def _bare(q: Quantity) -> bool:
    return q.unit is None and q.value is not None and _plain(q)


def _lists(text: str, qs: list[Quantity]) -> None:
    """分别为A、B、C: a bare item borrows its neighbour's unit (15、17周岁; 2546.78万元、2763.06万)."""
    for i in range(len(qs) - 2, -1, -1):  # A、B单位: right to left so chains pass the unit on
        a, b = qs[i], qs[i + 1]
        if _bare(a) and b.unit and b.start == a.end + 1 and text[a.end] in LIST_SEPS and _plain(b):
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
                and "." in q.text and g.rate_before_re.search(text, max(0, q.outer_start - 8), q.outer_start)):
            unit = "%"  # a headline rate that lost its %: 普及率升至98.87
        if unit is None and not (q.scale == 1 and q.number is not None and q.number == int(q.number)
                                 and GLUED_YEAR_MIN <= q.number <= GLUED_YEAR_MAX and len(q.text) == 4):
            whole = q.scale > 1 or q.number == int(q.number)  # no bare 12.71 people
            if whole and g.person_before_re.search(text, max(0, q.outer_start - 10), q.outer_start):
                unit = "人"
            elif whole and q.scale == 1 and g.schools_before_re.search(text, max(0, q.outer_start - 8),
                                                                          q.outer_start):
                unit = "所"  # a table's 学校数 column: 学前教育学校数 612
        if unit:
            q.unit = unit
            q.flags.append("unit_implied")


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
