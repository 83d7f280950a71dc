"""Signing in and the account basics: login checks, passwords, reset by email, own profile.

Login goes through `django.contrib.auth.authenticate(request=...)` so django-axes counts every
failure (lock-out after AXES_FAILURE_LIMIT for the username/IP pair). The captcha threshold
reads the same attempt records, per username or per client address.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_lockout_response
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate, login, logout, password_validation
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from inservice.accounts.models import StaffStatus, User
from inservice.core.audit import log_event
from inservice.core.errors import DomainError, ValidationFailed
from inservice.core.middleware import client_ip
from inservice.notifications.models import OutboundEmail
from inservice.notifications.services import mail_user, queue_mail

# --- login -----------------------------------------------------------------------------------

MSG_INVALID = _("帳號或密碼錯誤。請注意英文大小寫；連續輸入錯誤將暫時鎖定帳號。")
MSG_LOCKED = _("登入失敗次數過多，帳號已暫時鎖定。")
MSG_INACTIVE = _("此帳號已停用，無法登入。如有疑問，請聯絡系統管理者。")
MSG_STAFF_NO_PROFILE = _("此業務帳號尚未完成申請資料，無法登入。請聯絡系統管理者。")
MSG_STAFF_PENDING = _(
    "您的業務帳號尚在審核中，須經所屬單位總負責人或區域管理中心審核通過後才能登入。"
)
MSG_STAFF_REJECTED = _(
    "您的業務帳號申請未通過審核，無法登入。如有疑問，請洽所屬單位總負責人或區域管理中心。"
)
MSG_STAFF_DEACTIVATED = _(
    "您的業務帳號已停用，無法登入。如需恢復使用，請洽所屬單位總負責人或區域管理中心。"
)


class LoginRefused(DomainError):
    """The login did not succeed; `code` says why (it goes to the audit trail)."""

    code = "invalid"
    default_message = MSG_INVALID


def login_block(user: User) -> LoginRefused | None:
    """Why this account (whose password was right) may not sign in, or None."""
    if user.kind == User.Kind.STAFF:
        staff = getattr(user, "staff", None)
        if staff is None:
            return LoginRefused(MSG_STAFF_NO_PROFILE, code="staff_no_profile")
        if staff.status == StaffStatus.PENDING:
            return LoginRefused(MSG_STAFF_PENDING, code="staff_pending")
        if staff.status == StaffStatus.REJECTED:
            return LoginRefused(MSG_STAFF_REJECTED, code="staff_rejected")
        if staff.status == StaffStatus.DEACTIVATED:
            return LoginRefused(MSG_STAFF_DEACTIVATED, code="staff_deactivated")
    if not user.is_active:
        return LoginRefused(MSG_INACTIVE, code="inactive")
    return None


def _audit_login_failed(username: str, reason: str, user: User | None = None) -> None:
    # The password never reaches the trail; the username typed is kept (cut short).
    log_event(
        "auth.login_failed",
        actor=None,
        obj=user,
        data={"username": (username or "")[:60], "reason": reason},
    )


def recent_failures(*, username: str | None, ip: str | None) -> int:
    """Failed logins within the cool-off window, for this username or this address.

    Counts django-axes' attempt records, whichever is higher: all addresses trying this
    username, or all usernames tried from this address.
    """
    cool_off = get_cool_off()
    attempts = AccessAttempt.objects.all()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    counts = [0]
    for lookup, value in (("username", username), ("ip_address", ip)):
        if value:
            total = attempts.filter(**{lookup: value}).aggregate(n=Sum("failures_since_start"))
            counts.append(total["n"] or 0)
    return max(counts)


def captcha_required(request, username: str | None = None) -> bool:
    limit = settings.LOGIN_CAPTCHA_AFTER_FAILURES
    return recent_failures(username=username, ip=client_ip(request)) >= limit


def is_locked_out(request, username: str) -> bool:
    return AxesProxyHandler.is_locked(request, {settings.AXES_USERNAME_FORM_FIELD: username})


def locked_out_response(request, username: str):
    """The page AxesMiddleware shows (AXES_LOCKOUT_TEMPLATE, HTTP 429), audited."""
    _audit_login_failed(username, "locked", User.objects.filter(username=username).first())
    return get_lockout_response(request, None, {settings.AXES_USERNAME_FORM_FIELD: username})


def record_captcha_failure(*, username: str) -> None:
    _audit_login_failed(username, "captcha")


def authenticate_login(request, *, username: str, password: str) -> User:
    """Check the credentials and the account state; raise LoginRefused with a specific reason.

    A locked-out client gets `code="locked"`; AxesMiddleware then answers with the lock-out
    page (the request carries `axes_locked_out`).
    """
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        candidate = User.objects.filter(username=username).first()
        if getattr(request, "axes_locked_out", False):
            _audit_login_failed(username, "locked", candidate)
            raise LoginRefused(MSG_LOCKED, code="locked")
        # ModelBackend refuses inactive accounts; say why only to someone who knows the password.
        if candidate is not None and not candidate.is_active and candidate.check_password(password):
            refusal = login_block(candidate) or LoginRefused(MSG_INACTIVE, code="inactive")
            _audit_login_failed(username, refusal.code, candidate)
            raise refusal
        _audit_login_failed(username, "invalid", candidate)
        raise LoginRefused(MSG_INVALID, code="invalid")
    refusal = login_block(user)
    if refusal is not None:
        _audit_login_failed(username, refusal.code, user)
        raise refusal
    return user


def complete_login(request, user: User) -> None:
    """Start the session. `user_logged_in` records last_login and clears axes' failures."""
    login(request, user)
    log_event("auth.login", actor=user, obj=user, data={"kind": user.kind})


def end_session(request) -> None:
    user = request.user
    if user.is_authenticated:
        log_event("auth.logout", actor=user, obj=user)
    logout(request)


# --- passwords -------------------------------------------------------------------------------


def validate_new_password(password: str, user: User | None) -> None:
    """Django's validators from settings (length ≥ 12, common, numeric, similar).

    Raises django.core.exceptions.ValidationError with the messages in the active language.
    """
    password_validation.validate_password(password, user)


@transaction.atomic
def change_password(*, actor: User, old_password: str, new_password: str) -> None:
    if not actor.check_password(old_password):
        raise ValidationFailed(_("目前的密碼不正確。"), code="wrong_password", field="old_password")
    validate_new_password(new_password, actor)
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    log_event("auth.password_changed", actor=actor, obj=actor)
    mail_user(actor, "auth_password_changed", {"changed_at": timezone.now()})


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens (HMAC over pk, password hash, last_login, email, timestamp).

    Adds `status()` to tell an expired link from a used or forged one.
    """

    key_salt = "inservice.accounts.password_reset"

    def status(self, user: User | None, token: str | None) -> str:
        """'valid', 'expired' or 'invalid' (used, superseded or forged)."""
        if not (user and token):
            return "invalid"
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return "invalid"
        if len(ts_b36) > 6:
            return "invalid"
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return "invalid"
        if (self._num_seconds(self._now()) - ts) > settings.PASSWORD_RESET_TIMEOUT:
            return "expired"
        return "valid"


reset_tokens = ResetTokenGenerator()

RESET_MAILS_PER_HOUR = 3

MSG_RESET_EXPIRED = _(
    "此重設密碼連結已逾期（連結寄出後 %(minutes)s 分鐘內有效）。請重新申請重設密碼。"
)
MSG_RESET_INVALID = _(
    "此重設密碼連結已使用過或已失效（密碼已變更、帳號已再次登入或電子郵件已更改）。"
    "請重新申請重設密碼。"
)


def reset_valid_minutes() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 60


def uid_for(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_for_uid(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk).first()


@transaction.atomic
def request_password_reset(*, username: str, email: str) -> bool:
    """Mail a reset link when username and registered email match an active account.

    The caller shows the same answer either way; the return value is for tests and logs.
    """
    user = (
        User.objects.filter(username=username.strip(), email__iexact=email.strip(), is_active=True)
        .order_by("pk")
        .first()
    )
    if user is None:
        log_event(
            "auth.password_reset_unmatched",
            data={"username": username.strip()[:60]},
        )
        return False
    recent = OutboundEmail.objects.filter(
        to=user.email,
        template="auth_password_reset",
        created_at__gte=timezone.now() - timezone.timedelta(hours=1),
    ).count()
    if recent >= RESET_MAILS_PER_HOUR:
        log_event("auth.password_reset_throttled", obj=user)
        return False
    token = reset_tokens.make_token(user)
    path = reverse(
        "accounts:password_reset_confirm", kwargs={"uidb64": uid_for(user), "token": token}
    )
    mail_user(
        user,
        "auth_password_reset",
        {"reset_url": settings.SITE_URL.rstrip("/") + path, "valid_minutes": reset_valid_minutes()},
    )
    log_event("auth.password_reset_requested", obj=user)
    return True


@dataclass(frozen=True)
class ResetCheck:
    user: User | None
    status: str  # valid | expired | invalid

    @property
    def message(self):
        if self.status == "expired":
            return MSG_RESET_EXPIRED % {"minutes": reset_valid_minutes()}
        return MSG_RESET_INVALID


def check_reset_link(uidb64: str, token: str | None) -> ResetCheck:
    user = user_for_uid(uidb64)
    if user is None or not user.is_active:
        return ResetCheck(None, "invalid")
    return ResetCheck(user, reset_tokens.status(user, token))


@transaction.atomic
def reset_password(*, uidb64: str, token: str, new_password: str) -> User:
    """Set a new password through a valid link; the link dies with the old password hash."""
    found = user_for_uid(uidb64)
    # Lock the row before checking, so two submissions of one link cannot both succeed.
    user = User.objects.select_for_update().filter(pk=found.pk).first() if found else None
    status = reset_tokens.status(user, token) if user and user.is_active else "invalid"
    check = ResetCheck(user, status)
    if check.status != "valid":
        raise DomainError(check.message, code=f"reset_{check.status}")
    validate_new_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # A reset through the registered email also lifts a lock-out on the account.
    AxesProxyHandler.reset_attempts(username=user.username)
    log_event("auth.password_reset", actor=None, obj=user)
    mail_user(user, "auth_password_reset_done", {"changed_at": timezone.now()})
    return user


# --- own profile -----------------------------------------------------------------------------

PROFILE_FIELDS = ("email", "phone", "language")


@transaction.atomic
def update_profile(
    *,
    actor: User,
    email: str,
    phone: str,
    language: str,
    current_password: str = "",
) -> User:
    """Change the signed-in account's own contact data and interface language.

    Username and real name are not editable here. A new email address needs the current
    password, is marked unverified, and the old address is told about the change.
    """
    user = User.objects.select_for_update().get(pk=actor.pk)
    before = {f: getattr(user, f) for f in PROFILE_FIELDS}
    email = User.objects.normalize_email(email.strip())
    email_changed = email.lower() != (user.email or "").lower()
    if email_changed and not user.check_password(current_password or ""):
        raise ValidationFailed(
            _("變更電子郵件須輸入目前的密碼，且密碼須正確。"),
            code="wrong_password",
            field="current_password",
        )
    user.email = email
    user.phone = phone.strip()
    user.language = language
    update_fields = list(PROFILE_FIELDS)
    if email_changed:
        user.email_verified_at = None
        update_fields.append("email_verified_at")
    after = {f: getattr(user, f) for f in PROFILE_FIELDS}
    if before == after:
        return user
    user.save(update_fields=update_fields)
    log_event("auth.profile_updated", actor=actor, obj=user, before=before, after=after)
    if email_changed and before["email"]:
        queue_mail(
            to=before["email"],
            template="auth_email_changed",
            context={"user": user, "new_email_masked": mask_email(email)},
            language=user.language,
        )
    if email_changed and user.is_teacher:
        from inservice.accounts.services.teachers import send_verification_mail

        send_verification_mail(user)  # the new address must be confirmed like at sign-up
    return user


def mask_email(address: str) -> str:
    """a****@example.com: enough to recognise, not enough to harvest."""
    local, _sep, domain = address.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}{'*' * max(len(local) - 1, 3)}@{domain}"
