"""Display width of text in a fixed-width layout (a terminal, a PDF's text lines)."""

from __future__ import annotations

import unicodedata


class _Widths(dict):
    """Columns of each character met so far: 2 for wide and full-width (CJK) characters, 1 for
    others; a character's width is looked up in :mod:`unicodedata` once, then kept."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return width


_WIDTHS = _Widths()


def display_width(text: str) -> int:
    """Columns ``text`` takes in a fixed-width layout: 2 for wide (CJK) characters, 1 for others."""
    return sum(map(_WIDTHS.__getitem__, text))
