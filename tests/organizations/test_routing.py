"""附件九 第11條, branch by branch: who reviews a unit's courses and attendance lists."""

from datetime import date

import pytest

from inservice.core.errors import DomainError
from inservice.organizations import reference
from inservice.organizations.models import Ownership, Supervision, Unit, UnitKind
from inservice.organizations.routing import (
    KIND_RULES,
    SOURCE_COUNTY_TRANSMIT,
    is_within_reach,
    reviewing_center,
    supervising_authority,
)
from inservice.organizations.services import change_supervision

from .conftest import KAOHSIUNG, TAICHUNG, TAIPEI, TAOYUAN, YILAN, county

pytestmark = pytest.mark.django_db

K = UnitKind
OW = Ownership
NC, PANEL, CIRCLE = "NKNU-NC", "REVIEW-PANEL", "WORKING-CIRCLE"
HS, EJ, PS, IS = "K12EA-HS", "K12EA-EJ", "K12EA-PS", "K12EA-IS"
BUREAU, SELF = "bureau", "self"  # the unit's own county bureau / the unit itself

# (case id, kind, ownership, county code, expected center)
CASES = [
    # 一、大學校院、師資培育之大學 → 全國推廣中心
    ("1-university", K.UNIVERSITY, OW.PRIVATE, TAIPEI, NC),
    ("1-teacher-univ", K.TEACHER_UNIV, OW.NATIONAL, KAOHSIUNG, NC),
    # 二、國私立高中、高職、特殊教育學校 → 主管機關 (預設國教署)
    ("2-national-senior-high", K.SENIOR_HIGH, OW.NATIONAL, YILAN, HS),
    ("2-private-senior-high", K.SENIOR_HIGH, OW.PRIVATE, YILAN, HS),
    ("2-national-vocational", K.VOCATIONAL_HIGH, OW.NATIONAL, YILAN, HS),
    ("2-private-vocational", K.VOCATIONAL_HIGH, OW.PRIVATE, KAOHSIUNG, HS),
    ("2-national-special-ed", K.SPECIAL_ED_SCHOOL, OW.NATIONAL, YILAN, IS),
    ("2-private-special-ed", K.SPECIAL_ED_SCHOOL, OW.PRIVATE, TAIPEI, IS),
    # 三、地方教師研習中心 → 所屬主管機關 (縣市)
    ("3-local-training-center", K.TRAINING_CENTER, OW.MUNICIPAL, TAIPEI, BUREAU),
    # 四、縣市立高中、公私立國中至幼兒園 → 所屬主管機關
    ("4-county-senior-high", K.SENIOR_HIGH, OW.MUNICIPAL, KAOHSIUNG, BUREAU),
    ("4-county-vocational", K.VOCATIONAL_HIGH, OW.MUNICIPAL, KAOHSIUNG, BUREAU),
    ("4-county-special-ed", K.SPECIAL_ED_SCHOOL, OW.MUNICIPAL, TAIPEI, BUREAU),
    ("4-public-junior-high", K.JUNIOR_HIGH, OW.MUNICIPAL, YILAN, BUREAU),
    ("4-private-junior-high", K.JUNIOR_HIGH, OW.PRIVATE, TAICHUNG, BUREAU),
    ("4-public-elementary", K.ELEMENTARY, OW.MUNICIPAL, TAICHUNG, BUREAU),
    ("4-private-elementary", K.ELEMENTARY, OW.PRIVATE, TAIPEI, BUREAU),
    ("4-public-kindergarten", K.KINDERGARTEN, OW.MUNICIPAL, YILAN, BUREAU),
    ("4-private-kindergarten", K.KINDERGARTEN, OW.PRIVATE, KAOHSIUNG, BUREAU),
    ("4-national-junior-high", K.JUNIOR_HIGH, OW.NATIONAL, TAIPEI, EJ),
    ("4-national-elementary", K.ELEMENTARY, OW.NATIONAL, TAIPEI, EJ),
    ("4-national-kindergarten", K.KINDERGARTEN, OW.NATIONAL, TAIPEI, PS),
    # 五、當然認可者、未成立法人之民間團體 → 全國推廣中心；其餘法人 → 審查小組
    ("5-recognised-org", K.RECOGNISED_ORG, OW.NONE, TAIPEI, NC),
    ("5-unincorporated-group", K.UNINCORPORATED_GROUP, OW.NONE, None, NC),
    ("5-legal-person", K.LEGAL_PERSON, OW.NONE, TAICHUNG, PANEL),
    # 七、地方政府機關、社區大學 → 該縣市教育局(處)
    ("7-local-agency", K.LOCAL_AGENCY, OW.NONE, KAOHSIUNG, BUREAU),
    ("7-community-college", K.COMMUNITY_COLLEGE, OW.NONE, YILAN, BUREAU),
    # Special kinds (decisions documented in docs/organizations.md)
    ("x-experimental", K.EXPERIMENTAL, OW.PRIVATE, YILAN, BUREAU),
    ("x-experimental-no-ownership", K.EXPERIMENTAL, OW.NONE, TAICHUNG, BUREAU),
    ("x-subject-center", K.SUBJECT_CENTER, OW.NONE, None, CIRCLE),
    ("x-central-agency", K.CENTRAL_AGENCY, OW.NATIONAL, None, NC),
    ("x-teacher-union", K.TEACHER_UNION, OW.NONE, KAOHSIUNG, NC),
    ("x-overseas-school", K.OVERSEAS_SCHOOL, OW.PRIVATE, None, NC),
    # The centers' own courses
    ("own-county-bureau", K.COUNTY_BUREAU, OW.MUNICIPAL, None, SELF),
    ("own-k12-group", K.K12_ADMIN_GROUP, OW.NATIONAL, None, SELF),
    ("own-working-circle", K.WORKING_CIRCLE, OW.NONE, None, SELF),
    ("own-review-panel", K.REVIEW_PANEL, OW.NONE, None, SELF),
    ("own-moe", K.MOE, OW.NATIONAL, None, NC),
    ("own-national-center", K.NATIONAL_CENTER, OW.NATIONAL, None, NC),
]


def expected_center(unit: Unit, expected: str) -> Unit:
    if expected == BUREAU:
        return reference.county_bureau(unit.county)
    if expected == SELF:
        return unit
    return Unit.objects.get(code=expected)


@pytest.mark.parametrize(
    ("kind", "ownership", "county_code", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_reviewing_center_by_kind(make_unit, kind, ownership, county_code, expected):
    if kind == K.COUNTY_BUREAU:
        # The reference bureaus already take the real counties; use a fresh county.
        from tests.factories import CountyFactory

        unit = make_unit(kind, ownership, None, county=CountyFactory())
    else:
        unit = make_unit(kind, ownership, county_code)
    center = reviewing_center(unit)
    assert center == expected_center(unit, expected)
    assert is_within_reach(center, unit)
    assert not is_within_reach(
        reference.review_panel() if center.code != PANEL else reference.national_center(), unit
    )


def test_every_unit_kind_has_a_rule():
    assert set(KIND_RULES) == set(UnitKind.values)


def test_cases_cover_every_kind():
    assert {case[1] for case in CASES} == set(UnitKind.values)


def test_reference_centers_review_their_own_courses():
    for center in Unit.objects.filter(kind__in=[K.COUNTY_BUREAU, K.K12_ADMIN_GROUP]):
        assert reviewing_center(center) == center
    assert reviewing_center(reference.moe()) == reference.national_center()
    assert reviewing_center(reference.national_center()) == reference.national_center()


# -- 三、中央教師研習中心: their supervising authority, always recorded explicitly -------


def test_central_training_center_supervised_by_moe_goes_to_national_center(make_unit):
    unit = make_unit(K.TRAINING_CENTER, OW.NATIONAL, None)
    Supervision.objects.create(unit=unit, authority=reference.moe(), valid_from=date(2011, 3, 1))
    assert supervising_authority(unit) == reference.moe()
    assert reviewing_center(unit) == reference.national_center()


def test_central_training_center_supervised_by_k12_group(make_unit):
    unit = make_unit(K.TRAINING_CENTER, OW.NATIONAL, TAICHUNG)
    Supervision.objects.create(
        unit=unit, authority=reference.k12_elementary_junior_group(), valid_from=date(2013, 1, 1)
    )
    assert reviewing_center(unit) == reference.k12_elementary_junior_group()


def test_a_supervision_row_overrides_the_default(make_unit):
    school = make_unit(K.SENIOR_HIGH, OW.PRIVATE, TAICHUNG)
    assert reviewing_center(school) == reference.k12_senior_high_group()
    Supervision.objects.create(
        unit=school,
        authority=reference.county_bureau(county(TAICHUNG)),
        valid_from=date(2017, 1, 1),
    )
    assert reviewing_center(school) == reference.county_bureau(county(TAICHUNG))


# -- 六、縣市自有系統傳報 → 該縣市驗證 -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "ownership"),
    [(K.ELEMENTARY, OW.MUNICIPAL), (K.SENIOR_HIGH, OW.NATIONAL), (K.UNIVERSITY, OW.PRIVATE)],
)
def test_county_transmitted_courses_are_validated_by_that_county(make_unit, kind, ownership):
    unit = make_unit(kind, ownership, TAIPEI)
    assert reviewing_center(unit, source=SOURCE_COUNTY_TRANSMIT) == reference.county_bureau(
        county(TAIPEI)
    )


def test_online_source_is_the_default_routing(make_unit):
    unit = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAIPEI)
    assert reviewing_center(unit, source="online") == reference.k12_senior_high_group()
    assert reviewing_center(unit, source=None) == reference.k12_senior_high_group()


def test_county_transmit_from_a_county_that_does_not_transmit_is_refused(make_unit):
    unit = make_unit(K.ELEMENTARY, OW.MUNICIPAL, TAICHUNG)
    with pytest.raises(DomainError, match="臺中市未採用自有系統傳報研習資料"):
        reviewing_center(unit, source=SOURCE_COUNTY_TRANSMIT)


# -- dated jurisdiction: Taichung 2017, Taoyuan 2018 -------------------------------------


def test_taichung_takeover_of_national_senior_highs_in_2017(make_unit, site_admin):
    school = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAICHUNG, name="國立臺中測試高級中學")
    taichung = reference.county_bureau(county(TAICHUNG))
    change_supervision(
        actor=site_admin,
        unit=school,
        authority=taichung,
        valid_from=date(2017, 1, 1),
        note="臺中市國立高中職改制為市立",
        ownership=OW.MUNICIPAL,
    )
    hs = reference.k12_senior_high_group()
    assert reviewing_center(school, on=date(2016, 12, 31)) == hs
    assert reviewing_center(school, on=date(2010, 5, 1)) == hs
    assert reviewing_center(school, on=date(2017, 1, 1)) == taichung
    assert reviewing_center(school) == taichung
    assert is_within_reach(hs, school, on=date(2016, 6, 1))
    assert not is_within_reach(hs, school)


def test_taoyuan_takeover_of_national_special_ed_schools_in_2018(make_unit, site_admin):
    school = make_unit(K.SPECIAL_ED_SCHOOL, OW.NATIONAL, TAOYUAN)
    taoyuan = reference.county_bureau(county(TAOYUAN))
    change_supervision(
        actor=site_admin, unit=school, authority=taoyuan, valid_from=date(2018, 2, 1)
    )
    school.refresh_from_db()
    assert school.ownership == OW.NATIONAL  # ownership left alone unless given
    assert (
        reviewing_center(school, on=date(2018, 1, 31)) == reference.k12_indigenous_special_group()
    )
    assert reviewing_center(school, on=date(2018, 2, 1)) == taoyuan


# -- unroutable units -----------------------------------------------------------------


def test_county_school_without_county_is_unroutable(make_unit):
    unit = make_unit(K.ELEMENTARY, OW.MUNICIPAL, None, name="無縣市國小")
    with pytest.raises(DomainError, match="「無縣市國小」沒有設定所在縣市") as error:
        reviewing_center(unit)
    assert error.value.code == "unit_without_county"


def test_local_agency_without_county_is_unroutable(make_unit):
    unit = make_unit(K.LOCAL_AGENCY, OW.NONE, None, name="某衛生局")
    with pytest.raises(DomainError, match="「某衛生局」沒有設定所在縣市"):
        reviewing_center(unit)


def test_central_training_center_without_history_is_unroutable(make_unit):
    unit = make_unit(K.TRAINING_CENTER, OW.NATIONAL, None, name="國家測試研習中心")
    with pytest.raises(DomainError, match="沒有預設的主管機關，請先登錄主管機關歷程") as error:
        reviewing_center(unit)
    assert error.value.code == "no_default_authority"


def test_school_without_ownership_is_unroutable(make_unit):
    unit = make_unit(K.SENIOR_HIGH, OW.NONE, TAIPEI, name="設立別不明高中")
    with pytest.raises(DomainError, match="沒有設定設立別"):
        reviewing_center(unit)


def test_date_outside_the_recorded_history_is_unroutable(make_unit):
    unit = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAIPEI, name="歷程不全高中")
    Supervision.objects.create(
        unit=unit, authority=reference.k12_senior_high_group(), valid_from=date(2020, 8, 1)
    )
    assert reviewing_center(unit, on=date(2020, 8, 1)) == reference.k12_senior_high_group()
    with pytest.raises(DomainError, match="在 2019-07-31 沒有主管機關紀錄") as error:
        reviewing_center(unit, on=date(2019, 7, 31))
    assert error.value.code == "supervision_gap"
    assert not is_within_reach(reference.k12_senior_high_group(), unit, on=date(2019, 7, 31))


def test_unknown_kind_is_unroutable(make_unit):
    unit = make_unit(K.ELEMENTARY)
    Unit.objects.filter(pk=unit.pk).update(kind="bogus")
    unit.refresh_from_db()
    with pytest.raises(DomainError, match="沒有對應的審核單位"):
        reviewing_center(unit)


def test_unknown_source_is_refused(make_unit):
    with pytest.raises(DomainError, match="未知的課程資料來源「fax」"):
        reviewing_center(make_unit(K.ELEMENTARY), source="fax")


def test_kinds_routed_by_kind_have_no_default_authority(make_unit):
    university = make_unit(K.UNIVERSITY, OW.PRIVATE, TAIPEI, name="測試大學")
    with pytest.raises(DomainError, match="「測試大學」是大學校院，審核單位依單位類型") as error:
        supervising_authority(university)
    assert error.value.code == "not_supervised"
    assert reviewing_center(university) == reference.national_center()


def test_supervising_authority_reads_the_dated_row_or_the_default(make_unit):
    school = make_unit(K.KINDERGARTEN, OW.NATIONAL, TAIPEI)
    assert supervising_authority(school) == reference.k12_preschool_group()
    bureau = reference.county_bureau(county(TAIPEI))
    Supervision.objects.create(unit=school, authority=bureau, valid_from=date(2003, 1, 1))
    assert supervising_authority(school, date(2003, 1, 1)) == bureau
