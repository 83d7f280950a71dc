"""The life cycle through the services: draft, submit, route, review, publish, re-review."""

import pytest

from inservice.accounts.models import StaffRole
from inservice.core.errors import DomainError, PermissionDeniedError
from inservice.core.models import AuditEvent
from inservice.courses.models import AutoReviewSetting, CourseStatus, VersionState
from inservice.courses.services import lifecycle
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County, Unit, UnitKind
from tests.factories import StaffFactory, UnitFactory, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def bureau(taipei):
    return Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county=taipei)


def reviewer_of(center):
    return StaffFactory(unit=center, role=StaffRole.OPERATOR).user


def test_codes_are_permanent_distinct_numbers():
    a, b = make_course(), make_course()
    assert a.code >= lifecycle.FIRST_COURSE_CODE and b.code == a.code + 1


def test_submit_routes_to_the_county_bureau_and_approval_publishes(bureau):
    course = make_course(submit=True)
    assert course.status == CourseStatus.PENDING
    assert course.reviewing_center == bureau
    lifecycle.approve_course(actor=reviewer_of(bureau), course=course)
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert course.published.state == VersionState.APPROVED
    assert course.working is None and course.published_at is not None
    assert OutboundEmail.objects.filter(template="course_approved").exists()
    actions = list(
        AuditEvent.objects.filter(object_id=str(course.pk)).values_list("action", flat=True)
    )
    assert {"course.created", "course.submitted", "course.approved"} <= set(actions)


def test_another_center_cannot_review(bureau, taipei):
    course = make_course(submit=True)
    other = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="64000")
    with pytest.raises(PermissionDeniedError):
        lifecycle.approve_course(actor=reviewer_of(other), course=course)


def test_return_needs_a_reason_and_mails_contacts(bureau):
    course = make_course(submit=True)
    with pytest.raises(DomainError):
        lifecycle.return_course(actor=reviewer_of(bureau), course=course, reason="  ")
    lifecycle.return_course(actor=reviewer_of(bureau), course=course, reason="請補上課時間")
    course.refresh_from_db()
    assert course.status == CourseStatus.RETURNED
    notice = OutboundEmail.objects.get(template="course_returned")
    assert "請補上課時間" in notice.body_text and notice.to == "contact@school.example"


def test_editing_a_published_course_keeps_the_old_version_public(bureau):
    course = make_course(approve=True)
    operator = StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user
    published = course.published
    lifecycle.save_course(actor=operator, course=course, data={"name": "新名稱"})
    course.refresh_from_db()
    assert course.published == published and course.name == published.name
    assert course.working.name == "新名稱" and course.has_pending_change
    lifecycle.submit_course(actor=operator, course=course)
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED  # still public while the change is reviewed
    lifecycle.approve_course(actor=reviewer_of(bureau), course=course)
    course.refresh_from_db()
    assert course.published.name == "新名稱" and course.name == "新名稱"
    published.refresh_from_db()
    assert published.state == VersionState.SUPERSEDED


def test_stale_revision_is_refused():
    course = make_course()
    operator = StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user
    seen = course.revision
    lifecycle.save_course(actor=operator, course=course, data={"name": "甲"}, revision=seen)
    with pytest.raises(DomainError) as exc:
        lifecycle.save_course(actor=operator, course=course, data={"name": "乙"}, revision=seen)
    assert exc.value.code == "stale"


def test_auto_review_when_all_three_conditions_hold(bureau):
    AutoReviewSetting.objects.create(center=bureau, courses=True)
    course = make_course(submit=True)
    assert course.status == CourseStatus.PUBLISHED
    assert course.published.auto_approved
    assert AuditEvent.objects.filter(action="course.auto_approved").exists()


def test_other_unit_cannot_edit(taipei):
    course = make_course()
    stranger = StaffFactory(unit=UnitFactory(county=taipei)).user
    with pytest.raises(PermissionDeniedError):
        lifecycle.save_course(actor=stranger, course=course, data={"name": "x"})


def test_cancel_before_start_only(bureau):
    course = make_course(approve=True)
    operator = StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user
    lifecycle.cancel_course(actor=operator, course=course, reason="講師臨時無法出席")
    course.refresh_from_db()
    assert course.status == CourseStatus.CANCELLED
    assert "講師臨時無法出席" in OutboundEmail.objects.get(template="course_cancelled").body_text


def test_cancellation_signal_reaches_listeners_after_commit(django_capture_on_commit_callbacks):
    """Enrollment listens to this signal to notify every registrant."""
    received = []

    def listener(sender, course, reason, **kwargs):
        received.append((course.code, reason))

    lifecycle.course_cancelled.connect(listener)
    try:
        course = make_course(approve=True)
        operator = StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.cancel_course(actor=operator, course=course, reason="場地整修")
    finally:
        lifecycle.course_cancelled.disconnect(listener)
    assert received == [(course.code, "場地整修")]


def test_a_started_course_cannot_be_cancelled():
    import datetime

    course = make_course(approve=True)
    operator = StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user
    type(course).objects.filter(pk=course.pk).update(start_date=datetime.date.today())
    course.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        lifecycle.cancel_course(actor=operator, course=course, reason="x")
    assert exc.value.code == "already_held"


def test_county_transmitted_course_is_validated_by_that_county():
    """第11條 六: a county that transmits from its own system validates its own data."""
    new_taipei = County.objects.get(code="65000")
    school = UnitFactory(county=new_taipei, kind=UnitKind.SENIOR_HIGH, ownership="national")
    online = make_course(unit=school, submit=True)
    assert online.reviewing_center.kind == UnitKind.K12_ADMIN_GROUP
    transmitted = make_course(unit=school)
    type(transmitted).objects.filter(pk=transmitted.pk).update(source="county_transmit")
    transmitted.refresh_from_db()
    operator = StaffFactory(unit=school, role=StaffRole.OPERATOR).user
    lifecycle.submit_course(actor=operator, course=transmitted)
    transmitted.refresh_from_db()
    assert transmitted.reviewing_center == Unit.objects.get(
        kind=UnitKind.COUNTY_BUREAU, county=new_taipei
    )
