"""Decoding raw page bytes (pipeline/stages/clean/encoding.py) on the seed pages and on broken input."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from pipeline.stages.clean.encoding import (
    COMMON_MARGIN,
    CleanError,
    common_share,
    control_share,
    decode_page,
    decode_page_counted,
)

SEEDS = sorted((Path(__file__).resolve().parent.parent / "corpora").glob("*.txt"))
#: Seed text that every candidate encoding can hold (simplified Chinese, digits, % and punctuation).
SIMPLIFIED = "2015年以来,全县义务教育均衡发展累计投入资金12.1304亿元,大班额比例由21.23%下降至8.52%。\n"
TRADITIONAL = "對普惠性幼兒園3-5歲在園困難兒童資助標準為每人每年1200元。\n"


def test_seed_000_is_utf8_although_file_calls_it_an_executable() -> None:
    data = SEEDS[0].read_bytes()
    assert data[:3] == "首".encode()  # the bytes `file` takes for a DOS jump instruction
    text, enc = decode_page(data)
    assert enc == "utf-8" and text.startswith("首页 述职报告")


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem[:3])
def test_seeds_decode_as_utf8(path: Path) -> None:
    text, enc = decode_page(path.read_bytes())
    assert enc == "utf-8" and text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "encoding"), [
    (SIMPLIFIED * 3, "gb18030"),
    (TRADITIONAL * 3, "big5"),
    (TRADITIONAL * 3, "gb18030"),
    (SIMPLIFIED * 3, "utf-16-le"),
    (SIMPLIFIED * 3, "utf-16-be"),
])
def test_legacy_encodings_are_detected(text: str, encoding: str) -> None:
    decoded, enc = decode_page(text.encode(encoding))
    assert decoded == text
    assert codecs.lookup(enc).name == codecs.lookup(encoding).name


def test_gbk_bytes_decode_as_gb18030() -> None:
    decoded, enc = decode_page((SIMPLIFIED * 3).encode("gbk"))
    assert (decoded, enc) == (SIMPLIFIED * 3, "gb18030")


@pytest.mark.parametrize(("bom_encoding", "expected"), [
    ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-32", "utf-32")])
def test_byte_order_mark_wins(bom_encoding: str, expected: str) -> None:
    data = SIMPLIFIED.encode(bom_encoding)
    decoded, enc = decode_page(data)
    assert decoded == SIMPLIFIED and enc == expected
    # the recorded encoding re-decodes the raw bytes to the same text (raw offsets stay valid)
    assert data.decode(enc) == decoded


def test_whole_seed_pages_in_gb18030_and_utf16() -> None:
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        for encoding in ("gb18030", "utf-16-le"):
            decoded, enc = decode_page(text.encode(encoding))
            assert decoded == text, (path.stem, encoding, enc)


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"   \n\n\t", "empty"),
    ("\n \n".encode("utf-16"), "empty"),
    (b"\x00" * 64, "binary"),
    (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "binary"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200) + b"word/document.xml", "binary"),
])
def test_bad_input_raises_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(CleanError) as info:
        decode_page(data)
    assert info.value.reason == reason
    assert str(info.value).startswith(reason)


def test_control_share() -> None:
    assert control_share("教育\n工作\t总结") == 0.0
    assert control_share("ab\x01\x02") == 0.5


@pytest.mark.parametrize(("text", "encoding"), [
    ("教育", "gb18030"),
    ("教育", "big5"),
    ("全县共有学校78所。", "gb18030"),
    ("總結報告書", "gb18030"),
    ("總結報告書", "big5"),
    ("资助标准为每人每年1200元", "gb18030"),
])
def test_short_text_is_not_read_as_mojibake(text: str, encoding: str) -> None:
    assert decode_page(text.encode(encoding)) == (text, encoding)


@pytest.mark.parametrize("path", SEEDS[:4], ids=lambda p: p.stem[:3])
def test_common_share_separates_text_from_mojibake(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert common_share(text) > 0.99
    for line in text.splitlines():
        if len(line) >= 10:
            try:
                mojibake = line.encode("gb18030").decode("big5")
            except UnicodeDecodeError:
                continue
            assert common_share(mojibake) < common_share(line) - COMMON_MARGIN


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("damage", ["cut", "stray_ff"])
def test_a_bad_byte_is_replaced_and_counted_not_the_page_lost(encoding: str, damage: str) -> None:
    text = SEEDS[1].read_text(encoding="utf-8")
    data = text.encode(encoding)
    # cut after the first byte of a Chinese character; or one 0xFF put in the middle of the page
    k = next(i for i in range(len(text) // 3, len(text)) if "\u4e00" <= text[i] <= "\u9fff")
    cut = len(text[:k].encode(encoding)) + 1
    bad = data[:cut] if damage == "cut" else data[: len(data) // 2] + b"\xff" + data[len(data) // 2:]
    with pytest.raises(UnicodeDecodeError):
        bad.decode(encoding)
    decoded, enc, replaced = decode_page_counted(bad)
    assert enc == encoding and 1 <= replaced <= 4
    assert decoded == bad.decode(encoding, errors="replace")  # raw offsets hold: the same decoding
    assert decoded.count("\ufffd") == replaced
    assert decoded.replace("\ufffd", "")[:200] == text[:200]
    assert decode_page_counted(data) == (text, encoding, 0)


def test_text_in_no_encoding_is_still_undecodable() -> None:
    noise = bytes(range(0x80, 0x100)) * 8  # every high byte, no text
    with pytest.raises(CleanError) as info:
        decode_page_counted(noise)
    assert info.value.reason == "undecodable"


def test_control_share_counts_the_control_characters_but_white_space() -> None:
    """The regex count equals the test of every character it replaced, on random mixed text."""
    import random

    from pipeline.stages.clean.encoding import _ALLOWED_CONTROLS, control_share

    def by_character(text: str) -> float:
        bad = sum(1 for ch in text if (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0) and ch not in _ALLOWED_CONTROLS)
        return bad / len(text) if text else 0.0

    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(chr(rng.choice([rng.randint(0, 0xB0), rng.randint(0x4E00, 0x4E10)]))
                       for _ in range(rng.randint(0, 30)))
        assert control_share(text) == by_character(text)
    assert control_share("教育\t\n\r\x0b\x0c") == 0.0 and control_share("\x00\x85ab") == 0.5
