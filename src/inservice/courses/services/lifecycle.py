"""The course life cycle: draft → submit → (auto-)review → published or returned; edits of a
published course as a new version under review; cancellation. One place per rule."""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.core.audit import log_event
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from inservice.notifications.services import queue_mail
from inservice.organizations.models import UnitKind
from inservice.organizations.routing import reviewing_center

from .. import permissions
from ..models import (
    AutoReviewSetting,
    Course,
    CourseSession,
    CourseStatus,
    CourseVersion,
    Source,
    VersionState,
)

# Sent after a course is cancelled (on commit); enrollment notifies its registrants.
course_cancelled = Signal()  # kwargs: course, reason
# Sent after a version is approved (on commit); enrollment may react to changed capacity.
course_published = Signal()  # kwargs: course, version, previous

FIRST_COURSE_CODE = 5_000_001

# Fields copied from one version to the next (everything on the form).
FORM_FIELDS = [
    f.name
    for f in CourseVersion._meta.get_fields()
    if getattr(f, "concrete", False)
    and f.name
    not in {
        "id",
        "course",
        "number",
        "state",
        "created_by",
        "created_at",
        "updated_at",
        "change_reason",
        "submitted_at",
        "submitted_by",
        "reviewed_at",
        "reviewed_by",
        "auto_approved",
        "review_note",
    }
]

AUTO_REVIEW_UNIT_KINDS = {
    UnitKind.SENIOR_HIGH,
    UnitKind.VOCATIONAL_HIGH,
    UnitKind.JUNIOR_HIGH,
    UnitKind.ELEMENTARY,
    UnitKind.KINDERGARTEN,
    UnitKind.SPECIAL_ED_SCHOOL,
    UnitKind.TRAINING_CENTER,
}
AUTO_REVIEW_CLASS_TYPES = {"1-1", "1-2"}

STALE_EDIT = _("此課程已被其他人更新，請重新載入頁面後再修改，以免覆蓋他人的變更。")


def next_course_code() -> int:
    """Permanent public course codes: a PostgreSQL sequence (a max+1 fallback on SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('courses_course_code_seq')")
            return cursor.fetchone()[0]
    current = Course.objects.aggregate(m=Max("code"))["m"]
    return max(current or 0, FIRST_COURSE_CODE - 1) + 1


def _now():
    return timezone.now()


def _require(check: bool, message=None):
    if not check:
        raise PermissionDeniedError(message)


def _check_revision(course: Course, revision: int | None):
    if revision is not None and int(revision) != course.revision:
        raise DomainError(STALE_EDIT, code="stale")


def _bump(course: Course, *fields: str):
    course.revision += 1
    course.save(update_fields=["revision", "updated_at", *fields])


def _lock(course: Course) -> Course:
    return Course.objects.select_for_update().select_related("unit").get(pk=course.pk)


def _apply(version: CourseVersion, data: dict, sessions: list[dict] | None):
    for key, value in data.items():
        if key not in FORM_FIELDS:
            raise ValidationFailed(f"unknown course field {key!r}")
        setattr(version, key, value)
    from ..validation import CourseDataInvalid, draft_problems

    problems = draft_problems(version)  # unknown codes/tags are refused even in drafts
    if problems:
        raise CourseDataInvalid(problems)
    version.save()
    if sessions is not None:
        version.sessions.all().delete()
        CourseSession.objects.bulk_create(
            CourseSession(version=version, **session) for session in sessions
        )


def _copy(version: CourseVersion, *, actor) -> CourseVersion:
    """A new working version of the course starting from `version`'s content."""
    number = version.course.versions.aggregate(m=Max("number"))["m"] + 1
    new = CourseVersion(course=version.course, number=number, created_by=actor)
    for name in FORM_FIELDS:
        setattr(new, name, getattr(version, name))
    new.save()
    CourseSession.objects.bulk_create(
        CourseSession(
            version=new, date=s.date, start_time=s.start_time, end_time=s.end_time, hours=s.hours
        )
        for s in version.sessions.all()
    )
    return new


def _denormalise(course: Course, version: CourseVersion):
    course.name = version.name
    course.start_date = version.start_date
    course.end_date = version.end_date


@transaction.atomic
def create_course(*, actor, unit, data: dict, sessions: list[dict] | None = None) -> Course:
    """A draft course in the actor's own unit; saving a draft never needs completeness."""
    staff_unit = getattr(getattr(actor, "staff", None), "unit_id", None)
    from inservice.accounts.permissions import Function, can

    _require(staff_unit == unit.pk and can(actor, Function.COURSE_REGISTER))
    course = Course.objects.create(
        code=next_course_code(), unit=unit, created_by=actor, name=data.get("name", "")
    )
    version = CourseVersion.objects.create(course=course, number=1, created_by=actor)
    _apply(version, data, sessions)
    course.working = version
    _denormalise(course, version)
    course.save(update_fields=["working", "name", "start_date", "end_date"])
    log_event("course.created", actor=actor, obj=course, after={"name": version.name})
    return course


@transaction.atomic
def save_course(
    *,
    actor,
    course: Course,
    data: dict,
    sessions: list[dict] | None = None,
    revision: int | None = None,
    change_reason: str = "",
) -> CourseVersion:
    """Save the form. Drafts and returned versions are edited in place; a published course
    gets (or continues) a separate working version, leaving the published one public."""
    course = _lock(course)
    _require(permissions.can_manage(actor, course))
    _check_revision(course, revision)
    if course.status in (CourseStatus.CANCELLED, CourseStatus.CLOSED):
        raise DomainError(_("已取消或已結案的課程不能直接修改；已結案課程請提出修改申請。"))
    version = course.working
    if version is not None and version.state == VersionState.PENDING:
        raise DomainError(_("課程正在審核中，審核完成前不能修改。"), code="pending")
    if version is None:  # first edit of a published course
        version = _copy(course.published, actor=actor)
        course.working = version
    before = {f: str(getattr(version, f)) for f in data}
    if version.state == VersionState.RETURNED:
        version.state = VersionState.DRAFT
    if change_reason:
        version.change_reason = change_reason
    _apply(version, data, sessions)
    if course.published_id is None:
        _denormalise(course, version)
    _bump(course, "working", "name", "start_date", "end_date")
    log_event(
        "course.saved",
        actor=actor,
        obj=course,
        before=before,
        after={f: str(getattr(version, f)) for f in data},
        data={"version": version.number},
    )
    return version


def autoreview_check(course: Course, version: CourseVersion, center) -> list[str]:
    """The three conditions of 附件一 二(三)5; returns the ones that fail (empty = eligible)."""
    failed = []
    if course.unit.kind not in AUTO_REVIEW_UNIT_KINDS:
        failed.append(_("開課單位不是高中職、國中、國小、幼兒園、特殊教育學校或研習中心。"))
    if version.class_type not in AUTO_REVIEW_CLASS_TYPES or not version.basis_doc_number.strip():
        failed.append(_("班別不是「非學分班」或「非學分班(校本研習)」，或未填依據文號。"))
    setting = AutoReviewSetting.objects.filter(center=center).first()
    if setting is None or not setting.courses:
        failed.append(_("區管中心未開啟課程自動審核。"))
    return failed


@transaction.atomic
def submit_course(*, actor, course: Course, revision: int | None = None) -> CourseVersion:
    """Send the working version to the regional center that routing names for the unit."""
    from ..validation import submit_problems

    course = _lock(course)
    _require(permissions.can_manage(actor, course))
    _check_revision(course, revision)
    version = course.working
    if version is None or version.state not in (VersionState.DRAFT, VersionState.RETURNED):
        raise DomainError(_("沒有可送審的課程內容。"), code="nothing_to_submit")
    problems = submit_problems(version)
    if problems:
        raise CourseIncomplete(problems)
    # County-transmitted courses are validated by that county (第11條 六).
    source = course.source if course.source == Source.COUNTY_TRANSMIT else None
    center = reviewing_center(course.unit, on=timezone.localdate(), source=source)
    course.reviewing_center = center
    version.state = VersionState.PENDING
    version.submitted_at = _now()
    version.submitted_by = actor
    version.save(update_fields=["state", "submitted_at", "submitted_by"])
    if course.status in (CourseStatus.DRAFT, CourseStatus.RETURNED):
        course.status = CourseStatus.PENDING
    _bump(course, "status", "reviewing_center")
    log_event(
        "course.submitted",
        actor=actor,
        obj=course,
        data={"version": version.number, "center": center.code},
    )
    if not autoreview_check(course, version, center):
        _approve(course, version, actor=None, auto=True, note="")
    return version


class CourseIncomplete(ValidationFailed):
    """Submission refused; `problems` maps each form field to its messages."""

    code = "incomplete"

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__(_("課程資料尚未完整，請依各欄位說明修正後再送審。"))


def _approve(course: Course, version: CourseVersion, *, actor, auto: bool, note: str):
    previous = course.published
    version.state = VersionState.APPROVED
    version.reviewed_at = _now()
    version.reviewed_by = actor
    version.auto_approved = auto
    version.review_note = note
    version.save(
        update_fields=["state", "reviewed_at", "reviewed_by", "auto_approved", "review_note"]
    )
    if previous is not None:
        previous.state = VersionState.SUPERSEDED
        previous.save(update_fields=["state"])
    course.published = version
    course.working = None
    course.status = CourseStatus.PUBLISHED
    if course.published_at is None:
        course.published_at = _now()
    _denormalise(course, version)
    _bump(
        course, "published", "working", "status", "published_at", "name", "start_date", "end_date"
    )
    log_event(
        "course.auto_approved" if auto else "course.approved",
        actor=actor,
        obj=course,
        data={"version": version.number, "note": note},
    )
    _mail_contacts(course, version, "course_approved", {"auto": auto, "note": note})
    transaction.on_commit(
        lambda: course_published.send(
            sender=Course, course=course, version=version, previous=previous
        )
    )


def _pending_for_review(actor, course: Course) -> CourseVersion:
    _require(permissions.can_review(actor, course))
    version = course.working
    if version is None or version.state != VersionState.PENDING:
        raise DomainError(_("此課程目前沒有待審核的內容。"), code="not_pending")
    return version


@transaction.atomic
def approve_course(*, actor, course: Course, note: str = "") -> CourseVersion:
    course = _lock(course)
    version = _pending_for_review(actor, course)
    _approve(course, version, actor=actor, auto=False, note=note.strip())
    return version


def approve_courses(*, actor, courses) -> list[CourseVersion]:
    """Approve several at once: all or nothing, locked in code order (no deadlocks)."""
    with transaction.atomic():
        return [
            approve_course(actor=actor, course=c) for c in sorted(courses, key=lambda c: c.code)
        ]


@transaction.atomic
def return_course(*, actor, course: Course, reason: str) -> CourseVersion:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("退回時請說明原因，讓開課單位知道如何修正。"), field="reason")
    course = _lock(course)
    version = _pending_for_review(actor, course)
    version.state = VersionState.RETURNED
    version.reviewed_at = _now()
    version.reviewed_by = actor
    version.review_note = reason
    version.save(update_fields=["state", "reviewed_at", "reviewed_by", "review_note"])
    if course.published_id is None:
        course.status = CourseStatus.RETURNED
    _bump(course, "status")
    log_event(
        "course.returned",
        actor=actor,
        obj=course,
        data={"version": version.number, "reason": reason},
    )
    _mail_contacts(course, version, "course_returned", {"reason": reason})
    return version


@transaction.atomic
def withdraw_change(*, actor, course: Course, revision: int | None = None):
    """Drop an unpublished working version of a published course (back to the published one)."""
    course = _lock(course)
    _require(permissions.can_manage(actor, course))
    _check_revision(course, revision)
    version = course.working
    if course.published_id is None or version is None or version.state == VersionState.PENDING:
        raise DomainError(_("沒有可撤回的修改。"))
    version.state = VersionState.WITHDRAWN
    version.save(update_fields=["state"])
    course.working = None
    _bump(course, "working")
    log_event("course.change_withdrawn", actor=actor, obj=course, data={"version": version.number})


@transaction.atomic
def cancel_course(*, actor, course: Course, reason: str, revision: int | None = None) -> Course:
    """Cancel before the course is held; every registrant is told (enrollment listens)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("請填寫取消原因，系統會通知已報名的教師。"), field="reason")
    course = _lock(course)
    _require(permissions.can_manage(actor, course))
    _check_revision(course, revision)
    if course.status in (CourseStatus.CANCELLED, CourseStatus.CLOSED):
        raise DomainError(_("此課程已取消或已結案。"))
    if course.start_date is not None and course.start_date <= timezone.localdate():
        raise DomainError(_("課程已開始或已辦理，不能取消。"), code="already_held")
    before = course.status
    course.status = CourseStatus.CANCELLED
    course.cancelled_at = _now()
    course.cancel_reason = reason
    if course.working is not None and course.working.state == VersionState.PENDING:
        course.working.state = VersionState.WITHDRAWN
        course.working.save(update_fields=["state"])
    _bump(course, "status", "cancelled_at", "cancel_reason")
    log_event(
        "course.cancelled",
        actor=actor,
        obj=course,
        before={"status": before},
        after={"status": course.status},
        data={"reason": reason},
    )
    version = course.published or course.working
    if version is not None:
        _mail_contacts(course, version, "course_cancelled", {"reason": reason})
    transaction.on_commit(
        lambda: course_cancelled.send(sender=Course, course=course, reason=reason)
    )
    return course


def _mail_contacts(course: Course, version: CourseVersion, template: str, context: dict):
    seen = set()
    for address in (version.contact1_email, version.contact2_email):
        if address and address.lower() not in seen:
            seen.add(address.lower())
            queue_mail(
                to=address,
                template=template,
                context={"course": course, "version": version, **context},
            )


def days_until(day: datetime.date | None) -> int | None:
    return None if day is None else (day - timezone.localdate()).days
