"""Attendance entry by the organizer: the grid, walk-ins and xlsx uploads.

Every path writes `AttendanceEntry` rows whose hours come from `inservice.records.hours`
(`entry_hours`), so the grid, a walk-in and an uploaded row can never disagree on a rule.
Writes lock the course, then the list (the order the closing services use too), check that
the list may still change, and record one audit event.

Refusals change nothing and say why: a course not yet held, not published, cancelled or
closed (closed courses change only through a change request), a list already submitted or
confirmed, a stale grid, hours against the rules, a teacher twice.
"""

from __future__ import annotations

import datetime
import functools
import queue
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inservice.accounts.models import Teacher
from inservice.accounts.services.teachers import find_or_enter_person, normalize_name
from inservice.core import idnumbers
from inservice.core.audit import log_event
from inservice.core.errors import DomainError
from inservice.courses.models import Course, CourseStatus
from inservice.enrollment.models import Registration, RegistrationStatus
from inservice.records import hours as rules

from ..models import (
    AttendanceEntry,
    AttendanceList,
    AttendanceStatus,
    AttendanceUpload,
    ListState,
)

EDITABLE_STATES = (ListState.OPEN, ListState.RETURNED)
NOTE_MAX = 200


class AttendanceRefused(DomainError):
    """The list cannot be changed now; the message says why."""

    code = "refused"


@dataclass(frozen=True)
class RowProblem:
    """One bad row: who (a name or the identifier as masked), and why."""

    who: str
    reason: str
    key: object = None  # the entry id (grid) or the row number (upload)


class GridInvalid(DomainError):
    """Some rows of the grid break a rule; nothing was saved."""

    code = "grid_invalid"

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__(
            _("有 %(n)d 筆資料需要修正，名單尚未儲存。") % {"n": len(problems)}, code=self.code
        )


# --- what may be entered, and when --------------------------------------------------------


def course_hours(course: Course) -> Decimal:
    """Hours of the approved version (credits × 18 for credit classes)."""
    return rules.course_hours(course.published)


def course_refusal(course: Course, today: datetime.date | None = None) -> AttendanceRefused | None:
    """Why attendance cannot be entered for `course` today, or None."""
    if course.status == CourseStatus.CLOSED:
        return AttendanceRefused(
            _(
                "此課程已結案，出席名單與時數不能直接修改；"
                "只能透過修改已結案課程申請（修改已結案課程內容申請表）辦理。"
            ),
            code="closed",
        )
    if course.status == CourseStatus.CANCELLED:
        return AttendanceRefused(_("此課程已取消，不能登錄出席名單。"), code="cancelled")
    if course.status != CourseStatus.PUBLISHED or course.published_id is None:
        return AttendanceRefused(_("此課程尚未核准公告，不能登錄出席名單。"), code="not_published")
    today = today or timezone.localdate()
    start = course.start_date or course.published.start_date
    if start is None or today < start:
        return AttendanceRefused(
            _("課程尚未開始（開始日期 %(start)s），開課後才能登錄出席名單與時數。")
            % {"start": start.isoformat() if start else "—"},
            code="not_held",
        )
    return None


def list_refusal(attendance_list: AttendanceList) -> AttendanceRefused | None:
    if attendance_list.state == ListState.SUBMITTED:
        return AttendanceRefused(
            _("名單已送出，等待區管中心確認；確認前不能修改。若需更正，請聯絡區管中心退回名單。"),
            code="submitted",
        )
    if attendance_list.state == ListState.CONFIRMED:
        return AttendanceRefused(_("名單已由區管中心確認，不能再修改。"), code="confirmed")
    return None


def can_enter(course: Course, today: datetime.date | None = None) -> bool:
    """For links: the course is one whose attendance the organizer may open."""
    return course_refusal(course, today) is None


def _lock(course: Course) -> tuple[Course, AttendanceList]:
    """Lock the course, then its list (created if new); refuse unless both may change."""
    course = (
        Course.objects.select_for_update(of=("self",))
        .select_related("published", "unit")
        .get(pk=course.pk)
    )
    refusal = course_refusal(course)
    if refusal is not None:
        raise refusal
    AttendanceList.objects.get_or_create(course=course)
    attendance_list = AttendanceList.objects.select_for_update().get(course=course)
    attendance_list.course = course
    refusal = list_refusal(attendance_list)
    if refusal is not None:
        raise refusal
    return course, attendance_list


def _bump(attendance_list: AttendanceList) -> None:
    attendance_list.revision += 1
    attendance_list.save(update_fields=["revision", "updated_at"])


# --- the list and its seed ----------------------------------------------------------------


def attendance_list_for(course: Course, *, actor=None) -> AttendanceList:
    """The course's list, created on first use with one entry per admitted registration
    (attended, the course's hours).

    Opening it again adds registrants admitted since, and removes entries of registrations
    no longer admitted that nobody has edited; edited entries are never dropped. A list that
    is submitted or confirmed, or a course that is closed, is returned as it is. Raises
    AttendanceRefused when there is no list and the course cannot have one yet.
    """
    with transaction.atomic():
        try:
            course, attendance_list = _lock(course)
        except AttendanceRefused:
            existing = AttendanceList.objects.filter(course=course).first()
            if existing is None:
                raise
            return existing
        added, dropped = _seed(course, attendance_list, actor=actor)
        if added or dropped:
            _bump(attendance_list)
            log_event(
                "attendance.seeded",
                actor=actor,
                obj=attendance_list,
                data={"course": course.code, "added": added, "dropped": dropped},
            )
    return attendance_list


def _seed(course, attendance_list, *, actor) -> tuple[int, int]:
    full = course_hours(course)
    stale = AttendanceEntry.objects.filter(
        attendance_list=attendance_list, walk_in=False, updated_by__isnull=True
    ).exclude(registration__status=RegistrationStatus.ADMITTED)
    dropped, _detail = stale.delete()
    on_list = set(attendance_list.entries.values_list("teacher_id", flat=True))
    new = [
        AttendanceEntry(
            attendance_list=attendance_list,
            course=course,
            teacher_id=reg.teacher_id,
            registration=reg,
            status=AttendanceStatus.ATTENDED,
            hours=full,
        )
        for reg in Registration.objects.filter(
            course=course, status=RegistrationStatus.ADMITTED
        ).order_by("queued_at", "id")
        if reg.teacher_id not in on_list
    ]
    AttendanceEntry.objects.bulk_create(new)
    return len(new), dropped


def entries_for_grid(attendance_list: AttendanceList):
    return (
        attendance_list.entries.select_related("teacher", "teacher__serving_unit")
        .order_by("walk_in", "teacher__name", "id")
        .all()
    )


# --- one row, wherever it comes from ------------------------------------------------------


EXTRA_STATUS_WORDS = {
    "遲到": AttendanceStatus.PARTIAL,
    "早退": AttendanceStatus.PARTIAL,
    "出席": AttendanceStatus.ATTENDED,
}


@functools.cache
def status_words() -> dict[str, str]:
    """Status words accepted in uploads: the labels in every site language (the template is
    filled in the uploader's language), the stored values and a few common short forms.
    Keys are case-folded."""
    words = {value.casefold(): value for value in AttendanceStatus.values}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for value, label in AttendanceStatus.choices:
                words[str(label).casefold()] = value
    words.update(EXTRA_STATUS_WORDS)
    return words


def _clean_text(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.isascii():  # NFKC leaves ASCII as it is
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def _checked_hours(status: str, full: Decimal, hours_attended) -> tuple[Decimal | None, Decimal]:
    """(hours attended to store, hours given) or HoursError. Attended and absent store none."""
    if status == AttendanceStatus.ABSENT and hours_attended not in (None, ""):
        if rules.to_hours(hours_attended) > 0:
            raise rules.HoursError(
                _("缺席者不填實際參與時數；有參與部分時間請選「遲到或早退」或「請假」。")
            )
    given = rules.entry_hours(status, full, hours_attended)
    if status in (AttendanceStatus.LEAVE, AttendanceStatus.PARTIAL):
        return rules.to_hours(hours_attended), given
    return None, given


def _check_status(value) -> str:
    status = status_words().get(_clean_text(value).casefold())
    if status is None:
        if not _clean_text(value):
            raise rules.HoursError(_("請選擇出席情形。"))
        raise rules.HoursError(
            _(
                "出席情形「%(value)s」無法辨識，請填「全程參與」、「缺席」、「請假」或「遲到或早退」。"
            )
            % {"value": _clean_text(value)[:20]}
        )
    return status


def _check_note(value) -> str:
    note = _clean_text(value)
    if len(note) > NOTE_MAX:
        raise rules.HoursError(_("備註最多 %(n)d 字。") % {"n": NOTE_MAX})
    return note


# --- the grid -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GridResult:
    attendance_list: AttendanceList
    changed: int


def save_grid(*, actor, course: Course, rows: Iterable[Mapping], revision: int) -> GridResult:
    """Save the online grid, all or nothing.

    `rows` hold `entry` (id), `status`, `hours_attended` and `note`; entries not in `rows`
    stay as they are. Every bad row is reported (GridInvalid.problems, with the teacher's
    name) and nothing is saved; a grid rendered before the list last changed is refused.
    """
    with transaction.atomic():
        course, attendance_list = _lock(course)
        if revision != attendance_list.revision:
            raise AttendanceRefused(
                _("名單在您開啟此頁後已有變更（其他人儲存、現場報到或上傳），請重新載入後再修改。"),
                code="stale",
            )
        full = course_hours(course)
        entries = {e.pk: e for e in attendance_list.entries.select_related("teacher")}
        problems: list[RowProblem] = []
        seen: set[int] = set()
        changed: list[AttendanceEntry] = []
        for row in rows:
            try:
                pk = int(row.get("entry"))
            except (TypeError, ValueError):
                pk = None
            entry = entries.get(pk)
            if entry is None:
                problems.append(
                    RowProblem(str(row.get("entry")), _("此筆資料不在本課程的名單上。"), pk)
                )
                continue
            who = entry.teacher.name
            if pk in seen:
                problems.append(RowProblem(who, _("同一位教師在表單中出現兩次。"), pk))
                continue
            seen.add(pk)
            try:
                status = _check_status(row.get("status"))
                attended, given = _checked_hours(status, full, row.get("hours_attended"))
                note = _check_note(row.get("note"))
            except DomainError as exc:
                problems.append(RowProblem(who, str(exc.message), pk))
                continue
            new = (status, attended, given, note)
            if new != (entry.status, entry.hours_attended, entry.hours, entry.note):
                entry.status, entry.hours_attended, entry.hours, entry.note = new
                entry.updated_by = actor
                changed.append(entry)
        if problems:
            raise GridInvalid(problems)
        now = timezone.now()
        for entry in changed:
            entry.updated_at = now
        AttendanceEntry.objects.bulk_update(
            changed, ["status", "hours_attended", "hours", "note", "updated_by", "updated_at"]
        )
        if changed:
            _bump(attendance_list)
            log_event(
                "attendance.grid_saved",
                actor=actor,
                obj=attendance_list,
                data={"course": course.code, "changed": len(changed), **summary(attendance_list)},
            )
    return GridResult(attendance_list, len(changed))


def summary(attendance_list: AttendanceList) -> dict:
    """Entries per status and the hours given in all (for audit and the page)."""
    counts = {value: 0 for value in AttendanceStatus.values}
    total = Decimal(0)
    for status, given in attendance_list.entries.values_list("status", "hours"):
        counts[status] = counts.get(status, 0) + 1
        total += given
    return {"statuses": counts, "hours": str(total)}


# --- finding a person ---------------------------------------------------------------------


PERSONAL_ID_SHAPE = re.compile(r"^T\d{9}$")
AMBIGUOUS = gettext_lazy(
    "此號碼同時是一位教師的身分證號與另一位教師的個人識別碼，請改用另一種號碼輸入。"
)
UNKNOWN_IDENTIFIER = gettext_lazy("查無此教師個人專用識別號碼。")


class Key:
    """An entered ID number or personal identifier, normalised.

    `digest` is set when the value is a valid ID number; `id_error` says why it is not one
    (worked out only when asked: most rows are found without it)."""

    __slots__ = ("value", "digest", "_id_error")

    def __init__(self, value: str, digest: str | None, id_error: str | None = None):
        self.value = value
        self.digest = digest
        self._id_error = id_error

    def __eq__(self, other):
        return isinstance(other, Key) and (self.value, self.digest) == (other.value, other.digest)

    def __hash__(self):
        return hash((self.value, self.digest))

    def __repr__(self):
        return f"Key({self.masked!r})"

    @property
    def id_error(self) -> str | None:
        if self.digest is not None:
            return None
        if self._id_error is None:
            try:
                idnumbers.classify(self.value)
                self._id_error = ""
            except idnumbers.InvalidIdNumber as exc:
                self._id_error = str(exc.reason)
        return self._id_error

    @property
    def masked(self) -> str:
        if self.digest is not None:
            return idnumbers.mask(self.value)
        if PERSONAL_ID_SHAPE.match(self.value):
            return self.value
        if len(self.value) <= 4:
            return self.value[:1] + "*" * (len(self.value) - 1)
        return self.value[:1] + "*" * (len(self.value) - 4) + self.value[-3:]


_ID_SECOND = frozenset("1289ABCD")


def _checksum_fails(value: str) -> bool:
    """True when a 10-character value surely fails `idnumbers.classify`'s checksum (cheap:
    no reason text is built; old-style personal identifiers, T and nine digits, get here)."""
    first = idnumbers.LETTER_VALUES.get(value[0])
    digits = value[2:]
    if first is None or not (digits.isascii() and digits.isdigit()):
        return False  # classify says what else is wrong
    second = value[1]
    second_value = int(second) if second.isdigit() else idnumbers.LETTER_VALUES[second] % 10
    return not idnumbers.checksum_ok(first, second_value, digits)


def parse_key(raw) -> Key:
    return _parse_clean_key(_clean_text(raw))


def _parse_clean_key(text: str) -> Key:
    value = idnumbers.normalize(text)
    if len(value) != 10 or value[1] not in _ID_SECOND or _checksum_fails(value):
        return Key(value, None)  # not an ID number; the reason is found when needed
    try:
        value, _kind = idnumbers.classify(value)
    except idnumbers.InvalidIdNumber:
        return Key(value, None)  # the reason is worked out again if the row needs it
    return Key(value, idnumbers.digest(value), None)


def _lookup(keys: Iterable[Key], *, db=None, entries_of=None) -> tuple[dict, dict]:
    """One query: teachers by personal identifier and by ID digest, as (pk, name, entry id).

    The entry id is that teacher's entry on the list `entries_of` = (course pk, list pk),
    found in the same query (None when not on it, or when no list is given). `db` is the
    connection to use (the upload's checking thread passes the caller's)."""
    db = db or connection
    idents = {k.value for k in keys if k.value and len(k.value) <= 12}
    digests = {k.digest for k in keys if k.digest}
    by_ident, by_digest = {}, {}
    if not idents and not digests:
        return by_ident, by_digest
    if db.vendor == "postgresql":
        table = Teacher._meta.db_table
        columns = "id, name, personal_identifier, id_number_digest"
        entries = AttendanceEntry._meta.db_table
        course_pk, list_pk = entries_of or (None, None)
        with db.cursor() as cursor:
            # Index probes, not a scan of every teacher: with a few thousand keys the
            # planner prefers a sequential scan, which is slower on a national table.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                f"WITH t AS (SELECT {columns} FROM {table} "  # noqa: S608
                "WHERE personal_identifier = ANY(%s::text[]) "
                f"UNION SELECT {columns} FROM {table} WHERE id_number_digest = ANY(%s::text[])) "
                f"SELECT t.*, e.id FROM t LEFT JOIN {entries} AS e ON e.course_id = %s "
                "AND e.attendance_list_id = %s AND e.teacher_id = t.id",
                [list(idents), list(digests), course_pk, list_pk],
            )
            rows = cursor.fetchall()
            cursor.execute("RESET enable_seqscan")
    else:
        rows = [
            (*teacher, None)
            for teacher in Teacher.objects.filter(
                Q(personal_identifier__in=idents) | Q(id_number_digest__in=digests)
            ).values_list("pk", "name", "personal_identifier", "id_number_digest")
        ]
        if entries_of and rows:
            on_list = dict(
                AttendanceEntry.objects.filter(
                    course_id=entries_of[0],
                    attendance_list_id=entries_of[1],
                    teacher_id__in=[r[0] for r in rows],
                ).values_list("teacher_id", "pk")
            )
            rows = [(*r[:4], on_list.get(r[0])) for r in rows]
    for pk, name, ident, digest, entry_id in rows:
        if ident in idents:
            by_ident[ident] = (pk, name, entry_id)
        if digest in digests:
            by_digest[digest] = (pk, name, entry_id)
    return by_ident, by_digest


def _match(key: Key, by_ident: dict, by_digest: dict):
    """(pk, name, entry id) of the teacher the key names, None when unknown; DomainError when
    the key itself is wrong (ambiguous, or neither a known identifier nor a valid ID number)."""
    if not key.value:
        raise DomainError(_("未填寫身分證號或個人識別碼。"), code="missing_key")
    as_ident = by_ident.get(key.value)
    as_id = by_digest.get(key.digest) if key.digest else None
    if as_ident and as_id and as_ident[0] != as_id[0]:
        raise DomainError(AMBIGUOUS, code="ambiguous")
    if as_ident or as_id:
        return as_ident or as_id
    if key.digest is not None:
        return None
    if PERSONAL_ID_SHAPE.match(key.value):
        raise DomainError(
            _("%(unknown)s若這是身分證號：%(reason)s")
            % {"unknown": UNKNOWN_IDENTIFIER, "reason": key.id_error},
            code="unknown_identifier",
        )
    raise DomainError(key.id_error, code="invalid_id")


def _name_matches(entered: str, recorded: str) -> bool:
    return not entered.strip() or normalize_name(entered) == normalize_name(recorded)


NAME_MISMATCH = gettext_lazy("姓名與此號碼登錄的教師姓名不符，請核對姓名與號碼。")
UNKNOWN_TEACHER = gettext_lazy("查無此證號的教師。尚未登錄的教師請以「現場報到」填寫姓名新增。")


# --- walk-ins -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WalkInResult:
    entry: AttendanceEntry
    teacher: Teacher
    created_teacher: bool


def add_walk_in(
    *,
    actor,
    course: Course,
    id_or_identifier: str,
    name: str = "",
    status: str = AttendanceStatus.ATTENDED,
    hours_attended=None,
    note: str = "",
) -> WalkInResult:
    """Add a teacher who came without being admitted (現場報到).

    Found by ID number / resident certificate number (through its keyed digest) or by the
    personal identifier; a person the network does not know is entered as a teacher without
    login (a name is then required). The entry is marked as a walk-in.
    """
    with transaction.atomic():
        course, attendance_list = _lock(course)
        full = course_hours(course)
        try:
            status = _check_status(status)
        except rules.HoursError as exc:
            raise DomainError(exc.message, code="status", field="status") from None
        try:
            attended, given = _checked_hours(status, full, hours_attended)
        except rules.HoursError as exc:
            raise DomainError(exc.message, code="hours", field="hours_attended") from None
        try:
            note = _check_note(note)
        except rules.HoursError as exc:
            raise DomainError(exc.message, code="note", field="note") from None
        key = parse_key(id_or_identifier)
        by_ident, by_digest = _lookup([key])
        try:
            found = _match(key, by_ident, by_digest)
        except DomainError as exc:
            exc.field = "id_or_identifier"
            raise
        created = False
        if found is None:
            teacher, created = find_or_enter_person(
                actor=actor, id_number=key.value, name=name, context={"course": course.code}
            )
        else:
            teacher = Teacher.objects.get(pk=found[0])
            if not _name_matches(name, teacher.name):
                raise DomainError(NAME_MISMATCH, code="name_mismatch", field="name")
        if attendance_list.entries.filter(teacher=teacher).exists():
            raise DomainError(
                _("%(name)s 已在本課程的出席名單上，請直接在名單中修改。") % {"name": teacher.name},
                code="duplicate",
                field="id_or_identifier",
            )
        entry = AttendanceEntry.objects.create(
            attendance_list=attendance_list,
            course=course,
            teacher=teacher,
            status=status,
            hours_attended=attended,
            hours=given,
            walk_in=True,
            note=note,
            updated_by=actor,
        )
        _bump(attendance_list)
        log_event(
            "attendance.walk_in_added",
            actor=actor,
            obj=attendance_list,
            data={
                "course": course.code,
                "teacher": teacher.personal_identifier,
                "found_by": "new" if created else ("id_number" if key.digest else "identifier"),
                "status": status,
                "hours": str(given),
            },
        )
    return WalkInResult(entry, teacher, created)


# --- xlsx upload --------------------------------------------------------------------------


HEADERS = ("身分證號或個人識別碼", "姓名", "出席情形", "實際參與時數", "備註")
REQUIRED_HEADERS = 4  # 備註 may be left out
MAX_ROWS = 200_000
MAX_BYTES = 30 * 1024 * 1024
BATCH = 2000


class UploadRefused(DomainError):
    """The file as a whole cannot be read as an attendance sheet; nothing changed."""

    code = "bad_file"


@dataclass(slots=True)
class _Row:
    number: int
    key: Key
    name: str
    status_text: str
    hours_text: str
    note: str
    teacher_id: int | None = None
    teacher_name: str = ""
    entry_id: int | None = None
    status: str = ""
    attended: Decimal | None = None
    given: Decimal = Decimal(0)
    reason: str = ""
    outcome: str = ""

    def accepted_record(self) -> list:
        return [self.number, self.key.masked, self.teacher_name, self.status_text,
                self.hours_text, self.outcome]  # fmt: skip

    def rejected_record(self) -> list:
        return [self.number, self.key.masked, self.name, self.status_text,
                self.hours_text, self.reason]  # fmt: skip


class UploadOutcome:
    """The stored report and the rejected rows as problems (read from the report when
    first asked for, so a large upload does not keep them all in memory)."""

    def __init__(self, upload: AttendanceUpload, problems: list[RowProblem] | None = None):
        self.upload = upload
        self._problems = problems

    @property
    def problems(self) -> list[RowProblem]:
        if self._problems is None:
            self._problems = [
                RowProblem(who, reason, number)
                for number, who, _name, _status, _hours, reason in self.upload.rejected_rows
            ]
        return self._problems


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        value = Decimal(repr(value))
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    return _clean_text(value)


def _open_rows(file) -> Iterator[tuple[int, list, list]]:
    """(row number, cells, extras) of the first sheet's data rows, streamed (see
    `xlsx_reader.iter_rows`); UploadRefused for a file that is not a readable xlsx or lacks
    the template's headers."""
    from .xlsx_reader import XlsxError, iter_rows

    not_xlsx = _(
        "無法讀取檔案：請上傳 Excel 活頁簿（.xlsx），建議使用本頁提供的範本；"
        "舊版 .xls、CSV 或其他格式請先另存為 .xlsx。"
    )
    too_large = _("檔案超過 %(mb)d MB，請分批上傳。") % {"mb": MAX_BYTES // (1024 * 1024)}
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise UploadRefused(too_large)
    rows = iter_rows(file, len(HEADERS))
    try:
        header = next(rows, None)
    except XlsxError as exc:
        if exc.kind == "no_sheet":
            raise UploadRefused(_("檔案中沒有工作表。")) from None
        raise UploadRefused(too_large if exc.kind == "too_large" else not_xlsx) from None
    except Exception:  # noqa: BLE001 — a corrupt workbook can fail in many parser layers
        raise UploadRefused(not_xlsx) from None
    if header is None or header[0] != 1:
        found = []
    else:
        found = [_clean_text(c) for c in header[1]] + [_clean_text(c) for c in header[2]]
    while found and not found[-1]:
        found.pop()
    if not found:
        raise UploadRefused(
            _("第一個工作表是空的：第 1 列須為欄位名稱（%(headers)s），資料從第 2 列開始。")
            % {"headers": "、".join(HEADERS)}
        )
    if (
        tuple(found[:REQUIRED_HEADERS]) != HEADERS[:REQUIRED_HEADERS]
        or len(found) > len(HEADERS)
        or (len(found) == len(HEADERS) and found[-1] != HEADERS[-1])
    ):
        raise UploadRefused(
            _("欄位名稱不符：第 1 列應依序為「%(expected)s」，檔案中是「%(found)s」。請使用範本。")
            % {"expected": "、".join(HEADERS), "found": "、".join(found)[:200]}
        )
    number = 1
    try:
        for row in rows:
            number = row[0]
            yield row
    except XlsxError as exc:
        if exc.kind == "too_large":
            raise UploadRefused(too_large) from None
        raise UploadRefused(
            _("檔案第 %(row)d 列附近無法讀取（檔案可能已損毀），未匯入任何資料。") % {"row": number}
        ) from None
    except Exception:  # noqa: BLE001
        raise UploadRefused(
            _("檔案第 %(row)d 列附近無法讀取（檔案可能已損毀），未匯入任何資料。") % {"row": number}
        ) from None


def _parse(number: int, cells: list, extras: list = ()) -> _Row | None:
    # Plain ASCII text (identifiers) only needs stripping: the common case, inline.
    texts = [
        "" if c is None else c.strip() if c.__class__ is str and c.isascii() else _cell_text(c)
        for c in cells
    ]
    if not any(texts) and not any(_cell_text(c) for c in extras):
        return None
    return _Row(number, _parse_clean_key(texts[0]), texts[1], texts[2], texts[3], texts[4])


MEMO_MAX = 4096


def _checked_values(row: _Row, full: Decimal, memo: dict) -> str:
    """Set the row's status and hours from its texts; the reason they are wrong, or "".

    The answer depends only on (status, hours) text, so it is remembered for the upload
    (a file repeats a handful of combinations)."""
    memo_key = (row.status_text, row.hours_text)
    known = memo.get(memo_key)
    if known is None:
        try:
            status = _check_status(row.status_text)
            attended, given = _checked_hours(status, full, row.hours_text)
            known = ("", status, attended, given)
        except DomainError as exc:
            known = (str(exc.message), "", None, Decimal(0))
        if len(memo) < MEMO_MAX:
            memo[memo_key] = known
    reason, row.status, row.attended, row.given = known
    return reason


def _check_rows(
    batch: list[_Row], full: Decimal, memo: dict | None = None, *, db=None, entries_of=None
) -> None:
    """Validate one batch: who first (one query for the batch, which also finds their entries
    on the list `entries_of`), then the values. A row's reason is the first thing wrong with
    it, in that order; a good row's outcome is "updated" or "added"."""
    memo = {} if memo is None else memo
    by_ident, by_digest = _lookup([r.key for r in batch], db=db, entries_of=entries_of)
    unknown = str(UNKNOWN_TEACHER)
    for row in batch:
        try:
            found = _match(row.key, by_ident, by_digest)
        except DomainError as exc:
            row.reason = str(exc.message)
            continue
        if found is None:
            row.reason = unknown
            continue
        if not _name_matches(row.name, found[1]):
            row.reason = str(NAME_MISMATCH)
            continue
        row.teacher_id, row.teacher_name, row.entry_id = found
        reason = _checked_values(row, full, memo)
        if not reason and len(row.note) > NOTE_MAX:
            reason = _("備註最多 %(n)d 字。") % {"n": NOTE_MAX}
        row.reason = reason
        if not reason:
            row.outcome = "added" if row.entry_id is None else "updated"


def _batches(file) -> Iterator[list[_Row]]:
    """The sheet's non-empty rows, parsed, BATCH at a time; UploadRefused past MAX_ROWS."""
    batch: list[_Row] = []
    total = 0
    for number, cells, extras in _open_rows(file):
        row = _parse(number, cells, extras)
        if row is None:
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            total += len(batch)
            if total > MAX_ROWS:
                raise UploadRefused(
                    _("一次最多上傳 %(n)s 列資料，請分批上傳。") % {"n": f"{MAX_ROWS:,}"}
                )
            yield batch
            batch = []
    if batch:
        yield batch


class _Checker:
    """Checks and stages batches in a second thread while the caller parses the next one.

    Most of that thread's time is spent waiting for PostgreSQL (the teacher query, the COPY),
    during which psycopg releases the GIL, so the sheet is read meanwhile. The thread uses
    the caller's connection, shared the way Django allows (`inc_thread_sharing`): it stays in
    the upload's transaction and sees its temporary table, and the caller leaves the
    connection alone until `finish`. It runs in the caller's language (reasons are
    translated there). At most QUEUED batches wait, so memory stays bounded. An error in the
    thread is raised in the caller (at the next `put` or at `finish`) and, since the caller's
    transaction then rolls back, nothing of the upload is kept.
    """

    QUEUED = 2

    def __init__(self, work, db):
        self._work = work
        self._db = db
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUED)
        self._error: BaseException | None = None
        self._abandoned = False
        self._language = translation.get_language()
        db.inc_thread_sharing()
        self._thread = threading.Thread(target=self._run, name="attendance-upload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # The thread always runs until the caller's final None, so `put` never blocks for
        # good: after an error (or when abandoned) it only takes batches off the queue.
        ended = False
        try:
            with translation.override(self._language):
                while (batch := self._queue.get()) is not None:
                    if self._error is None and not self._abandoned:
                        try:
                            self._work(batch)
                        except BaseException as exc:  # noqa: BLE001 — handed to the caller
                            self._error = exc
                ended = True
        except BaseException as exc:  # noqa: BLE001 — e.g. the language could not be set
            self._error = self._error or exc
            while not ended and self._queue.get() is not None:
                pass

    def put(self, batch: list[_Row]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    def _stop(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._db.dec_thread_sharing()

    def finish(self) -> None:
        """Wait until every batch is checked and staged; raise the thread's error if any."""
        self._stop()
        if self._error is not None:
            raise self._error

    def abandon(self) -> None:
        """The caller failed: skip the batches still queued and wait for the thread."""
        self._abandoned = True
        self._stop()


def import_attendance_xlsx(*, actor, course: Course, file) -> UploadOutcome:
    """Import attendance from an xlsx made from the template.

    Policy: every good row is kept and every bad row is rejected whole (none of its values
    are used), each reported with its row number and reason. A person on two rows is
    rejected on both, naming the other row. A teacher already on the list has their entry
    updated; a known teacher not yet on it is added (as a walk-in); a person the network
    does not know is rejected (walk-ins with a name enter them). A file that is not an xlsx,
    is corrupt or empty, or lacks the template's headers is refused as a whole and nothing
    changes.

    Memory does not grow with the file: the sheet is streamed (`xlsx_reader`), rows are
    checked a batch at a time (one query per batch finds the teachers and their entries on
    the list) and, on PostgreSQL, staged in a temporary table by a second thread while the
    next batch is read (`_Checker`); duplicates, the entry writes and the stored report are
    then single statements over that table. Queries do not grow with the rows beyond one
    per batch.
    """
    with transaction.atomic():
        course, attendance_list = _lock(course)
        full = course_hours(course)
        db = transaction.get_connection()
        postgres = db.vendor == "postgresql"
        stage = (_PgStage if postgres else _MemoryStage)(
            attendance_list, course, actor, timezone.now()
        )
        memo: dict = {}
        entries_of = (course.pk, attendance_list.pk)

        def check_and_stage(batch: list[_Row]) -> None:
            _check_rows(batch, full, memo, db=db, entries_of=entries_of)
            stage.add(batch, db=db)

        # On PostgreSQL batches are checked and staged in a second thread while the sheet is
        # read; elsewhere (SQLite: development and tests) in turn.
        checker = _Checker(check_and_stage, db) if postgres else None
        total = 0
        try:
            for batch in _batches(file):
                total += len(batch)
                if checker is None:
                    check_and_stage(batch)
                else:
                    checker.put(batch)
        except BaseException:
            if checker is not None:
                checker.abandon()
            raise
        if checker is not None:
            checker.finish()
        if not total:
            raise UploadRefused(_("檔案中沒有資料列：請從第 2 列開始填寫，每列一位教師。"))
        stage.reject_duplicates(_duplicate_reason)
        added, updated = stage.write()
        rejected = total - added - updated
        upload = AttendanceUpload.objects.create(
            attendance_list=attendance_list,
            uploaded_by=actor,
            file_name=(getattr(file, "name", "") or "")[:200],
            total_rows=total,
            added=added,
            updated=updated,
            rejected=rejected,
            accepted_rows=stage.accepted_records(),
            rejected_rows=stage.rejected_records(),
        )
        problems = stage.store_report(upload)
        if added or updated:
            _bump(attendance_list)
        log_event(
            "attendance.uploaded",
            actor=actor,
            obj=attendance_list,
            data={
                "course": course.code,
                "upload": upload.pk,
                "rows": total,
                "added": added,
                "updated": updated,
                "rejected": rejected,
            },
        )
    return UploadOutcome(upload, problems)


def _duplicate_reason(numbers: str) -> str:
    return _(
        "同一位教師在檔案中出現多次（第 %(rows)s 列），這些列都未匯入；請只保留一列後重新上傳。"
    ) % {"rows": numbers}


def _postgres() -> bool:
    return connection.vendor == "postgresql"


class _MemoryStage:
    """Rows kept in memory (databases other than PostgreSQL: development and small files)."""

    def __init__(self, attendance_list, course, actor, now):
        self.attendance_list, self.course = attendance_list, course
        self.actor, self.now = actor, now
        self.rows: list[_Row] = []

    def add(self, batch: list[_Row], db=None) -> None:
        self.rows.extend(batch)

    def reject_duplicates(self, reason_for) -> None:
        """A person on two or more rows: every one of those rows is rejected, naming them."""
        by_teacher: dict[int, list[_Row]] = {}
        for row in self.rows:
            if row.teacher_id is not None:
                by_teacher.setdefault(row.teacher_id, []).append(row)
        for same in by_teacher.values():
            if len(same) < 2:
                continue
            reason = reason_for("、".join(str(r.number) for r in same))
            for row in same:
                row.reason = f"{row.reason}；{reason}" if row.reason else reason

    def write(self) -> tuple[int, int]:
        """Add or update the entries of the good rows."""
        attendance_list, course = self.attendance_list, self.course
        actor, now = self.actor, self.now
        good = [r for r in self.rows if not r.reason]
        existing: dict[int, int] = {}
        for start in range(0, len(good), 10_000):
            existing.update(
                AttendanceEntry.objects.filter(
                    attendance_list=attendance_list,
                    teacher_id__in=[r.teacher_id for r in good[start : start + 10_000]],
                ).values_list("teacher_id", "pk")
            )
        new = [r for r in good if r.teacher_id not in existing]
        changes = [(existing[r.teacher_id], r) for r in good if r.teacher_id in existing]
        for row in new:
            row.outcome = "added"
        for _pk, row in changes:
            row.outcome = "updated"
        AttendanceEntry.objects.bulk_create(
            [
                AttendanceEntry(
                    attendance_list=attendance_list,
                    course=course,
                    teacher_id=r.teacher_id,
                    status=r.status,
                    hours_attended=r.attended,
                    hours=r.given,
                    walk_in=True,
                    note=r.note,
                    updated_by=actor,
                )
                for r in new
            ]
        )
        AttendanceEntry.objects.bulk_update(
            [
                AttendanceEntry(
                    pk=pk,
                    status=r.status,
                    hours_attended=r.attended,
                    hours=r.given,
                    note=r.note,
                    updated_by=actor,
                    updated_at=now,
                )
                for pk, r in changes
            ],
            ["status", "hours_attended", "hours", "note", "updated_by", "updated_at"],
        )
        return len(new), len(changes)

    def accepted_records(self) -> list:
        return [r.accepted_record() for r in self.rows if not r.reason]

    def rejected_records(self) -> list:
        return [r.rejected_record() for r in self.rows if r.reason]

    def store_report(self, upload) -> list[RowProblem]:
        return [RowProblem(r.key.masked, r.reason, r.number) for r in self.rows if r.reason]


class _PgStage:
    """Rows staged in a temporary table (PostgreSQL), so memory holds one batch at a time.

    Each good row's entry on the list (or none) is found with its teacher, under the course
    lock, so the writes at the end are one UPDATE (only when some rows change entries) and
    one INSERT. The table lives in the upload's transaction (ON COMMIT DROP) and in this
    session only; the report's JSON is built by the database from it."""

    TABLE = "attendance_upload_stage"
    COLUMNS = (
        "number", "who", "name", "teacher_name", "status_text", "hours_text",
        "teacher_id", "status", "attended", "given", "note", "reason", "outcome", "entry_id",
    )  # fmt: skip

    def __init__(self, attendance_list, course, actor, now):
        self.attendance_list, self.course = attendance_list, course
        self.actor, self.now = actor, now
        self.to_update = 0
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{self.TABLE}")
            cursor.execute(
                f"CREATE TEMP TABLE {self.TABLE} (number int NOT NULL, who text NOT NULL, "
                "name text NOT NULL, teacher_name text NOT NULL, status_text text NOT NULL, "
                "hours_text text NOT NULL, teacher_id bigint, status text NOT NULL, "
                "attended numeric, given numeric NOT NULL, note text NOT NULL, "
                "reason text NOT NULL, outcome text NOT NULL, entry_id bigint) "
                "ON COMMIT DROP"
            )

    def add(self, batch: list[_Row], db=None) -> None:
        """COPY a checked batch in (`db`: the connection to use, passed by the upload's
        checking thread)."""
        with (db or connection).cursor() as cursor:
            with cursor.copy(f"COPY {self.TABLE} ({', '.join(self.COLUMNS)}) FROM STDIN") as copy:
                write = copy.write_row
                for r in batch:
                    write(
                        (
                            r.number, r.key.masked, r.name, r.teacher_name, r.status_text,
                            r.hours_text, r.teacher_id, r.status, r.attended, r.given, r.note,
                            r.reason, r.outcome, r.entry_id,
                        )
                    )  # fmt: skip
        self.to_update += sum(1 for r in batch if r.entry_id is not None and not r.reason)

    def reject_duplicates(self, reason_for) -> None:
        prefix, _mark, suffix = reason_for("\x00").partition("\x00")
        with connection.cursor() as cursor:
            # The stage has no statistics: bulk joins over it must be hash joins, whatever
            # the planner guesses (a nested loop over a mis-estimated side is quadratic).
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(
                f"UPDATE {self.TABLE} AS s SET reason = CASE WHEN s.reason = '' THEN d.msg "  # noqa: S608
                "ELSE s.reason || '；' || d.msg END "
                "FROM (SELECT teacher_id, "
                "%s || string_agg(number::text, '、' ORDER BY number) || %s AS msg "
                f"FROM {self.TABLE} WHERE teacher_id IS NOT NULL "
                "GROUP BY teacher_id HAVING count(*) > 1) AS d WHERE s.teacher_id = d.teacher_id",
                [prefix, suffix],
            )

    def write(self) -> tuple[int, int]:
        """Update the entries already on the list, insert the others; (added, updated)."""
        entries = AttendanceEntry._meta.db_table
        stage = self.TABLE
        updated = 0
        with connection.cursor() as cursor:
            if self.to_update:
                cursor.execute(
                    f"UPDATE {entries} AS e SET status = s.status, hours_attended = s.attended, "  # noqa: S608
                    "hours = s.given, note = s.note, updated_by_id = %s, updated_at = %s "
                    f"FROM {stage} AS s WHERE e.course_id = %s AND e.id = s.entry_id "
                    "AND s.reason = ''",
                    [self.actor.pk, self.now, self.course.pk],
                )
                updated = cursor.rowcount
            cursor.execute(
                f"INSERT INTO {entries} (attendance_list_id, course_id, teacher_id, status, "  # noqa: S608
                "hours_attended, hours, walk_in, note, updated_by_id, created_at, updated_at) "
                "SELECT %s, %s, s.teacher_id, s.status, s.attended, s.given, true, s.note, "
                f"%s, %s, %s FROM {stage} AS s WHERE s.reason = '' AND s.entry_id IS NULL "
                "ORDER BY s.number",
                [self.attendance_list.pk, self.course.pk, self.actor.pk, self.now, self.now],
            )
            added = cursor.rowcount
        return added, updated

    def accepted_records(self) -> list:
        return []  # filled in by store_report

    def rejected_records(self) -> list:
        return []

    def store_report(self, upload) -> None:
        """Write the report rows into `upload` in one statement; they are read back only
        when asked for (`upload.accepted_rows` loads them)."""
        table = AttendanceUpload._meta.db_table
        stage = self.TABLE
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET accepted_rows = (SELECT coalesce(jsonb_agg("  # noqa: S608
                "jsonb_build_array(number, who, teacher_name, status_text, hours_text, outcome) "
                f"ORDER BY number), '[]'::jsonb) FROM {stage} WHERE reason = ''), "
                "rejected_rows = (SELECT coalesce(jsonb_agg("
                "jsonb_build_array(number, who, name, status_text, hours_text, reason) "
                f"ORDER BY number), '[]'::jsonb) FROM {stage} WHERE reason <> '') "
                "WHERE id = %s",
                [upload.pk],
            )
            cursor.execute(f"DROP TABLE {stage}")
            cursor.execute("RESET enable_nestloop")
            cursor.execute("RESET jit")
        # Loaded again from the database only when used.
        del upload.accepted_rows
        del upload.rejected_rows
        return None


# --- files for the organizer --------------------------------------------------------------


INSTRUCTIONS = (
    gettext_lazy("出席名單上傳範本：填寫說明"),
    "",
    gettext_lazy("1. 請在「出席名單」工作表填寫，每列一位教師，第 1 列欄位名稱請勿更動。"),
    gettext_lazy(
        "2. 身分證號或個人識別碼：填國民身分證號、居留證號，或教師個人專用識別號碼（T 開頭）。"
    ),
    gettext_lazy("3. 姓名：可留空；有填寫時須與系統登錄的姓名相同，用來避免號碼誤植。"),
    gettext_lazy("4. 出席情形：全程參與、缺席、請假、遲到或早退，四擇一。"),
    gettext_lazy(
        "5. 實際參與時數：請假或遲到早退者必填，以 0.5 小時為單位，不可超過課程時數；"
        "全程參與與缺席免填。"
    ),
    gettext_lazy("6. 備註：選填，最多 200 字。"),
    gettext_lazy(
        "7. 匯入方式：正確的列全部匯入，有問題的列整列不匯入，並列出列號與原因；"
        "同一位教師出現在多列時，這些列都不匯入。已在名單上的教師會更新其出席資料。"
    ),
    gettext_lazy("8. 系統中沒有資料的教師無法以上傳新增，請改用「現場報到」輸入證號與姓名。"),
)


def _text_cell(sheet, row: int, column: int, value) -> None:
    """Write text as text: a value that starts with '=' must never become a formula."""
    cell = sheet.cell(row=row, column=column)
    cell.value = "" if value is None else str(value)
    cell.data_type = "s"
    cell.number_format = "@"


def template_xlsx(course: Course) -> bytes:
    """The upload template: the headers, the people already on the list (by personal
    identifier, never the ID number) and an instructions sheet."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("出席名單"))
    for column, header in enumerate(HEADERS, start=1):
        _text_cell(sheet, 1, column, header)
        sheet.cell(row=1, column=column).font = Font(bold=True)
    attendance_list = AttendanceList.objects.filter(course=course).first()
    row = 1
    if attendance_list is not None:
        for entry in entries_for_grid(attendance_list):
            row += 1
            _text_cell(sheet, row, 1, entry.teacher.personal_identifier)
            _text_cell(sheet, row, 2, entry.teacher.name)
            _text_cell(sheet, row, 3, entry.get_status_display())
            if entry.hours_attended is not None:
                sheet.cell(row=row, column=4, value=float(entry.hours_attended))
            _text_cell(sheet, row, 5, entry.note)
    last = max(row, 1) + 500
    for r in range(row + 1, last + 1):
        sheet.cell(row=r, column=1).number_format = "@"
    choices = ",".join(str(label) for _value, label in AttendanceStatus.choices)
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
    validation.error = str(_("請選擇：全程參與、缺席、請假、遲到或早退。"))
    sheet.add_data_validation(validation)
    validation.add(f"C2:C{last}")
    for letter, width in zip("ABCDE", (24, 14, 14, 14, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(str(_("填寫說明")))
    _text_cell(notes, 1, 1, f"{course.code} {course.name}")
    _text_cell(
        notes, 2, 1, _("課程時數：%(hours)s 小時") % {"hours": course_hours(course).normalize()}
    )
    for i, line in enumerate(INSTRUCTIONS, start=4):
        _text_cell(notes, i, 1, line)
    notes.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rejected_rows_xlsx(upload: AttendanceUpload) -> bytes:
    """The rejected rows of an upload with their reasons (identifiers masked as shown)."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet(str(_("未匯入的列")))
    bold = book.add_format({"bold": True})
    header = [_("列號"), *HEADERS[:4], _("未匯入原因")]
    for column, text in enumerate(header):
        sheet.write_string(0, column, str(text), bold)
    for r, (number, who, name, status, hours_text, reason) in enumerate(
        upload.rejected_rows, start=1
    ):
        sheet.write_number(r, 0, number)
        for column, text in enumerate((who, name, status, hours_text, reason), start=1):
            sheet.write_string(r, column, str(text))
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 4, 16)
    sheet.set_column(5, 5, 60)
    book.close()
    return buffer.getvalue()
