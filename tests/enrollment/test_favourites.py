"""收藏追蹤: star/unstar (with and without htmx), the list, and the alert job."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inservice.courses.models import Course, CourseStatus
from inservice.enrollment.models import Favourite, Registration, RegistrationStatus
from inservice.enrollment.services import alerts
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County
from tests.factories import StaffFactory, TeacherFactory, UnitFactory, UserFactory, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


def teacher_login(county):
    return TeacherFactory(user=UserFactory(), serving_unit=UnitFactory(county=county))


def test_star_without_js_and_unstar(client, taipei):
    course = make_course(UnitFactory(county=taipei), approve=True)
    me = teacher_login(taipei)
    client.force_login(me.user)
    page = reverse("courses:public_detail", args=[course.code])
    response = client.post(reverse("enrollment:star", args=[course.code]), {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert Favourite.objects.filter(teacher=me, course=course).exists()
    # Twice is harmless.
    client.post(reverse("enrollment:star", args=[course.code]))
    assert Favourite.objects.filter(teacher=me).count() == 1
    listing = client.get(reverse("enrollment:favourites")).content.decode()
    assert course.name in listing
    response = client.post(
        reverse("enrollment:unstar", args=[course.code]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == page  # no open redirect
    assert not Favourite.objects.filter(teacher=me).exists()


def test_star_with_htmx_returns_the_toggle(client, taipei):
    course = make_course(UnitFactory(county=taipei), approve=True)
    me = teacher_login(taipei)
    client.force_login(me.user)
    response = client.post(
        reverse("enrollment:star", args=[course.code]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-pressed="true"' in html and f'id="star-{course.code}"' in html
    response = client.post(
        reverse("enrollment:unstar", args=[course.code]), headers={"HX-Request": "true"}
    )
    assert 'aria-pressed="false"' in response.content.decode()


def test_unpublished_course_cannot_be_starred(client, taipei):
    draft = make_course(UnitFactory(county=taipei))
    me = teacher_login(taipei)
    client.force_login(me.user)
    assert client.post(reverse("enrollment:star", args=[draft.code])).status_code == 404
    cancelled = make_course(UnitFactory(county=taipei), approve=True)
    Course.objects.filter(pk=cancelled.pk).update(status=CourseStatus.CANCELLED)
    response = client.post(reverse("enrollment:star", args=[cancelled.code]), follow=True)
    assert "只能收藏已公告" in response.content.decode()
    assert not Favourite.objects.exists()


def test_list_shows_only_own_favourites(client, taipei):
    mine = make_course(UnitFactory(county=taipei), approve=True, name="我的收藏課程")
    theirs = make_course(UnitFactory(county=taipei), approve=True, name="別人的收藏課程")
    me, other = teacher_login(taipei), teacher_login(taipei)
    Favourite.objects.create(teacher=me, course=mine)
    Favourite.objects.create(teacher=other, course=theirs)
    client.force_login(me.user)
    html = client.get(reverse("enrollment:favourites")).content.decode()
    assert "我的收藏課程" in html and "別人的收藏課程" not in html
    # Unstarring acts on one's own favourites only.
    client.post(reverse("enrollment:unstar", args=[theirs.code]))
    assert Favourite.objects.filter(teacher=other, course=theirs).exists()


def test_favourite_pages_are_for_teachers(client, taipei):
    course = make_course(UnitFactory(county=taipei), approve=True)
    assert client.get(reverse("enrollment:favourites")).status_code == 302
    assert client.post(reverse("enrollment:star", args=[course.code])).status_code == 302
    client.force_login(StaffFactory(unit=course.unit).user)
    assert client.get(reverse("enrollment:favourites")).status_code == 403
    assert client.post(reverse("enrollment:star", args=[course.code])).status_code == 403
    assert client.post(reverse("enrollment:unstar", args=[course.code])).status_code == 403
    me = teacher_login(taipei)
    client.force_login(me.user)
    assert client.get(reverse("enrollment:star", args=[course.code])).status_code == 405


def _mails(template):
    return list(OutboundEmail.objects.filter(template=template))


def test_registration_open_alert_once(taipei):
    course = make_course(UnitFactory(county=taipei), approve=True)
    me = teacher_login(taipei)
    Favourite.objects.create(teacher=me, course=course)
    opens = course.published.registration_opens
    assert alerts.send_favourite_alerts(now=opens - datetime.timedelta(minutes=1)) == {
        "opening": 0,
        "seats": 0,
    }
    assert alerts.send_favourite_alerts(now=opens + datetime.timedelta(minutes=5))["opening"] == 1
    [mail] = _mails("alert_registration_open")
    assert mail.to == me.user.email
    assert f"/courses/{course.code}/" in mail.body_text
    assert alerts.send_favourite_alerts(now=opens + datetime.timedelta(hours=1))["opening"] == 0
    assert len(_mails("alert_registration_open")) == 1


def test_no_opening_alert_when_starred_after_opening(taipei):
    course = make_course(UnitFactory(county=taipei), approve=True)
    opens = course.published.registration_opens
    favourite = Favourite.objects.create(teacher=teacher_login(taipei), course=course)
    Favourite.objects.filter(pk=favourite.pk).update(
        created_at=opens + datetime.timedelta(minutes=1)
    )
    alerts.send_favourite_alerts(now=opens + datetime.timedelta(hours=1))
    assert _mails("alert_registration_open") == []


def _admit(course, n):
    return [
        Registration.objects.create(
            course=course,
            teacher=teacher_login(County.objects.get(code="63000")),
            status=RegistrationStatus.ADMITTED,
            queued_at=timezone.now(),
        )
        for _ in range(n)
    ]


def test_seats_free_alert_once_per_freeing(taipei):
    course = make_course(UnitFactory(county=taipei), approve=True, classes=1, seats_per_class=2)
    me = teacher_login(taipei)
    Favourite.objects.create(teacher=me, course=course)
    now = course.published.registration_opens + datetime.timedelta(hours=1)
    seats = _admit(course, 2)

    alerts.send_favourite_alerts(now=now)  # full: noted, nothing mailed
    assert Favourite.objects.get(teacher=me).seen_full_at is not None
    assert _mails("alert_seats_free") == []

    Registration.objects.filter(pk=seats[0].pk).update(status=RegistrationStatus.CANCELLED)
    assert alerts.send_favourite_alerts(now=now)["seats"] == 1
    [mail] = _mails("alert_seats_free")
    assert mail.to == me.user.email
    assert alerts.send_favourite_alerts(now=now)["seats"] == 0  # once per freeing

    _admit(course, 1)
    alerts.send_favourite_alerts(now=now)  # full again
    Registration.objects.filter(pk=seats[1].pk).update(status=RegistrationStatus.REMOVED)
    assert alerts.send_favourite_alerts(now=now)["seats"] == 1  # a new freeing, a new mail
    assert len(_mails("alert_seats_free")) == 2


def test_seat_taken_by_waitlist_is_no_freeing(taipei):
    course = make_course(UnitFactory(county=taipei), approve=True, classes=1, seats_per_class=1)
    Favourite.objects.create(teacher=teacher_login(taipei), course=course)
    now = course.published.registration_opens + datetime.timedelta(hours=1)
    [seat] = _admit(course, 1)
    waiting = Registration.objects.create(
        course=course,
        teacher=teacher_login(taipei),
        status=RegistrationStatus.WAITLISTED,
        queued_at=timezone.now(),
    )
    alerts.send_favourite_alerts(now=now)
    # The seat goes to the first on the waitlist: still full, no mail.
    Registration.objects.filter(pk=seat.pk).update(status=RegistrationStatus.CANCELLED)
    Registration.objects.filter(pk=waiting.pk).update(status=RegistrationStatus.ADMITTED)
    assert alerts.send_favourite_alerts(now=now)["seats"] == 0


def test_registered_teacher_gets_no_seats_alert(taipei):
    course = make_course(UnitFactory(county=taipei), approve=True, classes=1, seats_per_class=1)
    me = teacher_login(taipei)
    Favourite.objects.create(teacher=me, course=course)
    now = course.published.registration_opens + datetime.timedelta(hours=1)
    [seat] = _admit(course, 1)
    Registration.objects.create(
        course=course, teacher=me, status=RegistrationStatus.WAITLISTED, queued_at=timezone.now()
    )
    alerts.send_favourite_alerts(now=now)
    Registration.objects.filter(pk=seat.pk).update(status=RegistrationStatus.CANCELLED)
    assert alerts.send_favourite_alerts(now=now)["seats"] == 0
