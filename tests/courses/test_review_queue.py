"""The review queue over HTTP: scope, filters, highlights, pagination, query count, and
approving several courses at once (all or nothing)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inservice.accounts.models import StaffRole
from inservice.courses import views_review
from inservice.courses.models import Course, CourseStatus, CourseVersion
from inservice.courses.services import lifecycle
from inservice.notifications.models import OutboundEmail
from inservice.organizations import reference_data as ref
from inservice.organizations.models import County, Ownership, Unit, UnitKind
from tests.factories import StaffFactory, UnitFactory, course_dates, make_course

pytestmark = pytest.mark.django_db

QUEUE = "/review/"
TODAY = datetime.date.today()


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def bureau(taipei):
    return Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county=taipei)


@pytest.fixture
def school(taipei):
    return UnitFactory(county=taipei, name="臺北市立測試國小")


@pytest.fixture
def reviewer(bureau):
    return StaffFactory(unit=bureau, role=StaffRole.OPERATOR).user


@pytest.fixture
def as_reviewer(client, reviewer):
    client.force_login(reviewer)
    return client


def listed(response):
    return [row.course.code for row in response.context["rows"]]


def in_days(days):
    return course_dates(TODAY + datetime.timedelta(days=days))


def test_url_name():
    assert reverse("courses:review_queue") == QUEUE


# --------------------------------------------------------------------------- scope


def test_pending_courses_of_the_centers_units_only(as_reviewer, school):
    mine = make_course(school, submit=True)
    draft = make_course(school)
    published = make_course(school, approve=True)
    elsewhere = make_course(
        UnitFactory(county=County.objects.get(code="64000")), submit=True
    )  # 高雄市
    response = as_reviewer.get(QUEUE)
    assert response.status_code == 200
    assert listed(response) == [mine.code]
    body = response.content.decode()
    assert mine.name in body and str(elsewhere.code) not in body
    assert str(draft.code) not in body and str(published.code) not in body


def test_status_filter_finds_returned_and_published_courses(as_reviewer, reviewer, school):
    pending = make_course(school, submit=True)
    published = make_course(school, approve=True)
    returned = make_course(school, submit=True)
    lifecycle.return_course(actor=reviewer, course=returned, reason="請補上課地點")
    assert listed(as_reviewer.get(QUEUE, {"status": "returned"})) == [returned.code]
    assert listed(as_reviewer.get(QUEUE, {"status": "published"})) == [published.code]
    everything = listed(as_reviewer.get(QUEUE, {"status": "all"}))
    assert everything[0] == pending.code  # pending first
    assert set(everything) == {pending.code, published.code, returned.code}


def test_a_pending_change_of_a_published_course_is_in_the_queue(as_reviewer, school):
    course = make_course(school, approve=True)
    operator = StaffFactory(unit=school, role=StaffRole.OPERATOR).user
    lifecycle.save_course(actor=operator, course=course, data={"name": "新的研習名稱"})
    lifecycle.submit_course(actor=operator, course=course)
    response = as_reviewer.get(QUEUE)
    assert listed(response) == [course.code]
    body = response.content.decode()
    assert "新的研習名稱" in body and "已公告，修改待審" in body


# --------------------------------------------------------------------------- filters


def test_filter_by_target_stage_and_taxonomy_stage(as_reviewer, school):
    elementary = make_course(school, submit=True)  # 14-4, taxonomy elementary
    junior = make_course(
        school,
        submit=True,
        name="國中自然探究實作",
        target_stages=["14-3"],
        taxonomy_stage="junior_high",
        topic_item="1-3-1",
    )
    assert listed(as_reviewer.get(QUEUE, {"stage": "14-3"})) == [junior.code]
    assert listed(as_reviewer.get(QUEUE, {"stage": "14-4"})) == [elementary.code]
    assert listed(as_reviewer.get(QUEUE, {"stage": "junior_high"})) == [junior.code]
    assert listed(as_reviewer.get(QUEUE, {"stage": "elementary"})) == [elementary.code]


def test_filter_by_unit_code_or_name(as_reviewer, school, taipei):
    mine = make_course(school, submit=True)
    other = make_course(UnitFactory(county=taipei, name="臺北市立另一國中"), submit=True)
    assert listed(as_reviewer.get(QUEUE, {"unit": school.code})) == [mine.code]
    assert listed(as_reviewer.get(QUEUE, {"unit": "另一國中"})) == [other.code]


def test_filter_by_county(client):
    """The K-12 senior-high group reviews national schools in every county."""
    group = Unit.objects.get(code=ref.K12_SENIOR_HIGH)
    client.force_login(StaffFactory(unit=group, role=StaffRole.OPERATOR).user)
    taichung = County.objects.get(code="66000")
    tainan = County.objects.get(code="67000")
    a = make_course(
        UnitFactory(kind=UnitKind.SENIOR_HIGH, ownership=Ownership.NATIONAL, county=taichung),
        submit=True,
    )
    b = make_course(
        UnitFactory(kind=UnitKind.SENIOR_HIGH, ownership=Ownership.NATIONAL, county=tainan),
        submit=True,
    )
    assert set(listed(client.get(QUEUE))) == {a.code, b.code}
    assert listed(client.get(QUEUE, {"county": "66000"})) == [a.code]
    assert listed(client.get(QUEUE, {"county": "67000"})) == [b.code]


def test_filter_by_course_dates(as_reviewer, school):
    soon = make_course(school, submit=True, **in_days(10))
    later = make_course(school, submit=True, name="校園安全研習", **in_days(40))
    day = TODAY + datetime.timedelta(days=20)
    assert listed(as_reviewer.get(QUEUE, {"date_to": day.isoformat()})) == [soon.code]
    assert listed(as_reviewer.get(QUEUE, {"date_from": day.isoformat()})) == [later.code]


def test_dates_in_the_wrong_order_are_refused_with_a_reason(as_reviewer, school):
    make_course(school, submit=True)
    response = as_reviewer.get(QUEUE, {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert response.context["page"] is None
    assert "課程日期迄不能早於課程日期起" in response.content.decode()


def test_filter_by_keyword(as_reviewer, school):
    math = make_course(school, submit=True)
    make_course(school, submit=True, name="校園安全研習")
    assert listed(as_reviewer.get(QUEUE, {"q": "差異化"})) == [math.code]


# --------------------------------------------------------------------------- highlights


def _submitted_days_ago(course, days):
    CourseVersion.objects.filter(pk=course.working_id).update(
        submitted_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_overdue_and_soon_starting_reviews_are_highlighted_in_text(as_reviewer, school):
    overdue = make_course(school, submit=True)
    _submitted_days_ago(overdue, 8)  # at least five working days
    soon = make_course(school, submit=True, name="校園安全研習", **in_days(3))
    calm = make_course(school, submit=True, name="閱讀理解策略研習")
    response = as_reviewer.get(QUEUE)
    rows = {row.course.code: row for row in response.context["rows"]}
    assert rows[overdue.code].overdue and rows[overdue.code].waited >= 5
    assert not rows[overdue.code].starting_soon
    assert rows[soon.code].starting_soon and not rows[soon.code].overdue
    assert not rows[calm.code].overdue and not rows[calm.code].starting_soon
    assert listed(response)[0] == overdue.code  # the oldest first
    body = response.content.decode()
    assert body.count("逾期：已超過 3 個工作天") == 1
    assert "3 天後開課" in body
    assert body.count('class="review-row-overdue"') == 1
    assert body.count('class="review-row-soon"') == 1


def test_rows_show_submitted_time_waited_flags_and_start(as_reviewer, school):
    course = make_course(school, submit=True, name="教師瑜珈紓壓")
    row = as_reviewer.get(QUEUE).context["rows"][0]
    assert row.course == course and row.waited == 0 and row.flag_count == 1
    assert row.submitted_at == course.working.submitted_at
    body = as_reviewer.get(QUEUE).content.decode()
    assert "1 項" in body and course.start_date.strftime("%Y-%m-%d") in body
    assert "0 個工作天" in body


# --------------------------------------------------------------------------- paging, queries


def test_pagination_keeps_the_filters(as_reviewer, school, monkeypatch):
    monkeypatch.setattr(views_review, "PAGE_SIZE", 2)
    for _ in range(3):
        make_course(school, submit=True)
    first = as_reviewer.get(QUEUE, {"q": "差異化"})
    assert len(listed(first)) == 2 and first.context["page"].paginator.num_pages == 2
    assert "q=%E5%B7%AE%E7%95%B0%E5%8C%96&amp;page=2" in first.content.decode()
    second = as_reviewer.get(QUEUE, {"q": "差異化", "page": 2})
    assert len(listed(second)) == 1


def _queries_for_queue(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(QUEUE, {"status": "all"})
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_queue_has_no_n_plus_one(as_reviewer, school, taipei, django_assert_num_queries):
    make_course(school, submit=True)
    make_course(school, approve=True)
    as_reviewer.get(QUEUE)  # warm the code-table caches
    few = _queries_for_queue(as_reviewer)
    for i in range(4):
        make_course(UnitFactory(county=taipei), submit=True)
        make_course(school, approve=True, name=f"已公告研習{i}")
    assert _queries_for_queue(as_reviewer) == few
    # Pinned: session, user, staff profile, its unit (access check), count, the page (units,
    # counties, versions and submitters joined), the flags' duplicate candidates, and the
    # counties of the filter form. A regression (a query per row) shows up here.
    with django_assert_num_queries(8):
        as_reviewer.get(QUEUE, {"status": "all"})


# --------------------------------------------------------------------------- permissions


def test_anonymous_is_sent_to_login(client):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("role", [StaffRole.CHIEF, StaffRole.CONTACT, StaffRole.OPERATOR])
def test_every_role_of_a_center_may_review(client, bureau, role):
    client.force_login(StaffFactory(unit=bureau, role=role).user)
    assert client.get(QUEUE).status_code == 200


def test_an_organizer_unit_may_not(client, school):
    client.force_login(StaffFactory(unit=school, role=StaffRole.CHIEF).user)
    assert client.get(QUEUE).status_code == 403


# --------------------------------------------------------------------------- approve several

APPROVE_MANY = "/review/approve/"


def test_approve_several_at_once(as_reviewer, school):
    a = make_course(school, submit=True)
    b = make_course(school, submit=True, name="校園安全研習")
    response = as_reviewer.post(
        APPROVE_MANY, {"codes": [a.code, b.code], "query": "status=pending&q=x"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?status=pending&q=x"
    for course in (a, b):
        course.refresh_from_db()
        assert course.status == CourseStatus.PUBLISHED
    assert OutboundEmail.objects.filter(template="course_approved").count() == 2
    page = as_reviewer.get(response["Location"])
    assert f"已核准 2 門課程：{a.code}、{b.code}" in page.content.decode()


def test_one_course_of_another_center_refuses_all(as_reviewer, school):
    mine = make_course(school, submit=True)
    theirs = make_course(UnitFactory(county=County.objects.get(code="64000")), submit=True)
    response = as_reviewer.post(APPROVE_MANY, {"codes": [mine.code, theirs.code]}, follow=True)
    body = response.content.decode()
    assert "全部勾選的課程都沒有核准" in body and str(theirs.code) in body
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == CourseStatus.PENDING and theirs.status == CourseStatus.PENDING
    assert not OutboundEmail.objects.filter(template="course_approved").exists()


def test_a_course_not_waiting_for_review_refuses_all(as_reviewer, school):
    pending = make_course(school, submit=True)
    published = make_course(school, approve=True)
    response = as_reviewer.post(
        APPROVE_MANY, {"codes": [pending.code, published.code, 999999999]}, follow=True
    )
    body = response.content.decode()
    assert str(published.code) in body and "999999999" in body
    pending.refresh_from_db()
    assert pending.status == CourseStatus.PENDING


def test_nothing_selected_says_so(as_reviewer):
    response = as_reviewer.post(APPROVE_MANY, {}, follow=True)
    assert "請先勾選要核准的課程" in response.content.decode()


def test_approve_several_is_post_only_and_for_reviewers(client, as_reviewer, school):
    assert as_reviewer.get(APPROVE_MANY).status_code == 405
    course = make_course(school, submit=True)
    client.force_login(StaffFactory(unit=school, role=StaffRole.CHIEF).user)
    assert client.post(APPROVE_MANY, {"codes": [course.code]}).status_code == 403
    assert Course.objects.get(pk=course.pk).status == CourseStatus.PENDING


def test_the_queue_page_has_one_checkbox_per_pending_course(as_reviewer, school):
    pending = make_course(school, submit=True)
    make_course(school, approve=True)
    body = as_reviewer.get(QUEUE, {"status": "all"}).content.decode()
    assert body.count('name="codes"') == 1
    assert f'value="{pending.code}" id="pick-{pending.code}"' in body
    assert f'<label for="pick-{pending.code}"' in body
