"""Where a value is from: a document's place and a value's place, resolved to the national division
list (:mod:`pipeline.stages.clean.divisions`; codebook v1.3).

:func:`document_region` gives a document's place (from its title, opening lines, issuing body,
body text or site name); :func:`record_region` a value's place (its sentence, else the document's).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import islice
from typing import NamedTuple

import regex

from pipeline.records import Document, Indicator, Sentence
from pipeline.stages.clean.articles import reporting_year
from pipeline.stages.clean.divisions import (
    NATIONAL_CODE,
    Division,
    DivisionList,
    PlaceHit,
    Resolution,
    division_list,
)
from pipeline.stages.clean.doctypes import report_type

#: Words just before a place that make it a destination or a partner, not the subject of the
#: value: 赴江苏参加集训, 上报四川省, 来自北京, 与奉化区结对.
_NOT_SUBJECT = regex.compile(r"(?:赴|到|向|往|去|至|上报|报送|推荐|来自|与|和|同|被|获|荣获|评为|参加|前往|援助|对口|指导|帮扶)$")



# --- documents ----------------------------------------------------------------------------------

#: Lines read as a document's opening (after its title), each up to its first full stop and at
#: most OPENING_CHARS characters: the opening names the place (霍邱县2020年…), the body goes on.
OPENING_LINES = 2
OPENING_CHARS = 80
_SENTENCE_END = regex.compile(r"[。!！?？]")
#: An issuing body right after a place: 霍邱县教育体育局, 达州市人民政府, 四川省教育厅.
_ISSUER = regex.compile(r"(?:人民政府|政府|教育局|教育体育局|教育和体育局|教体局|教育科技局|教育厅|教育委员会|教委|"
                        r"人大常委会|人大|督导室|督导委员会|财政局|统计局|政府办公室)")
#: A document's body names its place at least this often (once is enough when it names no other
#: place and its self words fit: 我省 … 浙江), and in at least this share of its place names (a
#: report that lists 新泰市、宁阳县、肥城市 is about none of them).
BODY_MIN_COUNT = 2
BODY_MIN_SHARE = 0.5
#: Division levels a self word's last character fits (我省 a province; 全市 a prefecture or a
#: county-level city; 全区 a county-level district or an autonomous region).
_SELF_LEVELS = {"省": (1,), "州": (2,), "盟": (2,), "直": (2,), "市": (2, 3), "县": (3,), "旗": (3,), "区": (1, 3)}


def _first_place(dl: DivisionList, text: str, context: str | None = None) -> tuple[str, Resolution] | None:
    """The first place expression of a title or opening line that says where the document is:
    a name (resolved or ambiguous), 全国, or an anonymised place; self words say nothing here."""
    for hit in dl.scan(text):
        if hit.cited:
            continue
        if hit.kind == "anonymised":
            return "anonymised", Resolution()
        if hit.kind == "national":
            return "national", dl.resolution(NATIONAL_CODE)
        if hit.kind == "name":
            codes = dl.pick(hit.codes, context)
            if len(codes) == 1:
                return "name", dl.resolution(codes[0])
            return "ambiguous", dl.resolution(None, candidates=codes)
    return None


#: What follows a two-character county name that starts a title: not 域/级/城/委 (县域, 县级).
_AFTER_LEADING_COUNTY = regex.compile(r"[^域级城委直区长]")


def _fits_self(selves: list[str], div: Division) -> bool:
    """Whether a place can be what a title's self word (全市, 全县) names: its level fits, and a
    市/县/区 name ends with the same word (全市 is no 城固县)."""
    if not selves:
        return True
    word = selves[0]
    if div.level not in _SELF_LEVELS.get(word, (1, 2, 3)):
        return False
    return not (word in "县市区" and div.name[-1] in "县市区旗" and div.name[-1] != word)


def _leading_county(dl: DivisionList, title: str, context: str | None) -> tuple[str, Resolution] | None:
    """A title that starts with a county's two-character name (洋县2024年高考再创佳绩, 勉县召开…), resolved
    with ``context`` (the body's or the site's place) when the name is shared."""
    head = title.strip()[:2]
    codes = dl.two_char.get(head)
    if not codes or not _AFTER_LEADING_COUNTY.match(title.strip(), 2):
        return None
    picked = dl.pick(codes, context)
    return ("name", dl.resolution(picked[0])) if len(picked) == 1 else None


def _title_subject(dl: DivisionList, title: str) -> str:
    """The part of a title that says where the document is: after 关于 when an issuing body of a
    place writes about a place inside its own (临沂市…督导委员会办公室关于沂南县…的反馈意见: 沂南县),
    else the whole title."""
    at = title.find("关于")
    if at < 0:
        return title
    issuer = next((h for h in dl.scan(title[:at]) if h.kind == "name" and not h.cited and _ISSUER.match(title, h.end)),
                  None)
    subject = next((h for h in dl.scan(title[at:]) if h.kind == "name" and not h.cited), None)
    if issuer is None or subject is None or len(issuer.codes) != 1:
        return title
    inside = [c for c in subject.codes if c != issuer.codes[0] and dl.within(c, issuer.codes[0])]
    return title[at:] if len(inside) == 1 else title


def _body_place(dl: DivisionList, text: str, hits: list[PlaceHit]) -> str | None:
    """The place a body names most (see BODY_MIN_COUNT and BODY_MIN_SHARE), when the words the
    body uses for its own place fit its level: a 我省 report that names 郑州 twice is about a
    province, not about 郑州."""
    counts: Counter[str] = Counter()
    selves: Counter[str] = Counter()
    for hit in hits:
        if hit.cited:
            continue
        if hit.kind == "name" and len(hit.codes) == 1 and _subject(hit, text):
            counts[hit.codes[0]] += 1
        elif hit.kind in ("self", "province_self"):
            selves[hit.text[-1]] += 1
    if not counts:
        return None
    top = counts.most_common()
    best, n = top[0]
    if n < BODY_MIN_SHARE * sum(counts.values()) or n < BODY_MIN_COUNT and (len(top) > 1 or not selves):
        return None
    if selves and dl.by_code[best].level not in _SELF_LEVELS.get(selves.most_common(1)[0][0], (1, 2, 3)):
        return None
    return best


def document_region(title: str, text: str, site: str = "") -> Resolution:
    """A document's place: the first place its title names, else its opening lines, else the
    issuing body named in it (霍邱县教育体育局), else the place its body names most.

    An anonymised place (某县, xx市) in the title or opening makes it null; so does a name
    shared by several places that the body does not tell apart (``candidates`` lists them).
    Last, ``site``: the HTML page's whole <title> (教育_隆回年鉴_隆回县人民政府门户网站), whose site
    name says whose pages these are.
    """
    dl = division_list()
    lines = (line.strip() for line in text.splitlines())
    opening = [_SENTENCE_END.split(line, 1)[0][:OPENING_CHARS]
               for line in islice((line for line in lines if line and line != title.strip()), OPENING_LINES)]
    hits = dl.scan(text)
    body_code = _body_place(dl, text, hits)
    selves = [h.text[-1] for h in dl.scan(title) if h.kind in ("self", "province_self")]
    on_site = _first_place(dl, site) if site else None
    site_code = on_site[1].region_code if on_site is not None and on_site[0] == "name" else None
    for method, zone in (("title", _title_subject(dl, title)), *(("opening", line) for line in opening)):
        found = _first_place(dl, zone, body_code)
        if found is None and method == "title":
            found = _leading_county(dl, zone, body_code or site_code)
        if found is None:
            continue
        kind, res = found
        if method == "opening" and kind == "name" and res.region_code is not None and not _fits_self(
                selves, dl.by_code[res.region_code]):
            continue  # 全市31所新建中小学…: an opening's 其中城固县5所 is no city
        if method == "opening" and kind == "name" and res.region_code is not None:
            # the opening may set the scene (2023年江西省高考成绩揭晓): the body or the site says which part of it
            inner = next(((code, how) for code, how in ((body_code, "body"), (site_code, "site"))
                          if code is not None and code != res.region_code and dl.within(code, res.region_code)), None)
            if inner is not None:
                return dl.resolution(*inner)
        res.method = method
        return res
    issuers: Counter[str] = Counter()
    for hit in hits:
        if hit.kind == "name" and _ISSUER.match(text, hit.end):
            codes = dl.pick(hit.codes, body_code)
            if len(codes) == 1:
                issuers[codes[0]] += 1
    if issuers:
        return dl.resolution(issuers.most_common(1)[0][0], "issuer")
    if body_code is not None:
        return dl.resolution(body_code, "body")
    if sum(h.kind == "national" for h in hits) >= BODY_MIN_COUNT and not any(
            h.kind in ("self", "province_self", "name") for h in hits):
        return dl.resolution(NATIONAL_CODE, "body")  # a national article: 全国 and no place of its own
    if site_code is not None:
        return dl.resolution(site_code, "site")
    return Resolution()


# --- records ------------------------------------------------------------------------------------

_CLAUSE_END = regex.compile(r"[，,、。；;：:!！?？]")
#: After a place above the document's: the subject belongs to that place (江西省属高校, 省级).
_OWNS = regex.compile(r"属|级|直属")


def _subject(hit: PlaceHit, sentence: str) -> bool:
    """Whether a place can be what a value is about: not a destination or partner (赴江苏, 与…)."""
    return not _NOT_SUBJECT.search(sentence, max(0, hit.start - 3), hit.start)


class SentencePlaces(NamedTuple):
    """What :func:`record_region` reads of a sentence, whatever the number: its place expressions
    (not cited, a subject) and the offsets of its clause breaks."""

    hits: list[PlaceHit]
    breaks: list[int]


def sentence_places(sentence: str) -> SentencePlaces:
    """The :class:`SentencePlaces` of a sentence (made once for all its records)."""
    return SentencePlaces([h for h in division_list().scan(sentence) if not h.cited and _subject(h, sentence)],
                          [m.start() for m in _CLAUSE_END.finditer(sentence)])


def record_region(sentence: str, q_start: int, q_end: int, doc: Resolution,
                  places: SentencePlaces | None = None) -> Resolution:
    """The place a value is about: the place named in the number's clause (投资500万元昭苏县职业
    技术学校…), else the nearest before it in its sentence, else the document's. A clause that
    names several places gives the smallest place holding them all (null across provinces).

    全县/我市 and the like give the document's place, 全省 the document's province, 全国 100000;
    an anonymised place gives null, and so does a name of several places that the document's
    place does not tell apart. A place above the document's (南宁市 in a 横州市 report, 四川省 in
    推荐上报四川省骨干教师) leaves the value the document's, unless it owns the subject (江西省属高校).
    ``places``: :func:`sentence_places` of the sentence, when the caller has them.
    """
    dl = division_list()
    hits, breaks = places if places is not None else sentence_places(sentence)
    k = bisect_right(breaks, q_start - 1)  # breaks[:k] lie before the number: its clause starts after them
    lo = breaks[k - 1] + 1 if k else 0
    k = bisect_left(breaks, q_end)
    hi = breaks[k] if k < len(breaks) else len(sentence)
    clause = [h for h in hits if lo <= h.start < hi]
    before = [h for h in hits if h.end <= q_start]
    places = sorted({h.codes[0] for h in clause if h.kind == "name" and len(h.codes) == 1})
    if len(places) > 1:  # 京口区象山幼儿园(新建)润州区…9所幼儿园: a total over its places
        common = dl.common_ancestor(places)
        return dl.resolution(common) if common else Resolution()
    hit = clause[0] if clause else before[-1] if before else None
    if hit is None or hit.kind == "self":
        return doc
    if hit.kind == "national":
        return dl.resolution(NATIONAL_CODE)
    if hit.kind == "anonymised":
        return Resolution()
    if hit.kind == "province_self":
        if doc.region_code is None or doc.region_code == NATIONAL_CODE:
            return Resolution()
        return dl.resolution(dl.province(doc.region_code))
    codes = dl.pick(hit.codes, doc.region_code)
    if len(codes) != 1:
        return dl.resolution(None, candidates=codes)
    code = codes[0]
    if doc.region_code not in (None, NATIONAL_CODE) and code in dl.ancestors(doc.region_code) \
            and not _OWNS.match(sentence, hit.end):
        return doc
    return dl.resolution(code)


# --- hooks of the clean and extract stages ------------------------------------------------------

def locate_document(doc: Document, site: str = "") -> Document:
    """Set a document's place (region, region_code, region_method, region_candidates), its
    report_type and reporting_year (codebook v1.3: :func:`pipeline.stages.clean.articles.reporting_year`).
    ``site``: the HTML page's <title>, read for the place last (:func:`document_region`)."""
    res = document_region(doc.title, doc.text, site)
    doc.region, doc.region_code, doc.region_method = res.region, res.region_code, res.method
    doc.region_candidates = res.candidates
    doc.report_type = report_type(doc.title, doc.text)
    doc.reporting_year = reporting_year(doc.title, doc.text)
    return doc


def record_id(rec: Indicator) -> str:
    """A record's stable id: a hash of its source, document, sentence, offsets, code, stage and value."""
    key = "\x1f".join(map(str, (rec.source, rec.doc_id, rec.sentence_id, rec.start, rec.end,
                                rec.indicator, rec.stage, repr(float(rec.value)), rec.unit)))
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def locate_records(doc: Document, sentences: list[Sentence], records: list[Indicator]) -> None:
    """Set each record's region and region_code (its sentence's place, else the document's) and
    its record_id, in place."""
    dl = division_list()
    home = dl.resolution(doc.region_code, doc.region_method, tuple(doc.region_candidates))
    spans = {s.sentence_id: (s.start, s.end) for s in sentences}
    places: dict[tuple[int, int], SentencePlaces] = {}  # a sentence's places: scanned once, not per record
    for rec in records:
        lo, hi = spans.get(rec.sentence_id, (rec.start, rec.end))
        if (lo, hi) not in places:
            places[lo, hi] = sentence_places(doc.text[lo:hi])
        res = record_region(doc.text[lo:hi], rec.start - lo, rec.end - lo, home, places[lo, hi])
        rec.region, rec.region_code = res.region, res.region_code
        rec.record_id = record_id(rec)
