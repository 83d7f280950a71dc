"""Reads of training records for the record pages and their exports.

Three readers share these queries: a teacher looking at their own records, a school looking
at its current teachers, and a regional center looking at the teachers of its jurisdiction.
Every total is computed in the database (one grouped query per table), so a teacher with
forty years of records costs the same number of queries as one with a single record, and the
filters stay on the (teacher, start_date) index.

Dating rules: a record belongs to the calendar year and school year of its start date.
A school year (學年度) runs from 1 August to 31 July and is named by its ROC year:
115學年度 = 2026-08-01 .. 2027-07-31.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear
from django.db.models.lookups import Contains
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.accounts.models import Teacher
from inservice.catalog import codes, selectors
from inservice.courses.models import Source
from inservice.organizations.models import Unit
from inservice.organizations.routing import units_reviewed_by
from inservice.records.hours import DAILY_CAP, WEEKLY_CAP
from inservice.records.models import TrainingRecord

ROC_OFFSET = 1911
SCHOOL_YEAR_FIRST_MONTH = 8
RECENT_DAYS = 30  # records added within this many days are marked 新增
ZERO = Decimal(0)

# 統合視導 (integrated inspection): the teachers whose hours a school reports are its current
# teachers (serving here, not marked as left) holding a teaching post, by the title codes of
# 附件四 field 15: principals and vice-principals, teachers with administrative duties,
# certified full-time teachers, substitute teachers, and kindergarten directors. University
# teachers, part-time teachers, administrative staff, interns, students, teaching-support
# staff, military instructors, coaches, educare and after-school staff are not counted.
INSPECTION_TITLES: tuple[str, ...] = ("15-2", "15-3", "15-4", "15-5", "15-13")


# --- Years ----------------------------------------------------------------------------------


def roc_year(year: int) -> int:
    return year - ROC_OFFSET


def school_year_of(day: datetime.date) -> int:
    """The ROC school year a day falls in (115 for 2026-08-01 .. 2027-07-31)."""
    year = day.year if day.month >= SCHOOL_YEAR_FIRST_MONTH else day.year - 1
    return year - ROC_OFFSET


def school_year_bounds(school_year: int) -> tuple[datetime.date, datetime.date]:
    first = school_year + ROC_OFFSET
    return datetime.date(first, 8, 1), datetime.date(first + 1, 7, 31)


def calendar_year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def school_year_label(school_year: int) -> str:
    return _("%(year)s學年度") % {"year": school_year}


def calendar_year_label(year: int) -> str:
    return _("%(year)s年（民國%(roc)s年）") % {"year": year, "roc": roc_year(year)}


@dataclass(frozen=True)
class Period:
    """A span of start dates: a school year, a calendar year or a custom range."""

    kind: str  # "school_year", "year" or "range"
    start: datetime.date | None
    end: datetime.date | None
    value: int | None = None  # the school year (ROC) or calendar year (AD)

    SCHOOL_YEAR = "school_year"
    YEAR = "year"
    RANGE = "range"

    @classmethod
    def school_year(cls, school_year: int) -> Period:
        return cls(cls.SCHOOL_YEAR, *school_year_bounds(school_year), value=school_year)

    @classmethod
    def calendar_year(cls, year: int) -> Period:
        return cls(cls.YEAR, *calendar_year_bounds(year), value=year)

    @classmethod
    def date_range(cls, start: datetime.date | None, end: datetime.date | None) -> Period:
        return cls(cls.RANGE, start, end)

    @classmethod
    def current_school_year(cls, today: datetime.date | None = None) -> Period:
        return cls.school_year(school_year_of(today or timezone.localdate()))

    @property
    def label(self) -> str:
        if self.kind == self.SCHOOL_YEAR:
            return school_year_label(self.value)
        if self.kind == self.YEAR:
            return calendar_year_label(self.value)
        start = self.start.isoformat() if self.start else "…"
        end = self.end.isoformat() if self.end else "…"
        return f"{start} – {end}"

    def q(self, prefix: str = "") -> Q:
        """Records starting within the period (`prefix` reaches records through a relation)."""
        q = Q()
        if self.start:
            q &= Q(**{f"{prefix}start_date__gte": self.start})
        if self.end:
            q &= Q(**{f"{prefix}start_date__lte": self.end})
        return q

    def as_params(self) -> dict[str, str]:
        """The GET parameters that select the same records on a record list (drill-down)."""
        if self.kind == self.SCHOOL_YEAR:
            return {"sy": str(self.value)}
        if self.kind == self.YEAR:
            return {"year": str(self.value)}
        params = {}
        if self.start:
            params["from"] = self.start.isoformat()
        if self.end:
            params["to"] = self.end.isoformat()
        return params

    def as_audit(self) -> dict:
        return {
            "period": self.kind,
            "value": self.value,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }


# --- One teacher's records ------------------------------------------------------------------

SORTS: dict[str, tuple[str, ...]] = {
    "-date": ("-start_date", "-id"),
    "date": ("start_date", "id"),
    "-hours": ("-hours", "-start_date", "-id"),
    "hours": ("hours", "start_date", "id"),
    "name": ("course_name", "start_date", "id"),
    "-name": ("-course_name", "-start_date", "-id"),
}
DEFAULT_SORT = "-date"


@dataclass
class RecordFilters:
    year: int | None = None  # calendar year (AD)
    school_year: int | None = None  # ROC
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    category: str = ""
    tag: str = ""
    source: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT

    def without_period(self) -> RecordFilters:
        return RecordFilters(
            category=self.category, tag=self.tag, source=self.source, q=self.q, sort=self.sort
        )

    def as_audit(self) -> dict:
        return {
            k: (v.isoformat() if isinstance(v, datetime.date) else v)
            for k, v in self.__dict__.items()
            if v not in (None, "")
        }


def has_tag(code: str):
    """A filter for records carrying the tag `code` (jsonb containment on PostgreSQL)."""
    if connection.vendor == "postgresql":
        return Q(tags__contains=[code])
    return Contains(Cast("tags", output_field=TextField()), f'"{code}"')


def period_q(filters: RecordFilters) -> Q:
    """The year, school-year and date conditions of `filters` (the per-year table ignores
    them)."""
    q = Q()
    if filters.year:
        q &= Period.calendar_year(filters.year).q()
    if filters.school_year:
        q &= Period.school_year(filters.school_year).q()
    if filters.date_from:
        q &= Q(start_date__gte=filters.date_from)
    if filters.date_to:
        q &= Q(start_date__lte=filters.date_to)
    return q


def filter_records(qs: QuerySet[TrainingRecord], filters: RecordFilters) -> QuerySet:
    qs = qs.filter(period_q(filters))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.tag:
        qs = qs.filter(has_tag(filters.tag))
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.q:
        qs = qs.filter(course_name__icontains=filters.q)
    return qs


def teacher_records(teacher: Teacher, filters: RecordFilters) -> QuerySet[TrainingRecord]:
    """The teacher's records matching `filters`, in the chosen order."""
    qs = filter_records(TrainingRecord.objects.filter(teacher=teacher), filters)
    return qs.order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))


def recent_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=RECENT_DAYS)


def is_recent(record: TrainingRecord, cutoff: datetime.datetime) -> bool:
    return record.created_at is not None and record.created_at >= cutoff


@dataclass
class Bucket:
    key: str
    label: str
    count: int
    hours: Decimal
    withheld: Decimal = ZERO
    params: dict = field(default_factory=dict)  # GET parameters that select this bucket
    href: str = ""  # the page's link to this bucket, set by the view


@dataclass
class Summary:
    count: int
    hours: Decimal
    withheld: Decimal
    credits: Decimal
    recent: int
    by_period: list[Bucket]
    by_category: list[Bucket]
    by_tag: list[Bucket]
    period_kind: str


def _school_year_expr():
    year = ExtractYear("start_date")
    return ExpressionWrapper(
        Case(
            When(start_date__month__gte=SCHOOL_YEAR_FIRST_MONTH, then=year),
            default=year - 1,
            output_field=IntegerField(),
        )
        - Value(ROC_OFFSET),
        output_field=IntegerField(),
    )


def _period_rows(qs: QuerySet[TrainingRecord], by: str) -> list[tuple]:
    expr = _school_year_expr() if by == Period.SCHOOL_YEAR else ExtractYear("start_date")
    rows = (
        qs.order_by()
        .annotate(bucket=expr)
        .values("bucket")
        .annotate(n=Count("id"), total=Sum("hours"), held=Sum("hours_withheld"))
        .order_by("-bucket")
    )
    return [(row["bucket"], row["n"], row["total"], row["held"]) for row in rows]


def _period_buckets(rows: list[tuple], by: str) -> list[Bucket]:
    out = []
    for value, n, total, held in rows:
        if by == Period.SCHOOL_YEAR:
            label, params = school_year_label(value), {"sy": str(value)}
        else:
            label, params = calendar_year_label(value), {"year": str(value)}
        out.append(Bucket(str(value), label, n, total or ZERO, held or ZERO, params))
    return out


def _category_rows(qs: QuerySet[TrainingRecord]) -> list[tuple]:
    rows = (
        qs.order_by()
        .values("category")
        .annotate(n=Count("id"), total=Sum("hours"), held=Sum("hours_withheld"))
    )
    return [(row["category"], row["n"], row["total"], row["held"]) for row in rows]


def _category_buckets(rows: list[tuple]) -> list[Bucket]:
    names = codes.names("category")
    out = [
        Bucket(
            code,
            names.get(code, code) or _("（未分類）"),
            n,
            total or ZERO,
            held or ZERO,
            {"category": code} if code else {},
        )
        for code, n, total, held in rows
    ]
    order = {code: i for i, code in enumerate(names)}
    return sorted(out, key=lambda b: (b.key not in order, order.get(b.key, 0)))


# Per-tag totals in one grouped query over each record's tags (a record counts once under
# each distinct tag it carries, as the `has_tag` filter selects it). The 15 FILTER clauses
# this replaces each ran a jsonb containment test on every record: ~9 ms of SQL and as much
# of query compilation for 1,500 records, against under 1 ms.
_TAG_ROWS_SQL = {
    "postgresql": (
        "SELECT tag, COUNT(*), SUM(hours) FROM ("
        "SELECT DISTINCT r.id, r.hours, e.value #>> '{{}}' AS tag FROM ({inner}) r "
        "CROSS JOIN LATERAL jsonb_array_elements("
        "CASE WHEN jsonb_typeof(r.tags) = 'array' THEN r.tags END) AS e(value) "
        "WHERE jsonb_typeof(e.value) = 'string') t GROUP BY tag"
    ),
    "sqlite": (
        "SELECT tag, COUNT(*), SUM(hours) FROM ("
        "SELECT DISTINCT r.id, r.hours, e.value AS tag FROM ({inner}) r, json_each(r.tags) e "
        "WHERE e.type = 'text') t GROUP BY tag"
    ),
}


_SQLITE_DECIMAL = decimal.Context(prec=15)


def _as_decimal(value) -> Decimal:
    """A SUM read without the ORM's converters (SQLite answers an int or a float), made the
    Decimal the ORM makes of an aggregate on SQLite: 15 significant digits."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return _SQLITE_DECIMAL.create_decimal_from_float(value)


def _tag_rows(qs: QuerySet[TrainingRecord]) -> list[tuple]:
    """(tag code, records, hours) for every tag the records of `qs` carry."""
    inner, params = qs.order_by().values_list("id", "hours", "tags").query.sql_with_params()
    sql = _TAG_ROWS_SQL[connection.vendor].format(inner=inner)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(code, n, _as_decimal(hours)) for code, n, hours in cursor.fetchall()]


def _totals_by_category(qs: QuerySet[TrainingRecord], cutoff) -> tuple[dict, list[tuple]]:
    """Per-category totals in one grouped query, and the overall totals summed from them
    (a handful of rows). Also the bounds that tell how long the 新增 count stays true: the
    oldest record counted as recent and the newest one not counted. Grouping by year and
    category in one query instead returned ~250 rows for forty years: slower than this."""
    recent = Q(created_at__gte=cutoff)
    rows = (
        qs.order_by()
        .values("category")
        .annotate(
            n=Count("id"),
            total=Sum("hours"),
            held=Sum("hours_withheld"),
            credits=Sum("credits"),
            n_recent=Count("id", filter=recent),
            recent_from=Min("created_at", filter=recent),
            older_until=Max("created_at", filter=~recent),
        )
    )
    totals = {
        "n_records": 0,
        "sum_hours": ZERO,
        "sum_withheld": ZERO,
        "sum_credits": ZERO,
        "n_recent": 0,
        "recent_from": None,
        "older_until": None,
    }
    category_rows = []
    for row in rows:
        hours, held = row["total"] or ZERO, row["held"] or ZERO
        category_rows.append((row["category"], row["n"], hours, held))
        totals["n_records"] += row["n"]
        totals["sum_hours"] += hours
        totals["sum_withheld"] += held
        totals["sum_credits"] += row["credits"] or ZERO
        totals["n_recent"] += row["n_recent"]
        totals["recent_from"] = _extreme(min, totals["recent_from"], row["recent_from"])
        totals["older_until"] = _extreme(max, totals["older_until"], row["older_until"])
    return totals, category_rows


def _extreme(pick, a, b):
    return b if a is None else a if b is None else pick(a, b)


def _summary(totals: dict, tag_rows, period_rows, category_rows, by: str) -> Summary:
    """The totals with their labels; tags in the catalog's order, unknown codes left out."""
    per_tag = {code: (n, hours) for code, n, hours in tag_rows}
    by_tag = [
        Bucket(tag.code, tag.name, *per_tag[tag.code], params={"tag": tag.code})
        for tag in selectors.all_tags()
        if tag.code in per_tag
    ]
    return Summary(
        count=totals["n_records"],
        hours=totals["sum_hours"] or ZERO,
        withheld=totals["sum_withheld"] or ZERO,
        credits=totals["sum_credits"] or ZERO,
        recent=totals["n_recent"],
        by_period=_period_buckets(period_rows, by),
        by_category=_category_buckets(category_rows),
        by_tag=by_tag,
        period_kind=by,
    )


def summarize(
    qs: QuerySet[TrainingRecord], *, by: str = Period.SCHOOL_YEAR, period: Q | None = None, now=None
) -> Summary:
    """Totals of the records of `qs` within `period` (year, school-year and date conditions;
    none by default): per category (summed into the overall totals), per tag and per year,
    one grouped query each. The per-year table counts all of `qs`, so a page filtered to one
    year can still show every year."""
    within = qs.filter(period) if period else qs
    totals, category_rows = _totals_by_category(within, recent_cutoff(now))
    return _summary(totals, _tag_rows(within), _period_rows(qs, by), category_rows, by)


SUMMARY_CACHE_SECONDS = 24 * 60 * 60


def _fingerprint(teacher: Teacher, cutoff) -> tuple:
    """What changes whenever the teacher's totals can: a record added or removed (count,
    newest id), re-counted by a granted exception (the hours sums), or back-dated (newest
    created_at, and how many are within the 新增 window). Records are snapshots otherwise
    never edited. One query on the
    (teacher, start_date) index, with no jsonb work."""
    row = (
        TrainingRecord.objects.filter(teacher=teacher)
        .order_by()
        .aggregate(
            n=Count("id"),
            last=Max("id"),
            created=Max("created_at"),
            hours=Sum("hours"),
            held=Sum("hours_withheld"),
            recent=Count("id", filter=Q(created_at__gte=cutoff)),
        )
    )
    return (
        row["recent"],
        row["n"],
        row["last"],
        row["created"].isoformat() if row["created"] else None,
        str(row["hours"]),
        str(row["held"]),
    )


def teacher_summary(teacher: Teacher, *, by: str = Period.SCHOOL_YEAR, now=None) -> Summary:
    """summarize() of all the teacher's records (the unfiltered page), from Django's cache
    when the records have not changed since: a cheap fingerprint query instead of three
    grouped queries. The cache holds numbers only; names and labels are rebuilt in the
    request's language."""
    cutoff = recent_cutoff(now)
    key = (
        "records:summary:v2:"
        + hashlib.sha256(repr((teacher.pk, by, _fingerprint(teacher, cutoff))).encode()).hexdigest()
    )
    cached = cache.get(key)
    if cached is not None:
        totals, tag_rows, period_rows, category_rows = cached
        # The 新增 count is still right while no record has crossed the 30-day cutoff.
        after_older = totals["older_until"] is None or totals["older_until"] < cutoff
        before_recent = totals["recent_from"] is None or cutoff <= totals["recent_from"]
        if after_older and before_recent:
            return _summary(totals, tag_rows, period_rows, category_rows, by)
    qs = TrainingRecord.objects.filter(teacher=teacher)
    totals, category_rows = _totals_by_category(qs, cutoff)
    tag_rows = _tag_rows(qs)
    period_rows = _period_rows(qs, by)
    cache.set(key, (totals, tag_rows, period_rows, category_rows), SUMMARY_CACHE_SECONDS)
    return _summary(totals, tag_rows, period_rows, category_rows, by)


def cap_explanation() -> str:
    return _(
        "依「教師在職進修研習時數核計規定」（附件九第10條），每位教師每日至多採計 "
        "%(day)s 小時、每週（週一至週日）至多採計 %(week)s 小時，跨課程、跨開課單位與"
        "跨資料來源合併計算。超過的部分不列入研習時數，標示為「超過上限未核計」；"
        "經區管中心核准例外的日子，該日時數會補列採計。"
    ) % {"day": DAILY_CAP, "week": WEEKLY_CAP}


class RecordLabels:
    """Names for the codes a record carries (category, tags, source), read once per page."""

    def __init__(self):
        self.categories = codes.names("category")
        self.tags = {t.code: t.name for t in selectors.all_tags()}
        self.sources = dict(Source.choices)

    def category(self, code: str) -> str:
        return self.categories.get(code, code)

    def tag_names(self, tags) -> list[str]:
        return [self.tags.get(t, t) for t in (tags or [])]

    def source(self, code: str) -> str:
        return str(self.sources.get(code, code))


# --- Populations: a school's and a center's teachers ----------------------------------------


def school_teachers(unit: Unit, *, inspection: bool = False) -> QuerySet[Teacher]:
    """The unit's current teachers. Marking a teacher as left (轉出) clears their serving
    unit, so they drop out here; `inspection` keeps only the 統合視導 population."""
    qs = Teacher.objects.filter(serving_unit=unit)
    if inspection:
        qs = qs.filter(title__in=INSPECTION_TITLES)
    return qs


def jurisdiction_teachers(
    center: Unit,
    *,
    unit: Unit | None = None,
    county_code: str = "",
    inspection: bool = False,
    on: datetime.date | None = None,
) -> QuerySet[Teacher]:
    """Teachers whose serving unit the center reviews (第11條 routing), as one query."""
    qs = Teacher.objects.filter(serving_unit__in=units_reviewed_by(center, on).values("pk"))
    if unit is not None:
        qs = qs.filter(serving_unit=unit)
    if county_code:
        qs = qs.filter(serving_unit__county__code=county_code)
    if inspection:
        qs = qs.filter(title__in=INSPECTION_TITLES)
    return qs


def unit_in_jurisdiction(center: Unit, code: str, on: datetime.date | None = None):
    """The unit with `code` if the center reviews it, else None."""
    return units_reviewed_by(center, on).filter(code=code).first()


def name_search(qs: QuerySet[Teacher], q: str) -> QuerySet[Teacher]:
    """Name contains `q`, or the personal identifier is exactly `q`."""
    q = q.strip()
    if not q:
        return qs
    return qs.filter(Q(name__icontains=q) | Q(personal_identifier=q.upper()))


TEACHER_SORTS: dict[str, tuple] = {
    "name": ("name", "pk"),
    "hours": ("period_hours", "name", "pk"),
    "-hours": ("-period_hours", "name", "pk"),
    "unit": ("serving_unit__code", "name", "pk"),
}


def with_period_totals(teachers: QuerySet[Teacher], period: Period) -> QuerySet[Teacher]:
    """Each teacher's record count, counted hours and withheld hours within `period`.

    Correlated subqueries on the (teacher, start_date) index, so a page of 50 teachers only
    computes its 50 rows when sorted by name.
    """
    records = TrainingRecord.objects.filter(period.q(), teacher=OuterRef("pk")).order_by()
    decimal = DecimalField(max_digits=10, decimal_places=1)

    def total(expr, output):
        return Coalesce(
            Subquery(records.values("teacher").annotate(v=expr).values("v")[:1]),
            Value(0),
            output_field=output,
        )

    return teachers.annotate(
        period_count=total(Count("id"), IntegerField()),
        period_hours=total(Sum("hours"), decimal),
        period_withheld=total(Sum("hours_withheld"), decimal),
    )


def population_page_rows(teachers: QuerySet[Teacher], period: Period, sort: str):
    """The population with totals, sorted; only the columns the pages and exports show
    (never the encrypted ID number)."""
    qs = with_period_totals(teachers, period).select_related("serving_unit__county")
    qs = qs.only(
        "pk",
        "name",
        "personal_identifier",
        "title",
        "serving_unit__code",
        "serving_unit__name",
        "serving_unit__county__name",
    )
    return qs.order_by(*TEACHER_SORTS.get(sort, TEACHER_SORTS["name"]))


@dataclass
class PopulationTotals:
    teachers: int
    with_records: int
    records: int
    hours: Decimal
    withheld: Decimal

    @property
    def without_records(self) -> int:
        return self.teachers - self.with_records

    @property
    def mean_hours(self) -> Decimal:
        if not self.teachers:
            return ZERO
        return (self.hours / self.teachers).quantize(Decimal("0.1"))


def population_totals(
    teachers: QuerySet[Teacher], period: Period, head_count: int | None = None
) -> PopulationTotals:
    """Head count and the period's totals over the whole population: one query, two when
    the head count is not known yet (a paginator has usually counted already)."""
    if head_count is None:
        head_count = teachers.order_by().count()
    totals = (
        TrainingRecord.objects.filter(period.q(), teacher__in=teachers.order_by().values("pk"))
        .order_by()
        .aggregate(
            n_teachers=Count("teacher", distinct=True),
            n_records=Count("id"),
            sum_hours=Sum("hours"),
            sum_withheld=Sum("hours_withheld"),
        )
    )
    return PopulationTotals(
        teachers=head_count,
        with_records=totals["n_teachers"],
        records=totals["n_records"],
        hours=totals["sum_hours"] or ZERO,
        withheld=totals["sum_withheld"] or ZERO,
    )


def population_records(teachers: QuerySet[Teacher], period: Period):
    """Every record of the population within the period, as plain rows for an export,
    ordered by teacher and date, read in chunks (constant memory)."""
    return (
        TrainingRecord.objects.filter(period.q(), teacher__in=teachers.order_by().values("pk"))
        .order_by("teacher__name", "teacher_id", "start_date", "id")
        .values(
            "teacher__personal_identifier",
            "teacher__name",
            "teacher__serving_unit__code",
            "teacher__serving_unit__name",
            "start_date",
            "end_date",
            "course_code",
            "course_name",
            "organizer_name",
            "category",
            "tags",
            "hours",
            "hours_withheld",
            "credits",
            "source",
            "partner",
        )
        .iterator(chunk_size=2000)
    )


def school_year_choices(today: datetime.date | None = None, back: int = 40) -> list[int]:
    current = school_year_of(today or timezone.localdate())
    return list(range(current, current - back, -1))


def unit_label(unit: Unit) -> str:
    return f"{unit.name}（{unit.code}）"
