"""Creating training records at closing: snapshot, days, caps against earlier records."""

import datetime
from decimal import Decimal

import pytest

from inservice.records.models import TrainingDay, TrainingRecord
from inservice.records.services.recording import record_course
from tests.factories import TeacherFactory
from tests.records.hours_helpers import attend, held_course

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2025, 3, 3)
D = Decimal


def test_record_course_snapshot_and_days():
    course = held_course(start=MONDAY, days=2, hours=D("9"), tags=[])
    teacher, absent = TeacherFactory(), TeacherFactory()
    attend(course, {teacher: "9", absent: "0"})

    records = record_course(course=course)

    assert len(records) == 1
    record = TrainingRecord.objects.get()
    assert record.teacher == teacher
    assert record.course_code == str(course.code)
    assert record.course_name == course.published.name
    assert record.organizer == course.unit
    assert record.organizer_name == course.unit.name
    assert (record.hours_requested, record.hours, record.hours_withheld) == (D(9), D(9), D(0))
    days = list(TrainingDay.objects.values_list("date", "hours_requested", "hours_counted"))
    assert days == [(MONDAY + datetime.timedelta(days=n), D(3), D(3)) for n in range(3)]
