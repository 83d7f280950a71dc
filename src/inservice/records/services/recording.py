"""Creating training records: when a course closes here, or from a partner's data later.

Both paths end in `_store`, which applies the daily and weekly caps (`hours.apply_caps`)
against the hours each teacher already has on the affected weeks, in every source. The
teachers' rows are locked first (ascending id, so two closings never deadlock), and the
existing days are read under the lock, so two courses closing at once for the same teacher
cannot both use the same room in a day or week.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.accounts.models import Teacher
from inservice.courses.models import Source
from inservice.records import hours as rules
from inservice.records.models import TrainingDay, TrainingRecord


class DuplicateRecord(rules.HoursError):
    """The same course (or the same partner course) is already in the teacher's records."""


@dataclass
class _Pending:
    record: TrainingRecord
    requested: dict[datetime.date, Decimal]


def _lock_teachers(teacher_ids: Iterable[int]) -> None:
    """SELECT … FOR UPDATE on the teachers, in id order (a fixed order: no deadlocks)."""
    ids = sorted(set(teacher_ids))
    if ids:
        list(
            Teacher.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def counted_by_day(
    teacher_ids: Iterable[int], first: datetime.date, last: datetime.date
) -> dict[int, dict[datetime.date, Decimal]]:
    """Counted hours per teacher and day over the whole weeks from `first` to `last`,
    from every record in every source, in one query."""
    start = rules.week_of(first)
    end = rules.week_of(last) + datetime.timedelta(days=6)
    result: dict[int, dict[datetime.date, Decimal]] = defaultdict(dict)
    rows = TrainingDay.objects.filter(
        teacher_id__in=list(teacher_ids), date__range=(start, end), hours_counted__gt=0
    ).values_list("teacher_id", "date", "hours_counted")
    for teacher_id, date, counted in rows:
        days = result[teacher_id]
        days[date] = days.get(date, rules.ZERO) + counted
    return result


def _store(pending: list[_Pending]) -> list[TrainingRecord]:
    """Apply the caps to each pending record and save records and days in bulk.

    The caller holds the teachers' locks. Records of the same teacher in one batch are capped
    in order, each seeing the ones before it.
    """
    if not pending:
        return []
    all_days = [d for p in pending for d in p.requested]
    before = counted_by_day((p.record.teacher_id for p in pending), min(all_days), max(all_days))
    day_rows: list[tuple[TrainingRecord, datetime.date, Decimal, Decimal]] = []
    for p in pending:
        mine = before.setdefault(p.record.teacher_id, {})
        counted = rules.apply_caps(p.requested, mine)
        for date, want in p.requested.items():
            got = counted[date]
            day_rows.append((p.record, date, want, got))
            mine[date] = mine.get(date, rules.ZERO) + got
        p.record.hours = sum(counted.values(), rules.ZERO)
        p.record.hours_withheld = p.record.hours_requested - p.record.hours
    records = TrainingRecord.objects.bulk_create([p.record for p in pending])
    TrainingDay.objects.bulk_create(
        TrainingDay(
            record=record,
            teacher_id=record.teacher_id,
            date=date,
            hours_requested=want,
            hours_counted=got,
        )
        for record, date, want, got in day_rows
    )
    return records


def _course_weights(course, version) -> dict[datetime.date, Decimal]:
    sessions = [(s.date, s.hours) for s in version.sessions.all()]
    weights = rules.course_day_weights(
        version.start_date or course.start_date, version.end_date or course.end_date, sessions
    )
    if not weights:
        raise rules.HoursError(
            _("課程 %(code)s 沒有上課日期，無法計算每日研習時數。") % {"code": course.code}
        )
    return weights


def record_course(*, course, entries=None, closed_at=None) -> list[TrainingRecord]:
    """Training records for everyone on a closing course's list who earned hours.

    Called by closing inside its transaction. `entries` (AttendanceEntry rows of the course)
    may be passed when already loaded; by default they are read. Teachers who already have a
    record of this course are skipped, so calling it twice records nothing twice. Returns the
    records created by this call.
    """
    from inservice.attendance.models import AttendanceEntry

    version = course.published
    if version is None:
        raise rules.HoursError(
            _("課程 %(code)s 沒有公告版本，無法登錄時數。") % {"code": course.code}
        )
    if entries is None:
        entries = AttendanceEntry.objects.filter(course=course, hours__gt=0).only(
            "course_id", "teacher_id", "hours"
        )
    entries = [e for e in entries if e.hours and e.hours > 0 and e.course_id == course.pk]
    if not entries:
        return []
    closed_at = closed_at or course.closed_at or timezone.now()
    weights = _course_weights(course, version)
    organizer = course.unit
    with transaction.atomic():
        _lock_teachers(e.teacher_id for e in entries)
        done = set(
            TrainingRecord.objects.filter(
                course=course, teacher_id__in=[e.teacher_id for e in entries]
            ).values_list("teacher_id", flat=True)
        )
        pending = []
        for entry in entries:
            if entry.teacher_id in done:
                continue
            done.add(entry.teacher_id)
            requested = {
                d: h for d, h in rules.days_of(Decimal(entry.hours), weights).items() if h > 0
            }
            record = TrainingRecord(
                teacher_id=entry.teacher_id,
                course=course,
                course_code=str(course.code),
                course_name=version.name,
                organizer=organizer,
                organizer_name=organizer.name,
                source=course.source,
                partner="",
                start_date=version.start_date or course.start_date,
                end_date=version.end_date or version.start_date or course.start_date,
                hours_requested=Decimal(entry.hours),
                hours=rules.ZERO,
                credits=version.credits,
                class_type=version.class_type,
                category=version.category,
                topic_item=version.topic_item,
                level=version.level,
                tags=list(version.tags or []),
                closed_at=closed_at,
            )
            pending.append(_Pending(record, requested))
        return _store(pending)


SNAPSHOT_FIELDS = (
    "course_code",
    "course_name",
    "organizer",
    "organizer_name",
    "source",
    "partner",
    "start_date",
    "end_date",
    "credits",
    "class_type",
    "category",
    "topic_item",
    "level",
    "tags",
)


def add_external_record(
    *,
    teacher,
    snapshot: Mapping,
    days: Mapping[datetime.date | datetime.datetime, object],
    closed_at: datetime.datetime | None = None,
) -> TrainingRecord:
    """A record from outside this site's courses (a partner or county system).

    `snapshot` holds the course as the source describes it (keys of SNAPSHOT_FIELDS;
    course_code, course_name, organizer_name and source are required); `days` the teacher's
    hours per day (a timestamp counts on its day in Asia/Taipei). The same caps apply as for
    our own courses. A record already received for the same teacher, source, partner and
    course code is refused (DuplicateRecord).
    """
    unknown = set(snapshot) - set(SNAPSHOT_FIELDS)
    if unknown:
        raise ValueError(f"unknown snapshot fields: {sorted(unknown)}")
    for key in ("course_code", "course_name", "organizer_name", "source"):
        if not snapshot.get(key):
            raise rules.HoursError(_("研習紀錄缺少必要欄位「%(field)s」。") % {"field": key})
    if snapshot["source"] not in Source.values:
        raise rules.HoursError(_("資料來源「%(value)s」無法辨識。") % {"value": snapshot["source"]})
    requested: dict[datetime.date, Decimal] = {}
    for date, value in days.items():
        if isinstance(date, datetime.datetime):
            date = rules.taipei_date(date)
        requested[date] = requested.get(date, rules.ZERO) + rules.to_hours(value)
    requested = {d: h for d, h in sorted(requested.items()) if h > 0}
    if not requested:
        raise rules.HoursError(_("研習紀錄沒有任何一日的時數。"))
    start = snapshot.get("start_date") or min(requested)
    end = snapshot.get("end_date") or max(requested)
    outside = [d for d in requested if not start <= d <= end]
    if outside:
        raise rules.HoursError(
            _("時數日期 %(date)s 不在研習期間 %(start)s 至 %(end)s 內。")
            % {"date": outside[0], "start": start, "end": end}
        )
    fields = {key: snapshot[key] for key in SNAPSHOT_FIELDS if key in snapshot}
    fields.update(start_date=start, end_date=end, tags=list(snapshot.get("tags") or []))
    fields.setdefault("partner", "")
    with transaction.atomic():
        _lock_teachers([teacher.pk])
        if TrainingRecord.objects.filter(
            teacher=teacher,
            course__isnull=True,
            source=fields["source"],
            partner=fields["partner"],
            course_code=fields["course_code"],
        ).exists():
            raise DuplicateRecord(
                _("課程 %(code)s 的研習紀錄已登錄過，不重複登錄。")
                % {"code": fields["course_code"]}
            )
        record = TrainingRecord(
            teacher=teacher,
            course=None,
            hours_requested=sum(requested.values(), rules.ZERO),
            hours=rules.ZERO,
            closed_at=closed_at or timezone.now(),
            **fields,
        )
        return _store([_Pending(record, requested)])[0]
