"""Calendar: a Google Calendar link and QR code per course, .ics files and a private feed.

Events are built from the course's published version: one timed event per dated session
(Asia/Taipei), or one all-day event spanning the course dates when there are no sessions.
Event UIDs depend only on the course code and the session number
(`course-<code>-<n>@<host>`, `course-<code>@<host>` for the all-day event), so the single
.ics download and the feed describe the same events and a calendar app does not duplicate them.
A cancelled registration or course keeps its events, marked `STATUS:CANCELLED`.
"""

from __future__ import annotations

import datetime
import functools
import io
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import segno
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.core.audit import log_event
from inservice.courses.models import Course, CourseStatus, CourseVersion

from ..models import CalendarFeed, Registration, RegistrationStatus, new_token

TAIPEI = ZoneInfo("Asia/Taipei")
GOOGLE_TEMPLATE = "https://calendar.google.com/calendar/render"
# Registrations that belong in the feed: admitted ones, and those that ended (shown cancelled).
FEED_STATUSES = (
    RegistrationStatus.ADMITTED,
    RegistrationStatus.CANCELLED,
    RegistrationStatus.REMOVED,
)
FEED_PAST_DAYS = 400  # older courses drop out of the feed


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime.datetime | datetime.date
    end: datetime.datetime | datetime.date  # exclusive end date for all-day events
    all_day: bool


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def course_url(course: Course) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("courses:public_detail", args=[course.code])


def events(course: Course, version: CourseVersion | None = None) -> list[Event]:
    version = version or course.published
    host = _host()
    sessions = list(version.sessions.all()) if version is not None else []
    if sessions:
        return [
            Event(
                uid=f"course-{course.code}-{n}@{host}",
                start=datetime.datetime.combine(s.date, s.start_time, tzinfo=TAIPEI),
                end=datetime.datetime.combine(s.date, s.end_time, tzinfo=TAIPEI),
                all_day=False,
            )
            for n, s in enumerate(sessions, start=1)
        ]
    start = (version.start_date if version else None) or course.start_date
    end = (version.end_date if version else None) or course.end_date or start
    if start is None:
        return []
    return [
        Event(
            uid=f"course-{course.code}@{host}",
            start=start,
            end=end + datetime.timedelta(days=1),
            all_day=True,
        )
    ]


def _sessions_text(course_events: list[Event]) -> str:
    lines = []
    for e in course_events:
        if e.all_day:
            last = e.end - datetime.timedelta(days=1)
            lines.append(f"{e.start:%Y-%m-%d}" + (f"–{last:%Y-%m-%d}" if last != e.start else ""))
        else:
            lines.append(f"{e.start:%Y-%m-%d %H:%M}–{e.end:%H:%M}")
    return "\n".join(lines)


def _description(course: Course, version: CourseVersion, course_events: list[Event]) -> str:
    parts = [
        _("開課單位：%(unit)s") % {"unit": course.unit.name},
        _("課程代碼：%(code)s") % {"code": course.code},
    ]
    if len(course_events) > 1:
        parts.append(_("場次：") + "\n" + _sessions_text(course_events))
    if version.time_and_place:
        parts.append(_("上課時間及地點：%(text)s") % {"text": version.time_and_place})
    parts.append(_("課程頁面：%(url)s") % {"url": course_url(course)})
    return "\n".join(parts)


def google_calendar_url(course: Course) -> str:
    """A Google Calendar event-template link for the course (Asia/Taipei times).

    A template holds one event: a single session gives its exact times; several sessions give
    the first session (all sessions are listed in the details); no sessions give all-day dates.
    """
    version = course.published
    course_events = events(course, version)
    params = {"action": "TEMPLATE", "text": course.name or version.name}
    if course_events:
        first = course_events[0]
        if first.all_day:
            params["dates"] = f"{first.start:%Y%m%d}/{first.end:%Y%m%d}"
        else:
            params["dates"] = f"{first.start:%Y%m%dT%H%M%S}/{first.end:%Y%m%dT%H%M%S}"
    params["ctz"] = "Asia/Taipei"
    params["details"] = _description(course, version, course_events)
    if version.time_and_place:
        params["location"] = version.time_and_place
    return f"{GOOGLE_TEMPLATE}?{urlencode(params)}"


@functools.lru_cache(maxsize=512)
def _qr(url: str):
    # Encoding picks the best of eight masks: about 0.2 s for a course's long calendar URL.
    # Every registrant of a course gets the same URL, so each process encodes it once.
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str) -> str:
    """An inline SVG (no XML declaration) of a QR code for `url`."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="svg", scale=3, border=2, xmldecl=False, svgns=True, nl=False)
    return buffer.getvalue().decode()


@functools.lru_cache(maxsize=128)
def qr_png(url: str) -> bytes:
    # Writing the PNG (scale 8, zlib) costs milliseconds: once per course and process too.
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


# --- iCalendar --------------------------------------------------------------------------------


def _new_calendar(name: str | None = None) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//inservice//全國教師在職進修資訊網//ZH-TW")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Taipei")
    return cal


def _add_course(cal: icalendar.Calendar, course: Course, *, cancelled: bool):
    version = course.published
    course_events = events(course, version)
    cancelled = cancelled or course.status == CourseStatus.CANCELLED
    stamp = timezone.now()
    description = _description(course, version, course_events)
    for e in course_events:
        event = icalendar.Event()
        event.add("uid", e.uid)
        event.add("dtstamp", stamp)
        event.add("summary", course.name or version.name)
        event.add("dtstart", e.start)
        event.add("dtend", e.end)
        if version.time_and_place:
            event.add("location", version.time_and_place)
        event.add("description", description)
        event.add("url", course_url(course))
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("sequence", course.revision + (1 if cancelled else 0))
        if course.updated_at:
            event.add("last-modified", course.updated_at)
        cal.add_component(event)


def _ics(cal: icalendar.Calendar) -> bytes:
    cal.add_missing_timezones()
    return cal.to_ical()


def registration_cancelled(registration: Registration) -> bool:
    return registration.status != RegistrationStatus.ADMITTED


def registration_ics(registration: Registration) -> bytes:
    """The .ics file of one registration's course (same UIDs as the feed)."""
    course = registration.course
    cal = _new_calendar()
    _add_course(cal, course, cancelled=registration_cancelled(registration))
    return _ics(cal)


def feed_registrations(teacher):
    since = timezone.localdate() - datetime.timedelta(days=FEED_PAST_DAYS)
    return (
        Registration.objects.filter(
            teacher=teacher,
            status__in=FEED_STATUSES,
            course__published__isnull=False,
            course__end_date__gte=since,
        )
        .select_related("course", "course__unit", "course__published")
        .prefetch_related("course__published__sessions")
        .order_by("course__start_date", "course__code")
    )


def feed_ics(feed: CalendarFeed) -> bytes:
    """All the teacher's admitted courses; cancelled registrations and courses as cancelled."""
    cal = _new_calendar(_("我的研習課程"))
    for registration in feed_registrations(feed.teacher):
        _add_course(cal, registration.course, cancelled=registration_cancelled(registration))
    return _ics(cal)


# --- The private feed ---------------------------------------------------------------------------


def feed_for(teacher) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(teacher=teacher)
    return feed


def feed_path(feed: CalendarFeed) -> str:
    return reverse("enrollment:calendar_feed", args=[feed.token])


def feed_url(feed: CalendarFeed) -> str:
    return settings.SITE_URL.rstrip("/") + feed_path(feed)


def revoke_feed(*, actor, teacher) -> CalendarFeed:
    """A new token: the old feed URL stops working at once."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(teacher=teacher).first()
        if feed is None:
            feed = CalendarFeed.objects.create(teacher=teacher)
        else:
            feed.token = new_token()
            feed.revoked_tokens += 1
            feed.save(update_fields=["token", "revoked_tokens"])
        # Never the token in the log: it is the feed's only protection.
        log_event("enrollment.calendar_feed_revoked", actor=actor, obj=feed)
    return feed
