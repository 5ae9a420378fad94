"""Tables a scrape flattened to one cell a line, put back into rows.

Some sites' tables reach the text as one cell a line, each cell followed by a
column bar::

    类别 |
    学校数 |
    在校生数 |
    学前教育 |
    612 |
    117863 |
    小学 |
    318 |
    352617 |

The leading word cells are the header; each later word cell starts a row and the
value cells after it are its cells. A row with as many cells as the header becomes
one line of tab-separated cells (:data:`pipeline.stages.clean.htmltext.CELL_SEPARATOR`), so
:mod:`pipeline.stages.extract.tablecells` reads each number with its row and column labels, as
for an HTML table. A row with fewer cells than the header (a cell lost in the scrape) is a row
of tab-separated cells too: the table reader decides which column each of its cells is in, or
leaves it unread (:mod:`pipeline.stages.extract.tablegrid`). A row with more cells than the
header cannot be aligned: its label and one cell of its numbers parted by spaces, which stay bare.

Other sites print a table row a line with bars between the cells, and runs of bars where the
scrape dropped empty cells (``学前教育 | 国家助学金 | 28.65 | 342 | ||||||``): a run of at least
MIN_BAR_ROWS such lines of two or more cells, some of them numbers, becomes tab-separated rows
(:func:`rejoin_bar_rows`); a line of one cell (a title, a note) stays as it is.

A table copied one cell a line with no bars at all is taken for one only when it opens with its
label column's head alone on a line (类别, 学段, 项目) followed by at least two column labels that
name measures (学校数, 在校生数, 生师比, 经费(万元)): its rows are then rejoined as above.
"""

from __future__ import annotations

import bisect

import regex

from pipeline.stages.clean.htmltext import CELL_SEPARATOR
from pipeline.text.aligned import AlignedText

#: A cell line: a short cell followed by a column bar.
_CELL_LINE = regex.compile(r"[^\n|]{1,30}?[ \t]*\|[ \t]*(?=\n|$)")
#: A value cell (a number, maybe with a short unit or bound) or an empty one (/, -, —).
_VALUE = regex.compile(r"\s*(?:[-+]?\d[\d,.]*\s*[%‰]?\s*\S{0,3}|[/\-—–]+)\s*")
#: A flattened table has a header of at least this many cells, and at least one full row.
MIN_COLUMNS = 3


def _runs(text: str) -> list[list[tuple[int, str]]]:
    """Runs of consecutive cell lines, each line as (offset, text)."""
    runs: list[list[tuple[int, str]]] = []
    cur: list[tuple[int, str]] = []
    at = 0
    for line in text.split("\n"):
        if _CELL_LINE.fullmatch(line):
            cur.append((at, line))
        elif cur:
            runs.append(cur)
            cur = []
        at += len(line) + 1
    if cur:
        runs.append(cur)
    return runs


def _cell(line: tuple[int, str]) -> str:
    return line[1].rstrip(" \t|").strip()


def _row_breaks(run: list[tuple[int, str]]) -> dict[int, str]:
    """Separator to put at the end of each cell line of a run (offset of the line end -> tab or
    newline); empty when the run is no table or none of its rows is whole."""
    cells = [_cell(m) for m in run]
    first = next((k for k, c in enumerate(cells) if _VALUE.fullmatch(c)), len(cells))
    header = first - 1  # the word cell right before the first value labels the first row
    if header < MIN_COLUMNS or first == len(cells):
        return {}
    rows: list[list[int]] = [list(range(header))]
    for k in range(header, len(cells)):
        if _VALUE.fullmatch(cells[k]) and len(rows) > 1:
            rows[-1].append(k)
        else:
            rows.append([k])
    breaks: dict[int, str] = {}
    whole = 0
    for row in rows:
        if len(row) <= header:
            whole += row is not rows[0] and len(row) == header
            breaks.update((k, CELL_SEPARATOR) for k in row[:-1])
        else:
            # a cell lost in the scrape: which column it was is unknown, so the row's values stay
            # one cell of bare numbers beside its label (the table around it still reads)
            breaks.update((k, " ") for k in row[:-1])
            breaks[row[0]] = CELL_SEPARATOR
    return breaks if whole else {}


#: The head of a table's label column, alone on its line: the start of a table one cell a line
#: with no bars (copied from a word processor).
_PLAIN_HEAD = regex.compile(r"\s*(?:类\s*别|项\s*目|学\s*段|学校类别|学校名称|单位名称|地\s*区|乡\s*镇|年\s*级|类\s*型)\s*")
#: A column label of such a table: a measure (学校数, 在校生数, 生师比, 资助金额) or a label with its
#: unit (经费(万元)); no digits, at most 12 characters.
_PLAIN_COLUMN = regex.compile(r"[^\d\s|,，。；;:：]{1,10}(?:数|数量|率|比|额|金|费|[(（][^()（）\d]{1,4}[)）])")
#: A line of such a table: a short cell with no sentence punctuation.
_PLAIN_CELL = regex.compile(r"[^\n|。；;！!？?]{1,30}")


def _plain_runs(text: str) -> list[list[tuple[int, str]]]:
    """Tables one cell a line with no bars: a label column's head (类别, 学段) alone on its line,
    at least two column labels that name measures, then rows of short lines; each as (offset, text)."""
    runs: list[list[tuple[int, str]]] = []
    lines, at = [], 0
    for line in text.split("\n"):
        lines.append((at, line))
        at += len(line) + 1
    k = 0
    while k < len(lines):
        if not _PLAIN_HEAD.fullmatch(lines[k][1]):
            k += 1
            continue
        end = k + 1
        while end < len(lines) and _PLAIN_CELL.fullmatch(lines[end][1].strip()):
            end += 1
        run = lines[k:end]
        first = next((i for i, (_s, c) in enumerate(run) if _VALUE.fullmatch(c)), len(run))
        columns = [c.strip() for _s, c in run[1:first - 1]]
        if len(columns) >= MIN_COLUMNS - 1 and all(_PLAIN_COLUMN.fullmatch(c) for c in columns):
            runs.append(run)
        k = end
    return runs


def rejoin_flat_tables(at: AlignedText) -> AlignedText:
    """Put tables flattened to one cell a line, or printed a row a line with bars, back into
    tab-separated rows (see the module doc); every character keeps its raw offset, the bars go."""
    at = rejoin_bar_rows(at)
    text = at.text
    joins: dict[int, str] = {}  # offset of a cell line's bar-and-newline tail -> what replaces it
    for run in (_runs(text) if "|" in text else []) + _plain_runs(text):
        breaks = _row_breaks(run)
        if breaks:
            for k, (start, line) in enumerate(run):
                joins[start + len(line.rstrip(" \t|").rstrip())] = breaks.get(k, "\n")
    if not joins:
        return at
    tails = regex.compile(r"[ \t]*\|?[ \t]*(?:\n|$)")

    def repl(m: regex.Match) -> str:
        return joins.get(m.start(), m.group())

    return at.sub(tails, repl)


#: A line of a table printed a row a line: cells parted by bars, maybe runs of bars at the end.
_BAR = regex.compile(r"[ \t]*\|[ \t]*")
_BAR_TAIL = regex.compile(r"(?:[ \t]*\|)+[ \t]*$")
#: A rule line of a table written in Markdown (|---|:---:|), between its header and its rows.
_RULE_LINE = regex.compile(r"[ \t]*\|?(?:[ \t]*:?-{2,}:?[ \t]*\|)+[ \t]*(?::?-{2,}:?)?[ \t]*")
#: A table printed a row a line has at least this many lines of two or more cells.
MIN_BAR_ROWS = 3


def _bar_cells(line: str) -> list[str]:
    """The cells of a bar-separated line, without the empty cells its tail of bars stands for."""
    return [c.strip() for c in _BAR.split(_BAR_TAIL.sub("", line).strip().lstrip("|"))]


def _bar_rows(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the lines of every run of bar-separated rows that is a table."""
    spans: list[tuple[int, int]] = []
    run: list[tuple[int, int, bool]] = []  # (start, end, has a value cell)

    def close() -> None:
        if len(run) >= MIN_BAR_ROWS and sum(v for _s, _e, v in run) >= 2:
            spans.extend((s, e) for s, e, _v in run)
        run.clear()

    at = 0
    for line in text.split("\n"):
        cells = _bar_cells(line) if "|" in line else []
        if run and _RULE_LINE.fullmatch(line):
            run.append((at, at + len(line), False))  # |---|---| under a header: in the table, no row
        elif sum(bool(c) for c in cells) >= 2:
            run.append((at, at + len(line), any(_VALUE.fullmatch(c) for c in cells if c)))
        else:
            close()
        at += len(line) + 1
    close()
    return spans


def rejoin_bar_rows(at: AlignedText) -> AlignedText:
    """Tables printed a row a line with bars between cells, as tab-separated rows (module doc):
    each bar between two cells becomes a tab, the bars at a line's end go; offsets stay exact."""
    if "|" not in at.text:
        return at
    spans = _bar_rows(at.text)
    if not spans:
        return at
    starts = {s: e for s, e in spans}
    line_of = sorted(starts)

    def inside(pos: int) -> int | None:
        k = bisect.bisect_right(line_of, pos) - 1
        return line_of[k] if k >= 0 and pos < starts[line_of[k]] else None

    def repl(m: regex.Match) -> str:
        start = inside(m.start())
        if start is None:
            return m.group()
        if m.group("rule") is not None:
            return ""  # a rule line goes with its line break
        end = starts[start]
        if not at.text[m.end():end].strip(" \t|"):
            return ""  # the bars at the line's end
        if not at.text[start:m.start()].strip(" \t|"):
            return ""  # a bar before the first cell
        return CELL_SEPARATOR

    return at.sub(regex.compile(r"(?m)(?P<rule>^[ \t]*\|?[ \t|:]*-{2,}[ \t|:-]*(?:\n|$))|[ \t]*\|[ \t]*"), repl)
