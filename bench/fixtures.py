"""What the benchmarks act on, created inside a configured Django process: a bench school
with a staff account, courses made through the course services, teacher logins with
sessions (no password hashing), a teacher with 40 years of records, courses held yesterday.

Everything is named `bench…` and reused between runs where it can be (accounts, teachers);
the courses are new on every run, so a run never sees the previous run's registrations.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from inservice.accounts.models import StaffProfile, StaffRole, StaffStatus, Teacher, User
from inservice.core import idnumbers
from inservice.organizations.models import County, Ownership, Unit, UnitKind

BENCH_UNIT = "BENCH-SCH"
ID_LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"


# --- people -----------------------------------------------------------------------------------


def bench_unit() -> Unit:
    unit, _created = Unit.objects.get_or_create(
        code=BENCH_UNIT,
        defaults={
            "name": "效能測試市立國民小學",
            "kind": UnitKind.ELEMENTARY,
            "ownership": Ownership.MUNICIPAL,
            "county": County.objects.get(code="63000"),
            "email": "bench-school@bench.example",
            "phone": "02-2345-6789",
        },
    )
    return unit


def staff_user(username: str, unit: Unit, role: str = StaffRole.OPERATOR) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "kind": User.Kind.STAFF,
            "real_name": "效能測試承辦",
            "email": f"{username}@bench.example",
            "password": make_password(None),
        },
    )
    StaffProfile.objects.get_or_create(
        user=user, defaults={"unit": unit, "role": role, "status": StaffStatus.ACTIVE}
    )
    return User.objects.select_related("staff__unit").get(pk=user.pk)


def id_numbers(seed: int):
    """An endless stream of distinct, checksum-valid synthetic national ID numbers."""
    rng = random.Random(seed)
    seen = set()
    while True:
        prefix = rng.choice(ID_LETTERS) + rng.choice("12")
        prefix += "".join(rng.choice("0123456789") for _ in range(7))
        value = prefix + idnumbers.check_digit_for(prefix)
        if value not in seen:
            seen.add(value)
            yield value


def _fresh_ids(ids, count: int) -> list:
    """`count` protected ID numbers from `ids` that no teacher has yet (the national dataset
    holds 220,000: a batch of 2,000 would otherwise hit one)."""
    out = []
    while len(out) < count:
        candidates = [idnumbers.protect(next(ids)) for _ in range(count - len(out))]
        taken = set(
            Teacher.objects.filter(id_number_digest__in=[c.digest for c in candidates]).values_list(
                "id_number_digest", flat=True
            )
        )
        out += [c for c in candidates if c.digest not in taken]
    return out


def _new_teachers(count: int, *, prefix: str, unit: Unit | None, seed: int, logins: bool):
    """`count` more bench teachers (with a login each when `logins`); existing ID numbers
    are skipped, so the call may be repeated."""
    ids = id_numbers(seed)
    made = 0
    batch = 2000
    while made < count:
        n = min(batch, count - made)
        with transaction.atomic():
            users = []
            if logins:
                start = User.objects.filter(username__startswith=prefix).count()
                users = User.objects.bulk_create(
                    [
                        User(
                            username=f"{prefix}{start + i:06d}",
                            kind=User.Kind.TEACHER,
                            real_name=f"效能測試教師{start + i}",
                            email=f"{prefix}{start + i}@bench.example",
                            password=make_password(None),
                        )
                        for i in range(n)
                    ]
                )
            teachers = []
            protected = _fresh_ids(ids, n)
            for i in range(n):
                teacher = Teacher(
                    user=users[i] if logins else None,
                    name=users[i].real_name if logins else f"測試教師{prefix}{made + i}",
                    sex="F" if i % 2 else "M",
                    title="15-4",
                    serving_unit=unit,
                )
                protected[i].apply_to(teacher)
                teachers.append(teacher)
            Teacher.objects.bulk_create(teachers, ignore_conflicts=not logins)
        made += n


def login_teachers(count: int, unit: Unit) -> list[User]:
    """`count` teacher logins serving at `unit` (created once, then reused)."""
    prefix = "benchT"
    have = User.objects.filter(username__startswith=prefix).count()
    if have < count:
        _new_teachers(count - have, prefix=prefix, unit=unit, seed=606 + have, logins=True)
    return list(
        User.objects.filter(username__startswith=prefix, teacher__isnull=False).order_by(
            "username"
        )[:count]
    )


def teachers_for_upload(count: int, unit: Unit) -> list[tuple[str, str]]:
    """(personal identifier, name) of `count` different teachers, bench teachers without a
    login added when the dataset has fewer.

    Only identifiers shaped as the app makes them (never also an ID number): a dataset
    generated before that rule holds a few that are another teacher's ID number, and the
    upload rightly refuses such a row as ambiguous."""
    from inservice.accounts.models import PERSONAL_IDENTIFIER_SECOND

    shaped = Teacher.objects.filter(
        personal_identifier__regex=f"^T[{PERSONAL_IDENTIFIER_SECOND}]"
    ).order_by("pk")
    have = shaped.count()
    while have < count:  # a generated ID number already taken is skipped: top up
        _new_teachers(count - have, prefix="up", unit=unit, seed=707 + have, logins=False)
        have = shaped.count()
    return list(shaped.values_list("personal_identifier", "name")[:count])


def sessions_for(users: list[User]) -> list[str]:
    """A fresh logged-in session per user, written in one statement (as `login()` would
    store it: user id, backend, session hash); returns the session keys. With the
    `cached_db` engine (Redis configured) `login()` also puts the session in the cache, and so
    does this."""
    from importlib import import_module

    from django.core.cache import caches

    store = SessionStore()
    expires = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    backend = settings.AUTHENTICATION_BACKENDS[-1]
    engine = import_module(settings.SESSION_ENGINE)
    cached = settings.SESSION_ENGINE.endswith("cached_db")
    rows, keys, in_cache = [], [], {}
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        session = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(
            Session(session_key=key, session_data=store.encode(session), expire_date=expires)
        )
        keys.append(key)
        if cached:
            in_cache[engine.SessionStore(key).cache_key] = session
    Session.objects.bulk_create(rows, batch_size=2000)
    if in_cache:
        caches[settings.SESSION_CACHE_ALIAS].set_many(in_cache, settings.SESSION_COOKIE_AGE)
    return keys


# --- courses ----------------------------------------------------------------------------------


def course_data(**overrides) -> dict:
    """A complete 附件四 form for a bench course starting in three weeks."""
    start = timezone.localdate() + datetime.timedelta(days=21)
    data = {
        "class_type": "1-2",
        "basis": "2-1",
        "basis_doc_number": "北市教研字第1140009999號",
        "name": "效能測試：數學領域差異化教學工作坊",
        "tags": [],
        "subject": "",
        "taxonomy_stage": "elementary",
        "category": "5-1",
        "topic_item": "1-3-6",
        "level": "7-2",
        "instructor_name": "吳講師",
        "instructor_type": "8-2",
        "outline": "效能測試用課程。",
        "delivery": ["11-3"],
        "time_slots": ["12-1"],
        "hours": Decimal("3.0"),
        "target_stages": ["14-4"],
        "target_titles": ["15-4", "15-5"],
        "registration_start": start - datetime.timedelta(days=14),
        "registration_end": start - datetime.timedelta(days=2),
        "start_date": start,
        "end_date": start,
        "time_and_place": "13:30–16:30 本校視聽教室",
        "funding": ["21-7"],
        "fee": "22-3",
        "classes": 1,
        "seats_per_class": 30,
        "contact1_name": "王承辦",
        "contact1_phone": "02-2345-6789",
        "contact1_email": "bench-contact@bench.example",
        "feedback": "26-1",
    }
    data.update(overrides)
    return data


def reviewer_for(course) -> User:
    return staff_user(f"bench-rev-{course.reviewing_center_id}", course.reviewing_center)


def new_course(staff: User, **overrides):
    """A published course of the staff's unit, through create → submit → approve."""
    from inservice.courses.models import Course
    from inservice.courses.services import lifecycle

    course = lifecycle.create_course(
        actor=staff, unit=staff.staff.unit, data=course_data(**overrides)
    )
    lifecycle.submit_course(actor=staff, course=course)
    course.refresh_from_db()
    if course.status != "published":
        lifecycle.approve_course(actor=reviewer_for(course), course=course)
    return Course.objects.select_related("published").get(pk=course.pk)


def set_dates(course, *, start, end=None, registration_start=None, registration_end=None):
    """Put the course on other dates as if registered back then (setup, not a service)."""
    from inservice.courses.models import Course, CourseVersion

    end = end or start
    CourseVersion.objects.filter(course=course).update(
        start_date=start,
        end_date=end,
        registration_start=registration_start or start - datetime.timedelta(days=14),
        registration_end=registration_end or start - datetime.timedelta(days=2),
    )
    Course.objects.filter(pk=course.pk).update(start_date=start, end_date=end)
    return Course.objects.select_related("published").get(pk=course.pk)


def open_course(staff: User, seats: int):
    """Registration open now (since yesterday, for two more days); held in ten days."""
    today = timezone.localdate()
    course = new_course(
        staff, name=f"效能測試：熱門研習 {seats} 名額", classes=1, seats_per_class=seats
    )
    return set_dates(
        course,
        start=today + datetime.timedelta(days=10),
        registration_start=today - datetime.timedelta(days=1),
        registration_end=today + datetime.timedelta(days=2),
    )


def held_course(staff: User, *, name: str, hours: str = "3.0"):
    """A course whose only day was yesterday: attendance can be entered and submitted."""
    day = timezone.localdate() - datetime.timedelta(days=1)
    course = new_course(staff, name=name, hours=Decimal(hours), seats_per_class=500)
    return set_dates(course, start=day)


def put_on_list(course, teacher_ids: list[int]):
    """Everyone present for the full course (entries written directly: setup)."""
    from inservice.attendance.models import AttendanceEntry, AttendanceList
    from inservice.records.hours import entry_hours

    attendance, _created = AttendanceList.objects.get_or_create(course=course)
    hours = entry_hours("attended", course.published.hours, None)
    AttendanceEntry.objects.bulk_create(
        [
            AttendanceEntry(
                attendance_list=attendance,
                course=course,
                teacher_id=pk,
                status="attended",
                hours_attended=None,
                hours=hours,
            )
            for pk in teacher_ids
        ],
        batch_size=1000,
    )
    return attendance


# --- a teacher with 40 years of records ----------------------------------------------------------


def veteran(years: int = 40, per_year: int = 30) -> User:
    """A teacher with a login and `per_year` records in each of the last `years` years, for
    the records page and the transcript (created once)."""
    from inservice.records.models import TrainingRecord

    user = User.objects.filter(username="bench-veteran").first()
    if user is not None:
        return user
    unit = bench_unit()
    with transaction.atomic():
        user = User.objects.create(
            username="bench-veteran",
            kind=User.Kind.TEACHER,
            real_name="林資深",
            email="bench-veteran@bench.example",
            password=make_password(None),
        )
        teacher = Teacher(user=user, name="林資深", sex="F", title="15-4", serving_unit=unit)
        idnumbers.protect(next(id_numbers(4040))).apply_to(teacher)
        teacher.save()
        rng = random.Random(40)
        today = timezone.localdate()
        closed = timezone.now()
        rows = []
        categories = ["5-1", "5-2", "5-3", "5-4", "5-5", "5-6"]
        tags = [[], [], ["gender-equality"], ["digital-learning"], ["family-education"]]
        for year in range(today.year - years + 1, today.year + 1):
            for i in range(per_year):
                day = datetime.date(year, 1 + (i * 12) // per_year, 1 + rng.randrange(27))
                if day > today:
                    continue
                hours = Decimal(rng.choice(["1.0", "2.0", "3.0", "3.0", "6.0"]))
                rows.append(
                    TrainingRecord(
                        teacher=teacher,
                        course_code=f"V{year}{i:03d}",
                        course_name=f"{year} 年度教師專業發展研習（第 {i + 1} 場）",
                        organizer_name="效能測試市立國民小學",
                        source="online",
                        start_date=day,
                        end_date=day,
                        hours_requested=hours,
                        hours=hours,
                        hours_withheld=Decimal(0),
                        category=categories[i % 6],
                        level="7-1",
                        tags=tags[i % 5],
                        closed_at=closed,
                    )
                )
        TrainingRecord.objects.bulk_create(rows, batch_size=1000)
    return user
