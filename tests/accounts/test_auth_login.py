"""Login, captcha after failures, lock-out (django-axes), logout."""

import json
import re

import pytest
from axes.models import AccessAttempt
from captcha.models import CaptchaStore
from django.conf import settings
from django.test import Client
from django.urls import reverse

from inservice.accounts.models import StaffStatus
from inservice.core.models import AuditEvent
from tests.factories import StaffFactory, UserFactory

PASSWORD = "correct-horse-battery-9"
LOGIN = "/accounts/login/"

pytestmark = pytest.mark.django_db


def _login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _captcha_answer(response):
    """The captcha fields as a browser would send them, answered correctly."""
    html = response.content.decode()
    match = re.search(r'name="captcha_0"[^>]*value="([0-9a-f]{40})"', html) or re.search(
        r'value="([0-9a-f]{40})"[^>]*name="captcha_0"', html
    )
    assert match, "the form shows no captcha"
    key = match.group(1)
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def _fail(client, username, times, **extra):
    response = None
    for _ in range(times):
        response = _login(client, username, "wrong-password-123", **extra)
    return response


# --- the page ------------------------------------------------------------------------------


def test_login_page_heading_follows_kind(client):
    assert "<h1>教師登入</h1>" in client.get(LOGIN + "?kind=teacher").content.decode()
    assert "<h1>業務登入</h1>" in client.get(LOGIN + "?kind=staff").content.decode()
    html = client.get(LOGIN + "?kind=<script>").content.decode()
    assert "<h1>登入</h1>" in html and "<script>" not in html.split("<main")[1]
    assert 'for="id_username"' in html and 'for="id_password"' in html
    assert "captcha" not in html


# --- success and failure -------------------------------------------------------------------


def test_teacher_logs_in_records_last_login_and_audit(client):
    user = UserFactory(username="teacher01")
    assert user.last_login is None
    response = _login(client, "teacher01", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.last_login is not None
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == user and event.object_id == str(user.pk)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hant"


def test_wrong_password_is_refused_and_audited_without_the_password(client):
    user = UserFactory(username="teacher02")
    response = _login(client, "teacher02", "Secret-Guess-4711")
    assert response.status_code == 200
    assert "帳號或密碼錯誤" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.object_id == str(user.pk)
    assert event.data == {"username": "teacher02", "reason": "invalid"}
    everything = json.dumps(list(AuditEvent.objects.values("data", "before", "after")))
    assert "Secret-Guess-4711" not in everything
    assert AccessAttempt.objects.filter(username="teacher02").exists()  # axes saw it


def test_unknown_username_gets_the_same_message(client):
    response = _login(client, "nobody99", PASSWORD)
    assert "帳號或密碼錯誤" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "is_active", "text", "reason"),
    [
        (StaffStatus.PENDING, True, "須經所屬單位總負責人或區域管理中心審核通過", "staff_pending"),
        (StaffStatus.REJECTED, True, "申請未通過審核", "staff_rejected"),
        (StaffStatus.DEACTIVATED, True, "業務帳號已停用", "staff_deactivated"),
        (StaffStatus.DEACTIVATED, False, "業務帳號已停用", "staff_deactivated"),
    ],
)
def test_unusable_staff_accounts_cannot_log_in(client, status, is_active, text, reason):
    staff = StaffFactory(status=status, user__username="staff01", user__is_active=is_active)
    assert staff.user.is_active is is_active
    response = _login(client, "staff01", PASSWORD)
    assert response.status_code == 200
    assert text in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="auth.login_failed").data["reason"] == reason


def test_active_staff_logs_in(client):
    StaffFactory(user__username="staff02")
    response = _login(client, "staff02", PASSWORD)
    assert response.status_code == 302


def test_inactive_account_is_told_only_with_the_right_password(client):
    UserFactory(username="teacher03", is_active=False)
    response = _login(client, "teacher03", PASSWORD)
    assert "此帳號已停用" in response.content.decode()
    response = _login(client, "teacher03", "not-the-password-1")
    html = response.content.decode()
    assert "此帳號已停用" not in html and "帳號或密碼錯誤" in html


def test_next_is_followed_only_within_the_site(client):
    UserFactory(username="teacher04")
    response = _login(client, "teacher04", PASSWORD, next="/catalog/")
    assert response.url == "/catalog/"
    client.logout()
    response = client.post(
        LOGIN + "?next=https://evil.example/x", {"username": "teacher04", "password": PASSWORD}
    )
    assert response.url == reverse("accounts:home")
    client.logout()
    response = _login(client, "teacher04", PASSWORD, next="//evil.example/")
    assert response.url == reverse("accounts:home")


def test_next_survives_the_get(client):
    html = client.get(LOGIN + "?next=/catalog/").content.decode()
    assert 'name="next" value="/catalog/"' in html


# --- captcha -------------------------------------------------------------------------------


def test_captcha_is_added_after_the_configured_failures(client, settings):
    settings.LOGIN_CAPTCHA_AFTER_FAILURES = 3
    UserFactory(username="teacher05")
    response = _fail(client, "teacher05", 2)
    assert 'name="captcha_1"' not in response.content.decode()
    response = _fail(client, "teacher05", 1)
    assert 'name="captcha_1"' in response.content.decode()  # shown right after the 3rd
    # The right password alone is no longer enough.
    response = _login(client, "teacher05", PASSWORD)
    assert "請輸入圖片中的驗證碼" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # A wrong answer is refused before the password is even checked.
    answer = _captcha_answer(response)
    answer["captcha_1"] = "zzzz-wrong"
    failures = AccessAttempt.objects.get(username="teacher05").failures_since_start
    response = _login(client, "teacher05", PASSWORD, **answer)
    assert "驗證碼不正確" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="teacher05").failures_since_start == failures
    assert AuditEvent.objects.filter(action="auth.login_failed", data__reason="captcha").exists()
    # The right answer and the right password let the user in.
    response = _login(client, "teacher05", PASSWORD, **_captcha_answer(response))
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_captcha_threshold_follows_the_setting(client, settings):
    settings.LOGIN_CAPTCHA_AFTER_FAILURES = 1
    UserFactory(username="teacher06")
    response = _fail(client, "teacher06", 1)
    assert 'name="captcha_1"' in response.content.decode()


def test_captcha_counts_failures_per_client_address(client, settings):
    settings.LOGIN_CAPTCHA_AFTER_FAILURES = 3
    for name in ("guess001", "guess002", "guess003"):
        _fail(client, name, 1)
    # A fresh username from the same address, and the plain login page, need the captcha.
    assert 'name="captcha_1"' in client.get(LOGIN).content.decode()
    UserFactory(username="teacher07")
    response = _login(client, "teacher07", PASSWORD)
    assert "_auth_user_id" not in client.session
    assert "請輸入圖片中的驗證碼" in response.content.decode()
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert 'name="captcha_1"' not in other.get(LOGIN).content.decode()
    assert other.post(LOGIN, {"username": "teacher07", "password": PASSWORD}).status_code == 302


def test_captcha_counts_failures_per_username_from_any_address(client, settings):
    settings.LOGIN_CAPTCHA_AFTER_FAILURES = 3
    UserFactory(username="teacher08")
    for i in range(3):
        _fail(Client(REMOTE_ADDR=f"10.0.0.{i + 1}"), "teacher08", 1)
    response = _login(client, "teacher08", PASSWORD)
    assert "_auth_user_id" not in client.session
    assert 'name="captcha_1"' in response.content.decode()


# --- lock-out ------------------------------------------------------------------------------


def _fail_until_locked(client, username):
    """Five failures, answering the captcha once it appears (as a person would)."""
    response = None
    for _ in range(settings.AXES_FAILURE_LIMIT):
        shows_captcha = response is not None and b'name="captcha_0"' in response.content
        extra = _captcha_answer(response) if shows_captcha else {}
        response = _login(client, username, "wrong-password-123", **extra)
    return response


def test_five_failures_lock_the_account_for_thirty_minutes(client):
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME == 0.5
    UserFactory(username="teacher09")
    response = _fail_until_locked(client, "teacher09")
    assert response.status_code == 429
    html = response.content.decode()
    assert "帳號已暫時鎖定" in html
    assert "連續登入失敗 5 次" in html and "30 分鐘" in html
    assert reverse("accounts:password_reset") in html
    assert AuditEvent.objects.filter(action="auth.login_failed", data__reason="locked").exists()
    # Even the right password is refused now, with or without a captcha.
    response = _login(client, "teacher09", PASSWORD)
    assert response.status_code == 429
    assert "帳號已暫時鎖定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lock_out_is_for_the_username_and_address_pair(client, settings):
    settings.LOGIN_CAPTCHA_AFTER_FAILURES = 100  # isolate the lock-out from the captcha
    UserFactory(username="teacher10")
    assert _fail(client, "teacher10", 4).status_code == 200
    assert _fail(client, "teacher10", 1).status_code == 429
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.post(LOGIN, {"username": "teacher10", "password": PASSWORD}).status_code == 302


def test_success_clears_the_failure_count(client, settings):
    settings.LOGIN_CAPTCHA_AFTER_FAILURES = 100
    UserFactory(username="teacher11")
    _fail(client, "teacher11", 4)
    assert _login(client, "teacher11", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    assert _fail(client, "teacher11", 4).status_code == 200  # not locked: counting restarted


# --- logout --------------------------------------------------------------------------------


def test_logout_requires_post(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(user.pk)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response.url == reverse("home")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.logout", object_id=str(user.pk)).exists()


def test_logout_is_csrf_protected():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("accounts:logout")).status_code == 403
    assert client.session["_auth_user_id"] == str(user.pk)
