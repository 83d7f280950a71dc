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
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from . import tokens
from .models import CourseSearchEntry

SORTS = ("start", "deadline", "newest")


@dataclass
class SearchParams:
    q: str = ""
    county: str = ""  # county code
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


def search(
    params: SearchParams, *, now: datetime.datetime | None = None, using: str | None = None
) -> QuerySet:
    """Matching search rows (with unit and county joined), in the requested order."""
    now = now or timezone.now()
    pg = _postgres(using)
    queryset = CourseSearchEntry.objects.select_related("unit", "county")
    if using:
        queryset = queryset.using(using)
    if params.q:
        queryset = _keyword(queryset, params.q, pg)
    if params.county:
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
    return _order(queryset, params.sort if params.sort in SORTS else "start", now)


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
