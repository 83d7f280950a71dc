"""Who approves a staff-account application, and what deciding does (附件一, 附件九 第4條)."""

import pytest
from django.core import mail

from inservice.accounts.models import StaffRole, StaffStatus
from inservice.accounts.services import staff as service
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from inservice.core.models import AuditEvent
from inservice.notifications.models import OutboundEmail
from inservice.organizations import reference
from inservice.organizations.models import County, Ownership, UnitKind
from tests.factories import UnitFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

CHIEF, CONTACT, OPERATOR = StaffRole.CHIEF, StaffRole.CONTACT, StaffRole.OPERATOR


@pytest.fixture
def units():
    taipei = County.objects.get(code="63000")
    taichung = County.objects.get(code="66000")
    return {
        "school": UnitFactory(kind=UnitKind.ELEMENTARY, county=taipei),
        "experimental": UnitFactory(kind=UnitKind.EXPERIMENTAL, county=taipei),
        "national_high": UnitFactory(
            kind=UnitKind.SENIOR_HIGH, ownership=Ownership.NATIONAL, county=taichung
        ),
        "university": UnitFactory(kind=UnitKind.UNIVERSITY, county=taipei),
        "teacher_univ": UnitFactory(kind=UnitKind.TEACHER_UNIV, county=taipei),
        "legal_person": UnitFactory(kind=UnitKind.LEGAL_PERSON, county=taipei),
        "subject_center": UnitFactory(kind=UnitKind.SUBJECT_CENTER, county=taipei),
        "community_college": UnitFactory(kind=UnitKind.COMMUNITY_COLLEGE, county=taipei),
        "taipei_bureau": reference.county_bureau(taipei),
        "taichung_bureau": reference.county_bureau(taichung),
        "k12_hs": reference.k12_senior_high_group(),
        "working_circle": reference.working_circle(),
        "review_panel": reference.review_panel(),
        "nc": reference.national_center(),
        "moe": reference.moe(),
    }


# (applicant's unit, role, does the unit have an active chief?, who decides)
# who decides: a unit name = that center's account managers; "own" = the unit's chief;
# "admin" = site administrators only.
PATHS = [
    ("school", CONTACT, True, "own"),
    ("school", OPERATOR, True, "own"),
    ("school", CONTACT, False, "taipei_bureau"),
    ("school", OPERATOR, False, "taipei_bureau"),
    ("school", CHIEF, False, "taipei_bureau"),
    ("experimental", OPERATOR, True, "own"),
    ("experimental", CHIEF, False, "taipei_bureau"),
    ("national_high", CHIEF, False, "k12_hs"),
    ("national_high", CONTACT, False, "k12_hs"),
    ("national_high", CONTACT, True, "own"),
    # 本單位帳號管理 is not in these columns (附件一 肆): the center decides even with a chief.
    ("university", OPERATOR, True, "nc"),
    ("university", CHIEF, False, "nc"),
    ("teacher_univ", CONTACT, True, "nc"),
    ("legal_person", CONTACT, True, "review_panel"),
    ("legal_person", CHIEF, False, "review_panel"),
    ("subject_center", OPERATOR, True, "working_circle"),
    ("subject_center", CHIEF, False, "working_circle"),
    ("community_college", CHIEF, False, "taipei_bureau"),
    # Regional centers, the working circle and the panel: own chief, else the national center.
    ("taipei_bureau", CHIEF, False, "nc"),
    ("taipei_bureau", CONTACT, True, "own"),
    ("taipei_bureau", OPERATOR, False, "nc"),
    ("k12_hs", CHIEF, False, "nc"),
    ("working_circle", CHIEF, False, "nc"),
    ("review_panel", CHIEF, False, "nc"),
    # The national center's own units: its chief; MOE and national center chiefs: admins.
    ("nc", CONTACT, True, "own"),
    ("nc", CHIEF, False, "admin"),
    ("nc", OPERATOR, False, "admin"),
    ("moe", CHIEF, False, "admin"),
    ("moe", CONTACT, True, "own"),
]


def _id(case):
    unit, role, has_chief, who = case
    return f"{unit}-{role}-{'chief' if has_chief else 'nochief'}->{who}"


def _center_staff(center):
    return {
        "chief": make_staff(center, CHIEF),
        "contact": make_staff(center, CONTACT),
        "operator": make_staff(center, OPERATOR),
    }


@pytest.mark.parametrize("case", PATHS, ids=[_id(c) for c in PATHS])
def test_approval_paths(units, case):
    unit_name, role, has_chief, who = case
    unit = units[unit_name]
    admin = UserFactory(kind="admin", is_superuser=True, is_staff=True)
    own_chief = make_staff(unit, CHIEF) if has_chief else None
    # Account managers everywhere, so a wrong path would find someone willing to decide.
    managers = {
        name: _center_staff(units[name])
        for name in ("taipei_bureau", "taichung_bureau", "k12_hs", "nc")
        + ("working_circle", "review_panel")
        if name != unit_name
    }
    other_school_chief = make_staff(UnitFactory(kind=UnitKind.ELEMENTARY), CHIEF)
    profile = make_staff(unit, role, StaffStatus.PENDING)

    if who == "own":
        expected = {own_chief.user}
    elif who == "admin":
        expected = {admin}
    else:
        expected = {managers[who]["chief"].user, managers[who]["contact"].user}
    assert set(service.approver_candidates(profile)) == expected
    for user in expected:
        assert service.can_decide(user, profile)
    assert service.can_decide(admin, profile)  # the national administrators, always

    everyone_else = [s.user for group in managers.values() for s in group.values()]
    everyone_else += [other_school_chief.user, profile.user]
    if own_chief is not None:
        everyone_else.append(own_chief.user)
    for user in everyone_else:
        if user not in expected:
            assert not service.can_decide(user, profile), user


def test_a_center_without_account_managers_falls_back_to_site_admins(units):
    admin = UserFactory(kind="admin", is_superuser=True, is_staff=True)
    profile = make_staff(units["university"], CHIEF, StaffStatus.PENDING)
    assert service.approval_path(profile) == service.ApprovalPath(
        service.Approver.CENTER, units["nc"]
    )
    assert set(service.approver_candidates(profile)) == {admin}


def test_unroutable_unit_goes_to_site_admins():
    # A county without an education bureau cannot be routed: nobody but admins decides.
    unit = UnitFactory(kind=UnitKind.ELEMENTARY)
    profile = make_staff(unit, CHIEF, StaffStatus.PENDING)
    assert service.approval_path(profile).by == service.Approver.SITE_ADMIN


def test_deactivated_or_pending_chief_does_not_decide(units):
    school = units["school"]
    bureau_chief = make_staff(units["taipei_bureau"], CHIEF)
    old_chief = make_staff(school, CHIEF, StaffStatus.DEACTIVATED)
    waiting_chief = make_staff(school, CHIEF, StaffStatus.PENDING)
    profile = make_staff(school, CONTACT, StaffStatus.PENDING)
    assert not service.can_decide(old_chief.user, profile)
    assert not service.can_decide(waiting_chief.user, profile)
    assert service.can_decide(bureau_chief.user, profile)


def test_jurisdiction_history_moves_the_approver(units):
    """A national senior high taken over by Taichung (2017) is approved by Taichung."""
    from inservice.organizations.models import Supervision

    school = units["national_high"]
    Supervision.objects.create(unit=school, authority=units["taichung_bureau"])
    taichung_chief = make_staff(units["taichung_bureau"], CHIEF)
    k12_chief = make_staff(units["k12_hs"], CHIEF)
    profile = make_staff(school, CHIEF, StaffStatus.PENDING)
    assert service.can_decide(taichung_chief.user, profile)
    assert not service.can_decide(k12_chief.user, profile)


# ------------------------------------------------------------------------------ deciding


def test_chief_approves_contact(units, django_capture_on_commit_callbacks):
    chief = make_staff(units["school"], CHIEF)
    profile = make_staff(units["school"], CONTACT, StaffStatus.PENDING)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        service.decide_application(actor=chief.user, profile=profile, approve=True)
    profile.refresh_from_db()
    assert profile.status == StaffStatus.ACTIVE
    assert profile.decided_by == chief.user and profile.decided_at is not None
    assert profile.user.is_active
    assert [m.to for m in mail.outbox] == [[profile.user.email]]
    assert "已審核通過" in mail.outbox[0].subject
    event = AuditEvent.objects.get(action="staff.approved")
    assert event.actor == chief.user and event.object_id == str(profile.pk)
    assert event.before["status"] == "pending" and event.after["status"] == "active"


def test_center_rejects_with_reason_and_applicant_is_told(units):
    manager = make_staff(units["taipei_bureau"], CONTACT)
    profile = make_staff(units["school"], CHIEF, StaffStatus.PENDING)
    service.decide_application(
        actor=manager.user, profile=profile, approve=False, reason="請以學校公務信箱申請"
    )
    profile.refresh_from_db()
    assert profile.status == StaffStatus.REJECTED
    assert profile.decision_reason == "請以學校公務信箱申請"
    assert not profile.user.is_active
    sent = OutboundEmail.objects.get(template="staff_rejected")
    assert sent.to == profile.user.email
    assert "請以學校公務信箱申請" in sent.body_text and "請以學校公務信箱申請" in sent.body_html
    assert AuditEvent.objects.filter(action="staff.rejected", actor=manager.user).count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_requires_a_reason(units, reason):
    chief = make_staff(units["school"], CHIEF)
    profile = make_staff(units["school"], OPERATOR, StaffStatus.PENDING)
    with pytest.raises(ValidationFailed) as exc:
        service.decide_application(actor=chief.user, profile=profile, approve=False, reason=reason)
    assert exc.value.field == "reason"
    profile.refresh_from_db()
    assert profile.status == StaffStatus.PENDING


def test_others_are_refused_with_the_right_approver_named(units):
    make_staff(units["school"], CHIEF)
    other_chief = make_staff(UnitFactory(kind=UnitKind.ELEMENTARY), CHIEF)
    unrelated_center = make_staff(units["taichung_bureau"], CHIEF)
    profile = make_staff(units["school"], CONTACT, StaffStatus.PENDING)
    for actor in (other_chief.user, unrelated_center.user):
        with pytest.raises(PermissionDeniedError) as exc:
            service.decide_application(actor=actor, profile=profile, approve=True)
        assert units["school"].name in str(exc.value.message)
    profile.refresh_from_db()
    assert profile.status == StaffStatus.PENDING
    assert not AuditEvent.objects.filter(action="staff.approved").exists()


def test_cannot_decide_twice(units):
    chief = make_staff(units["school"], CHIEF)
    profile = make_staff(units["school"], CONTACT, StaffStatus.PENDING)
    service.decide_application(actor=chief.user, profile=profile, approve=True)
    with pytest.raises(DomainError) as exc:
        service.decide_application(actor=chief.user, profile=profile, approve=False, reason="x")
    assert exc.value.code == "already_decided"


def test_second_chief_cannot_be_approved(units):
    manager = make_staff(units["taipei_bureau"], CHIEF)
    first = make_staff(units["school"], CHIEF, StaffStatus.PENDING)
    second = make_staff(units["school"], CHIEF, StaffStatus.PENDING)
    service.decide_application(actor=manager.user, profile=first, approve=True)
    with pytest.raises(DomainError) as exc:
        service.decide_application(actor=manager.user, profile=second, approve=True)
    assert exc.value.code == "chief_exists"
    second.refresh_from_db()
    assert second.status == StaffStatus.PENDING


def test_site_admin_approves_national_center_chief(units):
    admin = UserFactory(kind="admin", is_superuser=True, is_staff=True)
    manager = make_staff(units["nc"], CONTACT)
    profile = make_staff(units["nc"], CHIEF, StaffStatus.PENDING)
    with pytest.raises(PermissionDeniedError):
        service.decide_application(actor=manager.user, profile=profile, approve=True)
    service.decide_application(actor=admin, profile=profile, approve=True)
    profile.refresh_from_db()
    assert profile.status == StaffStatus.ACTIVE


# ------------------------------------------------------------------------------ listing


def test_applications_for_lists_exactly_what_the_user_may_decide(units):
    school_chief = make_staff(units["school"], CHIEF)
    bureau_contact = make_staff(units["taipei_bureau"], CONTACT)
    taichung_chief = make_staff(units["taichung_bureau"], CHIEF)
    nc_chief = make_staff(units["nc"], CHIEF)
    school_contact = make_staff(units["school"], CONTACT, StaffStatus.PENDING)
    school_chief_app = make_staff(units["school"], CHIEF, StaffStatus.PENDING)
    chiefless = UnitFactory(kind=UnitKind.JUNIOR_HIGH, county=units["school"].county)
    chiefless_operator = make_staff(chiefless, OPERATOR, StaffStatus.PENDING)
    univ_operator = make_staff(units["university"], OPERATOR, StaffStatus.PENDING)
    bureau_chief_app = make_staff(units["taipei_bureau"], CHIEF, StaffStatus.PENDING)
    make_staff(units["school"], CONTACT, StaffStatus.REJECTED)

    def listed(profile):
        return {p.pk for p in service.applications_for(profile.user)}

    assert listed(school_chief) == {school_contact.pk}
    assert listed(bureau_contact) == {school_chief_app.pk, chiefless_operator.pk}
    assert listed(taichung_chief) == set()
    assert listed(nc_chief) == {univ_operator.pk, bureau_chief_app.pk}
    for profile in (school_chief, bureau_contact, taichung_chief, nc_chief):
        for pending in service.applications_for(profile.user):
            assert service.can_decide(profile.user, pending)
