"""The quantity reader's data: :class:`Quantity`, the flags and word classes, and the grammar built
from rules/quantity_units.tsv and rules/quantity_words.tsv (see :mod:`pipeline.stages.extract.quantities`)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cache

import regex

from pipeline.ruleset.rulefiles import RuleError, load_tsv
from pipeline.text.numerals import ARABIC_SCALES

NOT_A_VALUE = frozenset({"masked", "year", "date", "time", "ratio", "ordinal", "list_marker", "document_number",
                         "age", "phone", "vague", "footnote", "lost_digits", "per"})
UNITS_FILE = "quantity_units.tsv"
WORDS_FILE = "quantity_words.tsv"
ROLES = frozenset({"age", "year", "date", "document_number", "duration"})
WORD_ROLES = frozenset({"prefix_hedge", "suffix_hedge", "inner_hedge", "threshold_cue", "money_cue",
                        "person_noun", "frame_verb", "school_noun", "rate_noun", "class_noun"})
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
    classes_before_re: regex.Pattern
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
    """Compile the reader's pattern from rules/quantity_units.tsv and rules/quantity_words.tsv (once).
    (Long: validating both files and assembling the one pattern from their rows, in order.)"""
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
        rf"(?P<p>百分之(?P<p_n>{NUM}|{CN_NUM}(?!{CN_BODY})|百))",
        rf"(?P<lp>(?<![为為到达達在占是])[(（](?:[0-9]{{1,2}}|{SMALL_CN}{{1,3}})[)）])",
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
        # (not inside a longer run of numeral characters, unless after an Arabic number's scale: 1万二千人)
        rf"(?P<c>(?:(?<!{CN_BODY})|(?<=[0-9０-９][万萬亿億]))(?P<c_n>{CN_NUM}|[百千万萬](?=(?:{inner})?[人名]))"
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
        classes_before_re=regex.compile(rf"(?:{_alt([w for w, _ in words['class_noun']])})(?:数量?)?{COUNT_VERBS}\s*$"),
        rate_before_re=regex.compile(rf"(?:{_alt([w for w, _ in words['rate_noun']])})"
                                     r"[均都皆也已]?(?:升至|提高到|提高至|增至|达到|达|为|是|保持在|稳定在|保持)?\s*[(（]?\s*$"),
        growth_re=regex.compile(rf"(?P<verb>{_alt([w for w, _ in words['frame_verb']])})了?\s*"),
        frame_re=regex.compile(rf"(?:{_alt([w for w, _ in words['frame_verb']])})了?(?:至|到|为)"
                               r"[^0-9０-９，,。；;！？!?、]{0,6}"),
        displaced_re=regex.compile(rf"(?:{_alt([w for w, _ in words['school_noun']])})所(?![以有在属得需谓])"),
    )
