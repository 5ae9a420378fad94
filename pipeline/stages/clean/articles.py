"""Splitting a cleaned page into articles, and reading each article's title and year.

A page may hold several articles: numbered headings (第一篇:…, the ``article``
rules of rules/boilerplate.yaml), the same report title repeated before
each sample essay, or the items of a news list page (a title line, then a
发布时间:2023-09-05 来源:… line; :func:`news_item_heads`), each dated by its
publication line. :func:`split_articles` returns spans of the page's clean
text; :func:`document_year` reads the year an article states in its title or
opening line (for resolving 今年/去年 later).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import regex

from pipeline.stages.clean.boilerplate import iter_lines, rules_of

#: An article found by repeated titles must hold at least this many characters besides its
#: title; shorter stretches (a title shown twice, once in the page header) are merged.
#: The sample essays of corpora/000 run to thousands of characters; a page header is under 100.
MIN_ARTICLE_CHARS = 200

#: A line can be a report title when it is this long at most (seed titles: 8-40 characters).
MAX_TITLE_CHARS = 60

#: A repeated line splits the page only when it reads like a report title (ends with a document-type
#: word, maybe with a bracketed tag): 履行教育职责自查报告 (000), 工作总结, 实施方案 …; a repeated
#: section heading (主要做法, 存在问题) does not.
REPORT_TITLE = regex.compile(
    r"(报告|总结|计划|规划|方案|意见|通知|讲话|发言|汇报|述职|自查|自评|要点|公报|情况|纪要|材料|范文)"
    r"\s*(?:[(（【\[][^)）】\]]{0,12}[)）】\]])?$")
_NOT_TITLE = regex.compile(r"[。；;！!？?，,：:]|^\s*(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+[、.．])")
_YEAR = regex.compile(r"(?<![\d_xX*＊])((?:19|20)\d{2})(?:\s*[-—–~至]\s*((?:19|20)\d{2}))?\s*学?年")

#: A news item's publication line: 发布时间/发布日期/时间/日期 and a full date, maybe after a
#: 来源/作者 field and before 来源/作者/浏览 fields (发布时间:2023-09-05  来源:县教育局).
#: A date with its year (2024-09-10, 2024年9月10日).
_DATE = r"(?P<year>(?:19|20)\d{2})\s*(?:[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}|年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
PUBLICATION_LINE = regex.compile(
    r"^(?:(?:来源|作者|编辑)\s*[:：][^:：。\n]{0,30}?\s+)?(?:发布时间|发布日期|时间|日期)\s*[:：]\s*" + _DATE +
    r"(?:[\s\d:：]*$|\s+(?:[|｜]\s*)?(?:来源|作者|浏览|点击|编辑)[^。\n]{0,60}$)")
#: A news item's title may hold a colon or comma (县教育局：秋季学期新增…) but no sentence end.
_NOT_ITEM_TITLE = regex.compile(r"[。；;！!？?]")
#: Most characters before the first item of a news list whose items are dated by a date alone.
LIST_PRELUDE_CHARS = 400
#: A news list item's date alone on its line (2024-09-10 17:32, [2024年9月10日]).
_DATE_LINE = regex.compile(
    r"^\s*[\[【(（]?" + _DATE +
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*[\]】)）]?\s*$")


@dataclass
class ArticleSpan:
    """An article of a page: its title and its [start, end) span in the page's clean text."""

    title: str
    start: int
    end: int
    rule_id: str
    year: int | None = None  # the year of a news item's publication line (None: read by document_year)


def is_title_like(line: str) -> bool:
    """A short line without sentence punctuation or outline numbering (一、 (一) 1.)."""
    line = line.strip()
    return 4 <= len(line) <= MAX_TITLE_CHARS and not _NOT_TITLE.search(line)


def _lines(text: str) -> list[tuple[int, int, str]]:
    return [(s, e, text[s:e].strip()) for s, e in iter_lines(text) if text[s:e].strip()]


def _ordinal_split(text: str, lines: list[tuple[int, int, str]]) -> list[ArticleSpan]:
    rules = rules_of("article")
    heads: list[tuple[int, int, str, str]] = []
    for i, (s, e, line) in enumerate(lines):
        for rule in rules:
            m = rule.matches(line)
            if m:
                title = m.group("title").strip()
                if not title and i + 1 < len(lines):
                    title = lines[i + 1][2]
                heads.append((s, e, title, rule.id))
                break
    if not heads:
        return []
    spans: list[ArticleSpan] = []
    first = heads[0][0]
    if text[:first].strip():
        spans.append(ArticleSpan(_page_title(text[:first]), 0, first, "article.prelude"))
    for k, (_s, e, title, rid) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(text)
        spans.append(ArticleSpan(title, min(e + 1, end), end, rid))
    return spans


def _repeated_title_split(text: str, lines: list[tuple[int, int, str]]) -> list[ArticleSpan]:
    counts = Counter(line for _s, _e, line in lines if is_title_like(line) and REPORT_TITLE.search(line))
    repeated = [t for t, n in counts.items() if n >= 2]
    if not repeated:
        return []
    title = max(repeated, key=lambda t: (counts[t], -next(i for i, x in enumerate(lines) if x[2] == t)))
    starts = [s for s, _e, line in lines if line == title]
    # A copy of the title that follows the previous one with (almost) no text between (a page
    # header, a title shown twice) does not start a new article.
    kept = [starts[0]]
    for s in starts[1:]:
        if _body_len(text[kept[-1]:s], title) >= MIN_ARTICLE_CHARS:
            kept.append(s)
    if len(kept) > 1 and _body_len(text[kept[-1]:], title) < MIN_ARTICLE_CHARS:
        kept.pop()
    if len(kept) < 2:
        return []
    spans: list[ArticleSpan] = []
    if text[:kept[0]].strip():
        spans.append(ArticleSpan(_page_title(text[:kept[0]]), 0, kept[0], "article.prelude"))
    for k, s in enumerate(kept):
        end = kept[k + 1] if k + 1 < len(kept) else len(text)
        spans.append(ArticleSpan(title, s, end, "article.repeated_title"))
    return spans


@dataclass
class NewsItemHead:
    """The head of a news list item: its title line's start offset, the title, and the year of
    its publication line."""

    start: int
    title: str
    year: int


def news_item_heads(text: str) -> list[NewsItemHead]:
    """Heads of the items of a news list page: short title lines each followed (maybe after blank
    lines) by a publication line, or each by a date alone; none unless there are at least two (a single dated article is
    not a list). Read before boilerplate removal, which drops 发布时间 lines."""
    lines = _lines(text)
    for dated in (PUBLICATION_LINE, _DATE_LINE):  # a date alone also closes a report's signature: never mixed
        heads: list[NewsItemHead] = []
        for (s, _e, title), (_s, _e2, line) in zip(lines, lines[1:], strict=False):
            m = dated.match(line)
            if (m and 4 <= len(title) <= MAX_TITLE_CHARS and not _NOT_ITEM_TITLE.search(title)
                    and not PUBLICATION_LINE.match(title) and not _DATE_LINE.match(title)):
                heads.append(NewsItemHead(s + text[s:].index(title), title, int(m.group("year"))))
        if len(heads) >= 2 and (dated is PUBLICATION_LINE or len(text[:heads[0].start].strip()) <= LIST_PRELUDE_CHARS):
            return heads  # dates alone after a long text are its comments (name, date, words), not a list
    return []


def _news_item_split(text: str, heads: list[NewsItemHead]) -> list[ArticleSpan]:
    """One article per news item (``heads`` as offsets into ``text``), from its title to the next
    item's title, dated by its publication line."""
    if len(heads) < 2:
        return []
    spans: list[ArticleSpan] = []
    first = heads[0].start
    if text[:first].strip():
        spans.append(ArticleSpan(_page_title(text[:first]), 0, first, "article.prelude"))
    for k, head in enumerate(heads):
        end = heads[k + 1].start if k + 1 < len(heads) else len(text)
        spans.append(ArticleSpan(head.title, head.start, end, "article.news_item", head.year))
    return spans


def _body_len(segment: str, title: str) -> int:
    return len(regex.sub(r"\s+", "", segment.replace(title, "")))


#: A news headline led by its speaker: 教育部:去年全国幼儿园数量达到29.1万所.
_SPEAKER_HEADLINE = regex.compile(r"^[^\s\d:：,，。|｜]{2,10}[:：](?P<rest>[^:：|｜]{6,})$")


#: A news headline of two phrases: 去年全国在园幼儿减少11万余人,多年来首次出现下降.
_TWO_PHRASE_HEADLINE = regex.compile(r"^[^。；;！!？?：:,，\s]{4,24}[,，][^。；;！!？?：:,，\s]{4,16}$")


#: A site's navigation bar, welcome line, SEO keyword title or a site's name alone on its line: never the
#: page's title (首页 | 时政要闻 | 教育; 欢迎访问…门户网站; 2023高考志愿填报指南_名校录取分数线_中考真题下载;
#: 昆山市人民政府, 南阳人大网).
_NOT_PAGE_TITLE = regex.compile(r"(?:[|｜_].*){2,}|欢迎(?:访问|光临|来到)"
                                 r"|^\s*\S{2,14}(?:人民政府(?:门户网站|网站)?|政府网|门户网站?|网站|人大网|教育网|新闻网)\s*$"
                                 r"|^\s*(?:[^\s|｜]{2,6}\s*[|｜]?\s+){3,}[^\s|｜]{2,6}\s*$")  # a menu: 网站首页  走进昆山  政务公开 …


def _page_title(text: str) -> str:
    lines = [x for x in _lines(text)[:4] if not _NOT_PAGE_TITLE.search(x[2])][:3]
    for _s, _e, line in lines:
        headline = _SPEAKER_HEADLINE.match(line)
        if is_title_like(line) or (headline is not None and is_title_like(headline.group("rest"))):
            return line
    if lines and _TWO_PHRASE_HEADLINE.match(lines[0][2]):
        return lines[0][2]  # only the page's first line, when no line is title-like
    return ""


def split_articles(text: str, news_items: list[NewsItemHead] | None = None) -> list[ArticleSpan]:
    """Articles of a page's clean text: by 第N篇-style headings, else by a repeated report title,
    else by the items of a news list page (``news_items``: :func:`news_item_heads` of the page before
    boilerplate removal, offsets into ``text``), else the whole page as one article titled by its
    first title-like line."""
    lines = _lines(text)
    spans = (_ordinal_split(text, lines) or _repeated_title_split(text, lines)
             or _news_item_split(text, news_items or []))
    if spans:
        return spans
    return [ArticleSpan(_page_title(text), 0, len(text), "article.page")]


#: Lines after the title read for the document's year (a speech's ——2020年12月28日在…会议上 line
#: comes after the breadcrumbs and the report's name).
OPENING_LINES = 3
#: ... but after the first only short lines (a date or venue line, not a paragraph of the body).
OPENING_LINE_MAX = 50


def document_year(title: str, text: str) -> int | None:
    """The year an article states in its title, else in its opening line or a short line after it; the end year of a
    range (2022-2023学年度 gives 2023); None when absent or masked (xx年, 20__年)."""
    lines = [line for _s, _e, line in _lines(text) if line != title.strip()][:OPENING_LINES]
    opening = lines[:1] + [line for line in lines[1:] if len(line) <= OPENING_LINE_MAX]
    for source in (title, *opening):
        m = _YEAR.search(source)
        if m:
            return int(m.group(2) or m.group(1))
    return None


#: A year a title or opening line can name as the period it reports on: 2016年, 2019年度, 2023年上半年,
#: and a year glued to a word with no 年 (2012高考, 2021县教育局年度工作总结) when a report or exam word
#: follows on the line; never a date (2020年12月22日, 2021-04-19) nor a span (2022-2023学年度).
_PERIOD_YEAR = regex.compile(
    r"(?<![\d_xX×*＊.\-/:：])((?:19|20)\d{2})(?!\s*[-—–~至/.]\s*\d)"
    r"(?:\s*年度?(?!\s*\d{1,2}\s*月)|(?=\p{Han})(?=[^。；;!！?？\n]{0,30}(?:报告|总结|公报|公告|决算|预算|规划|计划|要点|年鉴|高考|中考|情况)))")
#: A span or a masked year: 2022-2023学年度, 2020~2021学年, 20xx年, 2023年度某县-学年度 (a span whose years were
#: lost), “十四五”: the title names no single reporting year.
_PERIOD_SPAN = regex.compile(
    r"(?:19|20)\d{2}\s*年?\s*[-—–~至]\s*(?:(?:19|20)\d{2}|学?年)|(?:20|19)?[xX×_*＊]{2,}\s*年|(?<![\d])[-—–~]\s*学?年度"
    r"|“?十[一二三四五六]五”?")
#: An opening line names its report period when it starts with the year (2020年,面对…; 【教育基本情况】
#: 2021年,…; 截止2013年3月,全州共有…) or names a report of that year (发布《2021年河北省教育事业发展统计公报》,
#: 公布2019年…统计公报, 通报2021年全国教育事业发展总体情况).
_OPENING_DATED = regex.compile(
    r"^\s*(?:【[^】]{1,12}】\s*)?(?:(?:截至|截止)\s*)?((?:19|20)\d{2})\s*年度?(?:底|末|\s*\d{1,2}\s*月(?:底|末)?)?"
    r"\s*[^\p{Han}\d\s]{0,6}[,，、]")
_NAMES_REPORT = regex.compile(
    r"((?:19|20)\d{2})\s*年度?[^。；;,，\n]{0,30}(?:统计公报|统计公告|工作总结|工作报告|自查报告|决算|年鉴)"
    r"|(?:通报|发布|公布|印发)了?[《“]?((?:19|20)\d{2})\s*年度?[^。；;,，\n]{0,30}(?:情况|公报|公告|报告)")


#: A title-like line that names a report of some genre (凤岭县2023年教育事业统计快报, …工作总结, …决算公开).
_REPORT_LINE = regex.compile(
    r"(?:报告|总结|公报|快报|简报|公告|通报|通知|规划|计划|要点|年鉴|决算|预算|情况|汇报|统计表?|公开)"
    r"\s*(?:[(（【\[][^)）】\]]{0,12}[)）】\]])?(?:\.\w{2,4})?$")
_TITLE_RELATIVE = regex.compile(r"去年|上年|今年")
#: A dateline near the top of a news page: 2022年05月18日16:26 | 来源…, 2020-05-11 04:12
_DATELINE = regex.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|-\d{1,2}-\d{1,2})")


#: A posting line near the top of a page: a full date with a source, author or counter field
#: (2023-07-02 10:35  来源:县融媒体中心  作者:…; 发布时间:2022-03-02).
_POSTING_FIELDS = regex.compile(r"来源|作者|发布|编辑|阅读|浏览|点击|记者")
#: Lines read for the posting date.
POSTING_LINES = 8


#: What makes a page a news item (its 今年 is its publication year), not a report reposted later.
_NEWS = regex.compile(r"记者|通讯员|融媒体|新闻中心|日报|晚报|电视台|[网日]讯|日电|获悉|据了解|消息|新闻发布会"
                      r"|\n\s*\d{1,2}\s*月\s*\d{1,2}\s*日")  # a lead that opens with the day (9月11日中午,…)
#: Characters after the posting line read for the news words.
NEWS_LEAD_CHARS = 300


def publication_year(text: str) -> int | None:
    """The year a news item was published: the date of its posting line in the first lines of the
    page (read before boilerplate removal, which drops that line), when the posting line or the
    start of the text after it reads as news (记者, 通讯员, 获悉, 日电 …); None otherwise (a work
    summary posted on a 范文 site months later reports on its own year)."""
    for _s, e, line in _lines(text)[:POSTING_LINES]:
        m = PUBLICATION_LINE.match(line)
        dated = m.group("year") if m is not None else None
        if dated is None and _POSTING_FIELDS.search(line) and len(line) <= 120:
            found = _DATELINE.search(line)
            dated = found.group(1) if found is not None else None
        if dated is not None:
            return int(dated) if _NEWS.search(line + text[e:e + NEWS_LEAD_CHARS]) else None
    return None


def news_dateline_year(title: str, text: str) -> int | None:
    """The publication year of a news item whose headline dates itself relatively (去年全国在园幼儿
    减少…; 今年…): the dateline's year near the top, the base of the item's 今年/去年; else None."""
    if _TITLE_RELATIVE.search(title) is None or _PERIOD_YEAR.search(title):
        return None
    lines = [line for _s, _e, line in _lines(text) if line != title.strip()][:OPENING_LINES]
    dated = next((m for line in lines if (m := _DATELINE.search(line))), None)
    return int(dated.group(1)) if dated is not None else None


def names_span(title: str) -> bool:
    """Whether a title names a period of several years or a masked year (2020~2021学年初…, 20xx年…)."""
    return _PERIOD_SPAN.search(title) is not None


def reporting_year(title: str, text: str) -> int | None:
    """The document's reporting year (codebook v1.3, step 4 of ``year``): the one year that the title
    or an opening line names as the period reported on. A title or opening line that names a span
    or a masked year gives None, as does a page with no such line; publication timestamps never count."""
    lines = [line for _s, _e, line in _lines(text) if line != title.strip()][:OPENING_LINES + 3]
    relative = _TITLE_RELATIVE.search(title)
    published = news_dateline_year(title, text)
    if published is not None and relative is not None:
        # 教育部:去年全国幼儿园数量达到29.1万所 over a 2022年05月18日 dateline: 2021
        return published + (-1 if relative.group() in ("去年", "上年") else 0)
    opening = next((line for line in lines if not PUBLICATION_LINE.match(line.strip())), None)
    for line in (title, *lines):
        if PUBLICATION_LINE.match(line.strip()):
            continue
        span = _PERIOD_SPAN.search(line)
        if line is title or (is_title_like(line) and _REPORT_LINE.search(line)):
            if span is not None:
                return None  # 2020~2021学年初…统计基本情况, 2023年度某县-学年度…自查报告
            found = _PERIOD_YEAR.search(line)
            if found is not None:
                return int(found.group(1))
            continue
        m = (_OPENING_DATED.search(line) if line is opening else None) or _NAMES_REPORT.search(line)
        if m is not None and (span is None or span.start() > m.end()):
            return int(m.group(1) or m.group(2))
    return None
