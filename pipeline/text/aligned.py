"""Text that remembers where each character came from in the raw page.

Cleaning is a chain of edits (delete chrome, map variant characters, convert
traditional to simplified, fold full-width forms). :class:`AlignedText` keeps,
for every character of the current text, its offset in the raw text, so any
span of the clean text maps back to the raw page. Stored compactly as anchor
pairs (``offset_clean``, ``offset_raw``): one pair per run of characters that
map contiguously.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

import numpy as np
import regex


class AlignedText:
    """A string plus, per character, its offset in the raw text."""

    __slots__ = ("text", "raw")

    def __init__(self, text: str, raw: np.ndarray) -> None:
        if len(raw) != len(text):
            raise ValueError(f"offset array has {len(raw)} entries for {len(text)} characters")
        self.text = text
        self.raw = raw

    @classmethod
    def from_raw(cls, text: str, base: int = 0) -> AlignedText:
        """Identity alignment: character i of ``text`` is raw offset ``base + i``."""
        return cls(text, np.arange(base, base + len(text), dtype=np.int64))

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, key: slice) -> AlignedText:
        return AlignedText(self.text[key], self.raw[key])

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw (start, end) covering the clean span [start, end)."""
        if end <= start:
            pos = self.raw[start] if start < len(self.raw) else (self.raw[-1] + 1 if len(self.raw) else 0)
            return int(pos), int(pos)
        return int(self.raw[start]), int(self.raw[end - 1]) + 1

    def sub(self, pattern: str | regex.Pattern, repl: str | Callable[[regex.Match], str], flags: int = 0) -> AlignedText:
        """Regex substitution that keeps the alignment.

        A replacement as long as its match maps character for character; any
        other replacement maps every new character to the match's first raw
        offset (a deletion simply drops the offsets).
        """
        pat = regex.compile(pattern, flags) if isinstance(pattern, str) else pattern
        parts: list[str] = []
        offs: list[np.ndarray] = []
        last = 0
        for m in pat.finditer(self.text):
            s, e = m.span()
            new = repl(m) if callable(repl) else m.expand(repl)
            if new == m.group(0):
                continue
            parts.append(self.text[last:s])
            offs.append(self.raw[last:s])
            if new:
                if len(new) == e - s:
                    offs.append(self.raw[s:e])
                else:
                    anchor = self.raw[s] if s < len(self.raw) else (self.raw[-1] + 1 if len(self.raw) else 0)
                    offs.append(np.full(len(new), anchor, dtype=np.int64))
                parts.append(new)
            last = e
        if not parts:
            return self
        parts.append(self.text[last:])
        offs.append(self.raw[last:])
        return AlignedText("".join(parts), np.concatenate(offs) if offs else np.zeros(0, dtype=np.int64))

    def translate(self, table: dict[int, str]) -> AlignedText:
        """Map single characters to single characters (``str.translate`` table); offsets unchanged."""
        out = self.text.translate(table)
        if len(out) != len(self.text):
            raise ValueError("translate() must map one character to exactly one character")
        return AlignedText(out, self.raw)

    def map_segments(self, convert: Callable[[str], str], pattern: str = r"[^\n]+") -> AlignedText:
        """Apply a string function to each line (or ``pattern`` match), keeping alignment
        exactly where the length is unchanged and per-segment otherwise."""
        pat = regex.compile(pattern)

        def _repl(m: regex.Match) -> str:
            return convert(m.group(0))

        return self.sub(pat, _repl)

    def strip(self) -> AlignedText:
        """Remove leading and trailing white space."""
        s = len(self.text) - len(self.text.lstrip())
        e = len(self.text.rstrip())
        return self[s:e] if e > s else self[0:0]

    def anchors(self) -> tuple[list[int], list[int]]:
        """Compact (offset_clean, offset_raw) anchor lists: one pair per contiguous run."""
        if len(self.raw) == 0:
            return [0], [0]
        diff = np.diff(self.raw)
        breaks = np.nonzero(diff != 1)[0] + 1
        starts = np.concatenate(([0], breaks))
        return [int(x) for x in starts], [int(x) for x in self.raw[starts]]


def map_offset(offset_clean: list[int], offset_raw: list[int], pos: int) -> int:
    """Raw offset of clean offset ``pos`` given anchor lists from :meth:`AlignedText.anchors`."""
    k = bisect_right(offset_clean, pos) - 1
    if k < 0:
        return offset_raw[0] if offset_raw else 0
    return offset_raw[k] + (pos - offset_clean[k])


def map_span(offset_clean: list[int], offset_raw: list[int], start: int, end: int) -> tuple[int, int]:
    """Raw (start, end) of the clean span [start, end)."""
    rs = map_offset(offset_clean, offset_raw, start)
    if end <= start:
        return rs, rs
    return rs, map_offset(offset_clean, offset_raw, end - 1) + 1
