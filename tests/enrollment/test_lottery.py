"""Lottery admission: commitment, the draw, priority groups, and re-running it from the
published page."""

import datetime
import hashlib
import random
import re

import pytest
from django.urls import reverse

from inservice.accounts.models import StaffRole
from inservice.core.errors import DomainError
from inservice.enrollment.models import Registration
from inservice.enrollment.services import lottery
from inservice.enrollment.services import registration as services
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County
from tests.factories import StaffFactory, UnitFactory, make_teacher_user, open_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawn(client, django_capture_on_commit_callbacks):
    county = County.objects.get(code="63000")
    unit = UnitFactory(county=county)
    course = open_course(unit, seats=4, opened_days_ago=-1)  # opens tomorrow
    organizer = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    options = services.set_options(
        actor=organizer,
        course=course,
        mode="lottery",
        allow_waitlist=True,
        restriction="none",
        priority_groups=["own_unit"],
    )
    commitment = options.seed_commitment
    assert len(commitment) == 64
    page = client.get(reverse("courses:public_detail", args=[course.code])).content.decode()
    assert commitment in page  # published before the window opens
    version = course.published
    own = [make_teacher_user(unit) for _ in range(3)]
    others = [make_teacher_user(UnitFactory(county=county)) for _ in range(6)]
    for user in own + others:
        r = services.register(actor=user, course=course, now=version.registration_opens)
        assert r.registration.status == "applied"
    with pytest.raises(DomainError):
        lottery.draw(course, now=version.registration_closes - datetime.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):  # the result mails, after commit
        assert lottery.run_due_draws(now=version.registration_closes + datetime.timedelta(days=1))
    return course, commitment, own, others


def test_the_commitment_matches_the_revealed_seed(drawn):
    course, commitment, _own, _others = drawn
    options = services.options_for(course)
    assert options.drawn_at is not None
    assert hashlib.sha256(options.seed.encode("ascii")).hexdigest() == commitment
    assert options.seed_commitment == commitment


def test_priority_groups_are_honoured_and_seats_filled_in_draw_order(drawn):
    course, _c, own, others = drawn
    rows = list(Registration.objects.filter(course=course).order_by("draw_rank"))
    own_ids = {u.teacher.pk for u in own}
    assert {r.teacher_id for r in rows[:3]} == own_ids  # own unit first
    assert all(r.priority_group == 0 for r in rows[:3])
    assert all(r.priority_group == 1 for r in rows[3:])
    assert [r.status for r in rows] == ["admitted"] * 4 + ["waitlisted"] * 5
    # The waitlist keeps the draw order.
    assert [r.pk for r in services.waitlist(course)] == [r.pk for r in rows[4:]]
    assert OutboundEmail.objects.filter(template="enrollment_lottery_result").count() == 9


def test_same_seed_same_draw(drawn):
    course, _c, _own, _others = drawn
    options = services.options_for(course)
    rows = list(
        Registration.objects.filter(course=course).select_related("teacher").order_by("draw_rank")
    )
    pairs = [(r.teacher.personal_identifier, r.priority_group) for r in rows]
    published = [r.teacher.personal_identifier for r in rows]
    assert lottery.draw_order(options.seed, pairs, 1) == published
    assert lottery.draw_order(options.seed, list(reversed(pairs)), 1) == published
    assert lottery.draw_order("0" * 64, pairs, 1) != published or len(pairs) < 2


def test_anyone_can_rerun_the_draw_from_the_public_page(client, drawn):
    course, commitment, _own, _others = drawn
    html = client.get(reverse("enrollment:draw", args=[course.code])).content.decode()
    seed = re.search(r"<code data-seed>([0-9a-f]{64})</code>", html).group(1)
    assert hashlib.sha256(seed.encode()).hexdigest() == commitment
    published = re.findall(r'<th scope="row" data-pid>([^<]+)</th><td data-group>(\d+)</td>', html)
    assert len(published) == 9
    # An independent re-implementation of the documented algorithm.
    order = []
    for group in range(2):
        members = sorted(pid for pid, g in published if int(g) == group)
        random.Random(f"{seed}:{group}").shuffle(members)
        order += members
    assert order == [pid for pid, _g in published]


def test_no_waitlist_means_not_drawn_and_draw_only_once():
    unit = UnitFactory(county=County.objects.get(code="63000"))
    course = open_course(unit, seats=1, opened_days_ago=-1)
    organizer = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    services.set_options(
        actor=organizer,
        course=course,
        mode="lottery",
        allow_waitlist=False,
        restriction="none",
        priority_groups=[],
    )
    opens, closes = course.published.registration_opens, course.published.registration_closes
    for _ in range(3):
        services.register(actor=make_teacher_user(unit), course=course, now=opens)
    lottery.draw(course, now=closes)
    statuses = sorted(Registration.objects.filter(course=course).values_list("status", flat=True))
    assert statuses == ["admitted", "not_drawn", "not_drawn"]
    with pytest.raises(DomainError):
        lottery.draw(course, now=closes)
    with pytest.raises(DomainError):
        services.register(actor=make_teacher_user(unit), course=course, now=opens)
