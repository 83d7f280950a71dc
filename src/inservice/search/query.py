"""Course search: filters and keyword over the search table, one query per page.

PostgreSQL: the keyword is a tsquery matched against the GIN-indexed tsvector; multi-valued
code filters use jsonb `?|` (any of the codes), also GIN-indexed. Other databases (SQLite for
`make run`): the same results through substring matches on the normalised text and the JSON
text — correct, but a sequential scan.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQueryField
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from . import tokens
from .models import CourseSearchEntry

SORTS = ("start", "deadline", "newest")


@dataclass
class SearchParams:
    q: str = ""
    county: str = ""  # county code
    # The same county by primary key, when the caller knows it: a constant the planner can
    # match against the (county, start date) index and its statistics, instead of a join.
    county_id: int | None = None
    unit_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    open_now: bool = False
    stages: list[str] = field(default_factory=list)  # 14-x, any of
    category: str = ""
    item: str = ""
    level: str = ""
    tag: str = ""
    class_type: str = ""
    delivery: list[str] = field(default_factory=list)  # 11-x, any of
    slots: list[str] = field(default_factory=list)  # 12-x, any of
    sort: str = "start"


class _TsMatch(Func):
    """`search_vector @@ '<query>'::tsquery` — the literal is cast, not parsed by a text
    search configuration (which could split or drop CJK characters)."""

    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()


def _postgres(using: str | None = None) -> bool:
    from django.db import connections

    return (connections[using] if using else connection).vendor == "postgresql"


def _keyword(queryset: QuerySet, q: str, pg: bool) -> QuerySet:
    if pg:
        literal = tokens.tsquery_literal(q)
        if literal is None:
            return queryset
        return queryset.filter(
            _TsMatch(F("search_vector"), Cast(Value(literal), SearchQueryField()))
        )
    for term in tokens.query_terms(q):
        queryset = queryset.filter(search_text__contains=term)
    return queryset


def _any_of(queryset: QuerySet, name: str, values: list[str], pg: bool) -> QuerySet:
    if not values:
        return queryset
    if pg:
        return queryset.filter(**{f"{name}__has_any_keys": values})
    # JSON text match (SQLite stores the list as text, e.g. ["14-4", "14-5"]).
    text = f"_{name}_text"
    condition = Q()
    for value in values:
        condition |= Q(**{f"{text}__contains": f'"{value}"'})
    return queryset.annotate(**{text: Cast(name, output_field=TextField())}).filter(condition)


def _order(queryset: QuerySet, sort: str, now: datetime.datetime) -> QuerySet:
    today = timezone.localdate(now)
    if sort == "newest":
        return queryset.order_by(F("published_at").desc(nulls_last=True), "-code")
    if sort == "deadline":
        # Registration still to close first (soonest deadline first), then the rest.
        return queryset.order_by(
            Case(When(registration_closes__gt=now, then=0), default=1, output_field=IntegerField()),
            Case(When(registration_closes__gt=now, then="registration_closes")).asc(
                nulls_last=True
            ),
            F("registration_closes").desc(nulls_last=True),
            "code",
        )
    # Courses not yet over first, nearest date first; then past courses, latest first.
    return queryset.order_by(
        Case(When(end_date__lt=today, then=1), default=0, output_field=IntegerField()),
        Case(When(end_date__gte=today, then="start_date")).asc(nulls_last=True),
        F("start_date").desc(nulls_last=True),
        "code",
    )


def filtered(
    params: SearchParams, *, now: datetime.datetime | None = None, using: str | None = None
) -> QuerySet:
    """Matching search rows, unordered and without joins (for counts and page keys)."""
    now = now or timezone.now()
    pg = _postgres(using)
    queryset = CourseSearchEntry.objects.all()
    if using:
        queryset = queryset.using(using)
    if params.q:
        queryset = _keyword(queryset, params.q, pg)
    if params.county_id is not None:
        queryset = queryset.filter(county_id=params.county_id)
    elif params.county:
        queryset = queryset.filter(county__code=params.county)
    if params.unit_id is not None:
        queryset = queryset.filter(unit_id=params.unit_id)
    # Courses on dates overlapping [from, to].
    if params.date_from:
        queryset = queryset.filter(end_date__gte=params.date_from)
    if params.date_to:
        queryset = queryset.filter(start_date__lte=params.date_to)
    if params.open_now:
        queryset = queryset.filter(
            status="published", registration_opens__lte=now, registration_closes__gt=now
        )
    for name, value in (
        ("category", params.category),
        ("topic_item", params.item),
        ("level", params.level),
        ("class_type", params.class_type),
    ):
        if value:
            queryset = queryset.filter(**{name: value})
    if params.tag:
        queryset = _any_of(queryset, "tags", [params.tag], pg)
    queryset = _any_of(queryset, "target_stages", params.stages, pg)
    queryset = _any_of(queryset, "delivery", params.delivery, pg)
    queryset = _any_of(queryset, "time_slots", params.slots, pg)
    return queryset


def search(
    params: SearchParams, *, now: datetime.datetime | None = None, using: str | None = None
) -> QuerySet:
    """Matching search rows (with unit and county joined), in the requested order."""
    now = now or timezone.now()
    queryset = filtered(params, now=now, using=using).select_related("unit", "county")
    return _order(queryset, _sort(params), now)


def _sort(params: SearchParams) -> str:
    return params.sort if params.sort in SORTS else "start"


# --- one page of a large result -------------------------------------------------------------
#
# The orders of `_order` depend on "now" (a course moves from the upcoming group to the past
# group when it ends), so no index can hold them. But each order is a concatenation of
# segments whose own order is a plain column order that a B-tree serves, forward or
# backward (NULLs are put in segments of their own, so each segment's order has
# PostgreSQL's default NULL placement):
#
#   start:    courses under way (started before today, not yet over) by start date; courses
#             to come by start date; rows without dates; past courses, latest first (those
#             starting today or later first: only inconsistent rows); past rows without a
#             start date;
#   deadline: registration still to close, soonest first; closed, latest first; no window;
#   newest:   published, latest first; never published.
#
# A page is the UNION ALL of each segment's first (offset + size) keys, in segment order:
# every branch is a LIMITed ordered scan (an index walk that stops early, or a bitmap plus a
# top-N sort when the filter is selective), never a sort of every match. Each segment that
# an index walks is bounded by today or now in the index condition, so the walk starts
# where the segment starts. Courses under way are the exception: they are few, but their
# start dates reach back without bound, so their order is written `start_date + 0`, which
# no index matches: the planner reads them by end date and sorts them (walking the start
# date index and discarding 20 years of past courses is what it would otherwise estimate
# as cheap, not knowing that start and end dates go together).


def _segments(sort: str, now: datetime.datetime, pg: bool) -> list[tuple[Q, list]]:
    today = timezone.localdate(now)
    code = F("code").asc()
    if sort == "newest":
        return [
            (Q(published_at__isnull=False), [F("published_at").desc(), F("code").desc()]),
            (Q(published_at__isnull=True), [F("code").desc()]),
        ]
    if sort == "deadline":
        return [
            (Q(registration_closes__gt=now), [F("registration_closes").asc(), code]),
            (Q(registration_closes__lte=now), [F("registration_closes").desc(), code]),
            (Q(registration_closes__isnull=True), [code]),
        ]
    start = F("start_date")
    unindexed_start = (
        Func(start, template="(%(expressions)s + 0)", output_field=DateField()) if pg else start
    )
    upcoming = Q(end_date__gte=today)
    past = Q(end_date__lt=today)
    return [
        (upcoming & Q(start_date__lt=today), [unindexed_start.asc(), code]),
        (upcoming & Q(start_date__gte=today), [start.asc(), code]),
        (
            Q(end_date__isnull=True) | (upcoming & Q(start_date__isnull=True)),
            [start.desc(nulls_last=True), code],
        ),
        (past & Q(start_date__gte=today), [start.desc(), code]),
        (past & Q(start_date__lt=today), [start.desc(), code]),
        (past & Q(start_date__isnull=True), [code]),
    ]


def page_keys_sql(
    queryset: QuerySet, sort: str, now: datetime.datetime, offset: int, limit: int
) -> tuple[str, tuple]:
    """SQL (and parameters) selecting the primary keys of rows offset..offset+limit of the
    filtered `queryset` in the order of `sort` (identical to `_order`)."""
    from django.db.models import Window
    from django.db.models.functions import RowNumber

    pg = _postgres(queryset.db)
    branches, params = [], []
    for number, (condition, ordering) in enumerate(_segments(sort, now, pg)):
        branch = (
            queryset.filter(condition)
            .annotate(_rank=Window(RowNumber(), order_by=ordering))
            .order_by(*ordering)
            .values_list("pk", "_rank")[: offset + limit]
        )
        sql, branch_params = branch.query.sql_with_params()
        # Django-compiled SQL; every value stays a parameter.
        branches.append(f"SELECT {number} AS seg, s{number}.* FROM ({sql}) s{number}")  # noqa: S608
        params.extend(branch_params)
    # Only integers and Django-compiled SQL are interpolated.
    union = " UNION ALL ".join(branches)
    sql = f"SELECT u.pk FROM ({union}) u ORDER BY u.seg, u._rank LIMIT %s OFFSET %s"  # noqa: S608
    params.extend([int(limit), int(offset)])
    return sql, tuple(params)


class SearchResults:
    """A search for a paginator: `count()` exact up to `cap` (cap + 1 means "more than
    cap"), and slices that fetch one page by its keys (see `page_keys_sql`)."""

    def __init__(
        self,
        params: SearchParams,
        *,
        now: datetime.datetime | None = None,
        cap: int = 10_000,
        using: str | None = None,
    ):
        self.now = now or timezone.now()
        self.sort = _sort(params)
        self.cap = cap
        self.using = using
        self._filtered = filtered(params, now=self.now, using=using)
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._filtered.order_by().values("pk")[: self.cap + 1].count()
        return self._count

    def __len__(self):
        return self.count()

    @property
    def more_than_cap(self) -> bool:
        return self.count() > self.cap

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("SearchResults supports page slices only")
        start, stop = key.start or 0, key.stop
        if stop is None or stop <= start or start >= self.count():
            return []
        stop = min(stop, self.count())
        sql, params = page_keys_sql(self._filtered, self.sort, self.now, start, stop - start)
        rows = CourseSearchEntry.objects.select_related("unit", "county").defer(
            "search_vector", "search_text"
        )
        if self.using:
            rows = rows.using(self.using)
        rows = rows.filter(pk__in=RawSQL(sql, params))  # noqa: S611 (parameters bound)
        return list(_order(rows, self.sort, self.now))


def registration_state(entry: CourseSearchEntry, now: datetime.datetime) -> str:
    """not_yet | open | closed | none (no window) | cancelled/closed course handled by status."""
    if entry.status != "published":
        return "ended"
    if entry.registration_opens is None or entry.registration_closes is None:
        return "none"
    if now < entry.registration_opens:
        return "not_yet"
    if now < entry.registration_closes:
        return "open"
    return "closed"
