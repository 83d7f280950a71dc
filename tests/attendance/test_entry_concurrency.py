"""Parallel writers to one list on PostgreSQL: the course-then-list locks serialise them."""

import threading

import pytest
from django.db import connection

from inservice.accounts.models import Teacher
from inservice.attendance.models import AttendanceEntry, AttendanceList
from inservice.attendance.services import entry
from inservice.core import idnumbers
from inservice.core.errors import DomainError
from tests.attendance.entry_helpers import admit, course_held, organizer_of, upload_file, xlsx_bytes
from tests.factories import make_id_number


def _parallel(n, work):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except DomainError as exc:
            results[i] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_same_unknown_walk_in_at_once_is_one_teacher_one_entry():
    course = course_held()
    organizer = organizer_of(course)
    id_number = make_id_number()
    results = _parallel(
        4,
        lambda i: (
            entry.add_walk_in(
                actor=organizer, course=course, id_or_identifier=id_number, name="同時到"
            ).created_teacher
        ),
    )
    assert sorted(results, key=str) == sorted(
        [True, "duplicate", "duplicate", "duplicate"], key=str
    )
    assert Teacher.objects.filter(id_number_digest=idnumbers.digest(id_number)).count() == 1
    assert AttendanceEntry.objects.filter(course=course).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_and_grid_saves_never_lose_a_revision():
    course = course_held()
    organizer = organizer_of(course)
    regs = [admit(course) for _ in range(3)]
    lst = entry.attendance_list_for(course, actor=organizer)
    start = lst.revision
    content = xlsx_bytes([[r.teacher.personal_identifier, "", "缺席", None, None] for r in regs])

    def work(i):
        if i % 2:
            return entry.import_attendance_xlsx(
                actor=organizer, course=course, file=upload_file(content)
            ).upload.updated
        target = lst.entries.order_by("pk").first()
        return entry.save_grid(
            actor=organizer,
            course=course,
            revision=start,
            rows=[{"entry": target.pk, "status": "leave", "hours_attended": "1"}],
        ).changed

    results = _parallel(4, work)
    # Both uploads went through; at most one grid (rendered at `start`) could win.
    assert results[1] == 3 and results[3] == 3
    grid_wins = [r for i, r in enumerate(results) if i % 2 == 0 and r == 1]
    assert len(grid_wins) <= 1
    assert all(r in (1, "stale") for i, r in enumerate(results) if i % 2 == 0)
    final = AttendanceList.objects.get(pk=lst.pk).revision
    assert final == start + 2 + len(grid_wins)
