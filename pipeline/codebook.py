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


def family(code: str) -> str:
    """Scoring family of an indicator code (students and schools are one family)."""
    head = code.split(".", 1)[0]
    return "students/schools" if head in ("students", "schools") else head
