"""Reference data: the 22 counties and the units that run the network (附件一, 第11條).

This module is plain data plus one idempotent installer that works on historical models
(`apps.get_model`), so the data migration and the `load_reference_units` command share it.
Changing a row here needs a new data migration that calls `install(apps)` again.

Unit codes are stable and documented in docs/organizations.md; other code refers to them
through `inservice.organizations.reference`, never by name.
"""

from __future__ import annotations

# (MOI administrative code, name, transmits its own data 第11條 六) in the order of domain.md.
# The five "資料庫互傳" counties of 玖 二 (一) 1 (2) transmit from their own systems.
COUNTIES: tuple[tuple[str, str, bool], ...] = (
    ("65000", "新北市", True),
    ("63000", "臺北市", True),
    ("68000", "桃園市", True),
    ("66000", "臺中市", False),
    ("67000", "臺南市", True),
    ("64000", "高雄市", False),
    ("10002", "宜蘭縣", False),
    ("10004", "新竹縣", False),
    ("10005", "苗栗縣", False),
    ("10007", "彰化縣", False),
    ("10008", "南投縣", False),
    ("10009", "雲林縣", False),
    ("10010", "嘉義縣", False),
    ("10013", "屏東縣", False),
    ("10014", "臺東縣", False),
    ("10015", "花蓮縣", False),
    ("10016", "澎湖縣", False),
    ("10017", "基隆市", False),
    ("10018", "新竹市", True),
    ("10020", "嘉義市", False),
    ("09020", "金門縣", False),
    ("09007", "連江縣", False),
)

# The six special municipalities (直轄市) name their bureau 教育局; every county and
# provincial city names it 教育處 (seed 玖 一 (一): 屏東縣政府教育處 … 新竹縣政府教育處).
MUNICIPALITIES = frozenset({"63000", "64000", "65000", "66000", "67000", "68000"})

MOE = "MOE"
NATIONAL_CENTER = "NKNU-NC"
K12_ADMIN = "K12EA"
K12_SENIOR_HIGH = "K12EA-HS"
K12_ELEMENTARY_JUNIOR = "K12EA-EJ"
K12_PRESCHOOL = "K12EA-PS"
K12_INDIGENOUS_SPECIAL = "K12EA-IS"
K12_STUDENT_AFFAIRS = "K12EA-SA"
REVIEW_PANEL = "REVIEW-PANEL"
WORKING_CIRCLE = "WORKING-CIRCLE"
COUNTY_BUREAU_PREFIX = "EDU-"


def county_bureau_code(county_code: str) -> str:
    return COUNTY_BUREAU_PREFIX + county_code


def county_bureau_name(county_code: str, county_name: str) -> str:
    office = "教育局" if county_code in MUNICIPALITIES else "教育處"
    return f"{county_name}政府{office}"


K12_NAME = "教育部國民及學前教育署"
K12_GROUPS = (
    (K12_SENIOR_HIGH, "高級中等教育組"),
    (K12_ELEMENTARY_JUNIOR, "國中小教育組"),
    (K12_PRESCHOOL, "學前教育組"),
    (K12_INDIGENOUS_SPECIAL, "原民特教組"),
    (K12_STUDENT_AFFAIRS, "學務校安組"),
)
PANEL_NAME = "社會教育機構或法人辦理高級中等以下學校及幼兒園教師進修認可審查小組"

# (code, name, kind, ownership, parent code), parents first.
UNITS: tuple[tuple[str, str, str, str, str | None], ...] = (
    (MOE, "教育部", "moe", "national", None),
    (NATIONAL_CENTER, "國立高雄師範大學全國推廣中心", "national_center", "national", None),
    (K12_ADMIN, K12_NAME, "k12_admin_group", "national", MOE),
    *(
        (code, K12_NAME + group, "k12_admin_group", "national", K12_ADMIN)
        for code, group in K12_GROUPS
    ),
    (REVIEW_PANEL, PANEL_NAME, "review_panel", "none", None),
    (WORKING_CIRCLE, "普通型高級中等學校課程推動工作圈", "working_circle", "none", None),
)


def install(apps) -> None:
    """Create or update the reference counties and units; safe to run again."""
    County = apps.get_model("organizations", "County")
    Unit = apps.get_model("organizations", "Unit")

    for order, (code, name, transmits) in enumerate(COUNTIES, start=1):
        County.objects.update_or_create(
            code=code,
            defaults={"name": name, "sort_order": order, "transmits_own_data": transmits},
        )

    by_code = {}
    for code, name, kind, ownership, parent_code in UNITS:
        by_code[code], _created = Unit.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "ownership": ownership,
                "county": None,
                "parent": by_code.get(parent_code) if parent_code else None,
                "is_active": True,
            },
        )

    for county in County.objects.filter(code__in=[c[0] for c in COUNTIES]):
        Unit.objects.update_or_create(
            code=county_bureau_code(county.code),
            defaults={
                "name": county_bureau_name(county.code, county.name),
                "kind": "county_bureau",
                "ownership": "municipal",
                "county": county,
                "parent": None,
                "is_active": True,
            },
        )
