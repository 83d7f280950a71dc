"""附件九 第4條: staff accounts of universities, agencies and social institutions with no login
for two years are warned by mail, and deactivated if still unused fourteen days later."""

import datetime

import pytest
from django.contrib.auth.signals import user_logged_in
from django.test import RequestFactory
from django.utils import timezone

from inservice.accounts import tasks
from inservice.accounts.models import StaffRole, StaffStatus
from inservice.accounts.services import staff as service
from inservice.core.models import AuditEvent
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import UnitKind
from tests.factories import UnitFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 3, 20))
DAY = datetime.timedelta(days=1)
TWO_YEARS_AGO = NOW.replace(year=2024)

COVERED = sorted(service.IDLE_RULE_KINDS)
EXEMPT = sorted(set(UnitKind) - service.IDLE_RULE_KINDS)


def idle_staff(kind=UnitKind.UNIVERSITY, *, last_login=TWO_YEARS_AGO - DAY, **fields):
    profile = make_staff(UnitFactory(kind=kind), StaffRole.OPERATOR, **fields)
    profile.user.last_login = last_login
    profile.user.save()
    profile.applied_at = profile.decided_at = NOW - datetime.timedelta(days=2000)
    profile.save()
    return profile


def test_rule_covers_the_kinds_of_the_seed():
    assert service.IDLE_RULE_KINDS == {
        UnitKind.UNIVERSITY,
        UnitKind.TEACHER_UNIV,
        UnitKind.CENTRAL_AGENCY,
        UnitKind.LOCAL_AGENCY,
        UnitKind.RECOGNISED_ORG,
        UnitKind.LEGAL_PERSON,
        UnitKind.UNINCORPORATED_GROUP,
        UnitKind.TEACHER_UNION,
        UnitKind.COMMUNITY_COLLEGE,
    }


@pytest.mark.parametrize("kind", COVERED, ids=str)
def test_idle_accounts_of_covered_kinds_are_warned(kind):
    profile = idle_staff(kind)
    assert service.sweep_idle_staff_accounts(now=NOW)["warned"] == 1
    profile.refresh_from_db()
    assert profile.idle_warned_at == NOW and profile.status == StaffStatus.ACTIVE
    mail = OutboundEmail.objects.get(template="staff_idle_warning")
    assert mail.to == profile.user.email
    assert "2026-03-16" in mail.body_text  # the fourteen-day deadline
    event = AuditEvent.objects.get(action="staff.idle_warned")
    assert event.object_id == str(profile.pk)


@pytest.mark.parametrize("kind", EXEMPT, ids=str)
def test_schools_centers_and_others_are_exempt(kind):
    idle_staff(kind)
    assert service.sweep_idle_staff_accounts(now=NOW) == {
        "cleared": 0,
        "warned": 0,
        "deactivated": 0,
    }


def test_recent_login_is_not_idle():
    idle_staff(last_login=TWO_YEARS_AGO + DAY)
    assert service.sweep_idle_staff_accounts(now=NOW)["warned"] == 0


def test_never_logged_in_counts_from_the_decision():
    recent = idle_staff(last_login=None)
    recent.decided_at = NOW - datetime.timedelta(days=30)
    recent.save()
    old = idle_staff(last_login=None)
    assert service.sweep_idle_staff_accounts(now=NOW)["warned"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.idle_warned_at == NOW and recent.idle_warned_at is None


@pytest.mark.parametrize("status", [StaffStatus.PENDING, StaffStatus.DEACTIVATED])
def test_only_active_accounts_are_swept(status):
    idle_staff(status=status)
    assert service.sweep_idle_staff_accounts(now=NOW)["warned"] == 0


def test_deactivated_fourteen_days_after_the_warning():
    profile = idle_staff()
    service.sweep_idle_staff_accounts(now=NOW)
    assert service.sweep_idle_staff_accounts(now=NOW + 13 * DAY)["deactivated"] == 0
    profile.refresh_from_db()
    assert profile.status == StaffStatus.ACTIVE

    counts = service.sweep_idle_staff_accounts(now=NOW + 14 * DAY)
    assert counts == {"cleared": 0, "warned": 0, "deactivated": 1}
    profile.refresh_from_db()
    assert profile.status == StaffStatus.DEACTIVATED and not profile.user.is_active
    assert OutboundEmail.objects.filter(template="staff_idle_deactivated").count() == 1
    event = AuditEvent.objects.get(action="staff.deactivated")
    assert event.actor is None and event.data["reason"] == "idle"
    # Idempotent: nothing more happens on later runs.
    assert service.sweep_idle_staff_accounts(now=NOW + 20 * DAY) == {
        "cleared": 0,
        "warned": 0,
        "deactivated": 0,
    }


def test_login_after_the_warning_clears_it():
    profile = idle_staff()
    service.sweep_idle_staff_accounts(now=NOW)
    profile.user.last_login = NOW + 3 * DAY
    profile.user.save()
    counts = service.sweep_idle_staff_accounts(now=NOW + 15 * DAY)
    assert counts["cleared"] == 1 and counts["deactivated"] == 0
    profile.refresh_from_db()
    assert profile.status == StaffStatus.ACTIVE and profile.idle_warned_at is None


def test_the_login_signal_clears_the_warning_at_once():
    profile = idle_staff()
    service.sweep_idle_staff_accounts(now=NOW)
    request = RequestFactory().get("/")
    user_logged_in.send(sender=type(profile.user), request=request, user=profile.user)
    profile.refresh_from_db()
    assert profile.idle_warned_at is None


def test_deactivated_idle_account_can_apply_again():
    profile = idle_staff()
    profile.user.set_password("Old-Password-2020!")
    profile.user.save()
    service.sweep_idle_staff_accounts(now=NOW)
    service.sweep_idle_staff_accounts(now=NOW + 14 * DAY)
    again = service.apply_for_staff_account(
        unit_code=profile.unit.code,
        role="operator",
        real_name=profile.user.real_name,
        username=profile.user.username,
        email=profile.user.email,
        password="Old-Password-2020!",
    )
    assert again.pk == profile.pk and again.status == StaffStatus.PENDING
    assert again.idle_warned_at is None


def test_reactivation_counts_as_activity():
    profile = idle_staff()
    service.sweep_idle_staff_accounts(now=NOW)
    service.sweep_idle_staff_accounts(now=NOW + 14 * DAY)
    admin = UserFactory(kind="admin", is_superuser=True, is_staff=True)
    service.reactivate(actor=admin, profile=profile)
    # The real clock: reactivation just happened, so the account is not idle now.
    assert service.sweep_idle_staff_accounts()["warned"] == 0


def test_periodic_task_is_registered_daily():
    task = tasks.sweep_idle_staff_accounts_daily.task_class()
    # Huey passes naive UTC times: 01:20 UTC = 09:20 Asia/Taipei, every day.
    assert task.validate_datetime(datetime.datetime(2026, 3, 2, 1, 20))
    assert task.validate_datetime(datetime.datetime(2026, 3, 3, 1, 20))
    assert not task.validate_datetime(datetime.datetime(2026, 3, 2, 1, 21))
    idle_staff(last_login=timezone.now() - datetime.timedelta(days=800))
    result = tasks.sweep_idle_staff_accounts_daily.call_local()
    assert result["warned"] == 1


def test_years_before_handles_leap_day():
    leap = timezone.make_aware(datetime.datetime(2028, 2, 29, 12, 0))
    assert service.years_before(leap, 2).date() == datetime.date(2026, 2, 28)
