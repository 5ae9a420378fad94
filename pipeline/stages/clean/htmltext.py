"""HTML to text with alignment: every output character keeps its offset in the HTML source.

No parser tree, no network: a tokenizer over tags, comments and entities.
Containers that hold no article text (script, style, nav, header, footer,
aside …) are dropped with their content; block-level tags become line breaks,
table cells a tab between the cells of their row's line;
entities are unescaped (each maps to the offset of its ``&``); runs of
source white space collapse as a browser would.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import regex

from pipeline.text.aligned import AlignedText

#: Elements dropped together with everything inside them.
DROPPED_ELEMENTS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "iframe", "svg",
                    "template", "select", "button", "form", "head")

#: A run of at least this many consecutive lines made only of link text is a menu or a link
#: list and is dropped (a lone linked line, such as a linked article title, stays).
MIN_LINK_RUN = 2

#: Elements that end a line (their start and end tags become a line break).
BLOCK_ELEMENTS = frozenset(
    "address article blockquote body br dd div dl dt figcaption figure h1 h2 h3 h4 h5 h6 hr html li main "
    "ol p pre section table tbody tfoot thead title tr ul center caption".split())
#: Table cells: a row is one line, its cells parted by :data:`CELL_SEPARATOR` (read by
#: :mod:`pipeline.stages.extract.tablecells`, which gives a cell the unit and year of its row and column headers).
CELL_ELEMENTS = frozenset(("td", "th"))
CELL_SEPARATOR = "\t"

_DROPPED = regex.compile(
    r"<(?P<tag>" + "|".join(DROPPED_ELEMENTS) + r")\b[^>]*>.*?</(?P=tag)\s*>", regex.IGNORECASE | regex.DOTALL)
_TOKEN = regex.compile(
    r"(?P<comment><!--.*?(?:-->|\Z))|(?P<decl><![^>]*>|<\?[^>]*>)|(?P<tag></?(?P<name>[a-zA-Z][\w:-]*)[^>]*>)"
    r"|(?P<entity>&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});?)|(?P<ws>[ \t\r\n\f]+)",
    regex.DOTALL)
_TITLE = regex.compile(r"<title\b[^>]*>(.*?)</title\s*>", regex.IGNORECASE | regex.DOTALL)
_H1 = regex.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", regex.IGNORECASE | regex.DOTALL)
_H2 = regex.compile(r"<h2\b[^>]*>(.*?)</h2\s*>", regex.IGNORECASE | regex.DOTALL)

#: Class or id words of containers that hold a site's chrome, not the article (as trafilatura
#: reads them): menus, navigation and top bars, breadcrumbs, footers, side bars, share bars.
CHROME_NAMES = ("nav", "navbar", "navigation", "menu", "topbar", "top-bar", "top_bar", "breadcrumb", "breadcrumbs",
                "crumb", "crumbs", "footer", "foot", "sidebar", "side-bar", "share", "bdsharebuttonbox",
                "copyright", "friendlink", "links")
_CHROME_OPEN = regex.compile(
    r"<(?P<tag>div|ul|ol|section|span|p|table|td)\b[^>]*?\b(?:class|id)\s*=\s*[\"']?"
    r"(?:[^\"'>]*?[\s])?(?:" + "|".join(map(regex.escape, CHROME_NAMES)) + r")(?=[\s\"'>])[^>]*>",
    regex.IGNORECASE)
#: A container of chrome is kept anyway when it holds the article's headline or this much text.
CHROME_MAX_CHARS = 1500
_LOOKS_HTML = regex.compile(r"<(?:!doctype\s+html|html|body|div|p|br|table|span|a\s|meta|head)\b", regex.IGNORECASE)


def looks_like_html(text: str, path: str = "") -> bool:
    """True for .html/.htm files and for text whose first 2000 characters carry HTML tags."""
    if path.lower().endswith((".html", ".htm", ".shtml", ".xhtml")):
        return True
    head = text[:2000]
    return len(_LOOKS_HTML.findall(head)) >= 2


def html_title(text: str, whole: bool = False) -> str:
    """The page's <title>, unescaped, without a trailing site name ('报告 - 范文网' gives '报告';
    with ``whole``, with it)."""
    m = _TITLE.search(text)
    if not m:
        return ""
    title = _fragment_text(m.group(1))
    if whole:
        return title
    return regex.split(r"\s*[-_|｜–—]+\s*(?=[^-_|｜–—]*$)", title)[0].strip() or title


def _fragment_text(fragment: str) -> str:
    """The text of an HTML fragment (a <title>'s or a heading's content): tags out, entities unescaped,
    white space collapsed."""
    return regex.sub(r"\s+", " ", html.unescape(regex.sub(r"<[^>]*>", "", fragment))).strip()


def html_headlines(text: str) -> tuple[bool, list[str]]:
    """Where the page's headline may be: ``(True, [text])`` of its one <h1> (the article's headline
    on most sites), else ``(False, texts)`` of each <h2> in order (sites that keep <h1> for their
    logo, or write none); empty or overlong headings are left out."""
    def texts(pattern: regex.Pattern) -> list[str]:
        found = [_fragment_text(m.group(1)) for m in pattern.finditer(text)]
        return [h for h in found if h and len(h) <= 80]

    h1 = texts(_H1)
    return (True, h1) if len(h1) == 1 else (False, [] if h1 else texts(_H2))


def _element_end(text: str, tag: str, start: int) -> int:
    """End of the element whose start tag ends at ``start`` (nested elements of the same tag
    counted), or -1 when it is never closed."""
    depth = 1
    for m in regex.finditer(rf"<(/?){tag}\b[^>]*>", text, pos=start, flags=regex.IGNORECASE):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return m.end()
    return -1


def blank_chrome(text: str) -> str:
    """``text`` with every container of site chrome (:data:`CHROME_NAMES`) blanked to spaces, offsets
    kept; a container holding an <h1> or more than :data:`CHROME_MAX_CHARS` characters stays."""
    m = _CHROME_OPEN.search(text)
    if m is None:
        return text
    out = list(text)
    while m is not None:
        end = _element_end(text, m.group("tag"), m.end())
        inner = text[m.end():end] if end >= 0 else ""
        if end < 0 or _H1.search(inner) or len(regex.sub(r"<[^>]*>|\s+", "", inner)) > CHROME_MAX_CHARS:
            m = _CHROME_OPEN.search(text, m.end())  # never closed, or the article: kept
            continue
        out[m.start():end] = " " * (end - m.start())
        m = _CHROME_OPEN.search(text, end)
    return "".join(out)


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\uffef"


def html_to_text(at: AlignedText, counters: Counter | None = None) -> AlignedText:
    """Visible text of an HTML page, each character aligned to its source offset.

    Source white space collapses to one space, or to nothing between two Chinese characters
    across a line break (a line wrapped inside a paragraph); a block tag gives one line break.
    Link lists (runs of lines that are all link text: menus, 相关推荐 lists) are dropped and
    counted in ``counters['boilerplate:html.link_list']``.
    """
    src = at.text
    # Blank out dropped containers first (keeping positions), so the tokenizer never sees them.
    blanked = blank_chrome(_DROPPED.sub(lambda m: " " * len(m.group(0)), src))
    chars: list[str] = []
    offs: list[int] = []
    linked: list[bool] = []
    pending_ws: int | None = None  # source offset of collapsed white space not yet written
    wrapped = False  # that white space holds a line break
    link_depth = 0

    def emit(text: str, pos: int | None = None, span: range | None = None) -> None:
        nonlocal pending_ws
        joined = wrapped and chars and _is_cjk(chars[-1]) and _is_cjk(text[0])
        if pending_ws is not None and chars and chars[-1] != "\n" and not joined:
            chars.append(" ")
            offs.append(pending_ws)
            linked.append(link_depth > 0)
        pending_ws = None
        chars.extend(text)
        offs.extend(span if span is not None else [pos] * len(text))
        linked.extend([link_depth > 0] * len(text))

    grid = _Grid(chars, offs, linked)
    pos = 0
    for m in _TOKEN.finditer(blanked):
        s, e = m.span()
        if s > pos:
            emit(blanked[pos:s], span=range(pos, s))
        pos = e
        if m.group("ws"):
            if pending_ws is None:
                pending_ws, wrapped = s, False
            wrapped = wrapped or "\n" in m.group("ws")
        elif m.group("entity"):
            value = html.unescape(m.group("entity")).replace("\xa0", " ")
            if value.strip():
                emit(value, s)
            elif pending_ws is None:
                pending_ws, wrapped = s, False
        elif m.group("tag"):
            name = m.group("name").lower()
            closing = m.group("tag").startswith("</")
            if name == "a":
                link_depth = max(0, link_depth + (-1 if closing else 1))
            elif name in CELL_ELEMENTS or name in _ROW_ELEMENTS:
                pending_ws = None
                grid.tag(name, closing, m.group("tag"), s)
            elif name in BLOCK_ELEMENTS:
                pending_ws = None
                if chars and chars[-1] != "\n":
                    chars.append("\n")
                    offs.append(s)
                    linked.append(False)
    if pos < len(blanked):
        emit(blanked[pos:], span=range(pos, len(blanked)))
    grid.close(max(0, len(blanked) - 1))  # an offset inside the source
    local = np.asarray(offs, dtype=np.int64)
    out = AlignedText("".join(chars), at.raw[local] if len(local) else np.zeros(0, dtype=np.int64))
    return _drop_link_lists(out, np.asarray(linked, dtype=bool), counters)


_ROW_ELEMENTS = frozenset(("tr", "table"))
_SPAN = regex.compile(r"""\b(?P<kind>rowspan|colspan)\s*=\s*["']?\s*(?P<n>\d{1,3})""", regex.IGNORECASE)
#: Most rows (or columns) one cell may span; a larger span is read as this.
MAX_SPAN = 50


#: A cell whose text is at most this long is a data or header cell: the line breaks inside it
#: (学校数<br>(所), <td><p>小学</p></td>) are spaces; a longer one lays out a page and keeps them.
CELL_MAX_CHARS = 60


@dataclass
class _Table:
    """What is open in one table: columns written on the current row, the open cell
    (start in the output, colspan, rowspan) and the cells of rows above spanning down (column ->
    rows left, text, offsets)."""

    col: int = 0
    cell: tuple[int, int, int] | None = None
    above: dict[int, tuple[int, str, list[int]]] = field(default_factory=dict)
    holds_table: bool = False  # the open cell holds a table: it lays out a page


class _Grid:
    """The cells of HTML tables written as lines of tab-separated cells, with every row as wide
    as the table: a cell that spans columns (colspan) is written once a column, and one that spans
    rows (rowspan) again on each row it covers, each copy aligned to the cell's source text; an
    empty cell keeps its place. A table inside a cell (a page laid out in a table) is read on its
    own lines."""

    def __init__(self, chars: list[str], offs: list[int], linked: list[bool]) -> None:
        self.chars, self.offs, self.linked = chars, offs, linked
        self.tables: list[_Table] = []

    def _write(self, text: str, offs: list[int] | int) -> None:
        self.chars.extend(text)
        self.offs.extend(offs if isinstance(offs, list) else [offs] * len(text))
        self.linked.extend([False] * len(text))

    def _newline(self, at: int) -> None:
        if self.chars and self.chars[-1] != "\n":
            self._write("\n", at)

    def _separate(self, t: _Table, at: int) -> None:
        if t.col > 0:
            self._write(CELL_SEPARATOR, at)

    def _fill_spanned(self, t: _Table, at: int) -> None:
        """Write the copies of cells from rows above that span down into the current column."""
        while t.col in t.above:
            left, text, offs = t.above[t.col]
            self._separate(t, at)
            self._write(text, offs)
            if left <= 1:
                del t.above[t.col]
            else:
                t.above[t.col] = (left - 1, text, offs)
            t.col += 1

    def _close_cell(self, t: _Table, at: int) -> None:
        if t.cell is None:
            return
        start, colspan, rowspan = t.cell
        t.cell = None
        chars = self.chars
        while len(chars) > start and chars[-1] in " \n":
            chars.pop(), self.offs.pop(), self.linked.pop()
        lead = start
        while lead < len(chars) and chars[lead] in " \n":
            lead += 1
        del chars[start:lead], self.offs[start:lead], self.linked[start:lead]
        if len(chars) - start <= CELL_MAX_CHARS and not t.holds_table:
            for i in range(start, len(chars)):
                if chars[i] == "\n":
                    chars[i] = " "
        t.holds_table = False
        text, offs = "".join(chars[start:]), self.offs[start:]
        for k in range(colspan):
            if k:
                self._write(CELL_SEPARATOR, at)
                self._write(text, offs)
            if rowspan > 1:
                t.above[t.col + k] = (rowspan - 1, text, offs)
        t.col += colspan

    def _end_row(self, t: _Table, at: int) -> None:
        self._close_cell(t, at)
        if t.col:
            self._fill_spanned(t, at)
            self._write("\n", at)
        t.col = 0

    def tag(self, name: str, closing: bool, tag: str, at: int) -> None:
        """Read a table, row or cell tag at source offset ``at``."""
        if name == "table":
            if closing:
                if self.tables:
                    self._end_row(self.tables.pop(), at)
            else:
                if self.tables and self.tables[-1].cell is not None:
                    self.tables[-1].holds_table = True
                self.tables.append(_Table())
            self._newline(at)
            return
        if not self.tables:  # a row or cell outside any table: read as if its table were open
            self.tables.append(_Table())
        t = self.tables[-1]
        if name == "tr":
            self._end_row(t, at)
            self._newline(at)
            return
        self._close_cell(t, at)
        if closing:
            return
        if t.col == 0:
            self._newline(at)
        self._fill_spanned(t, at)
        spans = {k.lower(): min(MAX_SPAN, max(1, int(n))) for k, n in
                 ((m.group("kind"), m.group("n")) for m in _SPAN.finditer(tag))}
        self._separate(t, at)
        t.cell = (len(self.chars), spans.get("colspan", 1), spans.get("rowspan", 1))

    def close(self, at: int) -> None:
        """End every table left open at the end of the page."""
        while self.tables:
            self._end_row(self.tables.pop(), at)


def _drop_link_lists(at: AlignedText, linked: np.ndarray, counters: Counter | None) -> AlignedText:
    """Remove runs of at least :data:`MIN_LINK_RUN` lines whose visible text is all inside links."""
    from pipeline.stages.clean.boilerplate import has_edu_number, iter_lines, keep_mask

    text = at.text
    spans = iter_lines(text)
    kinds: list[bool | None] = []  # per line: all link text, not, or blank (neutral)
    for s, e in spans:
        line = text[s:e]
        visible = [i for i in range(s, e) if not text[i].isspace()]
        kinds.append(None if not visible else all(linked[i] for i in visible) and not has_edu_number(line))
    mask = np.ones(len(text), dtype=bool)
    k = 0
    while k < len(spans):
        if not kinds[k]:
            k += 1
            continue
        j, count = k, 0
        while j < len(spans) and kinds[j] is not False:
            count += bool(kinds[j])
            j += 1
        while j > k and kinds[j - 1] is None:  # trailing blank lines are not part of the run
            j -= 1
        if count >= MIN_LINK_RUN:
            mask[spans[k][0]:min(spans[j - 1][1] + 1, len(text))] = False
            if counters is not None:
                counters["boilerplate:html.link_list"] += count
        k = max(j, k + 1)
    return keep_mask(at, mask)
