"""The closing pages: who may open each (a table over every view and kind of visitor), and the
submit / confirm / return forms end to end."""

import pytest

from inservice.accounts.models import StaffRole
from inservice.attendance.models import AttendanceList, ListState
from inservice.courses.models import CourseStatus
from inservice.organizations.models import County, Unit, UnitKind
from inservice.records.models import TrainingRecord
from tests.factories import (
    StaffFactory,
    TeacherFactory,
    UnitFactory,
    UserFactory,
    held_course,
    make_teacher_user,
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
    course = held_course(school, actor=organizer, ended_days_ago=2)
    put_on_list(
        course,
        [(TeacherFactory(user=UserFactory(), serving_unit=school), "attended")]
        + [(TeacherFactory(serving_unit=school), "absent")],
    )
    return course


@pytest.fixture
def reviewer(course):
    return StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user


def submit_url(course):
    return f"/manage/courses/{course.code}/attendance/submit/"


def review_url(course, action=""):
    return f"/review/attendance/{course.code}/" + (f"{action}/" if action else "")


def visitor(kind, school, reviewer):
    taipei = County.objects.get(code="63000")
    return {
        "anonymous": lambda: None,
        "teacher": lambda: make_teacher_user(school),
        "other_unit_staff": lambda: StaffFactory(unit=UnitFactory(county=taipei)).user,
        "other_center": lambda: (
            StaffFactory(
                unit=Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code="64000"),
                role=StaffRole.OPERATOR,
            ).user
        ),
        "organizer": lambda: StaffFactory(unit=school, role=StaffRole.CHIEF).user,
        "reviewer": lambda: reviewer,
    }[kind]()


# (view, method) → the visitors allowed; everyone else is refused (login, 403 or 404).
VIEWS = {
    ("submit", "get"): {"organizer"},
    ("submit", "post"): {"organizer"},
    ("queue", "get"): {"reviewer", "other_center"},  # each center sees its own queue
    ("detail", "get"): {"reviewer"},
    ("confirm", "post"): {"reviewer"},
    ("return", "post"): {"reviewer"},
}
VISITORS = ["anonymous", "teacher", "other_unit_staff", "other_center", "organizer", "reviewer"]


def url_of(view, course):
    return {
        "submit": submit_url(course),
        "queue": "/review/attendance/",
        "detail": review_url(course),
        "confirm": review_url(course, "confirm"),
        "return": review_url(course, "return"),
    }[view]


@pytest.mark.parametrize(("view", "method"), list(VIEWS))
@pytest.mark.parametrize("who", VISITORS)
def test_permission_table(client, course, organizer, reviewer, school, view, method, who):
    if view != "submit":
        from inservice.attendance.services import closing

        closing.submit_list(actor=organizer, course=course)
    user = visitor(who, school, reviewer)
    if user is not None:
        client.force_login(user)
    data = {"reason": "請補上簽到表"} if view == "return" else {}
    before = AttendanceList.objects.get(course=course).state
    response = getattr(client, method)(url_of(view, course), data)
    allowed = who in VIEWS[(view, method)]
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif allowed:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code in (403, 404), response.status_code
    if not allowed:
        assert AttendanceList.objects.get(course=course).state == before
        course.refresh_from_db()
        assert course.status == CourseStatus.PUBLISHED
    if view == "queue" and allowed:
        codes = [item.course.code for item in response.context["lists"]]
        assert codes == ([] if who == "other_center" else [course.code])


def test_the_organizer_submits_from_the_page(client, course, organizer):
    client.force_login(organizer)
    page = client.get(submit_url(course))
    assert page.status_code == 200
    text = page.content.decode()
    assert "登錄中" in text and "送出名單給區管中心" in text
    assert f'href="/manage/courses/{course.code}/attendance/"' in text  # the entry grid
    revision = AttendanceList.objects.get(course=course).revision
    response = client.post(submit_url(course), {"revision": revision})
    assert response.status_code == 302
    assert AttendanceList.objects.get(course=course).state == ListState.SUBMITTED
    page = client.get(submit_url(course)).content.decode()
    assert "名單待確認" in page and "送出名單給區管中心" not in page


def test_an_empty_list_asks_for_the_confirmation_on_the_form(client, school, organizer):
    course = held_course(school, actor=organizer, ended_days_ago=1)
    client.force_login(organizer)
    response = client.post(submit_url(course), {"revision": 0})
    assert response.status_code == 200
    assert "確認本課程無人參加" in response.content.decode()
    assert response.context["form"].errors["confirm_empty"]
    assert not AttendanceList.objects.filter(course=course, state="submitted").exists()
    response = client.post(submit_url(course), {"revision": 0, "confirm_empty": "on"})
    assert response.status_code == 302
    assert AttendanceList.objects.get(course=course).state == ListState.SUBMITTED


def test_a_course_not_yet_held_shows_no_submit_button(client, school, organizer):
    course = held_course(school, actor=organizer, ended_days_ago=-2)
    client.force_login(organizer)
    text = client.get(submit_url(course)).content.decode()
    assert "送出名單給區管中心" not in text and "最後一天" in text
    response = client.post(submit_url(course), {"revision": 0, "confirm_empty": "on"}, follow=True)
    assert "最後一天" in response.content.decode()
    assert not AttendanceList.objects.filter(course=course).exists()


def test_the_center_confirms_from_its_queue(client, course, organizer, reviewer):
    from inservice.attendance.services import closing

    closing.submit_list(actor=organizer, course=course)
    client.force_login(reviewer)
    queue = client.get("/review/attendance/")
    (item,) = queue.context["lists"]
    assert (item.course.code, item.entry_count, item.total_hours) == (course.code, 2, 3)
    text = queue.content.decode()
    assert course.name in text and course.unit.name in text
    detail = client.get(review_url(course)).content.decode()
    assert "確認名單並結案" in detail and "缺席" in detail
    response = client.post(review_url(course, "confirm"))
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.CLOSED
    assert TrainingRecord.objects.filter(course=course).count() == 1
    assert client.get("/review/attendance/").context["lists"] == []
    # confirming again says why, changes nothing
    response = client.post(review_url(course, "confirm"), follow=True)
    assert "已結案" in response.content.decode()
    assert TrainingRecord.objects.filter(course=course).count() == 1


def test_the_center_returns_with_a_reason(client, course, organizer, reviewer):
    from inservice.attendance.services import closing

    closing.submit_list(actor=organizer, course=course)
    client.force_login(reviewer)
    response = client.post(review_url(course, "return"), {"reason": "  "})
    assert response.status_code == 200
    assert response.context["return_form"].errors["reason"]
    assert AttendanceList.objects.get(course=course).state == ListState.SUBMITTED
    response = client.post(review_url(course, "return"), {"reason": "請補上請假時數"})
    assert response.status_code == 302
    assert AttendanceList.objects.get(course=course).state == ListState.RETURNED
    client.force_login(organizer)
    text = client.get(submit_url(course)).content.decode()
    assert "請補上請假時數" in text and "送出名單給區管中心" in text
