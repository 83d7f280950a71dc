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
