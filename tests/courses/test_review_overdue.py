"""Working days, and the daily report to each center's chief of reviews waiting over three
working days or starting within a week (nothing sits unreviewed until its start)."""

import datetime

import pytest
from django.utils import timezone

from inservice.accounts.models import StaffRole, StaffStatus
from inservice.core.models import AuditEvent
from inservice.courses import tasks
from inservice.courses.models import CourseVersion
from inservice.courses.services.review import (
    report_overdue_reviews,
    working_days_between,
    working_days_waited,
)
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County, Unit, UnitKind
from tests.factories import StaffFactory, UnitFactory, course_dates, make_course

MON = datetime.date(2026, 3, 2)  # a Monday


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (MON, MON, 0),
        (MON, MON + datetime.timedelta(1), 1),  # Tuesday
        (MON, MON + datetime.timedelta(3), 3),  # Thursday: not yet overdue
        (MON, MON + datetime.timedelta(4), 4),  # Friday: overdue
        (MON + datetime.timedelta(4), MON + datetime.timedelta(7), 1),  # Fri → Mon
        (MON + datetime.timedelta(5), MON + datetime.timedelta(7), 1),  # Sat → Mon
        (MON + datetime.timedelta(4), MON + datetime.timedelta(6), 0),  # Fri → Sun
        (MON, MON + datetime.timedelta(14), 10),
        (MON + datetime.timedelta(3), MON + datetime.timedelta(10), 5),
        (MON + datetime.timedelta(1), MON, 0),  # backwards
    ],
)
def test_working_days_between(start, end, days):
    assert working_days_between(start, end) == days


def test_working_days_waited_uses_the_local_date():
    tz = timezone.get_default_timezone()
    # 23:30 on Monday in Taipei is still Monday there (15:30 UTC).
    submitted = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=tz)
    assert working_days_waited(submitted, MON + datetime.timedelta(1)) == 1
    assert working_days_waited(None, MON) is None


# --------------------------------------------------------------------------- the report


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def bureau(taipei):
    return Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county=taipei)


@pytest.fixture
def school(taipei):
    return UnitFactory(county=taipei)


def _waiting_since(course, days):
    CourseVersion.objects.filter(pk=course.working_id).update(
        submitted_at=timezone.now() - datetime.timedelta(days=days)
    )


def _in_days(days):
    return course_dates(timezone.localdate() + datetime.timedelta(days=days))


@pytest.mark.django_db
def test_chiefs_get_overdue_and_soon_starting_reviews(bureau, school):
    chief = StaffFactory(unit=bureau, role=StaffRole.CHIEF, user__email="chief@bureau.example")
    StaffFactory(unit=bureau, role=StaffRole.CONTACT, user__email="contact@bureau.example")
    StaffFactory(unit=school, role=StaffRole.CHIEF, user__email="school@school.example")
    overdue = make_course(school, submit=True, name="逾期待審研習", **_in_days(30))
    _waiting_since(overdue, 8)
    soon = make_course(school, submit=True, name="即將開課研習", **_in_days(5))
    fresh = make_course(school, submit=True, name="剛送審研習", **_in_days(30))
    published = make_course(school, approve=True, name="已公告研習", **_in_days(2))

    summaries = report_overdue_reviews()

    assert summaries == [
        {
            "center": bureau.code,
            "overdue": [overdue.code],
            "starting_soon": [soon.code],
            "recipients": 1,
        }
    ]
    mail = OutboundEmail.objects.get(template="review_overdue")
    assert mail.to == chief.user.email
    assert "逾期 1 門" in mail.subject and "7 日內開課 1 門" in mail.subject
    assert str(overdue.code) in mail.body_text and "逾期待審研習" in mail.body_text
    assert str(soon.code) in mail.body_text and "5 天後開課" in mail.body_text
    assert f"/review/{overdue.code}/" in mail.body_text and "/review/" in mail.body_text
    assert str(fresh.code) not in mail.body_text and str(published.code) not in mail.body_text
    assert "未扣除國定假日" in mail.body_text
    event = AuditEvent.objects.get(action="courses.overdue_reviews_reported")
    assert event.object_id == str(bureau.pk) and event.data["overdue"] == [overdue.code]


@pytest.mark.django_db
def test_a_course_overdue_and_starting_soon_is_in_both_lists(bureau, school):
    StaffFactory(unit=bureau, role=StaffRole.CHIEF)
    course = make_course(school, submit=True, **_in_days(2))
    _waiting_since(course, 8)
    (summary,) = report_overdue_reviews()
    assert summary["overdue"] == [course.code] and summary["starting_soon"] == [course.code]


@pytest.mark.django_db
def test_nothing_to_report_sends_nothing(bureau, school):
    StaffFactory(unit=bureau, role=StaffRole.CHIEF)
    make_course(school, submit=True, **_in_days(30))
    assert report_overdue_reviews() == []
    assert not OutboundEmail.objects.filter(template="review_overdue").exists()


@pytest.mark.django_db
def test_inactive_chiefs_are_not_mailed_and_each_center_gets_its_own(bureau, school):
    StaffFactory(unit=bureau, role=StaffRole.CHIEF, status=StaffStatus.DEACTIVATED)
    kaohsiung = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="64000")
    their_chief = StaffFactory(unit=kaohsiung, role=StaffRole.CHIEF)
    ours = make_course(school, submit=True, **_in_days(3))
    theirs = make_course(UnitFactory(county=kaohsiung.county), submit=True, **_in_days(3))
    summaries = {s["center"]: s for s in report_overdue_reviews()}
    assert summaries[bureau.code]["recipients"] == 0
    assert summaries[kaohsiung.code]["recipients"] == 1
    (mail,) = OutboundEmail.objects.filter(template="review_overdue")
    assert mail.to == their_chief.user.email
    assert str(theirs.code) in mail.body_text and str(ours.code) not in mail.body_text


@pytest.mark.django_db
def test_today_can_be_given(bureau, school):
    StaffFactory(unit=bureau, role=StaffRole.CHIEF)
    course = make_course(school, submit=True, **_in_days(30))
    later = timezone.localdate() + datetime.timedelta(days=14)  # ten working days later
    (summary,) = report_overdue_reviews(today=later)
    assert summary["overdue"] == [course.code]


@pytest.mark.django_db
def test_the_daily_task_runs_the_report(bureau, school):
    task = tasks.report_overdue_reviews_daily.task_class()
    assert task.validate_datetime(datetime.datetime(2026, 3, 2, 0, 30))  # 08:30 in Taipei
    assert task.validate_datetime(datetime.datetime(2026, 3, 7, 0, 30))  # every day
    assert not task.validate_datetime(datetime.datetime(2026, 3, 2, 1, 30))
    StaffFactory(unit=bureau, role=StaffRole.CHIEF)
    course = make_course(school, submit=True, **_in_days(1))
    (summary,) = tasks.report_overdue_reviews_daily.call_local()
    assert summary["starting_soon"] == [course.code]
