"""Records for schools (/manage/records/) and regional centers (/review/records/): who is in
the population (current teachers only, the 統合視導 subset, the center's jurisdiction), the
period's totals, drill-downs, xlsx exports read back, the permission table, audit rows, no
ID number anywhere, and a query count that does not grow with the school."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inservice.accounts.models import StaffRole, Teacher
from inservice.core.models import AuditEvent
from inservice.organizations.models import County, UnitKind
from inservice.records.models import TrainingRecord
from tests.factories import (
    TeacherFactory,
    make_id_number,
    make_record,
    make_staff,
    make_teacher_user,
    routable_unit,
)

pytestmark = pytest.mark.django_db

D = datetime.date
SCHOOL_URL = "/manage/records/"
SCHOOL_EXPORT = "/manage/records/export.xlsx"
CENTER_URL = "/review/records/"
CENTER_EXPORT = "/review/records/export.xlsx"
SY113 = {"period": "school_year", "sy": "113"}  # 2024-08-01 .. 2025-07-31


def school_teacher_url(pk):
    return reverse("records:school_teacher_records", args=[pk])


def center_teacher_url(pk):
    return reverse("records:center_teacher_records", args=[pk])


class World:
    """Two Taipei schools and one New Taipei school, their teachers and records."""

    def __init__(self):
        taipei = County.objects.get(code="63000")
        new_taipei = County.objects.get(code="65000")
        self.a = routable_unit(UnitKind.ELEMENTARY, taipei, name="臺北市甲國小")
        self.b = routable_unit(UnitKind.JUNIOR_HIGH, taipei, name="臺北市乙國中")
        self.c = routable_unit(UnitKind.ELEMENTARY, new_taipei, name="新北市丙國小")
        self.taipei_bureau = routable_unit(UnitKind.COUNTY_BUREAU, taipei)
        self.new_taipei_bureau = routable_unit(UnitKind.COUNTY_BUREAU, new_taipei)
        self.ids = {}

        def teacher(key, unit, title="15-4", **kw):
            self.ids[key] = make_id_number()
            t = TeacherFactory(
                serving_unit=unit,
                title=title,
                id_number=self.ids[key],
                birth_date=D(1981, 2, 3),
                name=f"教師{key}",
                **kw,
            )
            setattr(self, key, t)
            return t

        teacher("a1", self.a)  # certified full-time teacher
        teacher("a2", self.a, title="15-7")  # administrative staff: not in 統合視導
        teacher("a3", self.a, title="15-2")  # principal, no records in 113
        teacher("gone", None, left_unit=self.a, left_at=timezone.now())  # left school A
        teacher("b1", self.b)
        teacher("c1", self.c)
        make_record(self.a1, start=D(2024, 9, 2), hours=3, course_name="甲一研習")
        make_record(
            self.a1, start=D(2025, 3, 4), hours=2, hours_withheld=1, course_name="甲一研習二"
        )
        make_record(self.a1, start=D(2023, 5, 1), hours=4, course_name="甲一舊研習")
        make_record(self.a2, start=D(2024, 10, 1), hours=6, course_name="甲二研習")
        make_record(self.gone, start=D(2024, 10, 1), hours=5, course_name="已轉出研習")
        make_record(self.b1, start=D(2024, 11, 1), hours=1, course_name="乙一研習")
        make_record(self.c1, start=D(2024, 11, 1), hours=7, course_name="丙一研習")


@pytest.fixture
def world():
    return World()


def _shown(response):
    return {e["teacher"].pk for e in response.context["entries"]}


def _totals(response):
    t = response.context["totals"]
    return (t.teachers, t.with_records, t.records, t.hours, t.withheld)


def _login(client, unit, role=StaffRole.CHIEF):
    staff = make_staff(unit, role=role)
    client.force_login(staff.user)
    return staff.user


def _xlsx(response):
    content = b"".join(response.streaming_content)
    return content, openpyxl.load_workbook(io.BytesIO(content))


def _xlsx_text(content):
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


# --- school --------------------------------------------------------------------------------


def test_school_sees_only_its_current_teachers_with_period_totals(client, world):
    _login(client, world.a)
    response = client.get(SCHOOL_URL, SY113)
    assert response.status_code == 200
    assert _shown(response) == {world.a1.pk, world.a2.pk, world.a3.pk}
    hours = {e["teacher"].pk: e["teacher"].period_hours for e in response.context["entries"]}
    assert hours == {world.a1.pk: Decimal("5"), world.a2.pk: Decimal("6"), world.a3.pk: 0}
    # 3 teachers, 2 with records, 3 records, 11 hours, 1 withheld
    assert _totals(response) == (3, 2, 3, Decimal("11"), Decimal("1"))
    html = response.content.decode()
    assert "教師a1" in html and world.a1.personal_identifier in html
    assert "教師gone" not in html and "教師b1" not in html and "教師c1" not in html


def test_inspection_population_keeps_teaching_titles_only(client, world):
    _login(client, world.a)
    response = client.get(SCHOOL_URL, {**SY113, "inspection": "on"})
    assert _shown(response) == {world.a1.pk, world.a3.pk}
    assert _totals(response) == (2, 1, 2, Decimal("5"), Decimal("1"))
    html = response.content.decode()
    assert "統合視導採計教師的定義" in html and "15-4 合格專任教師" in html


@pytest.mark.parametrize(
    ("params", "a1_hours", "records"),
    [
        ({"period": "year", "year": "2023"}, Decimal("4"), 1),
        ({"period": "year", "year": "2024"}, Decimal("3"), 2),
        ({"period": "range", "from": "2025-01-01", "to": "2025-12-31"}, Decimal("2"), 1),
        ({"period": "range", "from": "2023-01-01"}, Decimal("9"), 4),
        ({"period": "school_year", "sy": "111"}, Decimal("4"), 1),  # 2023-05-01
        ({"period": "school_year", "sy": "112"}, Decimal("0"), 0),
    ],
)
def test_school_periods(client, world, params, a1_hours, records):
    _login(client, world.a)
    response = client.get(SCHOOL_URL, params)
    hours = {e["teacher"].pk: e["teacher"].period_hours for e in response.context["entries"]}
    assert hours[world.a1.pk] == a1_hours
    assert response.context["totals"].records == records
    assert response.context["notices"] == []


def test_default_period_is_the_current_school_year(client, world):
    from inservice.records.services.queries import school_year_of

    _login(client, world.a)
    response = client.get(SCHOOL_URL)
    assert response.context["period"].value == school_year_of(timezone.localdate())


def test_malformed_school_parameters_fall_back(client, world):
    _login(client, world.a)
    response = client.get(
        SCHOOL_URL,
        {"period": "century", "sy": "abc", "year": "x", "from": "2024-02-30", "sort": "drop"},
    )
    assert response.status_code == 200
    assert len(response.context["notices"]) == 5
    response = client.get(SCHOOL_URL, {"period": "range", "from": "2025-01-01", "to": "2024-01-01"})
    assert response.status_code == 200
    assert response.context["period"].kind == "school_year"  # bad range: back to the default
    assert any("迄日早於起日" in n for n in response.context["notices"])
    response = client.get(SCHOOL_URL, {"period": "range"})
    assert any("請填寫起日或迄日" in n for n in response.context["notices"])


def test_sort_by_hours_and_name_search(client, world):
    _login(client, world.a)
    response = client.get(SCHOOL_URL, {**SY113, "sort": "hours"})
    assert [e["teacher"].pk for e in response.context["entries"]] == [
        world.a3.pk,
        world.a1.pk,
        world.a2.pk,
    ]
    response = client.get(SCHOOL_URL, {**SY113, "sort": "-hours"})
    assert [e["teacher"].pk for e in response.context["entries"]][0] == world.a2.pk
    assert _shown(client.get(SCHOOL_URL, {**SY113, "q": "a2"})) == {world.a2.pk}
    assert _shown(client.get(SCHOOL_URL, {**SY113, "q": world.a3.personal_identifier})) == {
        world.a3.pk
    }


def test_school_drill_down(client, world):
    _login(client, world.a)
    response = client.get(school_teacher_url(world.a1.pk), {"sy": "113"})
    assert response.status_code == 200
    assert {r["record"].course_name for r in response.context["rows"]} == {
        "甲一研習",
        "甲一研習二",
    }
    assert response.context["summary"].hours == Decimal("5")
    html = response.content.decode()
    assert world.a1.personal_identifier in html and "教師a1" in html
    assert world.ids["a1"] not in html and "1981" not in html


def test_list_links_drill_down_with_the_period(client, world):
    _login(client, world.a)
    response = client.get(SCHOOL_URL, {"period": "year", "year": "2024"})
    urls = {e["teacher"].pk: e["url"] for e in response.context["entries"]}
    assert urls[world.a1.pk] == school_teacher_url(world.a1.pk) + "?year=2024"


@pytest.mark.parametrize("who", ["b1", "gone", "c1"])
def test_school_drill_down_to_other_teachers_is_404(client, world, who):
    _login(client, world.a)
    pk = getattr(world, who).pk
    assert client.get(school_teacher_url(pk)).status_code == 404
    assert client.get(reverse("records:school_teacher_export", args=[pk])).status_code == 404


def test_other_school_sees_its_own(client, world):
    _login(client, world.b)
    response = client.get(SCHOOL_URL, SY113)
    assert _shown(response) == {world.b1.pk}
    assert client.get(school_teacher_url(world.a1.pk)).status_code == 404


def test_school_exports_read_back(client, world):
    _login(client, world.a)
    response = client.get(SCHOOL_EXPORT, {**SY113, "kind": "teachers"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    content, book = _xlsx(response)
    rows = list(book["教師研習時數"].iter_rows(values_only=True))
    assert rows[0] == (
        "教師個人專用識別號碼",
        "姓名",
        "職稱",
        "研習紀錄筆數",
        "研習時數",
        "超過上限未核計時數",
    )
    body = {r[1]: r for r in rows[1:-1]}
    assert set(body) == {"教師a1", "教師a2", "教師a3"}
    assert body["教師a1"] == (world.a1.personal_identifier, "教師a1", "合格專任教師", 2, 5, 1)
    assert body["教師a3"][3:5] == (0, 0)
    assert rows[-1][0] == "合計" and rows[-1][4] == 11
    text = _xlsx_text(content)
    for key in ("a1", "a2", "a3", "gone", "b1"):
        assert world.ids[key] not in text
    assert "教師gone" not in text and "1981-02-03" not in text

    response = client.get(SCHOOL_EXPORT, {**SY113, "kind": "records", "inspection": "on"})
    content, book = _xlsx(response)
    rows = list(book["研習紀錄"].iter_rows(values_only=True))
    assert rows[0][:3] == ("教師個人專用識別號碼", "姓名", "學年度")
    assert [(r[1], r[6]) for r in rows[1:-1]] == [("教師a1", "甲一研習"), ("教師a1", "甲一研習二")]
    assert rows[-1][0] == "合計" and rows[-1][10] == 5
    info = dict(book["說明"].iter_rows(values_only=True))
    assert info["統計期間"] == "113學年度" and "統合視導" in info["對象"]


def test_school_drill_down_export(client, world):
    _login(client, world.a)
    response = client.get(reverse("records:school_teacher_export", args=[world.a1.pk]))
    content, book = _xlsx(response)
    rows = list(book["研習紀錄"].iter_rows(values_only=True))
    assert len(rows) == 1 + 3 + 1 and rows[-1][8] == 9
    assert world.ids["a1"] not in _xlsx_text(content)


# --- center --------------------------------------------------------------------------------


def test_center_sees_its_jurisdiction(client, world):
    _login(client, world.taipei_bureau, role=StaffRole.CONTACT)
    response = client.get(CENTER_URL, SY113)
    assert response.status_code == 200
    assert _shown(response) == {world.a1.pk, world.a2.pk, world.a3.pk, world.b1.pk}
    assert _totals(response) == (4, 3, 4, Decimal("12"), Decimal("1"))
    html = response.content.decode()
    assert "臺北市乙國中" in html and "新北市丙國小" not in html and "教師gone" not in html


def test_other_center_sees_its_own(client, world):
    _login(client, world.new_taipei_bureau, role=StaffRole.CONTACT)
    response = client.get(CENTER_URL, SY113)
    assert _shown(response) == {world.c1.pk}
    assert client.get(center_teacher_url(world.a1.pk)).status_code == 404


def test_center_filters_by_unit_and_county(client, world):
    _login(client, world.taipei_bureau, role=StaffRole.CONTACT)
    response = client.get(CENTER_URL, {**SY113, "unit": world.b.code})
    assert _shown(response) == {world.b1.pk}
    assert _totals(response) == (1, 1, 1, Decimal("1"), Decimal("0"))
    response = client.get(CENTER_URL, {**SY113, "county": "63000", "inspection": "on"})
    assert _shown(response) == {world.a1.pk, world.a3.pk, world.b1.pk}
    response = client.get(CENTER_URL, {**SY113, "county": "65000"})
    assert _shown(response) == set()
    # A unit outside the jurisdiction is reported and ignored.
    response = client.get(CENTER_URL, {**SY113, "unit": world.c.code})
    assert any(world.c.code in n for n in response.context["notices"])
    assert _shown(response) == {world.a1.pk, world.a2.pk, world.a3.pk, world.b1.pk}
    response = client.get(CENTER_URL, {**SY113, "county": "99999"})
    assert response.status_code == 200 and response.context["notices"]


def test_center_drill_down_and_exports(client, world):
    _login(client, world.taipei_bureau, role=StaffRole.CONTACT)
    response = client.get(center_teacher_url(world.b1.pk))
    assert response.status_code == 200
    assert response.context["summary"].hours == 1
    assert client.get(center_teacher_url(world.c1.pk)).status_code == 404
    assert client.get(center_teacher_url(world.gone.pk)).status_code == 404

    response = client.get(CENTER_EXPORT, {**SY113, "kind": "teachers", "sort": "unit"})
    content, book = _xlsx(response)
    rows = list(book["教師研習時數"].iter_rows(values_only=True))
    assert rows[0][3:6] == ("服務單位代碼", "服務單位", "縣市")
    assert {r[1]: (r[3], r[5], r[7]) for r in rows[1:-1]} == {
        "教師a1": (world.a.code, "臺北市", 5),
        "教師a2": (world.a.code, "臺北市", 6),
        "教師a3": (world.a.code, "臺北市", 0),
        "教師b1": (world.b.code, "臺北市", 1),
    }
    response = client.get(CENTER_EXPORT, {**SY113, "kind": "records"})
    content2, book = _xlsx(response)
    rows = list(book["研習紀錄"].iter_rows(values_only=True))
    assert sorted(r[8] for r in rows[1:-1]) == ["乙一研習", "甲一研習", "甲一研習二", "甲二研習"]
    assert rows[-1][12] == 12
    for key in world.ids:
        assert world.ids[key] not in _xlsx_text(content) + _xlsx_text(content2)


def test_center_export_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    _login(client, world.taipei_bureau, role=StaffRole.CONTACT)
    b"".join(client.get(CENTER_EXPORT, {**SY113, "kind": "teachers"}).streaming_content)
    with CaptureQueriesContext(connection) as few:
        b"".join(client.get(CENTER_EXPORT, {**SY113, "kind": "teachers"}).streaming_content)
    for n in range(20):
        TeacherFactory(serving_unit=world.b, name=f"加入{n}")
    with CaptureQueriesContext(connection) as many:
        b"".join(client.get(CENTER_EXPORT, {**SY113, "kind": "teachers"}).streaming_content)
    assert len(many.captured_queries) == len(few.captured_queries)


# --- permissions ---------------------------------------------------------------------------


def _status(client, url):
    return client.get(url).status_code


@pytest.mark.parametrize(
    ("who", "school", "center"),
    [
        ("anonymous", 302, 302),
        ("teacher", 403, 403),
        ("school_chief", 200, 403),
        ("school_contact", 200, 403),
        ("school_operator", 403, 403),
        ("center_contact", 403, 200),
        ("center_operator", 403, 200),
        ("univ_chief", 403, 403),
    ],
)
def test_permission_table(client, world, who, school, center):
    if who == "teacher":
        client.force_login(make_teacher_user(world.a))
    elif who.startswith("school_"):
        _login(client, world.a, role=who.removeprefix("school_"))
    elif who.startswith("center_"):
        _login(client, world.taipei_bureau, role=who.removeprefix("center_"))
    elif who == "univ_chief":
        _login(client, routable_unit(UnitKind.UNIVERSITY))
    for url in (SCHOOL_URL, SCHOOL_EXPORT, school_teacher_url(world.a1.pk)):
        assert _status(client, url) == school, url
    for url in (CENTER_URL, CENTER_EXPORT, center_teacher_url(world.a1.pk)):
        assert _status(client, url) == center, url


def test_teacher_cannot_read_another_teachers_records(client, world):
    user = make_teacher_user(world.a)
    client.force_login(user)
    response = client.get("/my/records/")
    assert response.context["summary"].count == 0


# --- audit ---------------------------------------------------------------------------------


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_school_views_and_exports_are_audited(client, world):
    user = _login(client, world.a)
    client.get(SCHOOL_URL, {**SY113, "inspection": "on", "q": "教師"})
    (event,) = _events("records.school_list_viewed")
    assert event.actor == user
    assert (event.object_type, event.object_id) == ("organizations.unit", str(world.a.pk))
    assert event.data["unit"] == world.a.code
    assert event.data["period"] == "school_year" and event.data["value"] == 113
    assert event.data["inspection"] is True and event.data["q"] == "教師"

    client.get(school_teacher_url(world.a1.pk), {"sy": "113", "tag": "gender-equality"})
    (event,) = _events("records.school_teacher_viewed")
    assert (event.object_type, event.object_id) == ("accounts.teacher", str(world.a1.pk))
    assert event.data["unit"] == world.a.code and event.data["school_year"] == 113
    assert event.data["tag"] == "gender-equality"

    b"".join(client.get(SCHOOL_EXPORT, {**SY113, "kind": "records"}).streaming_content)
    (event,) = _events("records.school_exported")
    assert event.data["export"] == "records" and event.data["value"] == 113

    b"".join(
        client.get(reverse("records:school_teacher_export", args=[world.a1.pk])).streaming_content
    )
    (event,) = _events("records.school_teacher_exported")
    assert event.object_id == str(world.a1.pk)

    for event in AuditEvent.objects.filter(action__startswith="records."):
        text = repr(event.data) + event.object_repr
        assert all(v not in text for v in world.ids.values())


def test_center_views_are_audited(client, world):
    user = _login(client, world.taipei_bureau, role=StaffRole.CONTACT)
    client.get(CENTER_URL, {**SY113, "unit": world.b.code, "county": "63000"})
    (event,) = _events("records.center_list_viewed")
    assert event.actor == user and event.object_id == str(world.taipei_bureau.pk)
    assert event.data["filter_unit"] == world.b.code and event.data["county"] == "63000"
    client.get(center_teacher_url(world.b1.pk))
    (event,) = _events("records.center_teacher_viewed")
    assert event.object_id == str(world.b1.pk) and event.data["teacher_unit"] == world.b.code
    b"".join(client.get(CENTER_EXPORT, SY113).streaming_content)
    (event,) = _events("records.center_exported")
    assert event.data["export"] == "teachers"
    b"".join(
        client.get(reverse("records:center_teacher_export", args=[world.b1.pk])).streaming_content
    )
    assert len(_events("records.center_teacher_exported")) == 1


def test_refused_and_missing_views_leave_no_audit_row(client, world):
    _login(client, world.a, role=StaffRole.OPERATOR)
    client.get(SCHOOL_URL)
    _login(client, world.a)
    client.get(school_teacher_url(world.b1.pk))
    assert not AuditEvent.objects.filter(action__startswith="records.").exists()


# --- speed ---------------------------------------------------------------------------------


def test_school_page_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    _login(client, world.a)
    client.get(SCHOOL_URL, SY113)  # warm caches
    with CaptureQueriesContext(connection) as few:
        client.get(SCHOOL_URL, {**SY113, "sort": "hours"})
    new = [TeacherFactory(serving_unit=world.a, name=f"新進{n}") for n in range(30)]
    TrainingRecord.objects.bulk_create(
        TrainingRecord(
            teacher=t,
            course_code=f"S{t.pk}-{i}",
            course_name="大量研習",
            organizer_name="測試",
            source="online",
            start_date=D(2024, 9, 1) + datetime.timedelta(days=i),
            end_date=D(2024, 9, 1) + datetime.timedelta(days=i),
            hours_requested=2,
            hours=2,
            closed_at=timezone.now(),
        )
        for t in new
        for i in range(20)
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(SCHOOL_URL, {**SY113, "sort": "hours"})
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.context["totals"].teachers == 33
    assert response.context["totals"].hours == Decimal("11") + 30 * 20 * 2
    with django_assert_max_num_queries(12):
        client.get(SCHOOL_URL, SY113)
    assert Teacher.objects.filter(serving_unit=world.a).count() == 33
