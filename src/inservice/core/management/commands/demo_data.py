"""Synthetic demonstration data for `make run` (idempotent: a second run changes nothing).

Every name and ID number here is made up; ID numbers are generated with valid check digits.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from inservice.accounts.models import StaffProfile, StaffRole, StaffStatus, Teacher, User
from inservice.core import idnumbers
from inservice.core.errors import DomainError
from inservice.courses.models import Course
from inservice.organizations.models import County, Ownership, Supervision, Unit, UnitKind

DEMO_PASSWORD = "Demo-Inservice-2026!"  # noqa: S105 - documented demo password, demo data only

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴徐周葉蘇莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧"
GIVEN = "家怡雅婷宜君欣儀志明俊傑建宏淑芬美玲承恩品妤冠宇子涵柏翰詩涵宗翰怡萱佳穎彥廷"
PLACES = [
    "中正",
    "仁愛",
    "信義",
    "光復",
    "民生",
    "中山",
    "復興",
    "忠孝",
    "和平",
    "自強",
    "博愛",
    "建國",
]

# (kind, ownership, name pattern, how many)
ORGANIZER_PLAN = [
    (UnitKind.ELEMENTARY, Ownership.MUNICIPAL, "{county}立{place}國民小學", 44),
    (UnitKind.JUNIOR_HIGH, Ownership.MUNICIPAL, "{county}立{place}國民中學", 22),
    (UnitKind.KINDERGARTEN, Ownership.MUNICIPAL, "{county}立{place}幼兒園", 12),
    (UnitKind.KINDERGARTEN, Ownership.PRIVATE, "{county}私立{place}幼兒園", 6),
    (UnitKind.SENIOR_HIGH, Ownership.MUNICIPAL, "{county}立{place}高級中學", 8),
    (UnitKind.SENIOR_HIGH, Ownership.NATIONAL, "國立{place}高級中學", 8),
    (UnitKind.SENIOR_HIGH, Ownership.PRIVATE, "私立{place}高級中學", 4),
    (UnitKind.VOCATIONAL_HIGH, Ownership.NATIONAL, "國立{place}高級工業職業學校", 4),
    (UnitKind.SPECIAL_ED_SCHOOL, Ownership.NATIONAL, "國立{place}特殊教育學校", 3),
    (UnitKind.TRAINING_CENTER, Ownership.MUNICIPAL, "{county}教師研習中心", 3),
    (UnitKind.TEACHER_UNIV, Ownership.NATIONAL, "國立{place}師範大學", 3),
    (UnitKind.UNIVERSITY, Ownership.PRIVATE, "私立{place}科技大學", 3),
    (UnitKind.EXPERIMENTAL, Ownership.PRIVATE, "{place}自學共學團", 3),
    (UnitKind.SUBJECT_CENTER, Ownership.NONE, "高中{place}學科中心", 3),
    (UnitKind.RECOGNISED_ORG, Ownership.NONE, "{place}教育基金會", 4),
    (UnitKind.LEGAL_PERSON, Ownership.NONE, "社團法人{place}教育學會", 3),
    (UnitKind.UNINCORPORATED_GROUP, Ownership.NONE, "{place}教師讀書會", 2),
    (UnitKind.LOCAL_AGENCY, Ownership.NONE, "{county}政府衛生局", 2),
    (UnitKind.COMMUNITY_COLLEGE, Ownership.NONE, "{county}{place}社區大學", 2),
    (UnitKind.CENTRAL_AGENCY, Ownership.NONE, "國家{place}研究院", 1),
    (UnitKind.TEACHER_UNION, Ownership.NONE, "{county}教師職業工會", 2),
    (UnitKind.OVERSEAS_SCHOOL, Ownership.PRIVATE, "海外{place}臺灣學校", 1),
]
SCHOOL_KINDS = {
    UnitKind.ELEMENTARY,
    UnitKind.JUNIOR_HIGH,
    UnitKind.KINDERGARTEN,
    UnitKind.SENIOR_HIGH,
    UnitKind.VOCATIONAL_HIGH,
    UnitKind.SPECIAL_ED_SCHOOL,
}
TITLES = ["15-4"] * 10 + ["15-3"] * 3 + ["15-5"] * 3 + ["15-2", "15-6", "15-13", "15-14"]

FIXED_LOGINS = [
    # username, real name, kind, role
    ("demo_teacher", "林示範", "teacher", None),
    ("demo_school_chief", "王主任", "staff", StaffRole.CHIEF),
    ("demo_county_reviewer", "張承辦", "staff", StaffRole.CONTACT),
    ("demo_national_admin", "陳管理", "staff", StaffRole.CHIEF),
]


class Command(BaseCommand):
    help = "Loads synthetic demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--teachers", type=int, default=1500)

    def handle(self, *args, teachers, **options):
        counties = list(County.objects.order_by("sort_order"))
        if len(counties) != 22:
            raise CommandError("Reference data missing: run `python manage.py migrate` first.")
        self.rng = random.Random(2026)  # deterministic: the same data every run
        self.password_hash = make_password(DEMO_PASSWORD)
        with transaction.atomic():
            units = self._units(counties)
            self._staff(units)
            self._teachers(units, teachers)
            self._fixed_logins(units)
            self._courses(units)
            self._enrollment()
        self.stdout.write(
            f"Demo data ready: {Unit.objects.count()} units, {Teacher.objects.count()} teachers, "
            f"{StaffProfile.objects.count()} staff accounts, {Course.objects.count()} courses. "
            f"Demo password: {DEMO_PASSWORD}"
        )

    # -- units ------------------------------------------------------------------------

    def _units(self, counties):
        units = []
        seq = 0
        for kind, ownership, pattern, count in ORGANIZER_PLAN:
            for i in range(count):
                seq += 1
                county = counties[(seq * 7 + i) % len(counties)]
                if kind in (UnitKind.ELEMENTARY, UnitKind.JUNIOR_HIGH) and i < 6:
                    county = counties[1]  # a denser demo for 臺北市 (the demo logins' county)
                place = PLACES[(seq + i) % len(PLACES)] + ("" if i < len(PLACES) else str(i))
                name = pattern.format(county=county.name, place=place)
                code = f"D{seq:05d}"
                unit, _created = Unit.objects.get_or_create(
                    code=code,
                    defaults={
                        "name": name,
                        "kind": kind,
                        "ownership": ownership,
                        "county": county,
                        "phone": f"0{2 + seq % 7}-{2000 + seq:04d}-{1000 + seq:04d}",
                        "email": f"office{seq}@demo-school.example",
                        "address": f"{county.name}{place}路{seq}號",
                    },
                )
                units.append(unit)
                self._supervision(unit)
        return units

    def _supervision(self, unit):
        """Who supervises the demo unit; the routing function reads these rows."""
        if unit.supervisions.exists():
            return
        authority = None
        if unit.ownership in (Ownership.NATIONAL, Ownership.PRIVATE) and unit.kind in (
            UnitKind.SENIOR_HIGH,
            UnitKind.VOCATIONAL_HIGH,
            UnitKind.SPECIAL_ED_SCHOOL,
        ):
            group = "原民特教組" if unit.kind == UnitKind.SPECIAL_ED_SCHOOL else "高級中等教育組"
            authority = Unit.objects.filter(
                kind=UnitKind.K12_ADMIN_GROUP, name__contains=group
            ).first()
        elif unit.county_id and unit.kind in SCHOOL_KINDS | {UnitKind.TRAINING_CENTER}:
            authority = Unit.objects.filter(
                kind=UnitKind.COUNTY_BUREAU, county_id=unit.county_id
            ).first()
        if authority is not None:
            Supervision.objects.create(
                unit=unit, authority=authority, valid_from="2000-01-01", note="示範資料"
            )

    # -- staff ------------------------------------------------------------------------

    def _user(self, username, real_name, kind, email=None):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "real_name": real_name,
                "kind": kind,
                "email": email or f"{username}@demo.example",
                "password": self.password_hash,
                "email_verified_at": timezone.now(),
            },
        )
        return user

    def _profile(self, user, unit, role, status=StaffStatus.ACTIVE):
        profile, _created = StaffProfile.objects.get_or_create(
            user=user,
            defaults={"unit": unit, "role": role, "status": status, "decided_at": timezone.now()},
        )
        return profile

    def _staff(self, units):
        centers = Unit.objects.filter(
            kind__in=[
                UnitKind.NATIONAL_CENTER,
                UnitKind.K12_ADMIN_GROUP,
                UnitKind.COUNTY_BUREAU,
                UnitKind.WORKING_CIRCLE,
                UnitKind.REVIEW_PANEL,
                UnitKind.MOE,
            ]
        ).order_by("code")
        for n, center in enumerate(centers):
            for role in (StaffRole.CHIEF, StaffRole.OPERATOR):
                user = self._user(f"center{n:02d}_{role}", self._name(), User.Kind.STAFF)
                self._profile(user, center, role)
        for n, unit in enumerate(units):
            chief = self._user(f"unit{n:03d}_chief", self._name(), User.Kind.STAFF)
            self._profile(chief, unit, StaffRole.CHIEF)
            if n % 3 == 0:
                contact = self._user(f"unit{n:03d}_contact", self._name(), User.Kind.STAFF)
                self._profile(contact, unit, StaffRole.CONTACT)
            if n % 4 == 0:
                operator = self._user(f"unit{n:03d}_operator", self._name(), User.Kind.STAFF)
                self._profile(operator, unit, StaffRole.OPERATOR)
            if n % 10 == 5:  # a pending application waiting for the chief
                applicant = self._user(f"unit{n:03d}_applicant", self._name(), User.Kind.STAFF)
                self._profile(applicant, unit, StaffRole.OPERATOR, StaffStatus.PENDING)

    # -- teachers ---------------------------------------------------------------------

    def _name(self, rng=None):
        rng = rng or self.rng
        return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))

    @staticmethod
    def _id_number(rng):
        letter = rng.choice("ABCDEFGHJKLMNPQRSTUVXYWZIO")
        second = rng.choice("12") if rng.random() < 0.98 else rng.choice("89")
        prefix = letter + second + "".join(rng.choice("0123456789") for _ in range(7))
        return prefix + idnumbers.check_digit_for(prefix)

    def _teachers(self, units, count):
        schools = [u for u in units if u.kind in SCHOOL_KINDS]
        existing = set(Teacher.objects.values_list("id_number_digest", flat=True))
        new_teachers, new_users = [], []
        for i in range(count):
            rng = random.Random(f"demo-teacher-{i}")  # each teacher depends only on its number
            id_number = self._id_number(rng)
            if idnumbers.digest(id_number) in existing:
                continue
            name = self._name(rng)
            sex = "M" if id_number[1] in "18" else "F"
            unit = schools[i % len(schools)] if i % 75 != 74 else None  # some 無服務學校
            title = rng.choice(TITLES)
            has_login = i % 10 < 7
            teacher = Teacher(
                name=name,
                sex=sex,
                title=title,
                serving_unit=unit,
                birth_date=f"{1965 + i % 35}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                subjects=rng.choice(["國語文", "數學", "英語文", "自然科學", "社會", "藝術", ""]),
                personal_identifier=f"T{900000000 + i:09d}",
            )
            idnumbers.protect(id_number).apply_to(teacher)
            if has_login:
                user = User(
                    username=f"teacher{i:04d}",
                    real_name=name,
                    kind=User.Kind.TEACHER,
                    email=f"teacher{i:04d}@demo.example",
                    password=self.password_hash,
                )
                new_users.append(user)
                teacher.user = user
            new_teachers.append(teacher)
        User.objects.bulk_create(new_users, batch_size=500)
        for t in new_teachers:
            if t.user is not None:
                t.user_id = t.user.pk
        Teacher.objects.bulk_create(new_teachers, batch_size=500)

    # -- fixed demo logins ------------------------------------------------------------

    def _fixed_logins(self, units):
        taipei_school = next(
            u for u in units if u.kind == UnitKind.ELEMENTARY and u.county.name == "臺北市"
        )
        taipei_bureau = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__name="臺北市")
        national_center = Unit.objects.get(kind=UnitKind.NATIONAL_CENTER)
        for username, real_name, kind, role in FIXED_LOGINS:
            user = self._user(username, real_name, kind)
            user.password = self.password_hash  # the README promises this password
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
            if username == "demo_teacher" and not hasattr(user, "teacher"):
                teacher = Teacher(
                    name=real_name,
                    sex="F",
                    title="15-4",
                    serving_unit=taipei_school,
                    subjects="數學",
                    user=user,
                    personal_identifier="T100000001",
                )
                idnumbers.protect(self._fixed_id()).apply_to(teacher)
                teacher.save()
            elif username == "demo_school_chief":
                # the school already has a generated chief: make the demo login its chief
                StaffProfile.objects.filter(unit=taipei_school, role=StaffRole.CHIEF).exclude(
                    user=user
                ).update(role=StaffRole.CONTACT)
                self._profile(user, taipei_school, role)
            elif username == "demo_county_reviewer":
                self._profile(user, taipei_bureau, role)
            elif username == "demo_national_admin":
                StaffProfile.objects.filter(unit=national_center, role=StaffRole.CHIEF).exclude(
                    user=user
                ).update(role=StaffRole.CONTACT)
                self._profile(user, national_center, role)
                if not user.is_superuser:
                    user.is_superuser = user.is_staff = True
                    user.save(update_fields=["is_superuser", "is_staff"])

    def _fixed_id(self):
        prefix = "A20000000"
        return prefix + idnumbers.check_digit_for(prefix)

    # -- courses ----------------------------------------------------------------------

    def _enrollment(self):
        """The demo teacher's side: admitted registrations, a waitlist place on a popular
        course, two favourites and a calendar feed. Registrations go through the service."""
        from inservice.courses.models import Course
        from inservice.enrollment.models import CalendarFeed, Favourite, Registration
        from inservice.enrollment.services import registration

        def register(user, course):
            if Registration.objects.filter(course=course, teacher=user.teacher).exists():
                return
            try:
                registration.register(actor=user, course=course)
            except DomainError:
                pass  # e.g. the window moved on since the demo was first loaded

        def course(name):
            return Course.objects.filter(name=name).order_by("code").first()

        demo = User.objects.get(username="demo_teacher")
        for name in ("正向管教與班級經營研習", "數位學習平臺應用研習"):
            if course(name) is not None:
                register(demo, course(name))
        popular = course("自然科學探究與實作研習")
        if popular is not None and popular.published is not None:
            others = (
                Teacher.objects.filter(user__isnull=False, serving_unit__isnull=False)
                .exclude(user=demo)
                .select_related("user")
                .order_by("personal_identifier")[: popular.published.capacity + 1]
            )
            for teacher in others:
                register(teacher.user, popular)
            register(demo, popular)  # full by now: the demo teacher waits in line
        for name in ("科技輔助自主學習研習", "國小班級經營研習"):
            starred = course(name)
            if starred is not None:
                Favourite.objects.get_or_create(teacher=demo.teacher, course=starred)
        CalendarFeed.objects.get_or_create(teacher=demo.teacher)

    def _courses(self, units):
        """Courses in every state through the life-cycle services, in several counties, so
        the demo reviewer (臺北市政府教育局) has a full queue and the demo school a full list.
        A course is recognised by its unit and first-version name: a second run adds nothing.
        """
        _DemoCourses(units).load()


# -- demo courses ------------------------------------------------------------------------------

# (PD category, elementary/junior-high topic item) pairs valid in the taxonomy (附件五).
DEMO_TOPICS = [
    ("5-1", "1-3-6"),
    ("5-2", "2-1-3"),
    ("5-3", "3-1-3"),
    ("5-4", "4-1"),
    ("5-5", "5-1-1"),
]

# The demo school's courses: (name, state, start in days from today, options).
# options: days (extra course days), reg (registration start, days from today), reg_end,
# opens (registration opening time), waited (days since submission), tags.
DEMO_SCHOOL_PLAN = [
    ("閱讀理解策略教學工作坊", "draft", 30, {}),
    ("校本課程共備社群（規劃中）", "partial_draft", 45, {}),
    ("數學領域差異化教學研習", "pending", 20, {"waited": 6}),
    ("校園防災演練與應變研習", "pending", 4, {"waited": 1}),
    ("雙語教學課室英語研習", "returned", 25, {}),
    ("科技輔助自主學習研習", "published", 21, {"reg": 5, "opens": (9, 0)}),
    ("正向管教與班級經營研習", "published", 14, {"reg": -3, "reg_end": 7}),
    (
        "性別平等教育教師增能研習",
        "published",
        3,
        {"reg": -14, "reg_end": -1, "tags": ["gender-equality"]},
    ),
    ("自然科學探究與實作研習", "published_change", 18, {"reg": -2}),
    ("資訊安全與個資保護研習", "published", -1, {"days": 2, "tags": ["cybersecurity"]}),
    ("藝術領域美感教育研習", "published", -3, {}),
    ("特殊教育知能研習", "published", -20, {}),
    ("戶外教育課程設計研習", "cancelled", 10, {}),
    ("素養導向評量設計研習", "closed", -60, {}),
    ("學生自我傷害防治與輔導知能研習", "closed_change_pending", -45, {}),
    ("國語文教學策略研習", "closed_change_approved", -75, {}),
    # attendance (issue 5): another course waiting for its list, a submitted and a returned list
    ("數位公民素養研習", "published", -6, {"tags": ["media-literacy"]}),
    ("國際教育融入課程研習", "list_submitted", -4, {"tags": ["international-education"]}),
    ("環境教育與永續發展研習", "list_returned", -10, {}),
]

# Other units' courses: (where, unit kind, name, state, start, options); where is "taipei",
# 1–3 (the first other counties with demo schools of that kind) or None (any county).
DEMO_OTHER_PLAN = [
    ("taipei", UnitKind.ELEMENTARY, "英語文繪本教學研習", "pending", 6, {"waited": 5}),
    ("taipei", UnitKind.ELEMENTARY, "校園食農教育研習", "pending", 12, {"waited": 2}),
    ("taipei", UnitKind.JUNIOR_HIGH, "國中社會領域探究教學研習", "pending", 30, {"waited": 0}),
    ("taipei", UnitKind.JUNIOR_HIGH, "適性輔導與生涯發展研習", "published_change", 16, {"reg": -4}),
    ("taipei", UnitKind.JUNIOR_HIGH, "數位學習平臺應用研習", "published", 9, {"reg": -6}),
    ("taipei", UnitKind.ELEMENTARY, "健康促進學校研習", "returned", 19, {}),
    (1, UnitKind.ELEMENTARY, "國小閱讀推動研習", "pending", 15, {"waited": 4}),
    (1, UnitKind.ELEMENTARY, "國小科技領域教學研習", "published", 10, {"reg": -5}),
    (1, UnitKind.ELEMENTARY, "國小戶外教育研習", "closed", -40, {}),
    (2, UnitKind.ELEMENTARY, "國小美感教育研習", "pending", 8, {"waited": 3}),
    (2, UnitKind.ELEMENTARY, "國小班級經營研習", "published", 25, {"reg": 2}),
    (3, UnitKind.ELEMENTARY, "國小海洋教育研習", "pending", 22, {"waited": 1}),
    (3, UnitKind.ELEMENTARY, "國小生命教育研習", "draft", 35, {}),
    (None, UnitKind.TEACHER_UNIV, "師資培育大學教學實踐研習", "pending", 17, {"waited": 7}),
    (None, UnitKind.TEACHER_UNIV, "師資培育大學數位教學研習", "published", 12, {"reg": -3}),
    (None, UnitKind.SENIOR_HIGH, "高中自主學習指導研習", "pending", 13, {"waited": 2}),
]


# The demo teacher's years of training (closed courses she attended), oldest first:
# (organizer: "school" = the demo school, or a unit kind in 臺北市; name; start in days from
# today; hours; extra days; tags). WITHHELD_DAY: a partner record fills 4 hours of that day
# first, so the course held that day gets only 2 of its 3 hours (the 6-hour daily cap).
WITHHELD_DAY = -400
DEMO_HISTORY = [
    ("school", "新課綱素養導向教學設計研習", -1250, 3, 0, []),
    (UnitKind.JUNIOR_HIGH, "國中小銜接數學教學研習", -1150, 4, 0, []),
    ("school", "校園性別事件處理研習", -1050, 3, 0, ["gender-equality"]),
    (UnitKind.ELEMENTARY, "行動學習載具融入教學研習", -980, 6, 0, ["digital-learning"]),
    ("school", "班級經營與親師溝通研習", -900, 2, 0, ["family-education"]),
    (UnitKind.JUNIOR_HIGH, "差異化教學暑期工作坊", -820, 12, 1, []),
    ("school", "閱讀素養評量設計研習", -760, 3, 0, []),
    (UnitKind.ELEMENTARY, "資訊安全基礎研習", -700, 3, 0, ["cybersecurity"]),
    ("school", "特殊需求學生融合教育研習", -640, 4, 0, []),
    (UnitKind.JUNIOR_HIGH, "雙語教學增能研習", -560, 5, 0, []),
    ("school", "戶外教育與安全研習", -470, 3, 0, []),
    ("school", "校本課程發展工作坊", WITHHELD_DAY, 3, 0, []),
    (UnitKind.ELEMENTARY, "生成式AI與教學應用研習", -330, 3, 0, ["digital-learning"]),
    ("school", "友善校園與霸凌防制研習", -260, 2, 0, []),
    (UnitKind.JUNIOR_HIGH, "永續發展教育研習", -200, 3, 0, ["labour-rights"]),
    ("school", "教師專業回饋人才培訓", -120, 18, 2, ["feedback-basic"]),
    (UnitKind.ELEMENTARY, "媒體識讀教學研習", -90, 3, 0, ["media-literacy"]),
    ("school", "學習扶助教學策略研習", -30, 4, 0, []),
]
# Records from partners (a county system, the special-education network): (source, partner,
# code, name, organizer, start in days from today, hours, category, tags).
DEMO_PARTNER_RECORDS = [
    (
        "partner",
        "全國特殊教育資訊網",
        "SE1130088",
        "特殊需求學生正向行為支持研習",
        "國立臺灣師範大學特殊教育中心",
        -520,
        3,
        "5-3",
        [],
    ),
    (
        "county_transmit",
        "臺北市教師研習系統",
        "TP2025-0153",
        "課程領導與教學領導工作坊",
        "臺北市教師研習中心",
        WITHHELD_DAY,
        4,
        "5-2",
        [],
    ),
    (
        "county_transmit",
        "臺北市教師研習系統",
        "TP2026-0310",
        "數位學習精進方案推動研習",
        "臺北市教師研習中心",
        -150,
        2,
        "5-1",
        ["digital-learning"],
    ),
]


class _DemoCourses:
    def __init__(self, units):
        from inservice.courses.services import changes, lifecycle

        self.units = units
        self.lifecycle = lifecycle
        self.changes = changes
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.reviewers = {}

    def load(self):
        from inservice.courses.models import CourseVersion

        self.existing = set(
            CourseVersion.objects.filter(number=1).values_list("course__unit_id", "name")
        )
        school = StaffProfile.objects.select_related("unit").get(user__username="demo_school_chief")
        for n, (name, state, start, options) in enumerate(DEMO_SCHOOL_PLAN):
            self._course(school.unit, school.user, name, state, start, options, n)
        for n, (where, kind, name, state, start, options) in enumerate(DEMO_OTHER_PLAN):
            unit = self._unit(where, kind, exclude=school.unit)
            if unit is not None:
                self._course(unit, self._organizer(unit), name, state, start, options, n)
        self._partner_records()
        for n, (where, name, start, hours, days, tags) in enumerate(DEMO_HISTORY):
            unit = school.unit if where == "school" else self._unit("taipei", where, school.unit)
            actor = school.user if where == "school" else self._organizer(unit)
            options = {"hours": hours, "days": days, "tags": tags}
            self._course(unit, actor, name, "closed", start, options, 100 + n)

    def _unit(self, where, kind, exclude):
        taipei = "63000"
        candidates = [
            u
            for u in self.units
            if u.kind == kind
            and u.pk != exclude.pk
            and (kind != UnitKind.SENIOR_HIGH or u.ownership == Ownership.NATIONAL)
        ]
        if where == "taipei":
            candidates = [u for u in candidates if u.county.code == taipei]
        elif where is not None:
            counties = sorted(
                {
                    (u.county.sort_order, u.county.code)
                    for u in candidates
                    if u.county.code != taipei
                }
            )
            if len(counties) < where:
                return None
            code = counties[where - 1][1]
            candidates = [u for u in candidates if u.county.code == code]
        return candidates[0] if candidates else None

    def _organizer(self, unit):
        from inservice.accounts.permissions import Function, users_who_can

        return users_who_can(Function.COURSE_REGISTER, unit).order_by("username").first()

    def _reviewer(self, center):
        from inservice.accounts.permissions import Function, users_who_can

        if center.pk not in self.reviewers:
            users = users_who_can(Function.COURSE_REVIEW, center)
            self.reviewers[center.pk] = (
                users.filter(username="demo_county_reviewer").first()
                or users.order_by("username").first()
            )
        return self.reviewers[center.pk]

    def _data(self, unit, actor, name, start, options, n):
        from inservice.courses.validation import is_valid_phone

        day = datetime.timedelta(days=1)
        start_date = self.today + start * day
        end_date = start_date + options.get("days", 0) * day
        reg_start = self.today + options["reg"] * day if "reg" in options else start_date - 21 * day
        reg_end = (
            self.today + options["reg_end"] * day if "reg_end" in options else start_date - 2 * day
        )
        category, item = DEMO_TOPICS[n % len(DEMO_TOPICS)]
        junior = unit.kind in (UnitKind.JUNIOR_HIGH, UnitKind.SENIOR_HIGH)
        return {
            "class_type": "1-1" if unit.kind == UnitKind.TEACHER_UNIV else "1-2",
            "basis": "2-1",
            "basis_doc_number": f"{unit.county.name[:2]}教研字第{1140000000 + n * 37}號",
            "name": name,
            "tags": options.get("tags", []),
            "taxonomy_stage": "junior_high" if junior else "elementary",
            "category": category,
            "topic_item": item,
            "level": "7-2" if n % 2 else "7-1",
            "instructor_name": ("吳", "林", "陳", "黃")[n % 4] + "講師",
            "instructor_type": "8-2" if n % 3 else "8-1",
            "outline": f"{name}：說明理念，並以實例演練教學設計與評量。",
            "delivery": ["11-1", "11-3"] if n % 2 else ["11-3"],
            "time_slots": ["12-1"],
            "hours": Decimal(options.get("hours", 3 + (n % 3))),
            "target_stages": ["14-3"] if junior else ["14-4"],
            "target_titles": ["15-4", "15-5"],
            "registration_start": reg_start,
            "registration_opens_at": datetime.time(*options.get("opens", (0, 0))),
            "registration_end": reg_end,
            "start_date": start_date,
            "end_date": end_date,
            "time_and_place": f"13:30–16:30 {unit.name}會議室",
            "funding": ["21-7"],
            "fee": "22-3",
            "classes": 1,
            "seats_per_class": 30 + (n % 3) * 5,
            "contact1_name": actor.real_name,
            "contact1_phone": unit.phone if is_valid_phone(unit.phone) else "02-2345-6789",
            "contact1_email": unit.email or f"{unit.code.lower()}@demo-school.example",
            "feedback": "26-1",
        }

    def _course(self, unit, actor, name, state, start, options, n):
        if actor is None or (unit.pk, name) in self.existing:
            return
        lc = self.lifecycle
        if state == "partial_draft":
            lc.create_course(
                actor=actor, unit=unit, data={"name": name, "class_type": "1-2", "basis": "2-1"}
            )
            return
        data = self._data(unit, actor, name, start, options, n)
        course = lc.create_course(actor=actor, unit=unit, data=data)
        if state == "draft":
            return
        lc.submit_course(actor=actor, course=course)
        course.refresh_from_db()
        reviewer = self._reviewer(course.reviewing_center)
        if state == "pending":
            self._backdate_submission(course, options.get("waited", 0))
            return
        if state == "returned":
            lc.return_course(
                actor=reviewer,
                course=course,
                reason="請在「上課時間及地點」註明研習起迄時間，並補上依據文號的發文日期。",
            )
            return
        if course.status != "published":  # not auto-approved
            lc.approve_course(actor=reviewer, course=course, note="")
            course.refresh_from_db()
        self._backdate_publication(course, data["registration_start"])
        if state == "published_change":
            lc.save_course(
                actor=actor,
                course=course,
                data={"hours": data["hours"] + 1, "time_and_place": "09:00–16:00 本校禮堂"},
                change_reason="講師可延長授課，時數與地點調整。",
            )
            lc.submit_course(actor=actor, course=course)
        elif state == "cancelled":
            lc.cancel_course(actor=actor, course=course, reason="講師臨時無法出席，延期另行公告。")
        elif state.startswith("list_"):
            self._attendance(course, actor, reviewer, state.removeprefix("list_"), n)
        elif state.startswith("closed"):
            self._attendance(course, actor, reviewer, "closed", n)
            course.refresh_from_db()
            if state in ("closed_change_pending", "closed_change_approved"):
                request = self.changes.request_change(
                    actor=actor,
                    course=course,
                    data={"hours": data["hours"] + 3},
                    reason="實際辦理時數較登錄時數多 3 小時（簽到表附後），申請更正研習時數。",
                )
                if state == "closed_change_approved":
                    self.changes.decide_change_request(
                        actor=reviewer,
                        change_request=request,
                        approve=True,
                        note="經核對簽到表無誤。",
                    )

    # -- attendance and records (issue 5) ------------------------------------------------

    def _attendees(self, course, n):
        """Who came: the demo teacher to the demo school's and the history courses, and a
        handful of other teachers (deterministic by the course's plan number)."""
        pool = list(
            Teacher.objects.exclude(user__username="demo_teacher")
            .order_by("personal_identifier")
            .values_list("pk", flat=True)[:200]
        )
        start = (n * 7) % max(len(pool), 1)
        chosen = (pool[start:] + pool[:start])[:6]
        demo = Teacher.objects.filter(user__username="demo_teacher").first()
        if demo is not None and (course.unit_id == demo.serving_unit_id or n >= 100):
            chosen = [demo.pk, *chosen]
        return chosen

    def _attendance(self, course, actor, reviewer, outcome, n):
        """The organizer's side after the course: registrations from back then, the list seeded
        from them (entry service), a few not there the whole time, then the list submitted and
        confirmed (→ closed with records), returned, or left submitted — all through services.
        """
        from inservice.attendance.services import closing, entry
        from inservice.enrollment.models import Registration, RegistrationStatus

        version = course.published
        queued = timezone.make_aware(
            datetime.datetime.combine(version.registration_start, datetime.time(9, 0))
        )
        teachers = self._attendees(course, n)
        Registration.objects.bulk_create(
            Registration(
                course=course,
                teacher_id=pk,
                status=RegistrationStatus.ADMITTED,
                queued_at=queued + datetime.timedelta(minutes=i),
            )
            for i, pk in enumerate(teachers)
        )
        attendance = entry.attendance_list_for(course, actor=actor)
        hours = entry.course_hours(course)
        rows = []
        for i, e in enumerate(attendance.entries.order_by("id")):
            if i % 6 == 4:
                rows.append({"entry": e.pk, "status": "absent", "hours_attended": ""})
            elif i % 6 == 5 and hours > 1:
                rows.append({"entry": e.pk, "status": "leave", "hours_attended": str(hours - 1)})
        if rows:
            entry.save_grid(actor=actor, course=course, rows=rows, revision=attendance.revision)
        closing.submit_list(actor=actor, course=course)
        course.refresh_from_db()
        if course.status == "closed":  # auto-confirmed
            pass
        elif outcome == "closed":
            closing.confirm_list(actor=reviewer, course=course)
        elif outcome == "returned":
            closing.return_list(
                actor=reviewer,
                course=course,
                reason="請假教師的實際參與時數與簽到表不符，請核對後修正再送出。",
            )
        self._backdate_closing(course)

    def _backdate_closing(self, course):
        """A course held long ago was reported and closed a few days after it ended."""
        from inservice.attendance.models import AttendanceList
        from inservice.records.models import TrainingRecord

        end = timezone.make_aware(datetime.datetime.combine(course.end_date, datetime.time(10)))
        submitted, decided = end + datetime.timedelta(days=3), end + datetime.timedelta(days=5)
        if decided >= self.now:
            return
        AttendanceList.objects.filter(course=course).update(submitted_at=submitted)
        AttendanceList.objects.filter(course=course, decided_at__isnull=False).update(
            decided_at=decided
        )
        Course.objects.filter(pk=course.pk, status="closed").update(closed_at=decided)
        TrainingRecord.objects.filter(course=course).update(closed_at=decided, created_at=decided)

    def _partner_records(self):
        """Records a county system and a partner sent for the demo teacher (same caps)."""
        from inservice.records.models import TrainingRecord
        from inservice.records.services.recording import add_external_record

        demo = Teacher.objects.filter(user__username="demo_teacher").first()
        if demo is None:
            return
        for (
            source,
            partner,
            code,
            name,
            organizer,
            start,
            hours,
            category,
            tags,
        ) in DEMO_PARTNER_RECORDS:
            if TrainingRecord.objects.filter(
                teacher=demo, course__isnull=True, source=source, partner=partner, course_code=code
            ).exists():
                continue
            day = self.today + datetime.timedelta(days=start)
            received = timezone.make_aware(
                datetime.datetime.combine(day + datetime.timedelta(days=20), datetime.time(9))
            )
            record = add_external_record(
                teacher=demo,
                snapshot={
                    "course_code": code,
                    "course_name": name,
                    "organizer_name": organizer,
                    "source": source,
                    "partner": partner,
                    "category": category,
                    "tags": tags,
                },
                days={day: Decimal(hours)},
                closed_at=received,
            )
            TrainingRecord.objects.filter(pk=record.pk).update(created_at=received)

    def _backdate_submission(self, course, days):
        from inservice.courses.models import CourseVersion

        if days:
            when = self.now - datetime.timedelta(days=days)
            CourseVersion.objects.filter(pk=course.working_id).update(submitted_at=when)

    def _backdate_publication(self, course, registration_start):
        """Courses held in the past were registered and approved before their registration."""
        from inservice.courses.models import CourseVersion

        when = timezone.make_aware(
            datetime.datetime.combine(registration_start, datetime.time(10, 0))
        ) - datetime.timedelta(days=5)
        if when >= self.now:
            return
        CourseVersion.objects.filter(pk=course.published_id).update(
            submitted_at=when, reviewed_at=when + datetime.timedelta(days=2)
        )
        Course.objects.filter(pk=course.pk).update(published_at=when + datetime.timedelta(days=2))
