"""Reads of courses: the unit's course list (with the status-light filter), the course form
shown field by field with code names (附件四 numbering), and version diffs for the history.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inservice.catalog import codes
from inservice.catalog import selectors as catalog
from inservice.catalog.models import TeacherStage

from . import lights
from .models import ChangeRequest, Course, CourseStatus, CourseVersion

# --- The unit's course list -----------------------------------------------------------------

OPEN_CHANGE_REQUEST_STATES = (ChangeRequest.State.PENDING, ChangeRequest.State.APPROVED)
SORTS = {"start": ("start_date", "code"), "-start": ("-start_date", "-code")}


def light_filter(
    code: str, today: datetime.date | None = None, *, now: datetime.datetime | None = None
) -> Q:
    """`lights.light_for` as a filter: the courses whose light is `code` (KeyError if unknown)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    local = timezone.localtime(now)
    listed = Q(attendance_list__state__in=list(lights.LIST_STATE_LIGHTS))
    by_list = {
        code: Q(status=CourseStatus.PUBLISHED, attendance_list__state=state)
        for state, code in lights.LIST_STATE_LIGHTS.items()
    }
    published = Q(status=CourseStatus.PUBLISHED) & ~listed
    ended = Q(end_date__lt=today)
    started = Q(start_date__lte=today)
    before = published & ~ended & ~started
    upcoming = Q(published__registration_start__gt=local.date()) | Q(
        published__registration_start=local.date(),
        published__registration_opens_at__gt=local.time(),
    )
    reg_closed = Q(published__registration_end__lt=local.date())
    due_from = today - datetime.timedelta(days=lights.HOURS_DUE_DAYS)
    filters = {
        lights.DRAFT: Q(status=CourseStatus.DRAFT),
        lights.PENDING: Q(status=CourseStatus.PENDING),
        lights.RETURNED: Q(status=CourseStatus.RETURNED),
        lights.CANCELLED: Q(status=CourseStatus.CANCELLED),
        lights.CLOSED: Q(status=CourseStatus.CLOSED),
        lights.HOURS_DUE: published & Q(end_date__lt=today, end_date__gte=due_from),
        lights.HOURS_OVERDUE: published & Q(end_date__lt=due_from),
        lights.RUNNING: published & ~ended & started,
        lights.REG_UPCOMING: before & upcoming,
        lights.REG_CLOSED: before & ~upcoming & reg_closed,
        lights.REG_OPEN: before & ~upcoming & ~reg_closed,
        **by_list,
    }
    return filters[code]


def unit_courses(
    unit,
    *,
    light: str = "",
    year: int | None = None,
    q: str = "",
    sort: str = "-start",
    now: datetime.datetime | None = None,
) -> QuerySet[Course]:
    """The courses of `unit` for its list, filtered; one query for the page (no N+1)."""
    qs = (
        Course.objects.filter(unit=unit)
        .select_related("published", "working", "attendance_list")
        .annotate(
            open_change_request=Exists(
                ChangeRequest.objects.filter(
                    course=OuterRef("pk"), state__in=OPEN_CHANGE_REQUEST_STATES
                )
            )
        )
    )
    if light:
        qs = qs.filter(light_filter(light, now=now))
    if year:
        qs = qs.filter(start_date__year=year)
    q = (q or "").strip()
    if q:
        match = Q(name__icontains=q)
        if q.isdigit():
            match |= Q(code=int(q))
        qs = qs.filter(match)
    return qs.order_by(*SORTS.get(sort, SORTS["-start"]))


def unit_course_years(unit) -> list[int]:
    dates = Course.objects.filter(unit=unit, start_date__isnull=False).dates(
        "start_date", "year", order="DESC"
    )
    return [d.year for d in dates]


# --- The course form, field by field ----------------------------------------------------------

# Form fields holding codes of a code table (catalog.codes), single or multiple.
CODE_TABLES = {
    "class_type": "class_type",
    "basis": "basis",
    "category": "category",
    "level": "level",
    "instructor_type": "instructor_type",
    "delivery": "delivery",
    "time_slots": "time_slot",
    "target_stages": "target_stage",
    "target_titles": "target_title",
    "funding": "funding",
    "fee": "fee",
    "feedback": "feedback",
}

# (附件四 field number, form fields) in the order of the paper form.
FORM_LAYOUT: list[tuple[str, list[str]]] = [
    ("1", ["class_type", "credits"]),
    ("2", ["basis", "basis_doc_number"]),
    ("3", ["name", "tags"]),
    ("4", ["subject"]),
    ("5", ["category"]),
    ("6", ["taxonomy_stage", "topic_item"]),
    ("7", ["level"]),
    ("8", ["instructor_name", "instructor_type"]),
    ("9", ["outline"]),
    ("11", ["delivery", "delivery_other"]),
    ("12", ["time_slots"]),
    ("13", ["hours"]),
    ("14", ["target_stages"]),
    ("15", ["target_titles", "target_title_other"]),
    ("16", ["registration_start", "registration_opens_at"]),
    ("17", ["registration_end"]),
    ("18", ["start_date"]),
    ("19", ["end_date"]),
    ("20", ["time_and_place"]),
    ("21", ["funding"]),
    ("22", ["fee"]),
    ("23", ["classes"]),
    ("24", ["seats_per_class"]),
    (
        "25",
        [
            "contact1_name",
            "contact1_phone",
            "contact1_email",
            "contact2_name",
            "contact2_phone",
            "contact2_email",
        ],
    ),
    ("26", ["feedback"]),
]
FIELD_NUMBER = {field: number for number, fields in FORM_LAYOUT for field in fields}
FORM_ORDER = [field for _number, fields in FORM_LAYOUT for field in fields]
SESSIONS = "sessions"


def _code_name(table: str, code: str, names: dict[str, str]) -> str:
    name = names.get(code)
    return f"{code} {name}" if name else code


def display_value(field: str, value) -> str:
    """One form value as people read it: codes with their names, dates as YYYY-MM-DD."""
    if value in (None, "", []):
        return ""
    if field in CODE_TABLES:
        names = codes.names(CODE_TABLES[field])
        items = value if isinstance(value, list) else [value]
        return "、".join(_code_name(CODE_TABLES[field], str(v), names) for v in items)
    if field == "tags":
        out = []
        for code in value:
            try:
                out.append(catalog.get_tag(code).name)
            except LookupError:
                out.append(str(code))
        return "、".join(out)
    if field == "subject":
        try:
            return catalog.get_subject(value).path
        except LookupError:
            return str(value)
    if field == "taxonomy_stage":
        return str(TeacherStage(value).label) if value in TeacherStage.values else str(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _topic_display(version) -> str:
    if not version.topic_item:
        return ""
    try:
        return catalog.get_topic(version.taxonomy_stage, version.topic_item).label
    except (LookupError, catalog.UnknownStage):
        return version.topic_item


def field_display(version, field: str) -> str:
    if field == "topic_item":
        return _topic_display(version)
    if field == SESSIONS:
        return sessions_display(version)
    return display_value(field, getattr(version, field))


def sessions_display(version) -> str:
    return "；".join(
        f"{s.date:%Y-%m-%d} {s.start_time:%H:%M}–{s.end_time:%H:%M}"
        f"（{display_value('hours', s.hours)}）"
        for s in version.sessions.all()
    )


def field_label(field: str) -> str:
    if field == SESSIONS:
        return str(_("場次"))
    return str(CourseVersion._meta.get_field(field).verbose_name)


@dataclass(frozen=True)
class FieldRow:
    number: str
    field: str
    label: str
    value: str


def version_rows(version, *, skip_empty: bool = False) -> list[FieldRow]:
    """Every form field of `version` with its 附件四 number and readable value."""
    rows = []
    for field in FORM_ORDER:
        value = field_display(version, field)
        if skip_empty and not value:
            continue
        rows.append(FieldRow(FIELD_NUMBER[field], field, field_label(field), value))
    return rows


@dataclass(frozen=True)
class FieldChange:
    number: str
    field: str
    label: str
    old: str
    new: str


def diff_versions(old, new) -> list[FieldChange]:
    """Field-by-field changes from `old` to `new` (old None: nothing to compare with)."""
    if old is None:
        return []
    changes = []
    for field in [*FORM_ORDER, SESSIONS]:
        before, after = field_display(old, field), field_display(new, field)
        if before != after:
            changes.append(
                FieldChange(FIELD_NUMBER.get(field, "20"), field, field_label(field), before, after)
            )
    return changes


def raw_changes(old, new) -> tuple[dict, dict]:
    """(before, after) dicts of the changed form values, for the audit trail."""
    before, after = {}, {}
    for field in [*FORM_ORDER, SESSIONS]:
        a, b = field_display(old, field), field_display(new, field)
        if a != b:
            before[field], after[field] = a, b
    return before, after


# --- History --------------------------------------------------------------------------------


@dataclass
class VersionEntry:
    version: CourseVersion
    changes: list[FieldChange]
    is_published: bool
    is_working: bool
    change_request: ChangeRequest | None


def course_history(course) -> list[VersionEntry]:
    """Every version of `course`, newest first, each with its diff to the previous number."""
    versions = list(
        course.versions.select_related(
            "created_by__staff__unit", "submitted_by__staff__unit", "reviewed_by__staff__unit"
        )
        .prefetch_related("sessions")
        .order_by("number")
    )
    requests = {cr.proposed_id: cr for cr in course.change_requests.all()}
    entries = []
    previous = None
    for version in versions:
        entries.append(
            VersionEntry(
                version=version,
                changes=diff_versions(previous, version),
                is_published=version.pk == course.published_id,
                is_working=version.pk == course.working_id,
                change_request=requests.get(version.pk),
            )
        )
        previous = version
    entries.reverse()
    return entries
