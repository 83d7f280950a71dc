"""Look-ups of the reference units by their stable codes (see reference_data.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from inservice.core.errors import DomainError, ValidationFailed

from . import reference_data as codes
from .models import County, Unit, UnitKind


def reference_unit(code: str) -> Unit:
    try:
        return Unit.objects.select_related("county").get(code=code)
    except Unit.DoesNotExist:
        raise DomainError(
            _("系統缺少參考單位「%(code)s」，請執行 manage.py load_reference_units。")
            % {"code": code},
            code="missing_reference_unit",
        )


def moe() -> Unit:
    return reference_unit(codes.MOE)


def national_center() -> Unit:
    return reference_unit(codes.NATIONAL_CENTER)


def k12_admin() -> Unit:
    return reference_unit(codes.K12_ADMIN)


def k12_senior_high_group() -> Unit:
    return reference_unit(codes.K12_SENIOR_HIGH)


def k12_elementary_junior_group() -> Unit:
    return reference_unit(codes.K12_ELEMENTARY_JUNIOR)


def k12_preschool_group() -> Unit:
    return reference_unit(codes.K12_PRESCHOOL)


def k12_indigenous_special_group() -> Unit:
    return reference_unit(codes.K12_INDIGENOUS_SPECIAL)


def k12_student_affairs_group() -> Unit:
    return reference_unit(codes.K12_STUDENT_AFFAIRS)


def review_panel() -> Unit:
    return reference_unit(codes.REVIEW_PANEL)


def working_circle() -> Unit:
    return reference_unit(codes.WORKING_CIRCLE)


def county_bureau(county: County) -> Unit:
    """The education bureau (教育局/處) of `county`."""
    try:
        return Unit.objects.select_related("county").get(kind=UnitKind.COUNTY_BUREAU, county=county)
    except Unit.DoesNotExist:
        raise DomainError(
            _("「%(county)s」沒有登錄縣市政府教育局(處)，無法判斷審核單位。")
            % {"county": county.name},
            code="missing_county_bureau",
        )


def county_by_code(code: str) -> County:
    try:
        return County.objects.get(code=code)
    except County.DoesNotExist:
        raise ValidationFailed(
            _("找不到縣市代碼「%(code)s」。") % {"code": code},
            code="unknown_county",
            field="county",
        )
