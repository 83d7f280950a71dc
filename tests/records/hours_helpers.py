"""Test data for the hours area: held courses (optionally with sessions) and attendance."""

from __future__ import annotations

import datetime
from decimal import Decimal

from inservice.attendance.models import AttendanceEntry, AttendanceList, AttendanceStatus
from inservice.courses.models import CourseSession
from tests.factories import make_course, move_course_dates


def held_course(unit=None, *, start: datetime.date, days: int = 0, sessions=(), **overrides):
    """A published course held from `start` for `days` more days; `sessions` are
    (date, hours) pairs put on its published version."""
    course = make_course(unit, approve=True, **overrides)
    move_course_dates(course, start=start, end=start + datetime.timedelta(days=days))
    for n, (date, hours) in enumerate(sessions):
        CourseSession.objects.create(
            version=course.published,
            date=date,
            start_time=datetime.time(8 + n % 8, 0),
            end_time=datetime.time(9 + n % 8, 0),
            hours=Decimal(hours),
        )
    course.published.refresh_from_db()
    return course


def attend(course, teacher_hours) -> list[AttendanceEntry]:
    """Attendance entries for `course`: {teacher: hours} (the hours the course gives)."""
    attendance_list, _ = AttendanceList.objects.get_or_create(course=course)
    return AttendanceEntry.objects.bulk_create(
        AttendanceEntry(
            attendance_list=attendance_list,
            course=course,
            teacher=teacher,
            status=AttendanceStatus.ATTENDED if hours else AttendanceStatus.ABSENT,
            hours=Decimal(hours),
        )
        for teacher, hours in teacher_hours.items()
    )
