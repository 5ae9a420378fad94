"""Table cells read with their headers: a bare number in a table is a value of its row and column.

An HTML table reaches the clean text as one line a row, its cells parted by a tab
(:data:`pipeline.stages.clean.htmltext.CELL_SEPARATOR`; a plain-text page with tab-separated
columns reads the same way). Report tables write the unit and the year once, in a
header, and bare numbers in the cells::

    指标                      2020年基数  2022年完成  2025年目标
    学前教育毛入园率(%)        88.6        91.2        92以上

    2023年各级各类学校基本情况                         (caption)
    类别      学校数（所）  在校生（人）
    幼儿园    58            14206

:func:`table_cells` turns every number cell of a data row into a short phrase the
rule extractor reads like a sentence: the column's time words, the row label, the
column label, then the number with the unit its row or column header (or a 单位
column) gives
(``2025年目标学前教育毛入园率 92%以上``, ``2023年幼儿园学校数 58所``). The caption
just above the table gives its year when the columns give none. Numbers in the
columns before the row label (序号) are not values. A cell of running text
(新建幼儿园3所,投入资金1200万元) is read as a sentence of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import regex

from pipeline.stages.clean.htmltext import CELL_SEPARATOR
from pipeline.stages.extract.tablegrid import (
    COUNT_UNITS,
    DECIMAL,
    HEADER_UNIT,
    INTEGER,
    SPACED_THOUSANDS,
    SUB_LABEL,
    ZERO,
    Identity,
    align_row,
    cell_number,
    cell_type,
    compose_header,
    grid_header,
    learn_identities,
)

#: A number in a cell; thousands may be grouped by commas or by spaces (9 214).
_NUMBER = regex.compile(r"(?:" + SPACED_THOUSANDS + r"|\d[\d,，]*)(?:\.\d+)?")
_HEADER_YEAR = regex.compile(r"(?<!\d)(?:19|20)\d{2}\s*年[^\t]*")
_YEAR = regex.compile(r"(?<!\d)((?:19|20)\d{2})\s*年(?![\d-—–~至到])")
_YEAR_LABEL = regex.compile(r"\s*(?:19|20)\d{2}\s*(?:年|学年)(?:度|底|末)?\s*")
#: A column of units: 指标 | 单位 | 2022年 (its cells give each row's unit).
_UNIT_COLUMN = regex.compile(r"\s*(?:计量)?单位\s*")
#: A header that counts something but writes no unit gives the unit of what it counts: 学校数 所,
#: 在校生数/教职工数/专任教师数 人, 班级数 个 (statistics tables often leave the unit to the noun).
_COUNTED_UNITS = (
    (regex.compile(r"(?:学校|幼儿园|院校|机构|校|园)(?:\s*[(（][^)）]*[)）])?(?:总?数|数量)$"), "所"),
    (regex.compile(r"(?:学生|在校生|在园幼儿|幼儿|招生|毕业生|教职工|教师|人员)(?:总?人?数|数量)$"), "人"),
    (regex.compile(r"班级?(?:总?数|数量)$"), "个"),
    (regex.compile(r"人次$"), "人次"),
    (regex.compile(r"人数$"), "人"),
)
#: A unit the table declares once for its cells (单位:万元, 单位：人、万元), not 填报单位:某局.
_DECLARED_UNIT = regex.compile(r"(?<![填制编报])单\s*位\s*[:：]\s*((?:万元|亿元|千元|元|万人|人次|人|所|个|%)"
                               r"(?:\s*[、,，/]\s*(?:万元|亿元|千元|元|万人|人次|人|所|个|%))*)")
_DIGIT = regex.compile(r"\d")
#: A row-number column's header (序号) and its cells (1, 12, or empty where it spans rows).
_SERIAL_HEAD = regex.compile(r"\s*(?:序\s*号|编\s*号|序列)\s*")
_SERIAL_CELL = regex.compile(r"\s*\d{0,3}\s*")
#: A bound written as a sign before a cell's number, and the words a sentence writes it with.
_BOUNDS = {"≥": "不低于", "≧": "不低于", ">=": "不低于", "＞": "超过", ">": "超过"}
#: A bound written in words before a standard's number (不低于650, 不超过45人).
_WORD_BOUND = regex.compile(r"不低于|不少于|不高于|不超过|不大于|不小于|低于|高于|超过|少于|小于|大于|达到")
#: A row of amounts a head (生均公用经费, 人均): never in the 万元 a table declares.
_PER_HEAD = regex.compile(r"生均|人均|每生|每人|每名")
#: A column of rates or ratios (增长率, 占比, 生师比): the table's declared unit is not theirs.
_RATE_COLUMN = regex.compile(r"(?:率|比例|比重|占比|比|幅度|百分比)\s*$")
#: A column of changes: 比上年增减, 较上年增长, 同比增减, 增减变化.
_CHANGE_HEAD = regex.compile(r"(?:(?:比|较)(?:上年|去年|上年同期|同期|上学年)?|同比)(?:增减|增长|增加)(?:变化|情况)?"
                             r"|增减(?:变化|情况)?")
_SIGNED_CHANGE = regex.compile(r"增减(?:变化|情况)?")
#: A column of money (资助金额, 财政下达资金, 2023年预算数, 资金来源/中央): the declared unit of money.
_MONEY_COLUMN = regex.compile(r"金额|资金|经费|支出|预算|拨款|收入|投入|费用|补助|奖励|增减|元")
#: A value cell is a number with at most this many characters after it (92以上, 1.2万元, 58所).
PROSE_TAIL = 6
#: A caption is a short line right above the table.
CAPTION_MAX = 60


@dataclass(frozen=True)
class CellReading:
    """One number cell of a table row, and the phrase its headers make of it."""

    row_start: int   # clean offset of the row's line in the document
    cell_start: int  # clean offset of the cell's text
    cell: str        # the cell's text as written
    text: str        # the phrase read by the extractor (headers + cell)
    at: int          # where the cell's text begins in ``text``
    inserted: int    # characters of header unit inserted right after the cell's number
    number_end: int = 0  # where the cell's number ends in ``cell`` (a value cell)
    prose: bool = False  # a cell of running text (新建幼儿园3所,投入1200万元): read as a sentence of its own
    #: (phrase, at) of the cell under the other columns it may be in (a row that lost cells,
    #: :mod:`pipeline.stages.extract.tablegrid`): it is read only if every phrase gives the same record
    alternatives: tuple[tuple[str, int], ...] = ()


def _cells(line: str, line_start: int) -> list[tuple[int, str]]:
    """(clean offset, text) of each cell of a row line."""
    out, at = [], line_start
    for part in line.split(CELL_SEPARATOR):
        lead = len(part) - len(part.lstrip())
        out.append((at + lead, part.strip()))
        at += len(part) + 1
    return out


def _unit(label: str) -> tuple[str, str]:
    """(label without its unit, unit) of a header cell: 学校数（所） gives (学校数, 所)."""
    m = HEADER_UNIT.search(label)
    return (label[:m.start()], m.group(1).strip()) if m else (label, "")


def _counted_unit(label: str) -> str:
    """The unit a header's counted noun implies (学校数 所), or ''."""
    return next((unit for pattern, unit in _COUNTED_UNITS if pattern.search(label.strip())), "")


def _caption_year(caption: str) -> str:
    """The year a caption dates the table by (2023年…基本情况), or ''. Several years or a span: ''."""
    years = _YEAR.findall(caption)
    return f"{years[0]}年" if len(years) == 1 and not regex.search(r"以来|期间|[-—–~至到]\s*(?:19|20)\d{2}", caption) else ""


def _blocks(lines: list[tuple[int, str]]) -> list[list[int]]:
    """Runs of at least two consecutive row lines (lines with a cell separator)."""
    runs: list[list[int]] = []
    cur: list[int] = []
    for k, (_s, line) in enumerate(lines):
        if CELL_SEPARATOR in line.strip():
            cur.append(k)
            continue
        if len(cur) >= 2:
            runs.append(cur)
        cur = []
    if len(cur) >= 2:
        runs.append(cur)
    return runs


def _starts_value(cell: str, m: regex.Match) -> bool:
    """Whether the number ``m`` of ``cell`` starts its value: at most two characters before it, or
    a bound in words (不低于650, 不超过45人)."""
    return m.start() <= 2 or bool(_WORD_BOUND.fullmatch(cell[:m.start()].strip()))


def _is_prose(cell: str) -> bool:
    """A cell of running text with numbers in it (not a value with a short unit or bound), or of
    several numbers (53 1762 85318: a row whose cells could not be told apart)."""
    m = _NUMBER.search(cell)
    return m is not None and (not _starts_value(cell, m) or len(cell) - m.end() > PROSE_TAIL
                              or bool(_NUMBER.search(cell, m.end()))) and not _is_label(cell)


def _is_label(cell: str) -> bool:
    """A cell of words, or a year that labels a row (2021年, 2021学年): not a value."""
    return not regex.search(r"\d", cell) or bool(_YEAR_LABEL.fullmatch(cell))


def _is_value(cell: str) -> bool:
    """A value cell: a number with at most two characters before it and a short tail (92以上, 58所);
    an ordinal (第1小学) is a name."""
    m = _NUMBER.search(cell)
    return (m is not None and _starts_value(cell, m) and "第" not in cell[:m.start()]
            and len(cell) - m.end() <= PROSE_TAIL and not _is_label(cell))


def _label_column(rows: list[list[tuple[int, str]]]) -> int | None:
    """The column of row labels: the first whose data cells are mostly not values.

    A label may hold digits (56人以上大班额（个）, 第1小学): it is words around them, not a number
    with a short unit."""
    width = max(len(r) for r in rows)
    for j in range(width):
        col = [r[j][1] for r in rows if j < len(r) and r[j][1]]
        if col and sum(not _is_value(c) for c in col) * 2 > len(col):
            return j
    return None


def table_cells(text: str) -> dict[int, list[CellReading]]:
    """Readings of the number cells of every table in a clean text, by the offset of their row
    (for a table laid out one cell a line, :func:`_column_tables`, by the offset of the cell's line)."""
    columns = _COLUMN_HEAD.search(text) is not None
    if CELL_SEPARATOR not in text and not columns:
        return {}
    lines, at = [], 0
    for line in text.split("\n"):
        lines.append((at, line))
        at += len(line) + 1
    out: dict[int, list[CellReading]] = _column_tables(lines) if columns else {}
    for block in _blocks(lines):
        above = block[0] - 1
        caption = lines[above][1].strip() if above >= 0 and len(lines[above][1].strip()) <= CAPTION_MAX else ""
        declared = _declared_units([caption])
        if declared and above >= 1 and len(caption) <= CAPTION_MAX // 4:
            # 单位:万元 on its own line between the caption and the table
            caption = lines[above - 1][1].strip() if len(lines[above - 1][1].strip()) <= CAPTION_MAX else ""
        table_year = _caption_year(caption)
        if _grid_table(lines, block, declared, table_year, out):
            continue
        first = [c for c in lines[block[0]][1].split(CELL_SEPARATOR) if c.strip()]
        if len(block) >= 3 and len(first) <= 2 and any(_DECLARED_UNIT.search(c) for c in first):
            declared, block = _declared_units(first), block[1:]  # a row that declares the unit: no header
        header = _cells(lines[block[0]][1], lines[block[0]][0])
        rows = [_cells(lines[k][1], lines[k][0]) for k in block[1:]]
        width = max(len(r) for r in rows)
        header = [(-1, "")] * (width - len(header)) + header  # an empty corner cell is stripped
        label_col = _label_column(rows)
        if label_col is None:
            continue
        unit_col = next((j for j, (_s, h) in enumerate(header) if _UNIT_COLUMN.fullmatch(h)), None)
        # the label columns: the leading word cells of the whole rows (学段 | 项目 | values), after a 序号
        serial = int(label_col == 1 and _SERIAL_HEAD.fullmatch(header[0][1]) is not None)
        lead = max((_leading_labels(r[serial:]) for r in rows if len(r) == width), default=0)
        first = serial + lead
        grid = _Grid([(h,) for _s, h in header[first:]], [r[first:] for r in rows if len(r) == width], declared,
                     rows) if unit_col is None and label_col == serial and lead and width - first >= 2 else None
        previous: list[str] = []
        for k, row in zip(block[1:], rows, strict=True):
            if len(row) <= label_col:
                continue
            if grid is not None and len(row) < width:
                # a row that lost cells: each cell goes to the column its type and the table's
                # arithmetic leave it, or stays unread (pipeline/stages/extract/tablegrid.py)
                if not serial or _SERIAL_CELL.fullmatch(row[0][1]):
                    previous = grid.read(lines[k][0], row[serial:], lead, previous, table_year, out)
                continue
            previous = [c for _s, c in row[serial:first]]
            prose = [_is_prose(cell) for _c0, cell in row]
            labels = [_is_label(cell) for _c0, cell in row]  # once a cell: a row of thousands stays linear
            readings = [CellReading(lines[k][0], c0, cell, cell, 0, 0, prose=True)
                        for (c0, cell), is_prose in zip(row, prose, strict=True) if is_prose]
            # the row's words: its label and any other word cells before the value (学段, 指标)
            words = [row[label_col][1]] if label_col != unit_col else []
            for j in range(label_col + 1, len(row)):
                if j - 1 > label_col and j - 1 != unit_col and labels[j - 1]:
                    words.append(row[j - 1][1])
                if j == unit_col or labels[j] or prose[j]:
                    continue
                label, row_unit = _unit("".join(words))
                if unit_col is not None and unit_col < len(row) and not row_unit:
                    row_unit = row[unit_col][1]
                column = header[j][1] if j < len(header) else ""
                r = _reading(lines[k][0], row[j], label, row_unit, column, table_year, "",
                             _column_unit((column,), declared) if declared else "")
                if r is not None:
                    readings.append(r)
            if readings:
                out[lines[k][0]] = readings
    return out


def _reading(row_start: int, cell: tuple[int, str], label: str, row_unit: str, column: str,
             table_year: str, measure: str = "", column_unit: str = "") -> CellReading | None:
    """The phrase of one cell: column time words, row label, column label (and the ``measure`` of
    a column under several header levels), number and unit."""
    start, value = cell
    m = _NUMBER.search(value)
    if m is None:
        return None
    if not _starts_value(value, m):  # a cell of words that merely holds a digit is no value
        return None
    before = value[:m.start()].strip()
    bound = _BOUNDS.get(before, "") or (before if _WORD_BOUND.fullmatch(before) else "")
    if bound:  # ≥90 is read as a sentence writes it, 不低于90: the phrase starts at the number
        start, value = start + m.start(), value[m.start():]
        m = _NUMBER.search(value)
    col_label, col_unit = _unit(column)
    if column_unit in ("万元", "亿元") and _PER_HEAD.search(label):
        column_unit = ""  # 生均公用经费 in a table of 万元 is yuan a student: its unit is not the table's
    unit = row_unit or col_unit or column_unit or _counted_unit(col_label) or _counted_unit(label)
    dated = _HEADER_YEAR.match(col_label)
    # a change column (比上年增减 / 金额, 增减幅度(%)) is read as a sentence writes it: the change
    # words right before the number, and 增减 (signed) as 增长 (一般公共预算教育支出金额比上年增长 4530万元)
    change = _CHANGE_HEAD.search(col_label) or _CHANGE_HEAD.search(measure)
    tail = ""
    if change is not None:
        tail = _SIGNED_CHANGE.sub("增长", change.group())
        col_label, measure = (part.replace(change.group(), "", 1) for part in (col_label, measure))
    head = (col_label + label + measure) if dated else (table_year + label + col_label + measure)
    text = f"{head}{tail} {bound}"
    rest = value[m.end():]
    inserted = unit if unit and not rest.startswith(unit) else ""
    return CellReading(row_start, start, value, text + value[:m.end()] + inserted + rest, len(text), len(inserted),
                       m.end())


# ------------------------------------------------------------ header levels and rows that lost cells

#: A row that names a stage alone (义务教育, 普通高中): in a breakdown, one of its items.
_STAGE_ROW = regex.compile(r"\s*(?:学前教育|幼儿园|义务教育|小学|初中|普通高中|高中|中等职业教育|中职|职业教育|"
                           r"高等教育|特殊教育)\s*")
#: A total's row label (合计, 总计, 全县): it spans the label columns, and the rows above are not its parents.
_TOTAL_ROW = regex.compile(r"\s*(?:合\s*计|总\s*计|小\s*计|总\s*数|全(?:县|市|区|省|旗))")
_TIME_HEAD = regex.compile(r"\s*(?:19|20)\d{2}\s*年(?:度|春季?|秋季?|上半年|下半年|底|末)?")


def _declared_units(texts: list[str]) -> list[str]:
    """The units a table declares once (单位:人、万元 gives 人 and 万元)."""
    for t in texts:
        m = _DECLARED_UNIT.search(t)
        if m:
            return [u.strip() for u in regex.split(r"[、,，/]", m.group(1))]
    return []


def _column_unit(path: tuple[str, ...], declared: list[str]) -> str:
    """The unit of a leaf column: written in a header cell, implied by its counted noun, else the
    table's declared unit (of money for a money column)."""
    for part in reversed(path):
        unit = _unit(part)[1] or _counted_unit(_unit(part)[0])
        if unit:
            return unit
    if _RATE_COLUMN.search(_unit(path[-1])[0]):
        return "%" if "%" in declared else ""  # a rate or a ratio is in no other declared unit
    money = [u for u in declared if u.endswith("元")]
    if money and _MONEY_COLUMN.search("".join(path)):
        return money[0]
    return declared[0] if len(declared) == 1 else ""


def _leading_labels(row: list[tuple[int, str]], n_label: int = 0) -> int:
    """How many label cells a row starts with (an empty one among the first ``n_label``: 合计 | | 11901)."""
    own = 0
    while own < len(row) and (cell_type(row[own][1]) is None and _is_label(row[own][1])
                              or not row[own][1] and 0 < own < n_label):
        own += 1
    return own


class _Grid:
    """The value columns of a table (leaf paths, units, arithmetic) and the reading of its rows."""

    def __init__(self, paths: list[tuple[str, ...]], whole: list[list[tuple[int, str]]],
                 declared: list[str], data: list[list[tuple[int, str]]]) -> None:
        self.paths = paths
        self.units = [_column_unit(p, declared) for p in paths]
        self.counts = [u in COUNT_UNITS for u in self.units]
        self.whole, self.data = whole, data
        self._identities: list[Identity] | None = None  # learnt when a row that lost cells needs them
        self.decimals = False
        self.main = self.parent = ""  # the last row that is no breakdown, and the one a breakdown is of

    def read(self, row_start: int, row: list[tuple[int, str]], n_label: int, previous: list[str],
             table_year: str, out: dict[int, list[CellReading]]) -> list[str]:
        """Read one row (its labels, then its value cells) into ``out``; returns its labels. Label
        cells a row lacks are the ones of the row above (a 学段 cell spanning rows)."""
        own = _leading_labels(row, n_label)
        total = _TOTAL_ROW.match(row[0][1]) is not None if row else False
        if own > n_label or own == 0 or own < n_label and len(previous) < n_label and not total:
            return previous
        # a total's label spans the label columns (合计 | 1234): it inherits nothing
        labels = ([] if total else previous[:n_label - own]) + [c for _s, c in row[:own]]
        values = row[own:]
        if not values:
            return labels
        if len(values) == len(self.paths):
            sets: list[set[int]] | None = [{j} for j in range(len(values))]
        elif len(values) < len(self.paths):
            if self._identities is None:
                self._identities = learn_identities([[c for _s, c in r] for r in self.whole])
                self.decimals = any(cell_type(c) == DECIMAL for r in self.data for _s, c in r)
            sets = align_row([c for _s, c in values], self.counts, self._identities, self.decimals)
        else:
            sets = None
        if sets is None:
            return labels
        label, row_unit = _unit(self._breakdown("".join(labels)))
        readings = []
        ragged = len(values) < len(self.paths)
        for cell, cols in zip(values, sets, strict=True):
            if ragged and not cell_number(cell[1]) or cell_type(cell[1]) == ZERO and not _DIGIT.search(cell[1]):
                continue  # a zero of a row that lost cells stands for nothing; an empty mark is no value
            phrases = [r for j in sorted(cols) if (r := self._phrase(row_start, cell, label, row_unit, j, table_year))]
            if len(phrases) != len(cols):
                continue
            first = phrases[0]
            alts = tuple((r.text, r.at) for r in phrases[1:] if r.text != first.text)
            readings.append(replace(first, alternatives=alts) if alts else first)
        if readings:
            out.setdefault(row_start, []).extend(readings)
        return labels

    def _breakdown(self, label: str) -> str:
        """A row of a breakdown is read with the row it breaks down: 其中:学前教育 under 一般公共预算
        教育支出 is 一般公共预算教育支出其中学前教育, and so are the stage rows right after it (义务教育)."""
        sub = SUB_LABEL.match(label)
        if sub and self.main:
            self.parent = self.main
            return self.parent + "其中" + label[sub.end():]
        if self.parent and _STAGE_ROW.fullmatch(label):
            return self.parent + label
        self.main, self.parent = label, ""
        return label

    def _phrase(self, row_start: int, cell: tuple[int, str], label: str, row_unit: str, j: int,
                table_year: str) -> CellReading | None:
        """The phrase of a cell in column ``j``: the column's time words lead (2024年春), its other
        header levels follow the row label (1类资助人数)."""
        path = self.paths[j]
        time = "".join(p for p in path if _TIME_HEAD.match(p))
        measure = "".join(_unit(p)[0] for p in path if not _TIME_HEAD.match(p))
        return _reading(row_start, cell, label, row_unit, time or measure, table_year, measure if time else "",
                        self.units[j])


def _grid_table(lines: list[tuple[int, str]], block: list[int], declared: list[str], table_year: str,
                out: dict[int, list[CellReading]]) -> bool:
    """Read a table whose header takes several lines (pipeline/stages/extract/tablegrid.py) into
    ``out``; False (nothing read) when its header is one line or cannot be composed."""
    rows = [_cells(lines[k][1], lines[k][0]) for k in block]
    head = 0
    while head < len(rows) and not any(cell_type(c) in (INTEGER, DECIMAL) for _s, c in rows[head]):
        head += 1  # a header line has no cell that is a bare number (2024年春 and 2类 are labels)
    # a line that declares the unit (填报单位:某局 单位:万元) is no header line
    header_lines = [h for h in ([c for _s, c in r if c] for r in rows[:head])
                    if not (len(h) <= 2 and any(_DECLARED_UNIT.search(c) for c in h))]
    data = rows[head:]
    if len(header_lines) < 2 or not data:
        return False
    if header_lines[0] and _SERIAL_HEAD.fullmatch(header_lines[0][0]):
        # a 序号 column: its numbers are no values (a row that spans it from above has none)
        header_lines[0] = header_lines[0][1:]
        data = [r[1:] if r and _SERIAL_CELL.fullmatch(r[0][1]) else r for r in data]
    n_label = max(_leading_labels(r) for r in data)
    if n_label == 0:
        return False
    paths = grid_header(header_lines, n_label) if all(len(r) == len(header_lines[0]) for r in data) else None
    if paths is None:
        top = header_lines[0]
        levels = header_lines[1:] if len(top) == n_label else [top[n_label:]] + header_lines[1:]
        if not levels[0] or len(levels) < 2:
            return False
        paths = compose_header(levels)
    if paths is None:
        return False
    declared = _declared_units([lines[k][1] for k in block[:head]]) or declared
    whole = [r[n_label:] for r in data if len(r) == n_label + len(paths)]
    if any(len(r) > n_label + len(paths) for r in data):
        return False
    grid = _Grid(paths, whole, declared, data)
    previous: list[str] = []
    for k, row in zip(block[head:], data, strict=True):
        previous = grid.read(lines[k][0], row, n_label, previous, table_year, out)
    return True


# ------------------------------------------------------------ tables laid out one cell a line

#: The label column's header of a table laid out one cell a line (指  标, 项目, 评估指标), alone on its line.
_COLUMN_HEAD = regex.compile(
    r"(?m)^[ \t]*(?:(?:评估|评价|监测|考核|主要)?指\s*标(?:名称|内容)?|项\s*目|类\s*别)[ \t]*$")
#: A column header of such a table: a year with a short word (2020年, 2025年目标), a standard
#: (标准值, 评估标准, 目标值) or a word column (属性, 备注); at most COLUMN_LABEL_MAX characters.
_COLUMN_LABEL = regex.compile(
    r"\s*(?:(?:19|20)\d{2}\s*年\S{0,4}|(?:评估|评价|达标|基本|合格)?标准值?|目标值|属\s*性|备\s*注|单\s*位)\s*")
#: A standard's column (标准值, 评估标准): its values are required levels, read as targets.
_STANDARD_COLUMN = regex.compile(r"\s*(?:(?:评估|评价|达标|基本|合格)?标准值?|目标值)\s*")
#: The row-number column's header (序号), on the line before the label column's header.
_NUMBER_HEAD = regex.compile(r"\s*序\s*号\s*")
#: A row number of such a table (1, 12): a bare integer line right before a row's label.
_ROW_NUMBER_LINE = regex.compile(r"\s*\d{1,2}\s*")
COLUMN_LABEL_MAX = 10
#: A value line (98.6%, 99%以上, ≥90, 11.2年, 12.1年以上) and a word cell of a word column (约束性).
_VALUE_LINE = regex.compile(r"\s*[≥≤><]?\s*\d[\d,.]*\s*(?:%|‰|年|万?人|所|个|元|万元)?\s*(?:以上|以下|左右)?\s*")
_WORD_CELL = regex.compile(r"\s*(?:约束性|预期性|—+|-+|/)\s*")
#: A section line between rows (一、普及水平) labels no values.
_PLAN_COLUMN = regex.compile(r"\s*属\s*性\s*")
_SECTION_LINE = regex.compile(r"\s*[一二三四五六七八九十]+[、.．]")
#: A row label is a short line (1.学前三年毛入园率(%)); a longer line or a sentence ends the table.
COLUMN_ROW_MAX = 40


def _column_tables(lines: list[tuple[int, str]]) -> dict[int, list[CellReading]]:
    """Tables laid out one cell a line, as plans print their indicator tables::

        指  标 / 2020年 / 2025年 / 属性 / 一、普及水平 / 1.学前教育毛入园率(%) / 98.6% / 99%以上 / 约束性 /
        4.义务教育标准班额比例(%) / 其中:小学 / 初中 / 41.36% / 72.85% / 85%以上 / 90%以上 / 预期性

    After the header (the label column's head and its column labels), a row is one or more label
    lines (a label, then 其中: sub-labels), then its values column by column (each column's values
    for every label of the row), then its word cells. A row whose count of values is not the
    number of its labels (or of its sub-labels) times the value columns is skipped."""
    out: dict[int, list[CellReading]] = {}
    k = 0
    while k < len(lines):
        if not _COLUMN_HEAD.fullmatch(lines[k][1]):
            k += 1
            continue
        columns: list[str] = []
        k += 1
        while k < len(lines) and len(lines[k][1].strip()) <= COLUMN_LABEL_MAX \
                and _COLUMN_LABEL.fullmatch(lines[k][1]):
            columns.append(lines[k][1].strip())
            k += 1
        numbered = k - len(columns) - 2 >= 0 and _NUMBER_HEAD.fullmatch(lines[k - len(columns) - 2][1]) is not None
        if len(columns) == 1 and _STANDARD_COLUMN.fullmatch(columns[0]):
            # a standards table (序号 / 评估指标 / 标准值): one column of required levels, read as targets
            k = _column_rows(lines, k, ["目标值"], out, numbered)
            continue
        valued = [c for c in columns if _HEADER_YEAR.match(c)]
        if len(valued) < 1 or len(columns) < 2:
            continue
        if len(valued) >= 2 and any(_PLAN_COLUMN.fullmatch(c) for c in columns):
            # a plan's indicator table (属性: 约束性/预期性): the years after the base year are targets
            valued = valued[:1] + [c if "目标" in c else c + "目标" for c in valued[1:]]
        k = _column_rows(lines, k, valued, out, numbered)
    return out


def _column_rows(lines: list[tuple[int, str]], k: int, valued: list[str],
                 out: dict[int, list[CellReading]], numbered: bool = False) -> int:
    """Read the rows of a one-cell-a-line table from line ``k`` (see :func:`_column_tables`) into
    ``out``; returns the line after the table. ``numbered``: the table has a 序号 column, so a
    bare integer line right before a label line is a row's number, not a value."""
    labels: list[str] = []
    values: list[tuple[int, str]] = []

    def flush() -> None:
        n = len(values) // len(valued) if values else 0
        if n and n * len(valued) == len(values) and n in (len(labels), len(labels) - 1):
            # 幼儿园教师专科及以上学历比例 / 其中:本科及以上学历比例: each sub-row is part of the row's subject;
            # 义务教育标准班额比例 / 其中:小学 / 初中: the row names what its sub-rows (stages) measure
            main = _unit(labels[0])[0]
            rows = ([labels[0]] + [main + "其中" + sub for sub in labels[1:]] if n == len(labels)
                    else [sub + labels[0] for sub in labels[1:]])
            for j, (start, cell) in enumerate(values):
                label, unit = _unit(rows[j % n])
                r = _reading(start, (start, cell.strip()), label, unit or _unit(labels[0])[1], valued[j // n], "")
                if r is not None:
                    out.setdefault(start, []).append(r)
        labels.clear()
        values.clear()

    while k < len(lines):
        line = lines[k][1]
        text = line.strip()
        if not text:
            k += 1
            continue
        if numbered and _ROW_NUMBER_LINE.fullmatch(line) and k + 1 < len(lines) \
                and not _VALUE_LINE.fullmatch(lines[k + 1][1]):
            flush()  # 序号 4 before 公办园生均公用经费…: the row's number
        elif _VALUE_LINE.fullmatch(line):
            values.append((lines[k][0] + len(line) - len(line.lstrip()), line))
        elif _WORD_CELL.fullmatch(line) or _SECTION_LINE.match(line):
            flush()
        elif len(text) <= COLUMN_ROW_MAX and not regex.search(r"[。；;！!？?]", text):
            if values:
                flush()
            sub = SUB_LABEL.match(text)
            labels.append(text[sub.end():] if sub and labels else _ROW_NUMBER.sub("", text))
        else:
            break
        k += 1
    flush()
    return k


_ROW_NUMBER = regex.compile(r"^\s*\d{1,2}\s*[.．、]\s*")
