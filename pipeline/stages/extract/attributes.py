"""Attributes of an extracted value: stage, year, kind (level/change/target) and approx.

Each resolver is a pure function over the sentence text, the number's span,
its clause and list context, and the document facts (year, section heading,
plan or report), driven by rules/stages.yaml and rules/cues.yaml.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import regex

from pipeline.ruleset.cues import cue_candidates, find_stage_words, first_cue, remembered
from pipeline.stages.clean.articles import names_span, news_dateline_year, reporting_year
from pipeline.stages.extract.frames import SEPARATOR, Clause, enumerated, year_subjects

# A section heading: a line (or the tail of a line after 。) 一、… / 第二部分 …
_HEADING = regex.compile(r"(?m)(?:^|(?<=。))[ \t　]*(?:[一二三四五六七八九十]{1,3}[、.．]|第[一二三四五六七八九十]+(?:部分|篇|章))"
                         r"[^\n。]{0,60}。?$")
# A sub-heading line (一)… / （二）…: a whole short line, no sentence inside it
_SUB_HEADING = regex.compile(r"(?m)^[ \t　]*[(（][一二三四五六七八九十]{1,3}[)）][^\n。；;，,]{1,40}$")
_YEAR = regex.compile(r"(?<![\d.])((?:19|20)\d{2})\s*(?=年|[-—–~～至到]?(?:19|20)\d{2}年)|"
                   r"(?<=(?<!\d)(?:19|20)\d{2})((?:19|20)\d{2})(?=年)")
_RANGE_END = regex.compile(r"(?:19|20)\d{2}\s*年?\s*[-—–~～至到]?\s*$")
_MASKED_YEAR = regex.compile(r"(?<![\d])(?:20[x×X_＿]{1,2}|[xX×]{2,4}|20)\s*年")
# 自2009年实施特岗计划以来: a year after 自/从 that an event and 以来 follow starts a span
_SINCE_FROM = regex.compile(r"(?:自|从)\s*$")
_SINCE_EVENT = regex.compile(r"年?[^，,。；;\d]{0,16}?以来")
_COMPARE_BEFORE = regex.compile(r"(?:(?:较|与|比(?![例重率]))[^，,。；;\d]{0,8}|同比|和|对比)\s*$")
_IN_TITLE = regex.compile(r"《[^《》]*$")
# A period ends at 。！？ or a line break, but not at a line break after ；/， (a list of
# clauses laid out one a line still shares its 2023年 or 今年).
_PERIOD_END = regex.compile(r"[。！？!?]|(?<![；;，,])\n")
PERIOD_WINDOW = 400
#: A target word (计划, 确保, 力争) governs numbers at most this far after it in the clause
#: (the seeds' targets are within 25 characters; run-on scraped clauses are longer).
TARGET_WINDOW = 30
#: Stage words after a count in its clause (13名考生在全省对口升学考试中) are read this far.
RIGHT_STAGE_WINDOW = 12
_CONTINUES_LIST = regex.compile(r"[、和及]")
_AFTER_NOUN = regex.compile(r"(?:学校)?(?:有|共有|为)?\s*")
# the purpose an amount of money pays for, right after it (投入330万元,实施了…学校提升工程)
_PURPOSE = regex.compile(r"[，,]?\s*(?:主要|全部|专项)?(?:用于|实施了?|进行|建设|新建|改扩建|改建|扩建|支持|购置|启动|加快|推进)"
                         r"[^。；;，,]*")
_ATTACHED = regex.compile(r"\s*年?(?:底|末)?的")  # 2018年的326个: a year that belongs to one number
# 较2018年的83.2%, 较2018年预算数681.6万元: the year of the very next number (no verb between them)
_OWN_YEAR = regex.compile(r"\s*年?(?:底|末|初)?的?(?:(?![增减提降升多少达为是占下进回涨跌缩扩翻超高低比相])\p{Han}){0,7}\s*$")
_DATED = regex.compile(r"\s*年\s*\d{1,2}\s*月")
_OPENER = regex.compile(r"^[^，,；;。]{1,12}[，,]")
EXAMPLES = regex.compile(r"(?<![中高初同平均])等(?![级职专])")  # 城北幼儿园等学校6所: schools named as examples
COUNT_UNITS = ("所", "人", "人次", "个")
_HEADING_YEAR = regex.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")


#: The first clause of a line, past its outline number or dash (4、普通高中当年招生…, ——小学。)
_LEAD_CLAUSE = regex.compile(r"\s*(?:[(（]?\d{1,2}[)）.．、]|[一二三四五六七八九十]+[、.．]|[-—–]+)?\s*([^，,。；;：:!！?？]{1,30})")
#: A bare stage lead holds at most this many characters besides its stage words (学前教育, ——小学, 高中阶段教育)
LEAD_EXTRA = 2
#: A numbered list item line: (1) 1. 1、 ① (not a decimal such as 1.5)
_LIST_ITEM = regex.compile(r"\s*(?:[(（]\d{1,2}[)）]|\d{1,2}\s*[.．、](?!\d)|[①-⑳])")
#: A list's introducing line is looked for at most this many lines above an item (five-item lists
#: of the web pages' funding bulletins, with room for a longer one)
LEAD_LINES = 12
#: A numbered item of a data list is a short line ((1)普通小学上年9846.27元,本年10213.55元,按同口径较上年增长3.73%。
#: is 45 characters); the lead of such a list a heading-like line of at most LEAD_MAX characters, or one
#: that ends with a colon or says 如下
ITEM_MAX = 80
LEAD_MAX = 60
_INTRODUCES = regex.compile(r"(?:[:：]|如下[:：]?)\s*$")
_SENTENCE_END = regex.compile(r"[。！!？?；;]")


@dataclass
class DocFacts:
    """What the resolvers need to know about the document a sentence belongs to."""

    year: int | None = None
    reporting_year: int | None = None  # the year the title or opening line reports on (codebook v1.3, step 4)
    opening: str = ""  # the title and the first two lines (who issues the document, what it is about)
    plan: bool = False
    text: str = ""
    headings: list[tuple[int, str]] = field(default_factory=list)  # (clean offset, heading line)
    period_ends: list[int] = field(default_factory=list)  # offsets just after each period end
    heading_years: list[int | None] = field(default_factory=list)  # the year each heading dates (see heading_year_at)
    dated_at: list[int] = field(default_factory=list)  # offsets of the headings of heading_years (with sub-headings)

    def heading_at(self, pos: int) -> str | None:
        """The last section heading at or before clean offset ``pos``."""
        found = None
        for start, text in self.headings:
            if start <= pos:
                found = text
            else:
                break
        return found

    def heading_year_at(self, pos: int) -> int | None:
        """The year the section holding clean offset ``pos`` is about: its heading's year
        (一、2023年主要工作成效; 一、去年工作回顾 resolved against the document's year), else the
        year of the heading of a higher rank that holds it (第二部分 2023年度决算情况 over
        一、收入支出决算总体情况)."""
        k = bisect_right(self.dated_at, pos) - 1
        return self.heading_years[k] if k >= 0 else None

    def list_lead(self, start: int) -> str:
        """The line that introduces the numbered list whose item holds clean offset ``start``
        (2019年全县…生均教育经费变动如下: over (1)普通小学上年…元,本年…元 (2)普通初中…): the nearest
        line above the item's run of numbered lines, at most :data:`LEAD_LINES` lines up, when it
        introduces (ends with a colon or 如下) or reads as a heading (no sentence end, at most
        :data:`LEAD_MAX` characters); '' otherwise, and for an item line of running text (longer
        than :data:`ITEM_MAX` characters: 5、大力加强职业教育。… is a section of its own)."""
        text = self.text
        lo = text.rfind("\n", 0, start) + 1
        hi = text.find("\n", start)
        if not _LIST_ITEM.match(text, lo) or (hi if hi >= 0 else len(text)) - lo > ITEM_MAX:
            return ""
        for _ in range(LEAD_LINES):
            if lo == 0:
                return ""
            hi, lo = lo - 1, text.rfind("\n", 0, lo - 1) + 1
            if not _LIST_ITEM.match(text, lo):
                line = text[lo:hi].strip()
                introduces = _INTRODUCES.search(line) or (len(line) <= LEAD_MAX and not _SENTENCE_END.search(line))
                return line if introduces else ""
        return ""

    def line_stage(self, start: int) -> str | None:
        """The stage of the line (paragraph) holding clean offset ``start`` when the line is about
        one stage: its first clause names it, as a bare stage lead or in a record (——小学。学校21所;
        在校学生25864人…, 4、普通高中当年招生38127人…;在校学生104865人…, 学前教育。全国共有幼儿园…; not
        a topic such as (二)义务教育均衡发展) and no stage word of the line names another (幼儿园专任教师13682人…;小学专任教师31247人…;全市教职工98354人 is a list of stages)."""
        lo = self.text.rfind("\n", 0, start) + 1
        hi = self.text.find("\n", start)
        line = self.text[lo:hi if hi >= 0 else len(self.text)]
        first = _LEAD_CLAUSE.match(line)
        if first is None:
            return None
        lead = first.group(1).strip()
        found, stage = stage_in(lead)
        if not found or stage is None:
            return None
        named = sum(h.end - h.start for h in find_stage_words(lead))
        if not regex.search(r"\d", lead) and len(lead) - named > LEAD_EXTRA:
            return None  # (二)义务教育均衡发展: a section's general subject, not a stage lead
        stages = {h.word.stage for h in find_stage_words(line)}
        return stage if stages <= {stage, None} else None

    def paragraph_at(self, start: int) -> str:
        """The paragraph (line) holding clean offset ``start``."""
        lo = self.text.rfind("\n", 0, start) + 1
        hi = self.text.find("\n", start)
        return self.text[lo:hi if hi >= 0 else len(self.text)]

    def period_prefix(self, start: int) -> str:
        """Text of the period (up to the last 。！？ or line break) before clean offset ``start``."""
        k = bisect_right(self.period_ends, start) - 1
        lo = self.period_ends[k] if k >= 0 else 0
        return self.text[max(lo, start - PERIOD_WINDOW):start]


def doc_facts(text: str, title: str, year: int | None) -> DocFacts:
    """Section headings of a document, its year and whether it is a forward plan. A document whose
    title names a span (2020~2021学年初…统计基本情况) has no year to resolve 今年/当年 against."""
    reporting = reporting_year(title, text)
    if names_span(title):
        year = None
    elif year is None:
        # 今年/上年 resolve against a news item's publication year, else the reporting year
        year = news_dateline_year(title, text) or reporting
    headings = [(m.start(), m.group(0).strip()) for m in _HEADING.finditer(text)]
    # for the year only, sub-headings ((一)2023年主要成绩) count too: they date their section
    ranked = sorted(headings + [(m.start(), m.group(0).strip()) for m in _SUB_HEADING.finditer(text)])
    years = _heading_years([h for _, h in ranked], year)
    opening = "\n".join([title] + text.lstrip().split("\n", 2)[:2])
    plan = bool(first_cue("plan_document", "heading", opening)) and not (
        first_cue("report_heading", "heading", title or "") and not first_cue("plan_heading", "heading", title or ""))
    ends = [m.end() for m in _PERIOD_END.finditer(text)]
    return DocFacts(year=year, reporting_year=reporting, opening=opening, plan=plan, headings=headings, text=text, period_ends=ends, heading_years=years,
                    dated_at=[start for start, _ in ranked])


def _heading_rank(heading: str) -> int:
    """0 for 第二部分/第三篇/第一章, 1 for 一、, 2 for (一)."""
    return 0 if heading.startswith("第") else 2 if heading.startswith(("(", "（")) else 1


def _heading_years(headings: list[str], doc_year: int | None) -> list[int | None]:
    """The year each heading dates: the year it states, else its relative year word (去年,
    今年) resolved against ``doc_year``, else the year of the last heading of a higher rank
    before it (a part heading dates the sections under it). A span (2021-2025年, 三年来) dates none."""
    out: list[int | None] = []
    held: dict[int, int | None] = {}  # rank -> year of the last heading of that rank
    for heading in headings:
        rank = _heading_rank(heading)
        found, own = _stated_year(heading, doc_year)
        if not found:
            own = next((held[r] for r in sorted(held, reverse=True) if r < rank), None)
        held = {r: y for r, y in held.items() if r < rank}
        held[rank] = own
        out.append(own)
    return out


def _stated_year(heading: str, doc_year: int | None) -> tuple[bool, int | None]:
    """(found, year) of the time a heading states: a year, a relative word resolved against
    ``doc_year``, or a span (found, no year)."""
    if first_cue("span", "clause", heading):
        return True, None
    mentions = year_mentions(heading)
    if mentions:
        return True, None if mentions[0].span else mentions[0].year
    rel = _relative(heading, len(heading), doc_year, 0)
    return (True, rel[1]) if rel is not None else (False, None)



# ------------------------------------------------------------------- stage

def stage_run(lead: str) -> list[str | None]:
    """Stages of the last run of stage words joined by 、/和/及 in ``lead`` (小学、初中 …)."""
    hits = [(h.start, h.end, h.word.stage) for h in find_stage_words(lead)]
    return enumerated(lead, hits)


def resolve_stage(sentence: str, clause: Clause, q_start: int, q_end: int, *, fixed: str | None,
                  default: str | None, inherited: str | None, list_pos: tuple[int, int] | None,
                  lead: str | None, seg_start: int | None = None, unit: str | None = None,
                  prev_clause: Clause | None = None) -> str | None:
    """Stage of the number at [q_start, q_end) of ``sentence``.

    Order: the trigger's own stage (毛入园率); the subject a 分别 list aligns
    the number to; the noun a count counts (8所小学, 2.9万普通高中学生); stage
    words of the number's own segment, then of its clause before it (a
    special-education word wins, several enumerated stages give null; schools named before
    等 give no stage to their count); the
    stage of the record it continues or breaks down (其中…); stage words of the
    clause before; of what an amount of money pays for (投入330万元,实施了市特殊教育学校提升工程);
    the trigger's default. Never from a section or paragraph heading (the codebook: not from the
    report's general subject).
    """
    if fixed:
        return fixed
    if list_pos is not None and lead:
        run = stage_run(lead)
        idx, size = list_pos
        if len(run) >= 2 and len(run) == size:
            return run[idx]
    if unit in COUNT_UNITS:
        after = SEPARATOR.split(sentence[q_end:min(clause.end, q_end + 10)], 1)[0]
        for h in find_stage_words(after):
            if h.start <= 3:
                return h.word.stage
            break
    seg_start = clause.start if seg_start is None else seg_start
    examples = list(EXAMPLES.finditer(sentence, clause.start, q_start)) if unit == "所" else []
    if examples:
        # 新建城东小学、城南初级中学等学校4所: named examples do not give the stage of the total
        found, stage = stage_in(sentence[examples[-1].end():q_start])
        return stage if found else default
    for lo, hi in ((seg_start, q_start), (clause.start, q_start)):
        found, stage = stage_in(sentence[lo:hi])
        if found:
            # a clause that opens with 、 continues a list of stages begun before a bracket:
            # 学前教育、义务教育(含特殊教育)、职业教育学校在校学生数 counts several stages; but a count
            # right after its own stage noun (小学46所(另有…)、初中21所) counts that stage
            continues = lo == clause.start and _CONTINUES_LIST.match(sentence, lo)
            return None if continues and not _counts_its_noun(sentence[lo + 1:hi]) else stage
    if unit in COUNT_UNITS:
        found, stage = stage_in(sentence[q_end:min(clause.end, q_end + RIGHT_STAGE_WINDOW)])
        if found:
            return stage
    if inherited is not None:
        if unit in COUNT_UNITS and _OWN_NOUN.search(sentence, seg_start, q_start):
            return default  # 小学598所,中学51所: a count of its own kind of school, not of the one before
        return inherited
    if prev_clause is not None:
        found, stage = stage_in(sentence[prev_clause.start:prev_clause.end])
        if found:
            return None if _CONTINUES_LIST.match(sentence, prev_clause.start) else stage
    if unit == "元":
        purpose = _PURPOSE.match(sentence, q_end)
        if purpose and not regex.search(r"\d|[一二两三四五六七八九十]所", purpose.group(0)) and not EXAMPLES.search(purpose.group(0)):
            # 投入330万元,实施了市特殊教育学校提升工程: money takes the stage of what it pays for
            # (not of counted items: 投入1.2亿元,新建城北小学1所; nor of examples before 等)
            named = {h.word.stage for h in find_stage_words(purpose.group(0))}
            if len(named) == 1:  # XX幼儿园教学楼、XX小学多功能教学楼建设项目: several, no stage
                return named.pop()
    return default


#: A kind of school that is no stage word (中学 spans junior and senior; 专门学校, 工读学校; 学校)
_OWN_NOUN = regex.compile(r"(?<![小初高])中学|专门学校|工读学校|(?<![小中大])学校")


def _counts_its_noun(segment: str) -> bool:
    """Whether ``segment`` (the words before a count) is one stage noun and a copula: 初中21所."""
    hits = find_stage_words(segment)
    return len(hits) == 1 and hits[0].start == 0 and bool(_AFTER_NOUN.fullmatch(segment, hits[0].end))


def stage_in(text: str) -> tuple[bool, str | None]:
    """(found, stage) from the stage words of ``text``: a special-education word wins; else the
    last word, unless it ends a run of several stages (小学、初中) or names several stages
    (中小学) without a stage word right before it (义务段中小学)."""
    return remembered("stage_in", text, _stage_in)


def _stage_in(text: str) -> tuple[bool, str | None]:
    hits = find_stage_words(text)
    if not hits:
        return False, None
    special = [h for h in hits if h.word.priority > 0]
    if special:
        return True, max(special, key=lambda h: (h.word.priority, h.end)).word.stage
    run = enumerated(text, [(h.start, h.end, h.word.stage) for h in hits])
    if len(set(run)) >= 2:
        return True, None
    last = hits[-1]
    if last.word.stage is None and len(hits) >= 2 and hits[-2].end >= last.start - 1:
        return True, hits[-2].word.stage
    return True, last.word.stage


# ------------------------------------------------------------------- year

@dataclass(frozen=True)
class YearMention:
    """A year written in a sentence (offsets into it)."""

    start: int
    end: int
    year: int | None  # None: masked
    span: bool        # 2015年以来, 2016-2018年: a period, not a year
    compare: bool = False  # 较2018年(的83.2%): dates only the number right after it


def year_mentions(sentence: str) -> list[YearMention]:
    """Years written in a sentence (masked ones included; comparison years such as 比20_年
    flagged), except years inside a document title (《…2020年…》)."""
    return list(remembered("year_mentions", sentence, lambda t: tuple(_year_mentions(t))))


def _year_mentions(sentence: str) -> list[YearMention]:
    out: list[YearMention] = []
    for pat, masked in ((_YEAR, False), (_MASKED_YEAR, True)):
        for m in pat.finditer(sentence):
            before = sentence[max(0, m.start() - 4):m.start()]
            if _IN_TITLE.search(sentence[:m.start()]):
                continue
            compare = bool(_COMPARE_BEFORE.search(sentence, max(0, m.start() - 12), m.start()))
            after = sentence[m.end():m.end() + 8]
            span = bool(first_cue("span", "after", after.lstrip("年") if not masked else after)) or bool(
                regex.match(r"\s*年?\s*[-—–~～至到]?\s*(?:19|20)\d{2}年", after)) or bool(
                _RANGE_END.search(sentence[max(0, m.start() - 8):m.start()])) or bool(
                _SINCE_FROM.search(before) and _SINCE_EVENT.match(sentence, m.end()))
            out.append(YearMention(m.start(), m.end(), None if masked else int(m.group(m.lastindex or 1)), span,
                                   compare))
    out.sort(key=lambda y: y.start)
    return out


def _opens_clause(sentence: str, at: int) -> bool:
    """Whether the word at ``at`` opens its sentence or clause (会议总结,去年全县共发放…: a time
    adverbial for what follows, not a comparison such as 由上年的86个)."""
    return at == 0 or sentence[at - 1] in _CLAUSE_OPENERS


_CLAUSE_OPENERS = frozenset("，,；;：:。！？!?\n ")


def _relative(sentence: str, upto: int, doc_year: int | None, near: int) -> tuple[int, int] | None:
    """(offset, year) of the last relative year word (今年, 去年, 明年) before ``upto``, resolved
    against ``doc_year``; 去年/上年 count only from ``near`` on (the number's clause:
    由上年的86个减少到31个 dates the 86, not the sentence), unless they open a clause of their own
    (去年全县共发放…,惠及学生2.1万人次;新建学校6所: the year of all that follows)."""
    if doc_year is None:
        return None
    best: tuple[int, int] | None = None
    for c in cue_candidates("relative_year", "sentence", sentence, every=True):
        for m in c.pattern.finditer(sentence, 0, max(upto, 0)):
            if c.offset < 0 and m.start() < near and not _opens_clause(sentence, m.start()):
                continue
            if best is None or m.start() > best[0]:
                best = (m.start(), doc_year + c.offset)
    return best


#: ``year_basis`` of a year that the sentence settles as none (a span such as 2015年以来, a masked
#: xx年, an every-year word): the document's reporting year must not fill it in
SETTLED = "settled"

YearReading = tuple[int | None, str | None]


def resolve_year(sentence: str, q_start: int, *, repaired: int | None, list_pos: tuple[int, int] | None,
                 lead: str | None, heading: str | None, doc_year: int | None, prefix: str = "",
                 near: int = 0, clause: Clause | None = None, heading_year: int | None = None) -> YearReading:
    """Year the number at ``q_start`` refers to and where it came from (the codebook's ``year`` and
    ``year_basis``, steps 1-3; :func:`with_reporting_year` adds step 4).

    The nearest time word before the number in its sentence wins, whether a
    year (2018年; a span such as 2015年以来 gives null) or a relative word
    (今年) resolved against ``doc_year``; else a year after the number in its
    clause; else the section heading's year (``heading_year`` when the caller knows it, see
    :meth:`DocFacts.heading_year_at`, else the year written in ``heading``). Every-year words (每年) give null.
    ``prefix`` is the text of the same period before the sentence (a sentence
    cut at ；still takes 今年 from the start of its period); its dated events
    (于2016年8月投入使用) do not date the number. The basis is ``sentence``, ``relative``,
    ``heading``, :data:`SETTLED` (null, and nothing may fill it in) or None (nothing found)."""
    if list_pos is not None and lead:
        years = year_subjects(lead)
        if years is None and prefix and not year_mentions(lead):
            # 2019-2021年…支出分别为A、B、C；…比例分别为X、Y、Z: the years of the period's list
            years = year_subjects(prefix)
        if years and len(years) == list_pos[1]:
            return _stated(years[list_pos[0]])
    if repaired:
        return repaired, "sentence"
    lo = clause.start if clause is not None else near
    if first_cue("span", "clause", sentence[lo:q_start]):
        return None, SETTLED
    hi = clause.end if clause is not None else len(sentence)
    plen = len(prefix)
    full, q_at = prefix + sentence, q_start + plen
    mentions = [y for y in year_mentions(full) if not (y.end <= plen and _DATED.match(full, y.end))
                and not ((y.compare or _ATTACHED.match(full, y.end)) and not _OWN_YEAR.match(full, y.end, q_at))]
    mentions = [y for y in mentions if not _bracketed_apart(full, y.start, q_at)]
    left = [y for y in mentions if y.end <= q_at]
    rel = _relative(full, q_at, doc_year, near + plen)
    if rel is not None and (not left or rel[0] > left[-1].start):
        return rel[1], "relative"
    if left:
        return _stated(None if left[-1].span else left[-1].year)
    right = next((y for y in mentions if q_at <= y.start and y.end <= hi + plen), None)
    if right is not None:
        return _stated(None if right.span else right.year)
    if heading_year is not None:
        return heading_year, "heading"
    if heading:
        m = _HEADING_YEAR.search(heading)
        if m:
            return int(m.group(1)), "heading"
    return None, None


def _bracketed_apart(text: str, at: int, q_at: int) -> bool:
    """Whether position ``at`` lies in a bracket note that does not hold ``q_at``: 幼儿园8所(含2017年
    秋季新开办的xx街幼儿园)、小学9所 — the note's year dates an event, not the counts around it."""
    opening = max(text.rfind("(", 0, at), text.rfind("（", 0, at))
    if opening < 0 or max(text.rfind(")", opening, at), text.rfind("）", opening, at)) >= 0:
        return False
    ends = [i for i in (text.find(")", at), text.find("）", at)) if i >= 0]
    if not ends or opening < q_at < min(ends):
        return False
    # a bracket that only dates a label (基期值(2020年)) is no note
    return len(regex.findall(r"\p{Han}", regex.sub(r"(?:19|20)\d{2}\s*年", "", text[opening + 1:min(ends)]))) >= 4


def _stated(year: int | None) -> YearReading:
    """A year the sentence states (None: masked or a span, which settles it as none)."""
    return (year, "sentence") if year is not None else (None, SETTLED)


def with_reporting_year(reading: YearReading, sentence: str, reporting: int | None) -> YearReading:
    """Step 4 of the codebook's ``year``: a number with no year of its own takes the document's
    reporting year (basis ``document``), unless its sentence settled the year as none or holds a
    span (2015年以来, 2016-2018年); the final (year, year_basis), basis None when the year is."""
    year, basis = reading
    if year is not None:
        return year, basis
    if basis is None and reporting is not None and not any(y.span for y in year_mentions(sentence)):
        return reporting, "document"
    return None, None


def decreases(sentence: str, clause: Clause, q_start: int, code: str) -> bool:
    """Whether a change is a decrease (比上年减少412人, 下降2.47%, 消除大班额249个): the last change verb
    of the clause before the number is one (the ``decrease`` cues of rules/cues.yaml)."""
    return first_cue("decrease", "clause", sentence[clause.start:q_start], code) is not None


# ------------------------------------------------------------------- kind, approx

def _target_in(text: str, doc_year: int | None) -> bool:
    """Whether a clause-scope target cue matches ``text``; a cue that captures a year (到2025年)
    counts only when that year is after the document's year."""
    for c in cue_candidates("target", "clause", text, every=True):
        for m in c.pattern.finditer(text):
            if m.lastindex is None or doc_year is None or int(m.group(1)) > doc_year:
                return True
    return False


def resolve_kind(sentence: str, clause: Clause, q_start: int, q_end: int, code: str, *,
                 plan_section: bool, before: str, frame: bool = False, doc_year: int | None = None) -> str:
    """``target`` (plan sections, 计划/力争/确保/到20xx年 after the document's year, 达到…的要求),
    ``change`` (比上年增长 X, 提高 X 个百分点, 消除大班额 N 个) or ``level``."""
    after = sentence[q_end:clause.end]
    lo = max(clause.start, q_start - TARGET_WINDOW)
    opener = _OPENER.search(sentence, 0, clause.start)  # 到2025年，…: a short clause that opens the sentence
    if opener is not None and opener.end() >= clause.start - 1:
        lo = 0
    if (plan_section or _target_in(sentence[lo:q_start], doc_year)
            or first_cue("target", "after", after) or first_cue("target", "before", before)):
        return "target"
    if frame:
        return "level"
    if first_cue("change", "before", before, code) or first_cue("change", "clause", sentence[clause.start:q_start], code):
        return "change"
    return "level"


def resolve_approx(sentence: str, q_end: int, code: str, *, reader_approx: bool, before: str) -> bool:
    """Whether the number is hedged or bounded (余, 近, 以上 …); never for a class-size threshold."""
    if code == "class_size.limit":
        return False
    if first_cue("not_approx", "before", before):
        return False
    if reader_approx:
        return True
    return bool(first_cue("approx", "before", before) or first_cue("approx", "after", sentence[q_end:q_end + 4]))
