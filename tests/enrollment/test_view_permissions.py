"""Every enrollment and search view × every kind of visitor: who gets it, who gets 403/404.

The table must name every URL of the `enrollment` namespace and the public search pages; a
new view without a row fails `test_every_view_is_in_the_table`.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from inservice.enrollment.models import (
    AdmissionMode,
    Favourite,
    Registration,
    RegistrationStatus,
    SavedSearch,
)
from inservice.enrollment.services import calendar
from inservice.enrollment.services import registration as services
from inservice.organizations.models import County
from tests.factories import UnitFactory, make_staff, make_teacher_user, open_course

pytestmark = pytest.mark.django_db

# kind: public = everyone; teacher = any teacher account (staff 403, anonymous to login);
# teacher_unit = teachers with a serving unit; own = the teacher whose object it is (other
# teachers 404); manage = staff of the course's unit (other units' staff 404, teachers 403).
TABLE = {
    "register": ("POST", "teacher_unit", "code"),
    "draw": ("GET", "public", "code"),
    "my_registrations": ("GET", "teacher", None),
    "my_registration": ("GET", "own", "registration"),
    "cancel": ("POST", "own", "registration"),
    "manage": ("GET", "manage", "code"),
    "manage_options": ("POST", "manage", "code"),
    "manage_action": ("POST", "manage", "action"),
    "my_calendar": ("GET", "teacher", None),
    "calendar_revoke": ("POST", "teacher", None),
    "registration_ics": ("GET", "own", "registration"),
    "registration_qr": ("GET", "own", "registration"),
    "course_ics": ("GET", "own", "code"),
    "calendar_feed": ("GET", "public", "feed"),
    "favourites": ("GET", "teacher", None),
    "star": ("POST", "teacher", "code"),
    "unstar": ("POST", "teacher", "code"),
    "searches": ("GET", "teacher", None),
    "save_search": ("POST", "teacher", None),
    "delete_search": ("POST", "own", "saved"),
    "unsubscribe": ("GET", "public", "unsubscribe"),
}
SEARCH = {
    "course_search": (),
    "course_search_county": ("63000",),
    "course_search_unit": ("unit",),
}

ACTORS = ("anonymous", "organizer", "other_staff", "no_unit", "other_teacher", "owner")


def _enrollment_urls():
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "enrollment":
            return {p.name for p in entry.url_patterns}
    return set()


def test_every_view_is_in_the_table():
    assert _enrollment_urls() == set(TABLE)


@pytest.fixture
def world():
    taipei = County.objects.get(code="63000")
    school = UnitFactory(county=taipei)
    course = open_course(school, seats=1)
    options = services.options_for(course)
    options.mode = AdmissionMode.LOTTERY
    options.save()
    owner = make_teacher_user(UnitFactory(county=taipei))
    registration = Registration.objects.create(
        course=course,
        teacher=owner.teacher,
        status=RegistrationStatus.ADMITTED,
        queued_at=timezone.now(),
    )
    waiting = Registration.objects.create(
        course=course,
        teacher=make_teacher_user(UnitFactory(county=taipei)).teacher,
        status=RegistrationStatus.WAITLISTED,
        queued_at=timezone.now(),
    )
    Favourite.objects.create(teacher=owner.teacher, course=course)
    saved = SavedSearch.objects.create(teacher=owner.teacher, name="數學", params={"q": "數學"})
    feed = calendar.feed_for(owner.teacher)
    return {
        "course": course,
        "registration": registration,
        "waiting": waiting,
        "saved": saved,
        "feed": feed,
        "school": school,
        "users": {
            "anonymous": None,
            "organizer": make_staff(school).user,
            "other_staff": make_staff(UnitFactory(county=taipei)).user,
            "no_unit": make_teacher_user(None),
            "other_teacher": make_teacher_user(UnitFactory(county=taipei)),
            "owner": owner,
        },
    }


def _url(name, target, w):
    course = w["course"]
    args = {
        None: [],
        "code": [course.code],
        "registration": [w["registration"].pk],
        "action": [course.code, w["waiting"].pk, "up"],
        "feed": [w["feed"].token],
        "saved": [w["saved"].pk],
        "unsubscribe": [w["saved"].unsubscribe_token],
    }[target]
    return reverse(f"enrollment:{name}", args=args)


def _expected(kind: str, actor: str) -> str:
    if kind == "public":
        return "ok"
    if actor == "anonymous":
        return "login"
    teachers = ("no_unit", "other_teacher", "owner")
    if kind == "manage":
        return {"organizer": "ok", "other_staff": "404"}.get(actor, "403")
    if actor not in teachers:
        return "403"
    if kind == "teacher_unit":
        return "403" if actor == "no_unit" else "ok"
    if kind == "own":
        return "ok" if actor == "owner" else "404"
    return "ok"


def _outcome(response) -> str:
    if response.status_code == 302:
        login = resolve_url(settings.LOGIN_URL)
        return "login" if response["Location"].startswith(login) else "ok"
    # 400: let in, and the empty form was refused (the options form needs its fields).
    return {200: "ok", 400: "ok", 403: "403", 404: "404"}.get(
        response.status_code, str(response.status_code)
    )


@pytest.mark.parametrize("name", sorted(TABLE))
def test_enrollment_view_permissions(client, world, name):
    method, kind, target = TABLE[name]
    url = _url(name, target, world)
    # The one who may act goes last, so refused attempts are checked before any change.
    for actor in ACTORS:
        client.logout()
        user = world["users"][actor]
        if user is not None:
            client.force_login(user)
        response = client.post(url) if method == "POST" else client.get(url)
        assert _outcome(response) == _expected(kind, actor), (name, actor, response.status_code)


def test_refused_attempts_change_nothing(client, world):
    """Other teachers and other units' staff cannot cancel, move or delete what is not theirs."""
    before = list(Registration.objects.order_by("pk").values_list("pk", "status", "queued_at"))
    for actor in ("other_teacher", "other_staff", "no_unit"):
        client.force_login(world["users"][actor])
        client.post(_url("cancel", "registration", world))
        client.post(_url("manage_action", "action", world))
        client.post(_url("delete_search", "saved", world))
    after = list(Registration.objects.order_by("pk").values_list("pk", "status", "queued_at"))
    assert after == before
    assert SavedSearch.objects.filter(pk=world["saved"].pk).exists()


def test_bad_tokens_are_404(client, world):
    assert client.get(reverse("enrollment:calendar_feed", args=["x" * 40])).status_code == 404
    assert client.get(reverse("enrollment:unsubscribe", args=["x" * 40])).status_code == 404


@pytest.mark.parametrize("name", sorted(SEARCH))
@pytest.mark.parametrize("actor", ACTORS)
def test_search_pages_are_public(client, world, name, actor):
    user = world["users"][actor]
    if user is not None:
        client.force_login(user)
    args = [world["school"].code if a == "unit" else a for a in SEARCH[name]]
    assert client.get(reverse(name, args=args)).status_code == 200
