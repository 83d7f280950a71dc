"""Run by test_pages_sqlite.py in a subprocess with DATABASE_URL pointing at a fresh SQLite
file: the record pages' totals (tags without jsonb, school years) on the `make run` path.
Prints JSON."""

import datetime
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
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from tests.factories import (  # noqa: E402
    UnitFactory,
    make_record,
    make_staff,
    make_teacher_user,
)

setup_test_environment()  # responses carry their template context
D = datetime.date
school = UnitFactory()
user = make_teacher_user(school)
t = user.teacher
make_record(t, start=D(2024, 3, 10), hours=3, tags=["gender-equality"], category="5-1")
make_record(t, start=D(2024, 8, 1), hours=6, tags=["gender-equality", "international-education"])
make_record(t, start=D(2025, 1, 15), hours=4, hours_withheld=1, tags=["international-education"])

client = Client()
client.force_login(user)
page = client.get("/my/records/")
s = page.context["summary"]
tagged = client.get("/my/records/", {"tag": "international-education", "by": "year"})
export = client.get("/my/records/export.xlsx", {"sy": "113"})
export_bytes = b"".join(export.streaming_content)

# Per-tag totals against one `has_tag` filter per tag (what the page ran before), on edge
# cases: a duplicated tag, a code the catalog does not know, no tags, fractional hours.
from django.db.models import Count, Sum  # noqa: E402

from inservice.catalog import selectors  # noqa: E402
from inservice.records.models import TrainingRecord  # noqa: E402
from inservice.records.services.queries import has_tag, summarize  # noqa: E402

other = make_teacher_user(None).teacher  # serving nowhere: not in the school page
make_record(other, start=D(2024, 2, 2), hours=2.5, tags=["gender-equality", "gender-equality"])
make_record(other, start=D(2024, 9, 9), hours=1.5, tags=["not-a-tag", "family-education"])
make_record(other, start=D(2025, 2, 2), hours=3, tags=[])
make_record(other, start=D(2025, 3, 3), hours=0.5, tags=["family-education", "gender-equality"])
make_record(other, start=D(2025, 4, 4), hours=0.1, tags=["digital-learning"])
make_record(other, start=D(2025, 5, 5), hours=0.2, tags=["digital-learning"])  # a float sum
theirs = TrainingRecord.objects.filter(teacher=other)
by_tag_page = {b.key: [b.count, str(b.hours)] for b in summarize(theirs).by_tag}
by_tag_filters = {}
for tag in selectors.all_tags():
    row = theirs.filter(has_tag(tag.code)).aggregate(n=Count("id"), h=Sum("hours"))
    if row["n"]:
        by_tag_filters[tag.code] = [row["n"], str(row["h"])]

staff = make_staff(school)
client.force_login(staff.user)
unit_page = client.get("/manage/records/", {"period": "school_year", "sy": "113"})

print(
    json.dumps(
        {
            "vendor": connection.vendor,
            "status": page.status_code,
            "hours": str(s.hours),
            "withheld": str(s.withheld),
            "by_sy": {b.key: str(b.hours) for b in s.by_period},
            "by_tag": {b.key: str(b.hours) for b in s.by_tag},
            "tagged": [r["record"].course_code for r in tagged.context["rows"]],
            "tagged_years": {b.key: str(b.hours) for b in tagged.context["summary"].by_period},
            "export": export.status_code,
            "export_zip": export_bytes[:2].decode(),
            "unit_status": unit_page.status_code,
            "unit_hours": str(unit_page.context["totals"].hours),
            "by_tag_page": by_tag_page,
            "by_tag_filters": by_tag_filters,
        }
    )
)
