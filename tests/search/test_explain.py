"""On PostgreSQL a keyword query reads the GIN index, not the whole table.

Twenty thousand rows and ANALYZE give the planner real statistics; no `enable_seqscan = off`:
with a rare keyword the index is the cheapest plan on its own merits, as it will be on the
national table (4 million rows, see docs/search.md)."""

import random

import pytest
from django.db import connection

from inservice.organizations.models import County
from inservice.search import tokens
from inservice.search.models import CourseSearchEntry
from inservice.search.query import SearchParams, search
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

ROWS = 20000
WORDS = "教學 課程 設計 研習 工作坊 素養 導向 閱讀 科技 輔導 班級 經營 領域 實作 評量 社群".split()


def test_keyword_query_uses_the_gin_index():
    assert connection.vendor == "postgresql"
    unit = UnitFactory(county=County.objects.get(code="63000"), name="中正國小")
    rng = random.Random(4)
    # 300 distinct course names over 20,000 rows (built in SQL, it is quick); the rare
    # name "海洋教育探索" is on two rows only.
    names = ["".join(rng.sample(WORDS, 4)) for _ in range(300)]
    vectors = [tokens.tsvector_literal(name, unit.name) for name in names]
    rare = tokens.tsvector_literal("海洋教育探索", unit.name)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO courses_course (code, unit_id, status, source, name, created_at,
                updated_at, cancel_reason, revision)
            SELECT 8000000 + i, %(unit)s, 'published', 'online',
                CASE WHEN i IN (17, 12500) THEN '海洋教育探索'
                     ELSE (%(names)s::text[])[i %% 300 + 1] END,
                now(), now(), '', 0
            FROM generate_series(0, %(last)s) AS i;
            INSERT INTO search_coursesearchentry (course_id, code, name, status, unit_id,
                county_id, class_type, taxonomy_stage, category, topic_item, level,
                target_stages, tags, delivery, time_slots, search_vector, search_text,
                indexed_at)
            SELECT c.id, c.code, c.name, c.status, c.unit_id, %(county)s, '', '', '', '', '',
                '[]', '[]', '[]', '[]',
                CASE WHEN c.name = '海洋教育探索' THEN %(rare)s::tsvector
                     ELSE ((%(vectors)s)::text[])[(c.code - 8000000) %% 300 + 1]::tsvector END,
                '', now()
            FROM courses_course c WHERE c.code >= 8000000;
            """,
            {
                "unit": unit.pk,
                "county": unit.county_id,
                "names": names,
                "vectors": vectors,
                "rare": rare,
                "last": ROWS - 1,
            },
        )
    assert CourseSearchEntry.objects.count() == ROWS
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_coursesearchentry")

    queryset = search(SearchParams(q="海洋教育"))
    assert sorted(e.code for e in queryset) == [8_000_017, 8_012_500]
    plan = queryset.explain()
    assert "search_vector_gin" in plan, plan
    assert "Seq Scan on search_coursesearchentry" not in plan, plan

    plan = search(SearchParams(q="洋")).explain()  # one character: one token
    assert "search_vector_gin" in plan, plan
