"""Change requests after closing (修改已結案課程內容申請表, 附件九 第12條第5款).

The organizer unit asks for a change of a closed course with a reason; the regional center
that reviewed the course approves or rejects it; the national center (全國推廣中心) carries
out an approved one. The proposed content is a separate `CourseVersion` (state draft) linked
from the `ChangeRequest`; the published version stays as it is until the national center
carries the change out, when the proposed version becomes the published one (the previous
one is superseded) and the course stays closed. Every step is audited on the course (so it
shows in the course history) and mailed to the unit.

Decisions: one open request (pending or approved) per course at a time, so each proposal is
a change of the version that is published when it is carried out; the proposal must still
pass the submit rules (`validation.submit_problems`) and must change something.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.accounts.permissions import Function, users_who_can
from inservice.core.audit import log_event
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from inservice.notifications.services import queue_mail
from inservice.organizations.reference import national_center

from .. import permissions
from ..models import ChangeRequest, Course, CourseStatus, VersionState
from ..selectors import raw_changes
from . import lifecycle

# Sent after a change request is carried out (on commit): hours already granted may follow.
course_changed_after_closing = Signal()  # kwargs: course, version, previous, change_request

OPEN_STATES = (ChangeRequest.State.PENDING, ChangeRequest.State.APPROVED)


def _require(check: bool):
    if not check:
        raise PermissionDeniedError()


def _lock_request(change_request: ChangeRequest) -> tuple[ChangeRequest, Course]:
    course = lifecycle._lock(change_request.course)
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("proposed", "requested_by")
        .get(pk=change_request.pk)
    )
    locked.course = course
    return locked, course


@transaction.atomic
def request_change(
    *, actor, course: Course, data: dict, sessions: list[dict] | None = None, reason: str
) -> ChangeRequest:
    """The unit asks to change a closed course; `data` holds the changed form fields."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("請說明申請修改的理由，區管中心會依此審核。"), field="reason")
    course = lifecycle._lock(course)
    _require(permissions.can_manage(actor, course))
    if course.status != CourseStatus.CLOSED or course.published is None:
        raise DomainError(
            _("只有已結案的課程需要提出修改申請；尚未結案的課程請直接編輯後送審。"),
            code="not_closed",
        )
    if course.change_requests.filter(state__in=OPEN_STATES).exists():
        raise DomainError(
            _("此課程已有一件處理中的修改申請，請待其完成或未獲同意後再提出。"),
            code="open_request",
        )
    previous = course.published
    version = lifecycle._copy(previous, actor=actor)
    lifecycle._apply(version, data, sessions)
    from ..validation import submit_problems

    problems = submit_problems(version)
    if problems:
        raise lifecycle.CourseIncomplete(problems)
    before, after = raw_changes(previous, version)
    if not after:
        raise DomainError(
            _("申請內容與目前公告的課程資料相同，沒有需要修改的地方。"), code="no_change"
        )
    version.change_reason = reason
    version.submitted_at = timezone.now()
    version.submitted_by = actor
    version.save(update_fields=["change_reason", "submitted_at", "submitted_by"])
    change_request = ChangeRequest.objects.create(
        course=course, proposed=version, reason=reason, requested_by=actor
    )
    lifecycle._bump(course)
    log_event(
        "course.change_requested",
        actor=actor,
        obj=course,
        before=before,
        after=after,
        data={"request": change_request.pk, "version": version.number, "reason": reason},
    )
    _mail_unit(change_request, "change_request_submitted")
    _mail_staff(
        course.reviewing_center,
        change_request,
        "change_request_received",
    )
    return change_request


@transaction.atomic
def decide_change_request(
    *, actor, change_request: ChangeRequest, approve: bool, note: str = ""
) -> ChangeRequest:
    """The course's regional center approves or rejects (a rejection needs a note)."""
    note = (note or "").strip()
    change_request, course = _lock_request(change_request)
    _require(permissions.can_review(actor, course))
    if change_request.state != ChangeRequest.State.PENDING:
        raise DomainError(_("此修改申請已審核過，不能再次審核。"), code="not_pending")
    if not approve and not note:
        raise ValidationFailed(_("未同意時請說明原因，讓開課單位知道如何處理。"), field="note")
    now = timezone.now()
    change_request.state = ChangeRequest.State.APPROVED if approve else ChangeRequest.State.REJECTED
    change_request.decided_by = actor
    change_request.decided_at = now
    change_request.decision_note = note
    change_request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    version = change_request.proposed
    version.reviewed_by = actor
    version.reviewed_at = now
    version.review_note = note
    fields = ["reviewed_by", "reviewed_at", "review_note"]
    if not approve:
        version.state = VersionState.RETURNED
        fields.append("state")
    version.save(update_fields=fields)
    lifecycle._bump(course)
    log_event(
        "course.change_request_approved" if approve else "course.change_request_rejected",
        actor=actor,
        obj=course,
        data={"request": change_request.pk, "version": version.number, "note": note},
    )
    if approve:
        _mail_unit(change_request, "change_request_approved")
        _mail_staff(national_center(), change_request, "change_request_to_carry_out")
    else:
        _mail_unit(change_request, "change_request_rejected")
    return change_request


@transaction.atomic
def carry_out_change_request(*, actor, change_request: ChangeRequest) -> ChangeRequest:
    """The national center makes an approved proposal the published version."""
    change_request, course = _lock_request(change_request)
    _require(permissions.is_national_center(actor))
    if change_request.state != ChangeRequest.State.APPROVED:
        raise DomainError(_("只有區管中心已同意的修改申請可以辦理。"), code="not_approved")
    if course.status != CourseStatus.CLOSED:
        raise DomainError(_("課程已不是結案狀態，無法辦理此修改申請。"), code="not_closed")
    previous = course.published
    version = change_request.proposed
    before, after = raw_changes(previous, version)
    previous.state = VersionState.SUPERSEDED
    previous.save(update_fields=["state"])
    version.state = VersionState.APPROVED
    version.save(update_fields=["state"])
    course.published = version
    lifecycle._denormalise(course, version)
    lifecycle._bump(course, "published", "name", "start_date", "end_date")
    change_request.state = ChangeRequest.State.DONE
    change_request.done_by = actor
    change_request.done_at = timezone.now()
    change_request.save(update_fields=["state", "done_by", "done_at"])
    log_event(
        "course.change_carried_out",
        actor=actor,
        obj=course,
        before=before,
        after=after,
        data={
            "request": change_request.pk,
            "version": version.number,
            "previous_version": previous.number,
        },
    )
    _mail_unit(change_request, "change_request_done")
    transaction.on_commit(
        lambda: course_changed_after_closing.send(
            sender=Course,
            course=course,
            version=version,
            previous=previous,
            change_request=change_request,
        )
    )
    return change_request


def _mail_unit(change_request: ChangeRequest, template: str):
    """The unit hears of each step: the course's contacts and the person who asked."""
    course = change_request.course
    published = course.published
    addresses = [published.contact1_email, published.contact2_email]
    requester = change_request.requested_by
    if requester is not None:
        addresses.append(requester.email)
    seen = set()
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            queue_mail(
                to=address,
                template=template,
                context={"course": course, "change_request": change_request},
            )


def _mail_staff(unit, change_request: ChangeRequest, template: str):
    """The center's reviewers hear of a request waiting for them."""
    if unit is None:
        return
    for user in users_who_can(Function.COURSE_REVIEW, unit).exclude(email=""):
        queue_mail(
            to=user.email,
            template=template,
            context={"course": change_request.course, "change_request": change_request},
            language=getattr(user, "language", None),
        )
