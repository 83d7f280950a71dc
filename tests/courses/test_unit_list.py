"""本單位研習課程瀏覽 /manage/courses/: own unit only, filters, text labels, no N+1, access."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inservice.accounts.models import StaffRole, User
from inservice.courses import lights
from inservice.courses.models import Course, CourseStatus
from inservice.organizations.models import County, Unit, UnitKind
from tests.factories import (
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    UserFactory,
    make_closed_course,
    make_course,
    move_course_dates,
)

pytestmark = pytest.mark.django_db
URL = "/manage/courses/"


@pytest.fixture
def unit():
    return UnitFactory(county=County.objects.get(code="63000"))


@pytest.fixture
def chief(unit, client):
    user = StaffFactory(unit=unit, role=StaffRole.CHIEF).user
    client.force_login(user)
    return user


def codes_in(response):
    return {course.code for course, _light in response.context["page"].rows}


def test_lists_only_the_units_own_courses_with_text_lights(client, unit, chief):
    mine = make_course(unit, name="本校閱讀素養研習")
    other = make_course(UnitFactory(county=unit.county), name="他校的研習")
    response = client.get(URL)
    assert response.status_code == 200
    assert codes_in(response) == {mine.code}
    body = response.content.decode()
    assert "本校閱讀素養研習" in body and "他校的研習" not in body
    assert str(lights.LIGHTS[lights.DRAFT].label) in body  # the light is spelled out
    assert f"/manage/courses/{mine.code}/history/" in body
    assert str(other.code) not in body


def test_filter_by_light(client, unit, chief):
    draft = make_course(unit)
    pending = make_course(unit, submit=True)
    held = make_course(unit, approve=True)
    today = datetime.date.today()
    move_course_dates(held, start=today - datetime.timedelta(days=12))
    closed = make_closed_course(unit)
    assert codes_in(client.get(URL, {"light": lights.PENDING})) == {pending.code}
    assert codes_in(client.get(URL, {"light": lights.DRAFT})) == {draft.code}
    assert codes_in(client.get(URL, {"light": lights.HOURS_OVERDUE})) == {held.code}
    assert codes_in(client.get(URL, {"light": lights.CLOSED})) == {closed.code}
    response = client.get(URL, {"light": lights.HOURS_OVERDUE})
    assert str(lights.LIGHTS[lights.HOURS_OVERDUE].label) in response.content.decode()


def test_filter_by_year_and_keyword_and_sort(client, unit, chief):
    old = make_course(unit, name="自然科探究實作")
    move_course_dates(old, start=datetime.date(2024, 5, 2))
    new = make_course(unit, name="英語文教學觀摩")
    assert codes_in(client.get(URL, {"year": "2024"})) == {old.code}
    assert codes_in(client.get(URL, {"q": "英語"})) == {new.code}
    assert codes_in(client.get(URL, {"q": str(old.code)})) == {old.code}
    rows = client.get(URL, {"sort": "start"}).context["page"].rows
    assert [c.code for c, _l in rows] == [old.code, new.code]
    rows = client.get(URL).context["page"].rows  # newest start date first by default
    assert [c.code for c, _l in rows] == [new.code, old.code]


def test_invalid_filter_says_so(client, unit, chief):
    response = client.get(URL, {"light": "purple"})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "查詢條件有誤" in response.content.decode()


def test_pending_change_and_open_change_request_are_noted(client, unit, chief):
    from inservice.courses.services import changes, lifecycle

    course = make_course(unit, approve=True)
    operator = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    lifecycle.save_course(actor=operator, course=course, data={"name": "修改後名稱"})
    lifecycle.submit_course(actor=operator, course=course)
    closed = make_closed_course(unit)
    changes.request_change(actor=operator, course=closed, data={"hours": 6}, reason="時數誤植")
    body = client.get(URL).content.decode()
    assert "修改送審中" in body
    assert "結案後修改申請處理中" in body


def test_no_n_plus_one(client, unit, chief):
    make_course(unit, approve=True)
    make_course(unit)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for _ in range(6):
        make_course(unit, approve=True)
    make_closed_course(unit)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(response.context["page"].rows) == 9
    assert len(many) == len(few)


def test_paginated(client, unit, chief):
    for _ in range(26):
        Course.objects.create(code=Course.objects.count() + 9_000_000, unit=unit, name="草稿")
    response = client.get(URL)
    assert len(response.context["page"].rows) == 25
    assert len(client.get(URL, {"page": 2}).context["page"].rows) == 1
    assert Course.objects.filter(unit=unit, status=CourseStatus.DRAFT).count() == 26


def test_access(client, unit):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    teacher = TeacherFactory(user=UserFactory(kind=User.Kind.TEACHER))
    client.force_login(teacher.user)
    assert client.get(URL).status_code == 403
    # every unit type and role may browse its own list (附件一 肆: 本單位研習課程瀏覽 ◎ for all)
    for kind in (UnitKind.ELEMENTARY, UnitKind.UNIVERSITY, UnitKind.LEGAL_PERSON):
        for role in StaffRole.values:
            staff = StaffFactory(unit=UnitFactory(kind=kind, county=unit.county), role=role)
            client.force_login(staff.user)
            assert client.get(URL).status_code == 200, (kind, role)
    bureau = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county=unit.county)
    client.force_login(StaffFactory(unit=bureau, role=StaffRole.OPERATOR).user)
    response = client.get(URL)
    assert response.status_code == 200 and response.context["unit"] == bureau
