"""Teachers as people: sign-up (with attach-by-ID), e-mail verification, school data entry,
transfers (轉出/轉入) and the personal-data export (個資 access right).

Every write runs in one transaction and records its audit event there; mail is queued in the
same transaction and delivered after commit.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inservice.accounts.models import Teacher, User
from inservice.core import idnumbers
from inservice.core.audit import log_event
from inservice.core.errors import DomainError, NotFoundError, PermissionDeniedError
from inservice.core.models import AuditEvent
from inservice.notifications.services import mail_user
from inservice.organizations.models import Unit

PRIVACY_NOTICE_VERSION = "2026-1"
VERIFY_SALT = "inservice.accounts.teacher.verify-email"
DEFAULT_VERIFY_MAX_AGE = 3 * 24 * 60 * 60  # three days


def verify_max_age() -> int:
    return int(getattr(settings, "TEACHER_EMAIL_VERIFY_MAX_AGE", DEFAULT_VERIFY_MAX_AGE))


def normalize_name(name: str) -> str:
    """Names compare after width folding, without spaces and case (foreign names)."""
    text = unicodedata.normalize("NFKC", name or "")
    return "".join(text.split()).casefold()


def title_name(code: str) -> str:
    if not code:
        return ""
    from inservice.catalog.codes import name_of

    try:
        return name_of("target_title", code) or code
    except (KeyError, LookupError):
        return code


def _teacher_snapshot(teacher: Teacher) -> dict:
    return {
        "name": teacher.name,
        "sex": teacher.sex,
        "birth_date": teacher.birth_date,
        "title": teacher.title,
        "subjects": teacher.subjects,
        "serving_unit": teacher.serving_unit.code if teacher.serving_unit_id else None,
        "left_unit": teacher.left_unit.code if teacher.left_unit_id else None,
        "user": teacher.user_id,
    }


# --- sign-up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignUpResult:
    user: User
    teacher: Teacher
    attached: bool
    # Set when attaching to a record whose school-entered unit differs from the one chosen.
    recorded_unit: Unit | None = None


def sign_up_teacher(
    *,
    actor=None,
    real_name: str,
    id_number: str,
    serving_unit: Unit | None,
    title: str,
    username: str,
    email: str,
    password: str,
) -> SignUpResult:
    """Create a teacher login; attach it to the person a school entered earlier, if any.

    Raises DomainError (with `field`) when the ID number belongs to a person who already has a
    login, when the name does not match the school's record, or when the username is taken.
    """
    try:
        protected = idnumbers.protect(id_number)
    except idnumbers.InvalidIdNumber as exc:
        raise DomainError(exc.reason, code="invalid_id", field="id_number")
    if serving_unit is not None and not serving_unit.is_active:
        raise DomainError(
            _("單位「%(name)s」已裁併或停辦，無法選為服務單位。") % {"name": serving_unit.name},
            code="inactive_unit",
            field="unit_code",
        )
    real_name = " ".join(real_name.split())
    try:
        with transaction.atomic():
            return _sign_up(
                protected=protected,
                real_name=real_name,
                serving_unit=serving_unit,
                title=title,
                username=username,
                email=email,
                password=password,
            )
    except IntegrityError:
        # A parallel request won the race for the same username or ID number.
        if User.objects.filter(username__iexact=username).exists():
            raise DomainError(_("此帳號已有人使用，請改用其他帳號。"), field="username")
        raise DomainError(ALREADY_HAS_LOGIN, code="already_has_login", field="id_number")


ALREADY_HAS_LOGIN = _(
    "此身分證號（或居留證號）已經申請過教師個人帳號。"
    "若忘記帳號或密碼，請使用「忘記密碼」以註冊時的電子郵件重設密碼。"
)
NAME_MISMATCH = _(
    "您填寫的姓名與學校登錄的教師資料不符，為保護您的研習紀錄，無法完成註冊。"
    "請聯絡您的服務學校，確認學校登錄的姓名與證號是否正確。"
)


def _sign_up(*, protected, real_name, serving_unit, title, username, email, password):
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("此帳號已有人使用，請改用其他帳號。"), field="username")
    teacher = (
        Teacher.objects.select_for_update(of=("self",))
        .select_related("serving_unit")
        .filter(id_number_digest=protected.digest)
        .first()
    )
    if teacher is not None and teacher.user_id is not None:
        raise DomainError(ALREADY_HAS_LOGIN, code="already_has_login", field="id_number")
    if teacher is not None and normalize_name(teacher.name) != normalize_name(real_name):
        raise DomainError(NAME_MISMATCH, code="name_mismatch", field="real_name")

    now = timezone.now()
    user = User.objects.create_user(
        username=username,
        email=email,
        password=password,
        kind=User.Kind.TEACHER,
        real_name=real_name,
    )
    recorded_unit = None
    if teacher is None:
        teacher = Teacher(name=real_name, serving_unit=serving_unit, title=title)
        protected.apply_to(teacher)
        attached = False
    else:
        attached = True
        before = _teacher_snapshot(teacher)
        if teacher.serving_unit_id is None:
            teacher.serving_unit = serving_unit
        elif serving_unit is None or teacher.serving_unit_id != serving_unit.pk:
            # The school's record wins; moving schools goes through 轉出 at the old school.
            recorded_unit = teacher.serving_unit
        if not teacher.title:
            teacher.title = title
    teacher.user = user
    teacher.privacy_consent_at = now
    teacher.privacy_consent_version = PRIVACY_NOTICE_VERSION
    teacher.save()

    log_event(
        "teacher.signed_up",
        actor=user,
        obj=teacher,
        data={
            "username": user.username,
            "serving_unit": teacher.serving_unit.code if teacher.serving_unit_id else None,
            "attached": attached,
            "privacy_notice": PRIVACY_NOTICE_VERSION,
        },
    )
    if attached:
        log_event(
            "teacher.attached",
            actor=user,
            obj=teacher,
            before=before,
            after=_teacher_snapshot(teacher),
            data={"username": user.username},
        )
    send_verification_mail(user)
    return SignUpResult(user=user, teacher=teacher, attached=attached, recorded_unit=recorded_unit)


# --- e-mail verification -------------------------------------------------------------------


def _email_fingerprint(email: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, (email or "").strip().lower().encode(), hashlib.sha256).hexdigest()[:20]


def _verified_state(user: User) -> str:
    return user.email_verified_at.isoformat() if user.email_verified_at else ""


def make_verification_token(user: User) -> str:
    """A signed, expiring token bound to the user, the current address and the verified state.

    The address appears only as a keyed fingerprint, so the link carries no personal data;
    verifying changes the state, which makes the token single-use.
    """
    payload = {"u": user.pk, "e": _email_fingerprint(user.email), "v": _verified_state(user)}
    return signing.dumps(payload, salt=VERIFY_SALT, compress=True)


def verification_url(user: User) -> str:
    path = reverse("accounts:teacher_verify_email", args=[make_verification_token(user)])
    return settings.SITE_URL.rstrip("/") + path


def send_verification_mail(user: User):
    days = max(1, verify_max_age() // 86400)
    return mail_user(
        user,
        "teacher_verify_email",
        {"verify_url": verification_url(user), "days": days},
    )


class VerificationError(DomainError):
    code = "verification"


TOKEN_TAMPERED = _("驗證連結無效，可能複製不完整或已被修改。請登入後按「重新寄送驗證信」。")
TOKEN_EXPIRED = _(
    "驗證連結已超過有效期限（%(days)d 天）。請登入後按「重新寄送驗證信」取得新的連結。"
)
TOKEN_USED = _("此驗證連結已經使用過，您的電子郵件先前已完成驗證，無須再次驗證。")
TOKEN_EMAIL_CHANGED = _("此驗證連結是寄給您先前的電子郵件地址，請改用寄到目前電子郵件的驗證信。")


def check_verification_token(token: str) -> User:
    """Return the user the token is for, or raise VerificationError with the exact reason."""
    try:
        payload = signing.loads(token, salt=VERIFY_SALT, max_age=verify_max_age())
    except signing.SignatureExpired:
        raise VerificationError(
            TOKEN_EXPIRED % {"days": max(1, verify_max_age() // 86400)}, code="expired"
        )
    except signing.BadSignature:
        raise VerificationError(TOKEN_TAMPERED, code="tampered")
    if not isinstance(payload, dict) or not {"u", "e", "v"} <= payload.keys():
        raise VerificationError(TOKEN_TAMPERED, code="tampered")
    user = User.objects.filter(pk=payload["u"], is_active=True).first()
    if user is None:
        raise VerificationError(TOKEN_TAMPERED, code="tampered")
    if not hmac.compare_digest(payload["e"], _email_fingerprint(user.email)):
        raise VerificationError(TOKEN_EMAIL_CHANGED, code="email_changed")
    if payload["v"] != _verified_state(user) or user.email_verified_at is not None:
        raise VerificationError(TOKEN_USED, code="used")
    return user


def verify_email(*, actor=None, token: str) -> User:
    with transaction.atomic():
        user = check_verification_token(token)
        user = User.objects.select_for_update().get(pk=user.pk)
        # Re-check under the lock: two clicks at once verify once.
        if user.email_verified_at is not None:
            raise VerificationError(TOKEN_USED, code="used")
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        teacher = getattr(user, "teacher", None)
        log_event(
            "teacher.email_verified",
            actor=actor if getattr(actor, "is_authenticated", False) else user,
            obj=teacher if teacher is not None else user,
            data={"email": user.email},
        )
    return user


def resend_verification(*, actor: User):
    if actor.email_verified_at is not None:
        raise DomainError(_("您的電子郵件已完成驗證，無須重新寄送。"), code="already_verified")
    with transaction.atomic():
        send_verification_mail(actor)
        log_event(
            "teacher.verification_resent",
            actor=actor,
            obj=getattr(actor, "teacher", None) or actor,
        )


# --- teacher's own profile ----------------------------------------------------------------


def update_own_profile(*, actor: User, title: str, subjects: str) -> Teacher:
    """A teacher edits their title and subjects (contact data: the account profile page)."""
    with transaction.atomic():
        teacher = Teacher.objects.select_for_update().get(user=actor)
        before = {"title": teacher.title, "subjects": teacher.subjects}
        teacher.title = title
        teacher.subjects = subjects.strip()
        after = {"title": teacher.title, "subjects": teacher.subjects}
        if before != after:
            teacher.save(update_fields=["title", "subjects", "updated_at"])
            log_event(
                "teacher.profile_updated", actor=actor, obj=teacher, before=before, after=after
            )
    return teacher


# --- school teacher data entry (教師資料登錄) -----------------------------------------------


class EntryOutcome:
    CREATED = "created"
    UPDATED = "updated"
    MOVED_IN = "moved_in"


@dataclass(frozen=True)
class EntryResult:
    teacher: Teacher
    outcome: str


def staff_unit(actor: User) -> Unit:
    staff = getattr(actor, "staff", None)
    if staff is None or not staff.is_usable:
        raise PermissionDeniedError()
    return staff.unit


OTHER_UNIT = _(
    "此教師目前登錄為「%(unit)s」的服務教師。請先由該單位在「本單位教師帳號管理」將教師設為轉出，"
    "再於本單位登錄。"
)
MOVE_IN_NAME_MISMATCH = _(
    "此證號已有教師資料，但姓名與您輸入的不符，為避免誤植他人資料，無法轉入。"
    "請再次核對姓名與證號；若教師已更名，請聯絡教師進修網協助更正。"
)
ENTRY_RACE = _("此證號的教師資料剛好由其他人同時登錄，請重新送出一次。")


def enter_teacher(
    *,
    actor: User,
    name: str,
    id_number: str,
    sex: str = "",
    birth_date: date | None = None,
    title: str = "",
    subjects: str = "",
) -> EntryResult:
    """A school enters a teacher: create, update (same unit) or move in (left / no unit).

    One ID number is always one person (unique digest); a teacher serving in another unit is
    refused until that unit marks them as left.
    """
    unit = staff_unit(actor)
    try:
        protected = idnumbers.protect(id_number)
    except idnumbers.InvalidIdNumber as exc:
        raise DomainError(exc.reason, code="invalid_id", field="id_number")
    name = " ".join(name.split())
    fields = {"name": name, "sex": sex, "birth_date": birth_date, "title": title}
    fields["subjects"] = subjects.strip()
    try:
        with transaction.atomic():
            teacher = (
                Teacher.objects.select_for_update(of=("self",))
                .select_related("serving_unit", "left_unit")
                .filter(id_number_digest=protected.digest)
                .first()
            )
            if teacher is None:
                teacher = Teacher(serving_unit=unit, **fields)
                protected.apply_to(teacher)
                teacher.save()
                log_event(
                    "teacher.entered",
                    actor=actor,
                    obj=teacher,
                    after=_teacher_snapshot(teacher),
                    data={"unit": unit.code},
                )
                return EntryResult(teacher, EntryOutcome.CREATED)
            if teacher.serving_unit_id == unit.pk:
                before = _teacher_snapshot(teacher)
                _apply(teacher, fields)
                teacher.save()
                log_event(
                    "teacher.updated",
                    actor=actor,
                    obj=teacher,
                    before=before,
                    after=_teacher_snapshot(teacher),
                    data={"unit": unit.code},
                )
                return EntryResult(teacher, EntryOutcome.UPDATED)
            if teacher.serving_unit_id is not None:
                raise DomainError(
                    OTHER_UNIT % {"unit": teacher.serving_unit.name},
                    code="serving_elsewhere",
                    field="id_number",
                )
            if normalize_name(teacher.name) != normalize_name(name):
                raise DomainError(MOVE_IN_NAME_MISMATCH, code="name_mismatch", field="name")
            before = _teacher_snapshot(teacher)
            from_unit = teacher.left_unit
            _apply(teacher, fields)
            teacher.serving_unit = unit
            teacher.left_unit = None
            teacher.left_at = None
            teacher.save()
            log_event(
                "teacher.moved_in",
                actor=actor,
                obj=teacher,
                before=before,
                after=_teacher_snapshot(teacher),
                data={"unit": unit.code, "from_unit": from_unit.code if from_unit else None},
            )
            return EntryResult(teacher, EntryOutcome.MOVED_IN)
    except IntegrityError:
        raise DomainError(ENTRY_RACE, code="race", field="id_number")


def _apply(teacher: Teacher, fields: dict) -> None:
    for key, value in fields.items():
        # Blank optional fields on a re-entry keep what is already recorded.
        if value in ("", None) and key != "name":
            continue
        setattr(teacher, key, value)
    if teacher.user_id and teacher.user.real_name != teacher.name:
        teacher.user.real_name = teacher.name
        teacher.user.save(update_fields=["real_name"])


def unit_teachers(actor: User):
    """The teachers currently serving in the actor's unit."""
    return Teacher.objects.filter(serving_unit=staff_unit(actor))


def get_unit_teacher(*, actor: User, pk: int, for_update: bool = False) -> Teacher:
    qs = unit_teachers(actor).select_related("serving_unit", "user")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    teacher = qs.filter(pk=pk).first()
    if teacher is None:
        raise NotFoundError()
    return teacher


def view_personal_data(*, actor: User, pk: int) -> Teacher:
    """Staff open a teacher's personal data; every look is recorded."""
    with transaction.atomic():
        teacher = get_unit_teacher(actor=actor, pk=pk)
        log_event(
            "teacher.personal_data_viewed",
            actor=actor,
            obj=teacher,
            data={"unit": teacher.serving_unit.code},
        )
    return teacher


def update_unit_teacher(
    *,
    actor: User,
    pk: int,
    name: str,
    sex: str,
    birth_date: date | None,
    title: str,
    subjects: str,
) -> Teacher:
    with transaction.atomic():
        teacher = get_unit_teacher(actor=actor, pk=pk, for_update=True)
        before = _teacher_snapshot(teacher)
        teacher.name = " ".join(name.split())
        teacher.sex = sex
        teacher.birth_date = birth_date
        teacher.title = title
        teacher.subjects = subjects.strip()
        teacher.save()
        if teacher.user_id and teacher.user.real_name != teacher.name:
            teacher.user.real_name = teacher.name
            teacher.user.save(update_fields=["real_name"])
        log_event(
            "teacher.updated",
            actor=actor,
            obj=teacher,
            before=before,
            after=_teacher_snapshot(teacher),
            data={"unit": teacher.serving_unit.code},
        )
    return teacher


def mark_teacher_left(*, actor: User, pk: int) -> Teacher:
    """轉出: the teacher no longer serves here; another school may now enter them."""
    with transaction.atomic():
        teacher = get_unit_teacher(actor=actor, pk=pk, for_update=True)
        before = _teacher_snapshot(teacher)
        unit = teacher.serving_unit
        teacher.left_unit = unit
        teacher.left_at = timezone.now()
        teacher.serving_unit = None
        teacher.save()
        log_event(
            "teacher.left_unit",
            actor=actor,
            obj=teacher,
            before=before,
            after=_teacher_snapshot(teacher),
            data={"unit": unit.code},
        )
        if teacher.user_id and teacher.user.is_active:
            mail_user(teacher.user, "teacher_left_unit", {"teacher": teacher, "unit": unit})
    return teacher


# --- personal-data export (個資 查詢、閱覽、製給複製本) -----------------------------------


STAFF_VISIBLE_FIELDS = [
    ("name", _("姓名")),
    ("id_number_hint", _("證號（遮罩）")),
    ("personal_identifier", _("教師個人專用識別號碼")),
    ("sex", _("性別")),
    ("birth_date", _("出生日期")),
    ("title", _("職稱")),
    ("subjects", _("任教科目")),
    ("has_login", _("是否已有個人帳號")),
    ("email", _("電子郵件")),
]


def _iso(value):
    return value.isoformat() if value is not None else None


def _actor_description(event: AuditEvent, user: User) -> str:
    if event.actor_id is None:
        return str(_("系統"))
    if event.actor_id == user.pk:
        return str(_("本人"))
    staff = getattr(event.actor, "staff", None) if event.actor else None
    if staff is not None:
        return str(_("%(unit)s 業務帳號") % {"unit": staff.unit.name})
    return str(_("系統管理者"))


def personal_data(*, actor: User) -> dict:
    """Everything held about the teacher, in one structure (JSON and xlsx share it)."""
    user = actor
    teacher = Teacher.objects.select_related("serving_unit", "left_unit").get(user=user)
    id_number = idnumbers.decrypt(teacher.id_number_encrypted)
    account = {
        "username": user.username,
        "kind": user.get_kind_display(),
        "real_name": user.real_name,
        "email": user.email,
        "email_verified_at": _iso(user.email_verified_at),
        "phone": user.phone,
        "language": user.language,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "is_active": user.is_active,
    }
    teacher_data = {
        "name": teacher.name,
        "id_number": id_number,
        "id_number_kind": idnumbers.KIND_LABELS.get(teacher.id_number_kind, ""),
        "personal_identifier": teacher.personal_identifier,
        "sex": teacher.get_sex_display() if teacher.sex else "",
        "birth_date": _iso(teacher.birth_date),
        "title": teacher.title,
        "title_name": title_name(teacher.title),
        "subjects": teacher.subjects,
        "serving_unit": _unit_dict(teacher.serving_unit),
        "left_unit": _unit_dict(teacher.left_unit),
        "left_at": _iso(teacher.left_at),
        "privacy_consent_at": _iso(teacher.privacy_consent_at),
        "privacy_consent_version": teacher.privacy_consent_version,
        "created_at": _iso(teacher.created_at),
        "updated_at": _iso(teacher.updated_at),
    }
    visible_values = {
        "name": teacher.name,
        "id_number_hint": teacher.id_number_hint,
        "personal_identifier": teacher.personal_identifier,
        "sex": teacher.get_sex_display() if teacher.sex else "",
        "birth_date": _iso(teacher.birth_date),
        "title": title_name(teacher.title),
        "subjects": teacher.subjects,
        "has_login": True,
        "email": user.email,
    }
    staff_visible = [
        {"field": key, "label": str(label), "value": visible_values[key]}
        for key, label in STAFF_VISIBLE_FIELDS
    ]
    events = (
        AuditEvent.objects.filter(
            Q(object_type="accounts.teacher", object_id=str(teacher.pk))
            | Q(object_type="accounts.user", object_id=str(user.pk))
            | Q(actor=user)
        )
        .select_related("actor", "actor__staff__unit")
        .order_by("created_at", "id")
    )
    audit = [
        {
            "time": _iso(e.created_at),
            "action": e.action,
            "by": _actor_description(e, user),
            "object": e.object_repr,
            "before": e.before,
            "after": e.after,
            "data": e.data,
            # The address is the teacher's own data only for their own actions.
            "ip": e.ip if e.actor_id == user.pk else None,
        }
        for e in events
    ]
    return {
        "generated_at": _iso(timezone.now()),
        "purpose": "109 教育或訓練行政",
        "account": account,
        "teacher": teacher_data,
        "staff_visible": staff_visible,
        "audit_events": audit,
    }


def _unit_dict(unit: Unit | None):
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def export_personal_data(*, actor: User, fmt: str) -> dict:
    """Collect the export and record that it was taken (the record is part of the next one)."""
    if fmt not in ("json", "xlsx"):
        raise DomainError(_("不支援的下載格式。"), code="bad_format")
    with transaction.atomic():
        data = personal_data(actor=actor)
        log_event(
            "teacher.data_exported",
            actor=actor,
            obj=actor.teacher,
            data={"format": fmt},
        )
    return data


# --- people met at a course (attendance walk-ins) -------------------------------------------


def find_or_enter_person(*, actor: User, id_number: str, name: str, context: dict | None = None):
    """The teacher with this ID number, or a new one without login or serving unit.

    Organizers meet people at a course whom the network does not know yet (現場報到). They are
    entered as a person only: no login (sign-up later attaches one by the same ID number) and
    no serving unit (the organizer is not their school). Returns (teacher, created). Raises
    DomainError for an invalid ID number, or when a new person has no name.
    """
    try:
        protected = idnumbers.protect(id_number)
    except idnumbers.InvalidIdNumber as exc:
        raise DomainError(exc.reason, code="invalid_id", field="id_number")
    name = " ".join((name or "").split())
    existing = Teacher.objects.filter(id_number_digest=protected.digest).first()
    if existing is not None:
        return existing, False
    if not name:
        raise DomainError(
            _("此證號尚無教師資料；請填寫姓名，系統將新增此位教師（不含登入帳號）。"),
            code="name_required",
            field="name",
        )
    try:
        with transaction.atomic():
            teacher = Teacher(name=name, serving_unit=None)
            protected.apply_to(teacher)
            teacher.save()
    except IntegrityError:
        # Entered by someone else at the same moment: that row is the person.
        return Teacher.objects.get(id_number_digest=protected.digest), False
    log_event(
        "teacher.entered",
        actor=actor,
        obj=teacher,
        after=_teacher_snapshot(teacher),
        data={"via": "walk_in", **(context or {})},
    )
    return teacher, True
