"""Two courses of two organizers closing at the same moment for the same teachers, in real
parallel PostgreSQL transactions: the teacher row locks keep every teacher within 6 hours a
day, and without them the same room is used twice (the race the locks exist for)."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from inservice.organizations.models import UnitKind
from inservice.records.models import TrainingDay
from inservice.records.services import recording
from tests.factories import TeacherFactory, routable_unit
from tests.records.hours_helpers import attend, held_course

MON = datetime.date(2025, 3, 3)
D = Decimal


def two_courses_same_day(teachers):
    first = held_course(routable_unit(UnitKind.ELEMENTARY), start=MON, hours=D("4"))
    second = held_course(routable_unit(UnitKind.JUNIOR_HIGH), start=MON, hours=D("4"))
    assert first.unit_id != second.unit_id
    for course in (first, second):
        attend(course, {t: "4" for t in teachers})
    return first, second


def close_in_parallel(courses):
    errors = []

    def close(course_id):
        try:
            from inservice.courses.models import Course

            with transaction.atomic():
                course = Course.objects.select_for_update().get(pk=course_id)
                recording.record_course(course=course)
        except Exception as exc:  # reported below; a thread must not swallow it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=(c.pk,)) for c in courses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def counted_on_monday():
    return dict(
        TrainingDay.objects.filter(date=MON)
        .values_list("teacher_id")
        .annotate(total=Sum("hours_counted"))
        .values_list("teacher_id", "total")
    )


@pytest.mark.django_db(transaction=True)
def test_parallel_closings_never_count_more_than_six_hours_a_day(monkeypatch):
    teachers = [TeacherFactory() for _ in range(8)]
    courses = two_courses_same_day(teachers)

    # Both transactions are open before either takes the locks, and each pauses after reading
    # the existing days, so without the locks both would see an empty Monday.
    both_inside = threading.Barrier(2, timeout=30)
    lock, read = recording._lock_teachers, recording.counted_by_day

    def lock_together(ids):
        both_inside.wait()
        lock(ids)

    def slow_read(*args):
        result = read(*args)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(recording, "_lock_teachers", lock_together)
    monkeypatch.setattr(recording, "counted_by_day", slow_read)
    close_in_parallel(courses)

    totals = counted_on_monday()
    assert set(totals) == {t.pk for t in teachers}
    assert all(total == D(6) for total in totals.values()), totals
    withheld = TrainingDay.objects.filter(date=MON, hours_counted__lt=D(4)).count()
    assert withheld == len(teachers)  # one of each teacher's two days lost 2 hours


@pytest.mark.django_db(transaction=True)
def test_without_the_locks_both_closings_use_the_same_room(monkeypatch):
    teachers = [TeacherFactory() for _ in range(3)]
    courses = two_courses_same_day(teachers)

    both_read = threading.Barrier(2, timeout=30)
    read = recording.counted_by_day

    def read_then_wait(*args):
        result = read(*args)
        both_read.wait()
        return result

    monkeypatch.setattr(recording, "_lock_teachers", lambda ids: None)
    monkeypatch.setattr(recording, "counted_by_day", read_then_wait)
    close_in_parallel(courses)

    assert all(total == D(8) for total in counted_on_monday().values())
