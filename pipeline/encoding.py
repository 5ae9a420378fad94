"""Decoding raw page bytes: BOM, strict UTF-8, else detection among the Chinese encodings.

Scraped pages arrive in UTF-8, GB18030/GBK, Big5 or UTF-16, rarely labelled.
:func:`decode_page` tries, in order: a byte-order mark, strict UTF-8, then
charset-normalizer restricted to :data:`CANDIDATE_ENCODINGS` (detected, never
assumed). Input that is empty, binary or undecodable raises :class:`CleanError`
with a machine-readable ``reason`` that the runner turns into an errors row.
"""

from __future__ import annotations

import codecs

#: Encodings the detector may choose from (GBK text is valid GB18030, so GBK is not listed).
CANDIDATE_ENCODINGS: tuple[str, ...] = ("gb18030", "big5", "utf_16_le", "utf_16_be")

#: Share of control characters (other than tab/newline/carriage return/form feed) above which
#: decoded text is treated as binary. Text pages in the seeds have none; a binary file
#: decoded as a legacy encoding has several percent.
MAX_CONTROL_SHARE = 0.01

#: Share of NUL bytes above which input without a UTF-16 shape is binary.
MAX_NUL_SHARE = 0.01

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_ALLOWED_CONTROLS = frozenset("\t\n\r\f\x0b")
# Bytes that no text in UTF-8, GB18030 or Big5 holds (ASCII controls other than white space).
_CONTROL_BYTES = bytes(b for b in range(32) if chr(b) not in _ALLOWED_CONTROLS) + b"\x7f"


class CleanError(ValueError):
    """A page that the clean stage cannot turn into text; ``reason`` is one of
    ``empty``, ``binary``, ``undecodable``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def control_share(text: str) -> float:
    """Share of characters of ``text`` that are control characters (tabs and newlines excepted)."""
    if not text:
        return 0.0
    bad = sum(1 for ch in text if (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0) and ch not in _ALLOWED_CONTROLS)
    return bad / len(text)


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
    if best is None or best[0] < 0.9:
        raise CleanError("binary", f"{data.count(0)} NUL bytes in {len(data)} and not UTF-16 text")
    return best[1], best[2]


def decode_page(data: bytes) -> tuple[str, str]:
    """Decode raw page bytes; returns ``(text, encoding)``.

    >>> decode_page("教育".encode("gb18030"))[1]
    'gb18030'
    """
    if not data or not data.strip():
        raise CleanError("empty", "page has no bytes" if not data else "page holds only white space")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(data.decode(codec), codec)
            except UnicodeDecodeError as exc:
                raise CleanError("undecodable", f"{codec} byte-order mark but invalid {codec}: {exc}") from exc
    if data.count(0) > MAX_NUL_SHARE * len(data):
        return _check_text(*_decode_utf16(data))
    controls = sum(data.count(b) for b in _CONTROL_BYTES)
    if controls > MAX_CONTROL_SHARE * len(data):
        raise CleanError("binary", f"{controls} control bytes in {len(data)}")
    try:
        return _check_text(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    return _check_text(*_detect(data))


def _detect(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(CANDIDATE_ENCODINGS)).best()
    if best is not None:
        return str(best), best.encoding.replace("_", "-")
    # The detector gives up on short or mixed input: fall back to a strict trial of each candidate.
    for enc in ("gb18030", "big5"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise CleanError("undecodable", f"not valid UTF-8 and none of {', '.join(CANDIDATE_ENCODINGS)} fits")
