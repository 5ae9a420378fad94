"""Training from the repo: reproducible models, the model file format and its version check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline import features
from pipeline.cli import main
from pipeline.features import LinearModel, ModelError, TfidfEncoder, load_model, save_model

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"


def test_retraining_the_article_classifier_reproduces_the_committed_model(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["train", "--only", "article", "--corpora", str(ROOT / "corpora"),
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "leave-one-page-out accuracy 1.000" in result.output
    new = json.loads((tmp_path / "article_classifier.meta.json").read_text(encoding="utf-8"))
    old = json.loads((MODELS / "article_classifier.meta.json").read_text(encoding="utf-8"))
    assert new["training_data_hash"] == old["training_data_hash"]
    for key in ("documents", "education", "other", "leave_one_page_out_accuracy", "errors"):
        assert new["metrics"][key] == old["metrics"][key], key
    for key in ("min_p_education_of_education", "max_p_education_of_other"):
        assert new["metrics"][key] == pytest.approx(old["metrics"][key], abs=0.05), key


def _tiny_model() -> LinearModel:
    enc = TfidfEncoder.fit([["w:入学率", "u:%"], ["w:党员", "u:名"], ["w:入学率", "u:名"]], min_df=1)
    coef = np.array([[2.0 if f in ("w:入学率", "u:%") else -2.0 for f in enc.vocabulary]])
    return LinearModel("tiny", enc, ["other", "education"], coef, np.array([0.0]), {})


def test_model_file_round_trip_keeps_predictions(tmp_path: Path) -> None:
    model = _tiny_model()
    save_model(model, {"training_data_hash": "x", "metrics": {}}, tmp_path)
    back = load_model("tiny", tmp_path)
    assert back is not None and back.classes == ["other", "education"]
    rows = [["w:入学率", "u:%"], ["w:党员"], ["unseen"]]
    assert np.allclose(back.predict_proba(rows), model.predict_proba(rows))
    assert back.predict_proba([["w:入学率", "u:%"]])[0][1] > 0.8
    assert back.predict_proba([["unseen"]])[0][1] == pytest.approx(0.5)
    for row in rows:
        assert back.probability(row, "education") == pytest.approx(back.predict_proba([row])[0][1])
        assert back.probability(row, "other") == pytest.approx(back.predict_proba([row])[0][0])
    assert back.meta["training_data_hash"] == "x" and back.meta["feature_version"] == features.FEATURE_VERSION


def test_a_model_built_with_other_features_is_refused(tmp_path: Path) -> None:
    save_model(_tiny_model(), {}, tmp_path)
    path = tmp_path / "tiny.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["feature_version"] = "0-old"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match="run `zhibiao train`"):
        load_model("tiny", tmp_path)
    assert load_model("never_trained", tmp_path) is None


def test_committed_models_match_the_code() -> None:
    assert load_model("article_classifier") is not None
    assert load_model("mention_classifier") is not None


def test_mention_classifier_nested_leave_one_source_out_over_eleven_sources(tmp_path: Path) -> None:
    from pipeline.train import train_mention_classifier

    meta = train_mention_classifier(ROOT / "corpora", ROOT / "gold", tmp_path)
    assert len(meta["sources"]) == 11 and not any(s.startswith("heldout") for s in meta["sources"])
    assert set(meta["metrics"]["fold_thresholds"]) == set(meta["sources"])  # one threshold choice a fold
    loso = meta["metrics"]["leave_one_source_out"]
    rules, alone, combined = (loso[m]["overall"] for m in ("rules", "classifier", "combined"))
    n_gold = sum(1 for d in (ROOT / "gold", ROOT / "dev" / "gold") for p in d.glob("*.jsonl")
                 for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
    assert rules["gold"] == combined["gold"] == n_gold  # 770 when written
    # the classifier alone is a real extractor (not a copy of the rules: their decision is no feature;
    # F1 0.884, precision 0.903 when written) ...
    assert alone["f1"] >= 0.8 and alone["precision"] >= 0.85
    # ... and combined, with thresholds chosen inside the training folds, stays within a record or two
    # of rules-only (the rules were tuned on all eleven sources: 0.9890 vs 0.9884 when measured)
    assert combined["f1"] >= rules["f1"] - 0.003
    # the final model proposes or vetoes only when the nested evaluation says it adds
    assert meta["combined_adopted"] == (combined["f1"] > rules["f1"])
    if not meta["combined_adopted"]:
        assert meta["thresholds"] == {"propose": 1.01, "veto": 0.0}
    # confidence sorts: the least confident 10% hold more errors than the top half
    assert loso["combined"]["calibration"]["sortable"]
    assert "classifier P/R/F1" in meta["report"] and "nested" in meta["report"]
    assert (tmp_path / "mention_classifier.json").exists()


def test_committed_mention_model_was_trained_on_the_repo_gold() -> None:
    from pipeline.features import data_hash

    meta = json.loads((MODELS / "mention_classifier.meta.json").read_text(encoding="utf-8"))
    assert meta["labelled"] >= 760 and len(meta["sources"]) == 11
    assert meta["combined_adopted"] or meta["thresholds"]["veto"] == 0.0
    assert len(meta["training_data_hash"]) == 16 and data_hash([b""]) != meta["training_data_hash"]


def test_mention_training_is_deterministic() -> None:
    from pipeline.train import collect_extra_mentions, collect_mentions, fit_mention_model

    examples, _gold, digest = collect_mentions(ROOT / "corpora", ROOT / "gold")
    extra, _ = collect_extra_mentions(ROOT / "corpora")
    assert {e.source for e in examples} == {p.stem for d in (ROOT / "gold", ROOT / "dev" / "gold")
                                            for p in d.glob("*.jsonl")}
    assert not {e.source for e in extra} & {e.source for e in examples}  # extras are never scored
    assert all(e.label == "none" for e in extra)
    one, two = fit_mention_model(examples + extra), fit_mention_model(examples + extra)
    assert one.encoder.vocabulary == two.encoder.vocabulary
    assert np.array_equal(one.coef, two.coef) and np.array_equal(one.intercept, two.intercept)
    assert collect_mentions(ROOT / "corpora", ROOT / "gold")[2] == digest


def test_mention_sources_are_the_seeds_and_the_dev_pages_never_heldout(tmp_path: Path) -> None:
    from pipeline.train import gold_sets

    assert gold_sets(ROOT / "corpora", ROOT / "gold") == [(ROOT / "corpora", ROOT / "gold"),
                                                         (ROOT / "dev" / "pages", ROOT / "dev" / "gold")]
    assert gold_sets(ROOT / "corpora", ROOT / "gold", ROOT / "heldout") == [(ROOT / "corpora", ROOT / "gold")]
    assert gold_sets(ROOT / "corpora", ROOT / "gold", tmp_path) == [(ROOT / "corpora", ROOT / "gold")]
