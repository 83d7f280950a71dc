"""Submitting, confirming, returning and auto-confirming the attendance list; closing creates
the training records (a snapshot of the course) and tells every teacher; every refusal has its
own reason and changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from inservice.accounts.models import StaffRole, User
from inservice.attendance.models import AttendanceList, ListState
from inservice.attendance.services import closing
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from inservice.core.models import AuditEvent
from inservice.courses.models import AutoReviewSetting, Course, CourseStatus
from inservice.courses.services import changes
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County, Unit, UnitKind
from inservice.records.models import TrainingDay, TrainingRecord
from inservice.records.services.recording import add_external_record
from tests.factories import (
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    UserFactory,
    held_course,
    make_course,
    put_on_list,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return UnitFactory(county=County.objects.get(code="63000"))


@pytest.fixture
def organizer(school):
    return StaffFactory(unit=school, role=StaffRole.OPERATOR).user


@pytest.fixture
def course(school, organizer):
    return held_course(
        school, actor=organizer, ended_days_ago=2, tags=["gender-equality"], category="5-1"
    )


@pytest.fixture
def reviewer(course):
    return StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user


@pytest.fixture
def teachers(school):
    with_login = [TeacherFactory(user=UserFactory(), serving_unit=school) for _ in range(2)]
    without_login = TeacherFactory(serving_unit=school)
    absent = TeacherFactory(user=UserFactory(), serving_unit=school)
    return with_login, without_login, absent


@pytest.fixture
def listed(course, teachers):
    (a, b), c, absent = teachers
    put_on_list(
        course,
        [(a, "attended"), (b, "leave", Decimal("2")), (c, "attended"), (absent, "absent")],
    )
    return course


def state_of(course):
    return AttendanceList.objects.get(course=course).state


def mails(template):
    return list(OutboundEmail.objects.filter(template=template).order_by("to"))


def snapshot(course):
    course.refresh_from_db()
    attendance = AttendanceList.objects.filter(course=course).first()
    return (
        course.status,
        course.revision,
        attendance and (attendance.state, attendance.revision, attendance.submitted_at),
        TrainingRecord.objects.count(),
        OutboundEmail.objects.count(),
    )


# --------------------------------------------------------------------------- submit


def test_submit_sends_the_list_to_the_reviewing_center(listed, organizer, reviewer):
    attendance = closing.submit_list(actor=organizer, course=listed)
    assert attendance.state == ListState.SUBMITTED
    assert attendance.submitted_by == organizer
    assert attendance.submitted_at is not None
    assert not attendance.auto_confirmed
    listed.refresh_from_db()
    assert listed.status == CourseStatus.PUBLISHED  # not closed until confirmed
    event = AuditEvent.objects.get(action="attendance.list_submitted")
    assert event.object_id == str(listed.pk)
    assert event.data["entries"] == 4
    assert Decimal(event.data["hours"]) == Decimal("8")  # 3 + 2 + 3 + 0
    sent = mails("attendance_list_submitted")
    center_staff = set(
        User.objects.filter(staff__unit=listed.reviewing_center).values_list("email", flat=True)
    )
    assert reviewer.email in {m.to for m in sent}
    assert {m.to for m in sent} <= center_staff
    mail = next(m for m in sent if m.to == reviewer.email)
    assert str(listed.code) in mail.subject
    assert f"/review/attendance/{listed.code}/" in mail.body_text


def test_the_list_can_be_submitted_from_the_courses_last_day(school, organizer, teachers):
    (a, _b), _c, _absent = teachers
    today = held_course(school, actor=organizer, ended_days_ago=0, days=1)
    put_on_list(today, [(a, "attended")])
    assert closing.submit_list(actor=organizer, course=today).state == ListState.SUBMITTED


def test_a_course_not_yet_held_is_refused(school, organizer, teachers):
    (a, _b), _c, _absent = teachers
    tomorrow = held_course(school, actor=organizer, ended_days_ago=-1, days=1)
    put_on_list(tomorrow, [(a, "attended")])
    before = snapshot(tomorrow)
    with pytest.raises(DomainError) as refused:
        closing.submit_list(actor=organizer, course=tomorrow)
    assert refused.value.code == "not_held"
    assert "最後一天" in str(refused.value.message)
    assert snapshot(tomorrow) == before


def test_an_empty_list_needs_an_explicit_confirmation(course, organizer, reviewer):
    before = snapshot(course)
    with pytest.raises(DomainError) as refused:
        closing.submit_list(actor=organizer, course=course)
    assert refused.value.code == "empty"
    assert refused.value.field == "confirm_empty"
    assert "無人參加" in str(refused.value.message)
    assert snapshot(course) == before
    assert not AttendanceList.objects.filter(course=course).exists()  # rolled back
    attendance = closing.submit_list(actor=organizer, course=course, confirm_empty=True)
    assert attendance.state == ListState.SUBMITTED
    assert AuditEvent.objects.get(action="attendance.list_submitted").data["confirmed_empty"]
    closing.confirm_list(actor=reviewer, course=course)
    course.refresh_from_db()
    assert course.status == CourseStatus.CLOSED
    assert not TrainingRecord.objects.filter(course=course).exists()


@pytest.mark.parametrize(
    "who", ["other_unit_staff", "teacher", "reviewer", "same_unit_no_register_right"]
)
def test_only_the_organizer_unit_may_submit(listed, reviewer, school, who):
    other_school = UnitFactory(county=County.objects.get(code="63000"))
    actor = {
        "other_unit_staff": lambda: StaffFactory(unit=other_school).user,
        "teacher": lambda: UserFactory(),
        "reviewer": lambda: reviewer,
        "same_unit_no_register_right": lambda: (
            StaffFactory(unit=school, role=StaffRole.OPERATOR, status="deactivated").user
        ),
    }[who]()
    before = snapshot(listed)
    with pytest.raises(PermissionDeniedError) as refused:
        closing.submit_list(actor=actor, course=listed)
    assert "開課單位" in str(refused.value.message)
    assert snapshot(listed) == before


def test_submitting_twice_and_a_stale_page_are_refused(listed, organizer):
    attendance = AttendanceList.objects.get(course=listed)
    with pytest.raises(DomainError) as stale:
        closing.submit_list(actor=organizer, course=listed, revision=attendance.revision + 1)
    assert stale.value.code == "stale"
    assert state_of(listed) == ListState.OPEN
    closing.submit_list(actor=organizer, course=listed, revision=attendance.revision)
    before = snapshot(listed)
    with pytest.raises(DomainError) as again:
        closing.submit_list(actor=organizer, course=listed)
    assert again.value.code == "already_submitted"
    assert "等候區管中心確認" in str(again.value.message)
    assert snapshot(listed) == before


def test_cancelled_and_unpublished_courses_have_no_list_to_submit(school, organizer):
    draft = make_course(school, actor=organizer)
    with pytest.raises(DomainError) as refused:
        closing.submit_list(actor=organizer, course=draft, confirm_empty=True)
    assert refused.value.code == "not_published"
    cancelled = held_course(school, actor=organizer)
    Course.objects.filter(pk=cancelled.pk).update(status=CourseStatus.CANCELLED)
    with pytest.raises(DomainError) as refused:
        closing.submit_list(actor=organizer, course=cancelled, confirm_empty=True)
    assert refused.value.code == "cancelled"
    assert not AttendanceList.objects.filter(course__in=[draft, cancelled]).exists()


# --------------------------------------------------------------------------- confirm and close


def test_confirming_closes_the_course_and_records_a_snapshot(
    listed, organizer, reviewer, teachers, django_capture_on_commit_callbacks
):
    (a, b), c, absent = teachers
    closing.submit_list(actor=organizer, course=listed)
    with django_capture_on_commit_callbacks(execute=True):
        attendance = closing.confirm_list(actor=reviewer, course=listed)
    assert attendance.state == ListState.CONFIRMED
    assert attendance.decided_by == reviewer
    assert not attendance.auto_confirmed
    listed.refresh_from_db()
    assert listed.status == CourseStatus.CLOSED
    assert listed.closed_at is not None
    version = listed.published

    records = {r.teacher_id: r for r in TrainingRecord.objects.filter(course=listed)}
    assert set(records) == {a.pk, b.pk, c.pk}  # the absent teacher earned nothing
    record = records[a.pk]
    assert (record.hours_requested, record.hours, record.hours_withheld) == (3, 3, 0)
    assert records[b.pk].hours == Decimal("2")
    assert record.course_code == str(listed.code)
    assert record.course_name == version.name
    assert record.organizer == listed.unit
    assert record.organizer_name == listed.unit.name
    assert record.source == listed.source
    assert (record.start_date, record.end_date) == (version.start_date, version.end_date)
    assert (record.category, record.topic_item, record.level) == (
        version.category,
        version.topic_item,
        version.level,
    )
    assert record.class_type == version.class_type
    assert record.tags == ["gender-equality"]
    assert record.closed_at == listed.closed_at

    # one mail per teacher with a login who got a record; none for the one without a login
    granted = mails("records_hours_granted")
    assert sorted(m.to for m in granted) == sorted([a.user.email, b.user.email])
    body = next(m for m in granted if m.to == b.user.email).body_text
    assert "2.0 小時" in body and version.name in body
    assert "暫不採計" not in body
    assert "/my/records/" in body
    (confirmed,) = mails("attendance_list_confirmed")
    assert confirmed.to == version.contact1_email
    actions = list(
        AuditEvent.objects.filter(object_id=str(listed.pk)).values_list("action", flat=True)
    )
    assert {"attendance.list_confirmed", "course.closed"} <= set(actions)
    closed = AuditEvent.objects.get(action="course.closed")
    assert closed.data["records"] == 3 and not closed.data["auto"]
    # the search table follows the closing
    assert listed.search_entry.status == CourseStatus.CLOSED


def test_hours_over_the_daily_cap_are_withheld_and_the_mail_says_so(
    listed, organizer, reviewer, teachers
):
    (a, _b), _c, _absent = teachers
    day = listed.published.start_date
    add_external_record(
        teacher=a,
        snapshot={
            "course_code": "X-1",
            "course_name": "縣市研習",
            "organizer_name": "縣市研習中心",
            "source": "county_transmit",
        },
        days={day: Decimal("4")},
    )
    closing.submit_list(actor=organizer, course=listed)
    closing.confirm_list(actor=reviewer, course=listed)
    record = TrainingRecord.objects.get(course=listed, teacher=a)
    assert (record.hours_requested, record.hours, record.hours_withheld) == (3, 2, 1)
    assert TrainingDay.objects.get(record=record).hours_counted == 2
    mail = OutboundEmail.objects.get(template="records_hours_granted", to=a.user.email)
    assert "採計研習時數：2.0 小時" in mail.body_text
    assert "其中 1.0 小時" in mail.body_text and "暫不採計" in mail.body_text


def test_after_closing_changes_go_through_a_change_request(listed, organizer, reviewer):
    closing.submit_list(actor=organizer, course=listed)
    closing.confirm_list(actor=reviewer, course=listed)
    with pytest.raises(DomainError) as refused:
        closing.submit_list(actor=organizer, course=listed)
    assert refused.value.code == "closed"
    assert "修改已結案課程內容申請" in str(refused.value.message)
    with pytest.raises(DomainError):
        closing.close_course(listed, actor=reviewer, auto=False)
    assert TrainingRecord.objects.filter(course=listed).count() == 3
    request = changes.request_change(
        actor=organizer, course=listed, data={"hours": Decimal("4")}, reason="實際辦理 4 小時。"
    )
    assert request.pk is not None


def test_the_center_refuses_what_is_not_its_own_or_not_waiting(listed, organizer, reviewer, school):
    with pytest.raises(DomainError) as not_yet:
        closing.confirm_list(actor=reviewer, course=listed)
    assert not_yet.value.code == "not_submitted"
    assert "登錄中" in str(not_yet.value.message)
    closing.submit_list(actor=organizer, course=listed)
    before = snapshot(listed)
    other_center = StaffFactory(
        unit=Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="64000"),
        role=StaffRole.OPERATOR,
    ).user
    for actor in (other_center, organizer, UserFactory()):
        with pytest.raises(PermissionDeniedError) as refused:
            closing.confirm_list(actor=actor, course=listed)
        assert "不是由您的區管中心確認" in str(refused.value.message)
        with pytest.raises(PermissionDeniedError):
            closing.return_list(actor=actor, course=listed, reason="請補簽到表")
    assert snapshot(listed) == before


# --------------------------------------------------------------------------- return


def test_returning_needs_a_reason_and_mails_the_unit(listed, organizer, reviewer):
    closing.submit_list(actor=organizer, course=listed)
    before = snapshot(listed)
    for blank in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            closing.return_list(actor=reviewer, course=listed, reason=blank)
        assert refused.value.field == "reason"
    assert snapshot(listed) == before

    attendance = closing.return_list(actor=reviewer, course=listed, reason="請補上請假教師的時數")
    assert attendance.state == ListState.RETURNED
    assert attendance.return_reason == "請補上請假教師的時數"
    assert attendance.decided_by == reviewer
    (mail,) = mails("attendance_list_returned")
    assert mail.to == listed.published.contact1_email
    assert "請補上請假教師的時數" in mail.body_text
    assert f"/manage/courses/{listed.code}/attendance/submit/" in mail.body_text
    event = AuditEvent.objects.get(action="attendance.list_returned")
    assert event.data["reason"] == "請補上請假教師的時數"
    listed.refresh_from_db()
    assert listed.status == CourseStatus.PUBLISHED
    assert not TrainingRecord.objects.exists()

    # corrected and sent again; the old reason no longer shows
    again = closing.submit_list(actor=organizer, course=listed)
    assert again.state == ListState.SUBMITTED and again.return_reason == ""
    with pytest.raises(DomainError) as twice:
        closing.submit_list(actor=organizer, course=listed)
    assert twice.value.code == "already_submitted"


# --------------------------------------------------------------------------- auto-confirm


def test_auto_confirmed_where_the_center_switched_list_review_on(listed, organizer):
    AutoReviewSetting.objects.create(center=listed.reviewing_center, attendance_lists=True)
    attendance = closing.submit_list(actor=organizer, course=listed)
    assert attendance.state == ListState.CONFIRMED
    assert attendance.auto_confirmed and attendance.decided_by is None
    listed.refresh_from_db()
    assert listed.status == CourseStatus.CLOSED
    assert TrainingRecord.objects.filter(course=listed).count() == 3
    assert not mails("attendance_list_submitted")  # nobody needs to look at it
    assert len(mails("records_hours_granted")) == 2
    assert AuditEvent.objects.filter(action="attendance.list_auto_confirmed").exists()
    assert AuditEvent.objects.get(action="course.closed").data["auto"] is True
    assert "自動審核確認" in mails("attendance_list_confirmed")[0].body_text


@pytest.mark.parametrize("failing", ["switch_off", "courses_switch_only", "unit_kind", "no_doc"])
def test_no_auto_confirmation_unless_every_condition_holds(listed, organizer, failing):
    setting = AutoReviewSetting.objects.create(
        center=listed.reviewing_center, attendance_lists=True
    )
    if failing == "switch_off":
        setting.attendance_lists = False
        setting.save()
    elif failing == "courses_switch_only":
        setting.attendance_lists, setting.courses = False, True
        setting.save()
    elif failing == "unit_kind":
        type(listed.unit).objects.filter(pk=listed.unit_id).update(kind=UnitKind.UNIVERSITY)
    else:
        type(listed.published).objects.filter(pk=listed.published_id).update(basis_doc_number="")
    listed.refresh_from_db()
    assert closing.autoreview_failures(listed)
    attendance = closing.submit_list(actor=organizer, course=listed)
    assert attendance.state == ListState.SUBMITTED
    listed.refresh_from_db()
    assert listed.status == CourseStatus.PUBLISHED


def test_course_auto_approval_does_not_confirm_lists(school, organizer, teachers):
    """Course auto-review and list auto-review are separate switches."""
    center = make_course(school, actor=organizer, submit=True).reviewing_center
    AutoReviewSetting.objects.create(center=center, courses=True)
    course = held_course(school, actor=organizer)
    assert course.published.auto_approved
    put_on_list(course, [(teachers[1], "attended")])
    assert closing.submit_list(actor=organizer, course=course).state == ListState.SUBMITTED


def test_due_date_is_a_week_after_the_end(course):
    assert closing.due_date(course) == course.end_date + datetime.timedelta(days=7)
    assert closing.can_submit_on(course, course.end_date)
    assert not closing.can_submit_on(course, course.end_date - datetime.timedelta(days=1))
    assert timezone.localdate() > course.end_date
