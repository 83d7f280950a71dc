"""Attendance entry and the teacher's records in a real browser: accessible (axe), usable from
the keyboard, and what is typed is what gets stored."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from inservice.attendance.models import AttendanceEntry
from inservice.enrollment.models import Registration, RegistrationStatus
from inservice.organizations.models import County
from tests.browser.conftest import axe_violations
from tests.factories import (
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    UserFactory,
    make_course,
    make_record,
    move_course_dates,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-9"


def _login(page, live_server, username, kind):
    page.goto(live_server.url + f"/accounts/login/?kind={kind}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_attendance_grid_is_accessible_and_keyboard_entry_is_stored(page, live_server):
    school = UnitFactory(county=County.objects.get(code="63000"))
    course = make_course(school, approve=True, hours=Decimal("6.0"), name="閱讀教學研習")
    start = timezone.localdate() - datetime.timedelta(days=1)
    move_course_dates(course, start=start)
    teacher = TeacherFactory(name="李小華")
    Registration.objects.create(
        course=course, teacher=teacher, status=RegistrationStatus.ADMITTED, queued_at=start
    )
    staff = StaffFactory(unit=school)
    _login(page, live_server, staff.user.username, "staff")

    page.goto(live_server.url + f"/manage/courses/{course.code}/attendance/")
    assert "閱讀教學研習" in page.locator("h1").inner_text()
    assert axe_violations(page) == []

    # Keyboard only: focus the status of 李小華, choose 遲到或早退, tab to the hours, type, Enter.
    status = page.get_by_label("李小華 的出席情形")
    status.focus()
    status.select_option("partial")
    page.keyboard.press("Tab")
    page.keyboard.type("4.5")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    entry = AttendanceEntry.objects.get(course=course, teacher=teacher)
    assert (entry.status, entry.hours_attended, entry.hours) == (
        "partial",
        Decimal("4.5"),
        Decimal("4.5"),
    )
    assert axe_violations(page) == []


def test_my_records_page_is_accessible(page, live_server):
    user = UserFactory(real_name="周老師")
    teacher = TeacherFactory(user=user, name="周老師")
    make_record(teacher, start=datetime.date(2025, 9, 3), hours=3, course_name="數學差異化教學")
    make_record(teacher, start=datetime.date(2024, 3, 5), hours=6, course_name="性平教育研習")
    _login(page, live_server, user.username, "teacher")

    page.goto(live_server.url + "/my/records/")
    body = page.locator("main").inner_text()
    assert "數學差異化教學" in body and "性平教育研習" in body
    assert page.locator("table th").count() > 0
    assert axe_violations(page) == []
