"""Search results kept in the shared cache (search/results_cache.py): the same search again
costs no SQL, any write to the search table is seen at once, and a search that changes with
the time of day is kept only until the next registration opens or closes."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inservice.accounts.models import StaffRole
from inservice.organizations.models import County
from inservice.search import index, results_cache
from inservice.search.query import SearchParams, SearchResults
from tests.factories import StaffFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(settings):
    settings.SEARCH_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def school():
    return UnitFactory(county=County.objects.get(code="63000"), name="民權國小")


def _reads(ctx) -> int:
    """Statements reading the search table (not its statistics, read once a process)."""
    return sum(
        "search_coursesearchentry" in q["sql"] and "pg_stats" not in q["sql"]
        for q in ctx.captured_queries
    )


def _unmasked(html: str) -> str:
    """The page without its CSRF token (masked afresh on every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _search_sql(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url).content.decode()
    return _reads(ctx), html


def test_the_same_search_again_costs_no_sql(client, kept, publish, school):
    for n in range(3):
        publish(school, name=f"數學工作坊{n}")
    url = "/courses/?q=數學&county=63000"
    queries, first = _search_sql(client, url)
    assert queries == 2 and "找到 3 門課程" in first
    queries, again = _search_sql(client, url)
    assert queries == 0 and _unmasked(again) == _unmasked(first)
    # Another page, order or filter is another search.
    assert _search_sql(client, url + "&sort=newest")[0] == 2
    assert _search_sql(client, "/courses/?q=數學")[0] == 2


def test_a_published_or_cancelled_course_is_seen_at_once(
    client, kept, publish, school, django_capture_on_commit_callbacks
):
    publish(school, name="數學工作坊一")
    url = "/courses/?q=數學"
    assert "找到 1 門課程" in _search_sql(client, url)[1]
    course = publish(school, name="數學工作坊二")
    queries, html = _search_sql(client, url)
    assert queries == 2 and "找到 2 門課程" in html and "數學工作坊二" in html

    from inservice.courses.services import lifecycle

    organizer = StaffFactory(unit=school, role=StaffRole.OPERATOR).user
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_course(actor=organizer, course=course, reason="颱風停課")
    assert "找到 1 門課程" in _search_sql(client, url)[1]


def test_a_rebuild_is_seen_at_once(
    client, kept, publish, school, django_capture_on_commit_callbacks
):
    publish(school, name="數學工作坊一")
    url = "/courses/?q=數學"
    assert "找到 1 門課程" in _search_sql(client, url)[1]
    with connection.cursor() as cursor:  # behind the app's back, then rebuilt
        cursor.execute("DELETE FROM search_coursesearchentry")
    assert "找到 1 門課程" in _search_sql(client, url)[1]  # still the kept result
    with django_capture_on_commit_callbacks(execute=True):
        index.rebuild()
    assert _search_sql(client, url)[0] == 2


def test_open_now_is_kept_until_a_registration_opens_or_closes(kept, publish, school):
    course = publish(school, name="數學工作坊")
    version = course.published
    opens, closes = version.registration_opens, version.registration_closes
    now = timezone.now()
    assert now < opens < closes
    minute = dt.timedelta(minutes=1)

    def open_now(at, sort="start"):
        params = SearchParams(q="數學", open_now=True, sort=sort)
        with CaptureQueriesContext(connection) as ctx:
            count = SearchResults(params, now=at, cached=True).count()
        return count, _reads(ctx)

    # The first search also reads the next boundary (the course's opening): two probes.
    assert open_now(now) == (0, 3)
    assert open_now(now + minute) == (0, 0)  # kept: nothing opened or closed since
    # A week later is another day: counted again (and the next moment read again).
    assert open_now(opens - minute) == (0, 3)
    assert open_now(opens - minute) == (0, 0)
    assert open_now(opens + minute) == (1, 3)  # it opened: computed again
    assert open_now(opens + 2 * minute) == (1, 0)
    assert open_now(closes + minute) == (0, 3)  # it closed
    # The deadline order changes at the same moments.
    assert open_now(closes + 2 * minute, sort="deadline") == (0, 3)
    assert open_now(closes + 3 * minute, sort="deadline") == (0, 0)


def test_a_new_day_is_a_new_search(kept, publish, school):
    publish(school, name="數學工作坊")
    now = timezone.now()
    params = SearchParams(q="數學")
    assert SearchResults(params, now=now, cached=True).count() == 1
    with CaptureQueriesContext(connection) as ctx:
        SearchResults(params, now=now, cached=True).count()
        SearchResults(params, now=now + dt.timedelta(days=1), cached=True).count()
    assert _reads(ctx) == 1


def test_nothing_is_kept_without_a_shared_cache(client, publish, school, settings):
    assert settings.SEARCH_CACHE_SECONDS == 0  # tests run on the per-process cache
    publish(school, name="數學工作坊")
    assert _search_sql(client, "/courses/?q=數學")[0] == 2
    assert _search_sql(client, "/courses/?q=數學")[0] == 2


def test_a_kept_page_is_one_round_trip_to_the_cache(client, kept, publish, school, monkeypatch):
    """The generation token, the count and the page in one MGET (and the form's option lists
    from the process's own copy)."""
    from inservice.search import forms, results_cache

    publish(school, name="數學工作坊")
    url = "/courses/?q=數學&page=1"
    client.get(url)
    calls = []

    class Counting:
        def __getattr__(self, name):
            method = getattr(cache, name)

            def counted(*args, **kwargs):
                calls.append(name)
                return method(*args, **kwargs)

            return counted

    monkeypatch.setattr(results_cache, "cache", Counting())
    monkeypatch.setattr(forms, "cache", Counting())
    queries, html = _search_sql(client, url)
    assert queries == 0 and "找到 1 門課程" in html
    assert calls == ["get_many"]


def test_the_search_works_when_the_cache_does_not(client, kept, publish, school, monkeypatch):
    """Redis down: every search is computed, nothing fails; the course is still found."""
    from inservice.search import results_cache

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("cache down")

            return fail

    monkeypatch.setattr(results_cache, "cache", Down())
    publish(school, name="數學工作坊")
    for _ in range(2):
        queries, html = _search_sql(client, "/courses/?q=數學")
        assert queries == 2 and "找到 1 門課程" in html and "數學工作坊" in html


def _count(params, cap=2, now=None) -> tuple[int, int]:
    """(count, statements reading the search table) of a kept search."""
    with CaptureQueriesContext(connection) as ctx:
        count = SearchResults(params, cap=cap, now=now, cached=True).count()
    return count, _reads(ctx)


def test_more_than_the_cap_outlives_new_courses_but_not_other_writes(
    kept, publish, school, django_capture_on_commit_callbacks
):
    """A new course only adds a row: a search that had more matches than the cap still has,
    so after a publication its page is computed but its count is not. A course changed or
    cancelled may take a match away: when the search had only one match beyond the cap, it is
    counted again (more beyond it: the next test)."""
    courses = [publish(school, name=f"數學工作坊{n}") for n in range(3)]
    params = SearchParams(q="數學")
    assert _count(params) == (3, 1)  # cap + 1: more than 2
    assert _count(params) == (3, 0)  # kept
    publish(school, name="數學工作坊新開")
    assert _count(params) == (3, 0)  # the generation changed; "more than 2" still holds
    with CaptureQueriesContext(connection) as ctx:
        rows = SearchResults(params, cap=2, cached=True)[0:2]
    assert _reads(ctx) == 1 and len(rows) == 2  # the page itself is computed again
    with django_capture_on_commit_callbacks(execute=True):
        index.index_course(courses[0])  # rewritten: it could have lost the keyword
    assert _count(params) == (3, 1)  # 3 matches were 1 beyond the cap: counted again
    assert _count(params) == (3, 0)


def test_more_than_the_cap_outlives_as_many_changed_courses_as_it_had_matches_beyond_it(
    kept, publish, school, django_capture_on_commit_callbacks
):
    """Each course changed or removed takes at most one match from a search: 5 matches over
    a cap of 2 stay "more than 2" through two such writes, not three. A write of unknown
    extent (a rebuild) ends it at once, and so does an emptied counter."""
    courses = [publish(school, name=f"數學工作坊{n}") for n in range(5)]
    params = SearchParams(q="數學")
    assert SearchResults.ABOVE_MARGIN >= 3  # the count reads all five
    assert _count(params) == (3, 1)
    for course in courses[:2]:
        with django_capture_on_commit_callbacks(execute=True):
            index.index_course(course)
        assert _count(params) == (3, 0)
    with django_capture_on_commit_callbacks(execute=True):
        index.index_course(courses[2])
    assert _count(params) == (3, 1)  # 5 - 3 changed: no longer surely more than 2

    assert _count(params) == (3, 0)
    with django_capture_on_commit_callbacks(execute=True):
        index.rebuild()
    assert _count(params) == (3, 1)

    assert _count(params) == (3, 0)
    publish(school, name="數學工作坊新開")
    assert _count(params) == (3, 0)  # a new course: still more than 2
    cache.delete(results_cache._SHRUNK)
    publish(school, name="數學工作坊再開")
    assert _count(params) == (3, 1)  # the same, but the changed rows' counter was lost
    assert _count(params) == (3, 0)


def test_a_removed_course_counts_as_one_changed_row(
    kept, publish, school, django_capture_on_commit_callbacks
):
    from inservice.courses.services import lifecycle

    courses = [publish(school, name=f"數學工作坊{n}") for n in range(4)]
    params = SearchParams(q="數學")
    assert _count(params) == (3, 1)  # 4 matches: two beyond the cap of 2
    organizer = StaffFactory(unit=school, role=StaffRole.OPERATOR).user
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_course(actor=organizer, course=courses[0], reason="颱風停課")
    assert _count(params) == (3, 0)  # at least 3 left: still more than 2
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_course(actor=organizer, course=courses[1], reason="颱風停課")
    assert _count(params) == (2, 1)  # perhaps not: counted, 2 left


def test_a_count_within_the_cap_is_counted_again_after_a_new_course(kept, publish, school):
    publish(school, name="數學工作坊")
    params = SearchParams(q="數學")
    assert _count(params) == (1, 1)
    publish(school, name="數學工作坊二")
    assert _count(params) == (2, 1)


def test_open_now_is_counted_again_after_a_new_course(kept, publish, school):
    """Registrations closing take matches away without a write: "more than the cap" of an
    open-now search is never kept beyond its generation."""
    courses = [publish(school, name=f"數學工作坊{n}") for n in range(3)]
    now = courses[0].published.registration_opens + dt.timedelta(minutes=1)
    params = SearchParams(q="數學", open_now=True)
    # Counted, and the next registration opening or closing read (two probes).
    assert _count(params, now=now) == (3, 3)
    publish(school, name="數學工作坊新開")
    assert _count(params, now=now) == (3, 3)


def test_a_count_estimated_from_the_statistics_is_not_kept_beyond_its_generation(
    kept, publish, school, monkeypatch
):
    """A "more than the cap" from the statistics alone (a common one-word keyword) is a guess
    a short page corrects; only a counted one outlives new courses."""
    publish(school, name="數學工作坊")
    monkeypatch.setattr(SearchResults, "_surely_more_than_cap", lambda self: True)
    params = SearchParams(q="數學")
    assert _count(params) == (3, 0)  # the statistics' word, not counted
    publish(school, name="數學工作坊二")
    monkeypatch.undo()
    assert _count(params) == (2, 1)
