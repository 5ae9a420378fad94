"""Training of the learned models (``zhibiao train``).

Everything is rebuilt from files in the repository with a fixed seed
(:data:`pipeline.stages.features.SEED`):

- the article classifier from ``corpora/articles/labels.tsv`` (seed articles
  named by page and document index, plus the pages written for the corpus),
  judged by leave-one-page-out;
- the mention classifier's two models (:mod:`pipeline.stages.extract.mention_model`: the
  pair model and the code model) from the gold records of the labelled
  sources (:mod:`pipeline.learn.labelled`): the five seeds (``gold/``), the six
  development pages (``dev/gold``) and the training pages (``train/gold``,
  written for the learned models; the rules were never tuned on them), plus
  the numbers of the off-topic written pages of ``corpora/articles`` (all
  "none", never scored). Judged by nested leave-one-source-out
  (:mod:`pipeline.learn.loso`). ``heldout/`` is blind and never read.

Training and scoring never share records: in every fold the held-out
source contributes nothing to the models that score it, to their
vocabulary and idf, nor to the thresholds applied to it. The gold labels a
number by its quote and value, so a record is in exactly one source.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.learn.labelled import (
    DEFAULT_CORPORA,
    WEAK_LABELS,
    LabelledArticle,
    collect_extra_mentions,
    collect_mentions,
    load_labelled_articles,
)
from pipeline.learn.loso import (
    CLASS_WEIGHT,
    CODE_C,
    CONFIDENCE_ONLY,
    DEV_NEW_PREFIX,
    DEV_PREFIX,
    MENTION_C,
    NEW_TRAIN_PREFIX,
    SEED_PREFIX,
    THRESHOLDS,
    TRAIN_PREFIX,
    WEB_PREFIX,
    MentionData,
    annotator_groups,
    inner_probabilities,
    leave_one_source_out,
)
from pipeline.learn.thresholds import (
    choose_thresholds,
    compare,
    format_comparison,
    leave_one_annotator_out,
    nested_thresholds,
    relabel_counts,
)
from pipeline.stages.features import SEED, LinearModel, TfidfEncoder, data_hash, models_dir, save_model

#: Inverse regularisation of the article classifier. Leave-one-page-out on the corpus is
#: error-free for C from 10 to 1000; the margin around 0.5 widens with C (held-out
#: education >= 0.72 / other <= 0.46 at C=10; >= 0.93 / <= 0.38 at C=1000), so 1000.
ARTICLE_C = 1000.0

#: The mention classifier's last nested evaluation: thresholds, whether the combination was adopted,
#: its figures and report (written by ``zhibiao evaluate-models``, read by ``zhibiao train``).
EVALUATION_FILE = "mention_evaluation.json"


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

    The decision is the gate's (:func:`pipeline.stages.clean.topic.model_decision`: the model, its
    sections, and for short documents the keyword score). Besides its accuracy, it reports the highest
    section probability of off-topic documents (the section rule must stay
    below :data:`pipeline.stages.clean.topic.SECTION_THRESHOLD` where it decides: not on a short
    document its keyword score drops) and whether the ``mixed`` pages (never trained on) are kept.
    """
    from pipeline.stages.clean.topic import model_decision, model_probability, sections

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
            kept = model_decision(model, a.doc.title, a.doc.text)[0]  # the gate's decision, as in a run
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
              only: str | None = None, evaluate: bool = False) -> dict[str, Any]:
    """Train the article and the mention classifier (``only`` picks one); with ``evaluate``, the
    mention classifier's nested evaluation chooses its thresholds first."""
    results: dict[str, Any] = {}
    if only in (None, "article"):
        results["article"] = train_article_classifier(corpora, out)
    if only in (None, "mention"):
        mention = evaluate_mention_classifier if evaluate else train_mention_classifier
        results["mention"] = mention(corpora, gold or corpora.parent / "gold", out)
    return results


def evaluate_mention_classifier(corpora: Path = DEFAULT_CORPORA, gold_dir: Path | None = None,
                                out: Path | None = None, dev: Path | None = None, train: Path | None = None,
                                web: Path | None = None) -> dict[str, Any]:
    """Nested leave-one-source-out comparison on the gold sources (seeds, dev and train pages) that
    decides the combination's thresholds (chosen on the held-out scores of every source, adopted
    only when the nested figures beat the rules), written to ``out``/:data:`EVALUATION_FILE` with
    the figures; then the models are fitted with them (:func:`train_mention_classifier`).
    Run when features, rules or labelled data change (``make evaluate-models``; tens of minutes).
    (Long: a script of steps in order, each a few lines, written down once here.)"""
    gold_dir = gold_dir or corpora.parent / "gold"
    examples, gold, digest = collect_mentions(corpora, gold_dir, dev, train, web)
    extra, extra_digest = collect_extra_mentions(corpora)
    data = MentionData(examples, extra)
    scores = leave_one_source_out(data)
    by_source = nested_thresholds(gold, examples, inner_probabilities(data))
    loso = compare(gold, examples, scores, by_source)
    changes = relabel_counts(gold, examples, scores, by_source)
    slices = {name: compare(gold, examples, scores, by_source, prefix)
              for name, prefix in (("seeds", SEED_PREFIX), ("dev", DEV_PREFIX), ("dev_new", DEV_NEW_PREFIX),
                                   ("train", TRAIN_PREFIX), ("train_new", NEW_TRAIN_PREFIX), ("web", WEB_PREFIX))
              if any(g["source"].startswith(prefix) for g in gold)}
    annotators = leave_one_annotator_out(data, gold) if len(annotator_groups(
        sorted({e.source for e in examples}))) > 2 else None
    # the final model's thresholds: chosen on the held-out scores of all sources (the level above),
    # adopted only when the nested evaluation shows that choosing them this way adds to the rules
    best, grid = choose_thresholds(gold, examples, scores)
    adopted = loso["combined"]["overall"]["f1"] > loso["rules"]["overall"]["f1"]
    thresholds = best if adopted else dict(CONFIDENCE_ONLY)
    sources = sorted({g["source"] for g in gold})
    report = format_comparison(
        f"mention classifier, nested leave-one-source-out over {len(gold)} gold records ({len(sources)} sources: "
        f"train on {len(sources) - 1}, score the other; combined uses thresholds chosen inside the training "
        f"folds)", loso)
    for name, table in slices.items():
        n = len(table["rules"]["sources"])
        what = {"seeds": "the seed pages (corpora/0*): their rows of the same leave-one-source-out, each seed "
                         "scored by models trained on every other source",
                "dev": "the dev pages (dev/, h*; the rules were tuned on them): their rows of the same "
                       "leave-one-source-out",
                "dev_new": "the second-round dev pages (dev/, d01-d08, annotators F and G): their rows of the "
                           "same leave-one-source-out",
                "train": "the train/ pages, which the rules were never tuned on (rules out of sample): their rows "
                         "of the same leave-one-source-out",
                "train_new": "the train/ pages t11-t28 (annotators C, D, E; rules out of sample): their rows of "
                             "the same leave-one-source-out",
                "web": "the web/ pages (fifty real-page models of other sites; the rules were tuned on them), "
                       "held out ten at a time by genre"}[name]
        report += "\n" + format_comparison(f"  slice {name} ({n} sources): {what}", table)
    folds = "; ".join(f"{s[:3]} " + "/".join(str(t[k]) for k in THRESHOLDS) for s, t in by_source.items())
    report += f"\n  thresholds ({'/'.join(THRESHOLDS)}) chosen per fold: {folds}"
    for what, c in changes["counts"].items():
        report += (f"\n  rule records changed in leave-one-source-out ({what}): {c['made']}, new code right "
                   f"{c['new_code_right']}, rule code was right {c['rule_code_was_right']}")
    if annotators is not None:
        report += "\n" + format_comparison(
            "  robustness only (chooses nothing): nested leave-one-ANNOTATOR-out, each group ("
            + ", ".join(f"{g} {len(ss)}" for g, ss in annotators["groups"].items())
            + " sources) scored by models trained on the other groups, thresholds chosen on their held-out "
            "scores", annotators["tables"]["all"])
        report += "\n  by group, rules/classifier/combined F1: " + "; ".join(
            f"{g} " + "/".join(f"{annotators['tables'][g][m]['overall']['f1']:.4f}"
                               for m in ("rules", "classifier", "combined")) for g in annotators["groups"])
        report += "\n  thresholds by group: " + "; ".join(
            f"{g} " + "/".join(str(t[k]) for k in THRESHOLDS) for g, t in annotators["thresholds"].items())
        for what, c in annotators["changes"].items():
            report += (f"\n  rule records changed leaving one annotator out ({what}): {c['made']}, new code right "
                       f"{c['new_code_right']}, rule code was right {c['rule_code_was_right']}")
    report += (f"\n  final model: propose >= {thresholds['propose']}, veto < {thresholds['veto']}, "
               f"suggest >= {thresholds['suggest']}, relabel >= {thresholds['relabel']}, code model relabels "
               f"at >= {thresholds['relabel_codes']} (rule code < {thresholds['keep_codes']}) and vetoes below "
               f"{thresholds['veto_codes']}, only on rule records of confidence below {thresholds['gate']}: " + (
                   f"chosen on the held-out scores of all {len(sources)} sources" if adopted else
                   f"the classifier sets confidence only (nested combined F1 {loso['combined']['overall']['f1']:.4f} "
                   f"does not beat rules-only {loso['rules']['overall']['f1']:.4f}; the grid's best on all sources "
                   "would have been " + ", ".join(f"{k} {best[k]}" for k in THRESHOLDS) + ")"))
    evaluation: dict[str, Any] = {
        "training_data_hash": data_hash([digest, extra_digest]), "seed": SEED, "sources": sources,
        "thresholds": thresholds, "combined_adopted": adopted, "report": report,
        "metrics": {"leave_one_source_out": loso, "slices": slices, "fold_thresholds": by_source,
                    "rule_records_changed": changes, "leave_one_annotator_out": annotators,
                    "threshold_grid_points": len(grid),
                    "threshold_grid_top": sorted(grid, key=lambda g: -g["f1"])[:25],
                    "threshold_grid_never": next(g for g in grid if all(
                        g[k] == v for k, v in CONFIDENCE_ONLY.items()))}}
    target = out or models_dir()
    target.mkdir(parents=True, exist_ok=True)
    (target / EVALUATION_FILE).write_text(json.dumps(evaluation, ensure_ascii=False, indent=1, sort_keys=True),
                                          encoding="utf-8")
    meta = _fit_mention_models(data, digest, extra_digest, sources, evaluation, out)
    meta["report"] = report + "\n" + meta["report"]
    meta["metrics"] = evaluation["metrics"]
    return meta


def load_evaluation(models: Path | None = None) -> dict[str, Any]:
    """The last nested evaluation of the mention classifier (``models/`` :data:`EVALUATION_FILE`)."""
    path = (models or models_dir()) / EVALUATION_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make evaluate-models` (zhibiao evaluate-models) first")
    return json.loads(path.read_text(encoding="utf-8"))


def train_mention_classifier(corpora: Path = DEFAULT_CORPORA, gold_dir: Path | None = None,
                             out: Path | None = None, dev: Path | None = None, train: Path | None = None,
                             evaluation: Path | None = None, web: Path | None = None) -> dict[str, Any]:
    """Fit the pair and code models on every labelled source with the thresholds of the last
    nested evaluation (:func:`evaluate_mention_classifier`, read from ``evaluation`` or ``out``, else
    ``models/``), and save them. Minutes, not the evaluation's tens of minutes; the report says when
    the labelled data changed since the thresholds were chosen."""
    gold_dir = gold_dir or corpora.parent / "gold"
    ev = load_evaluation(evaluation or (out if out is not None and (out / EVALUATION_FILE).exists() else None))
    examples, gold, digest = collect_mentions(corpora, gold_dir, dev, train, web)
    extra, extra_digest = collect_extra_mentions(corpora)
    data = MentionData(examples, extra)
    return _fit_mention_models(data, digest, extra_digest, sorted({g["source"] for g in gold}), ev, out)


def _fit_mention_models(data: MentionData, digest: str, extra_digest: str, sources: list[str],
                        evaluation: dict[str, Any], out: Path | None) -> dict[str, Any]:
    """Fit both models on all of ``data`` and save them with the evaluation's thresholds."""
    from pipeline.stages.extract.mention_model import CODE_MODEL_NAME

    model, codes = data.fit(list(range(len(data.everything))))
    examples = data.examples
    thresholds = evaluation["thresholds"]
    meta: dict[str, Any] = {"training_data_hash": data_hash([digest, extra_digest]), "seed": SEED,
                            "C": MENTION_C, "code_C": CODE_C, "class_weight": CLASS_WEIGHT,
                            "weak_labels": WEAK_LABELS, "extra_numbers": len(data.everything) - len(examples),
                            "features": len(model.encoder.vocabulary), "code_features": len(codes.encoder.vocabulary),
                            "sources": sources, "numbers": len(examples),
                            "labelled": sum(e.label != "none" for e in examples), "thresholds": thresholds,
                            "combined_adopted": evaluation["combined_adopted"],
                            "evaluation_data_hash": evaluation["training_data_hash"]}
    save_model(model, meta, out)
    save_model(codes, {"training_data_hash": meta["training_data_hash"], "seed": SEED, "C": CODE_C,
                       "features": len(codes.encoder.vocabulary), "classes": len(codes.classes),
                       "thresholds": "see mention_classifier.meta.json"}, out)
    assert CODE_MODEL_NAME == codes.name
    stale = evaluation["training_data_hash"] != meta["training_data_hash"]
    meta["report"] = (
        f"mention classifier fitted on {len(sources)} sources ({meta['numbers']} numbers, {meta['labelled']} "
        f"labelled, {meta['extra_numbers']} extra), thresholds of the last nested evaluation: "
        + ", ".join(f"{k} {thresholds[k]}" for k in THRESHOLDS)
        + (" (the labelled data changed since that evaluation: run `make evaluate-models` to choose them again)"
           if stale else " (chosen on these same data)"))
    return meta
