"""My training records (/my/records/): totals by calendar year, school year, category and tag
computed by hand, the 新增 marker, filters and sorts, malformed parameters, the xlsx export
read back, no personal data anywhere, access, and a query count that does not grow."""

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

from inservice.records.models import TrainingRecord
from inservice.records.services.queries import (
    Period,
    school_year_bounds,
    school_year_of,
)
from tests.factories import (
    TeacherFactory,
    UnitFactory,
    UserFactory,
    make_id_number,
    make_record,
    make_staff,
    make_teacher_user,
)

pytestmark = pytest.mark.django_db

URL = "/my/records/"
EXPORT = "/my/records/export.xlsx"
D = datetime.date
GENDER, INTL = "gender-equality", "international-education"


# --- school years ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "school_year"),
    [
        (D(2026, 8, 1), 115),
        (D(2027, 7, 31), 115),
        (D(2026, 7, 31), 114),
        (D(2025, 1, 1), 113),
        (D(2024, 12, 31), 113),
    ],
)
def test_school_year_runs_august_to_july_in_roc_years(day, school_year):
    assert school_year_of(day) == school_year


def test_school_year_115_bounds():
    assert school_year_bounds(115) == (D(2026, 8, 1), D(2027, 7, 31))
    assert Period.school_year(115).label == "115學年度"
    assert Period.calendar_year(2026).label == "2026年（民國115年）"


# --- data ----------------------------------------------------------------------------------


@pytest.fixture
def id_number():
    return make_id_number()


@pytest.fixture
def me(id_number):
    """A teacher with five records over three calendar years and two school years."""
    user = UserFactory(kind="teacher")
    teacher = TeacherFactory(
        user=user, id_number=id_number, birth_date=D(1979, 5, 17), serving_unit=UnitFactory()
    )
    old = timezone.now() - datetime.timedelta(days=100)
    records = {
        # start, hours, category, tags; calendar year / school year in the comment
        "r1": make_record(  # 2024 / 112
            teacher,
            start=D(2024, 3, 10),
            hours=3,
            category="5-1",
            tags=[GENDER],
            course_name="閱讀理解教學策略",
            created_at=old,
        ),
        "r2": make_record(  # 2024 / 113
            teacher,
            start=D(2024, 8, 1),
            end=D(2024, 8, 2),
            hours=6,
            category="5-2",
            tags=[GENDER, INTL],
            course_name="班級經營實務",
            created_at=old,
        ),
        "r3": make_record(  # 2024 / 112 (the last day of the school year)
            teacher,
            start=D(2024, 7, 31),
            hours="2.5",
            category="5-1",
            course_name="數學素養評量",
            created_at=old,
        ),
        "r4": make_record(  # 2025 / 113, 1.5 hours withheld by the caps, added recently
            teacher,
            start=D(2025, 1, 15),
            hours=4,
            hours_withheld="1.5",
            category="5-4",
            tags=[INTL],
            course_name="國際教育新趨勢",
        ),
        "r5": make_record(  # 2023 / 112, from a county
            teacher,
            start=D(2023, 12, 31),
            hours="1.5",
            category="5-6",
            source="county_transmit",
            course_name="防災知能",
            created_at=timezone.now() - datetime.timedelta(days=31),
        ),
    }
    # Someone else's record never shows up.
    make_record(TeacherFactory(), start=D(2024, 3, 10), hours=9, course_name="別人的研習")
    user.refresh_from_db()
    return user, teacher, records


def _buckets(items):
    return {b.key: (b.count, b.hours) for b in items}


def _names(response):
    return [row["record"].course_name for row in response.context["rows"]]


# --- totals ------------------------------------------------------------------------------


def test_totals_by_school_year_category_and_tag(client, me):
    user, _teacher, _records = me
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    s = response.context["summary"]
    assert (s.count, s.hours, s.withheld, s.recent) == (5, Decimal("17"), Decimal("1.5"), 1)
    assert _buckets(s.by_period) == {
        "113": (2, Decimal("10")),  # r2 6 + r4 4
        "112": (3, Decimal("7")),  # r1 3 + r3 2.5 + r5 1.5
    }
    assert [b.key for b in s.by_period] == ["113", "112"]
    assert _buckets(s.by_category) == {
        "5-1": (2, Decimal("5.5")),
        "5-2": (1, Decimal("6")),
        "5-4": (1, Decimal("4")),
        "5-6": (1, Decimal("1.5")),
    }
    assert [b.label for b in s.by_category][:2] == ["課程、教學及評量", "班級經營與輔導"]
    assert _buckets(s.by_tag) == {GENDER: (2, Decimal("9")), INTL: (2, Decimal("10"))}
    assert {b.key: b.label for b in s.by_tag} == {GENDER: "性平教育", INTL: "國際教育"}
    html = response.content.decode()
    assert "113學年度" in html and "112學年度" in html
    assert "性平教育" in html and "課程、教學及評量" in html


def test_totals_by_calendar_year(client, me):
    user, _teacher, _records = me
    client.force_login(user)
    s = client.get(URL, {"by": "year"}).context["summary"]
    assert _buckets(s.by_period) == {
        "2025": (1, Decimal("4")),
        "2024": (3, Decimal("11.5")),
        "2023": (1, Decimal("1.5")),
    }
    assert [b.label for b in s.by_period][0] == "2025年（民國114年）"


def test_year_table_keeps_every_year_while_filtered_to_one(client, me):
    user, _teacher, _records = me
    client.force_login(user)
    response = client.get(URL, {"sy": "112"})
    s = response.context["summary"]
    assert (s.count, s.hours) == (3, Decimal("7"))
    assert set(_buckets(s.by_period)) == {"113", "112"}
    assert _buckets(s.by_category) == {"5-1": (2, Decimal("5.5")), "5-6": (1, Decimal("1.5"))}


def test_recent_records_are_marked_new(client, me):
    user, _teacher, records = me
    client.force_login(user)
    response = client.get(URL)
    recent = {row["record"].pk for row in response.context["rows"] if row["recent"]}
    assert recent == {records["r4"].pk}  # r5 is 31 days old: not recent
    html = response.content.decode()
    assert html.count('class="badge badge-new"') == 1
    assert "新增" in html


def test_withheld_hours_are_shown_with_the_rule(client, me):
    user, _teacher, _records = me
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert "另有 1.5 小時超過上限未核計" in html
    assert 'id="cap-rule"' in html and "每日至多採計 6 小時" in html and "35 小時" in html
    # Without withheld hours in view, no explanation.
    html = client.get(URL, {"sy": "112"}).content.decode()
    assert 'id="cap-rule"' not in html


# --- filters and sorts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sy": "112"}, {"r1", "r3", "r5"}),
        ({"sy": "113"}, {"r2", "r4"}),
        ({"year": "2024"}, {"r1", "r2", "r3"}),
        ({"year": "2023"}, {"r5"}),
        ({"category": "5-1"}, {"r1", "r3"}),
        ({"tag": GENDER}, {"r1", "r2"}),
        ({"tag": INTL, "sy": "113"}, {"r2", "r4"}),
        ({"source": "county_transmit"}, {"r5"}),
        ({"q": "閱讀"}, {"r1"}),
        ({"from": "2024-07-31", "to": "2024-08-01"}, {"r2", "r3"}),
        ({"category": "5-3"}, set()),
    ],
)
def test_filters(client, me, params, expected):
    user, _teacher, records = me
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    shown = {row["record"].pk for row in response.context["rows"]}
    assert shown == {records[k].pk for k in expected}
    assert response.context["summary"].count == len(expected)
    assert response.context["notices"] == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["r4", "r2", "r3", "r1", "r5"]),
        ("-date", ["r4", "r2", "r3", "r1", "r5"]),
        ("date", ["r5", "r1", "r3", "r2", "r4"]),
        ("hours", ["r5", "r3", "r1", "r4", "r2"]),
        ("-hours", ["r2", "r4", "r1", "r3", "r5"]),
    ],
)
def test_sorts(client, me, sort, expected):
    user, _teacher, records = me
    client.force_login(user)
    params = {"sort": sort} if sort else {}
    rows = client.get(URL, params).context["rows"]
    assert [row["record"].pk for row in rows] == [records[k].pk for k in expected]


def test_sort_by_name_follows_the_database_collation(client, me):
    user, teacher, _records = me
    client.force_login(user)
    names = _names(client.get(URL, {"sort": "name"}))
    expected = list(
        TrainingRecord.objects.filter(teacher=teacher)
        .order_by("course_name", "start_date", "id")
        .values_list("course_name", flat=True)
    )
    assert names == expected
    assert _names(client.get(URL, {"sort": "-name"})) == expected[::-1]


def test_malformed_parameters_are_reported_and_ignored(client, me):
    user, _teacher, _records = me
    client.force_login(user)
    response = client.get(
        URL,
        {
            "year": "二〇二四",
            "sy": "999999",
            "category": "5-99",
            "tag": "no-such-tag",
            "source": "fax",
            "sort": "random()",
            "by": "decade",
            "from": "2024-13-40",
            "page": "-3",
            "q": "x" * 500,
        },
    )
    assert response.status_code == 200
    assert len(response.context["notices"]) == 9
    assert response.context["summary"].count == 5
    html = response.content.decode()
    assert "無法辨識，已略過" in html


def test_bad_range_is_reported(client, me):
    user, _teacher, _records = me
    client.force_login(user)
    response = client.get(URL, {"from": "2025-01-01", "to": "2024-01-01"})
    assert response.status_code == 200
    assert any("迄日早於起日" in n for n in response.context["notices"])
    # The start date alone still applies.
    assert response.context["summary"].count == 1


def test_pagination(client, me):
    user, teacher, _records = me
    TrainingRecord.objects.bulk_create(
        TrainingRecord(
            teacher=teacher,
            course_code=f"P{n}",
            course_name=f"分頁測試 {n}",
            organizer_name="測試",
            source="online",
            start_date=D(2010, 1, 1) + datetime.timedelta(days=n),
            end_date=D(2010, 1, 1) + datetime.timedelta(days=n),
            hours_requested=1,
            hours=1,
            closed_at=timezone.now(),
        )
        for n in range(60)
    )
    client.force_login(user)
    first = client.get(URL)
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.num_pages == 2
    second = client.get(URL, {"page": "2"})
    assert len(second.context["rows"]) == 15
    assert second.context["summary"].count == 65  # totals cover every page
    assert 'rel="next"' in first.content.decode()


def test_links_to_export_and_transcript_carry_the_filters(client, me):
    user, _teacher, _records = me
    client.force_login(user)
    html = client.get(URL, {"sy": "113", "page": "1"}).content.decode()
    assert 'href="/my/records/export.xlsx?sy=113"' in html
    assert 'href="/my/records/transcript.pdf?sy=113"' in html


# --- personal data -------------------------------------------------------------------------


def test_no_personal_data_on_the_page(client, me, id_number):
    user, teacher, _records = me
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert id_number not in html
    assert id_number[-4:] + "<" not in html
    assert "1979" not in html and "05-17" not in html
    assert teacher.id_number_hint not in html


def _xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


# --- export --------------------------------------------------------------------------------


def test_export_reads_back(client, me, id_number):
    user, _teacher, _records = me
    client.force_login(user)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(book["研習紀錄"].iter_rows(values_only=True))
    assert rows[0][:5] == ("學年度", "研習起日", "研習迄日", "課程代碼", "研習名稱")
    data, total = rows[1:-1], rows[-1]
    assert [r[4] for r in data] == [
        "國際教育新趨勢",
        "班級經營實務",
        "數學素養評量",
        "閱讀理解教學策略",
        "防災知能",
    ]
    assert data[0][0] == "113學年度" and data[0][1] == "2025-01-15"
    assert data[0][6] == "新興教育政策" and data[0][7] == "國際教育"
    assert data[0][8] == 4 and data[0][9] == 1.5
    assert data[1][7] == "性平教育、國際教育"
    assert data[4][11] == "縣市傳報"
    assert total[0] == "合計" and total[8] == 17 and total[9] == 1.5
    text = _xlsx_text(content)
    assert id_number not in text and "1979-05-17" not in text


def test_export_follows_filters_and_sort(client, me):
    user, _teacher, _records = me
    client.force_login(user)
    response = client.get(EXPORT, {"sy": "113", "sort": "hours", "year": "bad"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book["研習紀錄"].iter_rows(values_only=True))
    assert [r[4] for r in rows[1:-1]] == ["國際教育新趨勢", "班級經營實務"]
    assert rows[-1][8] == 10
    info = dict(book["說明"].iter_rows(values_only=True))
    assert "113" in info["篩選條件"]


def test_formula_like_course_names_stay_text(client, me):
    user, teacher, _records = me
    make_record(teacher, start=D(2020, 1, 1), hours=1, course_name='=HYPERLINK("x")')
    client.force_login(user)
    content = b"".join(client.get(EXPORT, {"year": "2020"}).streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content))["研習紀錄"]
    assert sheet.cell(row=2, column=5).value == '=HYPERLINK("x")'
    assert sheet.cell(row=2, column=5).data_type == "s"


# --- access --------------------------------------------------------------------------------


def test_teacher_without_serving_unit_may_look_up_records(client):
    user = make_teacher_user(None)
    make_record(user.teacher, start=D(2024, 3, 1), hours=2)
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["summary"].hours == 2
    assert client.get(EXPORT).status_code == 200


def test_anonymous_and_staff_are_refused(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert client.get(EXPORT).status_code == 302
    staff = make_staff(UnitFactory())
    client.force_login(staff.user)
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_teacher_home_links_to_the_records_page(client):
    user = make_teacher_user(UnitFactory())
    client.force_login(user)
    html = client.get(reverse("accounts:teacher_home")).content.decode()
    assert f'href="{reverse("records:my_records")}"' in html


def test_own_records_are_not_audited(client, me):
    from inservice.core.models import AuditEvent

    user, _teacher, _records = me
    client.force_login(user)
    before = AuditEvent.objects.count()
    client.get(URL)
    b"".join(client.get(EXPORT).streaming_content)
    assert AuditEvent.objects.count() == before


# --- speed ---------------------------------------------------------------------------------


def _bulk_records(teacher, n):
    first = D(1986, 9, 1)
    tags = [[], [GENDER], [INTL], [GENDER, INTL]]
    TrainingRecord.objects.bulk_create(
        TrainingRecord(
            teacher=teacher,
            course_code=f"B{teacher.pk}-{i}",
            course_name=f"終身學習課程 {i}",
            organizer_name="測試",
            source="online",
            category=f"5-{i % 6 + 1}",
            tags=tags[i % 4],
            start_date=first + datetime.timedelta(days=i * 9),
            end_date=first + datetime.timedelta(days=i * 9),
            hours_requested=Decimal("3.5"),
            hours=Decimal("3"),
            hours_withheld=Decimal("0.5"),
            closed_at=timezone.now(),
        )
        for i in range(n)
    )


def _count_queries(client, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_query_count_does_not_grow_with_forty_years_of_records(
    client, django_assert_max_num_queries
):
    small = make_teacher_user(UnitFactory())
    big = make_teacher_user(UnitFactory())
    _bulk_records(small.teacher, 3)
    _bulk_records(big.teacher, 1500)  # about forty years
    client.force_login(small)
    client.get(URL)  # warm the catalog cache
    few, _ = _count_queries(client, {"sort": "hours", "tag": GENDER})
    client.force_login(big)
    many, response = _count_queries(client, {"sort": "hours", "tag": GENDER})
    assert many == few
    assert response.context["summary"].count == 750
    assert response.context["summary"].hours == Decimal("2250")
    with django_assert_max_num_queries(10):
        client.get(URL, {"by": "year"})


def test_record_queries_use_an_index_on_a_large_table():
    """20,000 analysed records of 50 teachers: one teacher's list and totals are read
    through an index, never a scan of the whole table."""
    from inservice.records.services.queries import RecordFilters, filter_records

    teachers = [TeacherFactory(serving_unit=None) for _ in range(50)]
    for t in teachers:
        _bulk_records(t, 400)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_trainingrecord")
    me = teachers[7]
    page = TrainingRecord.objects.filter(teacher=me).order_by("-start_date", "-id")[:50]
    totals = filter_records(
        TrainingRecord.objects.filter(teacher=me), RecordFilters(school_year=100)
    ).values("category")
    for qs in (page, totals):
        plan = qs.explain()
        assert "Index" in plan, plan
        assert 'Seq Scan on "records_trainingrecord"' not in plan
        assert "Seq Scan on records_trainingrecord" not in plan


def test_cached_totals_follow_every_change_to_the_records(client, me):
    """The unfiltered totals are cached per teacher; a new record, a re-counted one (an
    exception grant changes hours and withheld hours), a back-dated one and the 30-day
    新增 window all show at once."""
    from inservice.records.services.queries import teacher_summary

    user, teacher, records = me
    client.force_login(user)
    first = client.get(URL).context["summary"]
    count, hit = _count_queries(client)
    again = hit.context["summary"]
    assert (again.count, again.hours, again.withheld, again.recent) == (
        first.count,
        first.hours,
        first.withheld,
        first.recent,
    )
    assert _buckets(again.by_period) == _buckets(first.by_period)
    assert _buckets(again.by_tag) == _buckets(first.by_tag)
    assert count < _count_queries(client, {"category": "5-1"})[0]  # filtered: not cached

    make_record(teacher, start=D(2025, 3, 3), hours=2, tags=[GENDER])
    s = client.get(URL).context["summary"]
    assert s.count == first.count + 1 and s.hours == first.hours + 2
    assert s.recent == first.recent + 1

    r4 = records["r4"]
    TrainingRecord.objects.filter(pk=r4.pk).update(
        hours=r4.hours + r4.hours_withheld, hours_withheld=0
    )
    s2 = client.get(URL).context["summary"]
    assert s2.hours == s.hours + r4.hours_withheld
    assert s2.withheld == s.withheld - r4.hours_withheld

    TrainingRecord.objects.filter(pk=r4.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    assert client.get(URL).context["summary"].recent == s.recent - 1

    # Time passing alone: a month later nothing is recent any more, cache or not.
    now = timezone.now()
    assert teacher_summary(teacher, now=now).recent == 1
    assert teacher_summary(teacher, now=now + datetime.timedelta(days=31)).recent == 0
    assert teacher_summary(teacher, now=now).recent == 1
