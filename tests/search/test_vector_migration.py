"""Migration 0009 rewrites the search vectors that were written before trigrams and code
lexemes: afterwards each row holds what the indexer writes, and searches find them."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from inservice.organizations.models import County
from inservice.search.index import entry_for
from inservice.search.models import CourseSearchEntry
from inservice.search.query import SearchParams, SearchResults
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("inservice.search.migrations.0009_trigram_and_code_lexemes")


def test_old_vectors_are_rewritten_with_trigrams_and_codes(publish, monkeypatch):
    unit = UnitFactory(county=County.objects.get(code="63000"))
    courses = [
        publish(unit, name=f"自然科學探究研習{i}", category="5-1", target_stages=["14-4"])
        for i in range(3)
    ]
    # As written before: characters and bigrams only, no codes.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_coursesearchentry SET search_vector = "
            "'''自'':1 ''自然'':1 ''然'':2 ''然科'':2 ''科'':3'::tsvector"
        )
    params = SearchParams(q="自然科", county_id=unit.county_id, category="5-1")
    assert SearchResults(params).count() == 0  # what an upgrade without the rewrite would show

    monkeypatch.setattr(migration, "BATCH", 2)  # several batches
    with connection.cursor() as cursor:
        # The test's own transaction holds the inserts' deferred checks, which an ALTER TABLE
        # refuses to run beside; a migration has none pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration.forward(None, SimpleNamespace(connection=connection))

    for course in courses:
        course.refresh_from_db()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT search_vector = %s::tsvector FROM search_coursesearchentry "
                "WHERE course_id = %s",
                [entry_for(course).search_vector, course.pk],
            )
            assert cursor.fetchone() == (True,)
    assert SearchResults(params).count() == 3
    assert CourseSearchEntry.objects.count() == 3
    # Rows are kept whole up to a page, so a ~2.2 KB vector is not moved to the TOAST table.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'search_coursesearchentry'::regclass"
        )
        assert cursor.fetchone()[0] == ["toast_tuple_target=8160"]
