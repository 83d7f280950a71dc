"""Signing in and out, the account landing page, passwords and the own profile."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from inservice.core.access import authenticated, public
from inservice.core.errors import DomainError, add_to_form

from .forms_auth import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    ProfileForm,
    SetPasswordForm,
)
from .services import auth as services

LOGIN_HEADINGS = {"teacher": _("教師登入"), "staff": _("業務登入")}
RESET_SESSION_KEY = "_inservice_password_reset_token"


def _safe_next(request, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def _with_language_cookie(response, language: str):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@public
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    kind = request.GET.get("kind")
    kind = kind if kind in LOGIN_HEADINGS else ""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(_safe_next(request, next_url) or "accounts:home")

    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        if username and services.is_locked_out(request, username):
            # Already locked: say so before asking for a captcha that could not help.
            return services.locked_out_response(request, username)
        form = LoginForm(request.POST, captcha=services.captcha_required(request, username))
        if form.is_valid():
            try:
                user = services.authenticate_login(
                    request,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                )
            except services.LoginRefused as exc:
                form.add_error(None, exc.message)
                # This failure may have crossed the captcha threshold.
                if services.captcha_required(request, username):
                    form.require_captcha()
            else:
                services.complete_login(request, user)
                response = redirect(_safe_next(request, next_url) or "accounts:home")
                return _with_language_cookie(response, user.language)
        elif "captcha" in form.errors and username:
            services.record_captcha_failure(username=username)
    else:
        form = LoginForm(
            initial={"next": next_url}, captcha=services.captcha_required(request, None)
        )
    context = {
        "form": form,
        "kind": kind,
        "heading": LOGIN_HEADINGS.get(kind, _("登入")),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "accounts/login.html", context)


@public
@require_POST
def logout_view(request):
    services.end_session(request)
    messages.success(request, _("您已登出。"))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@authenticated
def account_home(request):
    """Send each kind of account to its own home page."""
    user = request.user
    if user.is_superuser or (user.kind == user.Kind.ADMIN and user.is_staff):
        return redirect(reverse("admin:index"))
    if user.kind == user.Kind.TEACHER:
        return redirect(reverse("accounts:teacher_home"))
    if user.kind == user.Kind.STAFF:
        return redirect(reverse("accounts:staff_home"))
    return render(request, "accounts/auth/home.html")


@authenticated
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                actor=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except DomainError as exc:
            add_to_form(form, exc)
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密碼已變更，通知信已寄到您的電子郵件。"))
            return redirect("accounts:home")
    return render(request, "accounts/auth/password_change.html", {"form": form})


@public
@require_http_methods(["GET", "POST"])
def password_reset(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_password_reset(
            username=form.cleaned_data["username"], email=form.cleaned_data["email"]
        )
        return redirect("accounts:password_reset_done")
    return render(request, "accounts/auth/password_reset.html", {"form": form})


@public
def password_reset_done(request):
    return render(
        request,
        "accounts/auth/password_reset_done.html",
        {"valid_minutes": services.reset_valid_minutes()},
    )


@public
@never_cache
def password_reset_confirm(request, uidb64, token):
    """The link from the mail: keep the token in the session, then drop it from the URL.

    Like Django's PasswordResetConfirmView, so the token does not leak through Referer.
    """
    check = services.check_reset_link(uidb64, token)
    if check.status != "valid":
        return _reset_link_refused(request, check)
    request.session[RESET_SESSION_KEY] = token
    return HttpResponseRedirect(reverse("accounts:password_reset_set", args=[uidb64]))


def _reset_link_refused(request, check):
    return render(
        request,
        "accounts/auth/password_reset_invalid.html",
        {"message": check.message, "status": check.status},
        status=400 if check.status == "invalid" else 410,
    )


@public
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_reset_set(request, uidb64):
    token = request.session.get(RESET_SESSION_KEY)
    check = services.check_reset_link(uidb64, token)
    if check.status != "valid":
        return _reset_link_refused(request, check)
    form = SetPasswordForm(check.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(
                uidb64=uidb64, token=token, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        except DomainError:
            return _reset_link_refused(request, services.check_reset_link(uidb64, token))
        else:
            del request.session[RESET_SESSION_KEY]
            messages.success(request, _("密碼已重設，請使用新密碼登入。"))
            return redirect("accounts:login")
    return render(
        request,
        "accounts/auth/password_reset_set.html",
        {"form": form, "reset_user": check.user},
    )


@authenticated
@sensitive_post_parameters("current_password")
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    initial = {"email": user.email, "phone": user.phone, "language": user.language}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            updated = services.update_profile(
                actor=user,
                email=data["email"],
                phone=data["phone"],
                language=data["language"],
                current_password=data["current_password"],
            )
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            translation.activate(updated.language)
            messages.success(request, _("個人資料已更新。"))
            return _with_language_cookie(redirect("accounts:profile"), updated.language)
    return render(request, "accounts/auth/profile.html", {"form": form, "profile_user": user})
