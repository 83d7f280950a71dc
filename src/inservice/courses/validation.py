"""Every rule about the content of a course form (附件四, 附件九 第7–12條), in one place.

Two levels:

- `draft_problems(version)`: what may never be stored, not even in a draft — codes that do not
  exist in their code table, unknown attribute tags, subjects and topic items. A draft may
  otherwise be incomplete or inconsistent. `lifecycle` checks it on every save.
- `submit_problems(version)`: everything a course needs before it is sent for review. It lists
  EVERY problem, by form field: {field: [messages]}; empty means the version may be sent.

Both read a `CourseVersion` (saved or not); `submit_problems` also reads its sessions.
Messages are specific and in Traditional Chinese (gettext msgids).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.catalog import codes, selectors
from inservice.catalog.models import TeacherStage
from inservice.core.errors import ValidationFailed
from inservice.records.hours import CREDIT_CLASS_TYPES, HOURS_PER_CREDIT  # 附件九 第10條三

# Form field → code table (附件四).
SINGLE_CODE_FIELDS = {
    "class_type": "class_type",  # 1
    "basis": "basis",  # 2
    "category": "category",  # 5
    "level": "level",  # 7
    "instructor_type": "instructor_type",  # 8
    "fee": "fee",  # 22
    "feedback": "feedback",  # 26
}
MULTI_CODE_FIELDS = {
    "delivery": "delivery",  # 11
    "time_slots": "time_slot",  # 12
    "target_stages": "target_stage",  # 14
    "target_titles": "target_title",  # 15
    "funding": "funding",  # 21
}
# Multi-choice fields whose "其他" code (needs_text) comes with a free-text field.
OTHER_TEXT_FIELDS = {"delivery": "delivery_other", "target_titles": "target_title_other"}

CATEGORY_WITHOUT_ITEMS = "5-6"  # 附件五: 範疇 6 課程細項不明列

# Required for every submission. Not required: tags (3-2, only when a policy asks for them),
# subject (4; the national code list is not in the seed and many courses span subjects),
# credits (only for credit/degree classes), the "其他" texts (only with their code),
# contact 1's phone and email (one of the two), contact 2 (optional as a whole).
REQUIRED = [
    "class_type",
    "basis",
    "basis_doc_number",
    "name",
    "category",
    "level",
    "instructor_name",
    "instructor_type",
    "outline",
    "delivery",
    "time_slots",
    "hours",
    "target_stages",
    "target_titles",
    "registration_start",
    "registration_end",
    "start_date",
    "end_date",
    "time_and_place",
    "funding",
    "fee",
    "classes",
    "seats_per_class",
    "contact1_name",
    "feedback",
]

_EMPTY = (None, "", [], ())


class CourseDataInvalid(ValidationFailed):
    """A save refused because the form holds something that may not be stored at all
    (an unknown code, tag, subject or topic item); `problems` maps fields to messages."""

    code = "invalid_course_data"

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__(_("部分欄位含有不存在的代碼，無法儲存；請依各欄位說明修正。"))


class _Problems(dict):
    def add(self, field: str, message: str):
        self.setdefault(field, []).append(message)


def _label(field: str) -> str:
    from .models import CourseVersion

    return str(CourseVersion._meta.get_field(field).verbose_name)


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _as_list(value) -> list | None:
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return None


def _stage_label(stage: str) -> str:
    return str(TeacherStage(stage).label)


# --- draft level: what may never be stored -----------------------------------------------


def _unknown_code(table: str, code: str) -> bool:
    try:
        codes.get(table, code)
    except codes.UnknownCode:
        return True
    return False


def draft_problems(version) -> dict[str, list[str]]:
    """Unknown codes, tags, subjects and topic items: refused even in a draft."""
    problems = _Problems()
    for field, table in SINGLE_CODE_FIELDS.items():
        value = getattr(version, field)
        if value and _unknown_code(table, value):
            problems.add(
                field,
                _("「%(code)s」不是「%(title)s」的代碼。")
                % {"code": value, "title": codes.title(table)},
            )
    for field, table in MULTI_CODE_FIELDS.items():
        values = _as_list(getattr(version, field))
        if values is None:
            problems.add(field, _("「%(field)s」的格式不正確。") % {"field": _label(field)})
            continue
        for value in values:
            if not isinstance(value, str) or _unknown_code(table, value):
                problems.add(
                    field,
                    _("「%(code)s」不是「%(title)s」的代碼。")
                    % {"code": value, "title": codes.title(table)},
                )
    tags = _as_list(version.tags)
    if tags is None:
        problems.add("tags", _("「%(field)s」的格式不正確。") % {"field": _label("tags")})
    else:
        for tag in tags:
            try:
                selectors.get_tag(tag)
            except (LookupError, TypeError):
                problems.add("tags", _("「%(code)s」不是已知的專案屬性標籤。") % {"code": tag})
    if version.subject:
        try:
            selectors.get_subject(version.subject)
        except LookupError:
            problems.add(
                "subject",
                _("「%(code)s」不是課程性質（教育階段-領域-科目）的代碼。")
                % {"code": version.subject},
            )
    stage = version.taxonomy_stage
    if stage and stage not in TeacherStage.values:
        problems.add(
            "taxonomy_stage",
            _("「%(value)s」不是課程細項表的適用階段（幼兒園、國小、國中或高級中等學校教師）。")
            % {"value": stage},
        )
    elif version.topic_item:
        if not stage:
            problems.add(
                "taxonomy_stage",
                _("已選課程細項，請一併選擇課程細項適用階段（課程細項代碼依階段而不同）。"),
            )
        else:
            try:
                selectors.get_topic(stage, version.topic_item)
            except LookupError:
                problems.add(
                    "topic_item",
                    _("「%(code)s」不是「%(stage)s」課程細項表中的代碼。")
                    % {"code": version.topic_item, "stage": _stage_label(stage)},
                )
    return dict(problems)


# --- submit level: complete and consistent ---------------------------------------------------

_EXTENSION_RE = re.compile(r"\s*(?:#|＃|分機|轉|ext\.?|x)\s*\d{1,6}\s*$", re.IGNORECASE)
_PHONE_CHARS_RE = re.compile(r"^\+?[\d\s\-()]+$")
_PHONE_DIGITS_RE = re.compile(r"09\d{8}|0[2-8]\d{7,8}")


def is_valid_phone(text: str) -> bool:
    """Taiwanese phone numbers: landlines with area code (02-2345-6789, (037)123-456,
    049-2345678), mobiles (0912-345-678), +886 forms, an optional extension (#123, 分機 123)."""
    text = (text or "").strip()
    text = _EXTENSION_RE.sub("", text)
    if not text or not _PHONE_CHARS_RE.match(text):
        return False
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        if not digits.startswith("886"):
            return False
        digits = "0" + digits[3:].removeprefix("0")
    return bool(_PHONE_DIGITS_RE.fullmatch(digits))


def _is_valid_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _half_steps(value: Decimal) -> bool:
    return (value * 2) % 1 == 0


def _check_required(version, problems: _Problems):
    for field in REQUIRED:
        value = getattr(version, field)
        if isinstance(value, str):
            value = value.strip()
        if value not in _EMPTY:
            continue
        if field == "basis_doc_number":
            # Why for every course: 附件九 第8條二 — the number must be the document by which
            # the Ministry or the competent education authority approved the teachers' hours;
            # the paper form (附件四 2) asks for it after both 2-1 and 2-2.
            message = _(
                "請填寫依據文號：依附件九第8條，依據文號須為教育部或教育行政主管機關"
                "核定研習時數之公文文號，自主辦理與委託辦理皆須填寫。"
            )
        elif field in MULTI_CODE_FIELDS:
            message = _("請至少勾選一項「%(field)s」。") % {"field": _label(field)}
        elif field in SINGLE_CODE_FIELDS:
            message = _("請選擇「%(field)s」。") % {"field": _label(field)}
        else:
            message = _("請填寫「%(field)s」。") % {"field": _label(field)}
        problems.add(field, message)
    doc = version.basis_doc_number.strip()
    if doc and not any(ch.isdigit() for ch in doc):
        problems.add(
            "basis_doc_number",
            _("依據文號應為公文字號，例如「北市教研字第1140001234號」。"),
        )


def _check_codes_in_force(version, on: datetime.date, problems: _Problems):
    def check(field, table, value):
        try:
            entry = codes.get(table, value)
        except codes.UnknownCode:
            problems.add(
                field,
                _("「%(code)s」不是「%(title)s」的代碼。")
                % {"code": value, "title": codes.title(table)},
            )
            return
        if not entry.is_valid_on(on):
            if entry.valid_to is not None and on >= entry.valid_to:
                message = _("「%(label)s」自 %(date)s 起停用，請改選其他項目。") % {
                    "label": entry.label,
                    "date": _day(entry.valid_to),
                }
            else:
                message = _("「%(label)s」自 %(date)s 起才能選用。") % {
                    "label": entry.label,
                    "date": _day(entry.valid_from),
                }
            problems.add(field, message)

    for field, table in SINGLE_CODE_FIELDS.items():
        value = getattr(version, field)
        if value:
            check(field, table, value)
    for field, table in MULTI_CODE_FIELDS.items():
        values = _as_list(getattr(version, field)) or []
        if len(set(values)) != len(values):
            problems.add(field, _("「%(field)s」有重複的項目。") % {"field": _label(field)})
        for value in values:
            check(field, table, value)


def _check_other_texts(version, problems: _Problems):
    for field, text_field in OTHER_TEXT_FIELDS.items():
        table = MULTI_CODE_FIELDS[field]
        chosen = [
            c
            for c in (_as_list(getattr(version, field)) or [])
            if not _unknown_code(table, c) and codes.needs_text(table, c)
        ]
        text = getattr(version, text_field).strip()
        if chosen and not text:
            problems.add(
                text_field,
                _("已勾選「%(code)s 其他」，請說明是哪一種%(title)s。")
                % {"code": chosen[0], "title": codes.title(table)},
            )
        elif text and not chosen:
            problems.add(
                text_field,
                _("已填寫「%(field)s」，請一併勾選「其他」，或清除此說明。")
                % {"field": _label(text_field)},
            )


def _course_end(version) -> datetime.datetime | None:
    if version.end_date is None:
        return None
    last = datetime.time.max
    if version.pk:
        ends = [s.end_time for s in version.sessions.all() if s.date == version.end_date]
        if ends:
            last = max(ends)
    naive = datetime.datetime.combine(version.end_date, last)
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _check_dates(version, problems: _Problems):
    rs, re_, sd, ed = (
        version.registration_start,
        version.registration_end,
        version.start_date,
        version.end_date,
    )
    if sd and ed and sd > ed:
        problems.add(
            "end_date",
            _("課程結束日期（%(end)s）不能早於課程開始日期（%(start)s）。")
            % {"end": _day(ed), "start": _day(sd)},
        )
    if rs and re_ and rs > re_:
        problems.add(
            "registration_end",
            _("報名截止日期（%(end)s）不能早於報名開始日期（%(start)s）。")
            % {"end": _day(re_), "start": _day(rs)},
        )
    if re_ and ed and re_ > ed:
        problems.add(
            "registration_end",
            _("報名截止日期（%(deadline)s）不能晚於課程結束日期（%(end)s）。")
            % {"deadline": _day(re_), "end": _day(ed)},
        )
    opens, ends = version.registration_opens, _course_end(version)
    if opens and ends and opens >= ends:
        problems.add(
            "registration_start",
            _("報名須在課程結束前開放：報名開放時間 %(opens)s 不早於課程結束 %(end)s。")
            % {
                "opens": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M"),
                "end": timezone.localtime(ends).strftime("%Y-%m-%d %H:%M"),
            },
        )


def _check_hours_and_credits(version, problems: _Problems):
    hours = _decimal(version.hours)
    if version.hours not in _EMPTY:
        if hours is None or hours <= 0:
            problems.add("hours", _("研習時數須大於 0。"))
        elif not _half_steps(hours):
            problems.add(
                "hours",
                _("研習時數以 0.5 小時為單位（例如 3 或 3.5），目前為 %(hours)s。")
                % {"hours": hours},
            )
    credits = _decimal(version.credits)
    if version.class_type in CREDIT_CLASS_TYPES:
        if credits is None or credits <= 0:
            problems.add("credits", _("學分班及學位班請填寫學分數（大於 0）。"))
        elif not _half_steps(credits):
            problems.add("credits", _("學分數以 0.5 學分為單位。"))
        elif hours is not None and hours > 0 and hours != credits * HOURS_PER_CREDIT:
            problems.add(
                "hours",
                _(
                    "學分班及學位班一學分採計 18 小時（附件九第10條）："
                    "%(credits)s 學分應為 %(expected)s 小時，目前為 %(hours)s 小時。"
                )
                % {
                    "credits": credits.normalize(),
                    "expected": (credits * HOURS_PER_CREDIT).normalize(),
                    "hours": hours.normalize(),
                },
            )
    elif version.credits is not None and credits != 0:
        problems.add("credits", _("只有學分班及學位班（1-5 至 1-8）填寫學分數，非學分班請清除。"))


def _check_capacity(version, problems: _Problems):
    if version.classes is not None and version.classes < 1:
        problems.add("classes", _("辦理班數至少為 1 班。"))
    if version.seats_per_class is not None and version.seats_per_class < 1:
        problems.add("seats_per_class", _("每班人數至少為 1 人。"))


def _check_contact(version, prefix: str, problems: _Problems, *, required: bool):
    name = getattr(version, f"{prefix}_name").strip()
    phone = getattr(version, f"{prefix}_phone").strip()
    email = getattr(version, f"{prefix}_email").strip()
    if not required and not (name or phone or email):
        return
    if not required and not name:
        problems.add(
            f"{prefix}_name",
            _("第二承辦人請填寫姓名，以及電話或 Email；不需要第二承辦人時請全部留空。"),
        )
    if not phone and not email:
        problems.add(
            f"{prefix}_phone",
            _("請至少填寫電話或 Email 其中一項，方便教師與審核單位聯繫。")
            if required
            else _("第二承辦人請填寫電話或 Email；不需要第二承辦人時請全部留空。"),
        )
    if phone and not is_valid_phone(phone):
        problems.add(
            f"{prefix}_phone",
            _(
                "電話號碼「%(phone)s」格式不正確：請含區碼，例如 02-2345-6789、"
                "0912-345-678，分機請寫成 #123。"
            )
            % {"phone": phone},
        )
    if email and not _is_valid_email(email):
        problems.add(f"{prefix}_email", _("Email「%(email)s」格式不正確。") % {"email": email})


def _check_topic(version, on: datetime.date, problems: _Problems):
    category, stage, item = version.category, version.taxonomy_stage, version.topic_item
    if not category or _unknown_code("category", category):
        return
    if category == CATEGORY_WITHOUT_ITEMS:
        if item:
            problems.add(
                "topic_item",
                _("進修範疇「5-6 實用知能與生活素養」沒有課程細項，請清除課程細項。"),
            )
        return
    if not stage:
        problems.add("taxonomy_stage", _("請選擇課程細項適用階段，才能選擇課程細項。"))
        return
    if stage not in TeacherStage.values:
        return  # reported by draft_problems
    if not item:
        problems.add(
            "topic_item",
            _("請選擇進修範疇「%(category)s」下的課程細項。")
            % {"category": f"{category} {codes.name_of('category', category)}"},
        )
        return
    if selectors.is_topic_item(stage, item, category, on=on):
        return
    try:
        topic = selectors.get_topic(stage, item)
    except LookupError:
        problems.add(
            "topic_item",
            _("「%(code)s」不是「%(stage)s」課程細項表中的代碼。")
            % {"code": item, "stage": _stage_label(stage)},
        )
        return
    if topic.category != selectors.normalize_category(category):
        problems.add(
            "topic_item",
            _("課程細項「%(item)s」不屬於進修範疇「%(category)s」。")
            % {
                "item": topic.label,
                "category": f"{category} {codes.name_of('category', category)}",
            },
        )
    elif not topic.is_leaf:
        problems.add(
            "topic_item",
            _("「%(item)s」是課程內涵，請選擇其下的課程細項。") % {"item": topic.label},
        )
    else:
        problems.add(
            "topic_item",
            _("課程細項「%(item)s」在 %(date)s 不能選用（已停用或尚未啟用）。")
            % {"item": topic.label, "date": _day(on)},
        )


def _check_subject(version, on: datetime.date, problems: _Problems):
    if not version.subject:
        return
    try:
        subject = selectors.get_subject(version.subject)
    except LookupError:
        problems.add(
            "subject",
            _("「%(code)s」不是課程性質（教育階段-領域-科目）的代碼。") % {"code": version.subject},
        )
        return
    if not selectors.is_subject(version.subject, on=on):
        problems.add(
            "subject",
            _("課程性質「%(path)s」在 %(date)s 不能選用（已停用或尚未啟用）。")
            % {"path": subject.path, "date": _day(on)},
        )


def _check_tags(version, problems: _Problems):
    first = version.start_date or timezone.localdate()
    last = version.end_date if version.end_date and version.end_date >= first else first
    for code in _as_list(version.tags) or []:
        try:
            tag = selectors.get_tag(code)
        except (LookupError, TypeError):
            problems.add("tags", _("「%(code)s」不是已知的專案屬性標籤。") % {"code": code})
            continue
        if tag.valid_to is not None and last >= tag.valid_to:
            problems.add(
                "tags",
                _(
                    "屬性標籤「%(tag)s」自 %(date)s 起停用，不能用於在此之後辦理的課程"
                    "（本課程日期至 %(last)s），請取消勾選。"
                )
                % {"tag": tag.name, "date": _day(tag.valid_to), "last": _day(last)},
            )
        elif tag.valid_from is not None and first < tag.valid_from:
            problems.add(
                "tags",
                _("屬性標籤「%(tag)s」自 %(date)s 起才啟用，不能用於 %(first)s 開始的課程。")
                % {"tag": tag.name, "date": _day(tag.valid_from), "first": _day(first)},
            )


def _check_sessions(version, problems: _Problems):
    if not version.pk:
        return
    sessions = list(version.sessions.all())
    total = Decimal(0)
    for number, s in enumerate(sessions, start=1):
        where = {"n": number, "date": _day(s.date)}
        if version.start_date and version.end_date:
            if not version.start_date <= s.date <= version.end_date:
                problems.add(
                    "sessions",
                    _("第 %(n)s 場（%(date)s）不在課程日期 %(start)s 至 %(end)s 之間。")
                    % {**where, "start": _day(version.start_date), "end": _day(version.end_date)},
                )
        if s.end_time <= s.start_time:
            problems.add("sessions", _("第 %(n)s 場（%(date)s）的結束時間須晚於開始時間。") % where)
        hours = _decimal(s.hours) or Decimal(0)
        if hours <= 0 or not _half_steps(hours):
            problems.add(
                "sessions",
                _("第 %(n)s 場（%(date)s）的時數須大於 0，並以 0.5 小時為單位。") % where,
            )
        total += hours
    for i, a in enumerate(sessions):
        for j, b in enumerate(sessions[i + 1 :], start=i + 1):
            if a.date == b.date and a.start_time < b.end_time and b.start_time < a.end_time:
                problems.add(
                    "sessions",
                    _("第 %(a)s 場與第 %(b)s 場（%(date)s）時間重疊。")
                    % {"a": i + 1, "b": j + 1, "date": _day(a.date)},
                )
    hours = _decimal(version.hours)
    if sessions and hours is not None and total > hours:
        problems.add(
            "sessions",
            _("各場次時數合計 %(total)s 小時，超過研習時數 %(hours)s 小時。")
            % {"total": total.normalize(), "hours": hours.normalize()},
        )


def submit_problems(version) -> dict[str, list[str]]:
    """Every reason the version cannot be sent for review yet, by form field."""
    problems = _Problems()
    for field, messages in draft_problems(version).items():
        for message in messages:
            problems.add(field, message)
    on = version.start_date or timezone.localdate()
    _check_required(version, problems)
    _check_codes_in_force(version, on, problems)
    _check_other_texts(version, problems)
    _check_dates(version, problems)
    _check_hours_and_credits(version, problems)
    _check_capacity(version, problems)
    _check_contact(version, "contact1", problems, required=True)
    _check_contact(version, "contact2", problems, required=False)
    _check_topic(version, on, problems)
    _check_subject(version, on, problems)
    _check_tags(version, problems)
    _check_sessions(version, problems)
    # One message per problem: draft and submit checks may find the same unknown code.
    return {field: list(dict.fromkeys(messages)) for field, messages in problems.items()}
