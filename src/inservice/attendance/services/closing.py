"""The attendance list's way to closing (結案): the organizer submits it, the regional center
confirms or returns it (or auto-confirmation does, where the center switched it on), and the
course closes: training records are created and every teacher is told.

When a list may be submitted: once the course's last day has begun (local date ≥ end date).
The last sign-in sheet is complete by the end of that day's sessions, and a one-day course can
be reported the same afternoon; a list for a course still to be held is refused.

Due date and reminders (附件九 第12條第2款): the list is due within `lights.HOURS_DUE_DAYS`
days after the end date. A daily job mails the unit's chief and contacts about published
courses past that date whose list has not been submitted — per course at most once every
`REMINDER_EVERY_DAYS` days (`AttendanceList.last_reminder_at`).

After closing, the course changes only through a change request (`courses/services/changes`).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.accounts.models import StaffRole, StaffStatus, User
from inservice.accounts.permissions import Function, users_who_can
from inservice.core.audit import log_event
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from inservice.courses import lights, permissions
from inservice.courses.models import AutoReviewSetting, Course, CourseStatus
from inservice.courses.services.lifecycle import (
    AUTO_REVIEW_CLASS_TYPES,
    AUTO_REVIEW_UNIT_KINDS,
    _mail_contacts,
)
from inservice.notifications.services import mail_user, queue_mail

from ..models import AttendanceList, ListState

logger = logging.getLogger(__name__)

REMINDER_EVERY_DAYS = 3  # an overdue course's unit is reminded again after this many days
ZERO = Decimal(0)

STALE_LIST = _("名單在您開啟此頁後已被修改，請重新載入頁面確認內容後再送出。")


# --------------------------------------------------------------------------- helpers


def due_date(course) -> datetime.date | None:
    """The last day to submit the list (附件九 第12條第2款: a week after the end date)."""
    if course.end_date is None:
        return None
    return course.end_date + datetime.timedelta(days=lights.HOURS_DUE_DAYS)


def can_submit_on(course, today: datetime.date) -> bool:
    """The list can be submitted once the course's last day has begun."""
    return course.end_date is not None and today >= course.end_date


def list_of(course) -> AttendanceList | None:
    return AttendanceList.objects.filter(course=course).first()


def _lock_course(course) -> Course:
    return (
        Course.objects.select_for_update(of=("self",))
        .select_related("unit", "published", "reviewing_center")
        .get(pk=course.pk)
    )


def _lock_list(course) -> AttendanceList:
    """The course's list, created if the organizer never opened the grid, and row-locked.
    Callers lock the course first (always course, then list: no deadlocks)."""
    AttendanceList.objects.get_or_create(course=course)
    return AttendanceList.objects.select_for_update().get(course=course)


def totals(attendance_list) -> dict:
    """Entries on the list, how many got hours, and the hours (before the caps)."""
    agg = attendance_list.entries.aggregate(
        entries=Count("id"), with_hours=Count("id", filter=Q(hours__gt=0)), hours=Sum("hours")
    )
    agg["hours"] = agg["hours"] or ZERO
    return agg


def _refuse_unless_open_course(course):
    if course.status == CourseStatus.CLOSED:
        raise DomainError(
            _("此課程已結案，名單不能再變更；如需修改，請提出「修改已結案課程內容申請」。"),
            code="closed",
        )
    if course.status == CourseStatus.CANCELLED:
        raise DomainError(_("此課程已取消，沒有研習名單。"), code="cancelled")
    if course.status != CourseStatus.PUBLISHED:
        raise DomainError(_("此課程尚未核准公告，沒有研習名單可處理。"), code="not_published")


def autoreview_failures(course) -> list[str]:
    """附件一 二(三)5 for lists: the course conditions of course auto-review, and the reviewing
    center's list switch (`AutoReviewSetting.attendance_lists`). Empty = auto-confirm."""
    version = course.published
    failed = []
    if course.unit.kind not in AUTO_REVIEW_UNIT_KINDS:
        failed.append(_("開課單位不是高中職、國中、國小、幼兒園、特殊教育學校或研習中心。"))
    if (
        version is None
        or version.class_type not in AUTO_REVIEW_CLASS_TYPES
        or not version.basis_doc_number.strip()
    ):
        failed.append(_("班別不是「非學分班」或「非學分班(校本研習)」，或未填依據文號。"))
    setting = AutoReviewSetting.objects.filter(center_id=course.reviewing_center_id).first()
    if setting is None or not setting.attendance_lists:
        failed.append(_("區管中心未開啟名單自動審核。"))
    return failed


# --------------------------------------------------------------------------- organizer


@transaction.atomic
def submit_list(
    *, actor, course, revision: int | None = None, confirm_empty: bool = False
) -> AttendanceList:
    """The organizer sends the list to the regional center (or it is auto-confirmed).

    A list without anyone on it is refused unless `confirm_empty` says nobody attended.
    """
    course = _lock_course(course)
    if not permissions.can_manage(actor, course):
        raise PermissionDeniedError(_("只有開課單位的承辦人可以送出此課程的研習名單。"))
    _refuse_unless_open_course(course)
    today = timezone.localdate()
    if not can_submit_on(course, today):
        raise DomainError(
            _("課程尚未辦理完畢，最後一天（%(end)s）開始後才能送出名單。")
            % {"end": course.end_date.isoformat() if course.end_date else "—"},
            code="not_held",
        )
    if course.reviewing_center_id is None:
        raise DomainError(_("此課程沒有審核的區管中心，無法送出名單。"), code="no_center")
    attendance = _lock_list(course)
    if attendance.state == ListState.SUBMITTED:
        raise DomainError(_("名單已經送出，正等候區管中心確認。"), code="already_submitted")
    if attendance.state == ListState.CONFIRMED:
        raise DomainError(_("名單已經確認，不能再送出。"), code="confirmed")
    if revision is not None and int(revision) != attendance.revision:
        raise DomainError(STALE_LIST, code="stale")
    summary = totals(attendance)
    if summary["entries"] == 0 and not confirm_empty:
        raise DomainError(
            _("名單上還沒有任何教師。若本課程確實無人參加，請勾選「確認本課程無人參加」後再送出。"),
            code="empty",
            field="confirm_empty",
        )
    before = attendance.state
    attendance.state = ListState.SUBMITTED
    attendance.submitted_at = timezone.now()
    attendance.submitted_by = actor
    attendance.decided_at = None
    attendance.decided_by = None
    attendance.return_reason = ""
    attendance.revision += 1
    attendance.save()
    log_event(
        "attendance.list_submitted",
        actor=actor,
        obj=course,
        before={"state": before},
        after={"state": attendance.state},
        data={
            "entries": summary["entries"],
            "hours": str(summary["hours"]),
            "confirmed_empty": summary["entries"] == 0,
        },
    )
    if not autoreview_failures(course):
        _confirm(course, attendance, actor=None, auto=True)
        return attendance
    for reviewer in users_who_can(Function.COURSE_REVIEW, course.reviewing_center).order_by("pk"):
        if reviewer.email:
            mail_user(
                reviewer,
                "attendance_list_submitted",
                {
                    "course": course,
                    "version": course.published,
                    "summary": summary,
                    "url": reverse("attendance:list_review_detail", args=[course.code]),
                },
            )
    return attendance


# --------------------------------------------------------------------------- regional center


def _submitted_for_review(actor, course) -> AttendanceList:
    if not permissions.can_review(actor, course):
        raise PermissionDeniedError(_("此課程的研習名單不是由您的區管中心確認。"))
    _refuse_unless_open_course(course)
    attendance = _lock_list(course)
    if attendance.state != ListState.SUBMITTED:
        raise DomainError(
            _("名單目前的狀態是「%(state)s」，不是待確認，無法處理。")
            % {"state": attendance.get_state_display()},
            code="not_submitted",
        )
    return attendance


@transaction.atomic
def confirm_list(*, actor, course) -> AttendanceList:
    """The regional center confirms the submitted list; the course closes at once."""
    course = _lock_course(course)
    attendance = _submitted_for_review(actor, course)
    _confirm(course, attendance, actor=actor, auto=False)
    return attendance


@transaction.atomic
def return_list(*, actor, course, reason: str) -> AttendanceList:
    """The regional center sends the list back with a reason; the organizer corrects it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("退回名單時請說明原因，讓開課單位知道如何修正。"), field="reason")
    course = _lock_course(course)
    attendance = _submitted_for_review(actor, course)
    attendance.state = ListState.RETURNED
    attendance.decided_at = timezone.now()
    attendance.decided_by = actor
    attendance.return_reason = reason
    attendance.revision += 1
    attendance.save()
    log_event(
        "attendance.list_returned",
        actor=actor,
        obj=course,
        before={"state": ListState.SUBMITTED},
        after={"state": attendance.state},
        data={"reason": reason},
    )
    _mail_contacts(
        course,
        course.published,
        "attendance_list_returned",
        {"reason": reason, "url": reverse("attendance:list_submit", args=[course.code])},
    )
    return attendance


def _confirm(course, attendance, *, actor, auto: bool):
    attendance.state = ListState.CONFIRMED
    attendance.decided_at = timezone.now()
    attendance.decided_by = actor
    attendance.auto_confirmed = auto
    attendance.revision += 1
    attendance.save()
    log_event(
        "attendance.list_auto_confirmed" if auto else "attendance.list_confirmed",
        actor=actor,
        obj=course,
        before={"state": ListState.SUBMITTED},
        after={"state": attendance.state},
    )
    close_course(course, actor=actor, auto=auto)
    _mail_contacts(course, course.published, "attendance_list_confirmed", {"auto": auto})


# --------------------------------------------------------------------------- closing


def _reindex_after_commit(course):
    def reindex():
        from inservice.search.index import index_course

        # The closing is committed; a failed index update must not turn it into an error
        # (`manage.py rebuild_search_index` repairs the table).
        try:
            index_course(course)
        except Exception:
            logger.exception("search index update failed for course %s", course.pk)

    transaction.on_commit(reindex)


@transaction.atomic
def close_course(course, *, actor, auto: bool) -> Course:
    """Close the course under its row lock: records for the confirmed list (the hours rules and
    the daily/weekly caps apply there), a mail to every teacher with a login, the audit trail.

    Internal: called when a list is confirmed; the callers have checked who may do it.
    """
    from inservice.records.models import TrainingRecord
    from inservice.records.services.recording import record_course

    course = _lock_course(course)
    if course.status == CourseStatus.CLOSED:
        raise DomainError(_("此課程已經結案。"), code="closed")
    closed_at = timezone.now()
    before = course.status
    course.status = CourseStatus.CLOSED
    course.closed_at = closed_at
    course.revision += 1
    course.save(update_fields=["status", "closed_at", "revision", "updated_at"])
    record_course(course=course, closed_at=closed_at)
    records = list(
        TrainingRecord.objects.filter(course=course)
        .select_related("teacher__user")
        .order_by("teacher__name", "pk")
    )
    counted = sum((r.hours for r in records), ZERO)
    withheld = sum((r.hours_withheld for r in records), ZERO)
    log_event(
        "course.closed",
        actor=actor,
        obj=course,
        before={"status": before},
        after={"status": course.status},
        data={
            "auto": auto,
            "records": len(records),
            "hours": str(counted),
            "withheld": str(withheld),
        },
    )
    _mail_hours_granted(course, records)
    _reindex_after_commit(course)
    return course


def _mail_hours_granted(course, records) -> list:
    """`records_hours_granted` to every teacher with a login who got a record, in bulk."""
    from inservice.notifications.services import queue_user_mails

    records_url = reverse("records:my_records")
    recipients = [
        (user, {"course": course, "record": record, "records_url": records_url})
        for record in records
        if (user := record.teacher.user) is not None and user.is_active and user.email
    ]
    return queue_user_mails("records_hours_granted", recipients)


# --------------------------------------------------------------------------- reviewer queue


def review_queue(center):
    """Submitted lists waiting for `center`, oldest first, with their entry count and hours."""
    return (
        AttendanceList.objects.filter(state=ListState.SUBMITTED, course__reviewing_center=center)
        .select_related("course__unit", "course__published", "submitted_by")
        .annotate(entry_count=Count("entries"), total_hours=Sum("entries__hours"))
        .order_by("submitted_at", "course__code")
    )


def reviewable_course_or_none(actor, code: int) -> Course | None:
    course = (
        Course.objects.select_related("unit", "published", "reviewing_center")
        .filter(code=code)
        .first()
    )
    if course is None or not permissions.can_review(actor, course):
        return None
    return course


def entries_of(attendance_list):
    return attendance_list.entries.select_related("teacher__serving_unit").order_by(
        "teacher__name", "pk"
    )


# --------------------------------------------------------------------------- reminders


def overdue_courses(today: datetime.date):
    """Published courses past their due date whose list has not been submitted (or was
    returned and not yet sent back): the red `HOURS_OVERDUE` / returned lights."""
    due_before = today - datetime.timedelta(days=lights.HOURS_DUE_DAYS)
    return (
        Course.objects.filter(status=CourseStatus.PUBLISHED, end_date__lt=due_before)
        .exclude(attendance_list__state__in=[ListState.SUBMITTED, ListState.CONFIRMED])
        .select_related("unit", "published")
        .order_by("unit_id", "end_date", "code")
    )


def unit_recipients(unit):
    """Who hears about a unit's overdue lists: its active chief and contacts."""
    return User.objects.filter(
        kind=User.Kind.STAFF,
        is_active=True,
        staff__unit=unit,
        staff__status=StaffStatus.ACTIVE,
        staff__role__in=[StaffRole.CHIEF, StaffRole.CONTACT],
    ).order_by("pk")


@dataclass
class _UnitReminder:
    unit: object
    items: list = field(default_factory=list)


def remind_overdue_lists(
    today: datetime.date | None = None, now: datetime.datetime | None = None
) -> list[dict]:
    """Mail each unit's chief and contacts its overdue lists (daily job, attendance/tasks.py).

    A course is included at most once every `REMINDER_EVERY_DAYS` days; the courses told
    about get `last_reminder_at` set in the same transaction as the queued mail. Returns one
    summary per unit reminded.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    again_after = now - datetime.timedelta(days=REMINDER_EVERY_DAYS)
    by_unit: dict[int, _UnitReminder] = {}
    for course in overdue_courses(today):
        by_unit.setdefault(course.unit_id, _UnitReminder(course.unit)).items.append(course)
    summaries = []
    for reminder in by_unit.values():
        with transaction.atomic():
            due = []
            for course in reminder.items:
                attendance = _lock_list(course)
                if attendance.last_reminder_at is not None and attendance.last_reminder_at > (
                    again_after
                ):
                    continue
                attendance.last_reminder_at = now
                attendance.save(update_fields=["last_reminder_at", "updated_at"])
                due.append(
                    {
                        "course": course,
                        "version": course.published,
                        "state": attendance.state,
                        "due": due_date(course),
                        "days_late": (today - due_date(course)).days,
                        "url": reverse("attendance:list_submit", args=[course.code]),
                    }
                )
            if not due:
                continue
            context = {"unit": reminder.unit, "items": due, "today": today}
            recipients = list(unit_recipients(reminder.unit))
            for user in recipients:
                if user.email:
                    mail_user(user, "attendance_overdue_reminder", context)
            if not recipients:
                # Nobody holds an account: the course contacts on the form hear about it.
                addresses = {
                    e.lower(): e
                    for item in due
                    for e in (item["version"].contact1_email, item["version"].contact2_email)
                    if e
                }
                for address in addresses.values():
                    queue_mail(to=address, template="attendance_overdue_reminder", context=context)
            summary = {
                "unit": reminder.unit.code,
                "courses": [item["course"].code for item in due],
                "recipients": len(recipients),
            }
            log_event("attendance.overdue_reminded", obj=reminder.unit, data=summary)
        summaries.append(summary)
    return summaries
