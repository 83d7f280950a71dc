"""The registration panel and star button on the public course page."""

import pytest
from django.urls import reverse

from inservice.enrollment.models import EnrollmentOptions, Favourite
from inservice.organizations.models import County
from tests.factories import UnitFactory, make_teacher_user, open_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return UnitFactory(county=County.objects.get(code="63000"))


def test_teacher_sees_register_button_and_star(client, school):
    course = open_course(school, seats=2)
    teacher = make_teacher_user(school)
    client.force_login(teacher)
    body = client.get(reverse("courses:public_detail", args=[course.code])).content.decode()
    assert reverse("enrollment:register", args=[course.code]) in body
    assert reverse("enrollment:star", args=[course.code]) in body


def test_full_course_without_waitlist_shows_text_not_a_button(client, school):
    course = open_course(school, seats=1)
    EnrollmentOptions.objects.update_or_create(course=course, defaults={"allow_waitlist": False})
    from inservice.enrollment.services import registration

    registration.register(actor=make_teacher_user(school), course=course)
    client.force_login(make_teacher_user(school))
    body = client.get(reverse("courses:public_detail", args=[course.code])).content.decode()
    assert "名額已滿，本課程不開放候補。" in body
    assert reverse("enrollment:register", args=[course.code]) not in body


def test_star_button_shows_starred_state(client, school):
    course = open_course(school)
    teacher = make_teacher_user(school)
    Favourite.objects.create(teacher=teacher.teacher, course=course)
    client.force_login(teacher)
    body = client.get(reverse("courses:public_detail", args=[course.code])).content.decode()
    assert reverse("enrollment:unstar", args=[course.code]) in body


def test_anonymous_sees_no_star_and_a_login_link(client, school):
    course = open_course(school)
    body = client.get(reverse("courses:public_detail", args=[course.code])).content.decode()
    assert reverse("enrollment:star", args=[course.code]) not in body
    assert "登入後報名" in body
