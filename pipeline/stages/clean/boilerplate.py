"""Site chrome and spam removal driven by rules/boilerplate.yaml.

A page's text is judged line by line (after character normalisation, so the
rules are written in simplified Chinese with half-width digits). A rule drops
a whole line (``line``), a heading and the short link lines after it
(``block``), or deletes the matched text inside a line (``inline``). Rules of
scope ``article`` are article headings, used by :mod:`pipeline.stages.clean.articles`.
A line holding an education number is never dropped: :data:`EDU_NUMBER`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np
import regex

from pipeline.ruleset.rulefiles import RuleError, load_yaml_records
from pipeline.text.aligned import AlignedText

RULE_FILE = "boilerplate.yaml"
SCOPES = ("line", "block", "inline", "article")

#: A number followed by a unit the codebook reads (or 百分之…): lines holding one are never dropped.
#: Only whether it occurs matters, so the pattern starts at the number's last digit (a number
#: ``\d[\d.,]*\d`` before the unit matches exactly where its last digit does), and the white
#: space is taken possessively: linear time on any line (a run of ``1.1.1.…`` took cubic time).
EDU_NUMBER = regex.compile(r"\d\s*+(?:多|余)?+\s*+(?:万|亿)?+\s*+(?:%|百分点|人次|人|名|所|元|个|班|处)|百分之")

#: A line after a link-list heading is a link title when it is at most this long and has no
#: sentence punctuation (link titles in the seeds are 5-33 characters; body lines run to hundreds).
MAX_LINK_LINE = 50
_SENTENCE_PUNCT = regex.compile(r"[。；;！!？?]")


@dataclass(frozen=True)
class BoilerplateRule:
    """One rule of rules/boilerplate.yaml, compiled."""

    id: str
    pattern: regex.Pattern
    scope: str
    max_len: int | None
    note: str

    def matches(self, line: str) -> regex.Match | None:
        """The rule's match in ``line`` (stripped), honouring ``max_len``."""
        if self.max_len is not None and len(line) > self.max_len:
            return None
        return self.pattern.search(line)


@cache
def boilerplate_rules() -> tuple[BoilerplateRule, ...]:
    """All rules of rules/boilerplate.yaml, validated and compiled (loaded once per process)."""
    schema = {"id": str, "pattern": str, "scope": str, "note": str, "max_len": int}
    records = load_yaml_records(RULE_FILE, schema, required=("id", "pattern", "scope", "note"), key="id")
    rules = []
    for rec in records:
        where = f"{RULE_FILE}:{rec['_line']}"
        if rec["scope"] not in SCOPES:
            raise RuleError(f"{where}: scope '{rec['scope']}' is not one of {list(SCOPES)}")
        try:
            pat = regex.compile(rec["pattern"])
        except regex.error as exc:
            raise RuleError(f"{where}: bad pattern: {exc}") from exc
        if rec["scope"] == "article" and "title" not in pat.groupindex:
            raise RuleError(f"{where}: an article rule needs a (?P<title>…) group")
        rules.append(BoilerplateRule(rec["id"], pat, rec["scope"], rec.get("max_len"), rec["note"]))
    return tuple(rules)


def rules_of(scope: str) -> tuple[BoilerplateRule, ...]:
    """The rules of one scope."""
    return tuple(r for r in boilerplate_rules() if r.scope == scope)


def has_edu_number(text: str) -> bool:
    """True when ``text`` holds a number with a codebook unit (such a line is never dropped)."""
    return EDU_NUMBER.search(text) is not None


def is_link_line(line: str) -> bool:
    """A short line without sentence punctuation or education number: a link title in a list."""
    return 0 < len(line) <= MAX_LINK_LINE and not _SENTENCE_PUNCT.search(line) and not has_edu_number(line)


def iter_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line of ``text``, the newline excluded."""
    spans = []
    start = 0
    for m in regex.finditer(r"\n", text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def keep_mask(at: AlignedText, mask: np.ndarray) -> AlignedText:
    """The characters of ``at`` where ``mask`` is true, alignment kept."""
    if mask.all():
        return at
    codes = np.frombuffer(at.text.encode("utf-32-le"), dtype=np.uint32)
    return AlignedText(codes[mask].tobytes().decode("utf-32-le"), at.raw[mask])


def strip_boilerplate(at: AlignedText, counters: Counter | None = None) -> tuple[AlignedText, list[int]]:
    """Remove chrome and spam lines; returns the new text and the raw offsets of the dropped lines.

    ``counters`` (if given) counts ``boilerplate:<rule id>`` per dropped line or inline deletion and
    ``boilerplate_protected:<rule id>`` for lines kept because they hold an education number.
    """
    counters = counters if counters is not None else Counter()
    text = at.text
    mask = np.ones(len(text), dtype=bool)
    dropped: list[int] = []
    line_rules = [r for r in boilerplate_rules() if r.scope in ("line", "block")]
    inline_rules = rules_of("inline")
    article_rules = rules_of("article")
    in_block: str | None = None
    for start, end in iter_lines(text):
        raw_line = text[start:end]
        line = raw_line.strip()
        if not line:
            continue
        lead = start + (len(raw_line) - len(raw_line.lstrip()))
        if any(r.matches(line) for r in article_rules):
            in_block = None
            continue
        hit = next((r for r in line_rules if r.matches(line)), None)
        if hit is not None and has_edu_number(line):
            counters[f"boilerplate_protected:{hit.id}"] += 1
            hit = None
        if hit is not None:
            in_block = hit.id if hit.scope == "block" else in_block
        elif in_block is not None and is_link_line(line):
            mask[start:end + 1] = False
            dropped.append(int(at.raw[lead]))
            counters[f"boilerplate:{in_block}"] += 1
            continue
        elif in_block is not None and len(line) <= MAX_LINK_LINE and not _SENTENCE_PUNCT.search(line):
            counters[f"boilerplate_protected:{in_block}"] += 1  # a link title with a number: kept
            continue
        else:
            in_block = None
        if hit is not None:
            mask[start:end + 1] = False
            dropped.append(int(at.raw[lead]))
            counters[f"boilerplate:{hit.id}"] += 1
            continue
        for rule in inline_rules:
            for m in rule.pattern.finditer(line):
                if has_edu_number(m.group(0)):
                    continue
                mask[lead + m.start():lead + m.end()] = False
                counters[f"boilerplate:{rule.id}"] += 1
    return keep_mask(at, mask[:len(text)]), dropped
