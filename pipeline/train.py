"""Training and leave-one-out evaluation of the learned models (``zhibiao train``).

Everything is rebuilt from files in the repository with a fixed seed:

- the article classifier from ``corpora/articles/labels.tsv`` (seed articles
  named by page and document index, plus the pages written for the corpus),
  judged by leave-one-page-out;
- the mention classifier (:mod:`pipeline.mention_model`) from the gold
  records of the eleven labelled sources (the five seeds, ``gold/``, and the
  six development pages, ``dev/gold``), judged by nested
  leave-one-source-out: each source is scored by a model trained on the
  other ten, with the propose/veto thresholds chosen on held-out scores of
  those ten only (each of them scored by a model trained on the other nine).
  ``heldout/`` is blind and never read.

Training and scoring never share records: in every fold the held-out page
or source contributes nothing to the model that scores it, nor to the
thresholds applied to it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .features import LinearModel, TfidfEncoder, article_features, data_hash, save_model
from .records import Document, Page

#: Fixed seed of every learner (liblinear/lbfgs are deterministic given it).
SEED = 0

#: Inverse regularisation of the article classifier. Leave-one-page-out on the corpus is
#: error-free for C from 10 to 1000; the margin around 0.5 widens with C (held-out
#: education >= 0.72 / other <= 0.46 at C=10; >= 0.93 / <= 0.38 at C=1000), so 1000.
ARTICLE_C = 1000.0

DEFAULT_CORPORA = Path(__file__).resolve().parent.parent / "corpora"


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
    from .clean import clean_page

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


def fit_article_model(articles: list[LabelledArticle]) -> LinearModel:
    """A logistic regression over character n-grams of the labelled documents."""
    from sklearn.linear_model import LogisticRegression

    rows = [a.feats for a in articles]
    enc = TfidfEncoder.fit(rows, min_df=2)
    y = [a.label for a in articles]
    clf = LogisticRegression(C=ARTICLE_C, class_weight="balanced", random_state=SEED, max_iter=2000,
                             solver="liblinear")  # same decisions as lbfgs, 3x faster at this C
    clf.fit(enc.transform(rows), y)
    return LinearModel("article_classifier", enc, [str(c) for c in clf.classes_], clf.coef_.copy(),
                       clf.intercept_.copy(), {})


def evaluate_article_model(articles: list[LabelledArticle],
                           fit: Callable[[list[LabelledArticle]], LinearModel] = fit_article_model
                           ) -> dict[str, Any]:
    """Leave-one-page-out: every page is scored by a model trained on all other pages.

    Besides the accuracy of the whole-document decision, it reports the highest
    section probability of off-topic documents (the section rule must stay
    below :data:`pipeline.topic.SECTION_THRESHOLD`) and whether the ``mixed``
    pages (never trained on) are kept.
    """
    from .topic import MODEL_THRESHOLD, SECTION_THRESHOLD, model_probability, sections

    train = [a for a in articles if a.label in ("education", "other")]
    pages = sorted({a.page for a in articles})
    held: list[dict[str, Any]] = []
    for page in pages:
        model = fit([a for a in train if a.page != page])
        for a in articles:
            if a.page != page:
                continue
            p = model.probability(a.feats, "education")
            sec = max((model_probability(model, "", s) for s in sections(a.doc.text)), default=0.0)
            kept = p >= MODEL_THRESHOLD or sec >= SECTION_THRESHOLD
            held.append({"doc": a.doc.doc_id, "label": a.label, "p_education": round(p, 4),
                         "max_section": round(sec, 4), "correct": kept == (a.label != "other")})
    scored = [h for h in held if h["label"] != "mixed"]
    n_ok = sum(h["correct"] for h in scored)
    on = [h["p_education"] for h in scored if h["label"] == "education"]
    off = [h for h in scored if h["label"] == "other"]
    return {
        "documents": len(scored), "education": len(on), "other": len(off),
        "leave_one_page_out_accuracy": round(n_ok / len(scored), 4) if scored else 0.0,
        "min_p_education_of_education": round(min(on), 4) if on else None,
        "max_p_education_of_other": max((h["p_education"] for h in off), default=None),
        "max_section_of_other": max((h["max_section"] for h in off), default=None),
        "mixed_kept": [h["correct"] for h in held if h["label"] == "mixed"],
        "errors": [h for h in held if not h["correct"]],
    }


def train_article_classifier(corpora: Path = DEFAULT_CORPORA, out: Path | None = None) -> dict[str, Any]:
    """Train on every labelled document, evaluate by leave-one-page-out, save; returns the metadata."""
    articles, digest = load_labelled_articles(corpora)
    metrics = evaluate_article_model(articles)
    model = fit_article_model([a for a in articles if a.label in ("education", "other")])
    meta = {"training_data_hash": digest, "seed": SEED, "C": ARTICLE_C,
            "features": len(model.encoder.vocabulary), "metrics": metrics}
    save_model(model, meta, out)
    return meta


def format_article_metrics(meta: dict[str, Any]) -> str:
    """A short report of the article classifier's leave-one-page-out evaluation."""
    m = meta["metrics"]
    lines = [f"article classifier: {m['documents']} documents ({m['education']} education, {m['other']} other), "
             f"{meta['features']} features, data {meta['training_data_hash']}",
             f"  leave-one-page-out accuracy {m['leave_one_page_out_accuracy']:.3f}; held-out p(education): "
             f"education >= {m['min_p_education_of_education']}, other <= {m['max_p_education_of_other']}; "
             f"sections of other <= {m['max_section_of_other']}; mixed pages kept: {m['mixed_kept']}"]
    lines += [f"  wrong: {e['doc']} ({e['label']}, p={e['p_education']})" for e in m["errors"]]
    return "\n".join(lines)


def train_all(corpora: Path = DEFAULT_CORPORA, gold: Path | None = None, out: Path | None = None,
              only: str | None = None) -> dict[str, Any]:
    """Train (and evaluate) the article and the mention classifier; ``only`` picks one."""
    results: dict[str, Any] = {}
    if only in (None, "article"):
        results["article"] = train_article_classifier(corpora, out)
    if only in (None, "mention"):
        results["mention"] = train_mention_classifier(corpora, gold or corpora.parent / "gold", out)
    return results


# --------------------------------------------------------------------------- mention classifier

#: Inverse regularisation of the mention classifier. Nested leave-one-source-out over the eleven
#: sources (with the rules of 22:00, rules-only 0.9890), C = 3 / 10 / 30: classifier alone F1 0.888 / 0.882 / 0.881, combined 0.9884 / 0.9884 /
#: 0.9890 (rules-only 0.9890): no C makes the combination add, 10 is kept.
MENTION_C = 10.0

#: Thresholds under which the classifier neither proposes nor vetoes (it sets confidence only):
#: the final model's when nested leave-one-source-out shows no gain over the rules.
CONFIDENCE_ONLY = {"propose": 1.01, "veto": 0.0}

#: Class weights of the pair model (None: every pair counts once). "balanced" lifts the classifier
#: alone (F1 0.882 -> 0.886) but vetoes one right record more (combined 0.9884 either way).
CLASS_WEIGHT: dict[str, float] | str | None = None

#: Weak labels (the rules' decisions on the education pages of corpora/articles) as extra
#: training data. Off: by nested leave-one-source-out over the eleven sources they lift the
#: classifier alone (F1 0.882 -> 0.889) but the combined F1 stays at rules-only (0.98901 vs
#: 0.98902), and they teach the classifier to copy the rules it should check.
WEAK_LABELS = False


@dataclass
class MentionExample:
    """A number of a seed source in context, its features and its gold label (code or none)."""

    source: str
    doc: Document
    cand: Any
    feats: list[str]
    hits: list[Any]
    label: str
    on_topic: bool


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
    from .evaluate import _same_value

    spans = [_quote_spans(raw, g.get("quote") or "") for g in gold]
    used: set[int] = set()
    out = []
    for cand, rs, re_ in rows:
        label = "none"
        for k, g in enumerate(gold):
            if k in used or g["unit"] != cand.unit or not _same_value(g["value"], cand.quantity.value):
                continue
            if any(s <= rs and re_ <= e for s, e in spans[k]):
                label = g["indicator"]
                used.add(k)
                break
        out.append(label)
    return out


def gold_sets(corpora: Path, gold_dir: Path, dev: Path | None = None) -> list[tuple[Path, Path]]:
    """The ``(pages, gold)`` folders of the mention classifier's labelled sources: the seeds
    (``corpora``, ``gold_dir``) and the development pages (``dev/pages``, ``dev/gold``, default
    ``dev/`` beside ``gold_dir``) when they exist. Never ``heldout/``: that set is blind."""
    dev = dev if dev is not None else gold_dir.parent / "dev"
    sets = [(corpora, gold_dir)]
    if (dev / "pages").is_dir() and (dev / "gold").is_dir() and dev.name != "heldout":
        sets.append((dev / "pages", dev / "gold"))
    return sets


def collect_mentions(corpora: Path, gold_dir: Path, dev: Path | None = None
                     ) -> tuple[list[MentionExample], list[dict[str, Any]], str]:
    """Every usable number of the gold sources with features and label; the gold; the data hash.

    The sources are those of :func:`gold_sets` (seeds and dev pages), one fold each.
    """
    from .aligned import map_span
    from .clean import clean_page
    from .encoding import decode_page
    from .evaluate import load_gold
    from .extract import candidates
    from .mention_model import candidate_context, usable
    from .segment import segment_document
    from .topic import is_on_topic

    gold: list[dict[str, Any]] = []
    where: dict[str, tuple[Path, Path]] = {}
    for pages, gdir in gold_sets(corpora, gold_dir, dev):
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
            feats, hits = candidate_context(cands, everything)
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
    from .extract import candidates
    from .mention_model import candidate_context, usable
    from .segment import segment_document

    articles, digest = load_labelled_articles(corpora)
    examples: list[MentionExample] = []
    for a in articles:
        if not a.page.startswith("articles/") or a.label == "mixed" or (a.label == "education" and not weak):
            continue
        sentences, _tokens = segment_document(a.doc)
        everything = candidates(a.doc, sentences)
        cands = [c for c in everything if usable(c)]
        feats, hits = candidate_context(cands, everything)
        for c, f, h in zip(cands, feats, hits, strict=True):
            weak = c.indicator if a.label == "education" and c.rule is not None and c.indicator else "none"
            examples.append(MentionExample(a.page, a.doc, c, f, h, weak, a.label == "education"))
    return examples, digest


def mention_pairs(examples: list[MentionExample]) -> tuple[list[list[str]], list[str]]:
    """Training rows of the pair model: one per (number, code option), labelled yes/no."""
    from .features import code_options, pair_features
    from .mention_model import YES

    rows, ys = [], []
    for e in examples:
        for code in code_options(e.cand, e.hits):
            rows.append(pair_features(e.cand, code, e.feats, e.hits))
            ys.append(YES if code == e.label else "no")
    return rows, ys


def fit_mention_model(examples: list[MentionExample], c: float = MENTION_C) -> LinearModel:
    """A logistic regression over (number, code) pairs: is this code the number's indicator?"""
    from sklearn.linear_model import LogisticRegression

    from .features import MENTION_BINARY

    rows, ys = mention_pairs(examples)
    enc = TfidfEncoder.fit(rows, min_df=2, binary=MENTION_BINARY)
    clf = LogisticRegression(C=c, random_state=SEED, max_iter=3000, solver="liblinear", dual=True,
                             class_weight=CLASS_WEIGHT)  # liblinear dual: 10-30x faster than lbfgs here
    clf.fit(enc.transform(rows), ys)
    return LinearModel("mention_classifier", enc, [str(k) for k in clf.classes_], clf.coef_.copy(),
                       clf.intercept_.copy(), {})


def _record(e: MentionExample, code: str, confidence: float, extractor: str) -> dict[str, Any]:
    c = e.cand
    return {"source": e.source, "indicator": code, "value": c.quantity.value, "unit": c.unit, "stage": c.stage,
            "year": c.year, "kind": c.kind or "level", "approx": c.approx, "quote": c.clause,
            "confidence": confidence, "extractor": extractor}


def predictions(examples: list[MentionExample], probs: list[dict[str, float]], mode: str,
                propose: float | None = None, veto: float | None = None) -> list[dict[str, Any]]:
    """Records of on-topic examples by ``mode``: ``rules``, ``classifier`` (alone) or ``combined``.

    Attributes (stage, year, kind, approx) are the rules' for every mode, so
    the modes differ only in which numbers become which indicator.
    """
    from .mention_model import PROPOSE, VETO, considered, decide, usable

    propose = PROPOSE if propose is None else propose
    veto = VETO if veto is None else veto
    out = []
    for e, p in zip(examples, probs, strict=True):
        if not e.on_topic:
            continue
        ruled = e.cand.rule is not None and e.cand.indicator is not None
        if mode == "rules":
            if ruled:
                out.append(_record(e, e.cand.indicator, e.cand.confidence, "rules"))
                out += _shared(e, out[-1])
            continue
        if not (considered(e.cand) if mode == "combined" else usable(e.cand)):
            continue
        d = decide(e.cand.indicator if ruled and mode == "combined" else None, e.cand.confidence, p,
                   propose=propose if mode == "combined" else 0.5, veto=veto)
        if d.indicator is not None:
            out.append(_record(e, d.indicator, d.confidence, d.extractor or ""))
            if d.indicator == e.cand.indicator:
                out += _shared(e, out[-1])
    return out


def _shared(e: MentionExample, rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The extra records of a number shared by several subjects (均达到100%), as the extractor makes them."""
    return [{**rec, "indicator": rule.indicator, "stage": stage} for rule, stage in getattr(e.cand, "shared", [])]


def calibration(gold: list[dict[str, Any]], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Error rate among the 10% least confident records and among the top 50% (records of gold sources)."""
    from .evaluate import evaluate

    sources = {g["source"] for g in gold}
    records = [r for r in records if r["source"] in sources]
    ev = evaluate(gold, records)
    matched = {id(p) for _, p in ev.pairs}
    ranked = sorted(records, key=lambda r: r["confidence"])
    n = len(ranked)
    low, top = ranked[:max(1, n // 10)], ranked[n // 2:]

    def err(rs: list[dict[str, Any]]) -> float:
        return round(sum(id(r) not in matched for r in rs) / len(rs), 4) if rs else 0.0

    return {"records": n, "errors_lowest_10pct": err(low), "errors_top_50pct": err(top),
            "sortable": err(low) > err(top)}


def _fit_and_score(train: list[MentionExample], score: list[MentionExample], c: float) -> list[dict[str, float]]:
    """Probabilities of ``score`` by a model fitted on ``train``."""
    from .mention_model import MentionClassifier

    if not score:
        return []
    clf = MentionClassifier(fit_mention_model(train, c))
    return clf.predict_features([e.feats for e in score], [e.cand for e in score], [e.hits for e in score])


def leave_one_source_out(examples: list[MentionExample], c: float = MENTION_C,
                         extra: list[MentionExample] | None = None) -> list[dict[str, float]]:
    """Held-out probabilities of every example: each source scored by a model trained on the others
    (and on ``extra``, numbers that are never scored)."""
    probs: list[dict[str, float]] = [{} for _ in examples]
    for source in sorted({e.source for e in examples}):
        idx = [i for i, e in enumerate(examples) if e.source == source]
        train = [e for e in examples if e.source != source] + (extra or [])
        for i, p in zip(idx, _fit_and_score(train, [examples[i] for i in idx], c), strict=True):
            probs[i] = p
    return probs


def inner_probabilities(examples: list[MentionExample], c: float = MENTION_C,
                        extra: list[MentionExample] | None = None) -> dict[str, list[dict[str, float]]]:
    """For every source ``s``, held-out probabilities of the examples of all other sources by
    models that never saw ``s`` either: example ``i`` of source ``t`` is scored by the model
    trained without ``s`` and ``t``. They choose the thresholds of fold ``s`` (nested
    leave-one-source-out); one model per pair of sources serves both of its folds."""
    sources = sorted({e.source for e in examples})
    inner: dict[str, list[dict[str, float]]] = {s: [{} for _ in examples] for s in sources}
    for k, s in enumerate(sources):
        for t in sources[k + 1:]:
            idx = [i for i, e in enumerate(examples) if e.source in (s, t)]
            train = [e for e in examples if e.source not in (s, t)] + (extra or [])
            for i, p in zip(idx, _fit_and_score(train, [examples[i] for i in idx], c), strict=True):
                inner[t if examples[i].source == s else s][i] = p
    return inner


def nested_thresholds(gold: list[dict[str, Any]], examples: list[MentionExample],
                      inner: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """The thresholds of every fold, chosen on the other sources only (:func:`inner_probabilities`)."""
    out = {}
    for s, probs in sorted(inner.items()):
        idx = [i for i, e in enumerate(examples) if e.source != s]
        out[s] = choose_thresholds([g for g in gold if g["source"] != s], [examples[i] for i in idx],
                                   [probs[i] for i in idx])[0]
    return out


def fold_predictions(examples: list[MentionExample], probs: list[dict[str, float]], mode: str,
                     by_source: dict[str, dict[str, float]] | None = None) -> list[dict[str, Any]]:
    """:func:`predictions` of every source with the thresholds of its fold (``by_source``; the
    defaults when None)."""
    if by_source is None:
        return predictions(examples, probs, mode)
    out: list[dict[str, Any]] = []
    for s in sorted({e.source for e in examples}):
        idx = [i for i, e in enumerate(examples) if e.source == s]
        out += predictions([examples[i] for i in idx], [probs[i] for i in idx], mode, **by_source[s])
    return out


def compare(gold: list[dict[str, Any]], examples: list[MentionExample], probs: list[dict[str, float]],
            by_source: dict[str, dict[str, float]] | None = None) -> dict[str, Any]:
    """Rules-only, classifier-only and combined scores (overall and per family) and calibration;
    combined with the thresholds of each fold (``by_source``)."""
    from .evaluate import evaluate

    out: dict[str, Any] = {}
    for mode in ("rules", "classifier", "combined"):
        recs = fold_predictions(examples, probs, mode, by_source if mode == "combined" else None)
        ev = evaluate(gold, recs)
        sources = {s: round(evaluate([g for g in gold if g["source"] == s],
                                     [r for r in recs if r["source"] == s]).overall.f1, 4)
                   for s in sorted({g["source"] for g in gold})}
        out[mode] = {"overall": ev.overall.as_dict(), "families": {k: v.as_dict() for k, v in ev.families.items()},
                     "calibration": calibration(gold, recs), "sources": sources}
    return out


def format_comparison(title: str, table: dict[str, Any]) -> str:
    """The side-by-side table printed by ``zhibiao train``."""
    modes = ("rules", "classifier", "combined")
    lines = [title, f"  {'slice':<18}" + "".join(f"{m + ' P/R/F1':>26}" for m in modes)]

    def cell(s: dict[str, Any]) -> str:
        return f"{s['precision']:.4f}/{s['recall']:.4f}/{s['f1']:.4f}".rjust(26)

    lines.append(f"  {'overall':<18}" + "".join(cell(table[m]["overall"]) for m in modes))
    for fam in table["rules"]["families"]:
        lines.append(f"  {fam:<18}" + "".join(cell(table[m]["families"][fam]) for m in modes))
    lines.append(f"  {'errors by conf.':<18}" + "".join(
        f"{table[m]['calibration']['errors_lowest_10pct']:.2f} low10%, {table[m]['calibration']['errors_top_50pct']:.2f} top50%".rjust(26)
        for m in modes))
    lines.append("  F1 by source (rules/classifier/combined): " + "; ".join(
        f"{s[:3]} " + "/".join(f"{table[m]['sources'][s]:.3f}" for m in modes) for s in table["rules"].get("sources", {})))
    lines.append("  attributes on matched records (rules' resolvers in every mode): " + ", ".join(
        f"{a} {table['combined']['overall'][a + '_acc']:.3f}" for a in ("stage", "year", "kind", "approx")))
    return "\n".join(lines)


def choose_thresholds(gold: list[dict[str, Any]], examples: list[MentionExample],
                      probs: list[dict[str, float]]) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The (propose, veto) pair of the grid with the best leave-one-source-out F1, and the grid.

    Ties go to the more conservative pair (fewer proposals, fewer vetoes).
    """
    from .evaluate import evaluate
    from .mention_model import PROPOSE_GRID, VETO_GRID

    grid = []
    for propose in PROPOSE_GRID:
        for veto in VETO_GRID:
            s = evaluate(gold, predictions(examples, probs, "combined", propose, veto)).overall
            grid.append({"propose": propose, "veto": veto, "f1": round(s.f1, 4), "predicted": s.predicted,
                         "matched": s.matched})
    best = max(grid, key=lambda g: (g["f1"], g["propose"], -g["veto"]))
    return {"propose": best["propose"], "veto": best["veto"]}, grid


def train_mention_classifier(corpora: Path = DEFAULT_CORPORA, gold_dir: Path | None = None,
                             out: Path | None = None, dev: Path | None = None) -> dict[str, Any]:
    """Nested leave-one-source-out comparison on the gold sources (seeds and dev pages), then the
    final model on all of them with thresholds chosen on the held-out scores of every source, saved."""
    gold_dir = gold_dir or corpora.parent / "gold"
    examples, gold, digest = collect_mentions(corpora, gold_dir, dev)
    extra, extra_digest = collect_extra_mentions(corpora)
    probs = leave_one_source_out(examples, extra=extra)
    by_source = nested_thresholds(gold, examples, inner_probabilities(examples, extra=extra))
    loso = compare(gold, examples, probs, by_source)
    # the final model's thresholds: chosen on the held-out scores of all sources (the level above),
    # adopted only when the nested evaluation shows that choosing them this way adds to the rules
    best, grid = choose_thresholds(gold, examples, probs)
    adopted = loso["combined"]["overall"]["f1"] > loso["rules"]["overall"]["f1"]
    thresholds = best if adopted else dict(CONFIDENCE_ONLY)
    model = fit_mention_model(examples + extra)
    sources = sorted({g["source"] for g in gold})
    report = format_comparison(
        f"mention classifier, nested leave-one-source-out over {len(gold)} gold records ({len(sources)} sources: "
        f"train on {len(sources) - 1}, score the other; combined uses thresholds chosen inside the training "
        f"folds)", loso)
    folds = "; ".join(f"{s[:3]} {t['propose']}/{t['veto']}" for s, t in by_source.items())
    report += f"\n  thresholds (propose/veto) chosen per fold: {folds}"
    report += (f"\n  final model: propose >= {thresholds['propose']}, veto < {thresholds['veto']}: " + (
        f"chosen on the held-out scores of all {len(sources)} sources" if adopted else
        f"the classifier sets confidence only (nested combined F1 {loso['combined']['overall']['f1']:.4f} does not "
        f"beat rules-only {loso['rules']['overall']['f1']:.4f}; the grid's best on all sources would have been "
        f"propose >= {best['propose']}, veto < {best['veto']})"))
    meta: dict[str, Any] = {"training_data_hash": data_hash([digest, extra_digest]), "seed": SEED,
                            "C": MENTION_C, "class_weight": CLASS_WEIGHT, "weak_labels": WEAK_LABELS,
                            "extra_numbers": len(extra), "features": len(model.encoder.vocabulary),
                            "sources": sources, "numbers": len(examples),
                            "labelled": sum(e.label != "none" for e in examples), "thresholds": thresholds,
                            "combined_adopted": adopted, "metrics": {"leave_one_source_out": loso, "fold_thresholds": by_source,
                                        "threshold_grid": grid}}
    save_model(model, meta, out)
    meta["report"] = report
    return meta
