"""Calendar: the Google Calendar QR code (decoded), .ics files and the private feed."""

import datetime
import io
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import zxingcpp
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inservice.courses.models import Course, CourseSession, CourseStatus
from inservice.enrollment.models import CalendarFeed, Registration, RegistrationStatus
from inservice.enrollment.services import calendar
from inservice.organizations.models import County
from tests.factories import TeacherFactory, UnitFactory, UserFactory, make_course

pytestmark = pytest.mark.django_db
TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


def teacher_login(county):
    user = UserFactory()
    return TeacherFactory(user=user, serving_unit=UnitFactory(county=county))


def register(teacher, course, status=RegistrationStatus.ADMITTED):
    return Registration.objects.create(
        course=course, teacher=teacher, status=status, queued_at=timezone.now()
    )


def add_sessions(course, *sessions):
    for day, start, end in sessions:
        CourseSession.objects.create(
            version=course.published, date=day, start_time=start, end_time=end, hours=3
        )


def events_of(content: bytes):
    cal = icalendar.Calendar.from_ical(content)
    return [c for c in cal.walk("VEVENT")]


def test_qr_png_decodes_to_google_calendar_template(client, taipei, settings):
    settings.SITE_URL = "https://inservice.example.tw"
    course = make_course(UnitFactory(county=taipei), approve=True, name="性平教育研習")
    day = course.start_date
    add_sessions(course, (day, datetime.time(13, 30), datetime.time(16, 30)))
    me = teacher_login(taipei)
    registration = register(me, course)
    client.force_login(me.user)

    response = client.get(reverse("enrollment:registration_qr", args=[registration.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    url = urlsplit(decoded.text)
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    params = parse_qs(url.query)
    assert params["action"] == ["TEMPLATE"]
    assert params["text"] == ["性平教育研習"]
    assert params["dates"] == [f"{day:%Y%m%d}T133000/{day:%Y%m%d}T163000"]
    assert params["ctz"] == ["Asia/Taipei"]
    assert params["location"] == [course.published.time_and_place]
    assert f"https://inservice.example.tw/courses/{course.code}/" in params["details"][0]


def test_qr_without_sessions_uses_all_day_dates(taipei):
    start = datetime.date.today() + datetime.timedelta(days=30)
    course = make_course(
        UnitFactory(county=taipei),
        approve=True,
        start_date=start,
        end_date=start + datetime.timedelta(days=1),
        registration_start=start - datetime.timedelta(days=20),
        registration_end=start - datetime.timedelta(days=3),
    )
    url = calendar.google_calendar_url(course)
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(calendar.qr_png(url))))
    assert decoded.text == url
    params = parse_qs(urlsplit(url).query)
    # All-day events: the end date is exclusive.
    assert params["dates"] == [f"{start:%Y%m%d}/{start + datetime.timedelta(days=2):%Y%m%d}"]


def test_links_include_shows_qr_svg_and_button(client, taipei):
    course = make_course(UnitFactory(county=taipei), approve=True)
    me = teacher_login(taipei)
    register(me, course)
    client.force_login(me.user)
    html = client.get(reverse("enrollment:my_calendar")).content.decode()
    assert "<svg" in html
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in html
    assert reverse("enrollment:registration_ics", args=[me.registrations.get().pk]) in html


def test_ics_and_feed_share_uids_and_times_in_taipei(client, taipei, settings):
    course = make_course(UnitFactory(county=taipei), approve=True, name="英語教學研習")
    day = course.start_date
    add_sessions(
        course,
        (day, datetime.time(9, 0), datetime.time(12, 0)),
        (day + datetime.timedelta(days=7), datetime.time(13, 30), datetime.time(16, 30)),
    )
    me = teacher_login(taipei)
    registration = register(me, course)
    client.force_login(me.user)

    single = client.get(reverse("enrollment:registration_ics", args=[registration.pk]))
    assert single.status_code == 200
    assert single["Content-Type"].startswith("text/calendar")
    by_course = client.get(reverse("enrollment:course_ics", args=[course.code]))
    assert by_course.status_code == 200

    feed = calendar.feed_for(me)
    subscribed = client.get(f"/calendar/{feed.token}.ics")
    assert subscribed.status_code == 200

    single_events = events_of(single.content)
    feed_events = events_of(subscribed.content)
    assert [str(e["uid"]) for e in single_events] == [str(e["uid"]) for e in feed_events]
    host = urlsplit(settings.SITE_URL).hostname
    assert [str(e["uid"]) for e in single_events] == [
        f"course-{course.code}-1@{host}",
        f"course-{course.code}-2@{host}",
    ]
    first = single_events[0]
    assert first["dtstart"].dt == datetime.datetime.combine(day, datetime.time(9), tzinfo=TAIPEI)
    assert first["dtstart"].dt.utcoffset() == datetime.timedelta(hours=8)
    assert first["dtend"].dt.astimezone(TAIPEI).time() == datetime.time(12, 0)
    assert str(first["summary"]) == "英語教學研習"
    assert str(first["status"]) == "CONFIRMED"
    assert b"BEGIN:VTIMEZONE" in single.content and b"TZID:Asia/Taipei" in single.content


def test_feed_marks_cancelled_registration_and_cancelled_course(client, taipei):
    me = teacher_login(taipei)
    kept = make_course(UnitFactory(county=taipei), approve=True)
    dropped = make_course(UnitFactory(county=taipei), approve=True)
    called_off = make_course(UnitFactory(county=taipei), approve=True)
    register(me, kept)
    register(me, dropped, status=RegistrationStatus.CANCELLED)
    register(me, called_off)
    Course.objects.filter(pk=called_off.pk).update(status=CourseStatus.CANCELLED)
    waiting = make_course(UnitFactory(county=taipei), approve=True)
    register(me, waiting, status=RegistrationStatus.WAITLISTED)

    feed = calendar.feed_for(me)
    status = {
        str(e["uid"]).split("@")[0]: str(e["status"])
        for e in events_of(client.get(f"/calendar/{feed.token}.ics").content)
    }
    assert status == {
        f"course-{kept.code}": "CONFIRMED",
        f"course-{dropped.code}": "CANCELLED",
        f"course-{called_off.code}": "CANCELLED",
    }


def test_revoked_token_is_404_and_new_one_works(client, taipei):
    me = teacher_login(taipei)
    register(me, make_course(UnitFactory(county=taipei), approve=True))
    client.force_login(me.user)
    page = client.get(reverse("enrollment:my_calendar"))
    old = CalendarFeed.objects.get(teacher=me).token
    assert f"/calendar/{old}.ics" in page.content.decode()
    assert client.get(f"/calendar/{old}.ics").status_code == 200

    response = client.post(reverse("enrollment:calendar_revoke"))
    assert response.status_code == 302
    new = CalendarFeed.objects.get(teacher=me).token
    assert new != old
    client.logout()
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert client.get("/calendar/short.ics").status_code == 404


def test_revoke_needs_post(client, taipei):
    me = teacher_login(taipei)
    client.force_login(me.user)
    calendar.feed_for(me)
    assert client.get(reverse("enrollment:calendar_revoke")).status_code == 405


def test_other_teachers_registration_is_404(client, taipei):
    course = make_course(UnitFactory(county=taipei), approve=True)
    owner = teacher_login(taipei)
    registration = register(owner, course)
    intruder = teacher_login(taipei)
    client.force_login(intruder.user)
    assert (
        client.get(reverse("enrollment:registration_ics", args=[registration.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("enrollment:registration_qr", args=[registration.pk])).status_code == 404
    )
    # Not admitted to the course: no course .ics either.
    assert client.get(reverse("enrollment:course_ics", args=[course.code])).status_code == 404


def test_waitlisted_teacher_gets_no_course_ics(client, taipei):
    course = make_course(UnitFactory(county=taipei), approve=True)
    me = teacher_login(taipei)
    register(me, course, status=RegistrationStatus.WAITLISTED)
    client.force_login(me.user)
    assert client.get(reverse("enrollment:course_ics", args=[course.code])).status_code == 404


def test_calendar_pages_are_for_teachers(client, taipei):
    from tests.factories import StaffFactory

    course = make_course(UnitFactory(county=taipei), approve=True)
    registration = register(teacher_login(taipei), course)
    urls = [
        reverse("enrollment:my_calendar"),
        reverse("enrollment:registration_ics", args=[registration.pk]),
        reverse("enrollment:registration_qr", args=[registration.pk]),
        reverse("enrollment:course_ics", args=[course.code]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    assert client.post(reverse("enrollment:calendar_revoke")).status_code == 302
    client.force_login(StaffFactory(unit=course.unit).user)
    for url in urls:
        assert client.get(url).status_code == 403
