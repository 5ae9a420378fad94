"""The clean stage: raw page bytes to documents of clean text with offsets back to the raw text.

Steps, in order (each keeps the alignment of :class:`~pipeline.text.aligned.AlignedText`):

1. decode (:mod:`pipeline.stages.clean.encoding`): BOM, BOM-less UTF-16, strict UTF-8, else GB18030 or Big5;
2. HTML to text when the page is HTML (:mod:`pipeline.stages.clean.htmltext`);
3. character normalisation: line ends and odd spaces, anti-scraping variant characters
   (rules/variants.tsv), pinyin notes (總結(jié) → 總結), traditional → simplified (OpenCC t2s),
   full-width → half-width digits, letters, % and punctuation inside numbers;
4. chrome and spam lines (rules/boilerplate.yaml, :mod:`pipeline.stages.clean.boilerplate`), then line
   indentation and blank lines, and tables flattened to one cell a line put back into rows
   (:mod:`pipeline.stages.clean.flattables`), and hard-wrapped paragraphs of PDF text joined
   (:mod:`pipeline.stages.clean.linewrap`);
5. split into articles (:mod:`pipeline.stages.clean.articles`), each a :class:`~pipeline.records.Document`
   (the items of a news list page are found before step 4, which drops their 发布时间 lines).

Raw offsets are character offsets into the decoded page text (``Document.encoding``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
import regex

from pipeline.records import Document, Page
from pipeline.ruleset.rulefiles import RuleError, load_tsv
from pipeline.stages.clean.articles import (
    ArticleSpan,
    NewsItemHead,
    document_year,
    is_title_like,
    news_item_heads,
    publication_year,
    split_articles,
)
from pipeline.stages.clean.boilerplate import iter_lines, keep_mask, strip_boilerplate
from pipeline.stages.clean.encoding import CleanError, decode_page_counted, t2s_converter
from pipeline.stages.clean.flattables import rejoin_flat_tables
from pipeline.stages.clean.htmltext import html_headlines, html_title, html_to_text, looks_like_html
from pipeline.stages.clean.linewrap import unwrap_lines
from pipeline.stages.clean.regions import locate_document
from pipeline.text.aligned import AlignedText

__all__ = ["CleanError", "clean_page", "clean_pages", "normalize_text", "variant_map"]

VARIANT_FILE = "variants.tsv"

#: Pinyin note after a Chinese character: (jié), （zhì）, [wàn], (ge), (wan4), (zēng zhǎng), with or without
#: a space before it. A note of tone-marked letters is one; a note without tone marks (neutral tone 個(ge),
#: tone digits wan4) only when every syllable is pinyin, so English glosses such as 教育(Education) and
#: (app) stay. A scrape that lost the opening parenthesis leaves ?lián) (corpora/004: 更新?lián)Q代); that
#: form is removed when tone-marked.
_TONE = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_TONELESS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ", "aaaaeeeeiiiioooouuuuüüüünnnm")
PINYIN_NOTE = regex.compile(
    rf"(?<=\p{{Han}}) ?(?:(?P<open>[(（\[［])\s*|[?？])"
    rf"(?P<py>[a-zü{_TONE}]{{1,7}}[1-5]?(?:[ '’]?[a-zü{_TONE}]{{1,7}}[1-5]?){{0,3}})\s*[)）\]］]")
_SYLLABLE = regex.compile(
    r"(?:(?:[zcs]h|[bpmfdtnlgkhjqxrzcsyw])?(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|üan|van|ai|ei|"
    r"ao|ou|an|en|in|un|ün|vn|ia|ie|iu|ua|uo|ui|üe|ve|ue|er|a|o|e|i|u|ü|v)[1-5]?[ '’]?){1,4}")


def is_pinyin_note(m: regex.Match) -> bool:
    """Whether a :data:`PINYIN_NOTE` match is a pinyin note (see there), not a gloss in brackets."""
    py = m.group("py")
    toned = any(ch in _TONE for ch in py)
    if toned and len(py) <= 7 and py.isalpha():
        return True  # one tone-marked syllable, as the seeds write them
    if not m.group("open"):
        return False  # ?lián) only when tone-marked
    letters = sum(ch.isalpha() for ch in py)
    marked = toned or any(ch.isdigit() for ch in py)
    return (marked or letters >= 2) and _SYLLABLE.fullmatch(py.translate(_TONELESS)) is not None


#: Full-width digits, letters and % fold to ASCII everywhere; full-width . : - / only between digits, and
#: an ideographic full stop used as a decimal point (毛入园率达87。6%, 29。31万所) before a unit.
_FULLWIDTH = {cp: chr(cp - 0xFEE0) for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                               *range(0xFF41, 0xFF5B), 0xFF05]}
_FULLWIDTH_IN_NUMBER = regex.compile(r"(?<=\d)[．：－／](?=\d)|(?<=\d)。(?=\d{1,2}(?:%|万|亿|个|元))")
#: White space that is not a plain space (no-break, ideographic, thin …) becomes a space.
#: A tab stays: it parts the cells of a table row (pipeline/stages/clean/htmltext.py, pipeline/stages/extract/tablecells.py).
_SPACES = {cp: " " for cp in (0x00A0, 0x3000, 0x2002, 0x2003, 0x2009, 0x200A, 0x202F, 0x000B, 0x000C)}
_INVISIBLE = regex.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]+")
#: An anti-scraping token strewn through a page's text (专任教师26 t4Rk 13人, 来, N0cL 阜平): 4-6 ASCII
#: letters and digits mixing upper case, lower case and digits, standing alone; it goes with a space
#: on each side, so a number it cut is whole again.
_NOISE_TOKEN = regex.compile(
    r"[ \t]?(?<![A-Za-z0-9.\-_/@:#=&?%])(?P<tok>[A-Za-z0-9]{4,6})(?![A-Za-z0-9.\-_/@])[ \t]?")
#: Case and digits mixed as no word is (N0cL, Zp3w, ewCu9; not Win10, Office365): all three kinds,
#: and an upper-case letter after a lower-case one or a digit, or a letter after a digit.
_MIXED = (regex.compile(r"[A-Z]"), regex.compile(r"[a-z]"), regex.compile(r"\d"))
_SCRAMBLED = regex.compile(r"[a-z0-9][A-Z]|\d[A-Za-z]")


def _is_noise_token(tok: str) -> bool:
    """Whether an ASCII token is an anti-scraping token (see :data:`_NOISE_TOKEN`)."""
    return all(p.search(tok) for p in _MIXED) and bool(_SCRAMBLED.search(tok))


@dataclass(frozen=True)
class VariantCharMap:
    """Variant characters of rules/variants.tsv: a plain table and context-restricted rules."""

    table: dict[int, str]
    context: tuple[tuple[str, str, regex.Pattern], ...]

    def apply(self, at: AlignedText) -> tuple[AlignedText, np.ndarray]:
        """Map variants in ``at``; returns the new text and the positions that changed."""
        out = at.translate(self.table)
        chars = list(out.text)
        for variant, standard, pattern in self.context:
            if variant not in out.text:
                continue
            for m in pattern.finditer(out.text):
                for i in range(m.start(), m.end()):
                    if chars[i] == variant:
                        chars[i] = standard
        text = "".join(chars)
        changed = _changed_positions(at.text, text)
        return AlignedText(text, at.raw), changed


@cache
def variant_map() -> VariantCharMap:
    """The variant table of rules/variants.tsv, validated (loaded once per process)."""
    rows = load_tsv(VARIANT_FILE, ("variant", "standard", "note"), optional=("context",))
    table: dict[int, str] = {}
    context = []
    for row in rows:
        where = f"{VARIANT_FILE}:{row['_line']}"
        v, s = row["variant"], row["standard"]
        if len(v) != 1 or len(s) != 1:
            raise RuleError(f"{where}: variant and standard must be single characters")
        if ord(v) in table or any(c[0] == v for c in context):
            raise RuleError(f"{where}: duplicate variant '{v}'")
        if row.get("context"):
            try:
                pat = regex.compile(row["context"])
            except regex.error as exc:
                raise RuleError(f"{where}: bad context pattern: {exc}") from exc
            if v not in row["context"]:
                raise RuleError(f"{where}: the context pattern must contain the variant '{v}'")
            context.append((v, s, pat))
        else:
            table[ord(v)] = s
    return VariantCharMap(table, tuple(context))


def _changed_positions(before: str, after: str) -> np.ndarray:
    if len(before) != len(after):
        return np.zeros(0, dtype=np.int64)
    a = np.frombuffer(before.encode("utf-32-le"), dtype=np.uint32)
    b = np.frombuffer(after.encode("utf-32-le"), dtype=np.uint32)
    return np.nonzero(a != b)[0]


def _raw_of(at: AlignedText, positions: np.ndarray) -> np.ndarray:
    return at.raw[positions] if len(positions) else np.zeros(0, dtype=np.int64)


def normalize_text(at: AlignedText, events: dict[str, list[int]] | None = None) -> AlignedText:
    """Character normalisation (steps 3 of the module doc), alignment kept.

    ``events`` (if given) collects, per kind (variants_mapped, noise_tokens_removed, pinyin_removed, t2s_changed,
    fullwidth_folded), the raw offsets of the characters changed.
    """
    ev = events if events is not None else {}

    def note(kind: str, raw: np.ndarray | list[int]) -> None:
        ev.setdefault(kind, []).extend(int(x) for x in raw)

    at = at.sub(r"\r\n?", "\n")
    at = at.translate(_SPACES)
    at = at.sub(_INVISIBLE, "")
    tokens: list[int] = []

    def drop_token(m: regex.Match) -> str:
        if not _is_noise_token(m.group("tok")):
            return m.group(0)
        tokens.append(int(at.raw[m.start()]))
        return ""

    at = at.sub(_NOISE_TOKEN, drop_token)
    note("noise_tokens_removed", tokens)
    at, changed = variant_map().apply(at)
    note("variants_mapped", _raw_of(at, changed))
    removed: list[int] = []

    def drop_note(m: regex.Match) -> str:
        if not is_pinyin_note(m):
            return m.group(0)
        removed.append(int(at.raw[m.start()]))
        return ""

    at = at.sub(PINYIN_NOTE, drop_note)
    note("pinyin_removed", removed)
    before = at.text
    conv = t2s_converter().convert
    at = at.map_segments(conv)
    note("t2s_changed", _raw_of(at, _changed_positions(before, at.text)))
    before = at.text
    at = at.translate(_FULLWIDTH)
    at = at.sub(_FULLWIDTH_IN_NUMBER, lambda m: "." if m.group(0) == "。" else chr(ord(m.group(0)) - 0xFEE0))
    note("fullwidth_folded", _raw_of(at, _changed_positions(before, at.text)))
    return at


#: Decorative symbols a spam template scatters through the text (万所◈✿✿★,增长1.38%): runs of Unicode
#: "other symbols" go, except ○/◯ (a zero in 二○二○年) and ℃.
_DECORATIONS = regex.compile(r"[\p{So}--[○◯℃]]+", regex.V1)


def drop_decorations(at: AlignedText, events: dict[str, list[int]]) -> AlignedText:
    """Remove decorative symbol runs (see :data:`_DECORATIONS`), noting their raw offsets."""
    found = [int(at.raw[m.start()]) for m in _DECORATIONS.finditer(at.text)]
    events.setdefault("decorations_removed", []).extend(found)
    return at.sub(_DECORATIONS, "") if found else at


def tidy_lines(at: AlignedText) -> AlignedText:
    """Strip each line's indentation and trailing space, drop blank lines."""
    text = at.text
    mask = np.zeros(len(text), dtype=bool)
    for s, e in iter_lines(text):
        line = text[s:e]
        if not line.strip():
            continue
        ls = s + len(line) - len(line.lstrip())
        le = s + len(line.rstrip())
        mask[ls:le] = True
        if e < len(text):
            mask[e] = True  # the newline
    out = keep_mask(at, mask)
    return out.strip()


def _count_in(raw: list[int], lo: int, hi: int) -> int:
    arr = np.asarray(sorted(raw), dtype=np.int64)
    return int(np.searchsorted(arr, hi, "left") - np.searchsorted(arr, lo, "left"))


def _heads_in(at: AlignedText, heads: list[tuple[int, NewsItemHead]]) -> list[NewsItemHead]:
    """News item heads found before boilerplate removal, moved to their place in ``at`` (by the raw
    offset of the title); all or none: if a title did not survive intact, the page is not split."""
    out: list[NewsItemHead] = []
    for raw, head in heads:
        i = int(np.searchsorted(at.raw, raw))
        if i >= len(at) or int(at.raw[i]) != raw or not at.text.startswith(head.title, i):
            return []
        out.append(NewsItemHead(i, head.title, head.year))
    return out


def _year_of(span: ArticleSpan, title: str, text: str, published: int | None) -> int | None:
    """A document's year, the base of its 今年/去年: a news list item's date, else the year its
    title names, else the page's posting date (codebook: a news item's own publication date), else
    the year of its opening lines."""
    if span.year is not None:
        return span.year
    return document_year(title, "") or published or document_year(title, text)


def clean_page(page: Page) -> list[Document]:
    """Clean one page into its documents (one per article); pure, no file access.

    Raises :class:`CleanError` (reason ``empty``, ``binary`` or ``undecodable``) when the bytes
    are not text. A document with no text left is returned with ``kept=False, drop_reason="empty"``.
    """
    raw_text, encoding, replaced = decode_page_counted(page.data)
    content_hash = hashlib.sha1(page.data).hexdigest()
    at = AlignedText.from_raw(raw_text)
    is_html = looks_like_html(raw_text, page.path)
    counters: Counter = Counter()
    if is_html:
        at = html_to_text(at, counters)
    events: dict[str, list[int]] = {}
    if replaced:  # bytes invalid in the encoding, read as U+FFFD: counted in the stats of their document
        events["replaced_chars"] = [i for i, ch in enumerate(raw_text) if ch == "\ufffd"]
    at = drop_decorations(normalize_text(at, events), events)
    heads = [(int(at.raw[h.start]), h) for h in news_item_heads(at.text)]  # before 发布时间 lines go
    published = publication_year(at.text)
    at, dropped = strip_boilerplate(at, counters)
    events["boilerplate_lines"] = dropped
    at = unwrap_lines(rejoin_flat_tables(tidy_lines(at)))
    spans = split_articles(at.text, _heads_in(at, heads))
    headline = _html_headline(raw_text, at.text) if is_html and len(spans) == 1 else ""
    site = _normalized(html_title(raw_text, whole=True)) if is_html else ""
    page_title = _normalized(html_title(raw_text)) if is_html else ""
    docs: list[Document] = []
    starts = [0] + [int(at.raw[s.start]) if s.start < len(at) else len(raw_text) for s in spans[1:]]
    for i, span in enumerate(spans):
        part = at[span.start:span.end].strip()
        lo = starts[i]
        hi = starts[i + 1] if i + 1 < len(spans) else len(raw_text)
        stats = {"chars_raw": hi - lo, "chars_clean": len(part), "html": int(is_html),
                 "page_html_link_lines": counters["boilerplate:html.link_list"]}
        for kind in ("variants_mapped", "pinyin_removed", "t2s_changed", "fullwidth_folded", "decorations_removed",
                     "noise_tokens_removed", "boilerplate_lines"):
            stats[kind] = _count_in(events.get(kind, []), lo, hi)
        if replaced:
            stats["replaced_chars"] = _count_in(events["replaced_chars"], lo, hi)
        oc, orw = part.anchors()
        title = headline or span.title or page_title
        docs.append(Document(
            doc_id=f"{page.source}#{i}", source=page.source, path=page.path, index=i,
            title=title, text=part.text, encoding=encoding, content_hash=content_hash,
            offset_clean=oc, offset_raw=orw, kept=bool(part.text), drop_reason=None if part.text else "empty",
            year=_year_of(span, title, part.text, published), stats=stats,
        ))
        locate_document(docs[-1], site)
    return docs


#: Fewest characters of an <h2> taken as a page's headline.
H2_TITLE_MIN = 8


def _normalized(text: str) -> str:
    """``text`` (a title from the HTML head) with the characters normalised as the page's text is."""
    return normalize_text(AlignedText.from_raw(text)).text if text else ""


def _html_headline(raw_text: str, clean_text: str) -> str:
    """A one-article HTML page's headline (:func:`html_headlines`), normalised as the text is, when it
    stands as a line of the clean text: a better title than the first title-like line, which may be
    a menu item or a motto."""
    h1, heads = html_headlines(raw_text)
    for head in heads:
        line = _normalized(head).strip()
        # an <h1> is the headline; an <h2> only when it reads like a report's or a news item's title,
        # longer than a side bar's heading (相关新闻, 联系方式)
        if line and regex.search(rf"(?m)^\s*{regex.escape(line)}\s*$", clean_text) and (
                h1 or (len(line) >= H2_TITLE_MIN and is_title_like(line))):
            return line
    return ""


def clean_pages(pages: Iterable[Page], counters: Counter | None = None) -> list[Document]:
    """Clean a batch of pages; ``counters`` counts pages, documents kept and dropped by reason.

    A page that raises :class:`CleanError` is counted (``pages_failed:<reason>``) and skipped;
    the runner, which owns the errors table, should call :func:`clean_page` itself to record it.
    """
    counters = counters if counters is not None else Counter()
    out: list[Document] = []
    for page in pages:
        counters["pages"] += 1
        try:
            docs = clean_page(page)
        except CleanError as exc:
            counters[f"pages_failed:{exc.reason}"] += 1
            continue
        for doc in docs:
            counters["documents_kept" if doc.kept else f"documents_dropped:{doc.drop_reason}"] += 1
        out.extend(docs)
    return out
