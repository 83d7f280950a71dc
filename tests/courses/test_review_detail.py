"""The reviewer's view of one course: the 26 fields with code names, the change against the
published version, attachments, flags; approve (with a note) and return (with a reason);
other centers and other units never see it."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from inservice.accounts.models import StaffRole
from inservice.core.models import AuditEvent
from inservice.courses.models import CourseAttachment, CourseStatus, VersionState
from inservice.courses.services import lifecycle
from inservice.notifications.models import OutboundEmail
from inservice.organizations import reference_data as ref
from inservice.organizations.models import County, Unit, UnitKind
from tests.factories import StaffFactory, UnitFactory, course_dates, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def bureau(taipei):
    return Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county=taipei)


@pytest.fixture
def school(taipei):
    return UnitFactory(county=taipei)


@pytest.fixture
def reviewer(bureau):
    return StaffFactory(unit=bureau, role=StaffRole.CONTACT).user


@pytest.fixture
def as_reviewer(client, reviewer):
    client.force_login(reviewer)
    return client


def detail(code):
    return f"/review/{code}/"


def test_url_names():
    assert reverse("courses:review_detail", args=[5000001]) == "/review/5000001/"
    assert reverse("courses:review_approve", args=[5000001]) == "/review/5000001/approve/"
    assert reverse("courses:review_return", args=[5000001]) == "/review/5000001/return/"


def test_all_26_fields_with_their_codes_and_names(as_reviewer, school):
    course = make_course(
        school,
        submit=True,
        tags=[],
        delivery=["11-3", "11-99"],
        delivery_other="線上共備",
        target_titles=["15-4", "15-99"],
        target_title_other="實習輔導教師",
        contact2_name="李承辦",
        contact2_email="second@school.example",
    )
    response = as_reviewer.get(detail(course.code))
    assert response.status_code == 200
    body = response.content.decode()
    numbers = [row.number for _heading, rows in response.context["sections"] for row in rows]
    assert [n for n in numbers if n] == list(range(1, 27))
    for shown in [
        "1. 班別類別",
        "1-2 非學分班(校本研習)",
        "2-1 ",
        "依據文號：北市教研字第1140001234號",
        "數學領域差異化教學工作坊",
        "5-1 課程、教學及評量",
        "適用階段：國小教師",
        "1-3-6 差異化教學",
        "7-2 ",
        "姓名：吳講師",
        "8-2 ",
        "以實例說明差異化教學的設計與評量。",
        "11-3 工作坊",
        "其他：線上共備",
        "12-1 週一至週五白天",
        "3.0 小時",
        "14-4 國小",
        "15-4 ",
        "其他：實習輔導教師",
        "報名開放時間：00:00",
        "13:30–16:30 本校視聽教室",
        "21-7 ",
        "22-3 ",
        "25-1 姓名：王承辦",
        "25-2 姓名：李承辦",
        "26-1 ",
        "26. 課程意見回饋問卷",
    ]:
        assert shown in body, shown
    assert "<h3>課程訊息</h3>" in body and "<h3>報名資訊</h3>" in body and "<h3>其他</h3>" in body
    assert f'action="/review/{course.code}/approve/"' in body
    assert f'action="/review/{course.code}/return/"' in body


def test_attachments_are_listed(as_reviewer, school):
    course = make_course(school, submit=True)
    CourseAttachment.objects.create(
        course=course,
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="x.pdf"),
        original_name="課程計畫.pdf",
        content_type="application/pdf",
        size=15,
        sha256="0" * 64,
        is_public=False,
    )
    body = as_reviewer.get(detail(course.code)).content.decode()
    assert "課程計畫.pdf" in body and "application/pdf" in body and "不公開" in body
    assert "共 1 個附件" in body


def test_flags_are_shown_with_their_severity(as_reviewer, school):
    course = make_course(
        school, submit=True, name="教師瑜珈紓壓", **course_dates(datetime.date.today())
    )
    body = as_reviewer.get(detail(course.code)).content.decode()
    assert 'data-flag="art9_leisure"' in body and "[需審酌]" in body
    assert 'data-flag="late_registration"' in body and "[提醒]" in body


def test_a_change_of_a_published_course_shows_old_and_new_field_by_field(as_reviewer, school):
    course = make_course(school, approve=True)
    operator = StaffFactory(unit=school, role=StaffRole.OPERATOR).user
    lifecycle.save_course(
        actor=operator,
        course=course,
        data={"name": "差異化教學工作坊（修正）", "hours": "6.0", "delivery": ["11-1"]},
        change_reason="講師增加一場",
    )
    lifecycle.submit_course(actor=operator, course=course)
    response = as_reviewer.get(detail(course.code))
    diff = {row.number: row for row in response.context["diff"]}
    assert set(diff) == {3, 11, 13}
    assert diff[3].old[0] == "數學領域差異化教學工作坊"
    assert diff[3].new[0] == "差異化教學工作坊（修正）"
    assert diff[11].old == ("11-3 工作坊",) and diff[11].new == ("11-1 講授",)
    assert diff[13].old == ("3.0 小時",) and diff[13].new == ("6.0 小時",)
    body = response.content.decode()
    assert "修改內容對照" in body and "講師增加一場" in body
    assert "原公告版本繼續公開" in body


def test_a_new_course_has_no_diff(as_reviewer, school):
    course = make_course(school, submit=True)
    response = as_reviewer.get(detail(course.code))
    assert response.context["previous"] is None
    assert "修改內容對照" not in response.content.decode()


def test_a_course_not_waiting_for_review_is_read_only(as_reviewer, school):
    course = make_course(school, approve=True)
    body = as_reviewer.get(detail(course.code)).content.decode()
    assert "這門課程目前沒有待審核的內容" in body
    assert "/approve/" not in body and "/return/" not in body


# --------------------------------------------------------------------------- decisions


def test_approve_with_a_note(as_reviewer, reviewer, school):
    course = make_course(school, submit=True)
    response = as_reviewer.post(f"/review/{course.code}/approve/", {"note": "內容完整"})
    assert response.status_code == 302 and response["Location"] == "/review/"
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert course.published.review_note == "內容完整"
    assert course.published.reviewed_by == reviewer
    mail = OutboundEmail.objects.get(template="course_approved")
    assert "內容完整" in mail.body_text
    assert AuditEvent.objects.filter(action="course.approved", actor=reviewer).exists()


def test_approve_without_a_note(as_reviewer, school):
    course = make_course(school, submit=True)
    as_reviewer.post(f"/review/{course.code}/approve/", {})
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED


def test_return_needs_a_reason(as_reviewer, school):
    course = make_course(school, submit=True)
    response = as_reviewer.post(f"/review/{course.code}/return/", {"reason": "   "})
    assert response.status_code == 200
    assert "退回時請說明原因" in response.content.decode()
    course.refresh_from_db()
    assert course.status == CourseStatus.PENDING
    assert not OutboundEmail.objects.filter(template="course_returned").exists()


def test_return_with_a_reason_mails_the_contacts(as_reviewer, school):
    course = make_course(
        school, submit=True, contact2_name="李承辦", contact2_email="second@school.example"
    )
    response = as_reviewer.post(
        f"/review/{course.code}/return/", {"reason": "請補充上課地點的教室名稱"}
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.RETURNED
    assert course.working.state == VersionState.RETURNED
    mails = OutboundEmail.objects.filter(template="course_returned")
    assert {m.to for m in mails} == {"contact@school.example", "second@school.example"}
    assert all("請補充上課地點的教室名稱" in m.body_text for m in mails)


def test_deciding_twice_is_refused_with_a_message(as_reviewer, school):
    course = make_course(school, submit=True)
    as_reviewer.post(f"/review/{course.code}/approve/", {})
    response = as_reviewer.post(f"/review/{course.code}/return/", {"reason": "太晚了"}, follow=True)
    assert response.redirect_chain == [(f"/review/{course.code}/", 302)]
    assert "此課程目前沒有待審核的內容" in response.content.decode()
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED


def test_decisions_are_post_only(as_reviewer, school):
    course = make_course(school, submit=True)
    assert as_reviewer.get(f"/review/{course.code}/approve/").status_code == 405
    assert as_reviewer.get(f"/review/{course.code}/return/").status_code == 405


# --------------------------------------------------------------------------- who may


def _all_paths(code):
    return [
        ("get", detail(code)),
        ("post", f"/review/{code}/approve/"),
        ("post", f"/review/{code}/return/"),
    ]


@pytest.mark.parametrize(
    "center_code",
    [ref.NATIONAL_CENTER, ref.K12_ELEMENTARY_JUNIOR, ref.REVIEW_PANEL, ref.WORKING_CIRCLE],
)
def test_other_centers_get_404(client, school, center_code):
    course = make_course(school, submit=True)
    client.force_login(
        StaffFactory(unit=Unit.objects.get(code=center_code), role=StaffRole.CHIEF).user
    )
    for method, path in _all_paths(course.code):
        assert getattr(client, method)(path, {"reason": "x"}).status_code == 404, path
    course.refresh_from_db()
    assert course.status == CourseStatus.PENDING


def test_another_county_bureau_gets_404(client, school):
    course = make_course(school, submit=True)
    kaohsiung = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="64000")
    client.force_login(StaffFactory(unit=kaohsiung, role=StaffRole.OPERATOR).user)
    for method, path in _all_paths(course.code):
        assert getattr(client, method)(path).status_code == 404, path


def test_an_unknown_course_is_404(as_reviewer):
    assert as_reviewer.get(detail(999999999)).status_code == 404


def test_the_organizer_unit_gets_403(client, school):
    course = make_course(school, submit=True)
    client.force_login(StaffFactory(unit=school, role=StaffRole.CHIEF).user)
    for method, path in _all_paths(course.code):
        assert getattr(client, method)(path).status_code == 403, path


def test_a_deactivated_reviewer_is_refused(client, bureau, school):
    from inservice.accounts.models import StaffStatus

    course = make_course(school, submit=True)
    staff = StaffFactory(unit=bureau, role=StaffRole.CHIEF, status=StaffStatus.PENDING)
    client.force_login(staff.user)
    assert client.get(detail(course.code)).status_code == 403


def test_anonymous_is_sent_to_login(client, school):
    course = make_course(school, submit=True)
    for method, path in _all_paths(course.code):
        response = getattr(client, method)(path)
        assert response.status_code == 302 and "login" in response["Location"]


def test_mails_are_plain_text_not_html_escaped(as_reviewer, school):
    course = make_course(school, submit=True, name="A&B 跨域「共備」研習")
    as_reviewer.post(f"/review/{course.code}/return/", {"reason": "請將 <教室> 與 A&B 寫清楚"})
    mail = OutboundEmail.objects.get(template="course_returned")
    assert "A&B 跨域「共備」研習" in mail.body_text
    assert "請將 <教室> 與 A&B 寫清楚" in mail.body_text
    assert "臺北市政府教育局" in mail.body_text and "&amp;" not in mail.body_text
