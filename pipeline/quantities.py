"""Quantity reader: every way a report writes a number (interface; implementation pending).

Contract used by the extractor and ``zhibiao numbers``:

``read_quantities(text) -> list[Quantity]`` returns every number-like span in
``text`` in order. ``value`` is in the codebook's base unit (``万元`` scaled to
元, ``万人`` to 人 ...), ``unit`` one of ``% 百分点 元 人 人次 所 个`` or another
unit word as written (``平方米``, ``批``, ``岁`` ...) or ``None`` for a bare
number. ``flags`` name what was recognised or repaired: ``masked``, ``year``,
``date``, ``ordinal``, ``list_marker``, ``document_number``, ``range``, ``age``,
``phone``, ``repaired_glued_year``, ``chinese_numeral`` ... A quantity whose
flags include one of :data:`NOT_A_VALUE` is never a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NOT_A_VALUE = frozenset({"masked", "year", "date", "ordinal", "list_marker", "document_number", "age", "phone"})


@dataclass
class Quantity:
    text: str
    start: int
    end: int
    value: float | None
    unit: str | None
    approx: bool = False
    flags: list[str] = field(default_factory=list)
    year: int | None = None  # a year repaired out of a glued number, or the year a date names

    @property
    def is_value(self) -> bool:
        return self.value is not None and not (set(self.flags) & NOT_A_VALUE)


def read_quantities(text: str) -> list[Quantity]:
    raise NotImplementedError
