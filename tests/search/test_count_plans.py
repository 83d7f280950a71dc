"""The count's plans (query.py, `SearchResults._count_plan`): courses not yet over read first
when the search is narrowed to them, the keyword's own index when it is not too common, and
index-only scans of the covering code indexes. Whatever the plan, the count and the pages are
exactly what `search()` finds."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inservice.organizations.models import County
from inservice.search import stats
from inservice.search.query import SearchParams, SearchResults, search
from tests.factories import UnitFactory
from tests.search.rows import add_code_lexemes

pytestmark = pytest.mark.django_db

ROWS = 600


@pytest.fixture
def rows():
    """600 rows whose codes, dates and registration windows vary independently; 閱讀 is on
    one row in fifty (a keyword that drives the count), 數學 on half (one that does not)."""
    taipei = UnitFactory(county=County.objects.get(code="63000"))
    newtaipei = UnitFactory(county=County.objects.get(code="65000"))
    now = timezone.now()
    today = timezone.localdate(now)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO courses_course (code, unit_id, status, source, name, created_at,
                updated_at, cancel_reason, revision)
            SELECT 7200000 + i, CASE WHEN i %% 3 = 0 THEN %(b)s ELSE %(a)s END, 'published',
                'online',
                CASE WHEN i %% 50 = 0 THEN '閱讀理解研習' WHEN i %% 2 = 1 THEN '數學教學研習'
                     ELSE '班級經營講座' END,
                now(), now(), '', 0
            FROM generate_series(0, %(last)s) AS i;
            INSERT INTO search_coursesearchentry (course_id, code, name, status, unit_id,
                county_id, start_date, end_date, registration_opens, registration_closes,
                published_at, class_type, taxonomy_stage, category, topic_item, level,
                target_stages, tags, delivery, time_slots, search_vector, search_text,
                indexed_at)
            SELECT c.id, c.code, c.name,
                CASE WHEN (c.code - 7200000) %% 23 = 0 THEN 'closed' ELSE 'published' END,
                c.unit_id, u.county_id,
                CASE WHEN i %% 37 = 0 THEN NULL ELSE %(today)s::date + (i %% 40 - 30) END,
                CASE WHEN i %% 41 = 0 THEN NULL ELSE %(today)s::date + (i %% 40 - 30) + i %% 4
                END,
                %(now)s::timestamptz - make_interval(days => i %% 5),
                CASE WHEN i %% 29 = 0 THEN NULL
                     ELSE %(now)s::timestamptz + make_interval(days => i %% 9 - 4) END,
                %(now)s::timestamptz - make_interval(days => i %% 60),
                (ARRAY['1-1', '1-2'])[(i / 3) %% 2 + 1], '',
                (ARRAY['5-1', '5-2', '5-3'])[(i / 7) %% 3 + 1],
                (ARRAY['1-3-6', '1-3-7'])[(i / 5) %% 2 + 1],
                (ARRAY['7-1', '7-2'])[i %% 2 + 1],
                (ARRAY['["14-3"]', '["14-4"]', '["14-3", "14-4"]', '[]'])[i %% 4 + 1]::jsonb,
                (ARRAY['["gender-equality"]', '[]', '["reading"]'])[(i / 2) %% 3 + 1]::jsonb,
                (ARRAY['["11-1"]', '["11-3"]'])[(i / 11) %% 2 + 1]::jsonb,
                (ARRAY['["12-1"]', '["12-2"]', '["12-1", "12-3"]'])[(i / 13) %% 3 + 1]::jsonb,
                CASE WHEN i %% 50 = 0
                     THEN '''閱'':1 ''閱讀'':1 ''讀'':2 ''讀理'':2 ''理'':3 ''理解'':3 ''解'':4'
                     WHEN i %% 2 = 1 THEN '''數'':1 ''數學'':1 ''學'':2 ''學教'':2 ''教'':3'
                     ELSE '''班'':1 ''班級'':1 ''級'':2' END::tsvector,
                '', now()
            FROM courses_course c
            JOIN organizations_unit u ON u.id = c.unit_id
            CROSS JOIN LATERAL (SELECT (c.code - 7200000)::int AS i) n
            WHERE c.code >= 7200000;
            """,
            {
                "a": taipei.pk,
                "b": newtaipei.pk,
                "last": ROWS - 1,
                "today": today,
                "now": now,
            },
        )
        add_code_lexemes(cursor, 7200000)
        cursor.execute("ANALYZE search_coursesearchentry")
    stats._cache.clear()
    yield {"now": now, "today": today, "taipei": taipei.county_id, "unit": newtaipei.pk}
    stats._cache.clear()


def _same_as_search(params, now):
    expected = [e.code for e in search(params, now=now)]
    found = SearchResults(params, now=now)
    assert found.count() == len(expected), params
    paged = []
    for offset in range(0, len(expected), 25):
        paged += [e.code for e in found[offset : offset + 25]]
    assert paged == expected, params
    # With more matches than the cap, a fenced count does not keep its rows: the page reads
    # the table as every other search does.
    capped = SearchResults(params, now=now, cap=10)
    assert capped.count() == min(len(expected), 11), params
    assert [e.code for e in capped[0:10]] == expected[:10], params
    return found, expected


@pytest.mark.parametrize("code_share", [SearchResults.CODE_SHARE, 1.0])
def test_every_plan_counts_and_pages_what_search_finds(rows, code_share, monkeypatch):
    """With the default share no code of these rows is rare enough to join the keyword's GIN
    scan; with 1.0 every one does."""
    monkeypatch.setattr(SearchResults, "CODE_SHARE", code_share)
    now, today, county = rows["now"], rows["today"], rows["taipei"]
    every_code = {
        "county_id": county,
        "item": "1-3-6",
        "level": "7-1",
        "class_type": "1-2",
        "delivery": ["11-3"],
        "slots": ["12-1", "12-3"],
        "tag": "reading",
    }
    cases = [
        SearchParams(open_now=True),
        SearchParams(open_now=True, county="63000"),  # the county by code: a join
        SearchParams(open_now=True, unit_id=rows["unit"], level="7-1"),
        SearchParams(open_now=True, county_id=county, category="5-1", sort="deadline"),
        SearchParams(open_now=True, q="數學", category="5-1", stages=["14-3"]),
        SearchParams(open_now=True, q="海洋教育", category="5-1"),
        SearchParams(date_from=today, q="數學", sort="newest"),
        SearchParams(date_from=today, date_to=today + dt.timedelta(days=5), tag="reading"),
        SearchParams(date_from=today - dt.timedelta(days=10), category="5-2"),
        SearchParams(q="閱讀", category="5-1", stages=["14-3", "14-4"]),
        SearchParams(q="閱讀", **every_code),
        SearchParams(q="閱讀理解", category="5-2"),
        SearchParams(q="數學", category="5-1", county="65000"),
        SearchParams(category="5-2", level="7-1", class_type="1-2", delivery=["11-3"]),
        SearchParams(item="1-3-6", county_id=county, slots=["12-1"]),
        SearchParams(q="數學", category="5-1", date_from=today - dt.timedelta(days=5)),
        SearchParams(q="數學", open_now=True, date_to=today + dt.timedelta(days=5)),
        SearchParams(q="閱讀", tag="reading", sort="deadline"),
        SearchParams(q="數學", county_id=county, stages=["14-4"], sort="newest"),
    ]
    sizes = [len(_same_as_search(params, now)[1]) for params in cases]
    # The cases are not vacuous: most find rows, several find many.
    assert sum(1 for size in sizes if size > 0) >= 14 and max(sizes) > 100, sizes


def test_open_now_and_dates_from_today_read_the_courses_not_yet_over_first(rows):
    now, today = rows["now"], rows["today"]
    found = SearchResults(SearchParams(open_now=True, category="5-1"), now=now)
    assert found._count_source[0].endswith("registration_closes > %s")
    # The filters are then tested on those rows, in the count and in the page.
    assert "texteq" in found._count_base[1] and "texteq" in found._page_base[1]
    with CaptureQueriesContext(connection) as ctx:
        found.count()
    assert 'WHERE "search_coursesearchentry".registration_closes >' in ctx[0]["sql"]
    assert "OFFSET 0" in ctx[0]["sql"]

    found = SearchResults(SearchParams(date_from=today, q="數學"), now=now)
    assert found._count_source[0].endswith("end_date >= %s")
    # Every segment's rows are then few: a common keyword is tested on them, not ANDed in.
    assert "ts_match_vq" in found._page_base[1] and "@@" not in found._page_base[1]
    # Dates reaching into the past are not a narrow set.
    found = SearchResults(SearchParams(date_from=today - dt.timedelta(days=1)), now=now)
    assert found._count_source is None and found._count_base is found._base


def test_a_rare_keyword_keeps_its_own_index_even_when_open_now(rows):
    assert stats.keyword_is_rare("海洋教育")
    found = SearchResults(SearchParams(open_now=True, q="海洋教育", category="5-1"))
    assert found._count_source is None
    assert "texteq" in found._count_base[1]  # and the keyword drives the count


def test_a_keyword_no_more_common_than_the_drive_share_drives_the_count(rows):
    share = stats.keyword_share("閱讀")
    assert share is not None and share <= SearchResults.DRIVE_SHARE
    found = SearchResults(SearchParams(q="閱讀", category="5-1", stages=["14-3"]))
    where = found._count_base[1]
    assert "texteq" in where and "jsonb_exists_any" in where and "@@" in where
    assert found._page_base is found._base  # the page keeps its own plan

    # The category is on a third of the rows, stage 14-3 on half: no help in the GIN scan.
    assert found._count_base[2][0] == "'閱讀'"

    assert stats.keyword_share("數學") > SearchResults.DRIVE_SHARE
    found = SearchResults(SearchParams(q="數學", category="5-1"))
    assert found._count_base is found._base
    # Without a code filter there is nothing to write unindexed.
    found = SearchResults(SearchParams(q="閱讀"))
    assert found._count_base is found._base


def test_codes_on_few_rows_join_a_driving_keywords_gin_scan(rows, monkeypatch):
    params = SearchParams(q="閱讀", category="5-1", stages=["14-3", "14-4"], level="7-1")
    monkeypatch.setattr(SearchResults, "CODE_SHARE", 0.4)  # the category (a third) joins
    assert SearchResults(params)._count_base[2][0] == "'閱讀' & 'category=5-1'"
    monkeypatch.setattr(SearchResults, "CODE_SHARE", 1.0)  # any of two stages: their sum
    assert SearchResults(params)._count_base[2][0] == (
        "'閱讀' & 'category=5-1' & 'level=7-1' & ('stage=14-3' | 'stage=14-4')"
    )


def test_a_driving_keyword_counts_with_each_code_lexeme_what_search_finds(rows, monkeypatch):
    """Each code filter alone with 閱讀, valued as on the first 閱讀 row (so each finds it):
    a code whose lexeme the indexer and the query spelled differently would count 0."""
    monkeypatch.setattr(SearchResults, "CODE_SHARE", 1.0)
    now = rows["now"]
    first = {
        "county_id": County.objects.get(code="65000").pk,
        "category": "5-1",
        "item": "1-3-6",
        "level": "7-1",
        "class_type": "1-1",
        "stages": ["14-3"],
        "tag": "gender-equality",
        "delivery": ["11-1"],
        "slots": ["12-1"],
    }
    for name, value in first.items():
        params = SearchParams(q="閱讀", **{name: value})
        found, expected = _same_as_search(params, now)
        assert "=" in found._count_base[2][0] and len(expected) >= 1, name
        assert 7200000 in expected, name


@pytest.mark.parametrize(
    ("params", "index"),
    [
        (
            {"category": "5-2", "level": "7-1", "class_type": "1-2", "delivery": ["11-3"]},
            "search_category_cover",
        ),
        (
            {"item": "1-3-6", "stages": ["14-3"], "slots": ["12-1"], "tag": "reading"},
            "search_topic_item_cover",
        ),
    ],
)
def test_a_count_by_codes_reads_a_covering_index_alone(rows, params, index):
    """An index-only scan is possible only if the index carries every filtered column. (With
    a county, the test table is small enough for the county's own index to win.)"""
    found = SearchResults(SearchParams(**params))
    with CaptureQueriesContext(connection) as ctx:
        found.count()
    sql = ctx[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Index Only Scan using {index}" in plan, plan


def test_the_narrow_segments_test_the_filters_on_their_rows(rows):
    """Courses to come (and rows ending before they start) are few: their segments test the
    codes, the dates and a common keyword on their rows instead of ANDing bitmaps of the
    whole table; the past segments keep the indexed forms."""
    from inservice.search.query import page_sql

    now, today = rows["now"], rows["today"]
    params = SearchParams(q="數學", category="5-1", date_from=today - dt.timedelta(days=5))
    assert stats.keyword_share("數學") >= SearchResults.NARROW_WALK_SHARE
    found = SearchResults(params, now=now)
    sql, _params = page_sql(
        found._page_base,
        "start",
        now,
        0,
        20,
        ops=connection.ops,
        pg=True,
        narrow_base=found._narrow_page_base,
    )
    under_way, to_come, undated, bad, past, past_undated = sql.split(" UNION ALL ")
    for branch in (to_come, bad):
        assert "texteq" in branch and "date_ge" in branch and "ts_match_vq" in branch
    for branch in (past, undated):
        assert "texteq" not in branch and '"category" = ' in branch and "@@" in branch


def test_a_one_word_keyword_on_many_rows_is_not_counted(rows):
    """數學 is on 300 of the 600 rows: with a cap of 10 the statistics make "more than 10"
    certain, and no count runs. Anything besides the word is counted."""
    assert stats.single_lexeme_rows("數學") == pytest.approx(300, rel=0.1)
    found = SearchResults(SearchParams(q="數學"), cap=10)
    with CaptureQueriesContext(connection) as ctx:
        assert found.count() == 11 and found.more_than_cap
    assert not any("COUNT(*)" in q["sql"] for q in ctx.captured_queries)
    assert [e.code for e in found[0:5]] == [e.code for e in search(SearchParams(q="數學"))[:5]]

    for params in (
        SearchParams(q="數學", category="5-1"),
        SearchParams(q="數學教"),  # a phrase: its share is only a bound
        SearchParams(q="閱讀"),  # 12 rows: not 20 times the cap
    ):
        found = SearchResults(params, cap=10)
        with CaptureQueriesContext(connection) as ctx:
            found.count()
        assert any("COUNT(*)" in q["sql"] for q in ctx.captured_queries), params


def test_a_short_page_corrects_a_count_the_statistics_got_wrong(rows):
    with connection.cursor() as cursor:  # behind the statistics' back
        cursor.execute(
            "DELETE FROM search_coursesearchentry WHERE name = '數學教學研習' AND code > 7200010"
        )
    found = SearchResults(SearchParams(q="數學"), cap=10)
    assert found.count() == 11  # estimated
    page = found[0:10]
    assert len(page) < 10 and found.count() == len(search(SearchParams(q="數學"))) == len(page)


def test_a_fence_reads_only_what_the_closing_index_covers(rows):
    """Without a keyword, an "open now" count reads only columns of `search_closes_cover`, so
    PostgreSQL can answer it from the index alone; with one, the vector is read too."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inservice.search.query import _FENCE_COLUMNS

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE c.relname = 'search_closes_cover'"
        )
        covered = {name for (name,) in cursor.fetchall()}
    assert set(_FENCE_COLUMNS) <= covered

    def fence(params):
        with CaptureQueriesContext(connection) as ctx:
            SearchResults(params, now=rows["now"]).count()
        (sql,) = [q["sql"] for q in ctx.captured_queries if " OFFSET 0)" in q["sql"]]
        return sql.split(" OFFSET 0)")[0]

    assert "search_vector" not in fence(SearchParams(open_now=True, county_id=rows["taipei"]))
    assert "search_vector" in fence(SearchParams(open_now=True, q="數學"))


def test_a_fenced_count_within_the_cap_gives_the_page_its_rows(rows):
    """An "open now" count reads every match when there are no more than the cap; the page
    then orders those rows by key instead of testing the keyword on the fence again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    params = SearchParams(open_now=True, q="數學")
    found, expected = _same_as_search(params, rows["now"])
    assert 0 < len(expected) <= found.cap
    again = SearchResults(params, now=rows["now"])
    with CaptureQueriesContext(connection) as ctx:
        page = [e.code for e in again[0:25]]
    count, page_query = [
        q["sql"] for q in ctx.captured_queries if "search_coursesearchentry" in q["sql"]
    ]
    assert page == expected[:25]
    assert "@@" in count and "@@" not in page_query and "course_id = ANY(" in page_query
