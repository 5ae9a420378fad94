"""The codebook v1.2 contract (../shared/spec/codebook.md): codes, units, stages, kinds."""

from __future__ import annotations

CODES: tuple[str, ...] = (
    "enroll.gross_rate", "enroll.net_rate", "enroll.rate", "enroll.consolidation_rate",
    "enroll.promotion_rate", "enroll.completion_rate", "enroll.exam_pass_rate", "enroll.exam_passed",
    "funding.expenditure", "funding.investment", "funding.student_aid", "funding.per_student",
    "funding.share", "funding.aid_recipients",
    "class_size.large_count", "class_size.super_large_count", "class_size.large_ratio",
    "class_size.super_large_ratio", "class_size.limit",
    "teachers.fulltime", "teachers.staff", "teachers.recruited", "teachers.special_post",
    "teachers.exchanged", "teachers.trained", "teachers.backbone", "teachers.qualified_rate",
    "students.enrolled", "students.admitted", "schools.count", "schools.built", "schools.inclusive_rate",
)
UNITS: tuple[str, ...] = ("%", "百分点", "元", "人", "人次", "所", "个")
STAGES: tuple[str, ...] = (
    "preschool", "primary", "junior", "compulsory", "senior", "senior_stage", "vocational", "higher", "special",
)
KINDS: tuple[str, ...] = ("level", "change", "target")
FAMILIES: tuple[str, ...] = ("enroll", "funding", "class_size", "teachers", "students/schools")

#: Units a code's value may be written in (codebook v1.2): rates also as a change in 百分点; the
#: code model (:func:`code_features`) is asked only about the codes of a number's unit.
CODE_UNITS: dict[str, tuple[str, ...]] = {
    **{c: ("%", "百分点") for c in ("enroll.gross_rate", "enroll.net_rate", "enroll.rate",
                                   "enroll.consolidation_rate", "enroll.promotion_rate",
                                   "enroll.completion_rate", "enroll.exam_pass_rate", "funding.share",
                                   "class_size.large_ratio", "class_size.super_large_ratio",
                                   "teachers.qualified_rate", "schools.inclusive_rate")},
    "enroll.exam_passed": ("人",),
    **{c: ("元",) for c in ("funding.expenditure", "funding.investment", "funding.student_aid",
                            "funding.per_student")},
    "funding.aid_recipients": ("人", "人次"),
    "class_size.large_count": ("个",), "class_size.super_large_count": ("个",), "class_size.limit": ("人",),
    **{c: ("人",) for c in ("teachers.fulltime", "teachers.staff", "teachers.recruited",
                            "teachers.special_post", "teachers.backbone", "students.enrolled",
                            "students.admitted")},
    "teachers.exchanged": ("人", "人次"), "teachers.trained": ("人次", "人"),
    "schools.count": ("所",), "schools.built": ("所",),
}


def unit_codes(unit: str | None) -> list[str]:
    """The codes whose values may be written in ``unit`` (:data:`CODE_UNITS`), sorted."""
    return sorted(c for c, units in CODE_UNITS.items() if unit in units)


def family(code: str) -> str:
    """Scoring family of an indicator code (students and schools are one family)."""
    head = code.split(".", 1)[0]
    return "students/schools" if head in ("students", "schools") else head
