"""The mention classifier: decisions, the fast scoring path, and the combined extractor on seed text."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from pipeline.records import Document, Page, Sentence
from pipeline.stages.clean.clean import clean_page
from pipeline.stages.extract import mention_model
from pipeline.stages.extract.extract import candidates, extract_document
from pipeline.stages.extract.mention_model import (
    EXTRACTOR,
    MentionClassifier,
    candidate_context,
    decide,
    usable,
)
from pipeline.stages.features import load_model, pair_features
from pipeline.stages.segment.segment import segment_document

ROOT = Path(__file__).resolve().parent.parent
SEED_002 = ROOT / "corpora" / "002_0a56dfec3668c418.txt"
ARTICLES = ROOT / "corpora" / "articles"


@cache
def _docs(path: Path) -> list[tuple[Document, list[Sentence]]]:
    page = Page(source=path.stem, path=str(path), data=path.read_bytes())
    return [(d, segment_document(d)[0]) for d in clean_page(page)]


@pytest.mark.parametrize("rule_code,proba,expected,extractor", [
    # a rule record the model agrees with stays the rules'
    ("enroll.gross_rate", {"enroll.gross_rate": 0.97}, "enroll.gross_rate", "rules"),
    # ... and one it doubts stays too while the veto threshold is 0
    ("schools.count", {"schools.count": 0.001}, "schools.count", "rules"),
    # a number without a rule: proposed only at or above the threshold
    (None, {"teachers.trained": 0.96, "schools.count": 0.01}, "teachers.trained", EXTRACTOR),
    (None, {"teachers.trained": 0.94}, None, None),
    (None, {}, None, None),
])
def test_decide_without_vetoes(rule_code: str | None, proba: dict[str, float], expected: str | None,
                               extractor: str | None) -> None:
    d = decide(rule_code, 0.9, proba, propose=0.95, veto=0.0)
    assert (d.indicator, d.extractor) == (expected, extractor)
    assert 0.0 <= d.confidence <= 1.0


def test_decide_vetoes_and_relabels_below_the_veto_threshold() -> None:
    vetoed = decide("teachers.backbone", 0.9, {"teachers.backbone": 0.02}, propose=0.9, veto=0.05)
    assert vetoed.indicator is None and vetoed.reason.startswith("vetoed")
    # relabelling has its own threshold: the propose threshold alone does not relabel
    kept_out = decide("teachers.backbone", 0.9, {"teachers.backbone": 0.02, "teachers.exchanged": 0.93},
                      propose=0.9, veto=0.05)
    assert kept_out.indicator is None
    relabelled = decide("teachers.backbone", 0.9, {"teachers.backbone": 0.02, "teachers.exchanged": 0.93},
                        propose=1.01, veto=0.05, relabel=0.9)
    assert (relabelled.indicator, relabelled.extractor) == ("teachers.exchanged", EXTRACTOR)
    # ... by either model: the code model may offer the new code
    by_codes = decide("teachers.backbone", 0.9, {"teachers.backbone": 0.02}, veto=0.05, relabel=0.9,
                      codes={"teachers.trained": 0.95, "teachers.backbone": 0.01})
    assert (by_codes.indicator, by_codes.extractor) == ("teachers.trained", EXTRACTOR)


def test_decide_code_model_proposes_without_a_trigger_code() -> None:
    # no trigger suggests a code (the pair model has nothing to score): the code model's offer counts
    d = decide(None, 0.0, {}, propose=0.9, codes={"schools.count": 0.97, "schools.built": 0.02}, suggest=0.9)
    assert (d.indicator, d.extractor) == ("schools.count", EXTRACTOR)
    assert decide(None, 0.0, {}, codes={"schools.count": 0.97}, suggest=1.01).indicator is None
    # both offer: the more probable wins
    both = decide(None, 0.0, {"enroll.rate": 0.91}, propose=0.9, codes={"enroll.gross_rate": 0.95}, suggest=0.9)
    assert both.indicator == "enroll.gross_rate"


def test_decide_code_model_relabels_a_rule_record() -> None:
    # 特殊类型招生控制线上线3120人: a trigger of students.admitted is near (the pair model keeps it), the
    # code model reads 上线 and gives enroll.exam_passed
    pair = {"students.admitted": 0.41}
    codes = {"enroll.exam_passed": 0.88, "students.admitted": 0.11, "students.enrolled": 0.0}
    d = decide("students.admitted", 0.9, pair, veto=0.0, codes=codes, relabel_codes=0.8, keep_codes=0.2)
    assert (d.indicator, d.extractor) == ("enroll.exam_passed", EXTRACTOR)
    assert d.confidence == pytest.approx(0.88) and d.reason.startswith("code-relabelled")
    # never by default, nor when the rule's code is still probable enough, nor below relabel_codes
    assert decide("students.admitted", 0.9, pair, codes=codes).indicator == "students.admitted"
    assert decide("students.admitted", 0.9, pair, codes=codes, relabel_codes=0.8,
                  keep_codes=0.1).indicator == "students.admitted"
    assert decide("students.admitted", 0.9, pair, codes=codes, relabel_codes=0.9,
                  keep_codes=0.2).indicator == "students.admitted"
    # a code the number's unit cannot take counts as q = 0 (1.3个百分点 read as class_size.limit)
    rate = decide("class_size.limit", 0.9, {}, codes={"class_size.large_ratio": 0.99}, relabel_codes=0.9,
                  keep_codes=0.05)
    assert rate.indicator == "class_size.large_ratio"
    # without a code model answer nothing changes
    assert decide("class_size.limit", 0.9, {}, codes={}, relabel_codes=0.5, keep_codes=0.3).extractor == "rules"
    # the pair model's veto comes first
    first = decide("students.admitted", 0.9, {"students.admitted": 0.001}, veto=0.005, codes=codes,
                   relabel_codes=0.8, keep_codes=0.2)
    assert first.indicator is None and first.reason.startswith("vetoed")


def test_decide_code_model_vetoes_only_when_none_is_its_best_class() -> None:
    doubt = {"teachers.trained": 0.01, "teachers.exchanged": 0.02}  # "none" 0.97
    d = decide("teachers.trained", 0.9, {"teachers.trained": 0.6}, codes=doubt, veto_codes=0.02)
    assert d.indicator is None and d.reason.startswith("code-vetoed")
    assert decide("teachers.trained", 0.9, {"teachers.trained": 0.6}, codes=doubt).indicator == "teachers.trained"
    other = {"teachers.trained": 0.01, "teachers.exchanged": 0.6}  # another code beats "none": no veto
    assert decide("teachers.trained", 0.9, {"teachers.trained": 0.6}, codes=other,
                  veto_codes=0.02).indicator == "teachers.trained"


def test_the_gate_keeps_rule_records_the_rules_are_sure_of() -> None:
    # the classifier vetoes or relabels a rule record only when the rule's own confidence is below the
    # gate: a segment record (0.9) is kept at gate 0.8, an inherited one (0.6) is vetoed
    doubted = {"teachers.fulltime": 0.001}
    assert decide("teachers.fulltime", 0.9, doubted, veto=0.005, gate=0.8).extractor == "rules"
    unsure = decide("teachers.fulltime", 0.6, doubted, veto=0.005, gate=0.8)
    assert unsure.indicator is None and unsure.reason.startswith("vetoed")
    # a kept record's confidence is the usual blend, the model's doubt included
    kept = decide("teachers.fulltime", 0.9, doubted, veto=0.005, gate=0.8)
    assert kept.confidence == pytest.approx((1 - mention_model.MODEL_WEIGHT) * 0.9 + mention_model.MODEL_WEIGHT * 0.001,
                                            abs=1e-4)
    # the code model's relabel and veto are gated the same way
    codes = {"enroll.exam_passed": 0.88, "students.admitted": 0.11}
    th = {"codes": codes, "relabel_codes": 0.8, "keep_codes": 0.2, "gate": 0.9}
    assert decide("students.admitted", 0.9, {"students.admitted": 0.4}, **th).indicator == "students.admitted"
    assert decide("students.admitted", 0.75, {"students.admitted": 0.4}, **th).indicator == "enroll.exam_passed"
    doubt = {"teachers.trained": 0.01}
    assert decide("teachers.trained", 0.9, {}, codes=doubt, veto_codes=0.02, gate=0.7).indicator == "teachers.trained"
    assert decide("teachers.trained", 0.65, {}, codes=doubt, veto_codes=0.02, gate=0.7).indicator is None
    # "no gate" (the default, above every confidence) lets the models act on every rule record
    assert mention_model.GATE > 1.0 and mention_model.GATE in mention_model.GATE_GRID
    assert decide("teachers.fulltime", 1.0, doubted, veto=0.005).indicator is None
    # proposals are not gated
    assert decide(None, 0.0, {"teachers.trained": 0.96}, propose=0.95, gate=0.7).indicator == "teachers.trained"


def test_rule_confidence_blends_rule_and_model() -> None:
    sure = decide("enroll.rate", 0.9, {"enroll.rate": 0.99}, propose=0.95, veto=0.0).confidence
    doubtful = decide("enroll.rate", 0.9, {"enroll.rate": 0.2}, propose=0.95, veto=0.0).confidence
    assert sure > doubtful
    assert doubtful == pytest.approx((1 - mention_model.MODEL_WEIGHT) * 0.9 + mention_model.MODEL_WEIGHT * 0.2)


def test_fast_scoring_equals_the_model_on_full_pair_rows() -> None:
    clf = mention_model.mention_classifier()
    assert clf is not None
    doc, sents = _docs(SEED_002)[0]
    everything = candidates(doc, sents)
    cands = [c for c in everything if usable(c)][:60]
    bases, hits = candidate_context(cands, everything)
    fast = clf.predict_features(bases, cands, hits)
    for cand, base, sh, got in zip(cands, bases, hits, fast, strict=True):
        for code, p in got.items():
            full = clf.model.predict_proba([pair_features(cand, code, base, sh)])[0][1]
            assert p == pytest.approx(full, abs=1e-9)
    assert any(got for got in fast)


def test_combined_extractor_on_seed_002_states_extractor_and_confidence() -> None:
    docs = _docs(SEED_002)
    records = [r for d, s in docs for r in extract_document(d, s)[1]]
    assert records
    assert {r.extractor for r in records} <= {"rules", EXTRACTOR}
    assert all(0.0 < r.confidence <= 1.0 for r in records)
    clf = mention_model.mention_classifier()
    least = min(clf.propose, clf.suggest, clf.relabel)
    assert all(r.confidence >= least for r in records if r.extractor == EXTRACTOR)
    # 第二篇, the disabled persons' association, yields nothing
    assert "肢残人协会" in docs[1][0].title
    assert not [r for r in records if r.doc_id == docs[1][0].doc_id]


def test_written_page_rate_keeps_its_rule_record() -> None:
    doc, sents = _docs(ARTICLES / "edu_county_bureau_2019.txt")[0]
    records = extract_document(doc, sents)[1]
    rate = [r for r in records if r.indicator == "enroll.consolidation_rate" and r.value == 95.8]
    assert len(rate) == 1 and rate[0].extractor == "rules"


def test_combine_without_a_model_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mention_model, "mention_classifier", lambda: None)
    doc, sents = _docs(SEED_002)[0]
    before = [(c.indicator, c.confidence, c.how) for c in candidates(doc, sents)]
    after = [(c.indicator, c.confidence, c.how) for c in mention_model.combine(doc, candidates(doc, sents))]
    assert before == after


def test_proposals_only_for_numbers_without_a_trigger(monkeypatch: pytest.MonkeyPatch) -> None:
    # A government work report: 新建乡镇卫生院3所 has a trigger (新建…所) that the rules reject
    # (not_education); even a classifier that proposes everything must leave it alone.
    clf = _full()
    eager = MentionClassifier(clf.model, clf.codes.model)
    eager.propose = eager.suggest = 0.0
    # proposals only: the committed thresholds may also relabel rule records, which is not this test's
    eager.relabel = eager.relabel_codes = 1.01
    eager.veto = eager.veto_codes = 0.0
    monkeypatch.setattr(mention_model, "mention_classifier", lambda: eager)
    doc, sents = _docs(ARTICLES / "mixed_gov_work_report_2019.txt")[0]
    by_text = {c.quantity.text: c for c in candidates(doc, sents)}
    assert by_text["3所"].reason == "not_education"
    records = extract_document(doc, sents)[1]
    assert not [r for r in records if r.value == 3.0 and r.unit == "所"]
    proposed = [r for r in records if r.extractor == EXTRACTOR]
    assert proposed, "a number with a code option and no trigger of its own is proposed"
    for r in proposed:
        cand = next(c for c in candidates(doc, sents) if c.start == r.start)
        assert cand.rule is None and cand.reason in mention_model.OVERRULABLE
        assert r.kind in ("level", "change", "target")


TRAIN_T05 = ROOT / "train" / "pages" / "t05_zhangzhou_nianjian.txt"
TRAIN_T15 = ROOT / "train" / "pages" / "t15_yunling_kongchuo_bangfu.txt"
TRAIN_T14 = ROOT / "train" / "pages" / "t14_ruxi_shuangjian_jianghua.txt"


@cache
def _full() -> MentionClassifier:
    """The committed pair model with the committed code model (loaded whatever the thresholds)."""
    clf = mention_model.mention_classifier()
    assert clf is not None
    codes = load_model(mention_model.CODE_MODEL_NAME)
    assert codes is not None
    return MentionClassifier(clf.model, codes)


def test_the_code_model_is_loaded_only_when_its_thresholds_let_it_act() -> None:
    clf = mention_model.mention_classifier()
    assert (clf.codes is not None) == mention_model.needs_code_model(clf.model.meta.get("thresholds") or {})
    assert not mention_model.needs_code_model({"propose": 1.01, "veto": 0.0, "suggest": 1.01, "relabel": 1.01})
    assert mention_model.needs_code_model({"suggest": 0.99})
    assert mention_model.needs_code_model({"veto": 0.005, "relabel": 0.99})
    assert mention_model.needs_code_model({"relabel_codes": 0.9})
    assert mention_model.needs_code_model({"veto_codes": 0.02})
    assert not mention_model.needs_code_model({"relabel_codes": 1.01, "keep_codes": 0.3, "veto_codes": 0.0})


def test_code_model_proposes_a_record_for_a_number_no_trigger_names() -> None:
    # train/ page t14 (a speech): 大班额问题,去年我们消除了37个 — the rules find no trigger for 37个
    # in its clause (no_trigger); the code model reads the clause
    clf = _full()
    doc, sents = _docs(TRAIN_T14)[0]
    cand = next(c for c in candidates(doc, sents) if c.quantity.text == "37个")
    assert cand.rule is None and cand.reason == "no_trigger"
    assert mention_model.considered(cand)
    sure = MentionClassifier(clf.model, clf.codes.model)
    sure.propose, sure.suggest = 1.01, 0.9  # proposals by the code model only
    out = mention_model.combine(doc, candidates(doc, sents), sure)
    made = next(c for c in out if c.start == cand.start)
    assert (made.indicator, made.how) == ("class_size.large_count", EXTRACTOR)
    assert made.confidence >= 0.9 and made.kind == "change"  # 消除了: the rules' kind resolver
    # without the code model nothing is proposed for it
    alone = MentionClassifier(clf.model)
    alone.propose = 1.01
    made = next(c for c in mention_model.combine(doc, candidates(doc, sents), alone) if c.start == cand.start)
    assert made.indicator is None


def test_code_model_answers_only_codes_of_the_number_unit() -> None:
    from pipeline.ruleset.codebook import unit_codes

    clf = _full()
    doc, sents = _docs(TRAIN_T05)[0]
    everything = candidates(doc, sents)
    cands = [c for c in everything if usable(c)]
    bases, hits = candidate_context(cands, everything, all_numbers=True)
    for cand, probs in zip(cands, clf.predict_codes(bases, cands, hits), strict=True):
        assert set(probs) <= set(unit_codes(cand.unit))
        assert sum(probs.values()) <= 1.0 + 1e-9  # the rest is "none"
    assert any(probs for probs in clf.predict_codes(bases, cands, hits))


def test_code_model_refuses_a_pair_model() -> None:
    from pipeline.stages.features import ModelError

    clf = mention_model.mention_classifier()
    with pytest.raises(ModelError, match="none"):
        mention_model.CodeModel(clf.model)


def test_code_model_relabels_a_rule_record_of_a_train_page() -> None:
    # train/ page t15: 学前教育资助1.1万人次、资金550万元 — the rules read 550万元 as funding.investment
    # (资金); the gold says funding.student_aid. The committed code model (trained on every labelled
    # source, t15 too) relabels it when its thresholds let it.
    clf = _full()
    doc, sents = _docs(TRAIN_T15)[0]
    cand = next(c for c in candidates(doc, sents) if c.quantity.text == "550万元")
    assert cand.indicator == "funding.investment" and cand.rule is not None
    relabeller = MentionClassifier(clf.model, clf.codes.model)
    relabeller.propose = relabeller.suggest = 1.01
    relabeller.relabel_codes, relabeller.keep_codes = 0.5, 0.3
    assert relabeller.suggests
    out = mention_model.combine(doc, candidates(doc, sents), relabeller)
    made = next(c for c in out if c.start == cand.start)
    assert (made.indicator, made.how) == ("funding.student_aid", EXTRACTOR)
    assert made.reason.startswith("code-relabelled") and made.confidence >= 0.5
    # the committed thresholds (never relabel unless adopted) leave the rule record as it is
    kept = MentionClassifier(clf.model, clf.codes.model)
    kept.relabel_codes, kept.veto_codes = 1.01, 0.0
    kept.propose = kept.suggest = 1.01
    made = next(c for c in mention_model.combine(doc, candidates(doc, sents), kept) if c.start == cand.start)
    assert (made.indicator, made.how) == ("funding.investment", cand.how)


def test_records_the_classifier_makes_take_the_rules_section_year(tmp_path: Path) -> None:
    # a sub-heading ((一)2022年主要成绩) dates its section for the rules; a record the classifier
    # makes or relabels there gets its attributes from the same resolvers, so the same year
    page = tmp_path / "p.txt"
    page.write_text("县教育局工作总结\n一、主要工作\n(一)2022年主要成绩\n全县新建公办幼儿园12所。\n", encoding="utf-8")
    doc, sents = _docs(page)[0]
    cand = next(c for c in candidates(doc, sents) if c.quantity.text == "12所")
    assert cand.year == 2022
    cand.year = None
    mention_model.apply_attributes(doc, cand, "schools.built")
    assert cand.year == 2022
