"""`units_reviewed_by` is one query that agrees with `reviewing_center` unit by unit."""

from datetime import date

import pytest

from inservice.core.errors import DomainError
from inservice.organizations import reference
from inservice.organizations.models import Ownership, Supervision, Unit, UnitKind
from inservice.organizations.routing import (
    SOURCE_COUNTY_TRANSMIT,
    reviewing_center,
    units_reviewed_by,
)
from inservice.organizations.services import change_supervision
from tests.factories import CountyFactory, UnitFactory

from .conftest import KAOHSIUNG, TAICHUNG, TAIPEI, TAOYUAN, YILAN, county

pytestmark = pytest.mark.django_db

K, OW = UnitKind, Ownership
DAYS = [date(2016, 6, 1), date(2017, 6, 1), date(2018, 6, 1), None]


@pytest.fixture
def mixed_units(make_unit, site_admin):
    """Every kind × several ownerships × counties, plus history, gaps and unroutable units."""
    units = []
    for kind in UnitKind.values:
        if kind in (K.COUNTY_BUREAU, K.MOE, K.NATIONAL_CENTER):
            continue  # the reference rows already cover them
        for ownership in Ownership.values:
            for county_code in (TAIPEI, TAICHUNG, YILAN, None):
                units.append(make_unit(kind, ownership, county_code))
    # A test county with its own bureau and schools.
    test_county = CountyFactory()
    UnitFactory(kind=K.COUNTY_BUREAU, county=test_county, name="測試縣政府教育處")
    units.append(make_unit(K.ELEMENTARY, OW.MUNICIPAL, None, county=test_county))
    # Jurisdiction changes, central training centers, a history gap.
    taichung_high = make_unit(K.SENIOR_HIGH, OW.NATIONAL, TAICHUNG)
    change_supervision(
        actor=site_admin,
        unit=taichung_high,
        authority=reference.county_bureau(county(TAICHUNG)),
        valid_from=date(2017, 1, 1),
        ownership=OW.MUNICIPAL,
    )
    taoyuan_school = make_unit(K.SPECIAL_ED_SCHOOL, OW.NATIONAL, TAOYUAN)
    change_supervision(
        actor=site_admin,
        unit=taoyuan_school,
        authority=reference.county_bureau(county(TAOYUAN)),
        valid_from=date(2018, 2, 1),
    )
    moe_center = make_unit(K.TRAINING_CENTER, OW.NATIONAL, None)
    Supervision.objects.create(
        unit=moe_center, authority=reference.moe(), valid_from=date(2003, 1, 1)
    )
    gap = make_unit(K.ELEMENTARY, OW.NATIONAL, KAOHSIUNG)
    Supervision.objects.create(
        unit=gap, authority=reference.k12_elementary_junior_group(), valid_from=date(2018, 1, 1)
    )
    closed = make_unit(K.JUNIOR_HIGH, OW.MUNICIPAL, KAOHSIUNG, is_active=False)
    return [*units, taichung_high, taoyuan_school, moe_center, gap, closed]


def _routing(day, source=None) -> dict[int, int | None]:
    """unit pk → reviewing center pk (None when unroutable), computed unit by unit."""
    result = {}
    for unit in Unit.objects.select_related("county"):
        try:
            result[unit.pk] = reviewing_center(unit, on=day, source=source).pk
        except DomainError:
            result[unit.pk] = None
    return result


def _expected(routing, center):
    return {unit for unit, center_pk in routing.items() if center_pk == center.pk}


def _centers():
    return list(
        Unit.objects.filter(
            kind__in=[
                K.MOE,
                K.NATIONAL_CENTER,
                K.K12_ADMIN_GROUP,
                K.COUNTY_BUREAU,
                K.REVIEW_PANEL,
                K.WORKING_CIRCLE,
            ]
        )
    )


@pytest.mark.parametrize("day", DAYS, ids=["2016", "2017", "2018", "today"])
def test_agrees_with_reviewing_center_for_every_center(mixed_units, day):
    routing = _routing(day)
    assert None in routing.values()  # the mix includes unroutable units
    routed_somewhere = set()
    for center in _centers():
        got = set(units_reviewed_by(center, day).values_list("pk", flat=True))
        assert got == _expected(routing, center), center.name
        assert not (got & routed_somewhere), "a unit has two reviewing centers"
        routed_somewhere |= got
    # Every routable unit is in exactly one center's set, unroutable ones in none.
    assert routed_somewhere == {pk for pk, center_pk in routing.items() if center_pk}


def test_agrees_for_county_transmitted_courses(mixed_units):
    routing = _routing(None, SOURCE_COUNTY_TRANSMIT)
    for center in _centers():
        got = set(
            units_reviewed_by(center, source=SOURCE_COUNTY_TRANSMIT).values_list("pk", flat=True)
        )
        assert got == _expected(routing, center), center.name


def test_jurisdiction_change_moves_the_unit_between_queues(mixed_units):
    taichung_high = mixed_units[-5]
    hs = reference.k12_senior_high_group()
    taichung = reference.county_bureau(county(TAICHUNG))
    assert units_reviewed_by(hs, date(2016, 6, 1)).filter(pk=taichung_high.pk).exists()
    assert not units_reviewed_by(taichung, date(2016, 6, 1)).filter(pk=taichung_high.pk).exists()
    assert units_reviewed_by(taichung).filter(pk=taichung_high.pk).exists()
    assert not units_reviewed_by(hs).filter(pk=taichung_high.pk).exists()


def test_one_query_whatever_the_number_of_units(mixed_units, django_assert_num_queries):
    for center in (
        reference.national_center(),
        reference.county_bureau(county(TAICHUNG)),
        reference.k12_senior_high_group(),
    ):
        with django_assert_num_queries(1):
            assert len(list(units_reviewed_by(center))) > 0


def test_a_school_is_not_a_center(make_unit):
    school = make_unit(K.ELEMENTARY)
    assert list(units_reviewed_by(school)) == []
