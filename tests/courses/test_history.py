"""Course history /manage/courses/<code>/history/: every version with its diff and the audit
events, for the course's unit, its reviewing center and the national center only."""

import pytest

from inservice.accounts.models import StaffRole, User
from inservice.courses import selectors
from inservice.courses.services import lifecycle
from inservice.organizations.models import County, Unit, UnitKind
from tests.factories import StaffFactory, TeacherFactory, UnitFactory, UserFactory, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def course(taipei):
    """Published, then a change approved: two versions, the second one public."""
    unit = UnitFactory(county=taipei)
    course = make_course(unit, approve=True, name="閱讀理解策略研習")
    operator = StaffFactory(unit=unit, role=StaffRole.OPERATOR, user__real_name="李承辦").user
    lifecycle.save_course(
        actor=operator,
        course=course,
        data={"name": "閱讀理解策略研習（第二場）", "hours": 6, "delivery": ["11-1", "11-3"]},
        change_reason="增開第二場並延長時數",
    )
    lifecycle.submit_course(actor=operator, course=course)
    reviewer = StaffFactory(
        unit=course.reviewing_center, role=StaffRole.OPERATOR, user__real_name="張審核"
    ).user
    lifecycle.approve_course(actor=reviewer, course=course, note="同意")
    course.refresh_from_db()
    return course


def url(course):
    return f"/manage/courses/{course.code}/history/"


def test_history_shows_versions_diffs_and_events(client, course):
    client.force_login(StaffFactory(unit=course.unit).user)
    response = client.get(url(course))
    assert response.status_code == 200
    body = response.content.decode()
    assert "第 1 版" in body and "第 2 版" in body
    assert "已被新版本取代" in body and "目前公告版本" in body
    assert "增開第二場並延長時數" in body  # the change reason
    assert "同意" in body and "張審核" in body and "李承辦" in body  # who
    # field-by-field diff with code names
    assert "閱讀理解策略研習（第二場）" in body
    assert "11-1 講授" in body
    # audit events with readable names
    for label in ("建立課程", "送審", "審核通過", "儲存課程內容"):
        assert label in body, label


def test_diff_versions_lists_changed_fields_only(course):
    v1, v2 = course.versions.order_by("number")
    changes = {c.field: c for c in selectors.diff_versions(v1, v2)}
    assert set(changes) == {"name", "hours", "delivery"}
    assert changes["hours"].old == "3" and changes["hours"].new == "6"
    assert changes["hours"].number == "13"
    assert changes["delivery"].new == "11-1 講授、11-3 工作坊"


def test_visible_to_the_unit_the_reviewer_and_the_national_center(client, course):
    national = Unit.objects.get(kind=UnitKind.NATIONAL_CENTER)
    allowed = [
        StaffFactory(unit=course.unit, role=StaffRole.CHIEF).user,
        StaffFactory(unit=course.unit, role=StaffRole.CONTACT).user,
        StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user,
        StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user,
        StaffFactory(unit=course.reviewing_center, role=StaffRole.CHIEF).user,
        StaffFactory(unit=national, role=StaffRole.OPERATOR).user,
        UserFactory(kind=User.Kind.STAFF, is_superuser=True, is_staff=True),
    ]
    for user in allowed:
        client.force_login(user)
        assert client.get(url(course)).status_code == 200, user


def test_other_units_and_other_centers_get_404(client, course, taipei):
    other_county_bureau = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="65000")
    k12 = Unit.objects.filter(kind=UnitKind.K12_ADMIN_GROUP).first()
    panel = Unit.objects.get(kind=UnitKind.REVIEW_PANEL)
    denied = [
        StaffFactory(unit=UnitFactory(county=taipei)).user,  # another school, same county
        StaffFactory(unit=other_county_bureau, role=StaffRole.OPERATOR).user,
        StaffFactory(unit=k12, role=StaffRole.OPERATOR).user,
        StaffFactory(unit=panel, role=StaffRole.CHIEF).user,
        TeacherFactory(user=UserFactory(kind=User.Kind.TEACHER), serving_unit=course.unit).user,
    ]
    for user in denied:
        client.force_login(user)
        assert client.get(url(course)).status_code == 404, user
    client.logout()
    response = client.get(url(course))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_course_is_404(client, course):
    client.force_login(StaffFactory(unit=course.unit).user)
    assert client.get("/manage/courses/999999999/history/").status_code == 404
