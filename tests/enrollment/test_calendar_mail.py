"""The confirmation mail of a seat shows the calendar QR code and links (issue 4, calendar)."""

import base64
import io
from urllib.parse import urlsplit

import pytest
import zxingcpp
from django.core import mail
from PIL import Image

from inservice.enrollment.models import RegistrationStatus
from inservice.enrollment.services import calendar
from inservice.enrollment.services import registration as services
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County
from tests.factories import UnitFactory, make_teacher_user, open_course

pytestmark = pytest.mark.django_db


def _unit():
    return UnitFactory(county=County.objects.get(code="63000"))


def _decode_png(data: bytes) -> str:
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    return decoded.text


def test_admission_mail_carries_qr_google_link_and_ics(
    settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://inservice.example.tw"
    course = open_course(_unit(), name="英語教學工作坊")
    user = make_teacher_user(_unit())
    with django_capture_on_commit_callbacks(execute=True):
        result = services.register(actor=user, course=course)
    assert result.registration.status == RegistrationStatus.ADMITTED

    email = OutboundEmail.objects.get(template="enrollment_admitted", to=user.email)
    google_url = calendar.google_calendar_url(course)
    assert google_url in email.body_text
    ics = f"https://inservice.example.tw/my/registrations/{result.registration.pk}/calendar.ics"
    assert ics in email.body_text
    assert 'src="cid:calendar-qr"' in email.body_html
    [image] = email.inline_images
    assert _decode_png(base64.b64decode(image["data"])) == google_url

    # What is delivered: HTML and the image travel together as multipart/related.
    [sent] = [m for m in mail.outbox if m.to == [user.email]]
    message = sent.message()
    assert message.get_content_type() == "multipart/related"
    parts = {p.get("Content-ID"): p for p in message.walk()}
    qr_part = parts["<calendar-qr>"]
    assert qr_part.get_content_type() == "image/png"
    assert urlsplit(_decode_png(qr_part.get_payload(decode=True))).netloc == ("calendar.google.com")
    html = [p for p in message.walk() if p.get_content_type() == "text/html"][0]
    assert "cid:calendar-qr" in html.get_payload(decode=True).decode()


def test_waitlist_mail_has_no_calendar(django_capture_on_commit_callbacks):
    course = open_course(_unit(), seats=1)
    services.register(actor=make_teacher_user(_unit()), course=course)
    user = make_teacher_user(_unit())
    with django_capture_on_commit_callbacks(execute=True):
        result = services.register(actor=user, course=course)
    assert result.registration.status == RegistrationStatus.WAITLISTED
    email = OutboundEmail.objects.get(to=user.email, template="enrollment_waitlisted")
    assert email.inline_images == []
    assert "calendar.google.com" not in email.body_text


def test_promotion_mail_carries_the_qr(django_capture_on_commit_callbacks):
    course = open_course(_unit(), seats=1)
    first = make_teacher_user(_unit())
    taken = services.register(actor=first, course=course).registration
    second = make_teacher_user(_unit())
    services.register(actor=second, course=course)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(actor=first, registration=taken)
    email = OutboundEmail.objects.get(to=second.email, template="enrollment_promoted")
    [image] = email.inline_images
    assert _decode_png(base64.b64decode(image["data"])) == calendar.google_calendar_url(course)
    assert "cid:calendar-qr" in email.body_html
