"""Completeness and consistency rules for submitting a course (附件四, 附件九 第7–12條).

`submit_problems(version)` returns {field: [messages]}; empty means the version may be sent.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

REQUIRED = [
    "class_type",
    "basis",
    "name",
    "category",
    "level",
    "hours",
    "registration_start",
    "registration_end",
    "start_date",
    "end_date",
    "time_and_place",
    "fee",
    "classes",
    "seats_per_class",
    "contact1_name",
    "feedback",
]


def submit_problems(version) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for field in REQUIRED:
        value = getattr(version, field)
        if value in (None, "", []):
            problems.setdefault(field, []).append(_("此欄位為必填。"))
    return problems
