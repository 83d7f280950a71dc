import pytest

from inservice.accounts.models import StaffRole, StaffStatus, User
from inservice.organizations.models import County, Ownership, Unit, UnitKind
from tests.factories import StaffFactory, UnitFactory

TAIPEI, KAOHSIUNG, TAICHUNG, TAOYUAN, YILAN = "63000", "64000", "66000", "68000", "10002"


def county(code: str) -> County:
    return County.objects.get(code=code)


@pytest.fixture
def make_unit(db):
    """A unit of `kind` in a reference county (or none), through the shared UnitFactory."""

    def make(kind, ownership=Ownership.MUNICIPAL, county_code=TAICHUNG, **extra):
        extra.setdefault("county", county(county_code) if county_code else None)
        return UnitFactory(kind=kind, ownership=ownership, **extra)

    return make


@pytest.fixture
def site_admin(db):
    return User.objects.create_superuser("siteadmin", "admin@example.edu.tw", "pw-1234567890")


@pytest.fixture
def national_center_staff(db):
    return StaffFactory(unit=Unit.objects.get(code="NKNU-NC"), role=StaffRole.CHIEF).user


@pytest.fixture
def school_staff(make_unit):
    unit = make_unit(UnitKind.ELEMENTARY, name="臺中市立測試國民小學")
    return StaffFactory(unit=unit, role=StaffRole.OPERATOR, status=StaffStatus.ACTIVE).user
