"""The daily reminder about lists not submitted within a week after the course ended: the
unit's chief and contacts hear about each overdue course once, then not again until
`REMINDER_EVERY_DAYS` days later."""

import datetime

import pytest
from django.utils import timezone

from inservice.accounts.models import StaffRole, StaffStatus
from inservice.attendance import tasks
from inservice.attendance.models import AttendanceList, ListState
from inservice.attendance.services import closing
from inservice.core.models import AuditEvent
from inservice.courses.models import Course, CourseStatus
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County
from tests.factories import StaffFactory, UnitFactory, held_course

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def school():
    return UnitFactory(county=County.objects.get(code="63000"))


@pytest.fixture
def people(school):
    return {
        "chief": StaffFactory(unit=school, role=StaffRole.CHIEF).user,
        "contact": StaffFactory(unit=school, role=StaffRole.CONTACT).user,
        "operator": StaffFactory(unit=school, role=StaffRole.OPERATOR).user,
        "pending": StaffFactory(
            unit=school, role=StaffRole.CONTACT, status=StaffStatus.PENDING
        ).user,
    }


def reminders():
    return OutboundEmail.objects.filter(template="attendance_overdue_reminder")


def test_overdue_courses_are_reminded_once_then_again_after_the_interval(school, people):
    organizer = people["operator"]
    overdue = held_course(school, actor=organizer, ended_days_ago=8)
    due_today = held_course(school, actor=organizer, ended_days_ago=7)  # still within the week
    submitted = held_course(school, actor=organizer, ended_days_ago=12)
    AttendanceList.objects.create(course=submitted, state=ListState.SUBMITTED)
    returned = held_course(school, actor=organizer, ended_days_ago=10)
    AttendanceList.objects.create(course=returned, state=ListState.RETURNED)
    closed = held_course(school, actor=organizer, ended_days_ago=30)
    Course.objects.filter(pk=closed.pk).update(status=CourseStatus.CLOSED)

    # Mid-morning in Taiwan, so that an hour later is still the same day whenever this runs.
    now = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    (summary,) = closing.remind_overdue_lists(now=now)
    assert summary["unit"] == school.code
    assert sorted(summary["courses"]) == sorted([overdue.code, returned.code])
    sent = list(reminders())
    assert sorted(m.to for m in sent) == sorted(
        [people["chief"].email, people["contact"].email]
    )  # neither the operator nor a pending applicant
    body = sent[0].body_text
    assert str(overdue.code) in body and str(returned.code) in body
    assert str(due_today.code) not in body and str(submitted.code) not in body
    assert "退回修正" in body
    assert f"/manage/courses/{overdue.code}/attendance/submit/" in body
    assert "已逾期 1 天" in body
    # the list row exists now, with the moment of the reminder
    assert AttendanceList.objects.get(course=overdue).last_reminder_at == now
    assert AuditEvent.objects.filter(action="attendance.overdue_reminded").count() == 1

    # the same day: nothing new
    assert closing.remind_overdue_lists(now=now + datetime.timedelta(hours=1)) == []
    assert reminders().count() == 2
    # two days later only `due_today`, overdue since yesterday, is news
    (later,) = closing.remind_overdue_lists(now=now + 2 * DAY)
    assert later["courses"] == [due_today.code]
    # after the interval the first two again, not the one reminded a day ago
    (again,) = closing.remind_overdue_lists(now=now + closing.REMINDER_EVERY_DAYS * DAY)
    assert sorted(again["courses"]) == sorted([overdue.code, returned.code])
    assert reminders().count() == 6


def test_a_newly_overdue_course_is_not_held_back_by_another_courses_reminder(school, people):
    organizer = people["operator"]
    first = held_course(school, actor=organizer, ended_days_ago=9)
    now = timezone.now()
    closing.remind_overdue_lists(now=now)
    second = held_course(school, actor=organizer, ended_days_ago=8)
    (summary,) = closing.remind_overdue_lists(now=now + DAY)
    assert summary["courses"] == [second.code]
    assert first.code not in summary["courses"]


def test_without_chief_or_contact_the_course_contacts_are_told(school):
    organizer = StaffFactory(unit=school, role=StaffRole.OPERATOR).user
    course = held_course(school, actor=organizer, ended_days_ago=15)
    (summary,) = closing.remind_overdue_lists()
    assert summary["recipients"] == 0
    (mail,) = reminders()
    assert mail.to == course.published.contact1_email
    assert "承辦人您好" in mail.body_text


def test_the_daily_task_runs_the_reminder(school, people):
    course = held_course(school, actor=people["operator"], ended_days_ago=20)
    (summary,) = tasks.remind_overdue_attendance_daily.call_local()
    assert summary["courses"] == [course.code]
    assert tasks.remind_overdue_attendance_daily.call_local() == []
