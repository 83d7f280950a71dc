"""Organizer pages over HTTP: create, edit (stale edits refused), submit with every problem
listed, withdraw a change, cancel; who may use them (403/404)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from inservice.accounts.models import StaffRole, StaffStatus, User
from inservice.courses.models import Course, CourseStatus, VersionState
from inservice.courses.services import lifecycle
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County, Unit, UnitKind
from tests.factories import (
    StaffFactory,
    UnitFactory,
    UserFactory,
    course_form_data,
    make_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def school(taipei):
    return UnitFactory(county=taipei, kind=UnitKind.ELEMENTARY)


@pytest.fixture
def operator(school):
    return StaffFactory(unit=school, role=StaffRole.OPERATOR).user


@pytest.fixture
def logged_in(client, operator):
    client.force_login(operator)
    return client


def url(name, course=None):
    return reverse(f"courses:{name}", args=[course.code] if course else [])


def page(response):
    return response.content.decode()


# --- create --------------------------------------------------------------------------------


def test_save_a_draft_with_sessions(logged_in, school):
    day = datetime.date.today() + datetime.timedelta(days=30)
    post = course_form_data(
        start_date=day, end_date=day, sessions=[(day, "13:30", "16:30", "")], _save="1"
    )
    response = logged_in.post(url("create"), post)
    course = Course.objects.get(unit=school)
    assert response.status_code == 302 and response["Location"] == url("manage_detail", course)
    assert course.status == CourseStatus.DRAFT and course.name == "數學領域差異化教學工作坊"
    session = course.working.sessions.get()
    assert session.date == day and session.hours == Decimal("3")
    assert course.working.delivery == ["11-3"]


def test_save_and_submit_routes_the_course(logged_in, school):
    response = logged_in.post(url("create"), course_form_data(_submit="1"))
    course = Course.objects.get(unit=school)
    assert response.status_code == 302
    assert course.status == CourseStatus.PENDING
    assert course.reviewing_center.kind == UnitKind.COUNTY_BUREAU
    detail = page(logged_in.get(response["Location"]))
    assert "等待" in detail and "審核中" in detail


def test_a_refused_submit_lists_every_problem_and_creates_nothing(logged_in, school):
    post = course_form_data(
        name="",
        hours="2.3",
        classes="0",
        contact1_phone="123",
        contact1_email="",
        delivery=["11-99"],
        category="5-2",
        topic_item="1-3-6",
        _submit="1",
    )
    response = logged_in.post(url("create"), post)
    assert response.status_code == 200
    html = page(response)
    for message in (
        "請填寫「研習名稱」",
        "0.5 小時為單位",
        "至少為 1 班",
        "格式不正確",
        "已勾選「11-99 其他」",
        "不屬於進修範疇「5-2 班級經營與輔導」",
    ):
        assert message in html, message
    assert 'id="error-summary"' in html and 'href="#field-name"' in html
    assert 'id="id_hours_error"' in html  # each problem also on its field
    assert not Course.objects.filter(unit=school).exists()
    assert 'value="2.3"' in html  # the organizer's input is kept


def test_a_draft_with_an_unknown_code_is_refused(logged_in, school):
    response = logged_in.post(url("create"), course_form_data(class_type="1-9", _save="1"))
    assert response.status_code == 200
    assert "「1-9」不是「班別類別」的代碼。" in page(response)
    assert not Course.objects.filter(unit=school).exists()


def test_refresh_rerenders_without_saving(logged_in, school):
    response = logged_in.post(
        url("create"), course_form_data(category="5-2", topic_item="", _refresh="1")
    )
    assert response.status_code == 200
    html = page(response)
    assert 'value="2-1-5"' in html and 'value="1-3-6"' not in html
    assert not Course.objects.filter(unit=school).exists()


# --- edit ----------------------------------------------------------------------------------


def test_edit_carries_the_revision_and_saves(logged_in, operator):
    course = make_course(actor=operator)
    form = page(logged_in.get(url("edit", course)))
    assert f'name="revision" value="{course.revision}"' in form
    assert 'value="數學領域差異化教學工作坊"' in form
    post = course_form_data(revision=course.revision, name="新的名稱", _save="1")
    assert logged_in.post(url("edit", course), post).status_code == 302
    course.refresh_from_db()
    assert course.name == "新的名稱" and course.revision == 1 + int(post["revision"])


def test_a_stale_edit_is_refused_and_overwrites_nothing(client, logged_in, operator, school):
    course = make_course(actor=operator)
    seen = course.revision
    colleague = StaffFactory(unit=school, role=StaffRole.CONTACT).user
    other = client.__class__()
    other.force_login(colleague)
    assert (
        other.post(
            url("edit", course), course_form_data(revision=seen, name="同事的版本", _save="1")
        ).status_code
        == 302
    )
    response = logged_in.post(
        url("edit", course), course_form_data(revision=seen, name="我的版本", _save="1")
    )
    assert response.status_code == 200
    assert lifecycle.STALE_EDIT in page(response)
    assert "載入最新的課程內容" in page(response)
    assert 'value="我的版本"' in page(response)  # the input is shown again, not lost silently
    course.refresh_from_db()
    assert course.working.name == "同事的版本" and course.revision == seen + 1


def test_a_missing_revision_is_refused(logged_in, operator):
    course = make_course(actor=operator)
    post = course_form_data(name="沒有版本號", _save="1")
    response = logged_in.post(url("edit", course), post)
    assert response.status_code == 200
    course.refresh_from_db()
    assert course.name != "沒有版本號"


def test_editing_a_published_course_keeps_the_published_version(logged_in, operator):
    course = make_course(actor=operator, approve=True)
    published = course.published
    form = page(logged_in.get(url("edit", course)))
    assert "修改說明" in form and "仍顯示原公告內容" in form
    post = course_form_data(
        revision=course.revision, name="改名", change_reason="更正名稱", _save="1"
    )
    assert logged_in.post(url("edit", course), post).status_code == 302
    course.refresh_from_db()
    assert course.published == published and course.name == published.name
    assert course.working.name == "改名" and course.working.change_reason == "更正名稱"
    detail = page(logged_in.get(url("manage_detail", course)))
    assert "待審修改" in detail and "撤回修改" in detail


def test_edit_is_closed_while_under_review(logged_in, operator):
    course = make_course(actor=operator, submit=True)
    response = logged_in.get(url("edit", course))
    assert response.status_code == 302
    assert "審核中" in page(logged_in.get(response["Location"]))


# --- submit / withdraw / cancel -------------------------------------------------------------


def test_submit_a_stored_draft(logged_in, operator):
    course = make_course(actor=operator)
    response = logged_in.post(url("submit", course), {"revision": course.revision})
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.PENDING


def test_submit_an_incomplete_draft_shows_the_form_with_every_problem(logged_in, operator):
    course = make_course(actor=operator, name="", classes=0, basis_doc_number="")
    detail = page(logged_in.get(url("manage_detail", course)))
    assert "送審前還需要修正" in detail and "至少為 1 班" in detail
    response = logged_in.post(url("submit", course), {"revision": course.revision})
    assert response.status_code == 200
    html = page(response)
    for message in ("請填寫「研習名稱」", "至少為 1 班", "附件九第8條"):
        assert message in html
    assert f'action="{url("edit", course)}"' in html
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT and course.working.state == VersionState.DRAFT


def test_submit_with_a_stale_revision_is_refused(logged_in, operator):
    course = make_course(actor=operator)
    response = logged_in.post(url("submit", course), {"revision": course.revision - 1})
    assert response.status_code == 302
    assert lifecycle.STALE_EDIT in page(logged_in.get(response["Location"]))
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT


def test_withdraw_a_change(logged_in, operator):
    course = make_course(actor=operator, approve=True)
    lifecycle.save_course(actor=operator, course=course, data={"name": "改名"})
    course.refresh_from_db()
    response = logged_in.post(url("withdraw", course), {"revision": course.revision})
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.working is None and course.published.name == "數學領域差異化教學工作坊"


def test_cancel_needs_a_reason_and_notifies(logged_in, operator):
    course = make_course(actor=operator, approve=True)
    assert "確定取消課程" in page(logged_in.get(url("cancel", course)))
    refused = logged_in.post(url("cancel", course), {"reason": "", "revision": course.revision})
    assert refused.status_code == 200
    response = logged_in.post(
        url("cancel", course), {"reason": "講師臨時無法出席", "revision": course.revision}
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.CANCELLED
    assert OutboundEmail.objects.filter(template="course_cancelled").exists()
    detail = page(logged_in.get(url("manage_detail", course)))
    assert "講師臨時無法出席" in detail and "取消課程" not in detail.split("動作")[1]


def test_the_detail_page_shows_status_version_and_review_note(logged_in, operator):
    course = make_course(actor=operator, submit=True)
    reviewer = StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user
    lifecycle.return_course(actor=reviewer, course=course, reason="請補充上課地點")
    html = page(logged_in.get(url("manage_detail", course)))
    assert str(course.code) in html and "退回修正" in html and "請補充上課地點" in html
    assert "1-2 非學分班(校本研習)" in html and "5-1 課程、教學及評量" in html


# --- who may use the pages -----------------------------------------------------------------

COURSE_VIEWS = ["manage_detail", "edit", "submit", "withdraw", "cancel", "attachments"]


@pytest.mark.parametrize("name", COURSE_VIEWS)
def test_other_units_and_reviewers_get_404(client, taipei, name):
    course = make_course(UnitFactory(county=taipei), submit=name == "manage_detail")
    strangers = [StaffFactory(unit=UnitFactory(county=taipei)).user]
    if course.reviewing_center:
        strangers.append(StaffFactory(unit=course.reviewing_center).user)
    for stranger in strangers:
        client.force_login(stranger)
        response = (
            client.post(url(name, course), {"revision": course.revision})
            if name in ("submit", "withdraw")
            else client.get(url(name, course))
        )
        assert response.status_code == 404
    client.force_login(strangers[0])
    assert client.get(reverse("courses:manage_detail", args=[9_999_999])).status_code == 404


@pytest.mark.parametrize("name", ["create", *COURSE_VIEWS])
def test_accounts_without_course_register_get_403(client, taipei, name):
    course = make_course(UnitFactory(county=taipei))
    target = url("create") if name == "create" else url(name, course)
    assert client.get(target).status_code == 302  # anonymous → login
    for user in (
        UserFactory(kind=User.Kind.TEACHER),
        StaffFactory(unit=course.unit, status=StaffStatus.PENDING).user,
        StaffFactory(unit=course.unit, status=StaffStatus.DEACTIVATED, user__is_active=True).user,
    ):
        client.force_login(user)
        assert client.get(target).status_code == 403


@pytest.mark.parametrize("kind", list(UnitKind))
def test_every_role_of_every_unit_kind_may_register_courses(client, kind):
    if kind in (UnitKind.MOE, UnitKind.NATIONAL_CENTER):
        unit = Unit.objects.filter(kind=kind).first()
    else:
        unit = UnitFactory(kind=kind)
    for role in StaffRole:
        client.force_login(StaffFactory(unit=unit, role=role).user)
        assert client.get(url("create")).status_code == 200, (kind, role)
