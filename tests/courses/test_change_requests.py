"""Change requests after closing (修改已結案課程內容申請表): the unit asks, the regional center
decides, the national center carries out; services, mails, audit, pages and permissions."""

from decimal import Decimal

import pytest

from inservice.accounts.models import StaffRole, User
from inservice.core.errors import DomainError, PermissionDeniedError
from inservice.core.models import AuditEvent
from inservice.courses.models import ChangeRequest, CourseStatus, CourseVersion, VersionState
from inservice.courses.services import changes
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County, Unit, UnitKind
from tests.factories import (
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    UserFactory,
    make_closed_course,
    make_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def course(taipei):
    return make_closed_course(UnitFactory(county=taipei), name="自然科學探究與實作")


@pytest.fixture
def organizer(course):
    return StaffFactory(
        unit=course.unit, role=StaffRole.OPERATOR, user__email="organizer@school.example"
    ).user


@pytest.fixture
def reviewer(course):
    return StaffFactory(
        unit=course.reviewing_center, role=StaffRole.OPERATOR, user__email="rev@gov.example"
    ).user


@pytest.fixture
def national():
    center = Unit.objects.get(kind=UnitKind.NATIONAL_CENTER)
    return StaffFactory(unit=center, role=StaffRole.OPERATOR, user__email="nc@nknu.example").user


def other_center():
    return Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="65000")  # 新北市


def ask(course, actor, **data):
    data = data or {"hours": Decimal("6"), "name": "自然科學探究與實作（修正）"}
    return changes.request_change(actor=actor, course=course, data=data, reason="時數誤植")


# --- services -------------------------------------------------------------------------------


def test_request_creates_a_draft_version_and_leaves_the_published_one(course, organizer):
    published = course.published
    request = ask(course, organizer)
    course.refresh_from_db()
    assert request.state == ChangeRequest.State.PENDING
    assert request.proposed.state == VersionState.DRAFT
    assert request.proposed.hours == Decimal("6") and request.proposed.change_reason == "時數誤植"
    assert course.published == published and course.status == CourseStatus.CLOSED
    assert course.name == "自然科學探究與實作" and course.working is None
    event = AuditEvent.objects.get(action="course.change_requested")
    assert event.object_id == str(course.pk)
    assert event.before["hours"] == "3" and event.after["hours"] == "6"
    to_unit = set(
        OutboundEmail.objects.filter(template="change_request_submitted").values_list(
            "to", flat=True
        )
    )
    assert to_unit == {"contact@school.example", "organizer@school.example"}


def test_request_tells_the_reviewing_center(course, organizer, reviewer):
    other = StaffFactory(unit=other_center(), role=StaffRole.OPERATOR).user
    ask(course, organizer)
    mails = OutboundEmail.objects.filter(template="change_request_received")
    assert "rev@gov.example" in {m.to for m in mails}
    assert other.email not in {m.to for m in mails}
    assert all(str(course.code) in m.subject for m in mails)


def test_only_closed_courses(taipei):
    published = make_course(UnitFactory(county=taipei), approve=True)
    operator = StaffFactory(unit=published.unit, role=StaffRole.OPERATOR).user
    with pytest.raises(DomainError) as exc:
        ask(published, operator)
    assert exc.value.code == "not_closed"


def test_only_the_courses_own_unit(course, taipei, reviewer):
    for actor in (StaffFactory(unit=UnitFactory(county=taipei)).user, reviewer):
        with pytest.raises(PermissionDeniedError):
            ask(course, actor)


def test_reason_and_a_real_change_are_required_and_nothing_is_half_saved(course, organizer):
    versions = CourseVersion.objects.count()
    with pytest.raises(DomainError) as exc:
        changes.request_change(actor=organizer, course=course, data={"hours": 6}, reason=" ")
    assert exc.value.field == "reason"
    with pytest.raises(DomainError) as exc:
        changes.request_change(actor=organizer, course=course, data={"hours": 3}, reason="x")
    assert exc.value.code == "no_change"
    with pytest.raises(DomainError) as exc:  # the proposal must still be a complete course
        changes.request_change(actor=organizer, course=course, data={"name": ""}, reason="x")
    assert "name" in exc.value.problems
    assert CourseVersion.objects.count() == versions
    assert not ChangeRequest.objects.exists()


def test_one_open_request_at_a_time(course, organizer, reviewer):
    first = ask(course, organizer)
    with pytest.raises(DomainError) as exc:
        ask(course, organizer)
    assert exc.value.code == "open_request"
    changes.decide_change_request(
        actor=reviewer, change_request=first, approve=False, note="請附佐證"
    )
    ask(course, organizer)  # after a rejection the unit may ask again


def test_reject_needs_a_note_and_tells_the_unit(course, organizer, reviewer):
    request = ask(course, organizer)
    with pytest.raises(DomainError) as exc:
        changes.decide_change_request(actor=reviewer, change_request=request, approve=False)
    assert exc.value.field == "note"
    changes.decide_change_request(
        actor=reviewer, change_request=request, approve=False, note="請附簽到表佐證"
    )
    request.refresh_from_db()
    assert request.state == ChangeRequest.State.REJECTED
    assert request.proposed.state == VersionState.RETURNED
    assert request.decided_by == reviewer
    mail = OutboundEmail.objects.filter(template="change_request_rejected").first()
    assert "請附簽到表佐證" in mail.body_text
    assert AuditEvent.objects.filter(action="course.change_request_rejected").exists()


def test_only_the_reviewing_center_decides(course, organizer, national):
    request = ask(course, organizer)
    strangers = [
        organizer,
        StaffFactory(unit=other_center(), role=StaffRole.OPERATOR).user,
        national,  # the national center carries out, it does not decide for another center
    ]
    for actor in strangers:
        with pytest.raises(PermissionDeniedError):
            changes.decide_change_request(actor=actor, change_request=request, approve=True)


def test_full_path_approve_then_carry_out(
    course, organizer, reviewer, national, django_capture_on_commit_callbacks
):
    previous = course.published
    request = ask(course, organizer)
    changes.decide_change_request(actor=reviewer, change_request=request, approve=True, note="同意")
    request.refresh_from_db()
    assert request.state == ChangeRequest.State.APPROVED
    assert OutboundEmail.objects.filter(template="change_request_approved").exists()
    assert OutboundEmail.objects.get(template="change_request_to_carry_out").to == "nc@nknu.example"
    with pytest.raises(DomainError) as exc:  # decided once only
        changes.decide_change_request(
            actor=reviewer, change_request=request, approve=False, note="x"
        )
    assert exc.value.code == "not_pending"
    with pytest.raises(PermissionDeniedError):  # the regional center cannot carry it out
        changes.carry_out_change_request(actor=reviewer, change_request=request)

    received = []

    def listener(sender, course, version, previous, change_request, **kwargs):
        received.append((course.code, version.number, previous.number))

    changes.course_changed_after_closing.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            changes.carry_out_change_request(actor=national, change_request=request)
    finally:
        changes.course_changed_after_closing.disconnect(listener)
    course.refresh_from_db()
    previous.refresh_from_db()
    request.refresh_from_db()
    assert course.status == CourseStatus.CLOSED
    assert course.published == request.proposed and course.published.state == VersionState.APPROVED
    assert previous.state == VersionState.SUPERSEDED
    assert course.name == "自然科學探究與實作（修正）"
    assert request.state == ChangeRequest.State.DONE and request.done_by == national
    event = AuditEvent.objects.get(action="course.change_carried_out")
    assert event.before["hours"] == "3" and event.after["hours"] == "6"
    assert event.data["previous_version"] == previous.number
    assert OutboundEmail.objects.filter(template="change_request_done").exists()
    assert received == [(course.code, request.proposed.number, previous.number)]


def test_carry_out_only_approved_requests(course, organizer, national):
    request = ask(course, organizer)
    with pytest.raises(DomainError) as exc:
        changes.carry_out_change_request(actor=national, change_request=request)
    assert exc.value.code == "not_approved"


# --- pages ----------------------------------------------------------------------------------


def form_data(**overrides):
    data = {
        "name": "自然科學探究與實作",
        "category": "5-1",
        "taxonomy_stage": "elementary",
        "topic_item": "1-3-6",
        "level": "7-2",
        "instructor_name": "吳講師",
        "hours": "6",
        "time_and_place": "13:30–16:30 本校視聽教室",
        "reason": "實際辦理 6 小時，登錄時誤植為 3 小時。",
    }
    data.update(overrides)
    return data


def dated_form_data(course, **overrides):
    return form_data(
        start_date=course.published.start_date.isoformat(),
        end_date=course.published.end_date.isoformat(),
        **overrides,
    )


def test_organizer_page_asks_and_redirects_to_the_history(client, course, organizer):
    client.force_login(organizer)
    page = f"/manage/courses/{course.code}/change-request/"
    response = client.get(page)
    assert response.status_code == 200
    assert response.context["form"].initial["name"] == "自然科學探究與實作"
    response = client.post(page, dated_form_data(course))
    assert response.status_code == 302
    assert response["Location"] == f"/manage/courses/{course.code}/history/"
    request = ChangeRequest.objects.get(course=course)
    assert request.proposed.hours == Decimal("6")
    body = client.get(response["Location"]).content.decode()
    assert "提出結案後修改申請" in body and "實際辦理 6 小時" in body
    # a second request is not offered while this one is open
    response = client.get(page)
    assert response.context["form"] is None and response.context["open_request"] == request


def test_organizer_form_errors(client, course, organizer):
    client.force_login(organizer)
    page = f"/manage/courses/{course.code}/change-request/"
    response = client.post(page, dated_form_data(course, reason="", hours="2.3"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "reason" in errors and "hours" in errors
    response = client.post(page, dated_form_data(course, topic_item="9-9-9"))
    assert "topic_item" in response.context["form"].errors
    response = client.post(page, dated_form_data(course, hours="3"))  # nothing changed
    assert "沒有需要修改" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_organizer_page_permissions(client, course, taipei):
    page = f"/manage/courses/{course.code}/change-request/"
    response = client.get(page)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(TeacherFactory(user=UserFactory(kind=User.Kind.TEACHER)).user)
    assert client.get(page).status_code == 403
    client.force_login(StaffFactory(unit=UnitFactory(county=taipei)).user)  # another unit
    assert client.get(page).status_code == 404
    client.force_login(StaffFactory(unit=course.reviewing_center).user)  # the reviewer
    assert client.get(page).status_code == 404


def test_organizer_page_for_a_course_that_is_not_closed(client, taipei):
    course = make_course(UnitFactory(county=taipei), approve=True)
    client.force_login(StaffFactory(unit=course.unit).user)
    response = client.get(f"/manage/courses/{course.code}/change-request/")
    assert response.status_code == 200 and response.context["form"] is None
    assert "只有已結案的課程" in response.content.decode()
    client.post(f"/manage/courses/{course.code}/change-request/", form_data())
    assert not ChangeRequest.objects.exists()


def test_center_queue_and_decision(client, course, organizer, reviewer, taipei):
    request = ask(course, organizer)
    other = make_closed_course(UnitFactory(county=County.objects.get(code="65000")))
    ask(other, StaffFactory(unit=other.unit).user)
    client.force_login(reviewer)
    response = client.get("/review/change-requests/")
    assert response.status_code == 200
    assert [r.pk for r in response.context["page"].object_list] == [request.pk]
    detail = f"/review/change-requests/{request.pk}/"
    body = client.get(detail).content.decode()
    assert "時數誤植" in body and "13. 研習時數" in body
    response = client.post(detail, {"decision": "reject", "note": ""})
    assert response.status_code == 200 and "未同意時請說明原因" in response.content.decode()
    response = client.post(detail, {"decision": "approve", "note": "同意"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == ChangeRequest.State.APPROVED
    # after the decision, it is listed under 已同意 and no longer pending
    assert not client.get("/review/change-requests/").context["page"].object_list
    listed = client.get("/review/change-requests/", {"state": "approved"}).context["page"]
    assert [r.pk for r in listed.object_list] == [request.pk]


def test_center_pages_permissions(client, course, organizer, taipei):
    request = ask(course, organizer)
    detail = f"/review/change-requests/{request.pk}/"
    client.force_login(organizer)  # a school has no 研習課程資料確認
    assert client.get("/review/change-requests/").status_code == 403
    assert client.get(detail).status_code == 403
    client.force_login(StaffFactory(unit=other_center(), role=StaffRole.OPERATOR).user)
    assert client.get("/review/change-requests/").context["page"].paginator.count == 0
    assert client.get(detail).status_code == 404
    assert client.post(detail, {"decision": "approve"}).status_code == 404
    request.refresh_from_db()
    assert request.state == ChangeRequest.State.PENDING


def test_national_center_pages(client, course, organizer, reviewer, national):
    request = ask(course, organizer)
    changes.decide_change_request(actor=reviewer, change_request=request, approve=True)
    page = f"/national/change-requests/{request.pk}/"
    for user in (organizer, reviewer):  # a school and the regional center: not theirs to do
        client.force_login(user)
        assert client.get("/national/change-requests/").status_code == 403
        assert client.post(page).status_code == 403
    client.logout()
    assert client.get("/national/change-requests/").status_code == 302
    client.force_login(national)
    response = client.get("/national/change-requests/")
    assert [r.pk for r in response.context["page"].object_list] == [request.pk]
    assert "確認辦理修改" in client.get(page).content.decode()
    response = client.post(page)
    assert response.status_code == 302
    request.refresh_from_db()
    course.refresh_from_db()
    assert request.state == ChangeRequest.State.DONE and course.published == request.proposed
    # done: the page shows it without the button, the history shows the step
    assert "確認辦理修改" not in client.get(page).content.decode()
    client.force_login(organizer)
    body = client.get(f"/manage/courses/{course.code}/history/").content.decode()
    assert "全國推廣中心完成修改" in body and "區管中心同意修改申請" in body


def test_superuser_counts_as_national_center(client, course, organizer, reviewer):
    request = ask(course, organizer)
    changes.decide_change_request(actor=reviewer, change_request=request, approve=True)
    admin = UserFactory(kind=User.Kind.STAFF, is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.post(f"/national/change-requests/{request.pk}/").status_code == 302
