"""Run by test_sqlite.py in a subprocess with DATABASE_URL pointing at a fresh SQLite file:
the `make run` path (no tsvector, no GIN) must give the same answers. Prints JSON."""

import json
import os
import sys

import django

sys.path[:0] = [os.getcwd(), os.path.join(os.getcwd(), "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inservice.settings_test")
django.setup()

from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)

from django.db import connection  # noqa: E402

from inservice.organizations.models import County  # noqa: E402
from inservice.search.models import CourseSearchEntry  # noqa: E402
from inservice.search.query import SearchParams, SearchResults, search  # noqa: E402
from tests.factories import UnitFactory, make_course  # noqa: E402

school = UnitFactory(county=County.objects.get(code="63000"), name="仁愛國民中學")
for name in ["數學素養導向課程設計", "性平教育案例研討", "臺灣史地走讀", "Python 程式設計入門"]:
    make_course(school, approve=True, name=name, outline="課程說明。", target_stages=["14-4"])


def names(**params):
    return sorted(e.name for e in search(SearchParams(**params)))


def paged_equal(**params):
    """Pages of two read by their keys (the large-result path) give the order of search()."""
    expected = [e.code for e in search(SearchParams(**params))]
    found = SearchResults(SearchParams(**params))
    paged = [e.code for offset in range(0, 6, 2) for e in found[offset : offset + 2]]
    return found.count() == len(expected) and paged == expected


def rows_equal():
    """A page's rows carry what search() gives: dates, aware datetimes, unit and county."""
    fields = ("code", "name", "start_date", "end_date", "registration_opens",
              "registration_closes", "unit_id", "county_id")  # fmt: skip
    expected = [
        tuple(getattr(e, f) for f in fields) + (e.unit.name, e.county.name)
        for e in search(SearchParams())
    ]
    found = SearchResults(SearchParams())
    rows = [
        tuple(getattr(e, f) for f in fields) + (e.unit.name, e.county.name) for e in found[0:20]
    ]
    return rows == expected and all(
        e.registration_opens is None or e.registration_opens.tzinfo is not None for e in found[0:20]
    )


def page_status():
    from django.test import Client

    client = Client()
    return [
        client.get(url).status_code
        for url in ("/courses/", "/courses/?q=素養導向", "/courses/county/63000/")
    ]


print(
    json.dumps(
        {
            "vendor": connection.vendor,
            "indexed": CourseSearchEntry.objects.count(),
            "vector_null": CourseSearchEntry.objects.filter(search_vector__isnull=True).count(),
            "數": names(q="數"),
            "性平": names(q="性平"),
            "台": names(q="台"),
            "素養導向": names(q="素養導向"),
            "素養課程": names(q="素養課程"),
            "python 程式": names(q="python 程式"),
            "stage": len(names(stages=["14-1", "14-4"])),
            "stage_miss": names(stages=["14-1"]),
            "county": len(names(county="63000", sort="deadline")),
            "paged": [paged_equal(sort=s) for s in ("start", "deadline", "newest")]
            + [paged_equal(q="課程", stages=["14-4"])],
            "rows_equal": rows_equal(),
            "pages": page_status(),
        },
        ensure_ascii=False,
    )
)
