"""Editing the own profile: phone, language, email; username and real name stay."""

import pytest
from django.conf import settings
from django.urls import reverse

from inservice.accounts.services import auth as services
from inservice.core.errors import ValidationFailed
from inservice.core.models import AuditEvent
from inservice.notifications.models import OutboundEmail
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-9"
PROFILE = "/accounts/profile/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory(
        username="teacher40",
        real_name="林美華",
        email="t40@mail.example",
        phone="02-2345-6789",
    )


def _post(client, **changes):
    data = {"email": "t40@mail.example", "phone": "02-2345-6789", "language": "zh-hant"}
    data.update(changes)
    return client.post(PROFILE, data)


def test_profile_needs_login(client):
    response = client.get(PROFILE)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_profile_page_shows_fixed_fields_read_only(client, user):
    client.force_login(user)
    html = client.get(PROFILE).content.decode()
    assert "teacher40" in html and "帳號建立後不能變更" in html
    assert "林美華" in html
    assert 'name="username"' not in html and 'name="real_name"' not in html
    for field in ("email", "phone", "language", "current_password"):
        assert f'for="id_{field}"' in html


def test_phone_and_language_are_saved_and_audited(client, user):
    client.force_login(user)
    response = _post(client, phone="04-2222-3333#12", language="en")
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    user.refresh_from_db()
    assert (user.phone, user.language) == ("04-2222-3333#12", "en")
    event = AuditEvent.objects.get(action="auth.profile_updated")
    assert event.actor == user
    assert event.before["phone"] == "02-2345-6789" and event.after["phone"] == "04-2222-3333#12"
    assert event.before["language"] == "zh-hant" and event.after["language"] == "en"
    # The interface follows the preference.
    assert 'lang="en"' in client.get(PROFILE).content.decode()


def test_username_and_real_name_cannot_be_changed(client, user):
    client.force_login(user)
    _post(client, username="hijacked", real_name="別人", phone="02-1111-2222")
    user.refresh_from_db()
    assert (user.username, user.real_name, user.phone) == ("teacher40", "林美華", "02-1111-2222")


def test_bad_phone_is_refused(client, user):
    client.force_login(user)
    response = _post(client, phone="call me maybe")
    assert response.status_code == 200
    assert "電話格式不正確" in response.content.decode()
    user.refresh_from_db()
    assert user.phone == "02-2345-6789"


def test_email_change_needs_the_password(client, user):
    client.force_login(user)
    response = _post(client, email="new40@mail.example")
    assert "變更電子郵件須輸入目前的密碼" in response.content.decode()
    response = _post(client, email="new40@mail.example", current_password="wrong-password-1")
    assert "變更電子郵件須輸入目前的密碼" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "t40@mail.example"
    assert not AuditEvent.objects.filter(action="auth.profile_updated").exists()


def test_email_change_unverifies_and_tells_the_old_address(client, user):
    user.email_verified_at = user.date_joined
    user.save()
    client.force_login(user)
    response = _post(client, email="new40@mail.example", current_password=PASSWORD)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "new40@mail.example"
    assert user.email_verified_at is None
    event = AuditEvent.objects.get(action="auth.profile_updated")
    assert event.before["email"] == "t40@mail.example"
    assert event.after["email"] == "new40@mail.example"
    notice = OutboundEmail.objects.get(template="auth_email_changed")
    assert notice.to == "t40@mail.example"
    assert "n****@mail.example" in notice.body_text
    assert "new40@mail.example" not in notice.body_text
    # a teacher's new address gets a fresh verification link
    verify = OutboundEmail.objects.get(template="teacher_verify_email")
    assert verify.to == "new40@mail.example"


def test_unchanged_profile_writes_no_audit(client, user):
    client.force_login(user)
    assert _post(client).status_code == 302
    assert not AuditEvent.objects.filter(action="auth.profile_updated").exists()


def test_service_refuses_email_change_without_password(user):
    with pytest.raises(ValidationFailed) as err:
        services.update_profile(
            actor=user, email="other@mail.example", phone="", language="zh-hant"
        )
    assert err.value.field == "current_password"


def test_profile_edits_only_the_signed_in_account(client, user):
    other = UserFactory(phone="03-333-4444")
    client.force_login(user)
    _post(client, phone="02-9999-8888")
    other.refresh_from_db()
    assert other.phone == "03-333-4444"
    assert reverse("accounts:profile") == PROFILE  # no account id in the address at all
