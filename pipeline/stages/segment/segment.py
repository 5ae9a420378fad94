"""Segment stage: a cleaned document into sentences (with their section heading) and jieba tokens.

Sentences end at 。！？!?；; and at line breaks. The ASCII comma (the seeds'
Chinese comma) and the full stop inside numbers (12.5%) never split. Each
sentence keeps its clean offsets, its raw offsets (through the document's
offset map) and ``heading``: the nearest preceding section heading line
(``一、2011年主要工作开展情况``, ``(二)…``, ``第三篇…``), which the extractor uses
for year context.

Tokens are jieba's words (accurate mode, HMM), made by jieba-rs (``rjieba``,
jieba's dictionary and algorithm in Rust; :func:`jieba_cut` mends the few cuts
where it differs from jieba_fast), one tokenizer per process, loaded on first
use with the user dictionary rules/userdict.txt so indicator terms (毛入园率,
大班额, 特岗教师, 生均公用经费 …) come out whole.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
import sys
from bisect import bisect_left
from collections.abc import Callable
from functools import cache
from itertools import accumulate, compress
from typing import TYPE_CHECKING, Any

import regex

from pipeline.records import Document, Sentence, Token
from pipeline.ruleset.rulefiles import RuleError, rule_path
from pipeline.text.aligned import map_span

if TYPE_CHECKING:  # pragma: no cover
    import jieba

#: Version of this stage's code: bump when the sentence or token rules change.
SEGMENT_VERSION = "segment-1"

#: The user dictionary in rules/.
USERDICT = "userdict.txt"

#: Characters that end a sentence (kept at the end of the sentence they close).
SENTENCE_END = "。！？!?；;"

#: A heading line is at most this long: the seeds' headings are 6-40 characters, their
#: paragraphs that merely begin with a marker (``(一)全面加强…。伊犁州…``) run to hundreds.
MAX_HEADING_CHARS = 60

_SENTENCE = regex.compile(rf"[^\n{SENTENCE_END}]*(?:[{SENTENCE_END}]+|\n|$)")

# Section heading markers: 第三篇 / 第二章, 一、, (二) / （二）, 1、 / 1. (not a decimal like 1.5).
_HEADING = regex.compile(
    r"^\s*(?:第[一二三四五六七八九十百零〇\d]+[篇章节部分]"
    r"|[一二三四五六七八九十]+\s*[、.．]"
    r"|[(（]\s*[一二三四五六七八九十\d]+\s*[)）]"
    r"|\d{1,2}\s*[、．]|\d{1,2}\.(?!\d))"
)
# A terminator followed by more text means the line is a paragraph, not a heading.
_INNER_END = regex.compile(rf"[{SENTENCE_END}]\s*\S")
_CONTENT = regex.compile(r"[\p{L}\p{N}]")


def heading_of_line(line: str, next_line: str | None = None) -> str | None:
    """The heading text when ``line`` is a section heading line, else None.

    A marked line that ends like a sentence (``(二)强力推进职业教育园区建设…。``) is a
    heading only when body text follows it (``next_line`` is not another marked
    line): a run of one-sentence items (a plan's list) keeps its section heading.

    >>> heading_of_line("  一、2011年主要工作开展情况")
    '一、2011年主要工作开展情况'
    >>> heading_of_line("(一)全面加强党的建设。伊犁州党委高度重视") is None
    True
    """
    text = line.strip()
    if not text or len(text) > MAX_HEADING_CHARS or not _HEADING.match(text):
        return None
    if _INNER_END.search(text):
        return None
    if text[-1] in SENTENCE_END and next_line is not None and (not next_line.strip() or _HEADING.match(next_line)):
        return None
    return text


def split_sentences(text: str) -> list[tuple[int, int, str | None]]:
    """Sentence spans ``(start, end, heading)`` of a clean text, white space trimmed, empty ones dropped."""
    out: list[tuple[int, int, str | None]] = []
    heading: str | None = None
    lines = text.split("\n")
    following = [""] * len(lines)  # the next non-empty line after each line
    nxt = ""
    for i in range(len(lines) - 1, -1, -1):
        following[i] = nxt
        if lines[i].strip():
            nxt = lines[i]
    line_start = 0
    for line, next_line in zip(lines, following, strict=True):
        found = heading_of_line(line, next_line)
        if found is not None:
            heading = found
        for m in _SENTENCE.finditer(line):
            s, e = m.span()
            if e == s:
                continue
            chunk = m.group(0)
            lead = len(chunk) - len(chunk.lstrip())
            trail = len(chunk) - len(chunk.rstrip())
            if lead + trail >= len(chunk) or not _CONTENT.search(chunk):
                continue
            out.append((line_start + s + lead, line_start + e - trail, heading))
        line_start += len(line) + 1
    return out


def _read_userdict() -> list[tuple[str, int | None, str | None]]:
    path = rule_path(USERDICT)
    words: list[tuple[str, int | None, str | None]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) > 3 or (len(parts) > 1 and not parts[1].isdigit()):
                raise RuleError(f"{path}:{lineno}: expected 'word [freq] [tag]', got {line!r}")
            freq = int(parts[1]) if len(parts) > 1 else None
            tag = parts[2] if len(parts) > 2 else None
            words.append((parts[0], freq, tag))
    return words


@cache
def domain_words() -> frozenset[str]:
    """The terms of the user dictionary."""
    return frozenset(w for w, _, _ in _read_userdict())


def _jieba_name() -> str:
    """jieba_fast (the same algorithm and dictionary in C, ~2.3x faster) when installed, else jieba."""
    from importlib.util import find_spec

    return "jieba_fast" if find_spec("jieba_fast") is not None else "jieba"


def _jieba_module() -> Any:
    """The module of :func:`_jieba_name`."""
    return importlib.import_module(_jieba_name())


def tokenizer_backend() -> str:
    """Names of the jieba implementations in use (part of the segment stage's version), read without
    importing them."""
    from importlib.metadata import version

    return f"rjieba-{version('rjieba')}+{_jieba_name()}"


@cache
def tokenizer() -> jieba.Tokenizer:
    """The process's jieba tokenizer: dictionary loaded once, user dictionary added, logging silenced."""
    module = _jieba_module()
    module.setLogLevel(logging.WARNING)
    logging.getLogger(module.__name__).setLevel(logging.WARNING)
    tk = module.Tokenizer()
    tk.initialize()
    for word, freq, tag in _read_userdict():
        tk.add_word(word, freq, tag)
    return tk


def _plain_lcut(tk: Any) -> Callable[[str], list[str]]:
    """``tk.lcut`` (jieba's accurate mode with HMM) without its generators, for jieba_fast.

    The same steps as ``Tokenizer.cut`` and ``Tokenizer.__cut_DAG`` of jieba_fast, on the
    same module objects (its block patterns, its C DAG/route function, its HMM ``finalseg``),
    filling one list instead of resuming two generators a word: the words are those of
    ``tk.lcut`` (tests/test_segment.py checks it on every seed and dev page). Any other
    tokenizer (plain jieba) keeps ``tk.lcut``.
    """
    module = sys.modules.get(type(tk).__module__)
    dag = getattr(getattr(module, "_jieba_fast_functions", None), "_get_DAG_and_calc", None)
    han, skip, finalseg = (getattr(module, name, None) for name in ("re_han_default", "re_skip_default", "finalseg"))
    if dag is None or han is None or skip is None or finalseg is None:
        return tk.lcut
    han_split, han_match, skip_split, skip_match = han.split, han.match, skip.split, skip.match
    hmm_cut = finalseg.cut
    freq = tk.FREQ

    def lcut(sentence: str) -> list[str]:
        out: list[str] = []
        add, more = out.append, out.extend

        def flush(buf: str) -> None:  # a run of single characters: a word, a dictionary word, or HMM's
            if len(buf) == 1:
                add(buf)
            elif not freq.get(buf):
                more(hmm_cut(buf))
            else:
                more(buf)

        total = float(tk.total)
        for blk in han_split(sentence):
            if not blk:
                continue
            if not han_match(blk):
                for x in skip_split(blk):
                    if skip_match(x):
                        add(x)
                    else:
                        more(x)  # one word a character
                continue
            route: list[int] = []
            dag(freq, blk, route, total)
            x, buf, n = 0, "", len(blk)
            while x < n:
                y = route[x] + 1
                if y - x == 1:
                    buf += blk[x:y]
                else:
                    if buf:
                        flush(buf)
                        buf = ""
                    add(blk[x:y])
                x = y
            if buf:
                flush(buf)
        return out

    return lcut


_LCUT: list[tuple[Any, Callable[[str], list[str]]]] = []

#: Characters that jieba-rs keeps inside a block of Chinese besides the ideographs (jieba_fast's
#: ``re_han_default`` without ``-``): a run of them is cut by the HMM step's ``re_skip``.
_BLOCK_ASCII = regex.compile(r"[a-zA-Z0-9+#&._%\-]+")
#: How jieba_fast cuts such a run: ``-`` alone (outside its blocks), the rest as its HMM step's
#: ``re_skip`` does (jieba-rs leaves that pattern's ``.`` unescaped and has ``-`` in its blocks, so it
#: keeps ``2022-2023`` whole where jieba_fast gives ``2022 - 2023``).
_HMM_SKIP = regex.compile(r"(-|[a-zA-Z0-9]+(?:\.\d+)?%?)")
#: Where the two can differ at all: a letter, one of ``+#&_-``, ``%`` before a digit or two ``.`` in a
#: number (runs of digits, ``.`` and ``%`` otherwise, as in ``12.5%``, they cut alike).
_ASCII_DIFFERS = re.compile(r"[a-zA-Z+#&_\-]|%[0-9]|\.[0-9]*\.")
#: Ideographs whose cut jieba-rs may make differently: outside jieba's block range (U+4E00-U+9FD5, which
#: jieba-rs widens), without an HMM emission probability (ties broken otherwise), or one written three
#: times in a row (教教教: two routes of equal probability, which jieba-rs breaks the other way; every
#: difference in 30,000 random strings of such characters had one). Built on first use.
_UNSURE: list[Any] = []


def _unsure_pattern() -> Any:
    """A pattern finding a character whose cut only jieba itself decides (see ``_UNSURE``)."""
    if not _UNSURE:
        emit_P = importlib.import_module(f"{_jieba_name()}.finalseg").emit_P  # the HMM's table, no dictionary

        known = set().union(*(set(p) for p in emit_P.values()))
        unknown = "".join(chr(c) for c in range(0x4E00, 0x9FD6) if chr(c) not in known)
        _UNSURE.append(re.compile(  # the standard library's sets: one look-up a character
            f"[\u3400-\u4DBF\u9FD6-\u9FFF\uF900-\uFAFF\U00020000-\U0003FFFF{regex.escape(unknown)}]"
            "|([\u4E00-\u9FD5])\\1\\1"))
    return _UNSURE[0]


@cache
def rust_tokenizer() -> Any:
    """The process's jieba-rs (``rjieba``) tokenizer: jieba's dictionary, the domain words added in order."""
    import rjieba  # its import loads jieba's dictionary into a default tokenizer: that one is used

    tk = rjieba._DEFAULT_JIEBA if isinstance(getattr(rjieba, "_DEFAULT_JIEBA", None), rjieba.Jieba) else rjieba.Jieba()
    for word, freq, tag in _read_userdict():
        tk.add_word(word, freq, tag)
    return tk


def _joined_runs(words: list[str], is_word: Callable[[str], bool]) -> list[str]:
    """``words`` with each run of block-ASCII pieces (``2022-2023``) cut again as jieba's HMM step does.

    A dictionary word of two or more characters (``C++``) ends a run, as in jieba, where only single
    characters make a run.
    """
    out: list[str] = []
    run: list[str] = []
    fullmatch = _BLOCK_ASCII.fullmatch
    for word in words:
        if fullmatch(word) and (len(word) == 1 or not is_word(word)):
            run.append(word)
            continue
        if run:
            out += [piece for piece in _HMM_SKIP.split("".join(run)) if piece]
            run = []
        out.append(word)
    if run:
        out += [piece for piece in _HMM_SKIP.split("".join(run)) if piece]
    return out


def _mended(text: str, words: list[str], is_word: Callable[[str], bool]) -> list[str]:
    """jieba-rs's ``words`` of ``text`` with the runs of block-ASCII cut as jieba_fast cuts them.

    Each run of the text is compared with the words that cover it; only a run cut otherwise is
    replaced. A word reaching across a run's end (``T恤``) or a dictionary word inside one (``C++``)
    sends the sentence to :func:`_joined_runs`, which follows jieba's steps word by word.
    """
    bounds = list(accumulate(map(len, words), initial=0))
    out: list[str] | None = None
    done = 0  # words before this index are in ``out`` already
    for m in _BLOCK_ASCII.finditer(text):
        start, end = m.span()
        i, j = bisect_left(bounds, start), bisect_left(bounds, end)
        if bounds[i] != start or j >= len(bounds) or bounds[j] != end:
            return _joined_runs(words, is_word)
        pieces = [piece for piece in _HMM_SKIP.split(m.group()) if piece]
        if words[i:j] == pieces:
            continue
        if any(len(w) > 1 and is_word(w) for w in words[i:j]):
            return _joined_runs(words, is_word)
        if out is None:
            out = []
        out += words[done:i]
        out += pieces
        done = j
    if out is None:
        return words
    out += words[done:]
    return out


def jieba_cut(text: str) -> list[str]:
    """jieba's words of ``text`` (accurate mode, HMM, the domain dictionary), made by jieba-rs.

    jieba-rs has jieba's dictionary and algorithm and is about ten times faster than jieba_fast; where
    it differs, this mends or avoids it: runs of ASCII inside Chinese are cut again with jieba_fast's
    rules, and a text holding an ideograph outside jieba's range or the HMM's table goes to jieba_fast
    itself (tests/test_segment.py: the same words on every sentence of the seed, dev, train and web pages).
    """
    if _unsure_pattern().search(text):
        return _lcut_function()(text)
    words = rust_tokenizer().cut(text)
    if _ASCII_DIFFERS.search(text) is None:
        return words
    return _mended(text, words, rust_tokenizer().has_word)


def _lcut_function() -> Callable[[str], list[str]]:
    """The list-building cut of the process's tokenizer (rebuilt when the tokenizer is)."""
    tk = tokenizer()
    if not _LCUT or _LCUT[0][0] is not tk:
        _LCUT[:] = [(tk, _plain_lcut(tk))]
    return _LCUT[0][1]


def userdict_version() -> str:
    """A short hash of the user dictionary (part of the segment stage's cache key)."""
    return hashlib.sha256(rule_path(USERDICT).read_bytes()).hexdigest()[:16]


#: Sentences with a digit whose jieba words are remembered (oldest forgotten first): the extract
#: stage's mention classifier tokenises the sentences holding numbers again, usually in the same
#: process right after this stage (:func:`pipeline.run.runner.process_shard` runs a shard's stages
#: together), so it finds them here. ~5,000 sentences make a 32-page shard; 16,384 bound the memory.
RECENT_CUTS = 16_384
_recent_cuts: dict[str, list[str]] = {}
_DIGIT = regex.compile(r"\d")


def _cut(text: str) -> list[str]:
    """jieba words of ``text`` (every character, white space included), remembered when it holds a digit."""
    words = _recent_cuts.get(text)
    if words is None:
        words = jieba_cut(text)
        if _DIGIT.search(text):
            if len(_recent_cuts) >= RECENT_CUTS:
                try:
                    del _recent_cuts[next(iter(_recent_cuts))]
                except (KeyError, RuntimeError, StopIteration):  # another thread (Dask threads) got there first
                    pass
            _recent_cuts[text] = words
    return words


class StoredTokens:
    """The tokens table of a batch (its columns) and its sentences, for :func:`tokenize` to take a
    sentence's words from the segment stage's output rather than cut it again (the extract stage
    run alone, on what ``zhibiao segment`` wrote). Indexed on the first look-up."""

    def __init__(self, sentences: list[Sentence], columns: dict[str, list[Any]]) -> None:
        self.sentences, self.columns = sentences, columns
        self._where: dict[str, tuple[int, int, int]] | None = None  # text -> (first token, end, clean start)

    def get(self, text: str) -> list[tuple[str, int, int]] | None:
        """The tokens of a sentence whose text is ``text`` (offsets into it), None when there is none."""
        if self._where is None:
            self._where = {}
            firsts = [i for i, k in enumerate(self.columns.get("index", [])) if k == 0]
            by_id = dict(zip((self.columns["sentence_id"][i] for i in firsts), firsts, strict=True))
            bounds = {first: end for first, end in zip(firsts, [*firsts[1:], len(self.columns["index"])],
                                                           strict=True)}
            for sent in self.sentences:
                first = by_id.get(sent.sentence_id)
                if first is not None:
                    self._where.setdefault(sent.text, (first, bounds[first], sent.start))
        found = self._where.get(text)
        if found is None:
            return None
        first, end, base = found
        cols = self.columns
        return [(w, s - base, e - base) for w, s, e in zip(cols["text"][first:end], cols["start"][first:end],
                                                          cols["end"][first:end], strict=True)]


_stored: list[StoredTokens] = []


def use_stored_tokens(stored: StoredTokens | None) -> None:
    """Let :func:`tokenize` take the words of the batch's sentences from ``stored`` (None: stop)."""
    _stored[:] = [stored] if stored is not None else []


def forget_cuts() -> None:
    """Drop the remembered jieba words (the runner calls this when a shard is done)."""
    _recent_cuts.clear()
    _stored.clear()


def tokenize(text: str, offset: int = 0) -> list[tuple[str, int, int]]:
    """jieba tokens ``(word, start, end)`` of ``text``, white space dropped, offsets shifted by ``offset``.

    Words remembered from the segment stage of the same shard, or stored in the batch's tokens
    table (:func:`use_stored_tokens`), are not cut again.
    """
    if _stored and text not in _recent_cuts:
        found = _stored[0].get(text)
        if found is not None:
            return [(w, s + offset, e + offset) for w, s, e in found] if offset else found
    out: list[tuple[str, int, int]] = []
    pos = offset
    for word in _cut(text):
        end = pos + len(word)
        if not word.isspace():
            out.append((word, pos, end))
        pos = end
    return out


#: The tokens table's columns: the fields of :class:`pipeline.records.Token`, in order.
TOKEN_COLUMNS = ("sentence_id", "doc_id", "index", "text", "start", "end", "in_domain_dict")


def segment_columns(doc: Document) -> tuple[list[Sentence], dict[str, list[Any]]]:
    """Like :func:`segment_document`, with the tokens as columns (``TOKEN_COLUMNS`` → values).

    The runner's path: a document has thousands of tokens, and filling the
    columns a sentence at a time (list extends, no object a token) is several
    times cheaper than a :class:`Token` a row that the table writer takes apart again.
    """
    sentences: list[Sentence] = []
    cols: dict[str, list[Any]] = {name: [] for name in TOKEN_COLUMNS}
    sid_col, doc_col, index_col, text_col, start_col, end_col, dict_col = cols.values()
    in_dict = domain_words().__contains__
    doc_id, source, full = doc.doc_id, doc.source, doc.text
    for i, (start, end, heading) in enumerate(split_sentences(full)):
        sid = f"{doc_id}:{i}"
        raw_start, raw_end = map_span(doc.offset_clean, doc.offset_raw, start, end)
        text = full[start:end]
        sentences.append(Sentence(sid, doc_id, source, i, text, start, end, raw_start, raw_end, heading))
        words = _cut(text)
        bounds = list(accumulate(map(len, words), initial=start))  # clean offset of each word's start, and the end
        space = list(map(str.isspace, words))
        if any(space):  # white space is no token (as in tokenize())
            keep = [not sp for sp in space]
            starts, ends = list(compress(bounds, keep)), list(compress(bounds[1:], keep))
            words = list(compress(words, keep))
        else:
            starts, ends = bounds[:-1], bounds[1:]
        n = len(words)
        sid_col.extend([sid] * n)
        doc_col.extend([doc_id] * n)
        index_col.extend(range(n))
        text_col.extend(words)
        start_col.extend(starts)
        end_col.extend(ends)
        dict_col.extend(map(in_dict, words))
    return sentences, cols


def segment_document(doc: Document) -> tuple[list[Sentence], list[Token]]:
    """Sentences and tokens of a document; offsets into its clean text, raw offsets via its offset map."""
    sentences, cols = segment_columns(doc)
    return sentences, [Token(*row) for row in zip(*cols.values(), strict=True)]
