"""Reads for the cap-exception pages: which training days a center may see and grant.

A regional center reaches the days of records of the courses it reviews; the national center
reaches every day (partner and county records included, which have no course of ours).
"""

from __future__ import annotations

from django.db.models import F, QuerySet

from inservice.accounts.permissions import Function, can
from inservice.courses.permissions import is_national_center

from .models import TrainingDay


def _center_id(user):
    staff = getattr(user, "staff", None) if getattr(user, "kind", None) == "staff" else None
    return staff.unit_id if staff is not None and staff.is_usable else None


def reachable_days(user) -> QuerySet[TrainingDay]:
    """Every training day whose cap exceptions `user` may decide."""
    days = TrainingDay.objects.select_related("record", "record__course", "teacher")
    if is_national_center(user):
        return days
    center_id = _center_id(user)
    if center_id is None or not can(user, Function.COURSE_REVIEW):
        return days.none()
    return days.filter(record__course__reviewing_center_id=center_id)


def withheld_days(user) -> QuerySet[TrainingDay]:
    """Days within reach with hours withheld by the caps and no exception yet, newest first."""
    return (
        reachable_days(user)
        .filter(hours_counted__lt=F("hours_requested"), exception__isnull=True)
        .order_by("-date", "teacher__name", "record_id")
    )
