"""Synthetic demonstration data for `make run` (idempotent: a second run changes nothing).

Every name and ID number here is made up; ID numbers are generated with valid check digits.
"""

import random

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from inservice.accounts.models import StaffProfile, StaffRole, StaffStatus, Teacher, User
from inservice.core import idnumbers
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
        self.stdout.write(
            f"Demo data ready: {Unit.objects.count()} units, {Teacher.objects.count()} teachers, "
            f"{StaffProfile.objects.count()} staff accounts. Demo password: {DEMO_PASSWORD}"
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
