"""Auto-review (附件一 二(三)5): each of the three conditions passing and failing, the
chief-only settings page and its audit, and the browse page of what was auto-approved."""

import pytest

from inservice.accounts.models import StaffRole
from inservice.catalog import codes
from inservice.core.errors import PermissionDeniedError
from inservice.core.models import AuditEvent
from inservice.courses.models import AutoReviewSetting, CourseStatus
from inservice.courses.services import lifecycle
from inservice.courses.services.review import autoreview_log, set_autoreview
from inservice.organizations import reference_data as ref
from inservice.organizations.models import County, Unit, UnitKind
from inservice.organizations.routing import reviewing_center
from tests.factories import StaffFactory, UnitFactory, make_course, routable_unit

pytestmark = pytest.mark.django_db

# Condition 1, written out from the regulation: 高中職、國中、國小、幼兒園、特殊教育學校及研習中心.
ELIGIBLE_KINDS = {
    UnitKind.SENIOR_HIGH,
    UnitKind.VOCATIONAL_HIGH,
    UnitKind.JUNIOR_HIGH,
    UnitKind.ELEMENTARY,
    UnitKind.KINDERGARTEN,
    UnitKind.SPECIAL_ED_SCHOOL,
    UnitKind.TRAINING_CENTER,
}
SETTINGS = "/review/autoreview/settings/"
LOG = "/review/autoreview/log/"


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def bureau(taipei):
    return Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county=taipei)


@pytest.fixture
def school(taipei):
    return UnitFactory(county=taipei)


def switch_on(center, courses=True, attendance_lists=False):
    AutoReviewSetting.objects.update_or_create(
        center=center, defaults={"courses": courses, "attendance_lists": attendance_lists}
    )


# --------------------------------------------------------------------------- condition 1


@pytest.mark.parametrize("kind", list(UnitKind))
def test_condition_1_unit_kinds(kind):
    unit = routable_unit(kind)
    switch_on(reviewing_center(unit))
    course = make_course(unit, submit=True)
    if kind in ELIGIBLE_KINDS:
        assert course.status == CourseStatus.PUBLISHED, kind
        assert course.published.auto_approved and course.published.reviewed_by is None
    else:
        assert course.status == CourseStatus.PENDING, kind
        failed = lifecycle.autoreview_check(course, course.working, course.reviewing_center)
        assert failed == ["開課單位不是高中職、國中、國小、幼兒園、特殊教育學校或研習中心。"]


# --------------------------------------------------------------------------- condition 2


def _class_type_overrides(code):
    if code in {"1-5", "1-6", "1-7", "1-8"}:  # credit and degree classes: 18 hours a credit
        return {"class_type": code, "credits": 2, "hours": 36}
    return {"class_type": code}


CLASS_TYPES = [f"1-{i}" for i in range(1, 9)]


@pytest.mark.parametrize("class_type", CLASS_TYPES)
def test_condition_2_class_types(bureau, school, class_type):
    switch_on(bureau)
    course = make_course(school, submit=True, **_class_type_overrides(class_type))
    if class_type in {"1-1", "1-2"}:
        assert course.status == CourseStatus.PUBLISHED and course.published.auto_approved
    else:
        assert course.status == CourseStatus.PENDING
        (failed,) = lifecycle.autoreview_check(course, course.working, bureau)
        assert "非學分班" in failed


def test_all_eight_class_types_are_covered():
    assert [c for c, _n in codes.choices("class_type")] == CLASS_TYPES


@pytest.mark.parametrize("doc", ["", "   "])
def test_condition_2_needs_a_basis_document_number(bureau, school, doc):
    switch_on(bureau)
    draft = make_course(school, basis_doc_number=doc)
    (failed,) = lifecycle.autoreview_check(draft, draft.working, bureau)
    assert "依據文號" in failed


def test_condition_2_passes_with_a_basis_document_number(bureau, school):
    switch_on(bureau)
    draft = make_course(school, basis_doc_number="北市教研字第1140000001號")
    assert lifecycle.autoreview_check(draft, draft.working, bureau) == []


# --------------------------------------------------------------------------- condition 3


def test_condition_3_never_switched_on(school):
    course = make_course(school, submit=True)
    assert course.status == CourseStatus.PENDING
    (failed,) = lifecycle.autoreview_check(course, course.working, course.reviewing_center)
    assert "未開啟課程自動審核" in failed


def test_condition_3_switched_off_or_only_for_lists(bureau, school):
    switch_on(bureau, courses=False, attendance_lists=True)
    assert make_course(school, submit=True).status == CourseStatus.PENDING


def test_condition_3_another_centers_switch_does_not_count(school):
    switch_on(Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="64000"))
    switch_on(Unit.objects.get(code=ref.K12_ELEMENTARY_JUNIOR))
    assert make_course(school, submit=True).status == CourseStatus.PENDING


def test_condition_3_switched_on(bureau, school):
    switch_on(bureau)
    course = make_course(school, submit=True)
    assert course.status == CourseStatus.PUBLISHED and course.published.auto_approved
    assert AuditEvent.objects.filter(action="course.auto_approved").exists()


def test_a_change_of_a_published_course_is_auto_approved_too(bureau, school):
    switch_on(bureau)
    course = make_course(school, submit=True)
    operator = StaffFactory(unit=school, role=StaffRole.OPERATOR).user
    lifecycle.save_course(actor=operator, course=course, data={"name": "修正後名稱"})
    lifecycle.submit_course(actor=operator, course=course)
    course.refresh_from_db()
    assert course.published.name == "修正後名稱" and course.published.auto_approved


# --------------------------------------------------------------------------- the service


def test_set_autoreview_is_audited_with_before_and_after(bureau):
    chief = StaffFactory(unit=bureau, role=StaffRole.CHIEF).user
    set_autoreview(actor=chief, center=bureau, courses=True, attendance_lists=False)
    setting = AutoReviewSetting.objects.get(center=bureau)
    assert setting.courses and not setting.attendance_lists
    assert setting.changed_by == chief and setting.changed_at is not None
    set_autoreview(actor=chief, center=bureau, courses=True, attendance_lists=True)
    events = list(AuditEvent.objects.filter(action="courses.autoreview_changed").order_by("pk"))
    assert [(e.before, e.after) for e in events] == [
        (
            {"courses": False, "attendance_lists": False},
            {"courses": True, "attendance_lists": False},
        ),
        (
            {"courses": True, "attendance_lists": False},
            {"courses": True, "attendance_lists": True},
        ),
    ]
    assert all(e.actor == chief and e.object_id == str(bureau.pk) for e in events)
    set_autoreview(actor=chief, center=bureau, courses=True, attendance_lists=True)
    assert AuditEvent.objects.filter(action="courses.autoreview_changed").count() == 2


@pytest.mark.parametrize("role", [StaffRole.CONTACT, StaffRole.OPERATOR])
def test_set_autoreview_refuses_other_roles(bureau, role):
    with pytest.raises(PermissionDeniedError):
        set_autoreview(
            actor=StaffFactory(unit=bureau, role=role).user,
            center=bureau,
            courses=True,
            attendance_lists=True,
        )
    assert not AutoReviewSetting.objects.filter(center=bureau).exists()


def test_set_autoreview_refuses_another_centers_chief(bureau):
    other = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="64000")
    with pytest.raises(PermissionDeniedError):
        set_autoreview(
            actor=StaffFactory(unit=other, role=StaffRole.CHIEF).user,
            center=bureau,
            courses=True,
            attendance_lists=False,
        )


# --------------------------------------------------------------------------- settings page


def test_the_chief_sees_and_changes_the_switches(client, bureau):
    chief = StaffFactory(unit=bureau, role=StaffRole.CHIEF).user
    client.force_login(chief)
    page = client.get(SETTINGS)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<legend>開啟自動審核通過</legend>" in body
    assert 'name="courses"' in body and 'name="attendance_lists"' in body
    assert "尚未設定過" in body
    response = client.post(SETTINGS, {"courses": "on"}, follow=True)
    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "已儲存本中心的自動審核設定" in response.content.decode()
    setting = AutoReviewSetting.objects.get(center=bureau)
    assert setting.courses and not setting.attendance_lists
    assert 'name="courses" id="id_courses" checked' in response.content.decode()
    client.post(SETTINGS, {"attendance_lists": "on"})
    setting.refresh_from_db()
    assert not setting.courses and setting.attendance_lists


@pytest.mark.parametrize("role", [StaffRole.CONTACT, StaffRole.OPERATOR])
def test_contact_and_operator_get_403(client, bureau, role):
    client.force_login(StaffFactory(unit=bureau, role=role).user)
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, {"courses": "on"}).status_code == 403
    assert not AutoReviewSetting.objects.filter(center=bureau).exists()


@pytest.mark.parametrize(
    "code", [ref.MOE, ref.NATIONAL_CENTER, ref.K12_PRESCHOOL, ref.REVIEW_PANEL, ref.WORKING_CIRCLE]
)
def test_every_kind_of_centers_chief_may_set_its_own(client, code):
    center = Unit.objects.get(code=code)
    client.force_login(StaffFactory(unit=center, role=StaffRole.CHIEF).user)
    client.post(SETTINGS, {"courses": "on", "attendance_lists": "on"})
    setting = AutoReviewSetting.objects.get(center=center)
    assert setting.courses and setting.attendance_lists


def test_a_school_chief_gets_403(client, school):
    client.force_login(StaffFactory(unit=school, role=StaffRole.CHIEF).user)
    assert client.get(SETTINGS).status_code == 403
    assert client.get(LOG).status_code == 403


def test_anonymous_is_sent_to_login(client):
    for path in (SETTINGS, LOG):
        response = client.get(path)
        assert response.status_code == 302 and "login" in response["Location"]


# --------------------------------------------------------------------------- browse page


def test_the_log_lists_what_was_auto_approved_newest_first(client, bureau, school, taipei):
    switch_on(bureau)
    submitter = StaffFactory(unit=school, role=StaffRole.OPERATOR, user__real_name="陳送審")
    first = make_course(actor=submitter.user, submit=True, name="第一門自動審核")
    second = make_course(actor=submitter.user, submit=True, name="第二門自動審核")
    manual = make_course(
        UnitFactory(county=taipei, kind=UnitKind.LOCAL_AGENCY), submit=True, name="人工審核"
    )
    other = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="64000")
    switch_on(other)
    elsewhere = make_course(UnitFactory(county=other.county), submit=True, name="高雄自動審核")
    assert elsewhere.status == CourseStatus.PUBLISHED
    assert manual.status == CourseStatus.PENDING

    assert [v.course for v in autoreview_log(bureau)] == [second, first]

    client.force_login(StaffFactory(unit=bureau, role=StaffRole.OPERATOR).user)
    response = client.get(LOG)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("第二門自動審核") < body.index("第一門自動審核")
    assert str(first.code) in body and school.name in body and "陳送審" in body
    assert "人工審核" not in body and "高雄自動審核" not in body
    assert "目前課程自動審核：開啟" in body


@pytest.mark.parametrize("role", [StaffRole.CHIEF, StaffRole.CONTACT, StaffRole.OPERATOR])
def test_every_role_of_a_center_may_browse(client, bureau, role):
    client.force_login(StaffFactory(unit=bureau, role=role).user)
    assert client.get(LOG).status_code == 200


def test_the_log_is_paginated(client, bureau, school, monkeypatch):
    from inservice.courses import views_review

    monkeypatch.setattr(views_review, "LOG_PAGE_SIZE", 2)
    switch_on(bureau)
    for _ in range(3):
        make_course(school, submit=True)
    client.force_login(StaffFactory(unit=bureau, role=StaffRole.OPERATOR).user)
    first = client.get(LOG)
    assert len(first.context["page"].object_list) == 2
    assert 'href="?page=2"' in first.content.decode()
    assert len(client.get(LOG, {"page": 2}).context["page"].object_list) == 1
