"""Data for the attendance-entry tests: held courses, admitted teachers, xlsx files."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inservice.accounts.models import StaffRole
from inservice.enrollment.models import Registration, RegistrationStatus
from inservice.organizations.models import County
from tests.factories import (
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    make_course,
    move_course_dates,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["身分證號或個人識別碼", "姓名", "出席情形", "實際參與時數", "備註"]


def taipei_unit():
    return UnitFactory(county=County.objects.get(code="63000"))


def course_held(unit=None, *, started_days_ago=1, days=0, hours=Decimal("6.0"), **overrides):
    """A published course that started `started_days_ago` days ago (0: today)."""
    unit = unit or taipei_unit()
    course = make_course(unit, approve=True, hours=hours, **overrides)
    start = timezone.localdate() - datetime.timedelta(days=started_days_ago)
    move_course_dates(course, start=start, end=start + datetime.timedelta(days=days))
    course.published.refresh_from_db()
    return course


def organizer_of(course, role=StaffRole.OPERATOR):
    return StaffFactory(unit=course.unit, role=role).user


def admit(course, teacher=None, status=RegistrationStatus.ADMITTED):
    teacher = teacher or TeacherFactory()
    return Registration.objects.create(
        course=course, teacher=teacher, status=status, queued_at=timezone.now()
    )


def xlsx_bytes(rows, headers=HEADERS, *, sheet_title="出席名單") -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    if headers is not None:
        sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload_file(content: bytes, name="attendance.xlsx", content_type=XLSX):
    return SimpleUploadedFile(name, content, content_type=content_type)
