"""Run by test_register_sqlite.py in a subprocess with DATABASE_URL pointing at a fresh SQLite
file: a logged-in teacher registers on the `make run` path (the prepared lookups of
core/prepared.py run there as plain SQL). Prints JSON."""

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
from django.test.utils import CaptureQueriesContext  # noqa: E402

from inservice.enrollment.models import Registration  # noqa: E402
from inservice.organizations.models import County  # noqa: E402
from tests.factories import UnitFactory, make_teacher_user, open_course  # noqa: E402

unit = UnitFactory(county=County.objects.get(code="63000"))
course = open_course(unit, seats=1)
out = {"vendor": connection.vendor, "locations": []}
for _ in range(2):
    client = Client()
    client.force_login(make_teacher_user(unit))
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/courses/{course.code}/register/")
    out["locations"].append(
        response.status_code == 302 and "/my/registrations/" in response["Location"]
    )
    out["executes"] = [q["sql"] for q in captured if q["sql"].startswith("EXECUTE")]
# The overlap warning: a teacher admitted to two courses on the course's dates.
from inservice.enrollment.services import registration as services  # noqa: E402

teacher = make_teacher_user(unit)
earlier = [open_course(unit, name=f"同日研習{i}") for i in range(2)]
for other in earlier:
    services.register(actor=teacher, course=other)
warnings = services.register(actor=teacher, course=open_course(unit)).warnings
out["warned"] = [[str(other.code) in w for other in earlier] for w in warnings]
out["statuses"] = sorted(
    Registration.objects.filter(course=course).values_list("status", flat=True)
)
print(json.dumps(out))
