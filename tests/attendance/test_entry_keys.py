"""An entry's list and course are one foreign key on the pair (attendance 0003): the database
refuses an entry whose course is not its list's course, or whose list does not exist."""

import pytest
from django.db import IntegrityError, connection, transaction

from inservice.attendance.models import AttendanceEntry, AttendanceList
from tests.attendance.entry_helpers import course_held
from tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db


def _entry(**values) -> None:
    """Write the entry and check the deferred keys at once (in a savepoint of the test)."""
    with transaction.atomic():
        AttendanceEntry.objects.create(teacher=TeacherFactory(), status="attended", **values)
        connection.check_constraints()


def test_an_entry_on_its_own_courses_list_is_kept():
    course = course_held()
    lst = AttendanceList.objects.create(course=course)
    _entry(attendance_list=lst, course=course)
    assert AttendanceEntry.objects.filter(attendance_list=lst, course=course).count() == 1


def test_an_entry_whose_course_is_not_its_lists_is_refused():
    course, other = course_held(), course_held()
    lst = AttendanceList.objects.create(course=course)
    AttendanceList.objects.create(course=other)
    with pytest.raises(IntegrityError, match="attendance_entry_list_course_fk"):
        _entry(attendance_list=lst, course=other)
    assert not AttendanceEntry.objects.exists()


def test_an_entry_on_a_list_that_does_not_exist_is_refused():
    course = course_held()
    lst = AttendanceList.objects.create(course=course)
    missing = AttendanceList(pk=lst.pk + 1000, course=course)
    with pytest.raises(IntegrityError, match="attendance_entry_list_course_fk"):
        _entry(attendance_list=missing, course=course)


def test_the_pair_key_is_validated_and_replaces_the_single_keys():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, convalidated, condeferred, "
            "array(SELECT attname FROM pg_attribute WHERE attrelid = conrelid "
            "AND attnum = ANY(conkey) ORDER BY array_position(conkey, attnum)) "
            "FROM pg_constraint WHERE conrelid = 'attendance_attendanceentry'::regclass "
            "AND contype = 'f'"
        )
        keys = {name: (valid, deferred, cols) for name, valid, deferred, cols in cursor.fetchall()}
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'attendance_attendanceentry'"
        )
        indexes = [row[0] for row in cursor.fetchall()]
    assert keys["attendance_entry_list_course_fk"] == (
        True,
        True,
        ["attendance_list_id", "course_id"],
    )
    single = [
        cols for _v, _d, cols in keys.values() if cols in (["course_id"], ["attendance_list_id"])
    ]
    assert single == []
    # Lookups by course use the unique (course, teacher) index; no index of its own.
    assert not [i for i in indexes if i.endswith("(course_id)")]
    assert [i for i in indexes if "(course_id, teacher_id)" in i]
