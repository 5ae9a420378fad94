"""A sentence's tokens and trigger hits arranged for the questions the mention features ask of each
number (the words of its clause, the nearest hit of a code, a nearer hit of another code), so that a
sentence of n numbers costs O(n log n), not O(n²): a line of thousands of numbers is read through.

The answers are those of scanning every token and hit (``tests/test_linear_paths.py`` compares them
on random layouts and real sentences).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any, NamedTuple


class TokenIndex(NamedTuple):
    """A sentence's words as the features take them (no digits, no white space), with their offsets."""

    words: list[tuple[str, int, int]]
    starts: list[int]
    ends: list[int]

    @classmethod
    def of(cls, tokens: Sequence[tuple[str, int, int]]) -> TokenIndex:
        """The index of ``tokens`` (``(word, start, end)`` in text order, as the segmenter gives them)."""
        words = [t for t in tokens if not t[0].isdigit() and t[0].strip()]
        return cls(words, [s for _, s, _ in words], [e for _, _, e in words])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """``(lo, hi)``: ``words[lo:hi]`` are the words lying inside ``[start, end)``."""
        lo, hi = bisect_left(self.starts, start), bisect_right(self.ends, end)
        return lo, max(lo, hi)


class _CodeHits(NamedTuple):
    """One code's hits in (end, list position) order, with the suffix minima of (start, position)."""

    ends: list[int]
    order: list[int]
    suffix_min: list[tuple[int, int]]


def _dist(h: Any, qstart: int, qend: int) -> int:
    return qstart - h.end if h.end <= qstart else h.start - qend


class HitIndex:
    """The trigger hits of a sentence, for the nearest-hit questions of :func:`pair_extras`.

    ``nearest(code, qstart, qend)`` is ``min(hits of code, key=distance)`` (the first in list order on
    a tie); ``other_nearer(code, hit, ...)`` tells whether a hit of another code on the same side is
    nearer than ``hit``. Both take O(log n).
    """

    def __init__(self, hits: Sequence[Any]) -> None:
        self.hits = list(hits)
        self.count: dict[str, int] = {}
        by_code: dict[str, list[int]] = {}
        for i, h in enumerate(self.hits):
            by_code.setdefault(h.rule.indicator, []).append(i)
        self.codes = frozenset(by_code)
        self.per_code: dict[str, _CodeHits] = {}
        for code, idx in by_code.items():
            self.count[code] = len(idx)
            order = sorted(idx, key=lambda i: (self.hits[i].end, i))
            suffix: list[tuple[int, int]] = [(0, 0)] * (len(order) + 1)
            best = (1 << 62, 1 << 62)
            for k in range(len(order) - 1, -1, -1):
                i = order[k]
                best = min(best, (self.hits[i].start, i))
                suffix[k] = best
            suffix[len(order)] = (1 << 62, 1 << 62)
            self.per_code[code] = _CodeHits([self.hits[i].end for i in order], order, suffix)
        # every hit in (end, position) order: for another code's hit on the left, the last position
        # whose code differs from the one at k; on the right, the two least starts of distinct codes
        self.order = sorted(range(len(self.hits)), key=lambda i: (self.hits[i].end, i))
        self.ends = [self.hits[i].end for i in self.order]
        codes = [self.hits[i].rule.indicator for i in self.order]
        self.codes_by_end = codes
        self.prev_diff = [-1] * len(codes)
        for k in range(1, len(codes)):
            self.prev_diff[k] = k - 1 if codes[k - 1] != codes[k] else self.prev_diff[k - 1]
        big = 1 << 62
        self.right_best: list[tuple[int, str | None, int]] = [(big, None, big)] * (len(codes) + 1)
        best_start, best_code, second = big, None, big
        for k in range(len(codes) - 1, -1, -1):
            s, c = self.hits[self.order[k]].start, codes[k]
            if s < best_start:
                if c != best_code:
                    second = best_start
                best_start, best_code = s, c
            elif c != best_code and s < second:
                second = s
            self.right_best[k] = (best_start, best_code, second)

    def nearest(self, code: str, qstart: int, qend: int) -> Any | None:
        """The hit of ``code`` nearest the number at ``[qstart, qend)`` (None without one)."""
        ch = self.per_code.get(code)
        if ch is None:
            return None
        left = right = None
        k = bisect_right(ch.ends, qstart) - 1
        if k >= 0:
            left = ch.order[bisect_left(ch.ends, ch.ends[k])]
        m = k + 1
        if m < len(ch.order):
            right = ch.suffix_min[m][1]
        if left is None or right is None:
            return self.hits[left if right is None else right]
        dl, dr = _dist(self.hits[left], qstart, qend), _dist(self.hits[right], qstart, qend)
        return self.hits[left if (dl, left) < (dr, right) else right]

    def other_nearer(self, code: str, hit: Any, qstart: int) -> bool:
        """Whether a hit of another code than ``code``, on ``hit``'s side of the number, is nearer."""
        k = bisect_right(self.ends, qstart)  # self.order[:k] end left of the number
        if hit.end <= qstart:
            j = k - 1
            if j >= 0 and self.codes_by_end[j] == code:
                j = self.prev_diff[j]
            return j >= 0 and self.ends[j] > hit.end
        best_start, best_code, second = self.right_best[k]
        other = best_start if best_code != code else second
        return other < hit.start


class SentenceHits(list):
    """A sentence's trigger hits (a list, in the extractor's order) with their :class:`HitIndex`, made
    on first use and shared by every number of the sentence."""

    _index: HitIndex | None = None
    _codes: frozenset[str] | None = None

    @property
    def codes(self) -> frozenset[str]:
        """The codes of these hits (without building the index)."""
        if self._codes is None:
            self._codes = frozenset(h.rule.indicator for h in self)
        return self._codes

    @property
    def index(self) -> HitIndex:
        """The :class:`HitIndex` of these hits."""
        if self._index is None:
            self._index = HitIndex(self)
        return self._index


def hit_index(hits: Sequence[Any]) -> HitIndex:
    """The index of ``hits``: kept with a :class:`SentenceHits`, made anew for another sequence."""
    return hits.index if isinstance(hits, SentenceHits) else HitIndex(hits)
