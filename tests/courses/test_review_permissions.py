"""Every review page for every unit kind and every staff role (附件一 肆 and the chief-only
rule for auto-review settings), plus teachers and accounts that are not usable."""

import pytest

from inservice.accounts.models import StaffRole, StaffStatus, User
from inservice.organizations.models import UnitKind
from tests.factories import StaffFactory, UserFactory, make_course, routable_unit

pytestmark = pytest.mark.django_db

# 研習課程資料確認 / 自動審核功能設定 / 自動審核瀏覽: the five center columns of the matrix
# (the review panel sits in the working circle's column).
CENTER_KINDS = {
    UnitKind.MOE,
    UnitKind.NATIONAL_CENTER,
    UnitKind.K12_ADMIN_GROUP,
    UnitKind.COUNTY_BUREAU,
    UnitKind.WORKING_CIRCLE,
    UnitKind.REVIEW_PANEL,
}
PAGES = {
    "queue": ("get", "/review/"),
    "approve_many": ("post", "/review/approve/"),
    "settings": ("get", "/review/autoreview/settings/"),
    "log": ("get", "/review/autoreview/log/"),
}
ROLES = [StaffRole.CHIEF, StaffRole.CONTACT, StaffRole.OPERATOR]


def expected_status(kind, role, page):
    if kind not in CENTER_KINDS:
        return 403
    if page == "settings" and role != StaffRole.CHIEF:
        return 403
    return 302 if page == "approve_many" else 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", list(UnitKind))
def test_every_page_for_every_unit_kind_and_role(client, kind, role):
    staff = StaffFactory(unit=routable_unit(kind), role=role)
    client.force_login(staff.user)
    for page, (method, path) in PAGES.items():
        status = getattr(client, method)(path).status_code
        assert status == expected_status(kind, role, page), (kind, role, page, status)


@pytest.mark.parametrize("status", [StaffStatus.PENDING, StaffStatus.DEACTIVATED])
def test_staff_accounts_not_in_use_are_refused(client, status):
    staff = StaffFactory(
        unit=routable_unit(UnitKind.COUNTY_BUREAU), role=StaffRole.CHIEF, status=status
    )
    client.force_login(staff.user)
    for method, path in PAGES.values():
        assert getattr(client, method)(path).status_code == 403, path


def test_teachers_are_refused(client):
    client.force_login(UserFactory(kind=User.Kind.TEACHER))
    for method, path in PAGES.values():
        assert getattr(client, method)(path).status_code == 403, path


def test_the_course_page_is_404_for_every_center_but_its_own(client):
    course = make_course(routable_unit(UnitKind.ELEMENTARY), submit=True)
    for kind in CENTER_KINDS:
        center = routable_unit(kind)
        client.force_login(StaffFactory(unit=center, role=StaffRole.CHIEF).user)
        expected = 200 if center == course.reviewing_center else 404
        assert client.get(f"/review/{course.code}/").status_code == expected, kind
