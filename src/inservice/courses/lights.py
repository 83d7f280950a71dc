"""Status lights (燈號) of the unit's course list (本單位研習課程瀏覽).

One function, `light_for(course)`, says which light a course shows; `selectors.light_filter`
writes the same rule as a database filter (tests check that the two agree).

The held-course lights follow 附件九 第12條第2款: attendance and hours are entered within one
week after the course ends — yellow while that week runs (up to 7 days after the end date),
red after it. Once the organizer has submitted the attendance list the course waits for the
regional center (blue); a list sent back for correction is red until it is submitted again.
Every light has a text label: colour is never the only signal.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CourseStatus

# Days after the end date within which attendance and hours are due (附件九 第12條第2款).
HOURS_DUE_DAYS = 7


@dataclass(frozen=True)
class Light:
    code: str
    label: str
    tone: str  # red, blue, green, yellow, grey, neutral (a CSS hint; the label carries meaning)


DRAFT = "draft"
PENDING = "pending"
RETURNED = "returned"
REG_UPCOMING = "registration_upcoming"
REG_OPEN = "registration_open"
REG_CLOSED = "registration_closed"
RUNNING = "running"
HOURS_DUE = "hours_due"
HOURS_OVERDUE = "hours_overdue"
LIST_SUBMITTED = "list_submitted"
LIST_RETURNED = "list_returned"
CLOSED = "closed"
CANCELLED = "cancelled"

LIGHTS: dict[str, Light] = {
    light.code: light
    for light in (
        Light(RETURNED, _("退回修正"), "red"),
        Light(PENDING, _("審核中"), "blue"),
        Light(REG_UPCOMING, _("已公告・尚未開放報名"), "green"),
        Light(REG_OPEN, _("已公告・報名中"), "green"),
        Light(REG_CLOSED, _("已公告・報名截止"), "green"),
        Light(RUNNING, _("研習辦理中"), "green"),
        Light(HOURS_DUE, _("已辦理・待登錄研習時數"), "yellow"),
        Light(HOURS_OVERDUE, _("逾期未登錄研習時數"), "red"),
        Light(LIST_SUBMITTED, _("名單待確認"), "blue"),
        Light(LIST_RETURNED, _("名單退回修正"), "red"),
        Light(CLOSED, _("已結案"), "grey"),
        Light(CANCELLED, _("已取消"), "neutral"),
        Light(DRAFT, _("草稿"), "neutral"),
    )
}


# Attendance list states (inservice.attendance.models.ListState) that decide a light.
LIST_STATE_LIGHTS = {"submitted": LIST_SUBMITTED, "returned": LIST_RETURNED}


def list_state(course) -> str | None:
    """The state of the course's attendance list, None without one (select_related
    "attendance_list" in lists to avoid a query per course)."""
    try:
        return course.attendance_list.state
    except ObjectDoesNotExist:
        return None


def _now_and_today(today, now):
    now = now or timezone.now()
    return now, today or timezone.localdate(now)


def registration_state(version, now: datetime.datetime | None = None) -> str:
    """ "upcoming", "open" or "closed" for a version's registration window at `now`."""
    now = now or timezone.now()
    opens, closes = version.registration_opens, version.registration_closes
    if opens is not None and now < opens:
        return "upcoming"
    if closes is not None and now >= closes:
        return "closed"
    return "open"


def light_for(
    course, today: datetime.date | None = None, *, now: datetime.datetime | None = None
) -> Light:
    """The light of `course` on `today` (default: the local date of `now`, default now).

    Registration lights compare the exact opening moment with `now`; held-course lights
    compare the end date with `today`. Reads `course.published` (select_related it in lists).
    """
    now, today = _now_and_today(today, now)
    status = course.status
    if status == CourseStatus.DRAFT:
        return LIGHTS[DRAFT]
    if status == CourseStatus.PENDING:
        return LIGHTS[PENDING]
    if status == CourseStatus.RETURNED:
        return LIGHTS[RETURNED]
    if status == CourseStatus.CANCELLED:
        return LIGHTS[CANCELLED]
    if status == CourseStatus.CLOSED:
        return LIGHTS[CLOSED]
    # Published: a submitted or returned attendance list decides first.
    by_list = LIST_STATE_LIGHTS.get(list_state(course))
    if by_list is not None:
        return LIGHTS[by_list]
    # Otherwise before, during or after the course (dates of the published version).
    end = course.end_date
    if end is not None and end < today:
        if (today - end).days <= HOURS_DUE_DAYS:
            return LIGHTS[HOURS_DUE]
        return LIGHTS[HOURS_OVERDUE]
    if course.start_date is not None and course.start_date <= today:
        return LIGHTS[RUNNING]
    version = course.published
    state = registration_state(version, now) if version is not None else "open"
    return LIGHTS[{"upcoming": REG_UPCOMING, "open": REG_OPEN, "closed": REG_CLOSED}[state]]
