from django.core.management import call_command

from inservice.accounts.models import StaffProfile, StaffRole, StaffStatus, Teacher, User
from inservice.accounts.permissions import Function, can
from inservice.core.management.commands.demo_data import DEMO_PASSWORD
from inservice.organizations.models import Unit, UnitKind


def _counts():
    return (
        Unit.objects.count(),
        Teacher.objects.count(),
        User.objects.count(),
        StaffProfile.objects.count(),
    )


def test_demo_data_is_idempotent_and_covers_every_kind(db):
    call_command("demo_data", teachers=120)
    first = _counts()
    call_command("demo_data", teachers=120)
    assert _counts() == first
    kinds = set(Unit.objects.values_list("kind", flat=True))
    assert kinds == set(UnitKind.values)
    roles = set(
        StaffProfile.objects.filter(status=StaffStatus.ACTIVE).values_list("role", flat=True)
    )
    assert roles == set(StaffRole.values)
    assert StaffProfile.objects.filter(status=StaffStatus.PENDING).exists()
    assert Teacher.objects.filter(user__isnull=True).exists()
    assert Teacher.objects.filter(serving_unit__isnull=True).exists()
    # every unit has exactly one active chief at most
    for unit in Unit.objects.all():
        chiefs = unit.staff_accounts.filter(role=StaffRole.CHIEF, status=StaffStatus.ACTIVE)
        assert chiefs.count() <= 1, unit


def test_demo_logins_work_with_the_documented_password(client, db):
    call_command("demo_data", teachers=30)
    for username in (
        "demo_teacher",
        "demo_school_chief",
        "demo_county_reviewer",
        "demo_national_admin",
    ):
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD), username
        response = client.post(
            "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        client.post("/accounts/logout/")
    chief = User.objects.get(username="demo_school_chief")
    assert can(chief, Function.TEACHER_DATA_ENTRY)
    reviewer = User.objects.get(username="demo_county_reviewer")
    assert can(reviewer, Function.COURSE_REVIEW)
    assert User.objects.get(username="demo_national_admin").is_superuser
    teacher = User.objects.get(username="demo_teacher").teacher
    assert teacher.serving_unit.county.name == "臺北市"
