"""Decoding raw page bytes: BOM, strict UTF-8, else detection among the Chinese encodings.

Scraped pages arrive in UTF-8, GB18030/GBK, Big5 or UTF-16, rarely labelled.
:func:`decode_page` tries, in order: a byte-order mark; BOM-less UTF-16 (NUL
bytes); strict UTF-8; then GB18030 or Big5, whichever decodes, both arbitrated
by the share of common characters and, when that is close, charset-normalizer
restricted to :data:`CANDIDATE_ENCODINGS` (detected, never assumed). Input that is empty, binary or undecodable raises :class:`CleanError`
with a machine-readable ``reason`` that the runner turns into an errors row.

A page with a few bad bytes (cut at a random byte, a stray 0xFF) is not lost: when no
encoding decodes it strictly, it is decoded with replacement characters (U+FFFD,
``errors="replace"``) in the encoding that reads best, and :func:`decode_page_counted`
says how many characters were replaced. Only when more than :data:`MAX_REPLACED_SHARE`
of the text would be replaced is the page ``undecodable``.
"""

from __future__ import annotations

import codecs
import re
from functools import cache

#: Encodings the detector may choose from (GBK text is valid GB18030, so GBK is not listed).
#: BOM-less UTF-16 is recognised earlier, by its NUL bytes (every page has ASCII newlines or digits).
CANDIDATE_ENCODINGS: tuple[str, ...] = ("gb18030", "big5")

#: When both candidates decode, the one whose Chinese characters are more often common ones
#: (GB2312 level 1, directly or after traditional->simplified) wins if it leads by this margin;
#: otherwise charset-normalizer decides. Calibrated on the seeds: real text scores 0.994-0.999;
#: seed lines in GB18030 that also decode as Big5 score at most 0.70 as Big5 mojibake.
COMMON_MARGIN = 0.05

#: Share of control characters (other than tab/newline/carriage return/form feed) above which
#: decoded text is treated as binary. Text pages in the seeds have none; a binary file
#: decoded as a legacy encoding has several percent.
MAX_CONTROL_SHARE = 0.01

#: Share of NUL bytes above which input is BOM-less UTF-16 (if it decodes to plausible text) or binary.
MAX_NUL_SHARE = 0.01

#: Share of CJK/printable characters BOM-less UTF-16 must decode to (the seeds in UTF-16: 1.0).
MIN_PLAUSIBLE_UTF16 = 0.9

#: Largest share of replaced characters with which a page is still decoded (a stray byte or a cut
#: page has one or two; text in none of the encodings has a replacement every few characters).
MAX_REPLACED_SHARE = 0.02

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_ALLOWED_CONTROLS = frozenset("\t\n\r\f\x0b")
#: The control characters :func:`control_share` counts: C0 and C1 but the allowed ones (one regex
#: pass, not a Python test a character).
_CONTROL = re.compile("[" + "".join(re.escape(chr(c)) for c in [*range(32), *range(0x7F, 0xA0)]
                                    if chr(c) not in _ALLOWED_CONTROLS) + "]")
_HAN = re.compile("[\u3400-\u9fff]")
# Bytes that no text in UTF-8, GB18030 or Big5 holds (ASCII controls other than white space).
_CONTROL_BYTES = bytes(b for b in range(32) if chr(b) not in _ALLOWED_CONTROLS) + b"\x7f"


class CleanError(ValueError):
    """A page that the clean stage cannot turn into text; ``reason`` is one of
    ``empty``, ``binary``, ``undecodable``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@cache
def t2s_converter():
    """OpenCC's traditional-to-simplified converter (t2s), loaded once per process."""
    import opencc

    return opencc.OpenCC("t2s")


def control_share(text: str) -> float:
    """Share of characters of ``text`` that are control characters (tabs and newlines excepted)."""
    if not text:
        return 0.0
    return len(_CONTROL.findall(text)) / len(text)


def _check_text(text: str, encoding: str) -> tuple[str, str]:
    if not text.strip():
        raise CleanError("empty", f"no text after decoding as {encoding}")
    if control_share(text) > MAX_CONTROL_SHARE:
        raise CleanError("binary", f"decoded as {encoding} but {control_share(text):.1%} control characters")
    return text, encoding


def _plausible(text: str) -> float:
    """Share of characters that are CJK, printable ASCII or common white space."""
    if not text:
        return 0.0
    good = sum(1 for ch in text if ("\u4e00" <= ch <= "\u9fff") or (" " <= ch <= "~") or ch in "\n\r\t\u3000")
    return good / len(text)


def _decode_utf16(data: bytes) -> tuple[str, str]:
    """Input holding NUL bytes: BOM-less UTF-16 (either byte order) when it decodes to plausible text, else binary."""
    best: tuple[float, str, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _plausible(text)
        if best is None or score > best[0]:
            best = (score, text, codec)
    if best is None or best[0] < MIN_PLAUSIBLE_UTF16:
        raise CleanError("binary", f"{data.count(0)} NUL bytes in {len(data)} and not UTF-16 text")
    return best[1], best[2]


def decode_page(data: bytes) -> tuple[str, str]:
    """Decode raw page bytes; returns ``(text, encoding)`` (see :func:`decode_page_counted`).

    >>> decode_page("教育".encode("gb18030"))[1]
    'gb18030'
    """
    text, encoding, _replaced = decode_page_counted(data)
    return text, encoding


def decode_page_counted(data: bytes) -> tuple[str, str, int]:
    """Decode raw page bytes; returns ``(text, encoding, replaced)``: ``replaced`` characters of the
    text are U+FFFD standing for bytes invalid in ``encoding`` (``text == data.decode(encoding,
    "replace")``), 0 for a page that decodes strictly."""
    if not data or not data.strip():
        raise CleanError("empty", "page has no bytes" if not data else "page holds only white space")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return (*_check_text(data.decode(codec), codec), 0)
            except UnicodeDecodeError:
                return _replaced((codec,), data, f"{codec} byte-order mark but invalid {codec}")
    if data.count(0) > MAX_NUL_SHARE * len(data):
        return (*_check_text(*_decode_utf16(data)), 0)
    controls = sum(data.count(b) for b in _CONTROL_BYTES)
    if controls > MAX_CONTROL_SHARE * len(data):
        raise CleanError("binary", f"{controls} control bytes in {len(data)}")
    try:
        return (*_check_text(data.decode("utf-8"), "utf-8"), 0)
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # cut inside the last character: UTF-8 all before it
            return _replaced(("utf-8",), data, "")
    try:
        return (*_check_text(*_detect(data)), 0)
    except CleanError as exc:
        if exc.reason != "undecodable":
            raise
    return _replaced(("utf-8",) + CANDIDATE_ENCODINGS, data,
                     f"not valid UTF-8 and none of {', '.join(CANDIDATE_ENCODINGS)} fits")


def _replaced(codecs_: tuple[str, ...], data: bytes, why: str) -> tuple[str, str, int]:
    """Decode with replacement characters in whichever of ``codecs_`` reads best (most common Chinese
    characters, then fewest replacements); ``undecodable`` when even that replaces too much."""
    best: tuple[float, int, str, str] | None = None
    for codec in codecs_:
        text = data.decode(codec, errors="replace")
        replaced = text.count("\ufffd")
        score = common_share(text) if len(codecs_) > 1 else 0.0
        if best is None or (score, -replaced) > (best[0], -best[1]):
            best = (score, replaced, text, codec)
    assert best is not None
    _score, replaced, text, codec = best
    if replaced > MAX_REPLACED_SHARE * len(text):
        raise CleanError("undecodable", f"{why}: {replaced} of {len(text)} characters would be replaced as {codec}")
    return (*_check_text(text, codec), replaced)


@cache
def _common_chars() -> frozenset[str]:
    """The 3755 characters of GB2312 level 1 (the common simplified characters)."""
    out = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                out.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(out)


def common_share(text: str) -> float:
    """Share of the Chinese characters of ``text`` that are common (GB2312 level 1, as they are or
    converted to simplified); 0.0 when there are none."""
    han = _HAN.findall(text)  # the characters in U+3400-U+9FFF, in order
    if not han:
        return 0.0
    common = _common_chars()
    simple = t2s_converter().convert("".join(han))
    pairs = zip(han, simple, strict=False) if len(simple) == len(han) else ((h, h) for h in han)
    return sum(1 for h, s in pairs if h in common or s in common) / len(han)


def _detect(data: bytes) -> tuple[str, str]:
    decoded: dict[str, str] = {}
    for enc in CANDIDATE_ENCODINGS:
        try:
            decoded[enc] = data.decode(enc)
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise CleanError("undecodable", f"not valid UTF-8 and none of {', '.join(CANDIDATE_ENCODINGS)} fits")
    if len(decoded) == 1:
        return next(iter(decoded.values())), next(iter(decoded))
    scores = {enc: common_share(text) for enc, text in decoded.items()}
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    if scores[ranked[0]] - scores[ranked[1]] > COMMON_MARGIN:
        return decoded[ranked[0]], ranked[0]
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(CANDIDATE_ENCODINGS)).best()
    enc = codecs.lookup(best.encoding).name if best is not None else ranked[0]
    enc = enc if enc in decoded else ranked[0]
    return decoded[enc], enc
