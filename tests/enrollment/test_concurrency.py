"""No overbooking, on real parallel PostgreSQL transactions: 50 teachers, 10 seats."""

import threading
import time

import pytest
from django.db import connection

from inservice.core.errors import DomainError
from inservice.enrollment.models import EnrollmentOptions, Registration, RegistrationStatus
from inservice.enrollment.services import registration as services
from inservice.organizations.models import County
from tests.factories import UnitFactory, make_teacher_user, open_course

ATTEMPTS = 50
SEATS = 10


def _race(course, teachers, **flags):
    barrier = threading.Barrier(len(teachers))
    outcomes = []
    lock = threading.Lock()

    def attempt(user):
        try:
            barrier.wait()
            result = services.register(actor=user, course=course, **flags)
            with lock:
                outcomes.append(result.registration.status)
        except DomainError as exc:
            with lock:
                outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in teachers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes


def _setup():
    unit = UnitFactory(county=County.objects.get(code="63000"))
    course = open_course(unit, classes=2, seats=SEATS // 2)
    teachers = [make_teacher_user(unit) for _ in range(ATTEMPTS)]
    return course, teachers


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_registrations_admit_exactly_the_seats_and_waitlist_the_rest():
    course, teachers = _setup()
    # A pause between reading the seat count and writing widens the race window; under the
    # lock it only makes the queue slower.
    outcomes = _race(course, teachers, _pause=lambda: time.sleep(0.01))
    assert len(outcomes) == ATTEMPTS
    assert outcomes.count(RegistrationStatus.ADMITTED) == SEATS
    assert outcomes.count(RegistrationStatus.WAITLISTED) == ATTEMPTS - SEATS
    rows = Registration.objects.filter(course=course)
    assert rows.filter(status=RegistrationStatus.ADMITTED).count() == SEATS
    assert rows.filter(status=RegistrationStatus.WAITLISTED).count() == ATTEMPTS - SEATS
    assert EnrollmentOptions.objects.get(course=course).admitted_count == SEATS
    # The waitlist is in arrival order: positions 1..40 without gaps.
    positions = sorted(
        services.waitlist_position(r) for r in rows.filter(status=RegistrationStatus.WAITLISTED)
    )
    assert positions == list(range(1, ATTEMPTS - SEATS + 1))


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_same_race_oversells():
    """The same code with `select_for_update` skipped (test-only flag): the course is
    oversold, so the lock is what prevents overbooking."""
    course, teachers = _setup()
    outcomes = _race(course, teachers, _lock=False, _pause=lambda: time.sleep(0.01))
    admitted = Registration.objects.filter(course=course, status=RegistrationStatus.ADMITTED)
    assert len(outcomes) == ATTEMPTS
    assert admitted.count() > SEATS


@pytest.mark.django_db(transaction=True)
def test_a_lock_wait_beyond_the_timeout_is_busy_not_oversold(monkeypatch):
    course, teachers = _setup()
    monkeypatch.setattr(services, "LOCK_TIMEOUT_MS", 50)
    holding = threading.Event()
    release = threading.Event()

    def hold():
        from django.db import transaction

        try:
            with transaction.atomic():
                EnrollmentOptions.objects.select_for_update().get(course=course)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    services.options_for(course)
    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    try:
        with pytest.raises(DomainError) as exc:
            services.register(actor=teachers[0], course=course)
        assert exc.value.code == "busy"
        assert "稍後再試" in str(exc.value.message)
    finally:
        release.set()
        holder.join(10)
    assert not Registration.objects.filter(course=course).exists()
