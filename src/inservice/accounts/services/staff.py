"""Staff accounts (業務帳號): application, approval, roles inside the unit, idle accounts.

Sources: 附件一 參一(五)1(3)(4), 參二(二)2, 參三(三)1 and 附件九 第4條. The rules, in short:

- Anyone may apply for a staff account of an active unit; it is usable only once approved.
- Who approves (`approval_path`): a contact/operator application goes to the unit's active
  chief when the unit's type has 本單位帳號管理 in the matrix; otherwise (no active chief, or a
  type without it: universities, social institutions, subject centers) to the unit's
  supervising authority. A chief application always goes to the supervising authority.
- The supervising authority (`supervising_path`) of an organizer unit is its regional center
  (`organizations.routing.reviewing_center`); of a regional center, the working circle or the
  review panel it is the national center; of the MOE and the national center it is the site
  administrator. Inside the authority, the staff whose role and unit allow 轄下單位帳號管理 act.
- Site administrators (superusers) may act everywhere: they are the national administrators
  and the last resort when an authority has no staff yet.
- The chief switches contact ↔ operator and (de)activates own-unit staff; the supervising
  authority does the same and is the only one (with site admins) who can make someone chief.
- Idle accounts of universities, agencies and social institutions: no login for two years →
  warning mail; still no login fourteen days later → deactivated (附件九 第4條).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inservice.accounts.models import StaffProfile, StaffRole, StaffStatus, User
from inservice.accounts.permissions import Function, can, users_who_can
from inservice.core.audit import log_event
from inservice.core.errors import (
    DomainError,
    PermissionDeniedError,
    ValidationFailed,
)
from inservice.notifications.services import mail_user
from inservice.organizations.models import Unit, UnitKind

# Regional centers and task units whose own accounts the national center supervises.
CENTER_KINDS = frozenset(
    {
        UnitKind.K12_ADMIN_GROUP,
        UnitKind.COUNTY_BUREAU,
        UnitKind.REVIEW_PANEL,
        UnitKind.WORKING_CIRCLE,
    }
)
# Units whose supervising authority for accounts is the site administrator.
TOP_KINDS = frozenset({UnitKind.MOE, UnitKind.NATIONAL_CENTER})

# 附件九 第4條: 大專院校、機關、社教機構及法人 — idle accounts are warned, then removed.
IDLE_RULE_KINDS = frozenset(
    {
        UnitKind.UNIVERSITY,
        UnitKind.TEACHER_UNIV,
        UnitKind.CENTRAL_AGENCY,
        UnitKind.LOCAL_AGENCY,
        UnitKind.RECOGNISED_ORG,
        UnitKind.LEGAL_PERSON,
        UnitKind.UNINCORPORATED_GROUP,
        UnitKind.TEACHER_UNION,
        UnitKind.COMMUNITY_COLLEGE,
    }
)
IDLE_AFTER_YEARS = 2
IDLE_GRACE = datetime.timedelta(days=14)

CHIEF_IS_AUTHORITYS_ACT = _(
    "總負責人身分之切換須洽所屬教育行政主管機關（區管中心）辦理，單位內無法自行變更。"
)


# --------------------------------------------------------------------------- approval paths


class Approver(StrEnum):
    UNIT_CHIEF = "unit_chief"
    CENTER = "center"
    SITE_ADMIN = "site_admin"


@dataclass(frozen=True)
class ApprovalPath:
    """Who acts: the chief of `unit`, the account managers of center `unit`, or site admins."""

    by: Approver
    unit: Unit | None = None

    @property
    def label(self) -> str:
        if self.by == Approver.UNIT_CHIEF:
            return _("%(unit)s 總負責人") % {"unit": self.unit}
        if self.by == Approver.CENTER:
            return _("%(unit)s（轄下單位帳號管理）") % {"unit": self.unit}
        return _("系統管理者")


def _reviewing_center(unit: Unit) -> Unit | None:
    """The unit's regional center, or None when routing cannot tell (missing data)."""
    from inservice.organizations.routing import reviewing_center

    try:
        return reviewing_center(unit)
    except DomainError:
        return None


def national_center() -> Unit | None:
    from inservice.organizations.reference import national_center as reference_national_center

    try:
        return reference_national_center()
    except DomainError:
        return None


def active_chiefs(unit: Unit):
    return StaffProfile.objects.filter(
        unit=unit, role=StaffRole.CHIEF, status=StaffStatus.ACTIVE, user__is_active=True
    )


def supervising_path(unit: Unit) -> ApprovalPath:
    """Who supervises the staff accounts of `unit` (approves chiefs, appoints a new chief)."""
    if unit.kind in TOP_KINDS:
        return ApprovalPath(Approver.SITE_ADMIN)
    if unit.kind in CENTER_KINDS:
        authority = national_center()
    else:
        authority = _reviewing_center(unit)
    if authority is None or authority.pk == unit.pk:
        return ApprovalPath(Approver.SITE_ADMIN)
    return ApprovalPath(Approver.CENTER, authority)


def _unit_chief_decides(unit: Unit) -> bool:
    return users_who_can(Function.OWN_STAFF_ACCOUNTS, unit).filter(staff__role="chief").exists()


def approval_path(profile: StaffProfile) -> ApprovalPath:
    """Who decides this application (see the module docstring)."""
    if profile.role != StaffRole.CHIEF and _unit_chief_decides(profile.unit):
        return ApprovalPath(Approver.UNIT_CHIEF, profile.unit)
    return supervising_path(profile.unit)


def _path_users(path: ApprovalPath):
    if path.by == Approver.UNIT_CHIEF:
        return users_who_can(Function.OWN_STAFF_ACCOUNTS, path.unit).filter(staff__role="chief")
    if path.by == Approver.CENTER:
        users = users_who_can(Function.SUBORDINATE_ACCOUNTS, path.unit)
        if users.exists():
            return users
    # The site administrators, also the fallback for an authority without account managers.
    return User.objects.filter(is_superuser=True, is_active=True)


def approver_candidates(profile: StaffProfile):
    """The users who decide `profile`'s application (and are mailed about it)."""
    return _path_users(approval_path(profile))


def can_decide(user, profile: StaffProfile) -> bool:
    """The one rule for deciding an application: site admins, or an approver candidate."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.pk == profile.user_id:
        return False
    if user.is_superuser:
        return True
    return approver_candidates(profile).filter(pk=user.pk).exists()


def can_supervise(user, unit: Unit) -> bool:
    """May `user` act as the supervising authority of `unit`'s accounts?"""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    path = supervising_path(unit)
    if path.by != Approver.CENTER:
        return False
    return can(user, Function.SUBORDINATE_ACCOUNTS) and user.staff.unit_id == path.unit.pk


def supervised_units(user):
    """Units whose staff accounts `user` supervises, as a queryset (see `can_supervise`)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    if not can(user, Function.SUBORDINATE_ACCOUNTS):
        return Unit.objects.none()
    from inservice.organizations.routing import units_reviewed_by

    center = user.staff.unit
    units = units_reviewed_by(center).exclude(kind__in=TOP_KINDS | CENTER_KINDS)
    nc = national_center()
    if nc is not None and center.pk == nc.pk:
        units = units | Unit.objects.filter(kind__in=CENTER_KINDS)
    return units


def can_manage(user, profile: StaffProfile) -> bool:
    """May `user` switch roles of / (de)activate `profile`?

    The unit's chief manages the unit's contacts and operators when the unit type has
    本單位帳號管理; the supervising authority manages everyone, chiefs included.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.pk == profile.user_id and not user.is_superuser:
        return False
    if can_supervise(user, profile.unit):
        return True
    if profile.role == StaffRole.CHIEF:
        return False
    return (
        can(user, Function.OWN_STAFF_ACCOUNTS)
        and user.staff.role == StaffRole.CHIEF
        and user.staff.unit_id == profile.unit_id
    )


def applications_for(user, *, limit: int = 500) -> list[StaffProfile]:
    """Pending applications `user` may decide, oldest first."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    pending = (
        StaffProfile.objects.filter(status=StaffStatus.PENDING)
        .select_related("user", "unit")
        .order_by("applied_at", "pk")
    )
    if user.is_superuser:
        return list(pending[:limit])
    found = []
    if can(user, Function.OWN_STAFF_ACCOUNTS) and user.staff.role == StaffRole.CHIEF:
        # The chief decides the unit's contact/operator applications (approval_path agrees:
        # the unit has an active chief holding 本單位帳號管理).
        found = list(pending.filter(unit_id=user.staff.unit_id).exclude(role=StaffRole.CHIEF))
    if not can(user, Function.SUBORDINATE_ACCOUNTS):
        return found[:limit]
    # A center: resolve the path of every other pending application, cached per unit/role.
    center_id = user.staff.unit_id
    paths: dict[tuple[int, bool], ApprovalPath] = {}
    others = pending.exclude(user=user).exclude(pk__in=[p.pk for p in found])
    for profile in others[: limit * 4]:
        key = (profile.unit_id, profile.role == StaffRole.CHIEF)
        if key not in paths:
            paths[key] = approval_path(profile)
        path = paths[key]
        if path.by == Approver.CENTER and path.unit.pk == center_id:
            found.append(profile)
    found.sort(key=lambda p: (p.applied_at, p.pk))
    return found[:limit]


# --------------------------------------------------------------------------- applying


def resolve_unit(code: str) -> Unit:
    """The unit of a typed code; the picker may append the name ("123456 某某國小")."""
    parts = (code or "").split()
    code = parts[0] if parts else ""
    unit = Unit.objects.filter(code__iexact=code).first() if code else None
    if unit is None:
        raise ValidationFailed(
            _("查無單位代碼「%(code)s」，請確認後重新輸入（可至「單位查詢」查詢代碼）。")
            % {"code": code},
            field="unit_code",
        )
    if not unit.is_active:
        raise ValidationFailed(
            _("「%(unit)s」已裁併或停用，無法申請業務帳號。") % {"unit": unit.name},
            field="unit_code",
        )
    return unit


def _lock_unit(unit: Unit) -> Unit:
    """Serialises everything that could give a unit two active chiefs."""
    return Unit.objects.select_for_update().get(pk=unit.pk)


def _refuse_second_chief(unit: Unit, *, except_profile: StaffProfile | None = None):
    chiefs = active_chiefs(unit)
    if except_profile is not None:
        chiefs = chiefs.exclude(pk=except_profile.pk)
    if chiefs.exists():
        raise DomainError(
            _(
                "「%(unit)s」已有啟用中的總負責人，一個單位只能有一位總負責人。"
                "請改以連絡人或作業人員身分申請；如需更換總負責人，請洽所屬區管中心。"
            )
            % {"unit": unit.name},
            code="chief_exists",
            field="role",
        )


def _check_password(password: str, user: User):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password")


def _notify_approvers(profile: StaffProfile):
    path = approval_path(profile)
    for approver in _path_users(path):
        if approver.email:
            mail_user(approver, "staff_approval_requested", {"profile": profile, "path": path})
    return path


@transaction.atomic
def apply_for_staff_account(
    *,
    actor=None,
    unit_code: str,
    role: str,
    real_name: str,
    username: str,
    email: str,
    password: str,
    phone: str = "",
    job_title: str = "",
) -> StaffProfile:
    """Create a pending staff account, or re-open the applicant's rejected/deactivated one.

    Re-application: someone whose account was rejected or deactivated (for example as idle)
    applies again with the same username and its password; the account keeps its
    identifier and history and returns to pending. Anyone else must choose a new username.
    """
    unit = resolve_unit(unit_code)
    if role not in StaffRole.values:
        raise ValidationFailed(_("請選擇帳號類別。"), field="role")
    username = (username or "").strip()
    unit = _lock_unit(unit)
    if role == StaffRole.CHIEF:
        _refuse_second_chief(unit)

    existing = User.objects.select_for_update().filter(username__iexact=username).first()
    if existing is not None:
        return _reapply(
            existing,
            password=password,
            unit=unit,
            role=role,
            real_name=real_name,
            email=email,
            phone=phone,
            job_title=job_title,
        )

    user = User(
        username=username,
        kind=User.Kind.STAFF,
        real_name=real_name.strip(),
        email=email.strip(),
        phone=phone.strip(),
    )
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(" ".join(messages), field=field)
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise _username_taken(username)
    profile = StaffProfile.objects.create(
        user=user, unit=unit, role=role, job_title=job_title.strip(), status=StaffStatus.PENDING
    )
    log_event(
        "staff.applied",
        actor=actor,
        obj=profile,
        after={"unit": unit.code, "role": role, "username": user.username},
    )
    path = _notify_approvers(profile)
    mail_user(user, "staff_applied", {"profile": profile, "path": path})
    return profile


def _username_taken(username):
    return ValidationFailed(
        _("帳號「%(username)s」已有人使用，請改用其他帳號。") % {"username": username},
        field="username",
    )


def _reapply(user, *, password, unit, role, real_name, email, phone, job_title):
    profile = StaffProfile.objects.select_for_update().filter(user=user).first()
    if profile is not None:
        profile.user = user  # one instance, so what we return shows the updates
    reopenable = profile is not None and profile.status in (
        StaffStatus.REJECTED,
        StaffStatus.DEACTIVATED,
    )
    if not reopenable:
        if profile is not None and profile.status == StaffStatus.PENDING:
            raise ValidationFailed(
                _("帳號「%(username)s」的申請正在審核中，請靜候審核結果通知。")
                % {"username": user.username},
                field="username",
            )
        raise _username_taken(user.username)
    if not user.check_password(password):
        raise ValidationFailed(
            _(
                "帳號「%(username)s」已存在。若這是您先前未通過或已停用的業務帳號，"
                "請輸入該帳號原本的密碼以重新申請；否則請改用其他帳號。"
            )
            % {"username": user.username},
            field="password",
        )
    before = _snapshot(profile)
    user.real_name = real_name.strip() or user.real_name
    user.email = email.strip() or user.email
    user.phone = phone.strip()
    user.is_active = True
    user.save(update_fields=["real_name", "email", "phone", "is_active"])
    profile.unit = unit
    profile.role = role
    profile.job_title = job_title.strip()
    profile.status = StaffStatus.PENDING
    profile.applied_at = timezone.now()
    profile.decided_at = None
    profile.decided_by = None
    profile.decision_reason = ""
    profile.idle_warned_at = None
    profile.save()
    log_event(
        "staff.applied",
        actor=None,
        obj=profile,
        before=before,
        after=_snapshot(profile),
        data={"reapplication": True},
    )
    path = _notify_approvers(profile)
    mail_user(user, "staff_applied", {"profile": profile, "path": path})
    return profile


def _snapshot(profile: StaffProfile) -> dict:
    return {
        "unit": profile.unit.code,
        "role": profile.role,
        "status": profile.status,
        "user_active": profile.user.is_active,
    }


# --------------------------------------------------------------------------- deciding


def _locked(profile: StaffProfile) -> StaffProfile:
    _lock_unit(profile.unit)
    return (
        StaffProfile.objects.select_for_update().select_related("user", "unit").get(pk=profile.pk)
    )


@transaction.atomic
def decide_application(*, actor, profile: StaffProfile, approve: bool, reason: str = ""):
    profile = _locked(profile)
    if not can_decide(actor, profile):
        raise PermissionDeniedError(
            _("您不是這份申請的審核者；本申請由%(who)s審核。")
            % {"who": approval_path(profile).label}
        )
    if profile.status != StaffStatus.PENDING:
        raise DomainError(
            _("這份申請已經審核過（目前狀態：%(status)s），無須再審核。")
            % {"status": profile.get_status_display()},
            code="already_decided",
        )
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationFailed(_("退回申請時請填寫原因，申請人會收到這段說明。"), field="reason")
    if approve and profile.role == StaffRole.CHIEF:
        _refuse_second_chief(profile.unit, except_profile=profile)
    before = _snapshot(profile)
    profile.status = StaffStatus.ACTIVE if approve else StaffStatus.REJECTED
    profile.decided_at = timezone.now()
    profile.decided_by = actor
    profile.decision_reason = reason
    profile.idle_warned_at = None
    profile.save()
    profile.user.is_active = approve
    profile.user.save(update_fields=["is_active"])
    log_event(
        "staff.approved" if approve else "staff.rejected",
        actor=actor,
        obj=profile,
        before=before,
        after=_snapshot(profile),
        data={"reason": reason},
    )
    mail_user(
        profile.user,
        "staff_approved" if approve else "staff_rejected",
        {"profile": profile, "reason": reason},
    )
    return profile


# --------------------------------------------------------------------------- roles in the unit


def _refuse_unless_manager(actor, profile: StaffProfile):
    if can_manage(actor, profile):
        return
    if getattr(actor, "pk", None) == profile.user_id:
        raise PermissionDeniedError(_("您不能變更自己的帳號類別或狀態，請洽單位總負責人。"))
    if profile.role == StaffRole.CHIEF:
        raise PermissionDeniedError(CHIEF_IS_AUTHORITYS_ACT)
    raise PermissionDeniedError(
        _("只有「%(unit)s」的總負責人或其所屬區管中心可以管理這個業務帳號。")
        % {"unit": profile.unit.name}
    )


@transaction.atomic
def change_role(*, actor, profile: StaffProfile, role: str) -> StaffProfile:
    """Switch a contact ↔ operator (the chief or the supervising authority)."""
    profile = _locked(profile)
    if role == StaffRole.CHIEF or profile.role == StaffRole.CHIEF:
        raise PermissionDeniedError(CHIEF_IS_AUTHORITYS_ACT)
    if role not in (StaffRole.CONTACT, StaffRole.OPERATOR):
        raise ValidationFailed(_("請選擇連絡人或作業人員。"), field="role")
    _refuse_unless_manager(actor, profile)
    if profile.status not in (StaffStatus.ACTIVE, StaffStatus.DEACTIVATED):
        raise DomainError(_("尚未審核通過的申請不能切換帳號類別，請先完成審核。"))
    if profile.role == role:
        return profile
    before = _snapshot(profile)
    profile.role = role
    profile.save(update_fields=["role"])
    log_event(
        "staff.role_changed", actor=actor, obj=profile, before=before, after=_snapshot(profile)
    )
    mail_user(profile.user, "staff_role_changed", {"profile": profile, "actor": actor})
    return profile


@transaction.atomic
def deactivate(*, actor, profile: StaffProfile, reason: str = "") -> StaffProfile:
    profile = _locked(profile)
    _refuse_unless_manager(actor, profile)
    if profile.status != StaffStatus.ACTIVE:
        raise DomainError(_("這個業務帳號目前不是啟用狀態，無法停用。"))
    before = _snapshot(profile)
    _set_deactivated(profile, actor=actor, reason=reason)
    log_event(
        "staff.deactivated",
        actor=actor,
        obj=profile,
        before=before,
        after=_snapshot(profile),
        data={"reason": reason},
    )
    mail_user(profile.user, "staff_deactivated", {"profile": profile, "reason": reason})
    return profile


def _set_deactivated(profile, *, actor, reason):
    profile.status = StaffStatus.DEACTIVATED
    profile.decided_at = timezone.now()
    profile.decided_by = actor
    profile.decision_reason = reason
    profile.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    profile.user.is_active = False
    profile.user.save(update_fields=["is_active"])


@transaction.atomic
def reactivate(*, actor, profile: StaffProfile) -> StaffProfile:
    profile = _locked(profile)
    _refuse_unless_manager(actor, profile)
    if profile.status != StaffStatus.DEACTIVATED:
        raise DomainError(_("只有已停用的業務帳號可以重新啟用。"))
    if profile.role == StaffRole.CHIEF:
        _refuse_second_chief(profile.unit, except_profile=profile)
    before = _snapshot(profile)
    profile.status = StaffStatus.ACTIVE
    profile.decided_at = timezone.now()  # counts as activity for the idle rule
    profile.decided_by = actor
    profile.decision_reason = ""
    profile.idle_warned_at = None
    profile.save()
    profile.user.is_active = True
    profile.user.save(update_fields=["is_active"])
    log_event(
        "staff.reactivated", actor=actor, obj=profile, before=before, after=_snapshot(profile)
    )
    mail_user(profile.user, "staff_reactivated", {"profile": profile})
    return profile


@transaction.atomic
def transfer_chief(*, actor, profile: StaffProfile) -> StaffProfile:
    """Make `profile` the unit's chief; the previous chief becomes a contact.

    The supervising authority's act (附件一 參三(三)1(4)); the unit's own chief cannot do it.
    """
    profile = _locked(profile)
    unit = profile.unit
    if not can_supervise(actor, unit):
        raise PermissionDeniedError(CHIEF_IS_AUTHORITYS_ACT)
    if profile.status != StaffStatus.ACTIVE or not profile.user.is_active:
        raise DomainError(_("只能指定啟用中的業務帳號為總負責人。"))
    if profile.role == StaffRole.CHIEF:
        raise DomainError(_("%(name)s 已是總負責人。") % {"name": profile.user.real_name})
    previous = list(active_chiefs(unit).select_related("user").select_for_update())
    # Deactivated chiefs keep their title only on paper: make them contacts too.
    previous += list(
        StaffProfile.objects.filter(unit=unit, role=StaffRole.CHIEF)
        .exclude(pk__in=[p.pk for p in previous])
        .select_related("user")
        .select_for_update()
    )
    for old in previous:
        old.role = StaffRole.CONTACT
        old.save(update_fields=["role"])
    before = {"role": profile.role, "previous_chiefs": [p.user.username for p in previous]}
    profile.role = StaffRole.CHIEF
    profile.save(update_fields=["role"])
    log_event(
        "staff.chief_transferred",
        actor=actor,
        obj=profile,
        before=before,
        after={"role": profile.role, "unit": unit.code},
        data={"unit": unit.code, "previous_chiefs": [p.user.username for p in previous]},
    )
    mail_user(profile.user, "staff_role_changed", {"profile": profile, "actor": actor})
    for old in previous:
        mail_user(old.user, "staff_role_changed", {"profile": old, "actor": actor})
    return profile


def unit_staff(unit: Unit):
    return (
        StaffProfile.objects.filter(unit=unit)
        .exclude(status=StaffStatus.REJECTED)
        .select_related("user")
        .order_by("status", "role", "user__username")
    )


# --------------------------------------------------------------------------- idle accounts


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def idle_rule_applies(unit: Unit) -> bool:
    return unit.kind in IDLE_RULE_KINDS


def sweep_idle_staff_accounts(now: datetime.datetime | None = None) -> dict[str, int]:
    """附件九 第4條: warn accounts idle for two years, deactivate them 14 days later.

    Idempotent; run daily. Each account is handled in its own transaction.
    """
    now = now or timezone.now()
    counts = {"cleared": 0, "warned": 0, "deactivated": 0}
    scope = StaffProfile.objects.filter(
        status=StaffStatus.ACTIVE, user__is_active=True, unit__kind__in=IDLE_RULE_KINDS
    )

    # A login after the warning clears it (also done at login time, see below).
    counts["cleared"] = scope.filter(
        idle_warned_at__isnull=False, user__last_login__gt=F("idle_warned_at")
    ).update(idle_warned_at=None)

    expired = scope.filter(idle_warned_at__lte=now - IDLE_GRACE).filter(
        Q(user__last_login__isnull=True) | Q(user__last_login__lte=F("idle_warned_at"))
    )
    for pk in expired.values_list("pk", flat=True):
        with transaction.atomic():
            profile = (
                expired.select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "unit")
                .filter(pk=pk)
                .first()
            )
            if profile is None:
                continue
            before = _snapshot(profile)
            _set_deactivated(profile, actor=None, reason=str(_("逾期未登入之閒置帳號")))
            log_event(
                "staff.deactivated",
                obj=profile,
                before=before,
                after=_snapshot(profile),
                data={"reason": "idle", "warned_at": profile.idle_warned_at},
            )
            mail_user(profile.user, "staff_idle_deactivated", {"profile": profile})
            counts["deactivated"] += 1

    cutoff = years_before(now, IDLE_AFTER_YEARS)
    idle = scope.filter(idle_warned_at__isnull=True).annotate(
        last_seen=Greatest(
            Coalesce("user__last_login", "applied_at"),
            Coalesce("decided_at", "applied_at"),
        )
    )
    idle = idle.filter(last_seen__lt=cutoff)
    for pk in idle.values_list("pk", flat=True):
        with transaction.atomic():
            profile = (
                idle.select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "unit")
                .filter(pk=pk)
                .first()
            )
            if profile is None:
                continue
            profile.idle_warned_at = now
            profile.save(update_fields=["idle_warned_at"])
            log_event(
                "staff.idle_warned",
                obj=profile,
                data={"last_seen": profile.last_seen, "deadline": now + IDLE_GRACE},
            )
            mail_user(
                profile.user,
                "staff_idle_warning",
                {"profile": profile, "deadline": now + IDLE_GRACE, "last_seen": profile.last_seen},
            )
            counts["warned"] += 1
    return counts


def clear_idle_warning(user) -> bool:
    """Called on login: a staff account that signs in is no longer idle."""
    if getattr(user, "kind", None) != User.Kind.STAFF:
        return False
    return bool(
        StaffProfile.objects.filter(user=user, idle_warned_at__isnull=False).update(
            idle_warned_at=None
        )
    )


def _on_login(sender, request, user, **kwargs):
    clear_idle_warning(user)


# Connected when this module is imported (the staff URLs import it at start-up); the daily
# sweep also clears warnings of accounts that logged in since, so nothing depends on it.


__all__ = [
    "ApprovalPath",
    "Approver",
    "apply_for_staff_account",
    "applications_for",
    "approval_path",
    "approver_candidates",
    "can_decide",
    "can_manage",
    "can_supervise",
    "change_role",
    "clear_idle_warning",
    "deactivate",
    "decide_application",
    "reactivate",
    "supervising_path",
    "sweep_idle_staff_accounts",
    "transfer_chief",
]
