"""The teacher page's totals (grouped queries per category, per year and over the tags)
against totals counted the plain way: per-tag `has_tag` filters as the
page used to run them, years and categories summed in Python. Plus the number of queries
the page sends to the records table, filtered, cached and not."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inservice.catalog import selectors
from inservice.records.forms_pages import RecordFilterForm
from inservice.records.models import TrainingRecord
from inservice.records.services.queries import (
    Period,
    filter_records,
    has_tag,
    recent_cutoff,
    school_year_of,
)
from tests.factories import TeacherFactory, make_record, make_teacher_user

pytestmark = pytest.mark.django_db

URL = "/my/records/"
D = datetime.date
GENDER, INTL, FAMILY = "gender-equality", "international-education", "family-education"


@pytest.fixture
def teacher_user():
    """Records across school-year and calendar-year edges, with credits, withheld hours,
    a duplicated tag, a tag the catalog does not know, no tags, no category, old and new."""
    user = make_teacher_user(None)
    t = user.teacher
    old = timezone.now() - datetime.timedelta(days=400)
    rows = [
        (D(2023, 7, 31), "3", [GENDER], "5-1", {"credits": Decimal("1.5")}),
        (D(2023, 8, 1), "6", [GENDER, INTL], "5-2", {"hours_withheld": "2"}),
        (D(2023, 12, 31), "2.5", [], "", {"source": "partner", "partner": "某基金會"}),
        (D(2024, 1, 1), "4", [INTL, INTL], "5-1", {"course_name": "國際教育 工作坊"}),
        (D(2024, 7, 31), "1.5", ["not-a-tag"], "5-6", {}),
        (D(2024, 8, 1), "3", [GENDER, "not-a-tag", FAMILY], "5-3", {"hours_withheld": "0.5"}),
        (D(2025, 3, 3), "2", [FAMILY], "5-2", {"credits": Decimal("0.5")}),
        (D(2025, 9, 9), "7", [GENDER, INTL, FAMILY], "5-1", {"source": "county_transmit"}),
    ]
    for n, (start, hours, tags, category, extra) in enumerate(rows):
        make_record(
            t,
            start=start,
            hours=hours,
            tags=tags,
            category=category,
            created_at=None if n % 3 == 0 else old,
            **extra,
        )
    make_record(TeacherFactory(), start=D(2024, 3, 3), hours=9, tags=[GENDER])  # someone else's
    return user


def _reference(teacher, query: dict, by: str, now) -> dict:
    """The totals counted without the page's grouped queries."""
    form = RecordFilterForm(query)
    form.is_valid()
    filters = form.filters()
    mine = TrainingRecord.objects.filter(teacher=teacher)
    qs = filter_records(mine, filters)
    everything = filter_records(mine, filters.without_period())
    records = list(qs)
    cutoff = recent_cutoff(now)

    def bucket(r):
        return school_year_of(r.start_date) if by == Period.SCHOOL_YEAR else r.start_date.year

    per_year: dict = {}
    for r in everything:
        n, h, w = per_year.get(str(bucket(r)), (0, Decimal(0), Decimal(0)))
        per_year[str(bucket(r))] = (n + 1, h + r.hours, w + r.hours_withheld)
    per_category: dict = {}
    for r in records:
        n, h, w = per_category.get(r.category, (0, Decimal(0), Decimal(0)))
        per_category[r.category] = (n + 1, h + r.hours, w + r.hours_withheld)
    per_tag = {}
    for tag in selectors.all_tags():  # what the page ran before: one FILTER per tag
        row = qs.filter(has_tag(tag.code)).aggregate(n=Count("id"), h=Sum("hours"))
        if row["n"]:
            per_tag[tag.code] = (row["n"], row["h"])
    return {
        "count": len(records),
        "hours": sum((r.hours for r in records), Decimal(0)),
        "withheld": sum((r.hours_withheld for r in records), Decimal(0)),
        "credits": sum((r.credits or 0 for r in records), Decimal(0)),
        "recent": sum(1 for r in records if r.created_at >= cutoff),
        "by_period": per_year,
        "period_order": sorted(per_year, key=int, reverse=True),
        "by_category": per_category,
        "by_tag": per_tag,
    }


def _page(summary) -> dict:
    return {
        "count": summary.count,
        "hours": summary.hours,
        "withheld": summary.withheld,
        "credits": summary.credits,
        "recent": summary.recent,
        "by_period": {b.key: (b.count, b.hours, b.withheld) for b in summary.by_period},
        "period_order": [b.key for b in summary.by_period],
        "by_category": {b.key: (b.count, b.hours, b.withheld) for b in summary.by_category},
        "by_tag": {b.key: (b.count, b.hours) for b in summary.by_tag},
    }


QUERIES = [
    {},
    {"by": "year"},
    {"source": "online", "sort": "hours"},
    {"tag": GENDER},
    {"tag": INTL, "by": "year"},
    {"sy": "112"},
    {"year": "2024", "category": "5-1"},
    {"from": "2023-08-01", "to": "2024-12-31", "tag": GENDER},
    {"q": "國際", "source": "online"},
    {"sy": "110"},  # nothing in that year: the per-year table still lists every year
]


@pytest.mark.parametrize("query", QUERIES)
def test_page_totals_equal_the_plain_totals(client, teacher_user, query):
    cache.clear()
    client.force_login(teacher_user)
    response = client.get(URL, query)
    assert response.status_code == 200
    by = query.get("by", Period.SCHOOL_YEAR)
    expected = _reference(teacher_user.teacher, query, by, timezone.now())
    assert _page(response.context["summary"]) == expected
    if not query:
        # The cached totals (second request) are the same numbers.
        assert _page(client.get(URL).context["summary"]) == expected


def test_tag_totals_count_a_record_once_per_tag_and_skip_unknown_codes(client, teacher_user):
    client.force_login(teacher_user)
    by_tag = {b.key: (b.count, b.hours) for b in client.get(URL).context["summary"].by_tag}
    assert by_tag == {
        GENDER: (4, Decimal("19")),  # 3 + 6 + 3 + 7
        INTL: (3, Decimal("17")),  # 6 + 4 ([INTL, INTL] once) + 7
        FAMILY: (3, Decimal("12")),  # 3 + 2 + 7
    }
    assert [b.key for b in client.get(URL).context["summary"].by_tag] == [
        t.code for t in selectors.all_tags() if t.code in by_tag
    ]


def _record_queries(client, query=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, query or {}).status_code == 200
    return sum("records_trainingrecord" in q["sql"] for q in ctx.captured_queries)


def test_queries_on_the_records_table_are_pinned(client, teacher_user):
    """Filtered: totals per category, per tag and per year, and the page. Unfiltered: the
    fingerprint and the page when cached, plus the three totals queries when not."""
    cache.clear()
    client.force_login(teacher_user)
    assert _record_queries(client) == 5
    assert _record_queries(client) == 2
    assert _record_queries(client, {"source": "online", "sort": "hours"}) == 4
    assert _record_queries(client, {"sy": "112", "tag": GENDER}) == 4


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=3",
        "sy=112&tag=gender-equality&page=2",
        "q=%E5%9C%8B%E9%9A%9B+%26+x&year=2024&sy=1&sy=2&from=2020-01-01&sort=-hours",
        "category=5-1&by=year&tag=a&tag=b&extra=%3C%3E",
    ],
)
def test_bucket_links_are_what_querystring_writes(query):
    """The links of the totals are built from the query once; each equals what copying the
    query for every link (`querystring`) writes."""
    from django.http import QueryDict

    from inservice.records.views_mine import querystring, querystrings

    q = QueryDict(query)
    drop = ("sy", "year", "from", "to", "page")
    for key in ("sy", "year"):
        values = ["113", "112", "0"]
        expected = [querystring(q, **{**dict.fromkeys(drop), key: v}) for v in values]
        assert querystrings(q, key, values, drop) == expected
    for key in ("category", "tag"):
        values = ["5-1", "gender-equality", "中文 &"]
        expected = [querystring(q, **{key: v, "page": None}) for v in values]
        assert querystrings(q, key, values, ("page",)) == expected


def test_totals_queries_use_an_index_on_a_large_table():
    """20,000 analysed records of 50 teachers: every totals query of a filtered page (the
    tag query included) reads one teacher's rows through an index, never the whole table."""
    from inservice.records.services.queries import RecordFilters, summarize

    teachers = [TeacherFactory(serving_unit=None) for _ in range(50)]
    first = D(1986, 9, 1)
    TrainingRecord.objects.bulk_create(
        TrainingRecord(
            teacher=t,
            course_code=f"B{t.pk}-{i}",
            course_name=f"課程 {i}",
            organizer_name="測試",
            source="online",
            category=f"5-{i % 6 + 1}",
            tags=[[], [GENDER], [INTL, FAMILY]][i % 3],
            start_date=first + datetime.timedelta(days=i * 9),
            end_date=first + datetime.timedelta(days=i * 9),
            hours_requested=Decimal("3"),
            hours=Decimal("3"),
            closed_at=timezone.now(),
        )
        for t in teachers
        for i in range(400)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_trainingrecord")
    me = TrainingRecord.objects.filter(teacher=teachers[7])
    everything = filter_records(me, RecordFilters(source="online"))
    with CaptureQueriesContext(connection) as ctx:
        summary = summarize(everything, period=Period.school_year(80).q())
    assert 35 < summary.count < 45 and summary.by_tag
    totals = [q["sql"] for q in ctx.captured_queries if "records_trainingrecord" in q["sql"]]
    assert len(totals) == 3
    with connection.cursor() as cursor:
        for sql in totals:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan, plan
            assert "Seq Scan on records_trainingrecord" not in plan, plan
