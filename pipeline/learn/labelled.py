"""The labelled data of the learned models, read from the repository.

- Articles: the documents named by ``corpora/articles/labels.tsv`` with their
  label (education / other / mixed), for the article classifier.
- Mentions: every usable number of the labelled sources (the five seeds in
  ``gold/``, the development pages in ``dev/``, the training pages in
  ``train/``) with its features and its gold label (a code or "none"),
  matched to the gold by quote and value; plus the numbers of the off-topic
  written pages (all "none"). ``heldout/`` is blind and never read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.records import Document, Page
from pipeline.stages.features import article_features, data_hash

DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "corpora"


@dataclass
class LabelledArticle:
    """A document of a labelled page, its label and the page it came from (the fold key)."""

    page: str
    doc: Document
    label: str

    @cached_property
    def feats(self) -> list[str]:
        """The document's :func:`article_features` (computed once, shared by every fold)."""
        return article_features(self.doc.title, self.doc.text)


def read_page(path: Path, corpora: Path) -> Page:
    """A file under ``corpora`` as a :class:`Page` named, like the runner names it, by its stem."""
    return Page(source=path.stem, path=str(path.relative_to(corpora)), data=path.read_bytes())


def load_labelled_articles(corpora: Path = DEFAULT_CORPORA) -> tuple[list[LabelledArticle], str]:
    """The documents named by ``corpora/articles/labels.tsv`` with their labels, and the data hash.

    A ``doc`` of ``*`` labels every document the clean stage finds in the page;
    a number labels that document only (the others of the page are left out).
    """
    from pipeline.stages.clean.clean import clean_page

    labels_path = corpora / "articles" / "labels.tsv"
    hashed: list[str | bytes] = [labels_path.read_bytes()]
    out: list[LabelledArticle] = []
    with labels_path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t") if r and not r[0].lstrip().startswith("#")]
    for lineno, row in enumerate(rows[1:], 2):
        if len(row) < 3 or row[2] not in ("education", "other", "mixed"):
            raise ValueError(f"{labels_path}: row {lineno}: need path, doc, label (education|other|mixed)")
        rel, which, label = row[0], row[1].strip(), row[2]
        path = corpora / rel
        page = read_page(path, corpora)
        hashed.append(page.data)
        docs = [d for d in clean_page(page) if d.text.strip()]
        if which != "*":
            idx = int(which)
            docs = [d for d in docs if d.index == idx]
            if not docs:
                raise ValueError(f"{labels_path}: row {lineno}: {rel} has no document {idx}")
        out.extend(LabelledArticle(rel, d, label) for d in docs)
    return out, data_hash(hashed)


#: Weak labels (the rules' decisions on the education pages of corpora/articles) as extra
#: training data. Off: by nested leave-one-source-out over the eleven sources they lift the
#: classifier alone (F1 0.882 -> 0.889) but the combined F1 stays at rules-only (0.98901 vs
#: 0.98902), and they teach the classifier to copy the rules it should check.
WEAK_LABELS = False


@dataclass
class MentionExample:
    """A number of a labelled source in context, its features and its gold label (code or none)."""

    source: str
    doc: Document
    cand: Any
    feats: list[str]
    hits: list[Any]
    label: str
    on_topic: bool

    @cached_property
    def pairs(self) -> list[tuple[str, list[str]]]:
        """``(code, pair features)`` of every code option of the number (pair model rows)."""
        from pipeline.stages.features import code_options, pair_features

        return [(code, pair_features(self.cand, code, self.feats, self.hits))
                for code in code_options(self.cand, self.hits)]

    @cached_property
    def code_feats(self) -> list[str]:
        """The number's :func:`pipeline.stages.features.code_features` (code model row)."""
        from pipeline.stages.features import code_features

        return code_features(self.cand, self.feats, self.hits) if self.feats else []


def _find_page(corpora: Path, source: str) -> Path:
    for suffix in (".txt", ".html", ".htm"):
        hits = sorted(corpora.rglob(f"{source}{suffix}"))
        if hits:
            return hits[0]
    raise FileNotFoundError(f"no page {source}.txt/.html under {corpora} for gold source {source}")


def _quote_spans(raw: str, quote: str) -> list[tuple[int, int]]:
    spans, i = [], raw.find(quote)
    while quote and i >= 0:
        spans.append((i, i + len(quote)))
        i = raw.find(quote, i + 1)
    return spans


def label_candidates(raw: str, rows: list[tuple[Any, int, int]], gold: list[dict[str, Any]]) -> list[str]:
    """Gold code of each ``(candidate, raw_start, raw_end)``: same unit and value, inside the gold quote.

    Each gold record labels one candidate at most; others get ``none``.
    """
    from pipeline.learn.evaluate import _same_value

    spans = [_quote_spans(raw, g.get("quote") or "") for g in gold]
    used: set[int] = set()
    out = []
    for cand, rs, re_ in rows:
        label = "none"
        for k, g in enumerate(gold):
            # the number as written: a decrease's gold value is signed (减少412人 is -412), the number is not
            if k in used or g["unit"] != cand.unit or not _same_value(abs(g["value"]), abs(cand.quantity.value)):
                continue
            if any(s <= rs and re_ <= e for s, e in spans[k]):
                label = g["indicator"]
                used.add(k)
                break
        out.append(label)
    return out


def gold_sets(corpora: Path, gold_dir: Path, dev: Path | None = None, train: Path | None = None,
              web: Path | None = None) -> list[tuple[Path, Path]]:
    """The ``(pages, gold)`` folders of the mention classifier's labelled sources: the seeds
    (``corpora``, ``gold_dir``), the development pages (``dev/pages``, ``dev/gold``, default
    ``dev/`` beside ``gold_dir``) and the training pages (``train/pages``, ``train/gold``, default
    ``train/`` beside ``gold_dir``; written for the learned models, the rules are never tuned on
    them) and the web pages (``web/pages``, ``web/gold``) when they exist. Never ``heldout/``: that
    set is blind."""
    dev = dev if dev is not None else gold_dir.parent / "dev"
    train = train if train is not None else gold_dir.parent / "train"
    web = web if web is not None else gold_dir.parent / "web"
    sets = [(corpora, gold_dir)]
    for extra in (dev, train, web):
        if (extra / "pages").is_dir() and (extra / "gold").is_dir() and extra.name != "heldout" \
                and (extra / "pages", extra / "gold") not in sets:
            sets.append((extra / "pages", extra / "gold"))
    return sets


def collect_mentions(corpora: Path, gold_dir: Path, dev: Path | None = None, train: Path | None = None,
                     web: Path | None = None) -> tuple[list[MentionExample], list[dict[str, Any]], str]:
    """Every usable number of the gold sources with features and label; the gold; the data hash.

    The sources are those of :func:`gold_sets` (seeds, dev, train and web pages).
    """
    from pipeline.learn.evaluate import load_gold
    from pipeline.stages.clean.clean import clean_page
    from pipeline.stages.clean.encoding import decode_page
    from pipeline.stages.clean.topic import is_on_topic
    from pipeline.stages.extract.extract import candidates
    from pipeline.stages.extract.mention_model import candidate_context, usable
    from pipeline.stages.segment.segment import segment_document
    from pipeline.text.aligned import map_span

    gold: list[dict[str, Any]] = []
    where: dict[str, tuple[Path, Path]] = {}
    for pages, gdir in gold_sets(corpora, gold_dir, dev, train, web):
        for g in load_gold(gdir):
            if where.setdefault(g["source"], (pages, gdir)) != (pages, gdir):
                raise ValueError(f"gold source {g['source']} is in both {where[g['source']][1]} and {gdir}")
            gold.append(g)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for g in gold:
        by_source.setdefault(g["source"], []).append(g)
    examples: list[MentionExample] = []
    hashed: list[str | bytes] = []
    for source in sorted(by_source):
        pages, gdir = where[source]
        path = _find_page(pages, source)
        page = read_page(path, pages)
        hashed += [page.data, (gdir / f"{source}.jsonl").read_bytes()]
        raw, _ = decode_page(page.data)
        for doc in clean_page(page):
            on_topic = is_on_topic(doc)[0]
            sentences, _tokens = segment_document(doc)
            everything = candidates(doc, sentences)
            cands = [c for c in everything if usable(c)]
            rows = [(c, *map_span(doc.offset_clean, doc.offset_raw, c.start, c.end)) for c in cands]
            labels = label_candidates(raw, rows, by_source[source])
            feats, hits = candidate_context(cands, everything, all_numbers=True)
            examples += [MentionExample(source, doc, c, f, h, lab, on_topic)
                         for c, f, h, lab in zip(cands, feats, hits, labels, strict=True)]
    return examples, gold, data_hash(hashed)


def collect_extra_mentions(corpora: Path = DEFAULT_CORPORA, weak: bool = WEAK_LABELS
                           ) -> tuple[list[MentionExample], str]:
    """Extra training numbers from the labelled pages of ``corpora/articles`` (never scored).

    Every number of an off-topic page is "none" (a tax office's 培训1460人次 is no
    teacher training); with ``weak``, numbers of the education pages join too,
    labelled by the rules' decision. They are on the training side of every
    leave-one-source-out fold.
    """
    from pipeline.stages.extract.extract import candidates
    from pipeline.stages.extract.mention_model import candidate_context, usable
    from pipeline.stages.segment.segment import segment_document

    articles, digest = load_labelled_articles(corpora)
    examples: list[MentionExample] = []
    for a in articles:
        if not a.page.startswith("articles/") or a.label == "mixed" or (a.label == "education" and not weak):
            continue
        sentences, _tokens = segment_document(a.doc)
        everything = candidates(a.doc, sentences)
        cands = [c for c in everything if usable(c)]
        feats, hits = candidate_context(cands, everything, all_numbers=True)
        for c, f, h in zip(cands, feats, hits, strict=True):
            label = c.indicator if a.label == "education" and c.rule is not None and c.indicator else "none"
            examples.append(MentionExample(a.page, a.doc, c, f, h, label, a.label == "education"))
    return examples, digest
