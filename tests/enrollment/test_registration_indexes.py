"""A registration row is written under the course's lock in a burst: its table keeps only
the indexes its queries use (enrollment 0003), and its keys still refuse a missing course or
teacher."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inservice.enrollment.models import Registration
from tests.factories import TeacherFactory, make_course

pytestmark = pytest.mark.django_db


def _indexes() -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o) "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) "
            "FROM pg_index i WHERE i.indrelid = 'enrollment_registration'::regclass"
        )
        return {tuple(row[0]) for row in cursor.fetchall()}


def test_only_the_composite_indexes_and_the_unique_pair():
    assert _indexes() == {
        ("id",),
        ("course_id", "teacher_id"),  # one registration per course (unique)
        ("course_id", "status", "queued_at"),  # a course's registrants, waitlist order
        ("teacher_id", "status"),  # a teacher's registrations
    }


@pytest.mark.parametrize("missing", ["course_id", "teacher_id"])
def test_keys_still_refuse_a_missing_course_or_teacher(missing):
    values = {"course_id": make_course().pk, "teacher_id": TeacherFactory().pk}
    values[missing] += 100_000
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(status="admitted", queued_at=timezone.now(), **values)
        connection.check_constraints()
