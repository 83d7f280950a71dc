"""The login backend: Django's, loading a teacher account's teacher row with the user."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from inservice.core.prepared import PreparedQuery

from .models import User

# Compiled once per process (core/prepared.py): this runs on every logged-in request.
_USER_WITH_TEACHER = PreparedQuery(
    lambda pk: User._default_manager.select_related("teacher").filter(pk=pk)
)


class AccountBackend(ModelBackend):
    """Every request of a logged-in account loads its user; teachers' pages (and their access
    checks, `core.access.teacher`) then read `user.teacher`. Joining it here saves that
    second query on every teacher request; staff accounts, far fewer, carry an empty join."""

    def get_user(self, user_id):
        try:  # the session keeps the primary key as text
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:  # a malformed key is an anonymous visitor
            return None
        user = _USER_WITH_TEACHER.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
