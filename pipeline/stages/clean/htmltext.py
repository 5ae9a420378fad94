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
_LOOKS_HTML = regex.compile(r"<(?:!doctype\s+html|html|body|div|p|br|table|span|a\s|meta|head)\b", regex.IGNORECASE)


def looks_like_html(text: str, path: str = "") -> bool:
    """True for .html/.htm files and for text whose first 2000 characters carry HTML tags."""
    if path.lower().endswith((".html", ".htm", ".shtml", ".xhtml")):
        return True
    head = text[:2000]
    return len(_LOOKS_HTML.findall(head)) >= 2


def html_title(text: str) -> str:
    """The page's <title>, unescaped, without a trailing site name ('报告 - 范文网' gives '报告')."""
    m = _TITLE.search(text)
    if not m:
        return ""
    title = regex.sub(r"\s+", " ", html.unescape(m.group(1))).strip()
    return regex.split(r"\s*[-_|｜–—]+\s*(?=[^-_|｜–—]*$)", title)[0].strip() or title


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
    blanked = _DROPPED.sub(lambda m: " " * len(m.group(0)), src)
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
            if name == "a":
                link_depth = max(0, link_depth + (-1 if m.group("tag").startswith("</") else 1))
            elif name in CELL_ELEMENTS:
                pending_ws = None
                if not m.group("tag").startswith("</") and chars and chars[-1] not in ("\n", CELL_SEPARATOR):
                    chars.append(CELL_SEPARATOR)
                    offs.append(s)
                    linked.append(False)
            elif name in BLOCK_ELEMENTS:
                pending_ws = None
                if chars and chars[-1] != "\n":
                    chars.append("\n")
                    offs.append(s)
                    linked.append(False)
    if pos < len(blanked):
        emit(blanked[pos:], span=range(pos, len(blanked)))
    local = np.asarray(offs, dtype=np.int64)
    out = AlignedText("".join(chars), at.raw[local] if len(local) else np.zeros(0, dtype=np.int64))
    return _drop_link_lists(out, np.asarray(linked, dtype=bool), counters)


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
