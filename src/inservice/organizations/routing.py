"""Who reviews a unit's courses and attendance lists (附件九 第11條), held as a rule table.

`KIND_RULES` says, per unit kind, where the review goes; units whose reviewer is "their
supervising education authority" read the dated `Supervision` rows (or, for units without
any history, `DEFAULT_AUTHORITY` by kind and ownership). `reviewing_center` answers for one
unit, `units_reviewed_by` builds the same answer as a single query for a whole center.
docs/organizations.md has the table in prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.core.errors import DomainError

from . import reference_data as codes
from .models import Ownership, Supervision, Unit, UnitKind
from .reference import county_bureau, national_center, reference_unit

SOURCE_ONLINE = "online"  # registered on this site (the default)
SOURCE_COUNTY_TRANSMIT = "county_transmit"  # transmitted from a county's own system (第11條 六)
SOURCES = frozenset({SOURCE_ONLINE, SOURCE_COUNTY_TRANSMIT})


class Route(StrEnum):
    NATIONAL_CENTER = "national_center"  # 全國教師在職進修資訊網及全國推廣中心
    REVIEW_PANEL = "review_panel"  # 認可審查小組
    WORKING_CIRCLE = "working_circle"  # 普通型高級中等學校課程推動工作圈
    SELF = "self"  # a center reviews its own courses
    COUNTY_BUREAU = "county_bureau"  # the education bureau of the unit's county
    SUPERVISOR = "supervisor"  # the unit's (dated) supervising education authority


@dataclass(frozen=True)
class Rule:
    route: Route
    basis: str  # where the rule comes from: a clause of 第11條 or a documented decision


KIND_RULES: dict[str, Rule] = {
    # 一、大學校院、師資培育之大學 → 全國推廣中心
    UnitKind.UNIVERSITY: Rule(Route.NATIONAL_CENTER, "第11條第1款"),
    UnitKind.TEACHER_UNIV: Rule(Route.NATIONAL_CENTER, "第11條第1款"),
    # 二、國私立高中、高職、特殊教育學校 → 其教育行政主管機關
    # 四、縣(市)立高中及公私立國中至幼兒園 → 其所屬教育行政主管機關
    UnitKind.SENIOR_HIGH: Rule(Route.SUPERVISOR, "第11條第2款、第4款"),
    UnitKind.VOCATIONAL_HIGH: Rule(Route.SUPERVISOR, "第11條第2款、第4款"),
    UnitKind.SPECIAL_ED_SCHOOL: Rule(Route.SUPERVISOR, "第11條第2款"),
    UnitKind.JUNIOR_HIGH: Rule(Route.SUPERVISOR, "第11條第4款"),
    UnitKind.ELEMENTARY: Rule(Route.SUPERVISOR, "第11條第4款"),
    UnitKind.KINDERGARTEN: Rule(Route.SUPERVISOR, "第11條第4款"),
    # 三、中央及地方教師研習中心 → 其所屬教育行政主管機關
    UnitKind.TRAINING_CENTER: Rule(Route.SUPERVISOR, "第11條第3款"),
    # 五、當然認可者及未成立法人之民間團體 → 全國推廣中心；其餘法人 → 認可審查小組
    UnitKind.RECOGNISED_ORG: Rule(Route.NATIONAL_CENTER, "第11條第5款"),
    UnitKind.UNINCORPORATED_GROUP: Rule(Route.NATIONAL_CENTER, "第11條第5款"),
    UnitKind.LEGAL_PERSON: Rule(Route.REVIEW_PANEL, "第11條第5款"),
    # 七、地方政府機關(衛生局、社會局等)及社區大學 → 該縣市教育局(處)
    UnitKind.LOCAL_AGENCY: Rule(Route.COUNTY_BUREAU, "第11條第7款"),
    UnitKind.COMMUNITY_COLLEGE: Rule(Route.COUNTY_BUREAU, "第11條第7款"),
    # Decisions where 第11條 is silent (docs/organizations.md explains each):
    # non-school experimental education is authorised by the county (實驗教育三法).
    UnitKind.EXPERIMENTAL: Rule(Route.SUPERVISOR, "決定：主管機關(預設為所在縣市)"),
    # subject centers are overseen by the working circle (附件一 肆, 學科中心統計圖表).
    UnitKind.SUBJECT_CENTER: Rule(Route.WORKING_CIRCLE, "決定：工作圈督導學科中心"),
    # 附件一 參一(五)5: the national center reviews central agencies and overseas schools.
    UnitKind.CENTRAL_AGENCY: Rule(Route.NATIONAL_CENTER, "附件一 參一(五)5"),
    UnitKind.OVERSEAS_SCHOOL: Rule(Route.NATIONAL_CENTER, "附件一 參一(五)5"),
    # 計畫書 1-2-3: teacher organisations and education unions are reviewed nationally.
    UnitKind.TEACHER_UNION: Rule(Route.NATIONAL_CENTER, "計畫書 1-2-3"),
    # The centers' own courses.
    UnitKind.MOE: Rule(Route.NATIONAL_CENTER, "決定：教育部課程由全國推廣中心審核"),
    UnitKind.NATIONAL_CENTER: Rule(Route.NATIONAL_CENTER, "決定：全國推廣中心自行審核"),
    UnitKind.K12_ADMIN_GROUP: Rule(Route.SELF, "決定：區管中心自行審核"),
    UnitKind.COUNTY_BUREAU: Rule(Route.SELF, "決定：區管中心自行審核"),
    UnitKind.WORKING_CIRCLE: Rule(Route.SELF, "決定：工作圈自行審核"),
    UnitKind.REVIEW_PANEL: Rule(Route.SELF, "決定：審查小組自行審核"),
}

SUPERVISED_KINDS = frozenset(k for k, r in KIND_RULES.items() if r.route == Route.SUPERVISOR)

# Units that may be a supervising education authority (教育行政主管機關).
AUTHORITY_KINDS = frozenset({UnitKind.MOE, UnitKind.K12_ADMIN_GROUP, UnitKind.COUNTY_BUREAU})

COUNTY = "county"  # DEFAULT_AUTHORITY target: the bureau of the unit's county

# The supervising authority of a unit that has no Supervision history yet, by kind and
# ownership. A missing entry means "no default": the unit needs a Supervision row.
DEFAULT_AUTHORITY: dict[str, dict[str, str]] = {
    UnitKind.SENIOR_HIGH: {
        Ownership.NATIONAL: codes.K12_SENIOR_HIGH,
        Ownership.PRIVATE: codes.K12_SENIOR_HIGH,
        Ownership.MUNICIPAL: COUNTY,
    },
    UnitKind.VOCATIONAL_HIGH: {
        Ownership.NATIONAL: codes.K12_SENIOR_HIGH,
        Ownership.PRIVATE: codes.K12_SENIOR_HIGH,
        Ownership.MUNICIPAL: COUNTY,
    },
    UnitKind.SPECIAL_ED_SCHOOL: {
        Ownership.NATIONAL: codes.K12_INDIGENOUS_SPECIAL,
        Ownership.PRIVATE: codes.K12_INDIGENOUS_SPECIAL,
        Ownership.MUNICIPAL: COUNTY,
    },
    UnitKind.JUNIOR_HIGH: {
        Ownership.NATIONAL: codes.K12_ELEMENTARY_JUNIOR,
        Ownership.PRIVATE: COUNTY,
        Ownership.MUNICIPAL: COUNTY,
    },
    UnitKind.ELEMENTARY: {
        Ownership.NATIONAL: codes.K12_ELEMENTARY_JUNIOR,
        Ownership.PRIVATE: COUNTY,
        Ownership.MUNICIPAL: COUNTY,
    },
    UnitKind.KINDERGARTEN: {
        Ownership.NATIONAL: codes.K12_PRESCHOOL,
        Ownership.PRIVATE: COUNTY,
        Ownership.MUNICIPAL: COUNTY,
    },
    # Local training centers belong to their county; central ones need an explicit row.
    UnitKind.TRAINING_CENTER: {Ownership.MUNICIPAL: COUNTY},
    UnitKind.EXPERIMENTAL: {
        Ownership.PRIVATE: COUNTY,
        Ownership.MUNICIPAL: COUNTY,
        Ownership.NONE: COUNTY,
    },
}


def _today(on: date | None) -> date:
    return on or timezone.localdate()


def _kind_label(unit: Unit) -> str:
    return str(UnitKind(unit.kind).label) if unit.kind in UnitKind.values else unit.kind


def _county_of(unit: Unit):
    if unit.county_id is None:
        raise DomainError(
            _("「%(unit)s」沒有設定所在縣市，無法判斷所屬縣市政府教育局(處)。")
            % {"unit": unit.name},
            code="unit_without_county",
        )
    return unit.county


def default_authority(unit: Unit) -> Unit:
    """The supervising authority implied by kind, ownership and county (no history needed)."""
    if unit.kind not in SUPERVISED_KINDS:
        raise DomainError(
            _("「%(unit)s」是%(kind)s，審核單位依單位類型決定，不登錄主管機關。")
            % {"unit": unit.name, "kind": _kind_label(unit)},
            code="not_supervised",
        )
    target = DEFAULT_AUTHORITY.get(unit.kind, {}).get(unit.ownership)
    if target is None:
        if unit.kind in DEFAULT_AUTHORITY and unit.ownership == Ownership.NONE:
            raise DomainError(
                _("「%(unit)s」沒有設定設立別（國立、縣市立或私立），無法判斷主管機關。")
                % {"unit": unit.name},
                code="unit_without_ownership",
            )
        raise DomainError(
            _("「%(unit)s」（%(kind)s，%(ownership)s）沒有預設的主管機關，請先登錄主管機關歷程。")
            % {
                "unit": unit.name,
                "kind": _kind_label(unit),
                "ownership": Ownership(unit.ownership).label,
            },
            code="no_default_authority",
        )
    if target == COUNTY:
        return county_bureau(_county_of(unit))
    return reference_unit(target)


def supervising_authority(unit: Unit, on: date | None = None) -> Unit:
    """The unit's supervising education authority on `on` (today by default).

    The dated Supervision row covering the day wins; a unit without any row takes
    `default_authority`. A unit with history that does not cover the day is an error, so a
    gap is never silently filled by today's default.
    """
    day = _today(on)
    row = (
        Supervision.objects.on(day)
        .filter(unit=unit)
        .select_related("authority", "authority__county")
        .first()
    )
    if row is not None:
        return row.authority
    if Supervision.objects.filter(unit=unit).exists():
        raise DomainError(
            _("「%(unit)s」在 %(day)s 沒有主管機關紀錄，請補登主管機關歷程。")
            % {"unit": unit.name, "day": day.isoformat()},
            code="supervision_gap",
        )
    return default_authority(unit)


def center_for_authority(authority: Unit) -> Unit:
    """The regional center that acts for a supervising authority (MOE → national center)."""
    if authority.kind == UnitKind.MOE:
        return national_center()
    return authority


def reviewing_center(unit: Unit, *, on: date | None = None, source: str | None = None) -> Unit:
    """The regional center that reviews `unit`'s courses and attendance lists (第11條).

    `on` is the course's date (jurisdiction is dated); `source` is where the course came
    from: None/"online" for this site, "county_transmit" for a county's own system.
    Raises DomainError with the reason when the unit cannot be routed.
    """
    source = source or SOURCE_ONLINE
    if source not in SOURCES:
        raise DomainError(
            _("未知的課程資料來源「%(source)s」。") % {"source": source}, code="unknown_source"
        )
    if source == SOURCE_COUNTY_TRANSMIT:
        county = _county_of(unit)
        if not county.transmits_own_data:
            raise DomainError(
                _("%(county)s未採用自有系統傳報研習資料，「%(unit)s」的課程不能以縣市傳報送審。")
                % {"county": county.name, "unit": unit.name},
                code="county_does_not_transmit",
            )
        return county_bureau(county)

    rule = KIND_RULES.get(unit.kind)
    if rule is None:
        raise DomainError(
            _("「%(unit)s」的單位類型「%(kind)s」沒有對應的審核單位。")
            % {"unit": unit.name, "kind": unit.kind},
            code="unroutable_kind",
        )
    if rule.route == Route.NATIONAL_CENTER:
        return national_center()
    if rule.route == Route.REVIEW_PANEL:
        return reference_unit(codes.REVIEW_PANEL)
    if rule.route == Route.WORKING_CIRCLE:
        return reference_unit(codes.WORKING_CIRCLE)
    if rule.route == Route.SELF:
        return unit
    if rule.route == Route.COUNTY_BUREAU:
        return county_bureau(_county_of(unit))
    return center_for_authority(supervising_authority(unit, on))


def is_within_reach(center: Unit, unit: Unit, on: date | None = None) -> bool:
    """Does `center` review `unit` (on `on`)? Unroutable units are within nobody's reach."""
    try:
        return reviewing_center(unit, on=on).pk == center.pk
    except DomainError:
        return False


def _kinds(route: Route) -> list[str]:
    return [str(k) for k, r in KIND_RULES.items() if r.route == route]


def units_reviewed_by(
    center: Unit, on: date | None = None, *, source: str | None = None
) -> QuerySet[Unit]:
    """Every unit whose reviewing center on `on` is `center`, as one query.

    Agrees with `reviewing_center` unit by unit (tests/organizations check it); includes
    inactive units, whose old courses still need a reviewer; filter `is_active` as needed.
    """
    day = _today(on)
    source = source or SOURCE_ONLINE
    if source not in SOURCES:
        raise DomainError(
            _("未知的課程資料來源「%(source)s」。") % {"source": source}, code="unknown_source"
        )
    if source == SOURCE_COUNTY_TRANSMIT:
        if center.kind == UnitKind.COUNTY_BUREAU and center.county_id:
            return Unit.objects.filter(county_id=center.county_id, county__transmits_own_data=True)
        return Unit.objects.none()

    parts: list[Q] = []
    if center.code == codes.NATIONAL_CENTER:
        parts.append(Q(kind__in=_kinds(Route.NATIONAL_CENTER)))
    if center.code == codes.REVIEW_PANEL:
        parts.append(Q(kind__in=_kinds(Route.REVIEW_PANEL)))
    if center.code == codes.WORKING_CIRCLE:
        parts.append(Q(kind__in=_kinds(Route.WORKING_CIRCLE)))
    if center.kind in _kinds(Route.SELF):
        parts.append(Q(pk=center.pk))
    if center.kind == UnitKind.COUNTY_BUREAU and center.county_id:
        parts.append(Q(kind__in=_kinds(Route.COUNTY_BUREAU), county_id=center.county_id))

    # Supervised kinds, by the dated row covering the day …
    if center.code == codes.NATIONAL_CENTER:
        authorities = Q(authority__kind=UnitKind.MOE)
    elif center.kind in AUTHORITY_KINDS and center.kind != UnitKind.MOE:
        authorities = Q(authority=center)
    else:
        authorities = None
    supervised = Q(kind__in=sorted(SUPERVISED_KINDS))
    if authorities is not None:
        row_today = Supervision.objects.on(day).filter(authorities, unit=OuterRef("pk"))
        parts.append(supervised & Exists(row_today))

    # … or, for units without any history, by the default table.
    defaults: list[Q] = []
    for kind, by_ownership in DEFAULT_AUTHORITY.items():
        for ownership, target in by_ownership.items():
            if target == COUNTY:
                if center.kind == UnitKind.COUNTY_BUREAU and center.county_id:
                    defaults.append(Q(kind=kind, ownership=ownership, county_id=center.county_id))
            elif target == center.code:
                defaults.append(Q(kind=kind, ownership=ownership))
    if defaults:
        no_history = ~Exists(Supervision.objects.filter(unit=OuterRef("pk")))
        any_default = defaults[0]
        for q in defaults[1:]:
            any_default |= q
        parts.append(supervised & no_history & any_default)

    if not parts:
        return Unit.objects.none()
    combined = parts[0]
    for q in parts[1:]:
        combined |= q
    return Unit.objects.filter(combined)
