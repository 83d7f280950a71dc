"""Online registration (線上報名): register, cancel, waitlist promotion, organizer controls.

No overbooking: every change to who holds a seat of a course happens while holding the row
lock of the course's `EnrollmentOptions` (`SELECT ... FOR UPDATE`), and the seat count
`EnrollmentOptions.admitted_count` is only read and changed under that lock (every writer of a
registration's status keeps it: `register` adds one, the others recount). A lock that is not
granted within `LOCK_TIMEOUT_MS` becomes a "busy, try again" error: the request fails, a
course is never oversold.

The lock is the bottleneck when a popular course opens (thousands of teachers within a
minute), so `register` holds it for as little as possible: everything read-only (the
teacher, the course's state and window, the restriction, an earlier registration, the overlap
warning) is checked before it; under it only the locked row is compared and the registration
written (see `register`). Mail is rendered and queued after the commit
(`transaction.on_commit`), never while holding the lock, and a rolled-back change sends none.

Once the seats are gone, most of a burst is teachers joining the waitlist. Waitlisting only
needs the seat count not to change before it commits, so a registration that found the course
full takes the lock in share mode (`FOR SHARE`): waitlisting teachers go on side by side,
while anything that changes the seats (an admission, a cancellation, a promotion) waits for
them and they for it. If a seat turns out to be free under the share lock, the registration
starts its transaction again with the exclusive lock. PostgreSQL lets a new share lock join
the current holders even while an exclusive request waits, so during a burst a cancellation
of that course may wait until the burst thins out; like every wait here it ends after
`LOCK_TIMEOUT_MS` as "busy, try again", and nothing is written.

Cancellation deadline: a teacher may cancel up to the moment registration closes
(`version.registration_closes`, the end of the deadline day). After that the organizer's roll
is being prepared; the teacher asks the organizer, who can remove the registration.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import DatabaseError, IntegrityError, NotSupportedError, transaction
from django.db.models import (
    CharField,
    Expression,
    F,
    Func,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inservice.core.audit import log_event
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from inservice.core.prepared import PreparedInsert, PreparedQuery
from inservice.courses import permissions as course_permissions
from inservice.courses.models import Course, CourseStatus
from inservice.notifications.services import deferred_renderer, queue_deferred_mail
from inservice.organizations.models import UnitKind

from ..models import (
    ACTIVE_STATUSES,
    AdmissionMode,
    EnrollmentOptions,
    Registration,
    RegistrationStatus,
    Restriction,
)

LOCK_TIMEOUT_MS = getattr(settings, "ENROLLMENT_LOCK_TIMEOUT_MS", 5000)

# The teacher's school kind as a target stage (參加對象教育階段別, code table 14).
STAGE_OF_UNIT_KIND = {
    UnitKind.SENIOR_HIGH: "14-1",
    UnitKind.VOCATIONAL_HIGH: "14-2",
    UnitKind.JUNIOR_HIGH: "14-3",
    UnitKind.ELEMENTARY: "14-4",
    UnitKind.KINDERGARTEN: "14-5",
    UnitKind.SPECIAL_ED_SCHOOL: "14-6",
}

PRIORITY_GROUP_CHOICES = [
    ("own_unit", gettext_lazy("本單位教師")),
    ("own_county", gettext_lazy("本縣市教師")),
    ("target_titles", gettext_lazy("符合參加對象職稱")),
    ("target_stages", gettext_lazy("符合參加對象教育階段")),
]
PRIORITY_GROUPS = [code for code, _label in PRIORITY_GROUP_CHOICES]

ORDER = ("queued_at", "id")


class Busy(DomainError):
    code = "busy"


@dataclass
class RegisterResult:
    registration: Registration
    warnings: list[str] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------------


def options_for(course: Course) -> EnrollmentOptions:
    options, _created = EnrollmentOptions.objects.get_or_create(course=course)
    return options


def waitlist(course: Course):
    return Registration.objects.filter(
        course=course, status=RegistrationStatus.WAITLISTED
    ).order_by(*ORDER)


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        course_id=registration.course_id, status=RegistrationStatus.WAITLISTED
    ).filter(
        Q(queued_at__lt=registration.queued_at)
        | Q(queued_at=registration.queued_at, id__lt=registration.id)
    )
    return ahead.count() + 1


def admitted_count(course: Course) -> int:
    return Registration.objects.filter(course=course, status=RegistrationStatus.ADMITTED).count()


def seats_left(course: Course) -> int:
    version = course.published
    capacity = version.capacity if version is not None else 0
    return max(capacity - admitted_count(course), 0)


def window_state(version, now=None) -> str:
    """ "upcoming", "open" or "closed", to the minute: opens ≤ now < closes."""
    now = now or timezone.now()
    opens, closes = version.registration_opens, version.registration_closes
    if opens is None or closes is None or now < opens:
        return "upcoming"
    if now >= closes:
        return "closed"
    return "open"


# --- helpers ----------------------------------------------------------------------------------


class _LockTimeout(Func):
    """`set_config('lock_timeout', …, true)` (PostgreSQL; the value elsewhere): as a
    condition of the locking statement itself it limits that statement's wait, for the rest
    of the transaction only, without a `SET LOCAL` round trip before it."""

    function = "set_config"
    output_field = CharField()

    def __init__(self, milliseconds):
        super().__init__(Value("lock_timeout"), milliseconds, Value(True))

    def as_sqlite(self, compiler, connection, **extra):
        return compiler.compile(self.source_expressions[1])  # the value: no wait to limit


def _locked_options(*, share: bool) -> PreparedQuery:
    """The options row, locked, waiting at most `LOCK_TIMEOUT_MS` (compiled once per
    process, core/prepared.py): in a burst every registration takes this lock."""
    return PreparedQuery(
        lambda course_id, timeout: (
            EnrollmentOptions.objects.select_for_update()
            .alias(lock_timeout=_LockTimeout(Value(timeout)))
            .filter(course_id=course_id, lock_timeout__isnull=False)
        ),
        int,
        str,
        share=share,
    )


_LOCKED_OPTIONS = _locked_options(share=False)
# Waitlisting needs only that the seat count does not change before the commit: a share
# lock, so the teachers waitlisted in a burst do not wait for each other (see `register`).
_SHARED_OPTIONS = _locked_options(share=True)


def _lock_for_registration(course: Course, *, share: bool = False) -> EnrollmentOptions:
    """Lock the options row inside the caller's transaction (no savepoint of its own),
    exclusively or (`share`) in share mode; a lock not granted within `LOCK_TIMEOUT_MS` is
    `Busy`."""
    query = _SHARED_OPTIONS if share else _LOCKED_OPTIONS
    try:
        return query.get(course.pk, str(int(LOCK_TIMEOUT_MS)))
    except DatabaseError as exc:
        raise Busy(_("目前報名人數眾多，系統忙碌中，請稍後再試一次。")) from exc


def _lock_options(course: Course) -> EnrollmentOptions:
    """The course's options row, made if missing and locked, in a savepoint of its own."""
    options_for(course)  # make sure the row exists (outside the lock's wait)
    with transaction.atomic():
        return _lock_for_registration(course)


def _recount(options: EnrollmentOptions) -> int:
    count = Registration.objects.filter(
        course_id=options.course_id, status=RegistrationStatus.ADMITTED
    ).count()
    if options.admitted_count != count:
        options.admitted_count = count
        options.save(update_fields=["admitted_count"])
    return count


# Mails that confirm a seat carry the calendar links and the QR code (issue: calendar).
CALENDAR_MAILS = frozenset(
    {"enrollment_admitted", "enrollment_promoted", "enrollment_lottery_result"}
)


def _calendar_context(registration: Registration) -> tuple[dict, list[dict]]:
    from django.urls import reverse

    from inservice.notifications.services import inline_png

    from . import calendar

    google_url = calendar.google_calendar_url(registration.course)
    ics_path = reverse("enrollment:registration_ics", args=[registration.pk])
    context = {
        "google_calendar_url": google_url,
        "ics_url": settings.SITE_URL.rstrip("/") + ics_path,
        "qr_cid": "calendar-qr",
    }
    return context, [inline_png("calendar-qr", calendar.qr_png(google_url))]


def _mail(registration: Registration, template: str, **context):
    """Mail the registrant: a deferred outbox row in the current transaction (committed with
    the change, none on rollback); the worker composes it (`registration_mail`), so templates,
    calendar links and the QR code cost nothing while the course's lock is held or a burst is
    being served. `context` holds extra strings for the template (warnings, a reason)."""
    user = registration.teacher.user
    if user is None or not user.email:
        return
    queue_deferred_mail(
        to=user.email,
        template=template,
        renderer="enrollment.registration",
        args={"registration": registration.pk, "template": template, "context": context},
        language=getattr(user, "language", None),
    )


@deferred_renderer("enrollment.registration")
def registration_mail(*, registration: int, template: str, context: dict):
    """The context (and inline QR image) of a registration mail, when the worker sends it."""
    registration = (
        Registration.objects.select_related("teacher__user", "course__published", "course__unit")
        .filter(pk=registration)
        .first()
    )
    if registration is None:
        return None
    course = registration.course
    images: list[dict] = []
    if template in CALENDAR_MAILS and registration.status == RegistrationStatus.ADMITTED:
        extra, images = _calendar_context(registration)
        context = {**extra, **context}
    return (
        {
            "user": registration.teacher.user,
            "registration": registration,
            "course": course,
            "version": course.published,
            "position": waitlist_position(registration),
            **context,
        },
        images,
    )


def _teacher_of(actor):
    teacher = getattr(actor, "teacher", None) if getattr(actor, "is_teacher", False) else None
    if teacher is None:
        raise PermissionDeniedError(_("只有教師帳號可以報名研習。"))
    return teacher


def _check_course(course: Course):
    if course.status == CourseStatus.CANCELLED:
        raise DomainError(_("此課程已取消，無法報名。"), code="cancelled")
    if course.status == CourseStatus.CLOSED:
        raise DomainError(_("此課程已結案，無法報名。"), code="closed")
    if course.status != CourseStatus.PUBLISHED or course.published_id is None:
        raise DomainError(_("此課程尚未核准公告，無法報名。"), code="not_published")


def _check_window(version, now):
    opens, closes = version.registration_opens, version.registration_closes
    if opens is None or closes is None:
        raise DomainError(_("此課程未設定報名期間，無法線上報名。"), code="no_window")
    if now < opens:
        raise DomainError(
            _("尚未開放報名：報名將於 %(opens)s 開始（臺北時間）。")
            % {"opens": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M")},
            code="not_open",
        )
    if now >= closes:
        raise DomainError(_("報名已截止，無法報名。"), code="window_closed")


def restriction_problem(teacher, course: Course, options: EnrollmentOptions) -> str | None:
    """Why the organizer's restriction refuses this teacher, or None."""
    if options.restriction == Restriction.NONE:
        return None
    unit = teacher.serving_unit
    version = course.published
    if options.restriction == Restriction.OWN_UNIT and unit.pk != course.unit_id:
        return _("此課程僅限開課單位（%(unit)s）的教師報名。") % {"unit": course.unit.name}
    if options.restriction == Restriction.OWN_COUNTY and (
        unit.county_id is None or unit.county_id != course.unit.county_id
    ):
        county = course.unit.county.name if course.unit.county_id else ""
        return _("此課程僅限%(county)s的教師報名。") % {"county": county}
    if options.restriction == Restriction.TARGETS:
        stage = STAGE_OF_UNIT_KIND.get(unit.kind)
        if version.target_stages and stage is not None and stage not in version.target_stages:
            return _("此課程的參加對象不包含您服務學校的教育階段。")
        if version.target_titles and teacher.title not in version.target_titles:
            return _("此課程的參加對象不包含您的職稱。")
    return None


class _Overlapping(Expression):
    """The acting teacher's other admitted courses whose dates overlap the outer query's
    course; when both courses have sessions, only if two sessions clash (same day, times
    overlapping). A JSON list of [code, name, queued_at, id], computed by a subquery of the
    course's own lookup (`courses_to_register`): no statement of its own in a registration."""

    output_field = JSONField()
    template = """(
SELECT {aggregate}
FROM enrollment_registration r
JOIN courses_course c ON c.id = r.course_id
JOIN courses_courseversion v ON v.id = c.published_id
WHERE r.teacher_id = %s AND r.status = %s AND r.course_id <> {course} AND c.status <> %s
  AND v.start_date <= COALESCE({end}, {start}) AND COALESCE(v.end_date, v.start_date) >= {start}
  AND (
    NOT EXISTS (SELECT 1 FROM courses_coursesession a WHERE a.version_id = {version})
    OR NOT EXISTS (SELECT 1 FROM courses_coursesession b WHERE b.version_id = v.id)
    OR EXISTS (
      SELECT 1 FROM courses_coursesession a
      JOIN courses_coursesession b ON b.date = a.date
        AND a.start_time < b.end_time AND b.start_time < a.end_time
      WHERE a.version_id = {version} AND b.version_id = v.id
    )
  )
)"""

    def __init__(self, teacher_id):
        super().__init__()
        self.teacher_id = teacher_id
        self.columns = [
            F("pk"), F("published_id"), F("published__start_date"), F("published__end_date")
        ]  # fmt: skip

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection, aggregate=None):
        if aggregate is None:
            raise NotSupportedError("overlapping courses: PostgreSQL and SQLite only")
        course, version, start, end = (compiler.compile(c)[0] for c in self.columns)
        sql = self.template.format(
            aggregate=aggregate, course=course, version=version, start=start, end=end
        )
        admitted, cancelled = RegistrationStatus.ADMITTED.value, CourseStatus.CANCELLED.value
        return sql, [self.teacher_id, admitted, cancelled]

    def as_postgresql(self, compiler, connection):
        aggregate = (
            "COALESCE(jsonb_agg(jsonb_build_array(c.code, v.name, r.queued_at, r.id)), '[]')"
        )
        return self.as_sql(compiler, connection, aggregate=aggregate)

    def as_sqlite(self, compiler, connection):
        aggregate = "json_group_array(json_array(c.code, v.name, r.queued_at, r.id))"
        return self.as_sql(compiler, connection, aggregate=aggregate)


def overlap_warnings(teacher, course: Course) -> list[str]:
    """Courses the teacher is admitted to that overlap this one (`_Overlapping`), in queue
    order: a warning, not a refusal. From a course loaded by `courses_to_register` for this
    teacher; otherwise one query, whatever the number of courses."""
    version = course.published
    if version is None or version.start_date is None:
        return []
    rows = getattr(course, "overlapping", None)
    if rows is None:
        rows = (
            courses_to_register(teacher.pk).values_list("overlapping", flat=True).get(pk=course.pk)
        )
    return [
        _("提醒：此課程與您已錄取的「%(name)s」（課程代碼 %(code)s）上課時間重疊。")
        % {"name": name, "code": code}
        for code, name, _queued_at, _pk in sorted(rows, key=lambda row: (row[2], row[3]))
    ]


def _promote(options: EnrollmentOptions, capacity: int, *, actor=None) -> list[Registration]:
    """Fill free seats from the waitlist in queue order (caller holds the lock)."""
    promoted = []
    free = capacity - _recount(options)
    if free <= 0:
        return promoted
    for registration in waitlist(options.course).select_related("teacher__user")[:free]:
        registration.status = RegistrationStatus.ADMITTED
        registration.save(update_fields=["status", "updated_at"])
        log_event(
            "enrollment.promoted",
            actor=actor,
            obj=registration,
            before={"status": RegistrationStatus.WAITLISTED},
            after={"status": RegistrationStatus.ADMITTED},
        )
        promoted.append(registration)
    _recount(options)
    for registration in promoted:
        _mail(registration, "enrollment_promoted")
    return promoted


# --- teacher actions --------------------------------------------------------------------------


def _options_and_existing(course: Course, teacher) -> tuple[EnrollmentOptions, tuple | None]:
    """The course's options (unlocked) and the teacher's earlier registration of it as
    (id, status, row), from a course loaded by `course_to_register` (no query; one more when
    there is an earlier registration)."""
    try:
        options = course.enrollment
    except EnrollmentOptions.DoesNotExist:  # courses published before options existed
        options = options_for(course)
    if course.existing_registration_id is None:
        return options, None
    row = Registration.objects.get(pk=course.existing_registration_id)
    row.course, row.teacher = course, teacher
    return options, (row.pk, row.status, row)


def _check_may_register(teacher, course: Course, options: EnrollmentOptions, existing):
    """Everything that refuses a registration except a full course. Run before the lock
    (from an unlocked read) and again under it (from the locked row: no query)."""
    problem = restriction_problem(teacher, course, options)
    if problem:
        raise DomainError(problem, code="restricted")
    status = existing[1] if existing else None
    if status in ACTIVE_STATUSES:
        raise DomainError(
            _("您已報名此課程（目前狀態：%(status)s），不需重複報名。")
            % {"status": RegistrationStatus(status).label},
            code="duplicate",
        )
    if status == RegistrationStatus.REMOVED:
        raise DomainError(
            _("您的報名已由開課單位移除，如有疑問請洽開課單位承辦人。"), code="removed"
        )
    if options.mode == AdmissionMode.LOTTERY and options.drawn_at is not None:
        raise DomainError(_("此課程已完成抽籤，無法再登記。"), code="drawn")


def _duplicate() -> DomainError:
    return DomainError(_("您已報名此課程，不需重複報名。"), code="duplicate")


# Written in every registration, under the course's lock (core/prepared.py).
_NEW_REGISTRATION = PreparedInsert(Registration)


# What `register` reads of the course, its published version, unit and county. The view
# loads only these: the version alone has some fifty columns, and building and reading them
# all was a fifth of a registration's time in a burst. A field used by `register` and
# missing here costs one more query (test_register_view_statements counts them).
_REGISTER_FIELDS = (
    "code", "status", "published", "unit",
    "published__registration_start", "published__registration_end",
    "published__registration_opens_at", "published__classes", "published__seats_per_class",
    "published__start_date", "published__end_date",
    "published__target_stages", "published__target_titles",
    "unit__name", "unit__county", "unit__county__name",
)  # fmt: skip


def _registrations_of(teacher_id):
    """The teacher's registration of the outer query's course (at most one)."""
    return Registration.objects.filter(course_id=OuterRef("pk"), teacher_id=teacher_id)


def courses_to_register(teacher_id: int):
    """Courses loaded for `register`: the fields it reads, the course's options, the id of
    `teacher_id`'s earlier registration of it (`existing_registration_id`, or None) and the
    teacher's admitted courses that overlap it (`overlapping`, see `overlap_warnings`)."""
    return (
        Course.objects.select_related("published", "unit", "unit__county", "enrollment")
        .only(*_REGISTER_FIELDS, "enrollment")
        .annotate(
            existing_registration_id=Subquery(_registrations_of(teacher_id).values("id")[:1]),
            overlapping=_Overlapping(teacher_id),
        )
    )


# The view's lookup of the course by its code, compiled once per process (core/prepared.py):
# Django's compiling of this five-table query cost more than running it, in every
# registration of a burst.
_COURSE_TO_REGISTER = PreparedQuery(
    lambda code, teacher_id: courses_to_register(teacher_id).filter(code=code), int, int
)


def course_to_register(code: int, teacher) -> Course | None:
    """The course with `code` as `courses_to_register(teacher)` loads it; None if none."""
    return _COURSE_TO_REGISTER.get(code, teacher.pk)


def register(
    *, actor, course: Course, now=None, course_loaded=False, _lock=True, _pause=None
) -> RegisterResult:
    """Register the acting teacher for `course`: admitted, waitlisted, or (lottery) applied.

    In three steps, so the course's lock is held only for what needs it:
    1. without the lock, read-only: the teacher, the course's state and registration window,
       the organizer's restriction, an earlier registration and the overlap warning (all
       loaded with the course: `courses_to_register`, one query);
    2. one short transaction (`_write_registration`): lock the options row (in share mode
       when only a waitlist place is possible); re-check the options from the locked row
       (no query); compare `admitted_count` with the capacity; write the registration (a new
       row — the unique constraint refuses a concurrent duplicate — or the earlier row,
       only if its status is still the one read in step 1); add one to the count; audit;
    3. after the commit: the mail (see `_mail`).

    `course_loaded`: the caller (the view) has just loaded `course` with
    `course_to_register(code, teacher)` for the acting teacher; otherwise it is loaded here.
    `_lock` and `_pause` exist for the concurrency test only (it shows the race the lock
    prevents); production code never passes them.
    """
    queued_at = now
    now = now or timezone.now()
    teacher = _teacher_of(actor)
    if teacher.serving_unit_id is None:
        raise DomainError(_("您尚未設定服務單位，請先設定服務學校後再報名。"), code="no_unit")
    if not course_loaded:
        course = courses_to_register(teacher.pk).get(pk=course.pk)
    _check_course(course)
    version = course.published
    _check_window(version, now)
    options, existing = _options_and_existing(course, teacher)
    _check_may_register(teacher, course, options, existing)
    lottery = options.mode == AdmissionMode.LOTTERY
    warnings = [] if lottery else overlap_warnings(teacher, course)
    write = partial(
        _write_registration,
        actor, teacher, course, options, existing, queued_at, warnings, _pause=_pause,
    )  # fmt: skip
    try:
        if _lock and _only_waitlist(options, version):
            try:
                return write(lock="share")
            except _SeatFreed:
                pass  # a seat was freed since the read: again, with the exclusive lock
        return write(lock="exclusive" if _lock else None)
    except IntegrityError as exc:
        # Only a concurrent registration of the same teacher gets here (double submit).
        if "one_registration_per_course" in str(exc):
            raise _duplicate() from exc
        raise


class _SeatFreed(Exception):
    """Under the share lock the course turned out to have a free seat."""


def _only_waitlist(options: EnrollmentOptions, version) -> bool:
    """Whether a registration can only be waitlisted: first come, first served, every seat
    taken, the waitlist open."""
    return (
        options.mode == AdmissionMode.FIRST_COME
        and options.allow_waitlist
        and options.admitted_count >= version.capacity
    )


def _write_registration(
    actor, teacher, course, options, existing, queued_at, warnings, *, lock, _pause=None
) -> RegisterResult:
    """Step 2 of `register`: one transaction, with the options row locked `exclusive`ly or in
    `share` mode (only to waitlist: `_SeatFreed` if a seat is free after all) and read again
    under the lock; `lock=None` is the concurrency test's race without a lock, on the
    `options` read before."""
    with transaction.atomic():
        if lock is not None:
            options = _lock_for_registration(course, share=lock == "share")
            _check_may_register(teacher, course, options, existing)
            if lock == "share" and not _only_waitlist(options, course.published):
                raise _SeatFreed
        registration = _register_locked(
            teacher, course, options, existing, queued_at, _lock=lock is not None, _pause=_pause
        )
        log_event(
            "enrollment.registered",
            actor=actor,
            obj=registration,
            before={"status": existing[1]} if existing else None,
            after={"status": registration.status},
            data={"course": course.code},
        )
        if registration.status == RegistrationStatus.APPLIED:
            warnings = []
        _mail(registration, f"enrollment_{registration.status}", warnings=warnings)
    return RegisterResult(registration, warnings)


def _register_locked(teacher, course, options, existing, queued_at, *, _lock, _pause):
    """Step 2 of `register`, with the options row locked (unless the test-only `_lock` is
    False): the status, the row, the count."""
    version = course.published
    if options.mode == AdmissionMode.LOTTERY:
        from .lottery import ensure_commitment

        ensure_commitment(options)
        status = RegistrationStatus.APPLIED
    else:
        taken = (
            options.admitted_count
            if _lock
            else Registration.objects.filter(
                course=course, status=RegistrationStatus.ADMITTED
            ).count()
        )
        if _pause is not None:
            _pause()
        if taken < version.capacity:
            status = RegistrationStatus.ADMITTED
        elif options.allow_waitlist:
            status = RegistrationStatus.WAITLISTED
        else:
            raise DomainError(_("此課程名額已滿，且未開放候補。"), code="full")
    # Queue order is lock order: the time is taken once the lock is held (tests may fix it).
    queued_at = queued_at or timezone.now()
    fields = {
        "status": status,
        "queued_at": queued_at,
        "cancelled_at": None,
        "note": "",
        "priority_group": None,
        "draw_rank": None,
    }
    existing_row = existing[2] if existing else None
    if existing_row is None:
        registration = _NEW_REGISTRATION.create(course=course, teacher=teacher, **fields)
    else:
        # Re-registering after a cancellation (rare): the earlier row, only if its status is
        # still the one read before the lock (otherwise a double submit got here first).
        registration = existing_row
        changed = Registration.objects.filter(pk=registration.pk, status=registration.status)
        if not changed.update(updated_at=timezone.now(), **fields):
            raise _duplicate()
        for name, value in fields.items():
            setattr(registration, name, value)
    if status == RegistrationStatus.ADMITTED:
        if _lock:
            EnrollmentOptions.objects.filter(pk=options.pk).update(
                admitted_count=F("admitted_count") + 1
            )
            options.admitted_count += 1
        else:
            EnrollmentOptions.objects.filter(pk=options.pk).update(
                admitted_count=Registration.objects.filter(
                    course=course, status=RegistrationStatus.ADMITTED
                ).count()
            )
    return registration


def _own_registration(actor, registration: Registration) -> Registration:
    teacher = _teacher_of(actor)
    if registration.teacher_id != teacher.pk:
        raise PermissionDeniedError()
    return registration


@transaction.atomic
def cancel_registration(*, actor, registration: Registration, now=None) -> Registration:
    """The teacher cancels before registration closes; a freed seat goes to the waitlist."""
    now = now or timezone.now()
    _own_registration(actor, registration)
    course = Course.objects.select_related("published").get(pk=registration.course_id)
    options = _lock_options(course)
    registration = Registration.objects.select_related("teacher__user").get(pk=registration.pk)
    if registration.status not in ACTIVE_STATUSES:
        raise DomainError(_("此報名已取消或已不在有效狀態。"), code="not_active")
    version = course.published
    closes = version.registration_closes if version is not None else None
    if closes is not None and now >= closes:
        raise DomainError(
            _("報名已截止，無法自行取消；如需取消請洽開課單位承辦人。"), code="deadline"
        )
    before = registration.status
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.save(update_fields=["status", "cancelled_at", "updated_at"])
    log_event(
        "enrollment.cancelled",
        actor=actor,
        obj=registration,
        before={"status": before},
        after={"status": registration.status},
    )
    _mail(registration, "enrollment_cancelled")
    if before == RegistrationStatus.ADMITTED and version is not None:
        _promote(options, version.capacity, actor=actor)
    else:
        _recount(options)
    return registration


# --- organizer controls -----------------------------------------------------------------------


def _require_manager(actor, course: Course):
    from inservice.accounts.permissions import Function, can

    if not (course_permissions.can_manage(actor, course) and can(actor, Function.COURSE_MANAGE)):
        raise PermissionDeniedError()


def _managed(actor, registration: Registration):
    course = Course.objects.select_related("published", "unit").get(pk=registration.course_id)
    _require_manager(actor, course)
    options = _lock_options(course)
    registration = Registration.objects.select_related("teacher__user", "course").get(
        pk=registration.pk
    )
    return course, options, registration


@transaction.atomic
def admit_from_waitlist(*, actor, registration: Registration) -> Registration:
    course, options, registration = _managed(actor, registration)
    if registration.status != RegistrationStatus.WAITLISTED:
        raise DomainError(_("只能錄取候補中的報名者。"), code="not_waitlisted")
    if _recount(options) >= course.published.capacity:
        raise DomainError(
            _("名額已滿，無法再錄取；請先移除一位錄取者或修改課程名額。"), code="full"
        )
    registration.status = RegistrationStatus.ADMITTED
    registration.save(update_fields=["status", "updated_at"])
    _recount(options)
    log_event(
        "enrollment.admitted_by_organizer",
        actor=actor,
        obj=registration,
        before={"status": RegistrationStatus.WAITLISTED},
        after={"status": RegistrationStatus.ADMITTED},
    )
    _mail(registration, "enrollment_promoted")
    return registration


@transaction.atomic
def remove_registration(*, actor, registration: Registration, reason: str) -> Registration:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("請填寫移除原因，系統會通知該教師。"), field="reason")
    course, options, registration = _managed(actor, registration)
    if registration.status not in ACTIVE_STATUSES:
        raise DomainError(_("此報名已取消或已不在有效狀態。"), code="not_active")
    before = registration.status
    registration.status = RegistrationStatus.REMOVED
    registration.cancelled_at = timezone.now()
    registration.note = reason[:200]
    registration.save(update_fields=["status", "cancelled_at", "note", "updated_at"])
    log_event(
        "enrollment.removed",
        actor=actor,
        obj=registration,
        before={"status": before},
        after={"status": registration.status},
        data={"reason": reason},
    )
    _mail(registration, "enrollment_removed", reason=reason)
    if before == RegistrationStatus.ADMITTED:
        _promote(options, course.published.capacity, actor=actor)
    return registration


@transaction.atomic
def move_in_waitlist(*, actor, registration: Registration, direction: str) -> Registration:
    """Swap places with the neighbour ahead ("up") or behind ("down")."""
    if direction not in ("up", "down"):
        raise ValidationFailed()
    course, options, registration = _managed(actor, registration)
    if registration.status != RegistrationStatus.WAITLISTED:
        raise DomainError(_("只能調整候補中的順序。"), code="not_waitlisted")
    line = list(waitlist(course))
    index = next(i for i, r in enumerate(line) if r.pk == registration.pk)
    other_index = index - 1 if direction == "up" else index + 1
    if other_index < 0 or other_index >= len(line):
        raise DomainError(_("已在候補名單的最前面或最後面。"), code="edge")
    other = line[other_index]
    before = index + 1
    # Distinct times keep the order strict, even when both were queued at the same instant.
    a, b = sorted([registration.queued_at, other.queued_at])
    if a == b:
        b = a + datetime.timedelta(microseconds=1)
    first, second = (registration, other) if direction == "up" else (other, registration)
    first.queued_at, second.queued_at = a, b
    for r in (first, second):
        r.save(update_fields=["queued_at", "updated_at"])
    log_event(
        "enrollment.waitlist_moved",
        actor=actor,
        obj=registration,
        before={"position": before},
        after={"position": other_index + 1},
    )
    return registration


@transaction.atomic
def set_options(
    *,
    actor,
    course: Course,
    mode: str,
    allow_waitlist: bool,
    restriction: str,
    priority_groups: list[str],
    now=None,
) -> EnrollmentOptions:
    """The organizer's registration settings. The admission mode is fixed once registration
    has opened (or anyone registered); switching to lottery before then commits the seed."""
    now = now or timezone.now()
    course = Course.objects.select_related("published").get(pk=course.pk)
    _require_manager(actor, course)
    options = _lock_options(course)
    if mode not in AdmissionMode.values or restriction not in Restriction.values:
        raise ValidationFailed()
    unknown = [g for g in priority_groups if g not in PRIORITY_GROUPS]
    if unknown:
        raise ValidationFailed(_("未知的優先順序群組。"), field="priority_groups")
    before = {
        "mode": options.mode,
        "allow_waitlist": options.allow_waitlist,
        "restriction": options.restriction,
        "priority_groups": options.priority_groups,
    }
    if mode != options.mode:
        version = course.published
        started = version is not None and window_state(version, now) != "upcoming"
        if started or Registration.objects.filter(course=course).exists():
            raise DomainError(
                _("報名開始後（或已有人報名）不能變更錄取方式。"), code="mode_locked", field="mode"
            )
    if options.drawn_at is not None and priority_groups != options.priority_groups:
        raise DomainError(_("已完成抽籤，不能變更優先順序。"), field="priority_groups")
    options.mode = mode
    options.allow_waitlist = allow_waitlist
    options.restriction = restriction
    options.priority_groups = list(dict.fromkeys(priority_groups))
    if mode == AdmissionMode.LOTTERY:
        from .lottery import ensure_commitment

        ensure_commitment(options, save=False)
    elif options.drawn_at is None:
        options.seed = ""
        options.seed_commitment = ""
    options.save()
    log_event(
        "enrollment.options_changed",
        actor=actor,
        obj=course,
        before=before,
        after={
            "mode": options.mode,
            "allow_waitlist": options.allow_waitlist,
            "restriction": options.restriction,
            "priority_groups": options.priority_groups,
        },
    )
    return options


# --- the course is cancelled (issue 3: every registrant is told) ------------------------------


def on_course_cancelled(sender, *, course, reason, **kwargs):
    """Receiver of `courses.services.lifecycle.course_cancelled` (sent after commit)."""
    cancel_all_registrations(course=course, reason=reason)


@transaction.atomic
def cancel_all_registrations(*, course: Course, reason: str) -> int:
    options = _lock_options(course)
    now = timezone.now()
    registrations = list(
        Registration.objects.filter(course=course, status__in=ACTIVE_STATUSES).select_related(
            "teacher__user", "course__published"
        )
    )
    for registration in registrations:
        before = registration.status
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.note = (_("課程已取消：%(reason)s") % {"reason": reason})[:200]
        registration.save(update_fields=["status", "cancelled_at", "note", "updated_at"])
        log_event(
            "enrollment.course_cancelled",
            obj=registration,
            before={"status": before},
            after={"status": registration.status},
            data={"reason": reason},
        )
        _mail(registration, "enrollment_course_cancelled", reason=reason)
    _recount(options)
    return len(registrations)
