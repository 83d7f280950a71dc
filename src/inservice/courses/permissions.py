"""Who may do what with one course: the object-level half of authorization.

The unit-type/role half is `inservice.accounts.permissions.can`; these add "is it yours".
"""

from __future__ import annotations

from inservice.accounts.permissions import Function, can
from inservice.organizations.models import UnitKind


def _staff_unit_id(user):
    staff = getattr(user, "staff", None) if getattr(user, "kind", None) == "staff" else None
    return staff.unit_id if staff is not None and staff.is_usable else None


def can_manage(user, course) -> bool:
    """Organizer staff of the course's own unit (研習課程登錄 / 研習資料管理上傳)."""
    return _staff_unit_id(user) == course.unit_id and can(user, Function.COURSE_REGISTER)


def can_review(user, course) -> bool:
    """Staff of the regional center the course was routed to (研習課程資料確認)."""
    return (
        course.reviewing_center_id is not None
        and _staff_unit_id(user) == course.reviewing_center_id
        and can(user, Function.COURSE_REVIEW)
    )


def is_national_center(user) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    staff = getattr(user, "staff", None) if getattr(user, "kind", None) == "staff" else None
    return staff is not None and staff.is_usable and staff.unit.kind == UnitKind.NATIONAL_CENTER


def can_view_history(user, course) -> bool:
    """The course's unit, its reviewer and the national center see the full history."""
    return can_manage(user, course) or can_review(user, course) or is_national_center(user)
