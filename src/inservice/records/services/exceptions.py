"""Exceptions to the daily and weekly caps (第10條二: 超過者由主管機關專案核准).

A regional center (for the courses it reviews) or the national center lets the hours withheld
on one day of one record count. The day's counted hours become its requested hours and the
record's totals follow; the grant is kept as an HoursException and audited. Granting never
takes hours away from another record: records already made stay as they are.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.core.audit import log_event
from inservice.core.errors import DomainError, PermissionDeniedError
from inservice.courses.permissions import can_review, is_national_center
from inservice.organizations import reference_data
from inservice.organizations.models import Unit

from ..hours import ZERO
from ..models import HoursException, TrainingDay, TrainingRecord
from .recording import _lock_teachers


def may_grant(actor, record: TrainingRecord) -> bool:
    """The course's reviewing center, or the national center (for every record)."""
    if is_national_center(actor):
        return True
    return record.course is not None and can_review(actor, record.course)


def _granting_center(actor) -> Unit:
    staff = getattr(actor, "staff", None) if getattr(actor, "kind", None) == "staff" else None
    if staff is not None:
        return staff.unit
    return Unit.objects.get(code=reference_data.NATIONAL_CENTER)  # a site administrator


def grant_exception(*, actor, day: TrainingDay, reason: str) -> HoursException:
    """Let the withheld hours of `day` count; refuses with the reason why not."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("請填寫核准例外的理由。"), field="reason")
    with transaction.atomic():
        _lock_teachers([day.teacher_id])
        day = (
            TrainingDay.objects.select_for_update(of=("self",))
            .select_related("record", "record__course")
            .get(pk=day.pk)
        )
        record = day.record
        if not may_grant(actor, record):
            raise PermissionDeniedError(
                _("只有審核這門課程的區管中心或全國推廣中心可以核准時數上限例外。")
            )
        existing = HoursException.objects.filter(day=day).first()
        if existing is not None:
            raise DomainError(
                _("%(date)s 的時數已於 %(when)s 核准例外，不需重複核准。")
                % {
                    "date": day.date.isoformat(),
                    "when": timezone.localtime(existing.granted_at).strftime("%Y-%m-%d"),
                }
            )
        if day.hours_counted >= day.hours_requested:
            raise DomainError(
                _("%(date)s 沒有超過上限而未核計的時數，不需核准例外。")
                % {"date": day.date.isoformat()}
            )
        before = {
            "day_counted": day.hours_counted,
            "record_hours": record.hours,
            "record_withheld": record.hours_withheld,
        }
        day.hours_counted = day.hours_requested
        day.save(update_fields=["hours_counted"])
        counted = record.days.aggregate(total=Sum("hours_counted"))["total"] or ZERO
        record.hours = counted
        record.hours_withheld = max(ZERO, record.hours_requested - counted)
        record.save(update_fields=["hours", "hours_withheld"])
        center = _granting_center(actor)
        exception = HoursException.objects.create(
            day=day, center=center, reason=reason, granted_by=actor
        )
        log_event(
            "records.hours_exception_granted",
            actor=actor,
            obj=record,
            before={k: str(v) for k, v in before.items()},
            after={
                "day_counted": str(day.hours_counted),
                "record_hours": str(record.hours),
                "record_withheld": str(record.hours_withheld),
            },
            data={
                "date": day.date.isoformat(),
                "day_id": day.pk,
                "course_code": record.course_code,
                "center": center.code,
                "reason": reason,
            },
        )
    return exception
