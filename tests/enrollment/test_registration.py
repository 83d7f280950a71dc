"""Registering, refusals, the window to the minute, restrictions, cancelling and promotion."""

import datetime

import pytest
from django.utils import timezone

from inservice.accounts.models import StaffRole
from inservice.core.errors import DomainError
from inservice.courses.models import CourseSession, CourseVersion
from inservice.courses.services import lifecycle
from inservice.enrollment.models import (
    EnrollmentOptions,
    Registration,
    RegistrationStatus,
    Restriction,
)
from inservice.enrollment.services import registration as services
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County, UnitKind
from tests.factories import StaffFactory, UnitFactory, make_course, make_teacher_user, open_course

pytestmark = pytest.mark.django_db


def taipei_unit(**kw):
    return UnitFactory(county=County.objects.get(code="63000"), **kw)


def _opts(course, **fields):
    options = services.options_for(course)
    for k, v in fields.items():
        setattr(options, k, v)
    options.save()
    return options


def _refused(user, course, code, **kw):
    before = Registration.objects.count(), OutboundEmail.objects.count()
    with pytest.raises(DomainError) as exc:
        services.register(actor=user, course=course, **kw)
    assert exc.value.code == code
    assert (Registration.objects.count(), OutboundEmail.objects.count()) == before
    return str(exc.value.message)


def test_register_admits_then_waitlists_then_refuses_when_no_waitlist(
    django_capture_on_commit_callbacks,
):
    unit = taipei_unit()
    course = open_course(unit, seats=1)
    a, b, c = (make_teacher_user(unit) for _ in range(3))
    with django_capture_on_commit_callbacks(execute=True):  # mail is written after commit
        assert services.register(actor=a, course=course).registration.status == "admitted"
    r = services.register(actor=b, course=course).registration
    assert r.status == "waitlisted" and services.waitlist_position(r) == 1
    _opts(course, allow_waitlist=False)
    assert "未開放候補" in _refused(c, course, "full")
    assert EnrollmentOptions.objects.get(course=course).admitted_count == 1
    mail = OutboundEmail.objects.filter(to=a.email).get()
    assert str(course.code) in mail.subject and "錄取" in mail.body_text


def test_twice_refused():
    unit = taipei_unit()
    course = open_course(unit)
    user = make_teacher_user(unit)
    services.register(actor=user, course=course)
    assert "不需重複報名" in _refused(user, course, "duplicate")


def test_no_unit_unapproved_and_cancelled_courses_refused():
    unit = taipei_unit()
    course = open_course(unit)
    assert "服務單位" in _refused(make_teacher_user(None), course, "no_unit")
    draft = make_course(unit, submit=True)
    assert "尚未核准" in _refused(make_teacher_user(unit), draft, "not_published")
    organizer = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    lifecycle.cancel_course(actor=organizer, course=course, reason="講師請假")
    course.refresh_from_db()
    assert "已取消" in _refused(make_teacher_user(unit), course, "cancelled")


def test_window_to_the_minute():
    unit = taipei_unit()
    course = open_course(unit)
    version = course.published
    CourseVersion.objects.filter(pk=version.pk).update(registration_opens_at=datetime.time(9, 30))
    version.refresh_from_db()
    opens, closes = version.registration_opens, version.registration_closes
    assert timezone.localtime(opens).strftime("%H:%M") == "09:30"
    user = make_teacher_user(unit)
    msg = _refused(user, course, "not_open", now=opens - datetime.timedelta(minutes=1))
    assert "09:30" in msg
    _refused(user, course, "window_closed", now=closes)
    r = services.register(actor=user, course=course, now=opens).registration
    assert r.status == "admitted"
    other = make_teacher_user(unit)
    last = closes - datetime.timedelta(minutes=1)
    assert services.register(actor=other, course=course, now=last).registration.status


def test_restrictions():
    county = County.objects.get(code="63000")
    other_county = County.objects.exclude(code="63000").first()
    unit = UnitFactory(county=county)
    course = open_course(unit, target_stages=["14-4"], target_titles=["15-4"])
    same_county = UnitFactory(county=county)
    far = UnitFactory(county=other_county)
    junior = UnitFactory(county=county, kind=UnitKind.JUNIOR_HIGH)

    _opts(course, restriction=Restriction.OWN_UNIT)
    assert "僅限開課單位" in _refused(make_teacher_user(same_county), course, "restricted")
    assert services.register(actor=make_teacher_user(unit), course=course)

    _opts(course, restriction=Restriction.OWN_COUNTY)
    assert "僅限" in _refused(make_teacher_user(far), course, "restricted")
    assert services.register(actor=make_teacher_user(same_county), course=course)

    _opts(course, restriction=Restriction.TARGETS)
    assert "教育階段" in _refused(make_teacher_user(junior), course, "restricted")
    assert "職稱" in _refused(make_teacher_user(far, title="15-7"), course, "restricted")
    assert services.register(actor=make_teacher_user(far, title="15-4"), course=course)


def test_cancel_promotes_the_first_waitlisted_in_queue_order_and_mails_them(
    django_capture_on_commit_callbacks,
):
    unit = taipei_unit()
    course = open_course(unit, seats=1)
    users = [make_teacher_user(unit) for _ in range(3)]
    now = timezone.now()
    regs = [
        services.register(
            actor=u, course=course, now=now + datetime.timedelta(seconds=i)
        ).registration
        for i, u in enumerate(users)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(actor=users[0], registration=regs[0])
    for r in regs:
        r.refresh_from_db()
    assert [r.status for r in regs] == ["cancelled", "admitted", "waitlisted"]
    assert services.waitlist_position(regs[2]) == 1
    assert OutboundEmail.objects.filter(to=users[1].email, template="enrollment_promoted").exists()
    assert EnrollmentOptions.objects.get(course=course).admitted_count == 1
    # Re-registering after cancelling reuses the row and queues at the back.
    later = now + datetime.timedelta(seconds=10)
    again = services.register(actor=users[0], course=course, now=later).registration
    assert again.pk == regs[0].pk and again.status == "waitlisted"
    assert services.waitlist_position(again) == 2


def test_cancel_deadline_is_the_close_of_registration():
    unit = taipei_unit()
    course = open_course(unit)
    user = make_teacher_user(unit)
    r = services.register(actor=user, course=course).registration
    closes = course.published.registration_closes
    with pytest.raises(DomainError) as exc:
        services.cancel_registration(actor=user, registration=r, now=closes)
    assert exc.value.code == "deadline"
    r.refresh_from_db()
    assert r.status == "admitted"
    services.cancel_registration(
        actor=user, registration=r, now=closes - datetime.timedelta(minutes=1)
    )


def test_only_the_teacher_cancels_their_own_registration():
    unit = taipei_unit()
    course = open_course(unit)
    r = services.register(actor=make_teacher_user(unit), course=course).registration
    with pytest.raises(DomainError):
        services.cancel_registration(actor=make_teacher_user(unit), registration=r)


def test_overlap_is_a_warning_not_a_refusal():
    unit = taipei_unit()
    first = open_course(unit)
    second = open_course(unit, name="另一門同日課程")
    user = make_teacher_user(unit)
    services.register(actor=user, course=first)
    result = services.register(actor=user, course=second)
    assert result.registration.status == "admitted"
    assert len(result.warnings) == 1 and str(first.code) in result.warnings[0]


def test_sessions_on_the_same_day_at_other_times_do_not_overlap():
    unit = taipei_unit()
    first, second = open_course(unit), open_course(unit)
    day = first.published.start_date
    CourseSession.objects.create(
        version=first.published,
        date=day,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
        hours=3,
    )
    CourseSession.objects.create(
        version=second.published,
        date=day,
        start_time=datetime.time(13),
        end_time=datetime.time(16),
        hours=3,
    )
    user = make_teacher_user(unit)
    services.register(actor=user, course=first)
    assert services.register(actor=user, course=second).warnings == []


def test_cancelled_course_cancels_and_mails_every_registrant(django_capture_on_commit_callbacks):
    unit = taipei_unit()
    course = open_course(unit, seats=1)
    a, b = make_teacher_user(unit), make_teacher_user(unit)
    services.register(actor=a, course=course)
    services.register(actor=b, course=course)
    organizer = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_course(actor=organizer, course=course, reason="颱風停班停課")
    statuses = set(Registration.objects.filter(course=course).values_list("status", flat=True))
    assert statuses == {RegistrationStatus.CANCELLED}
    for user in (a, b):
        mail = OutboundEmail.objects.get(to=user.email, template="enrollment_course_cancelled")
        assert "颱風停班停課" in mail.body_text
    assert Registration.objects.filter(course=course, note__contains="颱風").count() == 2
