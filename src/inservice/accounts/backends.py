"""The login backend: Django's, loading a teacher account's teacher row with the user."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .models import User


class AccountBackend(ModelBackend):
    """Every request of a logged-in account loads its user; teachers' pages (and their access
    checks, `core.access.teacher`) then read `user.teacher`. Joining it here saves that
    second query on every teacher request; staff accounts, far fewer, carry an empty join."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("teacher").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
