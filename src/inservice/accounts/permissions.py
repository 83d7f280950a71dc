"""The permission matrix of 附件一 肆 and the in-unit role rules, held as data.

`can()` is the one question every view, service and API asks.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from inservice.organizations.models import UnitKind


class Function(StrEnum):
    COURSE_REGISTER = "course_register"  # 研習課程登錄
    COURSE_MANAGE = "course_manage"  # 研習資料管理上傳
    COURSE_REVIEW = "course_review"  # 研習課程資料確認
    AUTOREVIEW_SETTINGS = "autoreview_settings"  # 自動審核功能設定
    AUTOREVIEW_BROWSE = "autoreview_browse"  # 自動審核瀏覽
    OWN_COURSE_LIST = "own_course_list"  # 本單位研習課程瀏覽
    OWN_STAFF_ACCOUNTS = "own_staff_accounts"  # 本單位帳號管理
    SUBORDINATE_ACCOUNTS = "subordinate_accounts"  # 轄下單位帳號管理
    OWN_TEACHER_ACCOUNTS = "own_teacher_accounts"  # 本單位教師帳號管理 (role rule, 附件一 參三)
    TEACHER_DATA_ENTRY = "teacher_data_entry"  # 教師資料登錄
    EDIT_UNIT_CONTACT = "edit_unit_contact"  # 修改本單位通訊資料
    EDIT_PROFILE = "edit_profile"  # 修改個人基本資料
    CHANGE_PASSWORD = "change_password"  # noqa: S105  變更登入密碼
    STATS_NATIONAL = "stats_national"  # 統計圖表(全國)
    STATS_COUNTY = "stats_county"  # 統計圖表(縣市)
    STATS_OWN_SCHOOL = "stats_own_school"  # 統計圖表(本校)
    STATS_SUBJECT_CENTERS = "stats_subject_centers"  # 學科中心統計圖表


class Column(StrEnum):
    """The ten unit columns of the matrix."""

    MOE = "moe"
    NATIONAL_CENTER = "national_center"
    K12_ADMIN = "k12_admin"
    COUNTY = "county"
    WORKING_CIRCLE = "working_circle"
    TEACHER_UNIV = "teacher_univ"
    SCHOOL = "school"
    SOCIAL_ORG = "social_org"
    EXPERIMENTAL = "experimental"
    SUBJECT_CENTER = "subject_center"


ALL = frozenset(Column)
REVIEWERS = frozenset(
    {Column.MOE, Column.NATIONAL_CENTER, Column.K12_ADMIN, Column.COUNTY, Column.WORKING_CIRCLE}
)

# 附件一 肆, cell by cell (◎ = in the set).
MATRIX: dict[Function, frozenset[Column]] = {
    Function.COURSE_REGISTER: ALL,
    Function.COURSE_MANAGE: ALL,
    Function.COURSE_REVIEW: REVIEWERS,
    Function.AUTOREVIEW_SETTINGS: REVIEWERS,
    Function.AUTOREVIEW_BROWSE: REVIEWERS,
    Function.OWN_COURSE_LIST: ALL,
    Function.OWN_STAFF_ACCOUNTS: REVIEWERS | {Column.SCHOOL, Column.EXPERIMENTAL},
    Function.SUBORDINATE_ACCOUNTS: REVIEWERS - {Column.MOE},
    Function.OWN_TEACHER_ACCOUNTS: frozenset({Column.SCHOOL, Column.EXPERIMENTAL}),
    Function.TEACHER_DATA_ENTRY: frozenset({Column.SCHOOL, Column.EXPERIMENTAL}),
    Function.EDIT_UNIT_CONTACT: ALL,
    Function.EDIT_PROFILE: ALL,
    Function.CHANGE_PASSWORD: ALL,
    Function.STATS_NATIONAL: frozenset({Column.MOE, Column.NATIONAL_CENTER}),
    Function.STATS_COUNTY: frozenset({Column.NATIONAL_CENTER, Column.K12_ADMIN, Column.COUNTY}),
    Function.STATS_OWN_SCHOOL: frozenset(
        {
            Column.NATIONAL_CENTER,
            Column.TEACHER_UNIV,
            Column.SCHOOL,
            Column.SOCIAL_ORG,
            Column.EXPERIMENTAL,
        }
    ),
    Function.STATS_SUBJECT_CENTERS: frozenset({Column.WORKING_CIRCLE}),
}

# Which matrix column a detailed unit kind falls under. Kinds the matrix does not name
# take the column of the unit type they resemble most (see docs/authorization.md).
KIND_COLUMN: dict[str, Column] = {
    UnitKind.MOE: Column.MOE,
    UnitKind.NATIONAL_CENTER: Column.NATIONAL_CENTER,
    UnitKind.K12_ADMIN_GROUP: Column.K12_ADMIN,
    UnitKind.COUNTY_BUREAU: Column.COUNTY,
    UnitKind.REVIEW_PANEL: Column.WORKING_CIRCLE,
    UnitKind.WORKING_CIRCLE: Column.WORKING_CIRCLE,
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

# In-unit role rules (附件一 參三(三)1 and the 2023 auto-review rule): functions limited to
# some roles. A function not listed here is open to every role the matrix allows.
ROLE_RULES: dict[Function, frozenset[str]] = {
    Function.OWN_STAFF_ACCOUNTS: frozenset({"chief"}),
    Function.SUBORDINATE_ACCOUNTS: frozenset({"chief", "contact"}),
    Function.OWN_TEACHER_ACCOUNTS: frozenset({"chief", "contact"}),
    Function.TEACHER_DATA_ENTRY: frozenset({"chief", "contact"}),
    Function.AUTOREVIEW_SETTINGS: frozenset({"chief"}),
}


# The names of 附件一 肆, grouped as its rows are, for menus and documentation.
FUNCTION_LABELS: dict[Function, str] = {
    Function.COURSE_REGISTER: _("研習課程登錄"),
    Function.COURSE_MANAGE: _("研習資料管理上傳"),
    Function.COURSE_REVIEW: _("研習課程資料確認"),
    Function.AUTOREVIEW_SETTINGS: _("自動審核功能設定"),
    Function.AUTOREVIEW_BROWSE: _("自動審核瀏覽"),
    Function.OWN_COURSE_LIST: _("本單位研習課程瀏覽"),
    Function.OWN_STAFF_ACCOUNTS: _("本單位帳號管理"),
    Function.SUBORDINATE_ACCOUNTS: _("轄下單位帳號管理"),
    Function.OWN_TEACHER_ACCOUNTS: _("本單位教師帳號管理"),
    Function.TEACHER_DATA_ENTRY: _("教師資料登錄"),
    Function.EDIT_UNIT_CONTACT: _("修改本單位通訊資料"),
    Function.EDIT_PROFILE: _("修改個人基本資料"),
    Function.CHANGE_PASSWORD: _("變更登入密碼"),
    Function.STATS_NATIONAL: _("統計圖表(全國)"),
    Function.STATS_COUNTY: _("統計圖表(縣市)"),
    Function.STATS_OWN_SCHOOL: _("統計圖表(本校)"),
    Function.STATS_SUBJECT_CENTERS: _("學科中心統計圖表"),
}

FUNCTION_GROUPS: list[tuple[str, list[Function]]] = [
    (
        _("研習課程"),
        [
            Function.COURSE_REGISTER,
            Function.COURSE_MANAGE,
            Function.COURSE_REVIEW,
            Function.AUTOREVIEW_SETTINGS,
            Function.AUTOREVIEW_BROWSE,
            Function.OWN_COURSE_LIST,
        ],
    ),
    (
        _("帳號管理"),
        [
            Function.OWN_STAFF_ACCOUNTS,
            Function.SUBORDINATE_ACCOUNTS,
            Function.OWN_TEACHER_ACCOUNTS,
            Function.TEACHER_DATA_ENTRY,
        ],
    ),
    (_("機關資料"), [Function.EDIT_UNIT_CONTACT]),
    (_("個人資料"), [Function.EDIT_PROFILE, Function.CHANGE_PASSWORD]),
    (
        _("統計圖表"),
        [
            Function.STATS_NATIONAL,
            Function.STATS_COUNTY,
            Function.STATS_OWN_SCHOOL,
            Function.STATS_SUBJECT_CENTERS,
        ],
    ),
]


def column_for(kind: str) -> Column:
    return KIND_COLUMN[kind]


def unit_allows(kind: str, function: Function) -> bool:
    return column_for(kind) in MATRIX[function]


def role_allows(role: str, function: Function) -> bool:
    allowed = ROLE_RULES.get(function)
    return allowed is None or role in allowed


def usable_staff(user):
    """The user's StaffProfile when it is approved and the login is enabled, else None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.kind != "staff":
        return None
    staff = getattr(user, "staff", None)
    if staff is None or not staff.is_usable:
        return None
    return staff


def can(user, function: Function) -> bool:
    """May this user use `function` for their own unit?

    Object checks (is this course/teacher/unit within the user's reach?) are the caller's
    next step, through the scoping helpers of each app.
    """
    staff = usable_staff(user)
    if staff is None:
        return False
    return unit_allows(staff.unit.kind, function) and role_allows(staff.role, function)


def allowed_functions(user) -> list[Function]:
    """Every function `can()` allows this user, in the order of 附件一 肆."""
    return [f for _label, group in FUNCTION_GROUPS for f in group if can(user, f)]


def users_who_can(function: Function, unit):
    """Users of `unit` for whom `can(user, function)` is true, as one query.

    The same rule as `can()`, written as a filter (tests check the two agree).
    """
    from inservice.accounts.models import StaffStatus, User

    if not unit_allows(unit.kind, function):
        return User.objects.none()
    qs = User.objects.filter(
        kind="staff", is_active=True, staff__unit=unit, staff__status=StaffStatus.ACTIVE
    )
    allowed_roles = ROLE_RULES.get(function)
    if allowed_roles is not None:
        qs = qs.filter(staff__role__in=allowed_roles)
    return qs
