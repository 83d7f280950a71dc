"""Status lights (燈號): one light per state, held courses yellow for 7 days then red
(附件九 第12條), registration lights at the exact opening moment, and the database filter
agreeing with `light_for` for every light."""

import datetime

import pytest
from django.utils import timezone

from inservice.accounts.models import StaffRole
from inservice.attendance.models import AttendanceList, ListState
from inservice.courses import lights
from inservice.courses.models import Course, CourseStatus, CourseVersion
from inservice.courses.selectors import light_filter
from inservice.courses.services import lifecycle
from inservice.organizations.models import County
from tests.factories import StaffFactory, UnitFactory, make_course, move_course_dates

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 16)  # a Monday
TZ = timezone.get_default_timezone()


def at(day, hour=12, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)), TZ)


def days(n):
    return datetime.timedelta(days=n)


@pytest.fixture
def unit():
    return UnitFactory(county=County.objects.get(code="63000"))


def published(unit, *, start, end=None, reg_start=None, reg_end=None, opens_at=None):
    course = make_course(unit, approve=True)
    move_course_dates(
        course, start=start, end=end, registration_start=reg_start, registration_end=reg_end
    )
    if opens_at is not None:
        CourseVersion.objects.filter(course=course).update(registration_opens_at=opens_at)
    return Course.objects.select_related("published").get(pk=course.pk)


def code_of(course, now):
    return lights.light_for(course, now=now).code


def test_every_light_has_a_text_label_and_a_tone():
    for light in lights.LIGHTS.values():
        assert str(light.label).strip()
        assert light.tone in {"red", "blue", "green", "yellow", "grey", "neutral"}


def test_states_before_publication(unit):
    draft = make_course(unit)
    assert lights.light_for(draft).code == lights.DRAFT
    pending = make_course(unit, submit=True)
    assert lights.light_for(pending) == lights.LIGHTS[lights.PENDING]
    assert lights.light_for(pending).tone == "blue"
    reviewer = StaffFactory(unit=pending.reviewing_center, role=StaffRole.OPERATOR).user
    lifecycle.return_course(actor=reviewer, course=pending, reason="請補充大綱")
    pending.refresh_from_db()
    light = lights.light_for(pending)
    assert (light.code, light.tone) == (lights.RETURNED, "red")


def test_cancelled_and_closed(unit):
    course = make_course(unit, approve=True)
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.CANCELLED)
    course.refresh_from_db()
    assert lights.light_for(course).code == lights.CANCELLED
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.CLOSED)
    course.refresh_from_db()
    light = lights.light_for(course)
    assert (light.code, light.tone) == (lights.CLOSED, "grey")


def test_held_course_is_yellow_for_seven_days_then_red(unit):
    course = published(unit, start=TODAY - days(3), end=TODAY - days(1))
    now = at(TODAY)
    assert code_of(course, now) == lights.HOURS_DUE
    assert lights.light_for(course, now=now).tone == "yellow"
    # the 7th day after the end date is still within the week (附件九 第12條第2款)
    assert code_of(course, at(TODAY + days(6))) == lights.HOURS_DUE
    overdue = lights.light_for(course, now=at(TODAY + days(7)))
    assert (overdue.code, overdue.tone) == (lights.HOURS_OVERDUE, "red")
    # `today` can be passed on its own
    assert lights.light_for(course, TODAY + days(6)).code == lights.HOURS_DUE
    assert lights.light_for(course, TODAY + days(7)).code == lights.HOURS_OVERDUE


def test_running_course(unit):
    course = published(unit, start=TODAY - days(1), end=TODAY + days(1))
    assert code_of(course, at(TODAY)) == lights.RUNNING


def test_registration_lights_use_the_exact_opening_moment(unit):
    start = TODAY + days(20)
    course = published(
        unit,
        start=start,
        reg_start=TODAY,
        reg_end=TODAY + days(10),
        opens_at=datetime.time(9, 30),
    )
    assert code_of(course, at(TODAY - days(1), 23, 59)) == lights.REG_UPCOMING
    assert code_of(course, at(TODAY, 9, 29)) == lights.REG_UPCOMING
    assert code_of(course, at(TODAY, 9, 30)) == lights.REG_OPEN
    assert code_of(course, at(TODAY + days(10), 23, 59)) == lights.REG_OPEN
    assert code_of(course, at(TODAY + days(11), 0, 0)) == lights.REG_CLOSED
    assert lights.light_for(course, now=at(TODAY)).tone == "green"


def test_database_filter_agrees_with_light_for(unit):
    """Every course lands in exactly the list of its own light, at several moments."""
    courses = [
        make_course(unit),
        make_course(unit, submit=True),
        published(unit, start=TODAY - days(3), end=TODAY - days(1)),
        published(unit, start=TODAY - days(20), end=TODAY - days(12)),
        published(unit, start=TODAY - days(1), end=TODAY + days(1)),
        published(unit, start=TODAY + days(20), reg_start=TODAY, opens_at=datetime.time(9, 30)),
        published(unit, start=TODAY + days(20), reg_start=TODAY + days(3)),
        published(unit, start=TODAY + days(5), reg_start=TODAY - days(10), reg_end=TODAY - days(1)),
        published(unit, start=TODAY + days(9), reg_start=TODAY - days(10), reg_end=TODAY + days(2)),
    ]
    returned = make_course(unit, submit=True)
    reviewer = StaffFactory(unit=returned.reviewing_center, role=StaffRole.OPERATOR).user
    lifecycle.return_course(actor=reviewer, course=returned, reason="請修正")
    closed = make_course(unit, approve=True)
    cancelled = make_course(unit, approve=True)
    Course.objects.filter(pk=closed.pk).update(status=CourseStatus.CLOSED)
    Course.objects.filter(pk=cancelled.pk).update(status=CourseStatus.CANCELLED)
    # attendance lists: submitted (held, and on the last day), returned, open, confirmed+closed
    for course, state in [
        (published(unit, start=TODAY - days(3), end=TODAY - days(2)), ListState.SUBMITTED),
        (published(unit, start=TODAY - days(1), end=TODAY), ListState.SUBMITTED),
        (published(unit, start=TODAY - days(20), end=TODAY - days(12)), ListState.RETURNED),
        (published(unit, start=TODAY - days(4), end=TODAY - days(3)), ListState.OPEN),
        (closed, ListState.CONFIRMED),
    ]:
        AttendanceList.objects.create(course=course, state=state)
        courses.append(course)
    ids = {c.pk for c in courses} | {returned.pk, closed.pk, cancelled.pk}
    for now in (at(TODAY, 9, 0), at(TODAY, 10, 0), at(TODAY + days(6)), at(TODAY + days(12))):
        everything = Course.objects.filter(pk__in=ids).select_related(
            "published", "attendance_list"
        )
        expected = {c.pk: lights.light_for(c, now=now).code for c in everything}
        seen = {}
        for code in lights.LIGHTS:
            for pk in Course.objects.filter(light_filter(code, now=now), pk__in=ids).values_list(
                "pk", flat=True
            ):
                assert pk not in seen, (pk, seen.get(pk), code)
                seen[pk] = code
        assert seen == expected, now
    assert set(expected.values()) >= {
        lights.DRAFT,
        lights.PENDING,
        lights.RETURNED,
        lights.LIST_SUBMITTED,
        lights.LIST_RETURNED,
    }


def test_a_submitted_list_is_blue_and_a_returned_one_red(unit):
    course = published(unit, start=TODAY - days(20), end=TODAY - days(12))
    assert code_of(course, at(TODAY)) == lights.HOURS_OVERDUE
    attendance = AttendanceList.objects.create(course=course, state=ListState.SUBMITTED)
    course = Course.objects.select_related("published", "attendance_list").get(pk=course.pk)
    light = lights.light_for(course, now=at(TODAY))
    assert (light.code, light.tone, str(light.label)) == (
        lights.LIST_SUBMITTED,
        "blue",
        "名單待確認",
    )
    AttendanceList.objects.filter(pk=attendance.pk).update(state=ListState.RETURNED)
    course = Course.objects.select_related("published", "attendance_list").get(pk=course.pk)
    light = lights.light_for(course, now=at(TODAY))
    assert (light.code, light.tone, str(light.label)) == (
        lights.LIST_RETURNED,
        "red",
        "名單退回修正",
    )
    # an open list (the organizer is still entering) leaves the date lights alone
    AttendanceList.objects.filter(pk=attendance.pk).update(state=ListState.OPEN)
    course = Course.objects.select_related("published", "attendance_list").get(pk=course.pk)
    assert code_of(course, at(TODAY)) == lights.HOURS_OVERDUE
