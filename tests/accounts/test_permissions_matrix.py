"""The permission matrix of 附件一 肆 and the role rules of 參三(三)1, cell by cell.

The expected tables below are transcribed from the seed independently of
`inservice.accounts.permissions`, so a wrong cell there fails here. Every check goes through
`can()` with a real user in a real unit of the column's kind.
"""

import pytest

from inservice.accounts.models import StaffRole, StaffStatus
from inservice.accounts.permissions import (
    FUNCTION_GROUPS,
    FUNCTION_LABELS,
    KIND_COLUMN,
    MATRIX,
    ROLE_RULES,
    Column,
    Function,
    allowed_functions,
    can,
    column_for,
    users_who_can,
)
from inservice.organizations.models import UnitKind
from tests.factories import TeacherFactory, UnitFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

# 附件一 肆, as printed: columns 教育部, 國立高雄師範大學, 國教署, 縣市教育局(處), 工作圈,
# 師資培育之大學, 高級中等以下學校及幼兒園, 社教與法人機構, 非學校型態實驗教育機構, 學科中心.
COLUMNS = [
    Column.MOE,
    Column.NATIONAL_CENTER,
    Column.K12_ADMIN,
    Column.COUNTY,
    Column.WORKING_CIRCLE,
    Column.TEACHER_UNIV,
    Column.SCHOOL,
    Column.SOCIAL_ORG,
    Column.EXPERIMENTAL,
    Column.SUBJECT_CENTER,
]
SEED_TABLE = """
course_register        ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎
course_manage          ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎
course_review          ◎ ◎ ◎ ◎ ◎ . . . . .
autoreview_settings    ◎ ◎ ◎ ◎ ◎ . . . . .
autoreview_browse      ◎ ◎ ◎ ◎ ◎ . . . . .
own_course_list        ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎
own_staff_accounts     ◎ ◎ ◎ ◎ ◎ . ◎ . ◎ .
subordinate_accounts   . ◎ ◎ ◎ ◎ . . . . .
own_teacher_accounts   . . . . . . ◎ . ◎ .
teacher_data_entry     . . . . . . ◎ . ◎ .
edit_unit_contact      ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎
edit_profile           ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎
change_password        ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎ ◎
stats_national         ◎ ◎ . . . . . . . .
stats_county           . ◎ ◎ ◎ . . . . . .
stats_own_school       . ◎ . . . ◎ ◎ ◎ ◎ .
stats_subject_centers  . . . . ◎ . . . . .
"""
# own_teacher_accounts is not a row of 肆; 參三(三)5–6 gives it to the units that keep
# teacher rosters, the same columns as 教師資料登錄.

EXPECTED: dict[tuple[Function, Column], bool] = {}
for line in SEED_TABLE.strip().splitlines():
    name, *marks = line.split()
    assert len(marks) == len(COLUMNS), line
    for column, mark in zip(COLUMNS, marks, strict=True):
        EXPECTED[(Function(name), column)] = mark == "◎"

# 參三(三)1: chief = everything; contact = all but 本單位業務帳號管理; operator = courses,
# upload, statistics (plus what every account has: own profile and password, own course
# list, unit contact data, review work in a center). 2023: only chiefs set auto-review.
ROLE_DENIED = {
    StaffRole.CHIEF: set(),
    StaffRole.CONTACT: {Function.OWN_STAFF_ACCOUNTS, Function.AUTOREVIEW_SETTINGS},
    StaffRole.OPERATOR: {
        Function.OWN_STAFF_ACCOUNTS,
        Function.SUBORDINATE_ACCOUNTS,
        Function.OWN_TEACHER_ACCOUNTS,
        Function.TEACHER_DATA_ENTRY,
        Function.AUTOREVIEW_SETTINGS,
    },
}

# One representative kind per column (every kind's column is checked separately below).
COLUMN_KIND = {
    Column.MOE: UnitKind.MOE,
    Column.NATIONAL_CENTER: UnitKind.NATIONAL_CENTER,
    Column.K12_ADMIN: UnitKind.K12_ADMIN_GROUP,
    Column.COUNTY: UnitKind.COUNTY_BUREAU,
    Column.WORKING_CIRCLE: UnitKind.WORKING_CIRCLE,
    Column.TEACHER_UNIV: UnitKind.TEACHER_UNIV,
    Column.SCHOOL: UnitKind.ELEMENTARY,
    Column.SOCIAL_ORG: UnitKind.RECOGNISED_ORG,
    Column.EXPERIMENTAL: UnitKind.EXPERIMENTAL,
    Column.SUBJECT_CENTER: UnitKind.SUBJECT_CENTER,
}

EXPECTED_KIND_COLUMN = {
    UnitKind.MOE: Column.MOE,
    UnitKind.NATIONAL_CENTER: Column.NATIONAL_CENTER,
    UnitKind.K12_ADMIN_GROUP: Column.K12_ADMIN,
    UnitKind.COUNTY_BUREAU: Column.COUNTY,
    UnitKind.WORKING_CIRCLE: Column.WORKING_CIRCLE,
    UnitKind.REVIEW_PANEL: Column.WORKING_CIRCLE,
    UnitKind.TEACHER_UNIV: Column.TEACHER_UNIV,
    UnitKind.UNIVERSITY: Column.TEACHER_UNIV,
    UnitKind.SENIOR_HIGH: Column.SCHOOL,
    UnitKind.VOCATIONAL_HIGH: Column.SCHOOL,
    UnitKind.JUNIOR_HIGH: Column.SCHOOL,
    UnitKind.ELEMENTARY: Column.SCHOOL,
    UnitKind.KINDERGARTEN: Column.SCHOOL,
    UnitKind.SPECIAL_ED_SCHOOL: Column.SCHOOL,
    UnitKind.TRAINING_CENTER: Column.SCHOOL,
    UnitKind.OVERSEAS_SCHOOL: Column.SCHOOL,
    UnitKind.EXPERIMENTAL: Column.EXPERIMENTAL,
    UnitKind.SUBJECT_CENTER: Column.SUBJECT_CENTER,
    UnitKind.RECOGNISED_ORG: Column.SOCIAL_ORG,
    UnitKind.UNINCORPORATED_GROUP: Column.SOCIAL_ORG,
    UnitKind.LEGAL_PERSON: Column.SOCIAL_ORG,
    UnitKind.LOCAL_AGENCY: Column.SOCIAL_ORG,
    UnitKind.COMMUNITY_COLLEGE: Column.SOCIAL_ORG,
    UnitKind.CENTRAL_AGENCY: Column.SOCIAL_ORG,
    UnitKind.TEACHER_UNION: Column.SOCIAL_ORG,
}

CELLS = [(f, c) for f in Function for c in COLUMNS]


def _cell_id(value):
    return str(value)


def test_expected_table_covers_every_function_and_column():
    assert {f for f, _ in EXPECTED} == set(Function)
    assert len(EXPECTED) == len(Function) * len(Column)


@pytest.mark.parametrize(("function", "column"), CELLS, ids=_cell_id)
def test_matrix_cell_matches_seed(function, column):
    assert (column in MATRIX[function]) is EXPECTED[(function, column)]


@pytest.mark.parametrize(("function", "column"), CELLS, ids=_cell_id)
def test_chief_of_each_column_gets_exactly_the_matrix_cell(function, column):
    unit = UnitFactory(kind=COLUMN_KIND[column])
    chief = make_staff(unit, StaffRole.CHIEF)
    assert can(chief.user, function) is EXPECTED[(function, column)]


@pytest.mark.parametrize("role", [StaffRole.CONTACT, StaffRole.OPERATOR], ids=str)
@pytest.mark.parametrize(("function", "column"), CELLS, ids=_cell_id)
def test_role_rules_narrow_the_matrix(function, column, role):
    unit = UnitFactory(kind=COLUMN_KIND[column])
    staff = make_staff(unit, role)
    expected = EXPECTED[(function, column)] and function not in ROLE_DENIED[role]
    assert can(staff.user, function) is expected


@pytest.mark.parametrize("function", list(Function), ids=str)
def test_role_rules_table(function):
    for role, denied in ROLE_DENIED.items():
        assert (function not in denied) is (
            ROLE_RULES.get(function) is None or role in ROLE_RULES[function]
        ), (function, role)


@pytest.mark.parametrize("kind", list(UnitKind), ids=str)
def test_every_unit_kind_has_its_column(kind):
    assert KIND_COLUMN[kind] == EXPECTED_KIND_COLUMN[kind]
    assert column_for(kind) == EXPECTED_KIND_COLUMN[kind]


@pytest.mark.parametrize("kind", list(UnitKind), ids=str)
def test_chief_of_every_kind_follows_its_column(kind):
    chief = make_staff(UnitFactory(kind=kind))
    column = EXPECTED_KIND_COLUMN[kind]
    got = {f for f in Function if can(chief.user, f)}
    assert got == {f for f in Function if EXPECTED[(f, column)]}


INACTIVE_CASES = [
    ("pending", {"status": StaffStatus.PENDING}),
    ("rejected", {"status": StaffStatus.REJECTED}),
    ("deactivated", {"status": StaffStatus.DEACTIVATED}),
    ("active_profile_login_disabled", {"status": StaffStatus.ACTIVE, "is_active": False}),
]


@pytest.mark.parametrize(("label", "fields"), INACTIVE_CASES, ids=[c[0] for c in INACTIVE_CASES])
@pytest.mark.parametrize("column", [Column.NATIONAL_CENTER, Column.SCHOOL], ids=str)
def test_unusable_staff_get_nothing(label, fields, column):
    fields = dict(fields)
    status = fields.pop("status")
    staff = make_staff(UnitFactory(kind=COLUMN_KIND[column]), StaffRole.CHIEF, status, **fields)
    assert [f for f in Function if can(staff.user, f)] == []
    assert allowed_functions(staff.user) == []


def test_teachers_admins_and_anonymous_get_nothing():
    from django.contrib.auth.models import AnonymousUser

    teacher = TeacherFactory(user=UserFactory()).user
    admin = UserFactory(kind="admin", is_superuser=True, is_staff=True)
    for user in (teacher, admin, AnonymousUser()):
        assert [f for f in Function if can(user, f)] == [], user


def test_a_teacher_login_with_a_staff_profile_is_still_not_staff():
    """`can()` trusts the account kind, not a stray profile row."""
    staff = make_staff(UnitFactory(kind=UnitKind.ELEMENTARY))
    staff.user.kind = "teacher"
    staff.user.save()
    assert [f for f in Function if can(staff.user, f)] == []


@pytest.mark.parametrize("function", list(Function), ids=str)
def test_users_who_can_agrees_with_can(function):
    unit = UnitFactory(kind=UnitKind.COUNTY_BUREAU)
    other = UnitFactory(kind=UnitKind.COUNTY_BUREAU)
    people = [
        make_staff(unit, StaffRole.CHIEF),
        make_staff(unit, StaffRole.CONTACT),
        make_staff(unit, StaffRole.OPERATOR),
        make_staff(unit, StaffRole.CONTACT, StaffStatus.PENDING),
        make_staff(unit, StaffRole.OPERATOR, StaffStatus.DEACTIVATED),
        make_staff(unit, StaffRole.CONTACT, StaffStatus.ACTIVE, is_active=False),
        make_staff(other, StaffRole.CHIEF),
    ]
    expected = {p.user.pk for p in people if p.unit_id == unit.pk and can(p.user, function)}
    assert set(users_who_can(function, unit).values_list("pk", flat=True)) == expected


def test_menu_groups_and_labels_cover_every_function_once():
    listed = [f for _, group in FUNCTION_GROUPS for f in group]
    assert sorted(listed) == sorted(Function)
    assert set(FUNCTION_LABELS) == set(Function)
    assert str(FUNCTION_LABELS[Function.SUBORDINATE_ACCOUNTS]) == "轄下單位帳號管理"
