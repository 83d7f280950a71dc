"""Creating training records: at closing (record_course) and from partners
(add_external_record) — snapshot, days, the caps across courses, organizers and sources."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inservice.courses.models import Source
from inservice.organizations.models import UnitKind
from inservice.records.hours import HoursError
from inservice.records.models import TrainingDay, TrainingRecord
from inservice.records.services.recording import (
    DuplicateRecord,
    add_external_record,
    record_course,
)
from tests.factories import TeacherFactory, routable_unit
from tests.records.hours_helpers import attend, held_course

pytestmark = pytest.mark.django_db

D = Decimal
MON = datetime.date(2025, 3, 3)
TUE, WED, THU, FRI, SAT, SUN = (MON + datetime.timedelta(days=n) for n in range(1, 7))
NEXT_MON = MON + datetime.timedelta(days=7)


def days_of(record):
    return {
        d.date: (d.hours_requested, d.hours_counted)
        for d in TrainingDay.objects.filter(record=record)
    }


def partner_snapshot(code="P-001", **overrides):
    data = {
        "course_code": code,
        "course_name": "夥伴單位數位學習課程",
        "organizer_name": "測試數位學習平臺",
        "source": Source.PARTNER,
        "partner": "e-learning",
        "category": "5-1",
        "tags": ["3-2-1"],
    }
    data.update(overrides)
    return data


def test_record_course_snapshot_and_days():
    course = held_course(start=MON, days=2, hours=D("9"), tags=[])
    teacher, absent = TeacherFactory(), TeacherFactory()
    attend(course, {teacher: "9", absent: "0"})

    records = record_course(course=course)

    assert [r.teacher for r in records] == [teacher]
    record = TrainingRecord.objects.get()
    version = course.published
    assert record.course == course
    assert record.course_code == str(course.code)
    assert record.course_name == version.name
    assert (record.organizer, record.organizer_name) == (course.unit, course.unit.name)
    assert record.source == Source.ONLINE and record.partner == ""
    assert (record.start_date, record.end_date) == (MON, WED)
    assert (record.class_type, record.category, record.topic_item, record.level) == (
        version.class_type,
        version.category,
        version.topic_item,
        version.level,
    )
    assert (record.hours_requested, record.hours, record.hours_withheld) == (D(9), D(9), D(0))
    # A three-day course without sessions: spread evenly.
    assert days_of(record) == {d: (D(3), D(3)) for d in (MON, TUE, WED)}


def test_snapshot_does_not_follow_later_changes():
    course = held_course(start=MON, hours=D("3"))
    teacher = TeacherFactory()
    attend(course, {teacher: "3"})
    record_course(course=course)
    name = course.published.name
    type(course.published).objects.filter(pk=course.published_id).update(name="改過的名稱")
    course.unit.name = "改名後的學校"
    course.unit.save()

    record = TrainingRecord.objects.get()
    assert (record.course_name, record.organizer_name) != ("改過的名稱", "改名後的學校")
    assert record.course_name == name


def test_sessions_decide_the_days():
    course = held_course(
        start=MON, days=2, hours=D("6"), sessions=[(MON, "4"), (WED, "1"), (WED, "1")]
    )
    full, partly = TeacherFactory(), TeacherFactory()
    attend(course, {full: "6", partly: "4.5"})
    record_course(course=course)
    by_teacher = {r.teacher_id: r for r in TrainingRecord.objects.all()}
    assert days_of(by_teacher[full.pk]) == {MON: (D(4), D(4)), WED: (D(2), D(2))}
    assert days_of(by_teacher[partly.pk]) == {MON: (D(3), D(3)), WED: (D("1.5"), D("1.5"))}


def test_credit_class_counts_18_hours_a_credit_over_its_days():
    course = held_course(start=MON, days=5, class_type="1-5", credits=D(2), hours=D(36))
    teacher = TeacherFactory()
    attend(course, {teacher: "36"})
    (record,) = record_course(course=course)
    assert record.credits == D(2) and record.class_type == "1-5"
    # Six days of 6 hours: exactly the daily cap, and 36 hours is more than the week's 35.
    assert days_of(record) == {
        MON: (D(6), D(6)),
        TUE: (D(6), D(6)),
        WED: (D(6), D(6)),
        THU: (D(6), D(6)),
        FRI: (D(6), D(6)),
        SAT: (D(6), D(5)),
    }
    assert (record.hours, record.hours_withheld) == (D(35), D(1))


def test_cap_across_two_organizers_on_one_day():
    first = held_course(routable_unit(UnitKind.ELEMENTARY), start=MON, hours=D("4"))
    second = held_course(routable_unit(UnitKind.JUNIOR_HIGH), start=MON, hours=D("4"))
    assert first.unit != second.unit
    teacher, other = TeacherFactory(), TeacherFactory()
    attend(first, {teacher: "4"})
    attend(second, {teacher: "4", other: "4"})

    record_course(course=first)
    records = {r.teacher_id: r for r in record_course(course=second)}

    assert (records[teacher.pk].hours, records[teacher.pk].hours_withheld) == (D(2), D(2))
    assert days_of(records[teacher.pk]) == {MON: (D(4), D(2))}
    assert (records[other.pk].hours, records[other.pk].hours_withheld) == (D(4), D(0))


def test_week_cap_counts_earlier_records_of_the_week_only():
    teacher = TeacherFactory()
    weekdays = held_course(start=MON, days=4, hours=D("30"))
    attend(weekdays, {teacher: "30"})
    record_course(course=weekdays)
    weekend = held_course(start=SAT, days=2, hours=D("15"))  # Sat, Sun, next Mon
    attend(weekend, {teacher: "15"})

    (record,) = record_course(course=weekend)

    assert days_of(record) == {
        SAT: (D(5), D(5)),
        SUN: (D(5), D(0)),
        NEXT_MON: (D(5), D(5)),
    }
    assert (record.hours, record.hours_withheld) == (D(10), D(5))


def test_recording_twice_records_nothing_twice():
    course = held_course(start=MON, hours=D("3"))
    teachers = [TeacherFactory() for _ in range(3)]
    attend(course, {t: "3" for t in teachers})
    assert len(record_course(course=course)) == 3
    assert record_course(course=course) == []
    assert TrainingRecord.objects.count() == 3
    assert TrainingDay.objects.count() == 3


def test_entries_can_be_passed_in():
    from inservice.attendance.models import AttendanceEntry

    course = held_course(start=MON, hours=D("3"))
    a, b = TeacherFactory(), TeacherFactory()
    attend(course, {a: "3", b: "1.5"})
    entries = list(AttendanceEntry.objects.filter(course=course))
    records = record_course(course=course, entries=entries, closed_at=None)
    assert sorted(r.hours for r in records) == [D("1.5"), D(3)]


def test_closed_at_is_kept():
    from django.utils import timezone

    course = held_course(start=MON, hours=D("3"))
    attend(course, {TeacherFactory(): "3"})
    moment = timezone.now() - datetime.timedelta(hours=5)
    (record,) = record_course(course=course, closed_at=moment)
    assert TrainingRecord.objects.get(pk=record.pk).closed_at == moment


def test_query_count_does_not_grow_with_attendees(django_assert_max_num_queries):
    small = held_course(start=MON, days=2, hours=D("6"))
    attend(small, {TeacherFactory(): "6" for _ in range(2)})
    small = type(small).objects.get(pk=small.pk)
    with CaptureQueriesContext(connection) as few:
        record_course(course=small)

    large = held_course(start=WED, days=2, hours=D("6"))
    teachers = [TeacherFactory() for _ in range(60)]
    attend(large, {t: "6" for t in teachers})
    large = type(large).objects.get(pk=large.pk)
    with django_assert_max_num_queries(len(few)):
        records = record_course(course=large)
    assert len(records) == 60
    assert TrainingDay.objects.filter(record__course=large).count() == 180


# --- Partner and county data ---------------------------------------------------------------


def test_partner_record_crosses_with_online_record():
    """The cap across two organizers and sources: a partner's 4 hours on Monday leave 2 for
    our own course that day, and the online course's 4 hours leave the partner 2."""
    teacher, other = TeacherFactory(), TeacherFactory()
    partner = add_external_record(
        teacher=teacher, snapshot=partner_snapshot(start_date=MON), days={MON: "4"}
    )
    assert (partner.hours, partner.hours_withheld, partner.course) == (D(4), D(0), None)

    course = held_course(start=MON, hours=D("4"))
    attend(course, {teacher: "4", other: "4"})
    records = {r.teacher_id: r for r in record_course(course=course)}
    assert (records[teacher.pk].hours, records[teacher.pk].hours_withheld) == (D(2), D(2))

    later = add_external_record(
        teacher=other,
        snapshot=partner_snapshot("P-002", source=Source.COUNTY_TRANSMIT, partner="63000"),
        days={MON: "3.5"},
    )
    assert (later.hours, later.hours_withheld) == (D(2), D("1.5"))
    assert days_of(later) == {MON: (D("3.5"), D(2))}
    assert (later.start_date, later.end_date) == (MON, MON)


def test_partner_timestamps_fall_on_their_taipei_day():
    teacher = TeacherFactory()
    sunday_night_utc = datetime.datetime(2025, 3, 9, 16, 30, tzinfo=datetime.UTC)
    record = add_external_record(
        teacher=teacher, snapshot=partner_snapshot(), days={sunday_night_utc: "2"}
    )
    assert days_of(record) == {NEXT_MON: (D(2), D(2))}


def test_partner_record_sent_twice_is_refused():
    teacher = TeacherFactory()
    add_external_record(teacher=teacher, snapshot=partner_snapshot(), days={MON: "2"})
    with pytest.raises(DuplicateRecord, match="P-001 的研習紀錄已登錄過"):
        add_external_record(teacher=teacher, snapshot=partner_snapshot(), days={TUE: "2"})
    assert TrainingRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("snapshot", "days", "message"),
    [
        (partner_snapshot(), {MON: "-1"}, "不可為負數"),
        (partner_snapshot(), {MON: "1.2"}, "以 0.5 小時為單位"),
        (partner_snapshot(), {MON: "0"}, "沒有任何一日的時數"),
        (partner_snapshot(course_name=""), {MON: "2"}, "缺少必要欄位「course_name」"),
        (partner_snapshot(source="fax"), {MON: "2"}, "資料來源「fax」無法辨識"),
        (
            partner_snapshot(start_date=TUE, end_date=WED),
            {MON: "2"},
            "時數日期 2025-03-03 不在研習期間",
        ),
    ],
)
def test_partner_record_refused_with_the_reason(snapshot, days, message):
    with pytest.raises(HoursError, match=message):
        add_external_record(teacher=TeacherFactory(), snapshot=snapshot, days=days)
    assert not TrainingRecord.objects.exists()
