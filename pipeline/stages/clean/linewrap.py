"""Hard-wrapped text put back into paragraphs.

Text copied out of a PDF (statistics bulletins above all) keeps the PDF's line breaks: every line
of a paragraph is cut at the same display width, in the middle of a word or between a number and
its unit (``中等职业学校(含技工学校)19`` / ``所,招生2 874人``, ``招`` / ``生12 905人``). A run of at
least :data:`MIN_RUN` lines of nearly the same display width (within :data:`WIDTH_BAND`, each at
least :data:`MIN_WIDTH` wide, all but the last ending inside a sentence; the paragraph's last line
may be shorter) is such a paragraph: the line breaks inside it are removed. Table rows (bars, tabs) and short lines (headings) end a run.
Offsets stay mapped to the raw page (the breaks are deleted through :func:`keep_mask`).
"""

from __future__ import annotations

import numpy as np
import regex

from pipeline.stages.clean.boilerplate import iter_lines, keep_mask
from pipeline.text.aligned import AlignedText
from pipeline.text.width import display_width

#: Fewest lines of one width that make a wrapped paragraph.
MIN_RUN = 3
#: Narrowest display width (a CJK character counts 2) a wrapped line has.
MIN_WIDTH = 40
#: Largest difference of display width between the wrapped lines of one run.
WIDTH_BAND = 10


_ENDS = frozenset("。！？!?；;：:")
#: A line that opens an item or a section starts its own paragraph: (1) 1、 一、 (一) 第一, a bullet.
_ITEM = regex.compile(r"^\s*(?:[·•●○◆◇■□▪►—\-*]|[(（](?:\d{1,2}|[一二三四五六七八九十]{1,3})[)）]|\d{1,2}[、.．](?!\d)"
                      r"|[一二三四五六七八九十]{1,3}[、.．]|第[一二三四五六七八九十]{1,3}[章节部篇条])")


def _wrappable(line: str) -> bool:
    return "|" not in line and "\t" not in line and display_width(line) >= MIN_WIDTH


#: Runs of wrapped lines a page needs before its wrap width is trusted for paragraphs of two lines.
MIN_RUNS_FOR_WIDTH = 2


def _continues(text: str, lines: list[tuple[int, int]], k: int) -> bool:
    """Whether line ``k`` ends inside a sentence and the next line goes on with it (no item, no
    table row)."""
    after = text[slice(*lines[k + 1])] if k + 1 < len(lines) else ""
    return bool(after.strip()) and "|" not in after and "\t" not in after and not _ITEM.match(after) \
        and text[slice(*lines[k])][-1:] not in _ENDS


def unwrap_lines(at: AlignedText) -> AlignedText:
    """Join the lines of hard-wrapped paragraphs (see the module doc); other lines are untouched."""
    text = at.text
    lines = list(iter_lines(text))
    breaks: list[int] = []  # offsets of the newlines to delete
    bounds: list[tuple[int, int]] = []  # (narrowest, widest) line of each run found
    i = 0
    while i < len(lines):
        j = i
        lo = hi = None
        while j < len(lines):
            line = text[slice(*lines[j])]
            if not _wrappable(line) or (j > i and _ITEM.match(line)):
                break
            w = display_width(line)
            nlo, nhi = (w, w) if lo is None else (min(lo, w), max(hi, w))
            if nhi - nlo > WIDTH_BAND:
                break
            lo, hi = nlo, nhi
            j += 1
            if line[-1:] in _ENDS:
                break  # a line that ends a sentence ends the run (natural paragraphs end so)
        if j - i >= MIN_RUN:
            end = j - 1
            if _continues(text, lines, end):
                end = j  # the paragraph's short last line
            breaks.extend(lines[k][1] for k in range(i, end))
            bounds.append((lo, hi))
            i = end + 1
        else:
            i = max(j, i + 1)
    if len(bounds) >= MIN_RUNS_FOR_WIDTH:
        # a page wrapped at one width: a line of that width that ends inside a sentence is wrapped
        # too, also in a paragraph of two lines (…普惠性幼儿园覆 / 盖率94.5%。)
        lo, hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
        joined = set(breaks)
        for k in range(len(lines) - 1):
            line = text[slice(*lines[k])]
            if lines[k][1] not in joined and _wrappable(line) and lo <= display_width(line) <= hi \
                    and _continues(text, lines, k):
                breaks.append(lines[k][1])
    if not breaks:
        return at
    mask = np.ones(len(text), dtype=bool)
    mask[np.asarray(breaks, dtype=np.int64)] = False
    return keep_mask(at, mask)
