"""Django admin for counties, units and jurisdiction history (audited, history not editable)."""

from datetime import date

import pytest

from inservice.core.models import AuditEvent
from inservice.organizations import reference
from inservice.organizations.models import Ownership, Supervision, Unit, UnitKind

from .conftest import TAICHUNG, county

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, site_admin):
    client.force_login(site_admin)
    return client


@pytest.mark.parametrize("model", ["county", "unit", "supervision"])
def test_changelists_and_add_forms_open(admin_client, model):
    assert admin_client.get(f"/admin/organizations/{model}/").status_code == 200
    assert admin_client.get(f"/admin/organizations/{model}/add/").status_code == 200


def test_unit_change_page_shows_history(admin_client, make_unit, site_admin):
    unit = make_unit(UnitKind.SENIOR_HIGH, Ownership.NATIONAL, TAICHUNG)
    Supervision.objects.create(
        unit=unit, authority=reference.k12_senior_high_group(), valid_from=date(2010, 1, 1)
    )
    response = admin_client.get(f"/admin/organizations/unit/{unit.pk}/change/")
    assert response.status_code == 200
    assert "教育部國民及學前教育署高級中等教育組" in response.content.decode()


def test_adding_supervision_in_admin_goes_through_the_service(admin_client, make_unit, site_admin):
    school = make_unit(UnitKind.SENIOR_HIGH, Ownership.NATIONAL, TAICHUNG)
    bureau = reference.county_bureau(county(TAICHUNG))
    response = admin_client.post(
        "/admin/organizations/supervision/add/",
        {
            "unit": school.pk,
            "authority": bureau.pk,
            "valid_from": "2017-01-01",
            "note": "改制為市立",
            "ownership": Ownership.MUNICIPAL,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = list(Supervision.objects.filter(unit=school).order_by("valid_from"))
    assert [(r.authority.code, r.valid_to) for r in rows] == [
        ("K12EA-HS", date(2016, 12, 31)),
        ("EDU-66000", None),
    ]
    school.refresh_from_db()
    assert school.ownership == Ownership.MUNICIPAL
    assert (
        AuditEvent.objects.filter(action="unit.supervision_changed", actor=site_admin).count() == 1
    )


def test_admin_supervision_add_shows_rule_errors(admin_client, make_unit):
    university = make_unit(UnitKind.UNIVERSITY, Ownership.PRIVATE, TAICHUNG)
    response = admin_client.post(
        "/admin/organizations/supervision/add/",
        {"unit": university.pk, "authority": reference.moe().pk, "valid_from": "2020-01-01"},
    )
    assert response.status_code == 200
    assert "大學校院的審核單位依單位類型決定" in response.content.decode()
    assert not Supervision.objects.filter(unit=university).exists()


def test_supervision_history_cannot_be_deleted_or_redated(admin_client, make_unit):
    unit = make_unit(UnitKind.SENIOR_HIGH, Ownership.NATIONAL, TAICHUNG)
    row = Supervision.objects.create(
        unit=unit, authority=reference.k12_senior_high_group(), valid_from=date(2010, 1, 1)
    )
    assert admin_client.get(f"/admin/organizations/supervision/{row.pk}/delete/").status_code == 403
    admin_client.post(
        f"/admin/organizations/supervision/{row.pk}/change/",
        {"note": "補充說明", "valid_from": "1999-01-01"},
    )
    row.refresh_from_db()
    assert (row.note, row.valid_from) == ("補充說明", date(2010, 1, 1))
    assert AuditEvent.objects.filter(action="unit.supervision_note_changed").exists()


def test_unit_edits_in_admin_are_audited(admin_client, make_unit, site_admin):
    unit = make_unit(UnitKind.ELEMENTARY, Ownership.MUNICIPAL, TAICHUNG, name="舊名國小")
    data = {
        "code": unit.code,
        "name": "新名國小",
        "kind": unit.kind,
        "ownership": unit.ownership,
        "county": unit.county_id,
        "parent": "",
        "address": "",
        "phone": unit.phone,
        "email": unit.email,
        "website": "",
        "is_active": "on",
        "closed_on": "",
        "supervisions-TOTAL_FORMS": "0",
        "supervisions-INITIAL_FORMS": "0",
        "supervisions-MIN_NUM_FORMS": "0",
        "supervisions-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(f"/admin/organizations/unit/{unit.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="unit.admin_changed")
    assert event.before == {"name": "舊名國小"} and event.after == {"name": "新名國小"}
    assert Unit.objects.get(pk=unit.pk).name == "新名國小"
