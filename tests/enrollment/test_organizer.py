"""Organizer controls and the permissions of every registration view."""

import pytest
from django.urls import reverse

from inservice.accounts.models import StaffRole
from inservice.core.audit import history_for
from inservice.core.errors import DomainError
from inservice.enrollment.models import Registration
from inservice.enrollment.services import registration as services
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County
from tests.factories import StaffFactory, UnitFactory, make_teacher_user, open_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    unit = UnitFactory(county=County.objects.get(code="63000"))
    course = open_course(unit, seats=1)
    organizer = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    users = [make_teacher_user(unit) for _ in range(3)]
    regs = [services.register(actor=u, course=course).registration for u in users]
    return unit, course, organizer, users, regs


def test_remove_admitted_promotes_and_mails_reason(setup, django_capture_on_commit_callbacks):
    _unit, course, organizer, users, regs = setup
    with django_capture_on_commit_callbacks(execute=True):  # mail is written after commit
        services.remove_registration(actor=organizer, registration=regs[0], reason="重複報名")
    statuses = [Registration.objects.get(pk=r.pk).status for r in regs]
    assert statuses == ["removed", "admitted", "waitlisted"]
    assert (
        "重複報名"
        in OutboundEmail.objects.get(to=users[0].email, template="enrollment_removed").body_text
    )
    assert history_for(regs[0]).filter(action="enrollment.removed").exists()
    # A removed teacher cannot simply register again.
    with pytest.raises(DomainError):
        services.register(actor=users[0], course=course)


def test_move_and_admit_from_waitlist(setup):
    _unit, course, organizer, users, regs = setup
    extra = services.register(actor=make_teacher_user(course.unit), course=course).registration
    services.move_in_waitlist(actor=organizer, registration=extra, direction="up")
    assert [r.pk for r in services.waitlist(course)] == [regs[1].pk, extra.pk, regs[2].pk]
    services.move_in_waitlist(actor=organizer, registration=extra, direction="up")
    assert [r.pk for r in services.waitlist(course)] == [extra.pk, regs[1].pk, regs[2].pk]
    with pytest.raises(DomainError) as exc:
        services.admit_from_waitlist(actor=organizer, registration=extra)
    assert exc.value.code == "full"  # never beyond capacity
    services.remove_registration(actor=organizer, registration=regs[0], reason="不克參加")
    assert Registration.objects.get(pk=extra.pk).status == "admitted"
    assert history_for(extra).filter(action="enrollment.waitlist_moved").exists()


def test_another_units_organizer_may_not_act(setup):
    _unit, course, _organizer, _users, regs = setup
    stranger = StaffFactory(
        unit=UnitFactory(county=course.unit.county), role=StaffRole.OPERATOR
    ).user
    with pytest.raises(DomainError):
        services.remove_registration(actor=stranger, registration=regs[0], reason="x")


def test_mode_locked_once_registration_opened(setup):
    _unit, course, organizer, _users, _regs = setup
    with pytest.raises(DomainError) as exc:
        services.set_options(
            actor=organizer,
            course=course,
            mode="lottery",
            allow_waitlist=True,
            restriction="none",
            priority_groups=[],
        )
    assert exc.value.code == "mode_locked"


# --- views ----------------------------------------------------------------------------------


def test_manage_page_lists_registrants_for_own_unit_only(client, setup):
    unit, course, organizer, users, regs = setup
    url = reverse("enrollment:manage", args=[course.code])
    client.force_login(organizer)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for u in users:
        assert u.teacher.name in html
    # Another unit's organizer: 404. A teacher: 403. Anonymous: login.
    client.force_login(StaffFactory(unit=UnitFactory(county=unit.county)).user)
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("enrollment:manage_action", args=[course.code, regs[1].pk, "admit"])
        ).status_code
        == 404
    )
    client.force_login(users[0])
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_manage_actions_through_views(client, setup):
    _unit, course, organizer, _users, regs = setup
    client.force_login(organizer)
    url = reverse("enrollment:manage_action", args=[course.code, regs[0].pk, "remove"])
    response = client.post(url, {"reason": "名單重複"})
    assert response.status_code == 302
    assert Registration.objects.get(pk=regs[0].pk).status == "removed"
    options = reverse("enrollment:manage_options", args=[course.code])
    response = client.post(
        options, {"mode": "fcfs", "restriction": "own_unit", "allow_waitlist": ""}
    )
    assert response.status_code == 302
    assert services.options_for(course).restriction == "own_unit"


def test_register_view_and_my_registrations(client, setup):
    _unit, course, _organizer, users, regs = setup
    me = make_teacher_user(course.unit)
    client.force_login(me)
    page = client.get(reverse("courses:public_detail", args=[course.code]))
    assert reverse("enrollment:register", args=[course.code]) in page.content.decode()
    response = client.post(reverse("enrollment:register", args=[course.code]))
    mine = Registration.objects.get(teacher=me.teacher)
    assert response.status_code == 302 and mine.status == "waitlisted"
    listing = client.get(reverse("enrollment:my_registrations")).content.decode()
    assert course.name in listing and "第 3 位" in listing
    detail = client.get(reverse("enrollment:my_registration", args=[mine.pk]))
    assert detail.status_code == 200
    # Other teachers' registrations are 404, for viewing and for cancelling.
    assert client.get(reverse("enrollment:my_registration", args=[regs[0].pk])).status_code == 404
    assert client.post(reverse("enrollment:cancel", args=[regs[0].pk])).status_code == 404
    assert Registration.objects.get(pk=regs[0].pk).status == "admitted"
    client.post(reverse("enrollment:cancel", args=[mine.pk]))
    assert Registration.objects.get(pk=mine.pk).status == "cancelled"


def test_teacher_pages_refuse_staff_and_anonymous(client, setup):
    _unit, course, organizer, _users, _regs = setup
    client.force_login(organizer)
    assert client.get(reverse("enrollment:my_registrations")).status_code == 403
    assert client.post(reverse("enrollment:register", args=[course.code])).status_code == 403
    client.logout()
    assert client.get(reverse("enrollment:my_registrations")).status_code == 302
    client.force_login(make_teacher_user(None))
    assert client.post(reverse("enrollment:register", args=[course.code])).status_code == 403
