"""Registration under load (issue 6): the course's lock is held only for compare-and-write,
mail is a small deferred outbox row committed with the registration and composed by the worker
(exactly once, never on rollback), the overlap warning is one query, concurrent double submits
of one teacher give one registration."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inservice.core import prepared
from inservice.core.errors import DomainError
from inservice.courses.models import CourseSession, CourseVersion
from inservice.enrollment.models import EnrollmentOptions, Registration, RegistrationStatus
from inservice.enrollment.services import registration as services
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County
from tests.factories import UnitFactory, make_teacher_user, move_course_dates, open_course


def _unit():
    return UnitFactory(county=County.objects.get(code="63000"))


def _sql(captured) -> list[str]:
    """The SQL of each statement (a prepared statement's own SQL, core/prepared.py)."""
    return [prepared.source(q["sql"]) for q in captured]


# --- mail: a deferred row, composed by the worker ----------------------------------------------


@pytest.mark.django_db
def test_mail_is_composed_after_commit_exactly_once(django_capture_on_commit_callbacks):
    course = open_course(_unit())
    user = make_teacher_user(_unit())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.register(actor=user, course=course)
    # Committed with the registration: a row naming what to compose, nothing rendered yet.
    row = OutboundEmail.objects.get(to=user.email)
    assert row.template == "enrollment_admitted" and row.status == "queued"
    assert row.subject == "" and row.body_text == ""
    assert row.deferred["renderer"] == "enrollment.registration"
    assert len(callbacks) == 1
    for callback in callbacks:
        callback()  # the job: composes, then sends
    row.refresh_from_db()
    assert row.status == "sent" and row.deferred is None
    assert str(course.code) in row.subject and user.real_name in row.body_text
    assert row.inline_images[0]["cid"] == "calendar-qr"
    assert OutboundEmail.objects.filter(to=user.email).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == row.subject


@pytest.mark.django_db
def test_rolled_back_registration_sends_no_mail(django_capture_on_commit_callbacks):
    course = open_course(_unit())
    services.options_for(course)
    user = make_teacher_user(_unit())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                services.register(actor=user, course=course)
                raise RuntimeError("the caller's transaction fails after registering")
    assert callbacks == []
    assert not Registration.objects.filter(course=course).exists()
    assert not OutboundEmail.objects.filter(to=user.email).exists()
    assert EnrollmentOptions.objects.get(course=course).admitted_count == 0


@pytest.mark.django_db
def test_a_failing_composition_keeps_the_registration_and_the_queued_mail(
    monkeypatch, django_capture_on_commit_callbacks
):
    course = open_course(_unit())
    user = make_teacher_user(_unit())

    def broken(*args, **kwargs):
        raise RuntimeError("template error")

    monkeypatch.setattr(services, "_calendar_context", broken)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = services.register(actor=user, course=course)
    callbacks[0]()  # the job fails (Huey logs it and retries; resend_stuck_mail finds the row)
    assert Registration.objects.get(pk=result.registration.pk).status == "admitted"
    row = OutboundEmail.objects.get(to=user.email)
    assert row.status == "queued" and row.deferred is not None and row.attempts == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_mail_whose_registration_is_gone_is_marked_failed(django_capture_on_commit_callbacks):
    course = open_course(_unit())
    user = make_teacher_user(_unit())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.register(actor=user, course=course)
    Registration.objects.filter(course=course).delete()
    callbacks[0]()
    row = OutboundEmail.objects.get(to=user.email)
    assert row.status == "failed" and "no longer exists" in row.last_error
    assert mail.outbox == []


# --- what runs under the lock -----------------------------------------------------------------


@pytest.mark.django_db
def test_only_compare_and_write_run_under_the_lock(django_capture_on_commit_callbacks):
    unit = _unit()
    other = open_course(unit)  # admitted elsewhere on the same dates: the warning has work
    course = open_course(unit, seats=1)
    user = make_teacher_user(unit)
    services.register(actor=user, course=other)
    services.register(actor=make_teacher_user(unit), course=course)  # the seat goes
    with django_capture_on_commit_callbacks(execute=False):
        with CaptureQueriesContext(connection) as captured:
            result = services.register(actor=user, course=course)
    assert result.registration.status == "waitlisted" and len(result.warnings) == 1
    sql = _sql(captured)
    # The course is full: only a waitlist place is possible, so the lock is a share lock.
    locked = next(i for i, s in enumerate(sql) if s.endswith("FOR SHARE"))
    under_lock = [s for s in sql[locked + 1 :] if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert [s.split()[0] + " " + s.split()[2] for s in under_lock] == [
        'INSERT "enrollment_registration"',
        'INSERT "core_auditevent"',
        'INSERT "notifications_outboundemail"',  # the deferred mail: a small row, no rendering
    ]
    # Before the lock, one statement: the course with its options, the earlier registration
    # and the overlapping courses (the warning above came from it).
    before = [s for s in sql[:locked] if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(before) == 1, before
    # The lock's wait is limited by the locking statement itself: no SET before it.
    assert "set_config" in sql[locked] and not any(s.startswith("SET") for s in sql)


@pytest.mark.django_db(transaction=True)
def test_the_lock_timeout_ends_with_the_registration():
    """`set_config(..., true)` is the transaction's: later statements of the connection wait
    as long as the server's setting says."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        [(before,)] = cursor.fetchall()
    services.register(actor=make_teacher_user(_unit()), course=open_course(_unit()))
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        [(after,)] = cursor.fetchall()
    assert after == before != f"{services.LOCK_TIMEOUT_MS}ms"


@pytest.mark.django_db
def test_admitted_adds_one_to_the_count_under_the_lock():
    course = open_course(_unit(), seats=2)
    with CaptureQueriesContext(connection) as captured:
        services.register(actor=make_teacher_user(_unit()), course=course)
    sql = _sql(captured)
    locked = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s)
    assert any(
        s.startswith('UPDATE "enrollment_enrollmentoptions"') and "admitted_count" in s
        for s in sql[locked + 1 :]
    )
    assert not any("COUNT(" in s for s in sql[locked + 1 :])  # no recount of the seats
    assert EnrollmentOptions.objects.get(course=course).admitted_count == 1


@pytest.mark.django_db
def test_the_seat_count_of_the_locked_row_decides():
    """The denormalised `admitted_count` is what the lock protects (every writer keeps it)."""
    course = open_course(_unit(), seats=2)
    services.options_for(course)
    EnrollmentOptions.objects.filter(course=course).update(admitted_count=2)
    result = services.register(actor=make_teacher_user(_unit()), course=course)
    assert result.registration.status == "waitlisted"


@pytest.mark.django_db
def test_register_view_statements(client):
    unit = _unit()
    course = open_course(unit)
    services.options_for(course)  # as for every course after its first registration
    user = make_teacher_user(unit)
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("enrollment:register", args=[course.code]))
    assert response.status_code == 302
    assert "/my/registrations/" in response["Location"]
    # session, user with teacher, course with options, earlier registration and overlaps,
    # lock, insert, count, audit, the deferred mail's row (+ savepoints of the test's
    # transaction); the worker composes the mail, so nothing else runs after the commit.
    real = [s for s in _sql(captured) if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(real) <= 8, real


# --- the overlap warning: one query -------------------------------------------------------------


def _session(course, day, start, end):
    CourseSession.objects.create(
        version=course.published,
        date=day,
        start_time=datetime.time(start),
        end_time=datetime.time(end),
        hours=end - start,
    )


@pytest.mark.django_db
def test_overlap_warning_is_one_query_whatever_the_number_of_courses():
    unit = _unit()
    user = make_teacher_user(unit)
    others = [open_course(unit, name=f"同日課程{i}") for i in range(5)]
    for other in others:
        services.register(actor=user, course=other)
    course = open_course(unit)
    with CaptureQueriesContext(connection) as captured:
        warnings = services.overlap_warnings(user.teacher, course)
    assert len(captured) == 1
    assert len(warnings) == 5
    # In queue order: the order the teacher was admitted.
    assert all(str(other.code) in warning for other, warning in zip(others, warnings, strict=True))


@pytest.mark.django_db
def test_overlap_cases():
    unit = _unit()
    user = make_teacher_user(unit)
    course = open_course(unit)
    day = course.published.start_date
    clash, apart, no_sessions, elsewhere, cancelled = (open_course(unit) for _ in range(5))
    for other in (clash, apart, no_sessions, elsewhere, cancelled):
        services.register(actor=user, course=other)
    _session(course, day, 9, 12)
    _session(clash, day, 11, 14)  # 11–12 shared
    _session(apart, day, 13, 16)  # same day, later
    later = day + datetime.timedelta(days=30)
    move_course_dates(elsewhere, start=later, registration_start=later - datetime.timedelta(days=9))
    from inservice.courses.models import Course

    Course.objects.filter(pk=cancelled.pk).update(status="cancelled")
    warned = " ".join(services.overlap_warnings(user.teacher, course))
    assert str(clash.code) in warned
    assert str(no_sessions.code) in warned  # without sessions on one side, the dates decide
    for quiet in (apart, elsewhere, cancelled):
        assert str(quiet.code) not in warned
    # A version without a start date has nothing to compare.
    CourseVersion.objects.filter(pk=course.published_id).update(start_date=None)
    course.published.refresh_from_db()
    assert services.overlap_warnings(user.teacher, course) == []


# --- double submits -----------------------------------------------------------------------------


def _twice(user, course):
    barrier = threading.Barrier(2)
    outcomes, lock = [], threading.Lock()

    def attempt():
        try:
            barrier.wait()
            status = services.register(actor=user, course=course).registration.status
        except DomainError as exc:
            status = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(status)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_double_submit_gives_one_registration():
    course = open_course(_unit(), seats=5)
    user = make_teacher_user(_unit())
    assert _twice(user, course) == ["admitted", "duplicate"]
    assert Registration.objects.filter(course=course).count() == 1
    assert EnrollmentOptions.objects.get(course=course).admitted_count == 1
    assert OutboundEmail.objects.filter(to=user.email, template="enrollment_admitted").count() == 1


@pytest.mark.django_db(transaction=True)
def test_double_submit_after_cancelling_reuses_the_row_once():
    course = open_course(_unit(), seats=5)
    user = make_teacher_user(_unit())
    first = services.register(actor=user, course=course).registration
    services.cancel_registration(actor=user, registration=first)
    assert _twice(user, course) == ["admitted", "duplicate"]
    [row] = Registration.objects.filter(course=course)
    assert row.pk == first.pk and row.status == RegistrationStatus.ADMITTED
    assert EnrollmentOptions.objects.get(course=course).admitted_count == 1


@pytest.mark.django_db(transaction=True)
def test_queue_order_is_the_order_the_lock_was_granted():
    course = open_course(_unit(), seats=2)
    users = [make_teacher_user(_unit()) for _ in range(12)]
    barrier = threading.Barrier(len(users))

    def attempt(user):
        try:
            barrier.wait()
            services.register(actor=user, course=course)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    rows = sorted(Registration.objects.filter(course=course), key=lambda r: (r.queued_at, r.pk))
    # The queue time is taken under the lock: the two seats went to the first two in the
    # queue, and the waitlist follows the queue.
    assert [r.status for r in rows] == ["admitted"] * 2 + ["waitlisted"] * 10
    assert [services.waitlist_position(r) for r in rows[2:]] == list(range(1, 11))


def _hold_share_lock(course, holding, release):
    """Another waitlisting teacher's transaction, holding the share lock until `release`."""
    try:
        with transaction.atomic():
            services._lock_for_registration(course, share=True)
            holding.set()
            release.wait(10)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_waitlisting_teachers_do_not_wait_for_each_other_but_seat_changes_wait(monkeypatch):
    """A full course's registrations take the lock in share mode: a waitlisting teacher goes
    on while another holds it, and a change of the seats (a cancellation) waits for both."""
    monkeypatch.setattr(services, "LOCK_TIMEOUT_MS", 200)
    course = open_course(_unit(), seats=1)
    seated = make_teacher_user(_unit())
    seat = services.register(actor=seated, course=course).registration
    holding, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_share_lock, args=(course, holding, release))
    holder.start()
    holding.wait(10)
    try:
        waiting = services.register(actor=make_teacher_user(_unit()), course=course)
        assert waiting.registration.status == RegistrationStatus.WAITLISTED
        with pytest.raises(DomainError) as busy:
            services.cancel_registration(actor=seated, registration=seat)
        assert busy.value.code == "busy"
    finally:
        release.set()
        holder.join(10)
    services.cancel_registration(actor=seated, registration=seat)
    waiting.registration.refresh_from_db()
    assert waiting.registration.status == RegistrationStatus.ADMITTED


@pytest.mark.django_db(transaction=True)
def test_waitlisting_waits_at_most_the_lock_timeout_behind_a_seat_change(monkeypatch):
    monkeypatch.setattr(services, "LOCK_TIMEOUT_MS", 50)
    course = open_course(_unit(), seats=1)
    services.register(actor=make_teacher_user(_unit()), course=course)  # full now
    holding, release = threading.Event(), threading.Event()

    def change_seats():  # an organizer's change of the seats, holding the exclusive lock
        try:
            with transaction.atomic():
                services._lock_for_registration(course)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=change_seats)
    holder.start()
    holding.wait(10)
    try:
        with pytest.raises(DomainError) as busy:
            services.register(actor=make_teacher_user(_unit()), course=course)
        assert busy.value.code == "busy"
    finally:
        release.set()
        holder.join(10)
    assert Registration.objects.filter(course=course).count() == 1


@pytest.mark.django_db
def test_a_seat_freed_after_the_full_course_was_read_is_taken_with_the_exclusive_lock():
    course = open_course(_unit(), seats=1)
    seated = make_teacher_user(_unit())
    seat = services.register(actor=seated, course=course).registration
    user = make_teacher_user(_unit())
    loaded = services.course_to_register(course.code, user.teacher)  # full when read
    services.cancel_registration(actor=seated, registration=seat)
    with CaptureQueriesContext(connection) as captured:
        result = services.register(actor=user, course=loaded, course_loaded=True)
    assert result.registration.status == RegistrationStatus.ADMITTED
    locks = [s.rsplit(" FOR ", 1)[1] for s in _sql(captured) if " FOR " in s]
    assert locks == ["SHARE", "UPDATE"]
    assert EnrollmentOptions.objects.get(course=course).admitted_count == 1
    assert Registration.objects.filter(course=course, teacher=user.teacher).count() == 1


@pytest.mark.django_db
def test_a_course_without_options_gets_them_on_its_first_registration():
    """Courses published before registration options existed have no options row: the first
    registration makes it (with the defaults) and goes on."""
    course = open_course(_unit(), seats=5)
    EnrollmentOptions.objects.filter(course=course).delete()
    user = make_teacher_user(_unit())
    result = services.register(actor=user, course=course)
    assert result.registration.status == RegistrationStatus.ADMITTED
    assert EnrollmentOptions.objects.get(course=course).admitted_count == 1
    # The earlier registration is found (and refused) on the next try.
    with pytest.raises(DomainError) as refused:
        services.register(actor=user, course=course)
    assert refused.value.code == "duplicate"
