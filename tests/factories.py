"""Factories for test data. ID numbers are generated with valid check digits, never real."""

import random

import factory
from factory.django import DjangoModelFactory

from inservice.accounts.models import StaffProfile, StaffRole, StaffStatus, Teacher, User
from inservice.core import idnumbers
from inservice.organizations.models import County, Ownership, Unit, UnitKind

_rng = random.Random(20261126)


def make_id_number(kind: str = idnumbers.NATIONAL) -> str:
    """A synthetic, checksum-valid ID number of the given format."""
    letter = _rng.choice("ABCDEFGHJKLMNPQRSTUVXYWZIO")
    if kind == idnumbers.NATIONAL:
        prefix = letter + _rng.choice("12")
    elif kind == idnumbers.RESIDENT_NEW:
        prefix = letter + _rng.choice("89")
    else:
        prefix = letter + _rng.choice("ABCD")
    prefix += "".join(_rng.choice("0123456789") for _ in range(7))
    return prefix + idnumbers.check_digit_for(prefix)


class CountyFactory(DjangoModelFactory):
    class Meta:
        model = County
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:04d}")
    name = factory.Sequence(lambda n: f"測試縣{n}")
    sort_order = factory.Sequence(int)


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:06d}")
    name = factory.Sequence(lambda n: f"測試國民小學{n}")
    kind = UnitKind.ELEMENTARY
    ownership = Ownership.MUNICIPAL
    county = factory.SubFactory(CountyFactory)
    email = factory.Sequence(lambda n: f"unit{n}@school.example")
    phone = "02-2345-6789"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:05d}")
    kind = User.Kind.TEACHER
    real_name = factory.Sequence(lambda n: f"林測試{n}")
    email = factory.Sequence(lambda n: f"user{n}@mail.example")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-9")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeacherFactory(DjangoModelFactory):
    """A teacher person; pass `user=UserFactory()` for one with a login."""

    class Meta:
        model = Teacher

    id_number = factory.LazyFunction(make_id_number)
    name = factory.Sequence(lambda n: f"陳老師{n}")
    sex = "F"
    title = "15-4"
    serving_unit = factory.SubFactory(UnitFactory)
    user = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        id_number = kwargs.pop("id_number")
        teacher = model_class(*args, **kwargs)
        idnumbers.protect(id_number).apply_to(teacher)
        teacher.save()
        return teacher


class StaffFactory(DjangoModelFactory):
    """An approved staff account (StaffProfile); `user__...` customises the login."""

    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory, kind=User.Kind.STAFF)
    unit = factory.SubFactory(UnitFactory)
    role = StaffRole.CHIEF
    status = StaffStatus.ACTIVE


# --------------------------------------------------------------------------------------------
# Staff accounts (added by the staff-accounts work; the factories above are unchanged).


def make_staff(unit, role=StaffRole.CHIEF, status=StaffStatus.ACTIVE, **user_fields):
    """A staff account of `unit` in the given role and status (the login follows the status:
    deactivated and rejected accounts cannot log in)."""
    closed = (StaffStatus.DEACTIVATED, StaffStatus.REJECTED)
    user_fields.setdefault("is_active", status not in closed)
    return StaffFactory(
        unit=unit,
        role=role,
        status=status,
        **{f"user__{k}": v for k, v in user_fields.items()},
    )


# --- courses ------------------------------------------------------------------------------
import datetime as _dt  # noqa: E402
from decimal import Decimal as _Decimal  # noqa: E402


def complete_course_data(**overrides):
    """A complete, valid 附件四 form for a school course starting in three weeks."""
    start = _dt.date.today() + _dt.timedelta(days=21)
    data = {
        "class_type": "1-2",
        "basis": "2-1",
        "basis_doc_number": "北市教研字第1140001234號",
        "name": "數學領域差異化教學工作坊",
        "tags": [],
        "subject": "",
        "taxonomy_stage": "elementary",
        "category": "5-1",
        "topic_item": "1-3-6",
        "level": "7-2",
        "instructor_name": "吳講師",
        "instructor_type": "8-2",
        "outline": "以實例說明差異化教學的設計與評量。",
        "delivery": ["11-3"],
        "time_slots": ["12-1"],
        "hours": _Decimal("3.0"),
        "target_stages": ["14-4"],
        "target_titles": ["15-4", "15-5"],
        "registration_start": start - _dt.timedelta(days=14),
        "registration_end": start - _dt.timedelta(days=2),
        "start_date": start,
        "end_date": start,
        "time_and_place": "13:30–16:30 本校視聽教室",
        "funding": ["21-7"],
        "fee": "22-3",
        "classes": 1,
        "seats_per_class": 30,
        "contact1_name": "王承辦",
        "contact1_phone": "02-2345-6789",
        "contact1_email": "contact@school.example",
        "feedback": "26-1",
    }
    data.update(overrides)
    return data


def make_course(unit=None, *, actor=None, submit=False, approve=False, **overrides):
    """A course through the real services: draft, or submitted, or approved."""
    from inservice.courses.services import lifecycle

    if actor is None:
        if unit is None:
            unit = UnitFactory(county=County.objects.get(code="63000"))  # 臺北市
        actor = StaffFactory(unit=unit, role=StaffRole.OPERATOR).user
    unit = actor.staff.unit
    course = lifecycle.create_course(actor=actor, unit=unit, data=complete_course_data(**overrides))
    if submit or approve:
        lifecycle.submit_course(actor=actor, course=course)
        course.refresh_from_db()
    if approve and course.status != "published":
        reviewer = StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user
        lifecycle.approve_course(actor=reviewer, course=course)
        course.refresh_from_db()
    return course


# --- courses: dates in the past, closed courses (unit list / history / change requests) ------


def move_course_dates(course, *, start, end=None, registration_start=None, registration_end=None):
    """Put a course (every version and the denormalised dates) on other dates, as if it had
    been registered back then; registration defaults to the two weeks before the start."""
    from inservice.courses.models import Course, CourseVersion

    end = end or start
    registration_start = registration_start or start - _dt.timedelta(days=14)
    registration_end = registration_end or start - _dt.timedelta(days=2)
    CourseVersion.objects.filter(course=course).update(
        start_date=start,
        end_date=end,
        registration_start=registration_start,
        registration_end=registration_end,
    )
    Course.objects.filter(pk=course.pk).update(start_date=start, end_date=end)
    course.refresh_from_db()
    return course


def make_closed_course(unit=None, *, days_ago=60, **overrides):
    """A published course held `days_ago` days ago and closed (status set directly until the
    attendance work closes courses through its service)."""
    from django.utils import timezone

    from inservice.courses.models import Course, CourseStatus

    course = make_course(unit, approve=True, **overrides)
    start = _dt.date.today() - _dt.timedelta(days=days_ago)
    move_course_dates(course, start=start)
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.CLOSED, closed_at=timezone.now())
    course.refresh_from_db()
    return course


# --- course review (added by the review area; everything above is unchanged) ---------------


def course_dates(start, days=0):
    """Course-form overrides for a course starting on `start` (lasting `days` more days),
    with a registration window that closes before it starts."""
    return {
        "start_date": start,
        "end_date": start + _dt.timedelta(days=days),
        "registration_start": start - _dt.timedelta(days=30),
        "registration_end": start - _dt.timedelta(days=1),
    }


def routable_unit(kind, county=None, ownership=None, **fields):
    """A unit of `kind` that routing (第11條) can place, in `county` (臺北市 by default).

    The centers' own kinds return their reference unit (a center reviews its own courses);
    supervised kinds get an ownership with a default authority (municipal where possible).
    """
    from inservice.organizations import reference_data as ref
    from inservice.organizations.routing import DEFAULT_AUTHORITY

    county = county or County.objects.get(code="63000")
    reference = {
        UnitKind.MOE: ref.MOE,
        UnitKind.NATIONAL_CENTER: ref.NATIONAL_CENTER,
        UnitKind.K12_ADMIN_GROUP: ref.K12_SENIOR_HIGH,
        UnitKind.REVIEW_PANEL: ref.REVIEW_PANEL,
        UnitKind.WORKING_CIRCLE: ref.WORKING_CIRCLE,
    }
    if kind in reference and ownership is None and not fields:
        return Unit.objects.get(code=reference[kind])
    if kind == UnitKind.COUNTY_BUREAU and ownership is None and not fields:
        return Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county=county)
    if ownership is None:
        defaults = DEFAULT_AUTHORITY.get(kind, {})
        ownership = Ownership.MUNICIPAL if Ownership.MUNICIPAL in defaults else Ownership.NONE
    return UnitFactory(kind=kind, ownership=ownership, county=county, **fields)


# --- course form (研習課程登錄) helpers ------------------------------------------------------


def course_form_data(*, revision=None, sessions=(), **overrides):
    """`complete_course_data` as the course form posts it (dates ISO, lists as multi-values),
    with the sessions formset's management form and optional session rows
    (date, "HH:MM", "HH:MM", hours or "")."""
    post = {}
    for key, value in complete_course_data(**overrides).items():
        if isinstance(value, list):
            post[key] = value
        elif value is None:
            post[key] = ""
        elif isinstance(value, _dt.date):
            post[key] = value.isoformat()
        elif isinstance(value, _dt.time):
            post[key] = value.strftime("%H:%M")
        else:
            post[key] = str(value)
    post.setdefault("registration_opens_at", "00:00")
    post.update(
        {
            "sessions-TOTAL_FORMS": str(len(sessions)),
            "sessions-INITIAL_FORMS": "0",
            "sessions-MIN_NUM_FORMS": "0",
            "sessions-MAX_NUM_FORMS": "1000",
        }
    )
    for i, (day, start, end, hours) in enumerate(sessions):
        post[f"sessions-{i}-date"] = day.isoformat()
        post[f"sessions-{i}-start_time"] = start
        post[f"sessions-{i}-end_time"] = end
        post[f"sessions-{i}-hours"] = str(hours)
    if revision is not None:
        post["revision"] = str(revision)
    return post


# --- registration (added by the registration area; everything above is unchanged) ---------


def make_teacher_user(unit=None, *, title="15-4", **user_fields):
    """A teacher with a login, serving at `unit` (None: no serving unit)."""
    user = UserFactory(kind=User.Kind.TEACHER, **user_fields)
    TeacherFactory(user=user, serving_unit=unit, title=title)
    user.refresh_from_db()
    return user


def open_course(unit=None, *, classes=1, seats=10, opened_days_ago=1, closes_in_days=2, **kw):
    """A published course whose registration window is open now (it opened at midnight
    `opened_days_ago` days ago and closes at the end of the day `closes_in_days` from today)."""
    from django.utils import timezone

    from inservice.courses.models import CourseVersion

    course = make_course(unit, approve=True, classes=classes, seats_per_class=seats, **kw)
    today = timezone.localdate()
    CourseVersion.objects.filter(course=course).update(
        registration_start=today - _dt.timedelta(days=opened_days_ago),
        registration_end=today + _dt.timedelta(days=closes_in_days),
    )
    course.refresh_from_db()
    course.published.refresh_from_db()
    return course


# --- attendance closing (added by the closing area; everything above is unchanged) --------


def held_course(unit=None, *, ended_days_ago=1, days=0, actor=None, **overrides):
    """A published course whose last day was `ended_days_ago` days ago (0: today), lasting
    `days` more days before it; approved through the real services (臺北市 by default)."""
    from django.utils import timezone

    course = make_course(unit, actor=actor, approve=True, **overrides)
    end = timezone.localdate() - _dt.timedelta(days=ended_days_ago)
    move_course_dates(course, start=end - _dt.timedelta(days=days), end=end)
    course.published.refresh_from_db()
    return course


def put_on_list(course, rows):
    """Attendance entries for `course`: rows of (teacher, status[, hours_attended]); the hours
    come from the hours rules (`records.hours.entry_hours`) as the entry grid gives them."""
    from inservice.attendance.models import AttendanceEntry, AttendanceList
    from inservice.records.hours import entry_hours

    attendance, _created = AttendanceList.objects.get_or_create(course=course)
    entries = []
    for teacher, status, *rest in rows:
        attended = rest[0] if rest else None
        entries.append(
            AttendanceEntry.objects.create(
                attendance_list=attendance,
                course=course,
                teacher=teacher,
                status=status,
                hours_attended=attended,
                hours=entry_hours(status, course.published.hours, attended),
            )
        )
    return entries


# --- records (pages area; everything above is unchanged) -----------------------------------

_record_codes = iter(range(9_000_000, 99_000_000))


def make_record(teacher, *, start, hours, end=None, created_at=None, **fields):
    """A training record of `teacher` written directly (no course, source online by default):
    `start`/`end` dates, `hours` counted; `hours_withheld` adds to the requested hours;
    `created_at` back-dates the row (it is auto_now_add)."""
    from decimal import Decimal

    from django.utils import timezone

    from inservice.records.models import TrainingRecord

    hours = Decimal(str(hours))
    withheld = Decimal(str(fields.pop("hours_withheld", 0)))
    fields.setdefault("course_code", str(next(_record_codes)))
    fields.setdefault("course_name", f"研習課程 {fields['course_code']}")
    fields.setdefault("organizer_name", "測試開課單位")
    fields.setdefault("source", "online")
    fields.setdefault("category", "5-1")
    record = TrainingRecord.objects.create(
        teacher=teacher,
        start_date=start,
        end_date=end or start,
        hours=hours,
        hours_withheld=withheld,
        hours_requested=hours + withheld,
        closed_at=timezone.now(),
        **fields,
    )
    if created_at is not None:
        TrainingRecord.objects.filter(pk=record.pk).update(created_at=created_at)
        record.created_at = created_at
    return record
