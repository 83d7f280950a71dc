"""Attendance entry services: the seeded list, the grid, refusals and walk-ins."""

from decimal import Decimal

import pytest
from django.utils import timezone

from inservice.accounts.models import Teacher
from inservice.attendance.models import AttendanceEntry, AttendanceList, ListState
from inservice.attendance.services import entry
from inservice.core import idnumbers
from inservice.core.audit import history_for
from inservice.core.errors import DomainError
from inservice.courses.models import Course, CourseStatus
from inservice.enrollment.models import Registration, RegistrationStatus
from tests.attendance.entry_helpers import admit, course_held, organizer_of, taipei_unit
from tests.factories import TeacherFactory, make_course, make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    course = course_held(hours=Decimal("6.0"))
    organizer = organizer_of(course)
    regs = [admit(course) for _ in range(3)]
    return course, organizer, regs


def snapshot(course):
    """Everything a refusal must leave alone."""
    lst = AttendanceList.objects.filter(course=course).first()
    entries = list(
        AttendanceEntry.objects.filter(course=course)
        .order_by("pk")
        .values_list("pk", "teacher_id", "status", "hours_attended", "hours", "note", "walk_in")
    )
    return (
        lst.revision if lst else None,
        lst.state if lst else None,
        entries,
        Teacher.objects.count(),
    )


def grid_rows(lst, changes=None):
    """Rows as the grid posts them: every entry unchanged, except `changes` by entry pk."""
    rows = []
    for e in lst.entries.order_by("pk"):
        row = {
            "entry": e.pk,
            "status": e.status,
            "hours_attended": "" if e.hours_attended is None else str(e.hours_attended),
            "note": e.note,
        }
        row.update((changes or {}).get(e.pk, {}))
        rows.append(row)
    return rows


# --- the seeded list ------------------------------------------------------------------------


def test_list_seeded_from_admitted_registrations_with_course_hours(held):
    course, organizer, regs = held
    admit(course, status=RegistrationStatus.WAITLISTED)
    admit(course, status=RegistrationStatus.CANCELLED)
    lst = entry.attendance_list_for(course, actor=organizer)
    entries = list(lst.entries.order_by("pk"))
    assert [e.teacher_id for e in entries] == [r.teacher_id for r in regs]
    assert {e.status for e in entries} == {"attended"}
    assert {e.hours for e in entries} == {Decimal("6.0")}
    assert all(e.registration_id for e in entries) and not any(e.walk_in for e in entries)
    # Opening again changes nothing.
    revision = lst.revision
    again = entry.attendance_list_for(course, actor=organizer)
    assert again.pk == lst.pk and again.revision == revision and again.entries.count() == 3


def test_credit_class_defaults_to_credits_times_18():
    course = course_held(class_type="1-5", credits=Decimal("2"), hours=Decimal("36"))
    admit(course)
    lst = entry.attendance_list_for(course)
    assert lst.entries.get().hours == Decimal("36")


def test_reopening_adds_later_admitted_and_keeps_edited_entries(held):
    course, organizer, regs = held
    lst = entry.attendance_list_for(course, actor=organizer)
    first = lst.entries.get(registration=regs[0])
    entry.save_grid(
        actor=organizer,
        course=course,
        revision=lst.revision,
        rows=[{"entry": first.pk, "status": "absent", "hours_attended": "", "note": "病假未到"}],
    )
    # Registration 0 (edited) and 1 (not edited) are cancelled; a new one is admitted.
    Registration.objects.filter(pk__in=[regs[0].pk, regs[1].pk]).update(
        status=RegistrationStatus.CANCELLED
    )
    late = admit(course)
    lst = entry.attendance_list_for(course, actor=organizer)
    teachers = set(lst.entries.values_list("teacher_id", flat=True))
    assert teachers == {regs[0].teacher_id, regs[2].teacher_id, late.teacher_id}
    assert lst.entries.get(teacher_id=regs[0].teacher_id).note == "病假未到"
    assert history_for(lst).filter(action="attendance.seeded").exists()


# --- the grid: each status ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "attended", "stored", "given"),
    [
        ("attended", "", None, "6.0"),
        ("attended", "6", None, "6.0"),
        ("absent", "", None, "0"),
        ("leave", "2.5", "2.5", "2.5"),
        ("leave", "0", "0", "0"),
        ("partial", "4", "4", "4"),  # missed exactly one third: the hours attended count
        ("partial", "3.5", "3.5", "0"),  # missed more than one third: no hours
        ("partial", "6", "6", "6"),
    ],
)
def test_grid_status_and_hours(held, status, attended, stored, given):
    course, organizer, _regs = held
    lst = entry.attendance_list_for(course, actor=organizer)
    target = lst.entries.order_by("pk").first()
    result = entry.save_grid(
        actor=organizer,
        course=course,
        revision=lst.revision,
        rows=[{"entry": target.pk, "status": status, "hours_attended": attended, "note": "x"}],
    )
    target.refresh_from_db()
    assert target.status == status
    assert target.hours_attended == (Decimal(stored) if stored is not None else None)
    assert target.hours == Decimal(given)
    assert target.updated_by == organizer
    assert result.changed == 1
    event = history_for(lst).get(action="attendance.grid_saved")
    assert event.data["changed"] == 1 and event.data["course"] == course.code


def test_grid_unchanged_rows_do_not_bump_revision(held):
    course, organizer, _regs = held
    lst = entry.attendance_list_for(course, actor=organizer)
    result = entry.save_grid(
        actor=organizer, course=course, revision=lst.revision, rows=grid_rows(lst)
    )
    assert result.changed == 0
    assert AttendanceList.objects.get(pk=lst.pk).revision == lst.revision


def test_grid_reports_every_bad_row_with_name_and_saves_nothing(held):
    course, organizer, _regs = held
    lst = entry.attendance_list_for(course, actor=organizer)
    a, b, c = lst.entries.select_related("teacher").order_by("pk")
    before = snapshot(course)
    rows = grid_rows(
        lst,
        {
            a.pk: {"status": "leave", "hours_attended": "7"},  # above course hours
            b.pk: {"status": "partial", "hours_attended": ""},  # missing
            c.pk: {"status": "absent", "note": "ok"},  # good, but all or nothing
        },
    )
    with pytest.raises(entry.GridInvalid) as exc:
        entry.save_grid(actor=organizer, course=course, revision=lst.revision, rows=rows)
    problems = {p.who: p.reason for p in exc.value.problems}
    assert "超過課程時數" in problems[a.teacher.name]
    assert "請填寫實際參與時數" in problems[b.teacher.name]
    assert c.teacher.name not in problems
    assert snapshot(course) == before


@pytest.mark.parametrize(
    ("status", "hours_attended", "fragment"),
    [
        ("leave", "6.5", "超過課程時數"),
        ("partial", "-1", "不可為負數"),
        ("leave", "2.3", "0.5 小時為單位"),
        ("partial", "abc", "不是數字"),
        ("leave", "", "請填寫實際參與時數"),
        ("attended", "5", "全程參與者的時數即為課程時數"),
        ("late", "", "無法辨識"),
        ("absent", "2", "缺席者不填實際參與時數"),
    ],
)
def test_grid_hours_rules_refused(held, status, hours_attended, fragment):
    course, organizer, _regs = held
    lst = entry.attendance_list_for(course, actor=organizer)
    target = lst.entries.order_by("pk").first()
    before = snapshot(course)
    with pytest.raises(entry.GridInvalid) as exc:
        entry.save_grid(
            actor=organizer,
            course=course,
            revision=lst.revision,
            rows=[{"entry": target.pk, "status": status, "hours_attended": hours_attended}],
        )
    assert fragment in exc.value.problems[0].reason
    assert snapshot(course) == before


def test_grid_teacher_twice_refused(held):
    course, organizer, _regs = held
    lst = entry.attendance_list_for(course, actor=organizer)
    target = lst.entries.select_related("teacher").order_by("pk").first()
    before = snapshot(course)
    row = {"entry": target.pk, "status": "absent", "hours_attended": ""}
    with pytest.raises(entry.GridInvalid) as exc:
        entry.save_grid(actor=organizer, course=course, revision=lst.revision, rows=[row, row])
    assert exc.value.problems[0].who == target.teacher.name
    assert "出現兩次" in exc.value.problems[0].reason
    assert snapshot(course) == before


def test_grid_entry_of_another_course_refused(held):
    course, organizer, _regs = held
    lst = entry.attendance_list_for(course, actor=organizer)
    other = course_held(course.unit)
    admit(other)
    foreign = entry.attendance_list_for(other).entries.get()
    before = snapshot(other)
    with pytest.raises(entry.GridInvalid):
        entry.save_grid(
            actor=organizer,
            course=course,
            revision=lst.revision,
            rows=[{"entry": foreign.pk, "status": "absent"}],
        )
    assert snapshot(other) == before


def test_stale_grid_refused(held):
    course, organizer, _regs = held
    lst = entry.attendance_list_for(course, actor=organizer)
    stale = lst.revision
    entry.add_walk_in(
        actor=organizer, course=course, id_or_identifier=TeacherFactory().personal_identifier
    )
    before = snapshot(course)
    target = lst.entries.order_by("pk").first()
    with pytest.raises(entry.AttendanceRefused) as exc:
        entry.save_grid(
            actor=organizer,
            course=course,
            revision=stale,
            rows=[{"entry": target.pk, "status": "absent"}],
        )
    assert exc.value.code == "stale"
    assert snapshot(course) == before


# --- refusals for the course or the list ------------------------------------------------------


def _try_everything(course, organizer):
    """Each write path; returns the refusal codes they raised."""
    lst = AttendanceList.objects.filter(course=course).first()
    codes = []
    attempts = [
        lambda: entry.save_grid(
            actor=organizer,
            course=course,
            revision=lst.revision if lst else 0,
            rows=[{"entry": e.pk, "status": "absent"} for e in (lst.entries.all() if lst else [])],
        ),
        lambda: entry.add_walk_in(
            actor=organizer, course=course, id_or_identifier=make_id_number(), name="新來的"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(entry.AttendanceRefused) as exc:
            attempt()
        codes.append(exc.value.code)
    return codes, exc.value


def test_course_not_yet_held_refused():
    course = course_held(started_days_ago=-3)
    admit(course)
    organizer = organizer_of(course)
    with pytest.raises(entry.AttendanceRefused) as exc:
        entry.attendance_list_for(course, actor=organizer)
    assert exc.value.code == "not_held" and "尚未開始" in str(exc.value.message)
    codes, _last = _try_everything(course, organizer)
    assert codes == ["not_held", "not_held"]
    assert not AttendanceList.objects.filter(course=course).exists()
    assert not AttendanceEntry.objects.filter(course=course).exists()


def test_course_held_today_is_open():
    course = course_held(started_days_ago=0)
    admit(course)
    assert entry.attendance_list_for(course).entries.count() == 1


@pytest.mark.parametrize("submit", [False, True])
def test_course_not_published_refused(submit):
    course = make_course(taipei_unit(), submit=submit)
    course.refresh_from_db()
    organizer = organizer_of(course)
    assert course.status in (CourseStatus.DRAFT, CourseStatus.PENDING)
    with pytest.raises(entry.AttendanceRefused) as exc:
        entry.attendance_list_for(course, actor=organizer)
    assert exc.value.code == "not_published"


def test_cancelled_course_refused(held):
    course, organizer, _regs = held
    entry.attendance_list_for(course, actor=organizer)
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.CANCELLED)
    course.refresh_from_db()
    before = snapshot(course)
    codes, _last = _try_everything(course, organizer)
    assert codes == ["cancelled", "cancelled"]
    assert snapshot(course) == before


def test_closed_course_points_to_change_request(held):
    course, organizer, _regs = held
    entry.attendance_list_for(course, actor=organizer)
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.CLOSED, closed_at=timezone.now())
    course.refresh_from_db()
    before = snapshot(course)
    codes, last = _try_everything(course, organizer)
    assert codes == ["closed", "closed"]
    assert "只能透過修改已結案課程申請" in str(last.message)
    assert snapshot(course) == before
    # Reading the list still works (for the closed course's page), without seeding.
    admit(course)
    assert entry.attendance_list_for(course, actor=organizer).entries.count() == 3


@pytest.mark.parametrize(
    ("state", "code"), [(ListState.SUBMITTED, "submitted"), (ListState.CONFIRMED, "confirmed")]
)
def test_locked_list_refused_until_returned(held, state, code):
    course, organizer, _regs = held
    lst = entry.attendance_list_for(course, actor=organizer)
    AttendanceList.objects.filter(pk=lst.pk).update(state=state)
    admit(course)  # not added while locked
    before = snapshot(course)
    codes, _last = _try_everything(course, organizer)
    assert codes == [code, code]
    assert entry.attendance_list_for(course, actor=organizer).entries.count() == 3
    assert snapshot(course) == before
    # Returned for correction: editable again.
    AttendanceList.objects.filter(pk=lst.pk).update(state=ListState.RETURNED)
    lst = entry.attendance_list_for(course, actor=organizer)
    assert lst.entries.count() == 4
    target = lst.entries.order_by("pk").first()
    entry.save_grid(
        actor=organizer,
        course=course,
        revision=lst.revision,
        rows=[{"entry": target.pk, "status": "absent"}],
    )
    assert AttendanceEntry.objects.get(pk=target.pk).hours == 0


# --- walk-ins -------------------------------------------------------------------------------


def test_walk_in_known_by_id_number(held):
    course, organizer, _regs = held
    id_number = make_id_number()
    teacher = TeacherFactory(id_number=id_number)
    # Typed with spaces and lower case, as people do.
    typed = f" {id_number[:5].lower()} {id_number[5:]} "
    result = entry.add_walk_in(actor=organizer, course=course, id_or_identifier=typed)
    assert result.teacher == teacher and not result.created_teacher
    assert result.entry.walk_in and result.entry.status == "attended"
    assert result.entry.hours == Decimal("6.0")
    event = history_for(result.entry.attendance_list).get(action="attendance.walk_in_added")
    assert event.data["found_by"] == "id_number"
    assert id_number not in str(event.data)


def test_walk_in_known_by_personal_identifier_with_partial_hours(held):
    course, organizer, _regs = held
    teacher = TeacherFactory()
    result = entry.add_walk_in(
        actor=organizer,
        course=course,
        id_or_identifier=teacher.personal_identifier,
        name=teacher.name,
        status="partial",
        hours_attended="5",
    )
    assert result.teacher == teacher
    assert (result.entry.status, result.entry.hours_attended, result.entry.hours) == (
        "partial",
        Decimal("5"),
        Decimal("5"),
    )


def test_walk_in_unknown_person_created_without_login(held):
    course, organizer, _regs = held
    id_number = make_id_number(idnumbers.RESIDENT_NEW)
    result = entry.add_walk_in(
        actor=organizer, course=course, id_or_identifier=id_number, name=" 阮  氏 梅 "
    )
    teacher = result.teacher
    assert result.created_teacher
    assert teacher.user_id is None and teacher.serving_unit_id is None
    assert teacher.name == "阮 氏 梅"
    assert teacher.id_number_digest == idnumbers.digest(id_number)
    assert teacher.id_number_hint == idnumbers.mask(id_number)
    assert idnumbers.decrypt(teacher.id_number_encrypted) == id_number
    assert history_for(teacher).filter(action="teacher.entered").exists()
    # The same person later is found, not created again.
    AttendanceEntry.objects.filter(pk=result.entry.pk).delete()
    again = entry.add_walk_in(actor=organizer, course=course, id_or_identifier=id_number)
    assert again.teacher == teacher and not again.created_teacher


def test_walk_in_unknown_without_name_refused(held):
    course, organizer, _regs = held
    entry.attendance_list_for(course, actor=organizer)
    before = snapshot(course)
    with pytest.raises(DomainError) as exc:
        entry.add_walk_in(actor=organizer, course=course, id_or_identifier=make_id_number())
    assert exc.value.code == "name_required" and exc.value.field == "name"
    assert snapshot(course) == before


def test_walk_in_bad_check_digit_refused(held):
    course, organizer, _regs = held
    entry.attendance_list_for(course, actor=organizer)
    good = make_id_number()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    before = snapshot(course)
    with pytest.raises(DomainError) as exc:
        entry.add_walk_in(actor=organizer, course=course, id_or_identifier=bad, name="王大明")
    assert "檢查碼錯誤" in str(exc.value.message)
    assert exc.value.field == "id_or_identifier"
    assert snapshot(course) == before


def test_walk_in_unknown_identifier_refused(held):
    course, organizer, _regs = held
    entry.attendance_list_for(course, actor=organizer)
    before = snapshot(course)
    with pytest.raises(DomainError) as exc:
        entry.add_walk_in(actor=organizer, course=course, id_or_identifier="T000000001")
    assert "查無此教師個人專用識別號碼" in str(exc.value.message)
    assert snapshot(course) == before


def test_walk_in_name_mismatch_refused(held):
    course, organizer, _regs = held
    teacher = TeacherFactory(name="李四")
    entry.attendance_list_for(course, actor=organizer)
    before = snapshot(course)
    with pytest.raises(DomainError) as exc:
        entry.add_walk_in(
            actor=organizer,
            course=course,
            id_or_identifier=teacher.personal_identifier,
            name="張三",
        )
    assert exc.value.code == "name_mismatch"
    assert snapshot(course) == before


def test_walk_in_teacher_already_on_list_refused(held):
    course, organizer, regs = held
    entry.attendance_list_for(course, actor=organizer)
    before = snapshot(course)
    with pytest.raises(DomainError) as exc:
        entry.add_walk_in(
            actor=organizer, course=course, id_or_identifier=regs[0].teacher.personal_identifier
        )
    assert exc.value.code == "duplicate" and "已在本課程的出席名單上" in str(exc.value.message)
    assert snapshot(course) == before


def test_walk_in_hours_checked_before_anyone_is_created(held):
    course, organizer, _regs = held
    entry.attendance_list_for(course, actor=organizer)
    before = snapshot(course)
    with pytest.raises(DomainError) as exc:
        entry.add_walk_in(
            actor=organizer,
            course=course,
            id_or_identifier=make_id_number(),
            name="新老師",
            status="leave",
            hours_attended="9",
        )
    assert exc.value.field == "hours_attended" and "超過課程時數" in str(exc.value.message)
    assert snapshot(course) == before
