"""Sentence frames that share words between numbers: clauses, lists, 分别 alignment, from/to.

- a *clause* is a stretch of a sentence between clause punctuation (，；：。 and
  brackets), never split inside a number (1,234);
- a *segment* is the text between a number and the previous number of its
  clause (or the clause start): the words that are this number's own;
- a *list* is a run of numbers separated only by 、，和及 (分别为A、B、C);
  with 分别 it is aligned to the subjects written before it (小学、初中…分别,
  2016-2018年…分别, xx年、xx年分别).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import regex

# Brackets break a clause unless they hold a short note without digits: 新建改(扩)建, 入园(班)率.
# a colon ends a clause, except after 分别 (…支出分别增长:5.92%、8.46%: the list continues its clause)
_CLAUSE_BREAK = regex.compile(
    r"[；;。！？!?\n]|(?<!分别[^，,。；;：:]{0,6})[：:]|(?<!\d)[，,]|[，,](?!\d)"
    r"|[（(](?![^（()）\d，,]{1,4}[)）])|(?<![（(][^（()）\d，,]{1,4})[)）]")
_LIST_SEP = regex.compile(r"^[、，,和及与或\s]*(?:以及)?[、，,和及与或\s]*$")
#: What parts two subjects or items of a sentence (小学、初中; 教师和学生).
SEPARATOR = regex.compile(r"[、，,；;和及与]")
_RESPECTIVELY = regex.compile(r"分别")
# 义务教育学校和幼儿园: the noun a stage word qualifies does not part it from the next stage word
_STAGE_NOUN = regex.compile(r"^(?:学校|阶段|教育|学生)(?=[、和及与])")
# 2016-2018年, 2015年至2018年, and the scrape's 20162018年 (dash lost)
_YEAR_RANGE = regex.compile(r"(?<!\d)((?:19|20)\d{2})\s*年?\s*(?:[-—–~～至到]\s*)?((?:19|20)\d{2})\s*年")
_YEAR_LIST_ITEM = regex.compile(r"(?<![\d])((?:19|20)\d{2}|20[x×X_＿]{1,2}|[xX×]{2,4})\s*年")


@dataclass(frozen=True)
class Clause:
    """A clause of a sentence: [start, end) offsets into the sentence and its text."""

    start: int
    end: int
    text: str


def clauses(text: str) -> list[Clause]:
    """Clauses of a sentence (offsets into ``text``); punctuation stays out of every clause."""
    out: list[Clause] = []
    last = 0
    for m in _CLAUSE_BREAK.finditer(text):
        if m.start() > last:
            out.append(Clause(last, m.start(), text[last:m.start()]))
        last = m.end()
    if last < len(text):
        out.append(Clause(last, len(text), text[last:]))
    return out or [Clause(0, len(text), text)]


def in_brackets(text: str, clause: Clause) -> bool:
    """Whether ``clause`` is a note in brackets of its own (中等职业学校27所(不含技工学校)): the
    clause break before it is an opening bracket and the one after it a closing one."""
    return (clause.start > 0 and text[clause.start - 1] in "(（"
            and clause.end < len(text) and text[clause.end] in ")）")


def clause_at(cls: list[Clause], pos: int) -> int:
    """Index of the clause holding offset ``pos`` (the nearest one before it otherwise)."""
    return max(0, bisect_right(cls, pos, key=lambda c: c.start) - 1)  # clauses are in order


def is_list_separator(between: str) -> bool:
    """Whether the text between two numbers only separates list items (、 ， 和 及)."""
    return bool(_LIST_SEP.match(between))


def list_runs(text: str, spans: list[tuple[int, int]]) -> list[list[int]]:
    """Runs of consecutive spans (indices into ``spans``) separated only by list separators."""
    runs: list[list[int]] = []
    for i, (s, _e) in enumerate(spans):
        if runs and is_list_separator(text[spans[runs[-1][-1]][1]:s]):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def respectively_before(text: str, start: int, lower: int) -> int | None:
    """Offset of 分别 in text[lower:start] (the lead of a list), or None."""
    found = None
    for m in _RESPECTIVELY.finditer(text, lower, start):
        found = m.start()
    return found


def year_subjects(lead: str) -> list[int | None] | None:
    """Years a 分别 list is aligned to, from its lead text: 2016-2018年 gives [2016, 2017, 2018];
    xx年、xx年 gives [None, None] (masked); None when the lead names no years."""
    rng = None
    for m in _YEAR_RANGE.finditer(lead):
        rng = m
    if rng:
        a, b = int(rng.group(1)), int(rng.group(2))
        if 0 < b - a < 12:
            return list(range(a, b + 1))
    items = list(_YEAR_LIST_ITEM.finditer(lead))
    if len(items) >= 2:
        # keep the last run of years separated by 、/和
        run = [items[-1]]
        for prev in reversed(items[:-1]):
            if is_list_separator(lead[prev.end():run[0].start()]):
                run.insert(0, prev)
            else:
                break
        if len(run) >= 2:
            return [int(m.group(1)) if m.group(1).isdigit() else None for m in run]
    return None


def enumerated(lead: str, hits: list[tuple[int, int, str | None]]) -> list[str | None]:
    """The last run of subjects (stage hits as (start, end, stage)) joined by 、/和/及 in ``lead``
    (a noun after a stage word may stand before the joint: 义务教育学校和幼儿园)."""
    if not hits:
        return []
    run = [hits[-1]]
    for h in reversed(hits[:-1]):
        between = _STAGE_NOUN.sub("", lead[h[1]:run[0][0]], count=1)
        if 0 < len(between) <= 2 and is_list_separator(between):
            run.insert(0, h)
        else:
            break
    return [h[2] for h in run]
