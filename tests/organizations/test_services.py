"""create_unit, update_unit_contact and change_supervision: rules, permissions, audit."""

from datetime import date

import pytest

from inservice.accounts.models import StaffRole, StaffStatus
from inservice.core.audit import history_for
from inservice.core.errors import PermissionDeniedError, ValidationFailed
from inservice.core.models import AuditEvent
from inservice.organizations import reference
from inservice.organizations.models import Ownership, Supervision, Unit, UnitKind
from inservice.organizations.services import (
    HISTORY_START,
    change_supervision,
    create_unit,
    update_unit_contact,
)
from tests.factories import StaffFactory, UserFactory

from .conftest import TAICHUNG, TAIPEI, county

pytestmark = pytest.mark.django_db
K, OW = UnitKind, Ownership


# -- create_unit ----------------------------------------------------------------------


def test_create_unit_is_audited(site_admin):
    unit = create_unit(
        actor=site_admin,
        code="193601",
        name="臺中市立測試國民中學",
        kind=K.JUNIOR_HIGH,
        ownership=OW.MUNICIPAL,
        county=TAICHUNG,
        phone="04-22289111",
    )
    assert unit.county == county(TAICHUNG)
    event = history_for(unit).get()
    assert event.action == "unit.created"
    assert event.actor == site_admin
    assert event.after["code"] == "193601" and event.after["county"] == TAICHUNG


def test_national_center_staff_may_create_units(national_center_staff):
    unit = create_unit(
        actor=national_center_staff, code="NPO-1", name="財團法人測試基金會", kind=K.LEGAL_PERSON
    )
    assert unit.pk


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"code": "MOE"}, "code", "單位代碼「MOE」已被「教育部」使用"),
        ({"code": "has space"}, "code", "單位代碼須為 1 到 20 個英文字母"),
        ({"code": "search"}, "code", "是系統保留字"),
        ({"code": "Mine"}, "code", "是系統保留字"),
        ({"name": "  "}, "name", "請填寫單位名稱"),
        ({"kind": "castle"}, "kind", "未知的單位類型「castle」"),
        ({"ownership": "royal"}, "ownership", "未知的設立別「royal」"),
        ({"county": "12345"}, "county", "找不到縣市代碼「12345」"),
        ({"county": None}, "county", "國民小學須設定所在縣市"),
        ({"kind": K.LOCAL_AGENCY, "county": None}, "county", "須設定所在縣市"),
        (
            {"kind": K.COUNTY_BUREAU, "county": TAIPEI},
            "kind",
            "臺北市已有教育局(處)「臺北市政府教育局」",
        ),
        ({"parent": "NOPE"}, "parent", "找不到單位代碼「NOPE」"),
        ({"email": "not-an-email"}, "email", "電子郵件格式不正確"),
    ],
)
def test_create_unit_refuses_with_specific_messages(site_admin, kwargs, field, message):
    data = {
        "code": "T0001",
        "name": "測試國民小學",
        "kind": K.ELEMENTARY,
        "ownership": OW.MUNICIPAL,
        "county": TAICHUNG,
        **kwargs,
    }
    with pytest.raises(
        ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as error:
        create_unit(actor=site_admin, **data)
    assert error.value.field == field
    assert not AuditEvent.objects.filter(action="unit.created").exists()


def test_create_unit_refused_to_school_staff(school_staff):
    with pytest.raises(PermissionDeniedError, match="只有系統管理者或全國推廣中心"):
        create_unit(actor=school_staff, code="X1", name="X", kind=K.UNIVERSITY)
    assert not Unit.objects.filter(code="X1").exists()


# -- update_unit_contact --------------------------------------------------------------


def test_staff_updates_own_unit_contact_and_it_is_audited(school_staff):
    unit = school_staff.staff.unit
    update_unit_contact(
        actor=school_staff,
        unit=unit,
        data={
            "phone": "04 2222 3333#12",
            "email": "Office@School.EDU.tw",
            "address": "臺中市西區民權路 99 號",
            "website": "https://school.example.edu.tw/",
        },
    )
    unit.refresh_from_db()
    assert unit.phone == "04 2222 3333#12"
    assert unit.email == "office@school.edu.tw"
    event = AuditEvent.objects.get(action="unit.contact_updated", object_id=str(unit.pk))
    assert event.actor == school_staff
    assert event.before["phone"] == "02-2345-6789"
    assert event.after["address"] == "臺中市西區民權路 99 號"


def test_only_changed_fields_are_audited_and_no_change_writes_nothing(school_staff):
    unit = school_staff.staff.unit
    update_unit_contact(actor=school_staff, unit=unit, data={"phone": unit.phone})
    assert not AuditEvent.objects.filter(action="unit.contact_updated").exists()
    update_unit_contact(
        actor=school_staff, unit=unit, data={"phone": "04-1234567", "email": unit.email}
    )
    event = AuditEvent.objects.get(action="unit.contact_updated")
    assert set(event.after) == {"phone"}


def test_staff_cannot_update_another_units_contact(school_staff, make_unit):
    other = make_unit(K.ELEMENTARY, name="別校")
    with pytest.raises(PermissionDeniedError, match="只能修改自己所屬單位的通訊資料"):
        update_unit_contact(actor=school_staff, unit=other, data={"phone": "04-7654321"})
    other.refresh_from_db()
    assert other.phone == "02-2345-6789"


@pytest.mark.parametrize(
    "status", [StaffStatus.PENDING, StaffStatus.DEACTIVATED, StaffStatus.REJECTED]
)
def test_unusable_staff_cannot_update_contact(make_unit, status):
    unit = make_unit(K.ELEMENTARY)
    user = StaffFactory(unit=unit, status=status).user
    with pytest.raises(PermissionDeniedError):
        update_unit_contact(actor=user, unit=unit, data={"phone": "04-7654321"})


def test_teacher_cannot_update_contact(make_unit):
    unit = make_unit(K.ELEMENTARY)
    with pytest.raises(PermissionDeniedError):
        update_unit_contact(actor=UserFactory(), unit=unit, data={"phone": "04-7654321"})


def test_site_admin_may_update_any_unit_contact(site_admin, make_unit):
    unit = make_unit(K.ELEMENTARY)
    update_unit_contact(actor=site_admin, unit=unit, data={"website": "http://old.example.tw/"})
    unit.refresh_from_db()
    assert unit.website == "http://old.example.tw/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"phone": "call me"}, "phone", "電話格式不正確"),
        ({"phone": "12345"}, "phone", "電話格式不正確"),
        ({"phone": "0" * 41}, "phone", "電話最多 40 個字元"),
        ({"email": "a@b"}, "email", "電子郵件格式不正確"),
        ({"website": "javascript:alert(1)"}, "website", "網站須為 http:// 或 https://"),
        ({"website": "ftp://files.example.tw"}, "website", "網站須為 http:// 或 https://"),
        ({"address": "路" * 201}, "address", "地址最多 200 個字"),
        ({"name": "新名字"}, None, "通訊資料不含欄位：name"),
    ],
)
def test_contact_validation_messages(school_staff, data, field, message):
    with pytest.raises(ValidationFailed, match=message) as error:
        update_unit_contact(actor=school_staff, unit=school_staff.staff.unit, data=data)
    assert error.value.field == field


@pytest.mark.parametrize(
    "phone",
    ["07-7172930", "(07)717-2930#1234", "02 2345 6789 分機 12", "0912-345-678", "+886-7-7172930"],
)
def test_ordinary_taiwanese_phone_numbers_are_accepted(school_staff, phone):
    update_unit_contact(actor=school_staff, unit=school_staff.staff.unit, data={"phone": phone})


def test_every_staff_role_may_edit_contact(make_unit):
    unit = make_unit(K.ELEMENTARY)
    for number, role in enumerate(StaffRole.values):
        user = StaffFactory(unit=unit, role=role).user
        update_unit_contact(actor=user, unit=unit, data={"phone": f"04-2233344{number}"})
        unit.refresh_from_db()
        assert unit.phone == f"04-2233344{number}"


# -- change_supervision ---------------------------------------------------------------


def test_change_closes_the_open_row_and_opens_a_new_one(site_admin, make_unit):
    school = make_unit(K.SENIOR_HIGH, OW.PRIVATE, TAICHUNG)
    hs = reference.k12_senior_high_group()
    taichung = reference.county_bureau(county(TAICHUNG))
    first = change_supervision(
        actor=site_admin, unit=school, authority=taichung, valid_from=date(2017, 1, 1), note="改隸"
    )
    rows = list(Supervision.objects.filter(unit=school).order_by("valid_from"))
    assert [(r.authority, r.valid_from, r.valid_to) for r in rows] == [
        (hs, HISTORY_START, date(2016, 12, 31)),
        (taichung, date(2017, 1, 1), None),
    ]
    assert first == rows[1] and first.note == "改隸"
    # A later change closes the open row the day before.
    change_supervision(actor=site_admin, unit=school, authority=hs, valid_from=date(2024, 8, 1))
    rows = list(Supervision.objects.filter(unit=school).order_by("valid_from"))
    assert rows[1].valid_to == date(2024, 7, 31)
    assert (rows[2].authority, rows[2].valid_to) == (hs, None)


def test_change_is_audited(site_admin, make_unit):
    school = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAICHUNG)
    change_supervision(
        actor=site_admin,
        unit=school,
        authority=reference.county_bureau(county(TAICHUNG)),
        valid_from=date(2017, 1, 1),
        note="臺中市國立高中職改制",
        ownership=OW.MUNICIPAL,
    )
    event = AuditEvent.objects.get(action="unit.supervision_changed")
    assert event.actor == site_admin
    assert event.object_id == str(school.pk)
    assert event.before == {"authority": "K12EA-HS", "valid_from": "2003-01-01"}
    assert event.after == {"authority": "EDU-66000", "valid_from": "2017-01-01"}
    assert event.data["ownership"] == {"before": "national", "after": "municipal"}
    assert event.data["implied_previous"] is True


def test_first_change_without_a_default_opens_only_the_new_row(site_admin, make_unit):
    center = make_unit(K.TRAINING_CENTER, OW.NATIONAL, None)
    change_supervision(
        actor=site_admin, unit=center, authority=reference.moe(), valid_from=date(2011, 3, 1)
    )
    assert list(Supervision.objects.filter(unit=center).values_list("valid_from", "valid_to")) == [
        (date(2011, 3, 1), None)
    ]


def test_overlapping_dates_are_refused(site_admin, make_unit):
    school = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAICHUNG)
    taichung = reference.county_bureau(county(TAICHUNG))
    change_supervision(
        actor=site_admin, unit=school, authority=taichung, valid_from=date(2017, 1, 1)
    )
    with pytest.raises(ValidationFailed, match="生效日 2017-01-01 與現有紀錄重疊") as error:
        change_supervision(
            actor=site_admin,
            unit=school,
            authority=reference.k12_senior_high_group(),
            valid_from=date(2017, 1, 1),
        )
    assert error.value.code == "overlap"
    assert Supervision.objects.filter(unit=school).count() == 2


def test_overlap_with_a_closed_history_is_refused(site_admin, make_unit):
    school = make_unit(K.ELEMENTARY, OW.NATIONAL, TAIPEI)
    Supervision.objects.create(
        unit=school,
        authority=reference.k12_elementary_junior_group(),
        valid_from=date(2010, 1, 1),
        valid_to=date(2019, 12, 31),
    )
    with pytest.raises(ValidationFailed, match="須晚於最後一筆紀錄的終止日 2019-12-31"):
        change_supervision(
            actor=site_admin,
            unit=school,
            authority=reference.county_bureau(county(TAIPEI)),
            valid_from=date(2019, 6, 1),
        )


@pytest.mark.parametrize("with_history", [False, True])
def test_unchanged_authority_is_refused(site_admin, make_unit, with_history):
    school = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAICHUNG)
    hs = reference.k12_senior_high_group()
    if with_history:
        Supervision.objects.create(unit=school, authority=hs, valid_from=date(2010, 1, 1))
    with pytest.raises(ValidationFailed, match="主管機關未變更") as error:
        change_supervision(actor=site_admin, unit=school, authority=hs, valid_from=date(2020, 1, 1))
    assert error.value.code == "unchanged"


def test_authority_must_be_an_education_authority(site_admin, make_unit):
    school = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAICHUNG)
    with pytest.raises(ValidationFailed, match="不是教育行政主管機關") as error:
        change_supervision(
            actor=site_admin,
            unit=school,
            authority=reference.review_panel(),
            valid_from=date(2020, 1, 1),
        )
    assert error.value.field == "authority"


def test_inactive_authority_is_refused(site_admin, make_unit):
    school = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAICHUNG)
    bureau = reference.county_bureau(county(TAICHUNG))
    Unit.objects.filter(pk=bureau.pk).update(is_active=False)
    bureau.refresh_from_db()
    with pytest.raises(ValidationFailed, match="已停用"):
        change_supervision(
            actor=site_admin, unit=school, authority=bureau, valid_from=date(2020, 1, 1)
        )


def test_kinds_routed_by_kind_take_no_supervision(site_admin, make_unit):
    university = make_unit(K.UNIVERSITY, OW.PRIVATE, TAIPEI)
    with pytest.raises(ValidationFailed, match="大學校院的審核單位依單位類型決定"):
        change_supervision(
            actor=site_admin,
            unit=university,
            authority=reference.moe(),
            valid_from=date(2020, 1, 1),
        )


def test_unknown_ownership_is_refused(site_admin, make_unit):
    school = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAICHUNG)
    with pytest.raises(ValidationFailed, match="未知的設立別"):
        change_supervision(
            actor=site_admin,
            unit=school,
            authority=reference.county_bureau(county(TAICHUNG)),
            valid_from=date(2017, 1, 1),
            ownership="royal",
        )


def test_change_supervision_refused_to_county_staff(make_unit):
    bureau = reference.county_bureau(county(TAICHUNG))
    county_staff = StaffFactory(unit=bureau).user
    school = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAICHUNG)
    with pytest.raises(PermissionDeniedError):
        change_supervision(
            actor=county_staff, unit=school, authority=bureau, valid_from=date(2017, 1, 1)
        )
    assert not Supervision.objects.filter(unit=school).exists()
    assert not AuditEvent.objects.filter(action="unit.supervision_changed").exists()
