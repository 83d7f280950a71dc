"""Writes on units and their jurisdiction history. Every change is audited."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from inservice.core.audit import log_event
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed

from .models import County, Ownership, Supervision, Unit, UnitKind
from .reference import county_by_code
from .routing import (
    AUTHORITY_KINDS,
    COUNTY,
    DEFAULT_AUTHORITY,
    SUPERVISED_KINDS,
    default_authority,
)

# Jurisdiction history starts with the network (民國 92 年); the authority a unit had before
# its first recorded change is assumed from this day.
HISTORY_START = date(2003, 1, 1)

CONTACT_FIELDS = ("phone", "email", "address", "website")
UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")
RESERVED_CODES = frozenset({"search", "mine"})  # path segments of /units/
PHONE_RE = re.compile(r"^[0-9+()#*,.\- ]*(?:(?:分機|轉|ext\.?|EXT\.?)\s*[0-9]+)?$")

# Kinds whose review goes to "the county": they cannot exist without one.
COUNTY_KINDS = frozenset(
    {UnitKind.COUNTY_BUREAU, UnitKind.LOCAL_AGENCY, UnitKind.COMMUNITY_COLLEGE}
)


def _clean(value) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def _kind_label(kind: str) -> str:
    return str(UnitKind(kind).label)


def _is_unit_admin(actor) -> bool:
    """System processes (actor None), site admins and the national center's staff."""
    if actor is None:
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    staff = getattr(actor, "staff", None) if actor.kind == "staff" else None
    return bool(staff and staff.is_usable and staff.unit.kind == UnitKind.NATIONAL_CENTER)


def _require_unit_admin(actor) -> None:
    if not _is_unit_admin(actor):
        raise PermissionDeniedError(_("只有系統管理者或全國推廣中心可以新增單位或變更主管機關。"))


def _resolve_unit(value, *, field: str) -> Unit:
    if isinstance(value, Unit):
        return value
    code = _clean(value)
    try:
        return Unit.objects.get(code=code)
    except Unit.DoesNotExist:
        raise ValidationFailed(
            _("找不到單位代碼「%(code)s」。") % {"code": code}, code="unknown_unit", field=field
        )


def validate_contact(data: dict) -> dict[str, str]:
    """Normalise and check contact fields; raises ValidationFailed naming the field."""
    unknown = sorted(set(data) - set(CONTACT_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("通訊資料不含欄位：%(fields)s。") % {"fields": "、".join(unknown)},
            code="unknown_field",
        )
    cleaned = {key: _clean(value) for key, value in data.items()}
    phone = cleaned.get("phone")
    if phone:
        if len(phone) > 40:
            raise ValidationFailed(_("電話最多 40 個字元。"), field="phone")
        if not PHONE_RE.match(phone) or sum(ch.isdigit() for ch in phone) < 7:
            raise ValidationFailed(
                _("電話格式不正確：請填區碼與號碼，例如 07-7172930 或 (07)717-2930#1234。"),
                field="phone",
            )
    email = cleaned.get("email")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise ValidationFailed(
                _("電子郵件格式不正確，例如 service@school.edu.tw。"), field="email"
            )
        cleaned["email"] = email.lower()
    website = cleaned.get("website")
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            raise ValidationFailed(
                _("網站須為 http:// 或 https:// 開頭的完整網址。"), field="website"
            )
        if len(website) > 200:
            raise ValidationFailed(_("網址最多 200 個字元。"), field="website")
    address = cleaned.get("address")
    if address and len(address) > 200:
        raise ValidationFailed(_("地址最多 200 個字。"), field="address")
    return cleaned


def _needs_county(kind: str, ownership: str) -> bool:
    return kind in COUNTY_KINDS or DEFAULT_AUTHORITY.get(kind, {}).get(ownership) == COUNTY


@transaction.atomic
def create_unit(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    ownership: str = Ownership.NONE,
    county: County | str | None = None,
    parent: Unit | str | None = None,
    **contact,
) -> Unit:
    """Add a unit to the directory (site admins, the national center, system jobs)."""
    _require_unit_admin(actor)
    code = _clean(code)
    name = _clean(name)
    if not UNIT_CODE_RE.match(code):
        raise ValidationFailed(
            _("單位代碼須為 1 到 20 個英文字母、數字或連字號，且以字母或數字開頭。"),
            field="code",
        )
    if code.lower() in RESERVED_CODES:
        raise ValidationFailed(
            _("單位代碼「%(code)s」是系統保留字，請改用其他代碼。") % {"code": code},
            field="code",
        )
    existing = Unit.objects.filter(code=code).first()
    if existing is not None:
        raise ValidationFailed(
            _("單位代碼「%(code)s」已被「%(name)s」使用。") % {"code": code, "name": existing.name},
            code="duplicate_code",
            field="code",
        )
    if not name:
        raise ValidationFailed(_("請填寫單位名稱。"), field="name")
    if len(name) > 120:
        raise ValidationFailed(_("單位名稱最多 120 個字。"), field="name")
    if kind not in UnitKind.values:
        raise ValidationFailed(_("未知的單位類型「%(kind)s」。") % {"kind": kind}, field="kind")
    if ownership not in Ownership.values:
        raise ValidationFailed(
            _("未知的設立別「%(ownership)s」。") % {"ownership": ownership}, field="ownership"
        )
    if isinstance(county, str):
        county = county_by_code(_clean(county)) if _clean(county) else None
    if county is None and _needs_county(kind, ownership):
        raise ValidationFailed(
            _("%(kind)s須設定所在縣市，才能判斷審核單位。") % {"kind": _kind_label(kind)},
            field="county",
        )
    if kind == UnitKind.COUNTY_BUREAU:
        bureau = Unit.objects.filter(kind=UnitKind.COUNTY_BUREAU, county=county).first()
        if bureau is not None:
            raise ValidationFailed(
                _("%(county)s已有教育局(處)「%(name)s」。")
                % {"county": county.name, "name": bureau.name},
                field="kind",
            )
    if parent is not None and not isinstance(parent, Unit):
        parent = _resolve_unit(parent, field="parent") if _clean(parent) else None
    cleaned_contact = validate_contact(contact)

    unit = Unit.objects.create(
        code=code,
        name=name,
        kind=kind,
        ownership=ownership,
        county=county,
        parent=parent,
        **cleaned_contact,
    )
    log_event(
        "unit.created",
        actor=actor,
        obj=unit,
        after={
            "code": code,
            "name": name,
            "kind": kind,
            "ownership": ownership,
            "county": county.code if county else None,
            "parent": parent.code if parent else None,
            **cleaned_contact,
        },
    )
    return unit


def can_edit_contact(actor, unit: Unit) -> bool:
    """Site admins, or usable staff of this very unit allowed EDIT_UNIT_CONTACT (附件一 肆)."""
    from inservice.accounts.permissions import Function, can

    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    staff = getattr(actor, "staff", None) if actor.kind == "staff" else None
    return bool(staff and staff.unit_id == unit.pk and can(actor, Function.EDIT_UNIT_CONTACT))


@transaction.atomic
def update_unit_contact(*, actor, unit: Unit, data: dict) -> Unit:
    """Change a unit's public contact data (phone, email, address, website)."""
    if not can_edit_contact(actor, unit):
        raise PermissionDeniedError(_("您只能修改自己所屬單位的通訊資料。"))
    cleaned = validate_contact(data)
    locked = Unit.objects.select_for_update().get(pk=unit.pk)
    before, after = {}, {}
    for field, value in cleaned.items():
        if getattr(locked, field) != value:
            before[field] = getattr(locked, field)
            after[field] = value
            setattr(locked, field, value)
    if after:
        locked.save(update_fields=[*after, "updated_at"])
        log_event("unit.contact_updated", actor=actor, obj=locked, before=before, after=after)
    for field in CONTACT_FIELDS:
        setattr(unit, field, getattr(locked, field))
    return locked


def check_supervision_change(unit: Unit, authority: Unit, valid_from: date) -> None:
    """The rules of a jurisdiction change, without writing (also used by the admin form)."""
    if unit.kind not in SUPERVISED_KINDS:
        raise ValidationFailed(
            _("%(kind)s的審核單位依單位類型決定，不登錄主管機關。")
            % {"kind": _kind_label(unit.kind)},
            field="unit",
        )
    if authority.kind not in AUTHORITY_KINDS:
        raise ValidationFailed(
            _("「%(name)s」不是教育行政主管機關；請選擇教育部、國教署或縣市政府教育局(處)。")
            % {"name": authority.name},
            field="authority",
        )
    if not authority.is_active:
        raise ValidationFailed(
            _("主管機關「%(name)s」已停用。") % {"name": authority.name}, field="authority"
        )
    if valid_from is None:
        raise ValidationFailed(_("請填寫生效日。"), field="valid_from")
    last = unit.supervisions.select_related("authority").order_by("-valid_from").first()
    if last is None:
        return
    if last.valid_to is None:
        if valid_from <= last.valid_from:
            raise ValidationFailed(
                _(
                    "生效日 %(day)s 與現有紀錄重疊："
                    "須晚於目前主管機關「%(name)s」的生效日 %(since)s。"
                )
                % {
                    "day": valid_from.isoformat(),
                    "name": last.authority.name,
                    "since": last.valid_from.isoformat(),
                },
                code="overlap",
                field="valid_from",
            )
        if last.authority_id == authority.pk:
            raise ValidationFailed(
                _("主管機關未變更：「%(unit)s」目前已由「%(name)s」主管。")
                % {"unit": unit.name, "name": authority.name},
                code="unchanged",
                field="authority",
            )
    elif valid_from <= last.valid_to:
        raise ValidationFailed(
            _("生效日 %(day)s 與現有紀錄重疊：須晚於最後一筆紀錄的終止日 %(until)s。")
            % {"day": valid_from.isoformat(), "until": last.valid_to.isoformat()},
            code="overlap",
            field="valid_from",
        )


@transaction.atomic
def change_supervision(
    *,
    actor,
    unit: Unit,
    authority: Unit,
    valid_from: date,
    note: str = "",
    ownership: str | None = None,
) -> Supervision:
    """Record a jurisdiction change: close the open row the day before, open a new one.

    A unit without history first gets a closed row for the authority it had so far (the
    default by kind/ownership, from HISTORY_START), so earlier dates keep resolving to it.
    Pass `ownership` when the change also changes it (e.g. 國立 → 市立 in Taichung 2017).
    """
    _require_unit_admin(actor)
    unit = Unit.objects.select_for_update(of=("self",)).select_related("county").get(pk=unit.pk)
    if ownership is not None and ownership not in Ownership.values:
        raise ValidationFailed(
            _("未知的設立別「%(ownership)s」。") % {"ownership": ownership}, field="ownership"
        )
    check_supervision_change(unit, authority, valid_from)
    note = _clean(note)[:200]

    before = None
    implied = None
    last = unit.supervisions.select_related("authority").order_by("-valid_from").first()
    if last is None:
        try:
            previous = default_authority(unit)
        except DomainError:
            previous = None
        if previous is not None and previous.pk == authority.pk:
            raise ValidationFailed(
                _("主管機關未變更：「%(unit)s」目前已由「%(name)s」主管。")
                % {"unit": unit.name, "name": authority.name},
                code="unchanged",
                field="authority",
            )
        if previous is not None and valid_from > HISTORY_START:
            implied = Supervision.objects.create(
                unit=unit,
                authority=previous,
                valid_from=HISTORY_START,
                valid_to=valid_from - timedelta(days=1),
                note=_("系統依單位類型與設立別推定的原主管機關"),
            )
            before = {"authority": previous.code, "valid_from": HISTORY_START}
    elif last.valid_to is None:
        before = {"authority": last.authority.code, "valid_from": last.valid_from}
        last.valid_to = valid_from - timedelta(days=1)
        last.save(update_fields=["valid_to"])

    row = Supervision.objects.create(
        unit=unit, authority=authority, valid_from=valid_from, note=note
    )
    data = {"note": note, "implied_previous": implied is not None}
    if ownership is not None and ownership != unit.ownership:
        data["ownership"] = {"before": unit.ownership, "after": ownership}
        unit.ownership = ownership
        unit.save(update_fields=["ownership", "updated_at"])
    log_event(
        "unit.supervision_changed",
        actor=actor,
        obj=unit,
        before=before,
        after={"authority": authority.code, "valid_from": valid_from},
        data=data,
    )
    return row
