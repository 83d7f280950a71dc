"""Routing end to end (附件九 第11條): a unit of each organizer kind creates and submits a
course through the services; the course goes to the expected center, appears in that
center's review queue over HTTP, and in no other center's queue.

Every unit kind may register courses (附件一 肆: 研習課程登錄 is open to every column), so every
`UnitKind` is covered, supervised kinds under each ownership that has its own route, and
the dated Supervision branch (a row overrides the default authority).
"""

import datetime

import pytest

from inservice.accounts.models import StaffRole
from inservice.courses.models import CourseStatus
from inservice.organizations import reference_data as ref
from inservice.organizations.models import County, Ownership, Supervision, Unit, UnitKind
from tests.factories import StaffFactory, make_course, routable_unit

pytestmark = pytest.mark.django_db

NC = ref.NATIONAL_CENTER
BUREAU = "bureau"  # the education bureau of the unit's county


def bureau_of(county_code):
    return Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, county__code=county_code)


def _supervised_by(kind, ownership, county, authority):
    unit = routable_unit(kind, County.objects.get(code=county), ownership=ownership)
    Supervision.objects.create(
        unit=unit,
        authority=authority,
        valid_from=datetime.date(2017, 8, 1),
        note="測試：主管機關歷程",
    )
    return unit


# (label, kind, ownership or None, county code, expected center code or BUREAU)
CASES = [
    ("大學校院", UnitKind.UNIVERSITY, None, "63000", NC),
    ("師資培育之大學", UnitKind.TEACHER_UNIV, None, "64000", NC),
    ("國立高中", UnitKind.SENIOR_HIGH, Ownership.NATIONAL, "67000", ref.K12_SENIOR_HIGH),
    ("市立高中", UnitKind.SENIOR_HIGH, Ownership.MUNICIPAL, "63000", BUREAU),
    ("私立高職", UnitKind.VOCATIONAL_HIGH, Ownership.PRIVATE, "65000", ref.K12_SENIOR_HIGH),
    ("縣立高職", UnitKind.VOCATIONAL_HIGH, Ownership.MUNICIPAL, "10002", BUREAU),
    (
        "國立特教學校",
        UnitKind.SPECIAL_ED_SCHOOL,
        Ownership.NATIONAL,
        "10015",
        ref.K12_INDIGENOUS_SPECIAL,
    ),
    ("市立特教學校", UnitKind.SPECIAL_ED_SCHOOL, Ownership.MUNICIPAL, "64000", BUREAU),
    ("國立國中", UnitKind.JUNIOR_HIGH, Ownership.NATIONAL, "10008", ref.K12_ELEMENTARY_JUNIOR),
    ("私立國中", UnitKind.JUNIOR_HIGH, Ownership.PRIVATE, "68000", BUREAU),
    ("縣立國小", UnitKind.ELEMENTARY, Ownership.MUNICIPAL, "10013", BUREAU),
    ("國立附小", UnitKind.ELEMENTARY, Ownership.NATIONAL, "10018", ref.K12_ELEMENTARY_JUNIOR),
    ("國立幼兒園", UnitKind.KINDERGARTEN, Ownership.NATIONAL, "10020", ref.K12_PRESCHOOL),
    ("私立幼兒園", UnitKind.KINDERGARTEN, Ownership.PRIVATE, "09020", BUREAU),
    ("縣市教師研習中心", UnitKind.TRAINING_CENTER, Ownership.MUNICIPAL, "10007", BUREAU),
    ("非學校型態實驗教育", UnitKind.EXPERIMENTAL, Ownership.NONE, "10014", BUREAU),
    ("高中課程學科中心", UnitKind.SUBJECT_CENTER, None, "66000", ref.WORKING_CIRCLE),
    ("當然認可之法人", UnitKind.RECOGNISED_ORG, None, "63000", NC),
    ("未成立法人之民間團體", UnitKind.UNINCORPORATED_GROUP, None, "10009", NC),
    ("其他法人", UnitKind.LEGAL_PERSON, None, "10010", ref.REVIEW_PANEL),
    ("地方政府機關", UnitKind.LOCAL_AGENCY, None, "10016", BUREAU),
    ("社區大學", UnitKind.COMMUNITY_COLLEGE, None, "09007", BUREAU),
    ("中央政府機關", UnitKind.CENTRAL_AGENCY, None, "63000", NC),
    ("教師組織及教育相關工會", UnitKind.TEACHER_UNION, None, "10017", NC),
    ("海外臺灣學校", UnitKind.OVERSEAS_SCHOOL, None, "63000", NC),
    # The centers' own courses (reference units).
    ("教育部", UnitKind.MOE, None, "63000", NC),
    ("全國推廣中心", UnitKind.NATIONAL_CENTER, None, "64000", NC),
    ("國教署高中組", UnitKind.K12_ADMIN_GROUP, None, "63000", ref.K12_SENIOR_HIGH),
    ("新竹縣教育處", UnitKind.COUNTY_BUREAU, None, "10004", BUREAU),
    ("課程推動工作圈", UnitKind.WORKING_CIRCLE, None, "63000", ref.WORKING_CIRCLE),
    ("認可審查小組", UnitKind.REVIEW_PANEL, None, "63000", ref.REVIEW_PANEL),
]
# Dated Supervision rows (label, kind, ownership, county, authority code or BUREAU of county).
SUPERVISED = [
    # Taichung took over national senior highs in 2017: the row names the city's bureau.
    ("改隸臺中市之國立高中", UnitKind.SENIOR_HIGH, Ownership.NATIONAL, "66000", BUREAU),
    # A central training center, supervised by the Ministry itself → the national center.
    ("中央教師研習中心", UnitKind.TRAINING_CENTER, Ownership.NATIONAL, "10005", ref.MOE),
]


def test_every_unit_kind_is_covered():
    covered = {kind for _l, kind, *_rest in CASES + SUPERVISED}
    assert covered == set(UnitKind)


def _build(case):
    label, kind, ownership, county, expected = case
    unit = routable_unit(kind, County.objects.get(code=county), ownership=ownership)
    center = bureau_of(county) if expected == BUREAU else Unit.objects.get(code=expected)
    return label, unit, center


def _build_supervised(case):
    label, kind, ownership, county, authority = case
    authority_unit = bureau_of(county) if authority == BUREAU else Unit.objects.get(code=authority)
    unit = _supervised_by(kind, ownership, county, authority_unit)
    center = Unit.objects.get(code=NC) if authority == ref.MOE else authority_unit
    return label, unit, center


def all_centers():
    """Every unit that can review: the 22 bureaus, the K-12 groups, the national center,
    the panel, the circle and the Ministry."""
    centers = list(
        Unit.objects.filter(
            kind__in=[
                UnitKind.COUNTY_BUREAU,
                UnitKind.K12_ADMIN_GROUP,
                UnitKind.NATIONAL_CENTER,
                UnitKind.REVIEW_PANEL,
                UnitKind.WORKING_CIRCLE,
                UnitKind.MOE,
            ]
        ).order_by("code")
    )
    assert sum(c.kind == UnitKind.COUNTY_BUREAU for c in centers) == 22
    assert sum(c.kind == UnitKind.K12_ADMIN_GROUP for c in centers) == 6
    return centers


def test_each_kind_goes_to_its_center_and_only_there(client):
    submitted = {}  # course code → (label, expected center)
    for label, unit, center in [_build(c) for c in CASES] + [
        _build_supervised(c) for c in SUPERVISED
    ]:
        course = make_course(unit, submit=True, name=f"{label}的研習")
        assert course.status == CourseStatus.PENDING, label
        assert course.reviewing_center == center, (
            f"{label}: routed to {course.reviewing_center}, expected {center}"
        )
        submitted[course.code] = (label, center)

    seen: dict[int, list[str]] = {code: [] for code in submitted}
    for center in all_centers():
        client.force_login(StaffFactory(unit=center, role=StaffRole.OPERATOR).user)
        response = client.get("/review/", {"status": "pending"})
        assert response.status_code == 200, center.name
        shown = {row.course.code for row in response.context["rows"]}
        expected = {code for code, (_l, c) in submitted.items() if c == center}
        assert shown == expected, (
            f"{center.name}: shows {sorted(shown)}, expected {sorted(expected)}"
        )
        body = response.content.decode()
        for code in expected:
            assert f'href="/review/{code}/"' in body
        for code in shown:
            seen[code].append(center.name)
    assert all(len(centers) == 1 for centers in seen.values()), seen
