"""The grid of a report table: header levels composed into leaf columns, and the cells of a row
that lost cells assigned to their columns.

Two things a careful reader does with a table the scrape flattened:

* **Multi-level headers.** A header printed over several lines (2024年春 / 2024年秋 / 全年 over
  财政下达资金 / 资助金额 / 资助人数 / 其中:1类 / 2类 over 人数 / 金额) is composed into one
  path per leaf column (:func:`compose_header`). A lower line goes under the cells of the line
  above that are categories, not measures, when some are measures (资金来源 over 中央/省级/县级,
  beside 资助人数 and 资助金额); else into groups that start where a label repeats (财政下达资金 …
  财政下达资金 …); else equally. A line that fits none of these leaves the header unread.

* **Rows that lost cells.** A scrape that drops empty cells leaves a row with fewer cells than
  leaf columns, and which cell went where is no longer written. :func:`align_row` keeps every
  assignment of the row's cells to columns, in order, that fits the cells' types: a number with
  decimals never counts people or schools; an integer in a column that is not a count is possible
  but unlikely when the table writes its amounts with decimals (each such cell costs one), and a
  zero or an empty mark fits any column. Arithmetic the table's whole rows all obey (生师比 =
  在校生数 / 专任教师数, 增减 = 本年 − 上年, 幅度 = 增减 / 上年 × 100 = (本年 − 上年) / 上年 × 100) rules out an assignment
  that breaks it, and when some assignments verify it, only those stay. Of the rest, those of
  least cost are kept, and each cell gets the set of columns it takes in them: a cell with one
  column is read with it; a cell with several is read only if every one of them gives the same
  record (the extractor checks, :class:`pipeline.stages.extract.tablecells.CellReading`);
  otherwise it is left unread. Precision first: a cell whose column is not decided gives nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import regex

#: A cell's type for alignment: Z zero or empty mark, I integer, D a number with decimals.
ZERO, INTEGER, DECIMAL = "Z", "I", "D"
#: Units that count whole things: a column of them never holds a number with decimals.
COUNT_UNITS = frozenset(("人", "人次", "名", "所", "个", "处", "班", "间", "台", "套"))
#: At most this many assignments of a row are weighed (a row of 12 cells in 20 columns has 125970).
MAX_ASSIGNMENTS = 60000
#: Identities are looked for among at most this many columns (the search is cubic in them).
MAX_IDENTITY_COLUMNS = 24
#: Whole rows an identity must hold in before it constrains a row that lost cells: a sum or a
#: difference of small counts may hold by chance in two rows, a ratio to its rounding hardly.
MIN_IDENTITY_ROWS = {"+": 3, "-": 3, "/": 2, "/%": 2, "g%": 2}

#: Digits with their thousands grouped by spaces (9 214, 180 517), not a run of numbers (53 1762).
SPACED_THOUSANDS = r"\d{1,3}(?: \d{3})+(?!\d)"
#: A bare number cell; thousands may be grouped by commas or by spaces.
_NUMBER_CELL = regex.compile(r"\s*([-+]?(?:" + SPACED_THOUSANDS + r"|\d[\d,]*))(\.\d+)?\s*")
_EMPTY_CELL = regex.compile(r"\s*(?:[/\-—–]+|0+(?:\.0+)?)?\s*")
#: A unit written once in a header: 学前教育毛入园率(%), 学校数（所）, 经费(万元), 金额(单位:万元).
HEADER_UNIT = regex.compile(r"\s*[(（]\s*(?:单位\s*[:：]\s*)?([^()（）\d:：]{1,4})\s*[)）]\s*$")
#: A breakdown's mark before a label: 其中:1类, 其中:学前教育.
SUB_LABEL = regex.compile(r"^\s*其中\s*[:：]?\s*")
#: A header cell that names a measure (a leaf), not a category that spans columns below it.
_MEASURE = regex.compile(r"(?:数|额|金|资金|经费|率|比|值|人次|支出|收入|预算|款|计|总数|数量)$")


def cell_type(cell: str) -> str | None:
    """Z, I or D for a value cell written as a bare number (or an empty mark), else None."""
    if _EMPTY_CELL.fullmatch(cell):
        return ZERO
    m = _NUMBER_CELL.fullmatch(cell)
    if m is None:
        return None
    return DECIMAL if m.group(2) else INTEGER


def cell_number(cell: str) -> float | None:
    """The value of a bare-number cell (0 for an empty mark), else None."""
    if _EMPTY_CELL.fullmatch(cell):
        return 0.0
    m = _NUMBER_CELL.fullmatch(cell)
    return float(m.group(1).replace(",", "").replace(" ", "") + (m.group(2) or "")) if m else None


def _bare(label: str) -> str:
    """A header label without 其中: and without its unit, for comparing labels."""
    return HEADER_UNIT.sub("", SUB_LABEL.sub("", label)).strip()


def is_measure(label: str) -> bool:
    """A header cell that names a measure (资助人数(人), 财政下达资金), not a category (2024年春, 1类)."""
    return bool(HEADER_UNIT.search(label)) or bool(_MEASURE.search(_bare(label)))


def _groups_by_repeat(cells: list[str]) -> list[list[str]]:
    """Cells parted into groups, a new group starting where a label repeats within the current one."""
    groups: list[list[str]] = []
    seen: set[str] = set()
    for c in cells:
        if not groups or _bare(c) in seen:
            groups.append([])
            seen = set()
        groups[-1].append(c)
        seen.add(_bare(c))
    return groups


def _split(parents: list[tuple[str, ...]], cells: list[str]) -> list[tuple[str, ...]] | None:
    """The leaves after putting the header line ``cells`` under the leaves ``parents`` (module doc)."""
    categories = [k for k, p in enumerate(parents) if not is_measure(p[-1])]
    if 0 < len(categories) < len(parents):
        if len(cells) % len(categories):
            return None
        per = len(cells) // len(categories)
        out: list[tuple[str, ...]] = []
        for k, p in enumerate(parents):
            if k in categories:
                i = categories.index(k) * per
                out.extend(p + (c,) for c in cells[i:i + per])
            else:
                out.append(p)
        return out
    groups = _groups_by_repeat(cells)
    if len(groups) != len(parents):
        if len(cells) % len(parents):
            return None
        per = len(cells) // len(parents)
        groups = [cells[i:i + per] for i in range(0, len(cells), per)]
    return [p + (c,) for p, g in zip(parents, groups, strict=True) for c in g]


def compose_header(lines: list[list[str]]) -> list[tuple[str, ...]] | None:
    """Leaf column paths of a header printed over several lines of value-column labels, top line
    first (label-column heads already taken off); None when a line fits no way of spanning."""
    leaves: list[tuple[str, ...]] = [(c,) for c in lines[0]]
    for cells in lines[1:]:
        nxt = _split(leaves, cells)
        if nxt is None:
            return None
        leaves = nxt
    return _resolve_breakdowns(leaves)


def grid_header(lines: list[list[str]], n_label: int) -> list[tuple[str, ...]] | None:
    """Leaf column paths of a header written as a full grid, every line as wide as the table (an
    HTML table whose spanned cells are written in each column they cover): each value column's
    path is its labels top to bottom, a label repeated down the column once; None when the lines
    are not all of one width."""
    width = len(lines[0])
    if len(lines) < 2 or width <= n_label or any(len(cells) != width for cells in lines):
        return None
    paths = [tuple(dict.fromkeys(cells[j] for cells in lines)) for j in range(n_label, width)]
    return _resolve_breakdowns(paths)


def _resolve_breakdowns(leaves: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """A bare measure under a breakdown (其中:1类 / 人数) is the measure of the column it breaks
    down: 人数 is 资助人数 when 资助人数 stands before it in the same group."""
    out: list[tuple[str, ...]] = []
    for k, path in enumerate(leaves):
        last = _bare(path[-1])
        if len(path) >= 2 and len(last) <= 2 and is_measure(last):
            full = next((_bare(p[-1]) for p in reversed(leaves[:k])
                         if p[0] == path[0] and len(_bare(p[-1])) > len(last) and _bare(p[-1]).endswith(last)), "")
            if full:
                path = path[:-1] + (full,)
        out.append(tuple(SUB_LABEL.sub("", p) for p in path))
    return out


@dataclass(frozen=True)
class Identity:
    """Column ``result`` equals ``op`` of columns ``a`` and ``b`` in every whole row (to its rounding)."""

    result: int
    a: int
    b: int
    op: str  # "/", "/%", "+", "-", "g%" (growth: (a - b) / b × 100)

    def value(self, x: float, y: float) -> float | None:
        """What the result column should hold for ``x`` in ``a`` and ``y`` in ``b``."""
        if self.op == "+":
            return x + y
        if self.op == "-":
            return x - y
        if y == 0:
            return None
        if self.op == "g%":
            return (x - y) / y * 100
        return x / y * (100 if self.op == "/%" else 1)


def _holds(expected: float | None, written: float, decimals: int) -> bool:
    return expected is not None and abs(expected - written) <= 0.5 * 10 ** -decimals + 1e-9


def _decimals(cell: str) -> int:
    return len(cell.split(".")[1].strip()) if "." in cell else 0


def learn_identities(rows: list[list[str]]) -> list[Identity]:
    """Identities between three columns that every whole row (all cells numbers, not all zero)
    obeys, when they hold in at least MIN_IDENTITY_ROWS such rows."""
    rows = [r for r in rows if all(cell_number(c) is not None for c in r)]
    if len(rows) < min(MIN_IDENTITY_ROWS.values()) or len(rows[0]) > MAX_IDENTITY_COLUMNS:
        return []
    width = len(rows[0])
    found: list[Identity] = []
    for res in range(width):
        for a in range(width):
            for b in range(width):
                if len({res, a, b}) < 3:
                    continue
                for op in ("/", "/%", "+", "-", "g%"):
                    if op == "+" and b < a:
                        continue
                    ident = Identity(res, a, b, op)
                    checked = 0
                    for r in rows:
                        x, y, z = cell_number(r[a]), cell_number(r[b]), cell_number(r[res])
                        if not (x and y and z):
                            continue
                        if not _holds(ident.value(x, y), z, _decimals(r[res])):
                            break
                        checked += 1
                    else:
                        if checked >= MIN_IDENTITY_ROWS[op]:
                            found.append(ident)
    return found


def align_row(cells: list[str], counts: list[bool], identities: list[Identity],
              decimals_in_table: bool) -> list[set[int]] | None:
    """For each cell of a row that lost cells, the set of columns it takes in the assignments kept
    (module doc); ``counts[j]``: column j counts whole things. None when no assignment fits or
    there are too many to weigh."""
    types = [cell_type(c) for c in cells]
    n, m = len(counts), len(cells)
    if m > n or None in types or comb(n, m) > MAX_ASSIGNMENTS:
        return None
    kept: list[tuple[int, int, tuple[int, ...]]] = []  # (-verified, cost, columns)
    for cols in combinations(range(n), m):
        cost = 0
        for t, j in zip(types, cols, strict=True):
            if t == DECIMAL and counts[j]:
                break
            if t == INTEGER and not counts[j] and decimals_in_table:
                cost += 1
        else:
            verified = _verify(cells, cols, identities)
            if verified is not None:
                kept.append((-verified, cost, cols))
    if not kept:
        return None
    best = min(kept)[:2]
    sets: list[set[int]] = [set() for _ in cells]
    for v, cost, cols in kept:
        if (v, cost) == best:
            for i, j in enumerate(cols):
                sets[i].add(j)
    return sets


def _verify(cells: list[str], cols: tuple[int, ...], identities: list[Identity]) -> int | None:
    """How many identities the assignment verifies; None when it breaks one."""
    at = dict(zip(cols, cells, strict=True))
    verified = 0
    for ident in identities:
        if not all(j in at for j in (ident.result, ident.a, ident.b)):
            continue
        x, y, z = (cell_number(at[j]) for j in (ident.a, ident.b, ident.result))
        if not (x and y and z):
            continue
        if not _holds(ident.value(x, y), z, _decimals(at[ident.result])):
            return None
        verified += 1
    return verified
