"""Roles inside a unit (附件一 參三(三)1(4)): the chief switches contact ↔ operator and
(de)activates; only the supervising authority (or a site admin) makes someone chief."""

import pytest

from inservice.accounts.models import StaffRole, StaffStatus
from inservice.accounts.services import staff as service
from inservice.core.errors import DomainError, PermissionDeniedError
from inservice.core.models import AuditEvent
from inservice.notifications.models import OutboundEmail
from inservice.organizations import reference
from inservice.organizations.models import County, UnitKind
from tests.factories import UnitFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

CHIEF, CONTACT, OPERATOR = StaffRole.CHIEF, StaffRole.CONTACT, StaffRole.OPERATOR


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


@pytest.fixture
def school(taipei):
    return UnitFactory(kind=UnitKind.ELEMENTARY, county=taipei)


@pytest.fixture
def bureau(taipei):
    return reference.county_bureau(taipei)


@pytest.fixture
def people(school, bureau):
    return {
        "chief": make_staff(school, CHIEF),
        "contact": make_staff(school, CONTACT),
        "operator": make_staff(school, OPERATOR),
        "bureau_chief": make_staff(bureau, CHIEF),
        "bureau_contact": make_staff(bureau, CONTACT),
        "bureau_operator": make_staff(bureau, OPERATOR),
        "other_chief": make_staff(UnitFactory(kind=UnitKind.ELEMENTARY, county=school.county)),
        "other_bureau_chief": make_staff(
            reference.county_bureau(County.objects.get(code="66000")), CHIEF
        ),
        "nc_chief": make_staff(reference.national_center(), CHIEF),
    }


def test_chief_switches_contact_and_operator(people):
    chief, contact = people["chief"], people["contact"]
    service.change_role(actor=chief.user, profile=contact, role=OPERATOR)
    contact.refresh_from_db()
    assert contact.role == OPERATOR
    service.change_role(actor=chief.user, profile=contact, role=CONTACT)
    contact.refresh_from_db()
    assert contact.role == CONTACT
    events = AuditEvent.objects.filter(action="staff.role_changed", actor=chief.user)
    assert [(e.before["role"], e.after["role"]) for e in events.order_by("pk")] == [
        ("contact", "operator"),
        ("operator", "contact"),
    ]
    assert (
        OutboundEmail.objects.filter(template="staff_role_changed", to=contact.user.email).count()
        == 2
    )


@pytest.mark.parametrize(
    "actor", ["contact", "operator", "other_chief", "other_bureau_chief", "nc_chief"]
)
def test_others_cannot_switch_roles(people, actor):
    target = people["operator"] if actor != "operator" else people["contact"]
    with pytest.raises(PermissionDeniedError) as exc:
        service.change_role(
            actor=people[actor].user,
            profile=target,
            role=CONTACT if target.role == OPERATOR else OPERATOR,
        )
    assert "總負責人或其所屬區管中心" in str(exc.value.message)
    before_role = target.role
    target.refresh_from_db()
    assert target.role == before_role


@pytest.mark.parametrize("actor", ["bureau_chief", "bureau_contact"])
def test_the_regional_center_manages_roles_too(people, actor):
    service.change_role(actor=people[actor].user, profile=people["operator"], role=CONTACT)
    people["operator"].refresh_from_db()
    assert people["operator"].role == CONTACT


def test_operator_of_the_center_cannot(people):
    with pytest.raises(PermissionDeniedError):
        service.change_role(
            actor=people["bureau_operator"].user, profile=people["operator"], role=CONTACT
        )


def test_the_chief_cannot_make_anyone_chief_or_demote_themself(people):
    chief = people["chief"]
    with pytest.raises(PermissionDeniedError) as exc:
        service.change_role(actor=chief.user, profile=people["contact"], role=CHIEF)
    assert "所屬教育行政主管機關" in str(exc.value.message)
    with pytest.raises(PermissionDeniedError):
        service.change_role(actor=chief.user, profile=chief, role=CONTACT)
    with pytest.raises(PermissionDeniedError) as exc:
        service.transfer_chief(actor=chief.user, profile=people["contact"])
    assert "所屬教育行政主管機關" in str(exc.value.message)
    chief.refresh_from_db()
    assert chief.role == CHIEF


@pytest.mark.parametrize("actor", ["bureau_chief", "bureau_contact", "admin"])
def test_supervising_authority_transfers_the_chief(people, actor):
    user = (
        UserFactory(kind="admin", is_superuser=True, is_staff=True)
        if actor == "admin"
        else people[actor].user
    )
    new = people["operator"]
    service.transfer_chief(actor=user, profile=new)
    new.refresh_from_db()
    people["chief"].refresh_from_db()
    assert new.role == CHIEF
    assert people["chief"].role == CONTACT
    assert service.active_chiefs(new.unit).get() == new
    event = AuditEvent.objects.get(action="staff.chief_transferred")
    assert event.actor == user
    assert event.data["previous_chiefs"] == [people["chief"].user.username]
    told = set(
        OutboundEmail.objects.filter(template="staff_role_changed").values_list("to", flat=True)
    )
    assert told == {new.user.email, people["chief"].user.email}


@pytest.mark.parametrize(
    "actor", ["bureau_operator", "other_bureau_chief", "nc_chief", "contact", "other_chief"]
)
def test_nobody_else_transfers_the_chief(people, actor):
    with pytest.raises(PermissionDeniedError):
        service.transfer_chief(actor=people[actor].user, profile=people["operator"])
    people["chief"].refresh_from_db()
    assert people["chief"].role == CHIEF


def test_transfer_needs_an_active_account(people, school):
    waiting = make_staff(school, OPERATOR, StaffStatus.PENDING)
    with pytest.raises(DomainError):
        service.transfer_chief(actor=people["bureau_chief"].user, profile=waiting)


def test_transfer_when_the_old_chief_is_deactivated(people):
    old = people["chief"]
    service.deactivate(actor=people["bureau_chief"].user, profile=old)
    service.transfer_chief(actor=people["bureau_chief"].user, profile=people["contact"])
    old.refresh_from_db()
    assert old.role == CONTACT  # so reactivating it can never make a second chief


def test_national_center_transfers_a_county_bureau_chief(people, bureau):
    service.transfer_chief(actor=people["nc_chief"].user, profile=people["bureau_contact"])
    people["bureau_chief"].refresh_from_db()
    assert people["bureau_chief"].role == CONTACT


# ------------------------------------------------------------------ (de)activation


def test_chief_deactivates_and_reactivates_staff(people):
    chief, operator = people["chief"], people["operator"]
    service.deactivate(actor=chief.user, profile=operator, reason="調校")
    operator.refresh_from_db()
    assert operator.status == StaffStatus.DEACTIVATED and not operator.user.is_active
    assert operator.decision_reason == "調校"
    event = AuditEvent.objects.get(action="staff.deactivated")
    assert event.actor == chief.user and event.data["reason"] == "調校"
    assert OutboundEmail.objects.filter(template="staff_deactivated").count() == 1

    service.reactivate(actor=chief.user, profile=operator)
    operator.refresh_from_db()
    assert operator.status == StaffStatus.ACTIVE and operator.user.is_active
    assert AuditEvent.objects.filter(action="staff.reactivated").count() == 1


def test_chief_cannot_deactivate_self_or_be_deactivated_by_staff(people):
    chief = people["chief"]
    with pytest.raises(PermissionDeniedError):
        service.deactivate(actor=chief.user, profile=chief)
    with pytest.raises(PermissionDeniedError):
        service.deactivate(actor=people["contact"].user, profile=chief)
    service.deactivate(actor=people["bureau_chief"].user, profile=chief)
    chief.refresh_from_db()
    assert chief.status == StaffStatus.DEACTIVATED


@pytest.mark.parametrize("actor", ["other_chief", "other_bureau_chief", "contact", "nc_chief"])
def test_others_cannot_deactivate(people, actor):
    with pytest.raises(PermissionDeniedError):
        service.deactivate(actor=people[actor].user, profile=people["operator"])
    people["operator"].refresh_from_db()
    assert people["operator"].status == StaffStatus.ACTIVE


def test_reactivating_a_chief_beside_a_new_chief_is_refused(people, school):
    old_chief = make_staff(school, CHIEF, StaffStatus.DEACTIVATED)
    with pytest.raises(DomainError) as exc:
        service.reactivate(actor=people["bureau_chief"].user, profile=old_chief)
    assert exc.value.code == "chief_exists"


def test_university_chief_has_no_own_unit_management(taipei):
    """附件一 肆: 師資培育之大學 has no 本單位帳號管理; the national center manages it."""
    univ = UnitFactory(kind=UnitKind.TEACHER_UNIV, county=taipei)
    chief = make_staff(univ, CHIEF)
    operator = make_staff(univ, OPERATOR)
    with pytest.raises(PermissionDeniedError):
        service.deactivate(actor=chief.user, profile=operator)
    nc_contact = make_staff(reference.national_center(), CONTACT)
    service.deactivate(actor=nc_contact.user, profile=operator)


def test_the_chief_does_not_manage_a_former_chief(people, school):
    """Even a deactivated chief is the supervising authority's to manage."""
    former = make_staff(school, CHIEF, StaffStatus.DEACTIVATED)
    assert not service.can_manage(people["chief"].user, former)
    with pytest.raises(PermissionDeniedError) as exc:
        service.reactivate(actor=people["chief"].user, profile=former)
    assert "所屬教育行政主管機關" in str(exc.value.message)
    assert service.can_manage(people["bureau_chief"].user, former)


def test_database_refuses_a_second_active_chief(db):
    from django.db import IntegrityError, transaction

    from inservice.accounts.models import StaffRole
    from tests.factories import StaffFactory

    first = StaffFactory(role=StaffRole.CHIEF)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffFactory(role=StaffRole.CHIEF, unit=first.unit)
