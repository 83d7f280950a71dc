"""A common keyword phrase is found by walking the order's indexes (search.stats, query
`SearchResults._walk_keyword`): PostgreSQL multiplies the shares of a phrase's trigrams and
underestimates it, so its own plan read every match. Same results either way. A keyword of
up to three characters is one lexeme, whose share the statistics give."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from inservice.organizations.models import County
from inservice.search import stats, tokens
from inservice.search.query import SearchParams, SearchResults, search
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    unit = UnitFactory(county=County.objects.get(code="63000"))
    today = timezone.localdate()
    names = ["自然科學探究研習", "數位學習工作坊", "自然科學教學觀摩", "班級經營講座"]
    with connection.cursor() as cursor:
        for i in range(400):
            name = f"{names[i % 4]}{i}"
            start = today + dt.timedelta(days=(i % 50) - 40)
            cursor.execute(
                """
                INSERT INTO courses_course (code, unit_id, status, source, name, created_at,
                    updated_at, cancel_reason, revision)
                VALUES (%s, %s, 'published', 'online', %s, now(), now(), '', 0) RETURNING id
                """,
                [7_100_000 + i, unit.pk, name],
            )
            course_id = cursor.fetchone()[0]
            cursor.execute(
                """
                INSERT INTO search_coursesearchentry (course_id, code, name, status, unit_id,
                    county_id, start_date, end_date, class_type, taxonomy_stage, category,
                    topic_item, level, target_stages, tags, delivery, time_slots,
                    search_vector, search_text, indexed_at)
                VALUES (%s, %s, %s, 'published', %s, %s, %s, %s, '', '', '', '', '', '[]',
                    '[]', '[]', '[]', %s::tsvector, '', now())
                """,
                [
                    course_id,
                    7_100_000 + i,
                    name,
                    unit.pk,
                    unit.county_id,
                    start,
                    start + dt.timedelta(days=i % 3),
                    tokens.tsvector_literal(name),
                ],
            )
        cursor.execute("ANALYZE search_coursesearchentry")
    stats._cache.clear()
    yield
    stats._cache.clear()


def test_the_share_of_a_phrase_is_its_rarest_trigram(rows):
    share = stats.keyword_share("自然科學")
    assert share == pytest.approx(0.5, abs=0.1)  # half the rows; PostgreSQL's own: ~0.25
    assert stats.keyword_share("海洋教育") is None  # not among the listed lexemes
    assert stats.single_lexeme_rows("自然科學") is None  # a phrase: its share is a bound


def test_a_three_character_keyword_is_one_lexeme_with_its_own_estimate(rows):
    assert stats.keyword_share("自然科") == pytest.approx(0.5, abs=0.1)
    assert stats.single_lexeme_rows("自然科") == pytest.approx(200, abs=40)
    assert stats.single_lexeme_rows("自然") == pytest.approx(200, abs=40)
    found = SearchResults(SearchParams(q="自然科"))
    assert found._page_base is found._base  # nothing to walk: no phrase


def test_a_common_phrase_walks_and_finds_what_the_index_finds(rows):
    params = SearchParams(q="自然科學")
    found = SearchResults(params)
    assert found._page_base != found._base and "ts_match_vq" in found._page_base[1]
    expected = [e.code for e in search(params)]
    paged = []
    for offset in range(0, len(expected), 20):
        paged += [e.code for e in found[offset : offset + 20]]
    assert paged == expected and len(expected) == 200


def test_a_rare_or_single_token_keyword_keeps_the_index(rows):
    for q in ("數位", "海洋教育"):  # one bigram; a phrase too rare to be listed
        found = SearchResults(SearchParams(q=q))
        assert found._page_base is found._base, q


def test_the_statistics_answer_the_same_when_read_from_memory(db):
    """Read once, then kept: the kept answer is the one first read, with or without
    statistics (a table never analysed once made every keyword look rare)."""
    stats._cache.clear()
    try:
        first = (stats.keyword_share("海洋教育"), stats.keyword_is_rare("海洋教育"))
        kept = (stats.keyword_share("海洋教育"), stats.keyword_is_rare("海洋教育"))
        assert kept == first
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stats WHERE tablename = 'search_coursesearchentry' "
                "AND attname = 'search_vector' AND most_common_elems IS NOT NULL"
            )
            analysed = cursor.fetchone()[0] > 0
        assert first == (None, analysed)
    finally:
        stats._cache.clear()
