"""Large results: a page is read by its keys, segment by segment (query.py, `_segments`), in
exactly the order of `search()`; the count stops at a cap, and pages beyond it are refused
with a clear message."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inservice.organizations.models import County
from inservice.search.query import SearchParams, SearchResults, search
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

ROWS = 90


@pytest.fixture
def odd_rows():
    """Rows with every shape of date the orders must place: past, under way, to come, ties on
    a day, no dates, a start after the end, no registration window, never published."""
    taipei = UnitFactory(county=County.objects.get(code="63000"))
    newtaipei = UnitFactory(county=County.objects.get(code="65000"))
    rng = random.Random(6)
    now = timezone.now()
    today = timezone.localdate(now)
    rows = []
    for i in range(ROWS):
        start = today + dt.timedelta(days=rng.choice([-400, -30, -3, -1, 0, 0, 1, 5, 40]))
        end = start + dt.timedelta(days=rng.choice([0, 0, 1, 2, 10]))
        if i % 17 == 0:
            end = start - dt.timedelta(days=2)  # inconsistent: starts after it ends
        if i % 13 == 0:
            start = None
        if i % 11 == 0:
            end = None
        closes = now + dt.timedelta(hours=rng.choice([-500, -5, 0, 3, 3, 48]))
        rows.append(
            {
                "i": i,
                "unit": (taipei if i % 3 else newtaipei),
                "start": start,
                "end": end,
                "closes": None if i % 7 == 0 else closes,
                "published": None if i % 9 == 0 else now - dt.timedelta(days=rng.randint(0, 5)),
            }
        )
    with connection.cursor() as cursor:
        for row in rows:
            unit = row["unit"]
            cursor.execute(
                """
                INSERT INTO courses_course (code, unit_id, status, source, name, created_at,
                    updated_at, cancel_reason, revision)
                VALUES (%s, %s, 'published', 'online', %s, now(), now(), '', 0) RETURNING id
                """,
                [7_000_000 + row["i"], unit.pk, f"測試課程{row['i']}"],
            )
            course_id = cursor.fetchone()[0]
            cursor.execute(
                """
                INSERT INTO search_coursesearchentry (course_id, code, name, status, unit_id,
                    county_id, start_date, end_date, registration_opens, registration_closes,
                    published_at, class_type, taxonomy_stage, category, topic_item, level,
                    target_stages, tags, delivery, time_slots, search_vector, search_text,
                    indexed_at)
                VALUES (%s, %s, %s, 'published', %s, %s, %s, %s, %s, %s, %s, '', '', '', '',
                    '', '[]', '[]', '[]', '[]', %s::tsvector, '', now())
                """,
                [
                    course_id,
                    7_000_000 + row["i"],
                    f"測試課程{row['i']}",
                    unit.pk,
                    unit.county_id,
                    row["start"],
                    row["end"],
                    None if row["closes"] is None else row["closes"] - dt.timedelta(days=30),
                    row["closes"],
                    row["published"],
                    "'測':1 '測試':1 '試':2",
                ],
            )
    return now


@pytest.mark.parametrize("sort", ["start", "deadline", "newest"])
@pytest.mark.parametrize("filters", [{}, {"county": "63000"}, {"q": "測試"}])
def test_pages_follow_the_order_of_search_exactly(odd_rows, sort, filters):
    params = SearchParams(sort=sort, **filters)
    expected = [e.code for e in search(params, now=odd_rows)]
    found = SearchResults(params, now=odd_rows)
    assert found.count() == len(expected) > 20
    paged = []
    for offset in range(0, len(expected) + 7, 7):
        paged += [e.code for e in found[offset : offset + 7]]
    assert paged == expected


def test_the_count_stops_at_the_cap(odd_rows):
    found = SearchResults(SearchParams(), now=odd_rows, cap=10)
    assert found.count() == 11 and found.more_than_cap
    found = SearchResults(SearchParams(), now=odd_rows, cap=ROWS)
    assert found.count() == ROWS and not found.more_than_cap


def test_a_page_costs_two_queries_whatever_its_depth(odd_rows):
    found = SearchResults(SearchParams(), now=odd_rows)
    with CaptureQueriesContext(connection) as ctx:
        found.count()
        rows = found[80:90]
    assert len(rows) == 10 and len(ctx.captured_queries) == 2


def test_page_shows_more_than_the_cap_and_refuses_pages_beyond_it(client, odd_rows, monkeypatch):
    from inservice.search import views

    monkeypatch.setattr(views, "MAX_RESULTS", 40)
    html = client.get("/courses/").content.decode()
    assert "找到超過 40 門課程" in html
    assert "只列出前 2 頁" in html and "第 1 / 2 頁" in html
    html = client.get("/courses/", {"page": 2}).content.decode()
    assert "第 2 / 2 頁" in html and html.count("<li>\n      <h3>") == 20
    html = client.get("/courses/", {"page": 3}).content.decode()
    assert "沒有第 3 頁" in html and "前往第 2 頁" in html and "?page=2" in html
    assert "<li>\n      <h3>" not in html
    # Below the cap the count is exact, and a page past the end is the last page as before.
    html = client.get("/courses/county/65000/").content.decode()
    assert "找到 30 門課程" in html
    html = client.get("/courses/county/65000/", {"page": 99}).content.decode()
    assert "第 2 / 2 頁" in html


def test_county_parameter_filters_by_key(db):
    """The county code becomes its primary key (from the cached option lists), a constant the
    planner matches against the (county, start date) index rather than a join."""
    from inservice.search.forms import SearchForm
    from inservice.search.query import filtered

    form = SearchForm({"county": "63000"})
    assert form.is_valid()
    params = form.params()
    assert params.county_id == County.objects.get(code="63000").pk
    sql = str(filtered(params).query)
    assert "organizations_county" not in sql and '"county_id" =' in sql
