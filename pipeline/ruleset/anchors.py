"""Anchor characters of a rule pattern: every character a non-empty match can begin with.

The extractor runs dozens of rule patterns (triggers, cues, stage words) over every
sentence, and most of them cannot match a given sentence at all. :func:`first_chars`
reads a pattern once and returns the set of characters a non-empty match of it can
start with (lookarounds and anchors are zero-width and skipped), or ``None`` when that
set is open (``.``, ``\\d``, a negated class, flags, syntax of the ``regex`` module that
the standard parser does not read the same way). :func:`may_match` then tells, from the
characters of a text, whether a pattern can match in it at all: a pattern is only run
on a text holding one of its anchor characters. The answer is exact: when no anchor
character occurs in a text, the pattern has no non-empty match in it.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.ruleset.rulefiles import recall

try:  # Python >= 3.11
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

#: Pattern text the standard parser reads differently from the ``regex`` module (POSIX and
#: Unicode classes, set operations, version and fuzzy flags, branch reset, recursion …): such
#: a pattern gets no anchor set and always runs.
_REGEX_ONLY = re.compile(r"\[:|\\[pPXNmMGLKQEV]|--|&&|~~|\|\||\(\?[|>&(R\d+V]|\(\?\w*[ifrwxLuaEbse]\w*[:)]|\{[^}]*[ies<]")
#: Ranges wider than this are an open set (a CJK range [一-龥] would be 20,000 characters).
MAX_RANGE = 512

_REPEATS = tuple(getattr(_c, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(_c, name))
_ZERO_WIDTH = (_c.ASSERT, _c.ASSERT_NOT, _c.AT)


def _sequence(items: list) -> tuple[set[str], bool] | None:
    """(first characters, can be empty) of a sequence of parsed items; None when open."""
    out: set[str] = set()
    for op, av in items:
        found = _item(op, av)
        if found is None:
            return None
        chars, empty = found
        out |= chars
        if not empty:
            return out, False
    return out, True


def _item(op: object, av: object) -> tuple[set[str], bool] | None:  # noqa: PLR0911 - one case an opcode
    if op is _c.LITERAL:
        return {chr(av)}, False  # type: ignore[arg-type]
    if op is _c.IN:
        chars: set[str] = set()
        for o, a in av:  # type: ignore[attr-defined]
            if o is _c.LITERAL:
                chars.add(chr(a))
            elif o is _c.RANGE and a[1] - a[0] <= MAX_RANGE:
                chars.update(map(chr, range(a[0], a[1] + 1)))
            else:  # NEGATE, CATEGORY (\d, \s …), a wide range
                return None
        return chars, False
    if op is _c.BRANCH:
        chars, empty = set(), False
        for branch in av[1]:  # type: ignore[index]
            found = _sequence(branch)
            if found is None:
                return None
            chars |= found[0]
            empty = empty or found[1]
        return chars, empty
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, sub = av  # type: ignore[misc]
        return None if add_flags or del_flags else _sequence(sub)
    if op in _REPEATS:
        lo, _hi, sub = av  # type: ignore[misc]
        found = _sequence(sub)
        return None if found is None else (found[0], found[1] or lo == 0)
    if op in _ZERO_WIDTH:
        return set(), True
    return None  # ANY, NOT_LITERAL, GROUPREF, CATEGORY outside a set …


def first_chars(pattern: str) -> frozenset[str] | None:
    """Characters a non-empty match of ``pattern`` can start with, or None (any character).

    >>> sorted(first_chars("(?<![毛净])入学率|受教育(?:覆盖)?率"))
    ['入', '受']
    >>> first_chars(r"\\d+人") is None
    True
    """
    if _REGEX_ONLY.search(pattern):
        return None
    try:
        parsed = _parser.parse(pattern)
    except Exception:  # noqa: BLE001 - syntax of the regex module only: no anchors, the pattern always runs
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    found = _sequence(list(parsed))
    return frozenset(found[0]) if found is not None else None


def may_match(anchors: frozenset[str] | None, chars: set[str] | frozenset[str]) -> bool:
    """Whether a pattern with ``anchors`` (see :func:`first_chars`) can match a text of ``chars``."""
    return anchors is None or not anchors.isdisjoint(chars)


class AnchorIndex:
    """An ordered set of patterns, and for a text the ones that can match in it (same order).

    ``entries`` are (item, pattern text, …) rows: an item runs on a text only when every
    pattern given for it can match there (its anchor characters occur in the text). One
    scan of the text (a character class of all anchors, in C) gives the anchors present;
    the items for that set of anchors are remembered.
    """

    def __init__(self, entries: list[tuple[object, ...]]) -> None:
        self.items = [e[0] for e in entries]
        self.anchors = [tuple(first_chars(p) if p is not None else None for p in e[1:]) for e in entries]
        chars = sorted(set().union(*(a for row in self.anchors for a in row if a)))
        self.scan = re.compile("[" + "".join(re.escape(c) for c in chars) + "]") if chars else None
        #: the items of each set of anchors found (a 4 MB archive's sentences have ~1,200 for the triggers)
        self.memo: dict[frozenset[str], tuple] = {}
        #: results the index's user computed for a text with these patterns (:func:`recall` memo)
        self.results: dict[str, Any] = {}

    def candidates(self, text: str) -> tuple:
        """The items that can match ``text``, in their order."""
        found = frozenset(self.scan.findall(text)) if self.scan is not None else frozenset()
        return recall(self.memo, found, self._matching)

    def _matching(self, found: frozenset[str]) -> tuple:
        return tuple(item for item, row in zip(self.items, self.anchors, strict=True)
                     if all(a is None or not a.isdisjoint(found) for a in row))
