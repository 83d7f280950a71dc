"""Changing the password, and resetting it through the registered email only."""

import base64
import re
from datetime import datetime, timedelta
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import reverse

from inservice.accounts.services import auth as services
from inservice.core.errors import DomainError
from inservice.core.models import AuditEvent
from inservice.notifications.models import OutboundEmail
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-9"
NEW_PASSWORD = "Blue-Lantern-Harbour-42"
RESET = "/accounts/password/reset/"

pytestmark = pytest.mark.django_db


# --- change password -----------------------------------------------------------------------


def _change(client, old, new1, new2=None):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
    )


def test_change_password_needs_login(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_change_password_keeps_the_session_audits_and_mails(client):
    user = UserFactory(username="teacher21", email="t21@mail.example")
    client.force_login(user)
    response = _change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    # Still signed in (update_session_auth_hash).
    assert client.get(reverse("accounts:password_change")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.password_changed", actor=user).exists()
    mail = OutboundEmail.objects.get(template="auth_password_changed")
    assert mail.to == "t21@mail.example"
    assert "teacher21" in mail.body_text and "密碼已於" in mail.body_text
    assert NEW_PASSWORD not in mail.body_text
    # And a fresh client can sign in with the new password.
    fresh = Client()
    login = {"username": "teacher21", "password": NEW_PASSWORD}
    assert fresh.post("/accounts/login/", login).status_code == 302


def test_change_password_refuses_a_wrong_old_password(client):
    user = UserFactory()
    client.force_login(user)
    response = _change(client, "not-my-password-1", NEW_PASSWORD)
    assert response.status_code == 200
    assert "目前的密碼不正確" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("Short-pw-1", "密碼太短，必須至少 12 個字元"),
        ("qwerty123456", "這個密碼太常見了"),
        ("908172635412", "這個密碼只包含數字"),
        ("teacherlinmei2", "這個密碼與帳號太相近"),
    ],
)
def test_password_rules_with_zh_hant_messages(client, new_password, message):
    user = UserFactory(username="teacherlinmei")
    client.force_login(user)
    response = _change(client, PASSWORD, new_password)
    assert response.status_code == 200
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_new_passwords_must_match(client):
    client.force_login(UserFactory())
    response = _change(client, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert "兩次輸入的新密碼不一致" in response.content.decode()


def test_service_validates_even_without_the_form():
    user = UserFactory()
    with pytest.raises(Exception, match="12"):
        services.change_password(actor=user, old_password=PASSWORD, new_password="short")
    with pytest.raises(DomainError):
        services.change_password(actor=user, old_password="wrong", new_password=NEW_PASSWORD)


# --- forgotten password --------------------------------------------------------------------


def _ask(client, username, email):
    return client.post(RESET, {"username": username, "email": email})


def _link_path():
    mail = OutboundEmail.objects.filter(template="auth_password_reset").latest("id")
    url = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.body_text).group(0)
    return urlparse(url).path


def test_reset_mail_goes_to_the_registered_email_with_uid_and_token(client):
    user = UserFactory(username="teacher22", email="t22@mail.example")
    response = _ask(client, "teacher22", "T22@Mail.Example")  # case of the email does not matter
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    mail = OutboundEmail.objects.get(template="auth_password_reset")
    assert mail.to == "t22@mail.example"
    path = _link_path()
    uid, token = path.rstrip("/").split("/")[-2:]
    assert base64.urlsafe_b64decode(uid + "==").decode() == str(user.pk)
    assert services.reset_tokens.check_token(user, token)
    # No personal data in the link.
    assert "teacher22" not in path and "t22" not in path and "mail.example" not in path
    assert "60 分鐘內" in mail.body_text
    assert AuditEvent.objects.filter(action="auth.password_reset_requested").count() == 1


def test_unknown_or_mismatched_accounts_get_the_same_answer_and_no_mail(client):
    UserFactory(username="teacher23", email="t23@mail.example")
    answers = [
        _ask(client, "teacher23", "someone-else@mail.example"),
        _ask(client, "nobody23", "t23@mail.example"),
        _ask(client, "nobody24", "nobody@mail.example"),
    ]
    assert not OutboundEmail.objects.exists()
    matched = _ask(client, "teacher23", "t23@mail.example")
    assert OutboundEmail.objects.count() == 1
    assert {(r.status_code, r.url) for r in [*answers, matched]} == {
        (302, reverse("accounts:password_reset_done"))
    }
    done = client.get(reverse("accounts:password_reset_done")).content.decode()
    assert "如果帳號與電子郵件相符" in done
    # The trail keeps the username tried, never the email typed.
    unmatched = AuditEvent.objects.filter(action="auth.password_reset_unmatched")
    assert unmatched.count() == 3
    assert "nobody@mail.example" not in str(list(unmatched.values_list("data", flat=True)))


def test_inactive_accounts_get_no_reset_mail(client):
    UserFactory(username="teacher24", email="t24@mail.example", is_active=False)
    assert _ask(client, "teacher24", "t24@mail.example").status_code == 302
    assert not OutboundEmail.objects.exists()


def test_reset_mails_are_limited_per_hour(client):
    UserFactory(username="teacher25", email="t25@mail.example")
    for _ in range(services.RESET_MAILS_PER_HOUR + 2):
        assert _ask(client, "teacher25", "t25@mail.example").status_code == 302
    assert OutboundEmail.objects.count() == services.RESET_MAILS_PER_HOUR


def test_reset_sets_a_new_password_once(client):
    user = UserFactory(username="teacher26", email="t26@mail.example")
    _ask(client, "teacher26", "t26@mail.example")
    link = _link_path()
    response = client.get(link)
    assert response.status_code == 302  # the token leaves the address bar
    set_url = response.url
    assert set_url == reverse("accounts:password_reset_set", args=[link.split("/")[-3]])
    page = client.get(set_url)
    assert page.status_code == 200 and "teacher26" in page.content.decode()
    # Rules apply here too.
    weak = client.post(set_url, {"new_password1": "qwerty123456", "new_password2": "qwerty123456"})
    assert "這個密碼太常見了" in weak.content.decode()
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_reset", object_id=str(user.pk)).exists()
    done = OutboundEmail.objects.get(template="auth_password_reset_done")
    assert done.to == "t26@mail.example"
    # The same link again: used.
    again = Client().get(link)
    assert again.status_code == 400
    assert "已使用過或已失效" in again.content.decode()
    # The set page without a token in the session refuses too.
    assert Client().get(set_url).status_code == 400


def test_reset_link_dies_when_the_user_logs_in(client):
    UserFactory(username="teacher27", email="t27@mail.example")
    _ask(client, "teacher27", "t27@mail.example")
    link = _link_path()
    Client().post("/accounts/login/", {"username": "teacher27", "password": PASSWORD})
    response = client.get(link)
    assert response.status_code == 400
    assert "已使用過或已失效" in response.content.decode()


def test_expired_reset_link_says_so(client, monkeypatch, settings):
    settings.PASSWORD_RESET_TIMEOUT = 60 * 60
    UserFactory(username="teacher28", email="t28@mail.example")
    _ask(client, "teacher28", "t28@mail.example")
    link = _link_path()
    later = datetime.now() + timedelta(hours=1, seconds=5)
    monkeypatch.setattr(services.reset_tokens, "_now", lambda: later)
    response = client.get(link)
    assert response.status_code == 410
    html = response.content.decode()
    assert "已逾期" in html and "60 分鐘內有效" in html
    assert reverse("accounts:password_reset") in html
    # Within the hour it still works.
    monkeypatch.setattr(
        services.reset_tokens, "_now", lambda: datetime.now() + timedelta(minutes=59)
    )
    assert client.get(link).status_code == 302


def test_expired_link_cannot_be_used_even_after_opening_it(client, monkeypatch):
    UserFactory(username="teacher29", email="t29@mail.example")
    _ask(client, "teacher29", "t29@mail.example")
    set_url = client.get(_link_path()).url
    monkeypatch.setattr(services.reset_tokens, "_now", lambda: datetime.now() + timedelta(hours=2))
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 410


def test_token_status_tells_expired_from_forged():
    user = UserFactory()
    token = services.reset_tokens.make_token(user)
    assert services.reset_tokens.status(user, token) == "valid"
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert services.reset_tokens.status(user, forged) == "invalid"
    assert services.reset_tokens.status(user, "zz-" + token.split("-")[1]) == "invalid"
    assert services.reset_tokens.status(user, "garbage") == "invalid"
    assert services.reset_tokens.status(UserFactory(), token) == "invalid"


def test_service_reset_is_single_use():
    user = UserFactory()
    uid, token = services.uid_for(user), services.reset_tokens.make_token(user)
    services.reset_password(uidb64=uid, token=token, new_password=NEW_PASSWORD)
    with pytest.raises(DomainError) as err:
        services.reset_password(uidb64=uid, token=token, new_password="Another-Fine-Pass-77")
    assert err.value.code == "reset_invalid"


def test_reset_lifts_the_lock_out(client, settings):
    settings.LOGIN_CAPTCHA_AFTER_FAILURES = 100
    UserFactory(username="teacher30", email="t30@mail.example")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", {"username": "teacher30", "password": "nope"})
    assert response.status_code == 429
    _ask(client, "teacher30", "t30@mail.example")
    set_url = client.get(_link_path()).url
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    response = client.post("/accounts/login/", {"username": "teacher30", "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_argon2_is_the_first_hasher_in_production_settings(monkeypatch):
    """settings_test swaps in a fast hasher; the production module must lead with Argon2."""
    import importlib.util

    from django.conf import settings as live
    from django.contrib.auth.hashers import Argon2PasswordHasher

    import inservice.settings as source

    monkeypatch.setenv("INSERVICE_TESTING", "0")
    monkeypatch.setenv("DJANGO_DEBUG", "0")
    monkeypatch.setenv("INSERVICE_ENV_FILE", "/nonexistent/.env")
    for name in ("DJANGO_SECRET_KEY", "INSERVICE_ID_KEYS", "INSERVICE_ID_HMAC_KEY"):
        monkeypatch.setenv(name, "probe-value-for-settings-test")
    spec = importlib.util.spec_from_file_location("inservice_settings_probe", source.__file__)
    production = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(production)
    assert production.TESTING is False
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert live.PASSWORD_HASHERS != production.PASSWORD_HASHERS  # the test override is real
    encoded = Argon2PasswordHasher().encode("x" * 12, Argon2PasswordHasher().salt())
    assert encoded.startswith("argon2$argon2id$")
