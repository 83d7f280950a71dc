"""Two reviewers confirming the same list at the same moment: the course row lock lets one
close the course; the other is refused, and no teacher gets two records or two mails."""

import threading

import pytest
from django.db import connection

from inservice.accounts.models import StaffRole
from inservice.attendance.services import closing
from inservice.core.errors import DomainError
from inservice.courses.models import CourseStatus
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County
from inservice.records.models import TrainingRecord
from tests.factories import (
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    UserFactory,
    held_course,
    put_on_list,
)


@pytest.mark.django_db(transaction=True)
def test_parallel_confirmations_close_once():
    school = UnitFactory(county=County.objects.get(code="63000"))
    organizer = StaffFactory(unit=school, role=StaffRole.OPERATOR).user
    course = held_course(school, actor=organizer, ended_days_ago=2)
    teachers = [TeacherFactory(user=UserFactory(), serving_unit=school) for _ in range(5)]
    put_on_list(course, [(t, "attended") for t in teachers])
    closing.submit_list(actor=organizer, course=course)
    reviewers = [
        StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user for _ in range(2)
    ]
    barrier = threading.Barrier(len(reviewers))
    outcomes = []

    def confirm(reviewer):
        try:
            barrier.wait()
            closing.confirm_list(actor=reviewer, course=course)
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(r,)) for r in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the loser waited for the lock, then found the course closed
    assert sorted(outcomes) == ["closed", "ok"]
    course.refresh_from_db()
    assert course.status == CourseStatus.CLOSED
    assert TrainingRecord.objects.filter(course=course).count() == 5
    assert OutboundEmail.objects.filter(template="records_hours_granted").count() == 5
