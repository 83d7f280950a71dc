"""Every course view × every unit type and role: who gets the page, who gets 403 or 404.

The table below must name every URL of the `courses` namespace; a new view without a row
fails `test_every_course_view_is_in_the_table`.
"""

from __future__ import annotations

import pytest
from django.urls import URLResolver, get_resolver, reverse

from inservice.accounts.models import StaffRole, User
from inservice.accounts.permissions import Function, can
from inservice.courses import permissions as course_permissions
from inservice.courses.models import ChangeRequest, CourseAttachment
from inservice.organizations.models import County, Ownership, UnitKind
from inservice.organizations.reference import county_bureau, national_center
from tests.factories import (
    CountyFactory,
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    UserFactory,
    make_closed_course,
    make_course,
)

pytestmark = pytest.mark.django_db

# Rule kinds: "function" = allowed iff can(user, F) (403 otherwise);
# "manage"/"review" = the function and the object relation (403 without the function, 404
# without the relation); "history" = can_view_history (404 otherwise); "public" = everyone;
# "national" = national center staff only (403 otherwise).
TABLE = {
    "create": ("GET", "function", Function.COURSE_REGISTER, None),
    "options_subjects": ("GET", "function", Function.COURSE_REGISTER, None),
    "options_topics": ("GET", "function", Function.COURSE_REGISTER, None),
    "options_tags": ("GET", "function", Function.COURSE_REGISTER, None),
    "unit_list": ("GET", "function", Function.OWN_COURSE_LIST, None),
    "review_queue": ("GET", "function", Function.COURSE_REVIEW, None),
    "autoreview_settings": ("GET", "function", Function.AUTOREVIEW_SETTINGS, None),
    "autoreview_log": ("GET", "function", Function.AUTOREVIEW_BROWSE, None),
    "change_request_queue": ("GET", "function", Function.COURSE_REVIEW, None),
    "manage_detail": ("GET", "manage", Function.COURSE_REGISTER, "draft"),
    "edit": ("GET", "manage", Function.COURSE_REGISTER, "draft"),
    "attachments": ("GET", "manage", Function.COURSE_REGISTER, "draft"),
    "submit": ("POST-refused", "manage", Function.COURSE_REGISTER, "draft"),
    "withdraw": ("POST-refused", "manage", Function.COURSE_REGISTER, "draft"),
    "cancel": ("POST-refused", "manage", Function.COURSE_REGISTER, "draft"),
    "attachment_delete": ("POST-refused", "manage", Function.COURSE_REGISTER, "attachment"),
    "change_request": ("GET", "manage", Function.COURSE_REGISTER, "closed"),
    "review_detail": ("GET", "review", Function.COURSE_REVIEW, "pending"),
    "review_approve": ("POST-refused", "review", Function.COURSE_REVIEW, "pending"),
    "review_return": ("POST-refused", "review", Function.COURSE_REVIEW, "pending"),
    "review_approve_many": ("POST-refused", "function", Function.COURSE_REVIEW, None),
    "change_request_review": ("GET", "review", Function.COURSE_REVIEW, "change_request"),
    "history": ("GET", "history", None, "pending"),
    "public_detail": ("GET", "public", None, "published"),
    "attachment_download": ("GET", "private_attachment", None, "attachment"),
    "national_change_requests": ("GET", "national", None, None),
    "national_change_request": ("GET", "national", None, "change_request"),
}


def _course_urls():
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "courses":
            return {p.name for p in entry.url_patterns}
    return set()


def test_every_course_view_is_in_the_table():
    assert _course_urls() == set(TABLE)


@pytest.fixture
def world():
    """One school in Taipei with courses in each needed state, and people everywhere."""
    taipei = County.objects.get(code="63000")
    school = UnitFactory(county=taipei, kind=UnitKind.ELEMENTARY, ownership=Ownership.MUNICIPAL)
    owner = StaffFactory(unit=school, role=StaffRole.OPERATOR).user
    objects = {
        "draft": make_course(actor=owner),
        "pending": make_course(actor=owner, submit=True),
        "published": make_course(actor=owner, approve=True),
        "closed": make_closed_course(school),
    }
    attachment = CourseAttachment.objects.create(
        course=objects["draft"],
        file="course-attachments/x/none",
        original_name="內部.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        is_public=False,
    )
    objects["attachment"] = attachment
    from inservice.courses.services import changes

    closed = objects["closed"]
    objects["change_request"] = changes.request_change(
        actor=owner, course=closed, data={"name": closed.name + "（更正）"}, reason="名稱誤植"
    )
    bureau = county_bureau(taipei)
    actors = [("anonymous", None), ("teacher", TeacherFactory(user=UserFactory()).user)]
    for role in StaffRole.values:
        actors.append((f"owner-{role}", StaffFactory(unit=school, role=role).user))
        actors.append((f"bureau-{role}", StaffFactory(unit=bureau, role=role).user))
        actors.append((f"national-{role}", StaffFactory(unit=national_center(), role=role).user))
    other_county = CountyFactory()  # a county of its own, so even a second bureau is allowed
    for kind in UnitKind.values:
        unit = UnitFactory(county=other_county, kind=kind)
        for role in StaffRole.values:
            actors.append((f"{kind}-{role}", StaffFactory(unit=unit, role=role).user))
    return objects, actors


def _object_for(name, objects):
    key = TABLE[name][3]
    if key is None:
        return None
    obj = objects[key]
    if isinstance(obj, ChangeRequest):
        return obj
    return obj


def _url(name, obj):
    if obj is None:
        return reverse(f"courses:{name}")
    if isinstance(obj, ChangeRequest | CourseAttachment):
        return reverse(f"courses:{name}", args=[obj.pk])
    return reverse(f"courses:{name}", args=[obj.code])


def _course_of(obj):
    return getattr(obj, "course", obj)


def _expected(name, user, obj) -> set[int]:
    _method, rule, function, _key = TABLE[name]
    if rule == "public":
        return {200}
    if user is None:
        return {302}
    if rule == "function":
        return {200} if can(user, function) else {403}
    if rule == "national":
        return {200} if course_permissions.is_national_center(user) else {403}
    course = _course_of(obj)
    if rule == "history":
        return {200} if course_permissions.can_view_history(user, course) else {404}
    if rule == "private_attachment":
        return {200} if course_permissions.can_view_history(user, course) else {404}
    if not can(user, function):
        return {403}
    check = course_permissions.can_manage if rule == "manage" else course_permissions.can_review
    return {200} if check(user, course) else {404}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_view_permissions_for_every_unit_type_and_role(client, world, name, settings, tmp_path):
    objects, actors = world
    method = TABLE[name][0]
    obj = _object_for(name, objects)
    if TABLE[name][3] == "attachment":
        (tmp_path / "media" / "course-attachments" / "x").mkdir(parents=True, exist_ok=True)
        (tmp_path / "media" / "course-attachments" / "x" / "none").write_bytes(b"%PDF-1.4\n")
    url = _url(name, obj)
    wrong = []
    for label, user in actors:
        client.logout()
        if user is not None:
            client.force_login(user)
        expected = _expected(name, user, obj)
        if method == "POST-refused":
            # Only people who may not act are sent: the action must be refused, nothing changes.
            if expected == {200}:
                continue
            response = client.post(url, {})
        else:
            response = client.get(url)
        if response.status_code not in expected:
            wrong.append((label, response.status_code, sorted(expected)))
    assert wrong == [], f"{name}: {wrong[:12]}"


def test_the_table_exercises_allowed_and_refused_users(world):
    """Sanity: for each object rule some actor is allowed and some refused."""
    objects, actors = world
    for name, (_m, rule, _f, _k) in TABLE.items():
        if rule == "public":
            continue
        obj = _object_for(name, objects)
        outcomes = {min(_expected(name, user, obj)) for _l, user in actors if user is not None}
        assert 200 in outcomes and outcomes - {200}, name
    assert User.objects.filter(kind="staff").count() > 75
