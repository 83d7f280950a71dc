"""Every view declares who may use it. A view without a declaration fails the build
(tests/core/test_access_declared.py walks the URL configuration).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def _mark(view, policy: str):
    view.access_policy = policy
    return view


def public(view):
    """Anyone, logged in or not."""
    return _mark(view, "public")


def _login_wrapper(view, check, policy):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not check(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return _mark(wrapper, policy)


def authenticated(view):
    """Any logged-in account (teacher, staff or admin)."""
    return _login_wrapper(view, lambda u: True, "authenticated")


def teacher(view=None, *, needs_unit=False):
    """Teacher accounts; `needs_unit` refuses teachers without a serving unit (無服務學校)."""

    def decorate(v):
        def check(user):
            if not user.is_teacher or not hasattr(user, "teacher"):
                return False
            return user.teacher.has_serving_unit or not needs_unit

        return _login_wrapper(v, check, "teacher+unit" if needs_unit else "teacher")

    return decorate(view) if view is not None else decorate


def staff_function(function):
    """Approved staff whose unit type and role allow `function` (附件一 肆)."""
    from inservice.accounts.permissions import can

    def decorate(v):
        return _login_wrapper(v, lambda u: can(u, function), f"staff:{function}")

    return decorate


def site_admin(view):
    """System administrators of the national center (Django superusers)."""
    return _login_wrapper(view, lambda u: u.is_superuser, "site_admin")
