"""The reference data migration: 22 counties, MOE, the national center, the K-12
Administration and its groups, 22 county bureaus, the review panel and the working circle."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from inservice.core.errors import DomainError
from inservice.organizations import reference
from inservice.organizations.models import County, Unit, UnitKind

pytestmark = pytest.mark.django_db

DOMAIN_ORDER = (
    "新北市 臺北市 桃園市 臺中市 臺南市 高雄市 宜蘭縣 新竹縣 苗栗縣 彰化縣 南投縣 雲林縣 "
    "嘉義縣 屏東縣 臺東縣 花蓮縣 澎湖縣 基隆市 新竹市 嘉義市 金門縣 連江縣"
).split()

MOI_CODES = {
    "臺北市": "63000", "高雄市": "64000", "新北市": "65000", "臺中市": "66000",
    "臺南市": "67000", "桃園市": "68000", "宜蘭縣": "10002", "新竹縣": "10004",
    "苗栗縣": "10005", "彰化縣": "10007", "南投縣": "10008", "雲林縣": "10009",
    "嘉義縣": "10010", "屏東縣": "10013", "臺東縣": "10014", "花蓮縣": "10015",
    "澎湖縣": "10016", "基隆市": "10017", "新竹市": "10018", "嘉義市": "10020",
    "金門縣": "09020", "連江縣": "09007",
}  # fmt: skip


def reference_counties():
    return County.objects.filter(code__in=MOI_CODES.values())


def test_22_counties_in_domain_order_with_moi_codes():
    counties = list(reference_counties())
    assert [c.name for c in counties] == DOMAIN_ORDER
    assert {c.name: c.code for c in counties} == MOI_CODES


def test_five_counties_transmit_their_own_data():
    transmitting = set(
        reference_counties().filter(transmits_own_data=True).values_list("name", flat=True)
    )
    assert transmitting == {"新北市", "臺北市", "桃園市", "臺南市", "新竹市"}


@pytest.mark.parametrize(
    ("county_code", "name"),
    [
        ("63000", "臺北市政府教育局"),
        ("65000", "新北市政府教育局"),
        ("68000", "桃園市政府教育局"),
        ("66000", "臺中市政府教育局"),
        ("67000", "臺南市政府教育局"),
        ("64000", "高雄市政府教育局"),
        ("10002", "宜蘭縣政府教育處"),
        ("10018", "新竹市政府教育處"),
        ("10017", "基隆市政府教育處"),
        ("09020", "金門縣政府教育處"),
        ("09007", "連江縣政府教育處"),
    ],
)
def test_county_bureaus_use_ju_for_municipalities_and_chu_elsewhere(county_code, name):
    bureau = reference.county_bureau(County.objects.get(code=county_code))
    assert bureau.name == name
    assert bureau.kind == UnitKind.COUNTY_BUREAU
    assert bureau.code == f"EDU-{county_code}"


def test_every_reference_county_has_exactly_one_bureau():
    for county in reference_counties():
        assert Unit.objects.filter(kind=UnitKind.COUNTY_BUREAU, county=county).count() == 1


def test_k12_groups_hang_off_the_k12_administration():
    k12 = reference.k12_admin()
    assert k12.name == "教育部國民及學前教育署"
    assert k12.parent == reference.moe()
    groups = Unit.objects.filter(parent=k12).order_by("code")
    assert {g.name for g in groups} == {
        "教育部國民及學前教育署高級中等教育組",
        "教育部國民及學前教育署國中小教育組",
        "教育部國民及學前教育署學前教育組",
        "教育部國民及學前教育署原民特教組",
        "教育部國民及學前教育署學務校安組",
    }
    assert {g.kind for g in groups} == {UnitKind.K12_ADMIN_GROUP}


def test_helpers_return_the_documented_units():
    assert (reference.moe().code, reference.moe().kind) == ("MOE", UnitKind.MOE)
    assert reference.national_center().name == "國立高雄師範大學全國推廣中心"
    assert reference.national_center().kind == UnitKind.NATIONAL_CENTER
    assert reference.review_panel().kind == UnitKind.REVIEW_PANEL
    assert reference.working_circle().name == "普通型高級中等學校課程推動工作圈"
    assert reference.k12_senior_high_group().code == "K12EA-HS"
    assert reference.k12_elementary_junior_group().code == "K12EA-EJ"
    assert reference.k12_preschool_group().code == "K12EA-PS"
    assert reference.k12_indigenous_special_group().code == "K12EA-IS"
    assert reference.k12_student_affairs_group().code == "K12EA-SA"


def test_missing_reference_unit_is_a_clear_error():
    Unit.objects.filter(code="REVIEW-PANEL").delete()
    with pytest.raises(DomainError, match="缺少參考單位「REVIEW-PANEL」"):
        reference.review_panel()


def test_county_without_bureau_is_a_clear_error():
    county = County.objects.create(code="99999", name="測試無局縣")
    with pytest.raises(DomainError, match="測試無局縣」沒有登錄縣市政府教育局"):
        reference.county_bureau(county)


def test_installer_is_idempotent_and_restores_changes():
    before = Unit.objects.count()
    Unit.objects.filter(code="MOE").update(name="改錯的名稱")
    call_command("load_reference_units", stdout=io.StringIO())
    from inservice.organizations import reference_data

    reference_data.install(apps)
    assert Unit.objects.count() == before
    assert reference.moe().name == "教育部"
