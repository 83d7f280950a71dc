"""The public course page /courses/<code>/: the published version only, no login."""

import datetime

import pytest
from django.core.files.base import ContentFile

from inservice.accounts.models import StaffRole
from inservice.courses.models import Course, CourseAttachment, CourseVersion
from inservice.courses.services import lifecycle
from inservice.organizations.models import County
from tests.factories import (
    StaffFactory,
    UnitFactory,
    complete_course_data,
    make_closed_course,
    make_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit():
    return UnitFactory(county=County.objects.get(code="63000"), name="臺北市立示範國民小學")


def url(course):
    return f"/courses/{course.code}/"


def test_published_course_shows_every_public_field_with_code_names(client, unit):
    course = make_course(unit, approve=True, classes=2, seats_per_class=35)
    response = client.get(url(course))
    assert response.status_code == 200
    body = response.content.decode()
    assert "數學領域差異化教學工作坊" in body and str(course.code) in body
    assert "臺北市立示範國民小學" in body  # organizer unit
    assert "1-2 非學分班(校本研習)" in body  # class type with its code name
    assert "5-1 課程、教學及評量" in body  # PD category
    assert "1-3-6" in body  # topic item
    assert "22-3" in body and "26-1" in body
    assert "王承辦" in body and "02-2345-6789" in body and "contact@school.example" in body
    assert "共 70 人" in body  # capacity = classes × seats
    # no personal data of the people who registered or reviewed it
    creator = course.versions.get(number=1).created_by
    assert creator.real_name not in body and creator.username not in body


def test_only_the_published_version_never_the_pending_change(client, unit):
    course = make_course(unit, approve=True, name="原本的名稱")
    operator = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    lifecycle.save_course(actor=operator, course=course, data={"name": "送審中的新名稱"})
    lifecycle.submit_course(actor=operator, course=course)
    body = client.get(url(course)).content.decode()
    assert "原本的名稱" in body and "送審中的新名稱" not in body


def test_courses_never_published_are_not_found(client, unit):
    draft = make_course(unit)
    pending = make_course(unit, submit=True)
    returned = make_course(unit, submit=True)
    reviewer = StaffFactory(unit=returned.reviewing_center, role=StaffRole.OPERATOR).user
    lifecycle.return_course(actor=reviewer, course=returned, reason="請補充")
    for course in (draft, pending, returned):
        assert client.get(url(course)).status_code == 404
    assert client.get("/courses/999999999/").status_code == 404


def test_cancelled_course_says_so(client, unit):
    course = make_course(unit, approve=True)
    operator = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    lifecycle.cancel_course(actor=operator, course=course, reason="颱風停課")
    response = client.get(url(course))
    assert response.status_code == 200
    body = response.content.decode()
    assert "此研習課程已取消" in body and "颱風停課" in body
    assert "報名中" not in body


def _set_window(course, start, end, opens_at):
    CourseVersion.objects.filter(pk=course.published_id).update(
        registration_start=start, registration_end=end, registration_opens_at=opens_at
    )


def test_registration_states_with_the_exact_opening_moment(client, unit):
    today = datetime.date.today()
    course = make_course(unit, approve=True)
    opens = today + datetime.timedelta(days=3)
    _set_window(course, opens, opens + datetime.timedelta(days=5), datetime.time(8, 30))
    body = client.get(url(course)).content.decode()
    assert 'data-registration="upcoming"' in body
    assert f"{opens:%Y-%m-%d} 08:30" in body
    _set_window(
        course,
        today - datetime.timedelta(days=3),
        today + datetime.timedelta(days=5),
        datetime.time(0, 0),
    )
    body = client.get(url(course)).content.decode()
    assert 'data-registration="open"' in body
    _set_window(
        course,
        today - datetime.timedelta(days=9),
        today - datetime.timedelta(days=1),
        datetime.time(0, 0),
    )
    body = client.get(url(course)).content.decode()
    assert 'data-registration="closed"' in body


def test_closed_course_stays_public_with_registration_closed(client, unit):
    course = make_closed_course(unit)
    body = client.get(url(course)).content.decode()
    assert 'data-registration="closed"' in body and "已結案" in body


def test_sessions_and_public_attachments_only(client, unit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    start = datetime.date.today() + datetime.timedelta(days=21)
    operator = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    course = lifecycle.create_course(
        actor=operator,
        unit=unit,
        data=complete_course_data(),
        sessions=[
            {
                "date": start,
                "start_time": datetime.time(13, 30),
                "end_time": datetime.time(16, 30),
                "hours": 3,
            }
        ],
    )
    lifecycle.submit_course(actor=operator, course=course)
    reviewer = StaffFactory(
        unit=Course.objects.get(pk=course.pk).reviewing_center, role=StaffRole.OPERATOR
    ).user
    lifecycle.approve_course(actor=reviewer, course=course)
    for name, public in (("講義.pdf", True), ("內部簽呈.pdf", False)):
        CourseAttachment.objects.create(
            course=course,
            file=ContentFile(b"%PDF-1.4\n", name="x"),
            original_name=name,
            content_type="application/pdf",
            size=9,
            sha256="0" * 64,
            is_public=public,
        )
    body = client.get(url(course)).content.decode()
    assert f"{start:%Y-%m-%d}" in body and "13:30–16:30" in body
    assert "講義.pdf" in body and "內部簽呈.pdf" not in body
    handout = CourseAttachment.objects.get(original_name="講義.pdf")
    assert f'href="/attachments/{handout.pk}/"' in body
