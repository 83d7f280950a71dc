"""The regional center's side of the life cycle: the review queue, the reviewer's view of a
course (its 26 fields and the change against the published version), approving several at
once, the daily overdue report, and the auto-review switches and log.

Approve and return themselves are `lifecycle.approve_course(s)` / `lifecycle.return_course`.

Working days are Monday to Friday; there is no holiday calendar, so a review waiting over a
national holiday looks one day older than it is (a false alarm, never a missed one).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import Case, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inservice.accounts.permissions import Function, can, usable_staff
from inservice.catalog import codes
from inservice.catalog import selectors as catalog
from inservice.catalog.models import TeacherStage
from inservice.core.audit import log_event
from inservice.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from inservice.notifications.services import mail_user

from .. import permissions
from ..flags import Flag, flags_for_many
from ..models import AutoReviewSetting, Course, CourseStatus, CourseVersion, VersionState
from . import lifecycle

logger = logging.getLogger(__name__)

WORKING_DAYS_LIMIT = 3  # 附件九 第11條第8款: a review takes at least three working days
STARTING_SOON_DAYS = 7  # 附件九 第12條第2款: courses are registered a week ahead


# --------------------------------------------------------------------------- working days


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Monday–Friday days after `start`, up to and including `end` (no holiday calendar).

    Submitted on a Monday, the review has waited 3 working days on Thursday and 4 on Friday.
    """
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (start + datetime.timedelta(days=offset)).weekday() < 5:
            count += 1
    return count


def working_days_waited(submitted_at: datetime.datetime | None, today=None) -> int | None:
    if submitted_at is None:
        return None
    return working_days_between(timezone.localdate(submitted_at), today or timezone.localdate())


# --------------------------------------------------------------------------- the queue


class QueueStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("待審核")
    RETURNED = "returned", gettext_lazy("已退回")
    PUBLISHED = "published", gettext_lazy("已核准公告")
    ALL = "all", gettext_lazy("全部")


def stage_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """One select for "education stage": target stages (14-x) or the taxonomy stage."""
    return [
        (
            str(codes.title("target_stage")),
            [(code, f"{code} {name}") for code, name in codes.choices("target_stage")],
        ),
        (_("課程細項適用階段"), [(value, str(label)) for value, label in TeacherStage.choices]),
    ]


def _first_submission():
    return Subquery(
        CourseVersion.objects.filter(course=OuterRef("pk"), submitted_at__isnull=False)
        .order_by("submitted_at")
        .values("submitted_at")[:1]
    )


def _on_versions(prefixes: list[str], **lookups) -> Q:
    """The lookups on any of the given versions (working / published)."""
    combined = Q()
    for prefix in prefixes:
        combined |= Q(**{f"{prefix}__{key}": value for key, value in lookups.items()})
    return combined


def review_queue(
    center,
    *,
    status: str = QueueStatus.PENDING,
    stage: str = "",
    unit: str = "",
    county=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    q: str = "",
):
    """Courses routed to `center`, filtered; pending ones oldest first (no N+1: one query)."""
    courses = (
        Course.objects.filter(reviewing_center=center)
        .exclude(status=CourseStatus.DRAFT)
        .select_related("unit__county", "working__submitted_by", "published")
        .annotate(first_submitted_at=_first_submission())
    )
    if status == QueueStatus.PENDING:
        courses = courses.filter(working__state=VersionState.PENDING)
        versions = ["working"]
    elif status == QueueStatus.RETURNED:
        courses = courses.filter(
            Q(status=CourseStatus.RETURNED) | Q(working__state=VersionState.RETURNED)
        )
        versions = ["working"]
    elif status == QueueStatus.PUBLISHED:
        courses = courses.filter(status=CourseStatus.PUBLISHED)
        versions = ["published", "working"]
    else:
        versions = ["working", "published"]

    if stage:
        if stage in dict(codes.choices("target_stage")) or stage.startswith("14-"):
            courses = courses.filter(_on_versions(versions, target_stages__contains=[stage]))
        else:
            courses = courses.filter(_on_versions(versions, taxonomy_stage=stage))
    unit = (unit or "").strip()
    if unit:
        courses = courses.filter(Q(unit__code=unit) | Q(unit__name__icontains=unit))
    if county is not None:
        courses = courses.filter(unit__county=county)
    if date_from:
        courses = courses.filter(_on_versions(versions, end_date__gte=date_from))
    if date_to:
        courses = courses.filter(_on_versions(versions, start_date__lte=date_to))
    q = (q or "").strip()
    if q:
        courses = courses.filter(Q(name__icontains=q) | _on_versions(versions, name__icontains=q))

    if status == QueueStatus.PENDING:
        return courses.order_by("working__submitted_at", "code")
    if status == QueueStatus.ALL:
        pending_first = Case(
            When(working__state=VersionState.PENDING, then=Value(0)),
            default=Value(1),
            output_field=models.IntegerField(),
        )
        return courses.order_by(pending_first, "working__submitted_at", "-start_date", "code")
    return courses.order_by("-start_date", "code")


def shown_version(course) -> CourseVersion | None:
    """The version a reviewer looks at: the one under review (or returned), else the public one."""
    working = course.working
    if working is not None and working.state in (VersionState.PENDING, VersionState.RETURNED):
        return working
    return course.published or working


@dataclass
class QueueRow:
    course: Course
    version: CourseVersion | None
    pending: bool
    submitted_at: datetime.datetime | None
    waited: int | None  # working days, pending rows only
    overdue: bool
    days_to_start: int | None
    starting_soon: bool
    flags: list[Flag] = field(default_factory=list)

    @property
    def flag_count(self) -> int:
        return len(self.flags)


def _days_to_start(version, today) -> int | None:
    if version is None or version.start_date is None:
        return None
    return (version.start_date - today).days


def queue_rows(courses, today: datetime.date | None = None) -> list[QueueRow]:
    """Rows for one page of `review_queue` (flags for the whole page in one more query)."""
    today = today or timezone.localdate()
    courses = list(courses)
    versions = {c.pk: shown_version(c) for c in courses}
    flags = flags_for_many([(c, versions[c.pk]) for c in courses])
    rows = []
    for course in courses:
        version = versions[course.pk]
        pending = version is not None and version.state == VersionState.PENDING
        waited = working_days_waited(version.submitted_at, today) if pending else None
        days = _days_to_start(version, today)
        rows.append(
            QueueRow(
                course=course,
                version=version,
                pending=pending,
                submitted_at=version.submitted_at if version is not None else None,
                waited=waited,
                overdue=waited is not None and waited > WORKING_DAYS_LIMIT,
                days_to_start=days,
                starting_soon=pending and days is not None and days <= STARTING_SOON_DAYS,
                flags=flags.get(course.pk, []),
            )
        )
    return rows


# --------------------------------------------------------------------------- one course

# 附件四: the 26 numbered fields of the course form, in order, with the form's headings.
FIELD_TITLES: dict[int, str] = {
    1: gettext_lazy("班別類別"),
    2: gettext_lazy("辦理性質及依據文號"),
    3: gettext_lazy("研習名稱與專案屬性標籤"),
    4: gettext_lazy("教育階段-領域-科目"),
    5: gettext_lazy("進修範疇"),
    6: gettext_lazy("課程細項"),
    7: gettext_lazy("進修階層"),
    8: gettext_lazy("師資"),
    9: gettext_lazy("課程大綱"),
    10: gettext_lazy("研習附件"),
    11: gettext_lazy("實施方式"),
    12: gettext_lazy("課程時段"),
    13: gettext_lazy("研習時數"),
    14: gettext_lazy("參加對象教育階段別"),
    15: gettext_lazy("參加對象職稱別"),
    16: gettext_lazy("報名開始日期"),
    17: gettext_lazy("報名截止日期"),
    18: gettext_lazy("課程開始日期"),
    19: gettext_lazy("課程結束日期"),
    20: gettext_lazy("上課時間及地點"),
    21: gettext_lazy("經費來源"),
    22: gettext_lazy("學員繳費情形"),
    23: gettext_lazy("辦理班數"),
    24: gettext_lazy("每班人數"),
    25: gettext_lazy("承辦人資訊"),
    26: gettext_lazy("課程意見回饋問卷"),
}
SECTIONS = [
    (gettext_lazy("課程訊息"), range(1, 14)),
    (gettext_lazy("報名資訊"), range(14, 21)),
    (gettext_lazy("其他"), range(21, 27)),
]
SESSIONS_KEY = 0  # the optional dated sessions, shown after field 19


@dataclass(frozen=True)
class FieldRow:
    number: int
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class DiffRow:
    number: int
    title: str
    old: tuple[str, ...]
    new: tuple[str, ...]


EMPTY = "—"


def _code_label(table: str, code: str) -> str:
    if not code:
        return EMPTY
    try:
        return f"{code} {codes.name_of(table, code)}"
    except codes.UnknownCode:
        return _("%(code)s（未知代碼）") % {"code": code}


def _code_lines(table: str, values, other: str = "") -> list[str]:
    lines = [_code_label(table, v) for v in values or []] or [EMPTY]
    if other:
        lines.append(_("其他：%(text)s") % {"text": other})
    return lines


def _tag_label(code: str) -> str:
    try:
        return f"{code} {catalog.get_tag(code).name}"
    except LookupError:
        return _("%(code)s（未知標籤）") % {"code": code}


def _subject_label(code: str) -> str:
    if not code:
        return EMPTY
    try:
        s = catalog.get_subject(code)
    except LookupError:
        return _("%(code)s（未知代碼）") % {"code": code}
    return f"{code} {s.stage_name}-{s.domain_name}-{s.name}"


def _topic_lines(version) -> list[str]:
    stage = version.taxonomy_stage
    stage_label = (
        str(TeacherStage(stage).label) if stage in TeacherStage.values else (stage or EMPTY)
    )
    lines = [_("適用階段：%(stage)s") % {"stage": stage_label}]
    if version.topic_item:
        try:
            lines.append(catalog.get_topic(stage, version.topic_item).label)
        except LookupError:
            lines.append(_("%(code)s（未知代碼）") % {"code": version.topic_item})
    else:
        lines.append(EMPTY)
    return lines


def _text(value) -> str:
    if value is None or value == "":
        return EMPTY
    return str(value)


def _contact(name, phone, email) -> str:
    if not (name or phone or email):
        return EMPTY
    return _("姓名：%(name)s　電話：%(phone)s　Email：%(email)s") % {
        "name": name or EMPTY,
        "phone": phone or EMPTY,
        "email": email or EMPTY,
    }


def _field_lines(version, attachments_note: str) -> dict[int, list[str]]:
    v = version
    credits = [_("學分數：%(credits)s") % {"credits": v.credits}] if v.credits is not None else []
    doc = v.basis_doc_number.strip() or _("（未填）")
    tags = [_tag_label(t) for t in v.tags or []]
    return {
        1: [_code_label("class_type", v.class_type), *credits],
        2: [_code_label("basis", v.basis), _("依據文號：%(doc)s") % {"doc": doc}],
        3: [
            _text(v.name),
            _("專案屬性標籤：%(tags)s") % {"tags": "、".join(tags) if tags else EMPTY},
        ],
        4: [_subject_label(v.subject)],
        5: [_code_label("category", v.category)],
        6: _topic_lines(v),
        7: [_code_label("level", v.level)],
        8: [
            _("姓名：%(name)s") % {"name": v.instructor_name or EMPTY},
            _code_label("instructor_type", v.instructor_type),
        ],
        9: [_text(v.outline)],
        10: [attachments_note],
        11: _code_lines("delivery", v.delivery, v.delivery_other),
        12: _code_lines("time_slot", v.time_slots),
        13: [_("%(hours)s 小時") % {"hours": v.hours} if v.hours is not None else EMPTY],
        14: _code_lines("target_stage", v.target_stages),
        15: _code_lines("target_title", v.target_titles, v.target_title_other),
        16: [
            _text(v.registration_start),
            _("報名開放時間：%(time)s") % {"time": v.registration_opens_at.strftime("%H:%M")},
        ],
        17: [_text(v.registration_end)],
        18: [_text(v.start_date)],
        19: [_text(v.end_date)],
        SESSIONS_KEY: [
            _("%(date)s %(start)s–%(end)s（%(hours)s 小時）")
            % {
                "date": s.date,
                "start": s.start_time.strftime("%H:%M"),
                "end": s.end_time.strftime("%H:%M"),
                "hours": s.hours,
            }
            for s in v.sessions.all()
        ]
        or [_("未登錄場次")],
        20: [_text(v.time_and_place)],
        21: _code_lines("funding", v.funding),
        22: [_code_label("fee", v.fee)],
        23: [_text(v.classes)],
        24: [_text(v.seats_per_class)],
        25: [
            "25-1 " + _contact(v.contact1_name, v.contact1_phone, v.contact1_email),
            "25-2 " + _contact(v.contact2_name, v.contact2_phone, v.contact2_email),
        ],
        26: [_code_label("feedback", v.feedback)],
    }


def _title(number: int) -> str:
    return str(FIELD_TITLES[number]) if number else _("場次")


ORDER = [*range(1, 20), SESSIONS_KEY, *range(20, 27)]


def version_fields(version, *, attachment_count: int = 0) -> list[tuple[str, list[FieldRow]]]:
    """The version's 26 fields (and its sessions) with code names, grouped by form section."""
    note = _("共 %(count)s 個附件，見「研習附件」一節。") % {"count": attachment_count}
    lines = _field_lines(version, note)
    sections = []
    for heading, numbers in SECTIONS:
        keys = [n for n in ORDER if n in numbers or (n == SESSIONS_KEY and 19 in numbers)]
        sections.append((str(heading), [FieldRow(n, _title(n), tuple(lines[n])) for n in keys]))
    return sections


def version_diff(old, new) -> list[DiffRow]:
    """Field by field (附件四 numbering), the fields whose shown value differs."""
    before = _field_lines(old, "")
    after = _field_lines(new, "")
    return [
        DiffRow(n, _title(n), tuple(before[n]), tuple(after[n]))
        for n in ORDER
        if before[n] != after[n]
    ]


def reviewable_course_or_none(actor, code: int) -> Course | None:
    """The course with `code` when `actor` reviews it (its reviewing center's staff)."""
    course = (
        Course.objects.select_related(
            "unit__county",
            "reviewing_center",
            "working__submitted_by",
            "working__reviewed_by",
            "published__reviewed_by",
        )
        .filter(code=code)
        .first()
    )
    if course is None or not permissions.can_review(actor, course):
        return None
    return course


# --------------------------------------------------------------------------- approving several


def approve_many(*, actor, course_codes: list[int]) -> list[CourseVersion]:
    """Approve every chosen course, or none: refused with the codes that are not the actor's
    to approve (another center's, unknown, or not waiting for review)."""
    wanted = sorted({int(c) for c in course_codes})
    if not wanted:
        raise ValidationFailed(_("請先勾選要核准的課程。"), code="nothing_selected")
    courses = list(Course.objects.filter(code__in=wanted).select_related("working"))
    found = {c.code for c in courses}
    refused = sorted(set(wanted) - found) + sorted(
        c.code
        for c in courses
        if not permissions.can_review(actor, c)
        or c.working is None
        or c.working.state != VersionState.PENDING
    )
    if refused:
        raise DomainError(
            _("下列課程不是本中心待審核的課程，全部勾選的課程都沒有核准，請重新勾選：%(codes)s")
            % {"codes": "、".join(str(c) for c in sorted(refused))},
            code="not_reviewable",
        )
    return lifecycle.approve_courses(actor=actor, courses=courses)


# --------------------------------------------------------------------------- overdue report


def pending_courses():
    """Every course with a version waiting for review, anywhere."""
    return (
        Course.objects.filter(working__state=VersionState.PENDING, reviewing_center__isnull=False)
        .exclude(status=CourseStatus.CANCELLED)
        .select_related("unit", "working", "reviewing_center")
        .order_by("reviewing_center_id", "working__submitted_at", "code")
    )


@dataclass
class OverdueItem:
    course: Course
    version: CourseVersion
    waited: int
    days_to_start: int | None
    url: str


def overdue_reviews(today: datetime.date | None = None) -> dict:
    """{center: (overdue, starting_soon)}: pending over 3 working days; starting in 7 days."""
    today = today or timezone.localdate()
    report: dict = {}
    for course in pending_courses():
        version = course.working
        waited = working_days_waited(version.submitted_at, today) or 0
        days = _days_to_start(version, today)
        item = OverdueItem(
            course,
            version,
            waited,
            days,
            reverse("courses:review_detail", args=[course.code]),
        )
        overdue, soon = report.setdefault(course.reviewing_center, ([], []))
        if waited > WORKING_DAYS_LIMIT:
            overdue.append(item)
        if days is not None and days <= STARTING_SOON_DAYS:
            soon.append(item)
    return {center: lists for center, lists in report.items() if lists[0] or lists[1]}


def center_chiefs(center):
    from inservice.accounts.models import StaffRole, StaffStatus, User

    return User.objects.filter(
        kind=User.Kind.STAFF,
        is_active=True,
        staff__unit=center,
        staff__role=StaffRole.CHIEF,
        staff__status=StaffStatus.ACTIVE,
    ).order_by("pk")


def report_overdue_reviews(today: datetime.date | None = None) -> list[dict]:
    """Mail each center's active chief(s) its overdue and soon-starting pending reviews.

    Run daily (courses/tasks.py). Returns one summary per center that had something to
    report; a center without an active chief is logged as a warning (nobody to tell).
    """
    today = today or timezone.localdate()
    summaries = []
    for center, (overdue, soon) in overdue_reviews(today).items():
        with transaction.atomic():
            chiefs = list(center_chiefs(center))
            for chief in chiefs:
                mail_user(
                    chief,
                    "review_overdue",
                    {
                        "center": center,
                        "overdue": overdue,
                        "starting_soon": soon,
                        "today": today,
                        "limit": WORKING_DAYS_LIMIT,
                        "soon_days": STARTING_SOON_DAYS,
                        "queue_url": reverse("courses:review_queue"),
                    },
                )
            summary = {
                "center": center.code,
                "overdue": [i.course.code for i in overdue],
                "starting_soon": [i.course.code for i in soon],
                "recipients": len(chiefs),
            }
            log_event("courses.overdue_reviews_reported", obj=center, data=summary)
        if not chiefs:
            logger.warning("overdue reviews at center %s but no active chief to tell", center.code)
        summaries.append(summary)
    return summaries


# --------------------------------------------------------------------------- auto-review


def autoreview_setting(center) -> AutoReviewSetting:
    """The center's switches (both off when never set; not saved)."""
    setting = AutoReviewSetting.objects.select_related("changed_by").filter(center=center).first()
    return setting or AutoReviewSetting(center=center)


@transaction.atomic
def set_autoreview(*, actor, center, courses: bool, attendance_lists: bool) -> AutoReviewSetting:
    """附件一 二(三)5: only the center's own chief switches its auto-review on or off."""
    staff = usable_staff(actor)
    if staff is None or staff.unit_id != center.pk or not can(actor, Function.AUTOREVIEW_SETTINGS):
        raise PermissionDeniedError(_("只有區管中心的總負責人可以設定本中心的自動審核。"))
    setting, _created = AutoReviewSetting.objects.select_for_update().get_or_create(center=center)
    before = {"courses": setting.courses, "attendance_lists": setting.attendance_lists}
    after = {"courses": bool(courses), "attendance_lists": bool(attendance_lists)}
    if before == after and not _created:
        return setting
    setting.courses = after["courses"]
    setting.attendance_lists = after["attendance_lists"]
    setting.changed_by = actor
    setting.changed_at = timezone.now()
    setting.save()
    log_event("courses.autoreview_changed", actor=actor, obj=center, before=before, after=after)
    return setting


def autoreview_log(center):
    """What auto-review approved for `center`, newest first."""
    return (
        CourseVersion.objects.filter(auto_approved=True, course__reviewing_center=center)
        .select_related("course__unit", "submitted_by")
        .order_by("-reviewed_at", "-pk")
    )
