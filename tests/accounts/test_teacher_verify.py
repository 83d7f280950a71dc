"""Verification links: signed, expire after three days, single use, tied to the address."""

import re
import time

import pytest
from django.core import signing
from django.urls import reverse

from inservice.accounts.services import teachers as services
from inservice.core.models import AuditEvent
from inservice.notifications.models import OutboundEmail
from tests.factories import TeacherFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = 24 * 60 * 60


@pytest.fixture
def person():
    user = UserFactory(email="lin@mail.example")
    return TeacherFactory(user=user, name=user.real_name)


def link_path(user):
    services.send_verification_mail(user)
    mail = OutboundEmail.objects.filter(to=user.email).latest("id")
    match = re.search(r"https?://[^/\s]+(/accounts/verify-email/\S+/)", mail.body_text)
    assert match.group(0) in mail.body_html
    return match.group(1)


def message_of(response):
    return str(response.context["error"].message)


def test_link_is_shaped_without_personal_data(person):
    path = link_path(person.user)
    assert path.startswith("/accounts/verify-email/")
    assert "lin" not in path.lower() and "mail.example" not in path


def test_get_asks_for_a_click_and_post_verifies(client, person):
    path = link_path(person.user)
    response = client.get(path)
    assert response.status_code == 200
    person.user.refresh_from_db()
    assert person.user.email_verified_at is None  # a mail scanner's GET changes nothing

    response = client.post(path)
    assert response.status_code == 200
    assert "已完成驗證" in response.content.decode()
    person.user.refresh_from_db()
    assert person.user.email_verified_at is not None
    event = AuditEvent.objects.get(action="teacher.email_verified")
    assert event.object_id == str(person.pk) and event.actor == person.user


def test_reused_link_is_refused_with_its_own_message(client, person):
    path = link_path(person.user)
    client.post(path)
    first = person.user.__class__.objects.get(pk=person.user.pk).email_verified_at

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 400
        assert message_of(response) == str(services.TOKEN_USED)
    person.user.refresh_from_db()
    assert person.user.email_verified_at == first
    assert AuditEvent.objects.filter(action="teacher.email_verified").count() == 1


def test_expired_link(client, person, monkeypatch):
    path = link_path(person.user)
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 2 * DAY + 23 * 3600)
    assert client.get(path).status_code == 200  # still inside the three days

    monkeypatch.setattr(signing.time, "time", lambda: now + 3 * DAY + 5)
    response = client.post(path)
    assert response.status_code == 400
    assert message_of(response) == str(services.TOKEN_EXPIRED) % {"days": 3}
    assert "3 天" in response.content.decode()
    person.user.refresh_from_db()
    assert person.user.email_verified_at is None


@pytest.mark.parametrize("where", ["payload", "signature", "truncated"])
def test_tampered_link(client, person, where):
    token = services.make_verification_token(person.user)
    payload, stamp, signature = token.rsplit(":", 2)
    if where == "payload":
        token = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + f":{stamp}:{signature}"
    elif where == "signature":
        token = f"{payload}:{stamp}:{signature[::-1]}"
    else:
        token = token[:-5]
    path = reverse("accounts:teacher_verify_email", args=[token])
    response = client.post(path)
    assert response.status_code == 400
    assert message_of(response) == str(services.TOKEN_TAMPERED)
    person.user.refresh_from_db()
    assert person.user.email_verified_at is None


def test_token_for_another_user_cannot_be_forged(client, person):
    other = UserFactory()
    forged = signing.dumps(
        {"u": other.pk, "e": "0" * 20, "v": ""}, salt="some-other-salt", compress=True
    )
    response = client.post(reverse("accounts:teacher_verify_email", args=[forged]))
    assert message_of(response) == str(services.TOKEN_TAMPERED)


def test_link_for_a_previous_address(client, person):
    path = link_path(person.user)
    person.user.email = "new@mail.example"
    person.user.save()
    response = client.post(path)
    assert response.status_code == 400
    assert message_of(response) == str(services.TOKEN_EMAIL_CHANGED)


def test_home_banner_and_resend(client, person):
    client.force_login(person.user)
    home = client.get(reverse("accounts:teacher_home")).content.decode()
    assert "您的電子郵件尚未驗證" in home
    assert reverse("accounts:teacher_resend") in home

    before = OutboundEmail.objects.filter(template="teacher_verify_email").count()
    response = client.post(reverse("accounts:teacher_resend"), follow=True)
    assert "驗證信已重新寄到 lin@mail.example" in response.content.decode()
    assert OutboundEmail.objects.filter(template="teacher_verify_email").count() == before + 1
    assert AuditEvent.objects.filter(action="teacher.verification_resent").count() == 1

    # A second click within a minute does not send another mail.
    response = client.post(reverse("accounts:teacher_resend"), follow=True)
    assert "請稍候一分鐘再試" in response.content.decode()
    assert OutboundEmail.objects.filter(template="teacher_verify_email").count() == before + 1

    # The resent link works; afterwards the banner is gone.
    mail = OutboundEmail.objects.filter(template="teacher_verify_email").latest("id")
    url = re.search(r"/accounts/verify-email/\S+/", mail.body_text).group(0)
    client.post(url)
    home = client.get(reverse("accounts:teacher_home")).content.decode()
    assert "您的電子郵件尚未驗證" not in home


def test_resend_when_already_verified(client, person):
    from django.utils import timezone

    person.user.email_verified_at = timezone.now()
    person.user.save()
    client.force_login(person.user)
    response = client.post(reverse("accounts:teacher_resend"), follow=True)
    assert "已完成驗證，無須重新寄送" in response.content.decode()
    assert not OutboundEmail.objects.filter(template="teacher_verify_email").exists()


def test_resend_needs_post(client, person):
    client.force_login(person.user)
    assert client.get(reverse("accounts:teacher_resend")).status_code == 405
