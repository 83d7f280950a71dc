"""Two people saving the same course at once, on real PostgreSQL connections."""

import threading

import pytest
from django.db import connection

from inservice.accounts.models import StaffRole
from inservice.core.errors import DomainError
from inservice.courses.models import Course
from inservice.courses.services import lifecycle
from tests.factories import StaffFactory, make_course


@pytest.mark.django_db(transaction=True)
def test_parallel_saves_with_the_same_revision_let_exactly_one_through():
    course = make_course()
    editors = [StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user for _ in range(4)]
    seen = course.revision
    barrier = threading.Barrier(len(editors))
    outcomes = []

    def edit(user, n):
        try:
            barrier.wait()
            lifecycle.save_course(
                actor=user,
                course=Course.objects.get(pk=course.pk),
                data={"name": f"版本{n}"},
                revision=seen,
            )
            outcomes.append(("saved", n))
        except DomainError as exc:
            outcomes.append((exc.code, n))
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(u, n)) for n, u in enumerate(editors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    saved = [n for outcome, n in outcomes if outcome == "saved"]
    assert len(saved) == 1
    assert sorted(code for code, _n in outcomes if code != "saved") == ["stale"] * 3
    course.refresh_from_db()
    assert course.working.name == f"版本{saved[0]}"
    assert course.revision == seen + 1


@pytest.mark.django_db(transaction=True)
def test_parallel_course_creation_gets_distinct_codes():
    unit_staff = StaffFactory(role=StaffRole.OPERATOR)
    barrier = threading.Barrier(6)
    codes = []

    def create(n):
        try:
            barrier.wait()
            course = lifecycle.create_course(
                actor=unit_staff.user, unit=unit_staff.unit, data={"name": f"課程{n}"}
            )
            codes.append(course.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(codes) == 6 and len(set(codes)) == 6
