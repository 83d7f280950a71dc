"""Course search: filters and keyword over the search table, one query per page.

PostgreSQL: the keyword is a tsquery matched against the GIN-indexed tsvector; multi-valued
code filters use jsonb `?|` (any of the codes), also GIN-indexed. Other databases (SQLite for
`make run`): the same results through substring matches on the normalised text and the JSON
text — correct, but a sequential scan.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.postgres.search import SearchQueryField
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    DateTimeField,
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
from django.utils.functional import cached_property

from . import results_cache, tokens
from .models import CourseSearchEntry
from .stats import keyword_is_rare, keyword_share, lexeme_share, single_lexeme_rows

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


class _TsMatchFunction(Func):
    """`ts_match_vq(search_vector, '<query>')`: the test of `@@` in a form no index serves,
    checked on the rows another condition reads (see `SearchResults`)."""

    function = "ts_match_vq"
    output_field = BooleanField()


def _code_values(params: SearchParams) -> list[tuple[str, list]]:
    """The code filters that rows carry as lexemes (`tokens.CODE_FIELDS`), each with the
    values of which a row must have one."""
    found = []
    for name, value in (
        ("county_id", params.county_id),
        ("category", params.category),
        ("topic_item", params.item),
        ("level", params.level),
        ("class_type", params.class_type),
        ("tags", [params.tag] if params.tag else []),
        ("target_stages", params.stages),
        ("delivery", params.delivery),
        ("time_slots", params.slots),
    ):
        values = value if isinstance(value, list) else [] if value in (None, "") else [value]
        if values:
            found.append((name, values))
    return found


def _code_terms(params: SearchParams, using: str, most: float) -> list[str]:
    """The tsquery terms of the code filters on at most `most` of the rows (by the
    statistics; any of several codes as their sum): one lexeme, or any of several."""
    terms = []
    for name, values in _code_values(params):
        lexemes = [tokens.code_lexeme(name, v) for v in values]
        if sum(lexeme_share(lexeme, using) for lexeme in lexemes) > most:
            continue
        quoted = " | ".join(tokens.quote(lexeme) for lexeme in lexemes)
        terms.append(f"({quoted})" if len(lexemes) > 1 else quoted)
    return terms


def _keyword(
    queryset: QuerySet, q: str, pg: bool, indexed: bool = True, codes: Sequence[str] = ()
) -> QuerySet:
    if pg:
        literal = tokens.tsquery_literal(q)
        if literal is None:
            return queryset
        literal = " & ".join([literal, *codes])
        match = _TsMatch if indexed else _TsMatchFunction
        return queryset.filter(match(F("search_vector"), Cast(Value(literal), SearchQueryField())))
    for term in tokens.query_terms(q):
        queryset = queryset.filter(search_text__contains=term)
    return queryset


class _Unindexed(Func):
    """An equality or `?|` test in its function form (`texteq`, `int8eq`, `jsonb_exists_any`):
    the same test, but one no index serves, so it is checked on the rows another condition
    reads (see `SearchResults._count_plan`)."""

    output_field = BooleanField()


def _equals(queryset: QuerySet, name: str, value, pg: bool, indexed: bool) -> QuerySet:
    if indexed or not pg:
        return queryset.filter(**{name: value})
    if isinstance(value, int):
        return queryset.filter(_Unindexed(F(name), Value(value), function="int8eq"))
    return queryset.filter(
        _Unindexed(Cast(F(name), TextField()), Value(value, TextField()), function="texteq")
    )


def _any_of(
    queryset: QuerySet, name: str, values: list[str], pg: bool, indexed: bool = True
) -> QuerySet:
    if not values:
        return queryset
    if pg and not indexed:
        from django.contrib.postgres.fields import ArrayField

        array = Value(list(values), output_field=ArrayField(TextField()))
        return queryset.filter(_Unindexed(F(name), array, function="jsonb_exists_any"))
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
    params: SearchParams,
    *,
    now: datetime.datetime | None = None,
    using: str | None = None,
    keyword_indexed: bool = True,
    filters_indexed: bool = True,
    window_indexed: bool = True,
    code_terms: Sequence[str] = (),
) -> QuerySet:
    """Matching search rows, unordered and without joins (for counts and page keys).

    `keyword_indexed=False` (PostgreSQL) writes the keyword test so that no index serves it:
    the rows are then found by the other conditions or the order's index, and the keyword is
    checked on them. `filters_indexed=False` does the same for the county and code filters
    (the keyword's index then finds the rows), `window_indexed=False` for "registration open
    now" and the first date (its end-date bound; the start-date bound is kept, it bounds a
    walk along the start dates). `code_terms` (PostgreSQL; see `_code_terms`) are added to the
    keyword's tsquery, so that its GIN scan intersects them with it (the filters are still
    tested on its rows)."""
    now = now or timezone.now()
    pg = _postgres(using)
    queryset = CourseSearchEntry.objects.all()
    if using:
        queryset = queryset.using(using)
    if params.q:
        codes = code_terms if pg else ()
        queryset = _keyword(queryset, params.q, pg, indexed=keyword_indexed, codes=codes)
    if params.county_id is not None:
        queryset = _equals(queryset, "county_id", params.county_id, pg, filters_indexed)
    elif params.county:
        queryset = queryset.filter(county__code=params.county)
    if params.unit_id is not None:
        queryset = queryset.filter(unit_id=params.unit_id)
    # Courses on dates overlapping [from, to].
    if params.date_from and (window_indexed or not pg):
        queryset = queryset.filter(end_date__gte=params.date_from)
    elif params.date_from:
        first = Value(params.date_from, output_field=DateField())
        queryset = queryset.filter(_Unindexed(F("end_date"), first, function="date_ge"))
    if params.date_to:
        queryset = queryset.filter(start_date__lte=params.date_to)
    if params.open_now and (window_indexed or not pg):
        queryset = queryset.filter(
            status="published", registration_opens__lte=now, registration_closes__gt=now
        )
    elif params.open_now:
        moment = Value(now, output_field=DateTimeField())
        queryset = queryset.filter(
            _Unindexed(F("registration_opens"), moment, function="timestamptz_le"),
            _Unindexed(F("registration_closes"), moment, function="timestamptz_gt"),
        )
        queryset = _equals(queryset, "status", "published", pg, indexed=False)
    for name, value in (
        ("category", params.category),
        ("topic_item", params.item),
        ("level", params.level),
        ("class_type", params.class_type),
    ):
        if value:
            queryset = _equals(queryset, name, value, pg, filters_indexed)
    if params.tag:
        queryset = _any_of(queryset, "tags", [params.tag], pg, filters_indexed)
    queryset = _any_of(queryset, "target_stages", params.stages, pg, filters_indexed)
    queryset = _any_of(queryset, "delivery", params.delivery, pg, filters_indexed)
    queryset = _any_of(queryset, "time_slots", params.slots, pg, filters_indexed)
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


_T = '"search_coursesearchentry"'
# The columns a result row shows (the list item, its links and its registration state).
_ROW_COLUMNS = (
    "course_id",
    "code",
    "name",
    "status",
    "unit_id",
    "county_id",
    "start_date",
    "end_date",
    "registration_opens",
    "registration_closes",
)


def _segments(
    sort: str, now: datetime.datetime, ops, pg: bool
) -> list[tuple[str, list, str, bool, bool]]:
    """Each segment of `sort` as SQL over the search table: (condition, its parameters,
    ORDER BY, fenced, narrow). Written by hand, not compiled by the ORM for every page: they
    are fixed. A fenced segment is read on its own condition before the filters apply. A
    narrow one holds only courses not yet over or still open for registration (a few months
    of twenty years): its filters are tested on its rows (`page_sql`'s `narrow_base`)."""
    today = ops.adapt_datefield_value(timezone.localdate(now))
    moment = ops.adapt_datetimefield_value(now)

    def col(name):
        return f"{_T}.{name}"

    code = f"{col('code')} ASC"
    if sort == "newest":
        return [
            (
                f"{col('published_at')} IS NOT NULL",
                [],
                f"{col('published_at')} DESC, {col('code')} DESC",
                False,
                False,
            ),
            (f"{col('published_at')} IS NULL", [], f"{col('code')} DESC", False, False),
        ]
    if sort == "deadline":
        closes = col("registration_closes")
        return [
            (f"{closes} > %s", [moment], f"{closes} ASC, {code}", False, True),
            (f"{closes} <= %s", [moment], f"{closes} DESC, {code}", False, False),
            (f"{closes} IS NULL", [], code, False, False),
        ]
    start, end = col("start_date"), col("end_date")
    unindexed_start = f"({start} + 0)" if pg else start
    # PostgreSQL takes start and end dates as independent, so it misjudges these ranges at
    # national scale: "under way" (89 rows) looks like 24,000, and "to come" with a keyword
    # like a handful. Under way is therefore read first and filtered after (fenced); to come
    # compares the end date as an expression (no statistics, no index), which leaves the walk
    # along the start date index that stops at the page's last row.
    unindexed_end = f"({end} + 0)" if pg else end
    return [
        (
            f"{end} >= %s AND {start} < %s",
            [today, today],
            f"{unindexed_start} ASC, {code}",
            pg,
            False,
        ),
        (
            f"{unindexed_end} >= %s AND {start} >= %s",
            [today, today],
            f"{start} ASC, {code}",
            False,
            True,
        ),
        (
            f"({end} IS NULL OR ({end} >= %s AND {start} IS NULL))",
            [today],
            f"{start} DESC NULLS LAST, {code}",
            False,
            False,
        ),
        # Rows that end before they start (only bad data): a partial index holds them.
        (
            f"{end} < %s AND {start} >= %s AND {start} > {end}",
            [today, today],
            f"{start} DESC, {code}",
            False,
            True,
        ),
        (
            f"{end} < %s AND {start} < %s",
            [today, today],
            f"{start} DESC, {code}",
            False,
            False,
        ),
        (f"{end} < %s AND {start} IS NULL", [today], code, False, False),
    ]


def _from_where(queryset: QuerySet) -> tuple[str, str, list] | None:
    """The FROM and WHERE of the filtered queryset, compiled once per search (the segments,
    the count and the page reuse them); None when nothing can match."""
    from django.core.exceptions import EmptyResultSet, FullResultSet

    compiler = queryset.order_by().query.get_compiler(queryset.db)
    compiler.pre_sql_setup()
    from_, from_params = compiler.get_from_clause()
    try:
        where, where_params = compiler.compile(compiler.where)
    except FullResultSet:
        where, where_params = "", []
    except EmptyResultSet:
        return None
    return " ".join(from_), where, [*from_params, *where_params]


# The columns `filtered` and the page's order read, besides the keyword's. A fence reads
# these (and the keyword's, when there is one) rather than whole rows, so that without a
# keyword the covering index of registration closing (`search_closes_cover`) answers an
# "open now" search with no visit to the table.
_FENCE_COLUMNS = (
    "course_id", "code", "status", "unit_id", "county_id", "start_date", "end_date",
    "registration_opens", "registration_closes", "category", "topic_item", "level",
    "class_type", "target_stages", "tags", "delivery", "time_slots",
)  # fmt: skip
_KEYWORD_COLUMNS = ("search_vector", "search_text")


def _fenced(from_: str, where: str, condition: str) -> str:
    """`from_` with the search table replaced by its rows matching `condition`, read first:
    OFFSET 0 keeps PostgreSQL from merging the subquery, so the other conditions (`where`)
    are tested on those rows only (the condition's parameters go before the others)."""
    columns = [*_FENCE_COLUMNS]
    if any(name in where for name in _KEYWORD_COLUMNS):
        columns += _KEYWORD_COLUMNS
    listed = ", ".join(f"{_T}.{name}" for name in columns)
    alone = f"(SELECT {listed} FROM {_T} WHERE {condition} OFFSET 0) {_T}"  # noqa: S608
    return from_.replace(_T, alone, 1)


def page_sql(
    base: tuple[str, str, list],
    sort: str,
    now: datetime.datetime,
    offset: int,
    limit: int,
    *,
    ops,
    pg: bool,
    narrow_base: tuple[str, str, list] | None = None,
) -> tuple[str, list]:
    """SQL (and parameters) reading rows offset..offset+limit of the filtered search in the
    order of `sort` (identical to `_order`), with the unit and county the list shows.
    `narrow_base`: the same filters written so no index serves them, for narrow segments."""
    branches, all_params = [], []
    segments = _segments(sort, now, ops, pg)
    for number, (condition, condition_params, order, fenced, narrow) in enumerate(segments):
        from_, where, params = narrow_base if narrow and narrow_base is not None else base
        if fenced:
            source = _fenced(from_, where, condition)
            conditions = where or "TRUE"
            branch_params = [*condition_params, *params]
        else:
            source = from_
            conditions = f"({where}) AND {condition}" if where else condition
            branch_params = [*params, *condition_params]
        branches.append(
            # Only the compiled FROM/WHERE, fixed SQL and integers are interpolated; every
            # value is a parameter.
            f"SELECT {number} AS seg, s{number}.* FROM ("  # noqa: S608
            f"SELECT {_T}.course_id AS pk, ROW_NUMBER() OVER (ORDER BY {order}) AS rk "
            f"FROM {source} WHERE {conditions} ORDER BY {order} LIMIT {int(offset + limit)}"
            f") s{number}"
        )
        all_params += branch_params
    columns = ", ".join(f"e.{name}" for name in _ROW_COLUMNS)
    sql = (
        f"SELECT {columns}, un.code, un.name, co.code, co.name "  # noqa: S608
        f"FROM (SELECT u.pk, u.seg, u.rk FROM ({' UNION ALL '.join(branches)}) u "
        f"ORDER BY u.seg, u.rk LIMIT {int(limit)} OFFSET {int(offset)}) k "
        f"JOIN {_T} e ON e.course_id = k.pk "
        "JOIN organizations_unit un ON un.id = e.unit_id "
        "LEFT JOIN organizations_county co ON co.id = e.county_id "
        "ORDER BY k.seg, k.rk"
    )
    return sql, all_params


class SearchResults:
    """A search for a paginator: `count()` exact up to `cap` (cap + 1 means "more than
    cap"; for a common one-word keyword, from the statistics: `_surely_more_than_cap`), and
    slices that read one page in one statement (see `page_sql`); with `cached`, both kept
    in the shared cache (results_cache.py).

    The filters are compiled by the ORM once (`filtered`, the single definition of what
    matches); the count and the page are plain SQL around them. A page costs ~5 ms less
    Python than compiling seven querysets did, which is most of a search's time."""

    def __init__(
        self,
        params: SearchParams,
        *,
        now: datetime.datetime | None = None,
        cap: int = 10_000,
        using: str | None = None,
        cached: bool = False,
    ):
        from django.db import connections, router

        self.now = now or timezone.now()
        self.params = params
        self.sort = _sort(params)
        self.cap = cap
        self._using = using
        self._connection = connections[using or router.db_for_read(CourseSearchEntry)]
        self._count: int | None = None
        # The public list keeps its results in the shared cache (results_cache.py); other
        # callers (alerts, exports) read the table.
        self._kept = None
        self._timed = results_cache.timed(params, self.sort)
        if cached and results_cache.enabled():
            self._kept = results_cache.Kept(
                params,
                self.sort,
                timezone.localdate(self.now),
                cap,
                self.now,
                until=self._next_boundary if self._timed else None,
            )

    def expect_page(self, start: int, stop: int) -> None:
        """The slice the caller will ask for (its stop not yet cut to the count): with kept
        results, the count and that page are read from the cache in one round trip."""
        self._expected = (start, stop)
        if self._kept is not None:
            self._kept.read("count", f"rows:{start}:{stop}", results_cache.ABOVE)

    _expected: tuple[int, int] | None = None

    def _next_boundary(self, now: datetime.datetime):
        """The next registration opening or closing after `now` (two index probes)."""
        moments = [
            CourseSearchEntry.objects.using(self._connection.alias)
            .filter(**{f"{name}__gt": now})
            .order_by(name)
            .values_list(name, flat=True)
            .first()
            for name in ("registration_opens", "registration_closes")
        ]
        moments = [m for m in moments if m is not None]
        return min(moments) if moments else None

    @cached_property
    def _base(self) -> tuple[str, str, list] | None:
        return _from_where(filtered(self.params, now=self.now, using=self._using))

    @cached_property
    def _keyword(self) -> tuple[str | None, float | None, bool]:
        """The keyword's tsquery literal, its share of the rows (`search.stats`) and whether
        the statistics show it rare; read once for all the plan's choices."""
        q = self.params.q
        literal = tokens.tsquery_literal(q) if q else None
        if literal is None:
            return None, None, False
        alias = self._connection.alias
        share = keyword_share(q, alias)
        return literal, share, share is None and keyword_is_rare(q, alias)

    @cached_property
    def _plan(self):
        """(count source, count's compiled filters, page's compiled filters, narrow
        segments' compiled filters): the fence and the tests written unindexed that
        `_count_plan` and `_walk_keyword` choose; each compiled part is `_base` unless some
        test is written unindexed."""
        base = self._base
        if base is None or self._connection.vendor != "postgresql":
            return None, base, base, base
        params = self.params
        source, keyword_drives = self._count_plan(params)
        walk = self._walk_keyword()
        narrow = source is not None
        _literal, share, _rare = self._keyword

        def compiled(keyword_indexed=True, filters_indexed=True, window_indexed=True, codes=()):
            if keyword_indexed and filters_indexed and window_indexed and not codes:
                return base
            return _from_where(
                filtered(
                    params,
                    now=self.now,
                    using=self._using,
                    keyword_indexed=keyword_indexed,
                    filters_indexed=filters_indexed,
                    window_indexed=window_indexed,
                    code_terms=codes,
                )
            )

        # A keyword that drives the count intersects its rows with the lexemes of the filters
        # on at most CODE_SHARE of the rows, in one GIN scan: 數學 in one county was 97,000
        # rows of the keyword's bitmap, then the county tested on ~7,500 heap pages (54 ms);
        # the scan's intersection is 12,756 rows (13 ms). A broad code is no help there: 閱讀
        # with a category on 45 % of the rows took 20 ms in GIN against 13.5 ms alone.
        if keyword_drives:
            codes = _code_terms(params, self._connection.alias, self.CODE_SHARE)
            count_base = compiled(filters_indexed=False, codes=codes)
        else:
            count_base = compiled(filters_indexed=False) if narrow else base
        # Within a narrow set the page checks the filters on its rows too: a county's bitmap
        # (~300,000 rows) ANDed into a segment that holds nothing costs ~60 ms. So do the
        # narrow segments of any search (courses to come: a tag's bitmap of 156,000 rows
        # ANDed with them was 42 ms of a 48 ms page).
        # A keyword's bitmap is ANDed into them too when it is common (數學: 97,000 rows,
        # 26 ms): then it is tested on their rows as well.
        common = share is not None and share >= self.NARROW_WALK_SHARE
        page_base = compiled(
            keyword_indexed=not (walk or (narrow and common)), filters_indexed=not narrow
        )
        narrow_page_base = (
            compiled(
                keyword_indexed=not (walk or common),
                filters_indexed=False,
                window_indexed=False,
            )
            if _has_code_filter(params) or common or params.open_now or params.date_from
            else page_base
        )
        return source, count_base, page_base, narrow_page_base

    @property
    def _count_source(self):
        return self._plan[0]

    @property
    def _count_base(self):
        return self._plan[1]

    @property
    def _page_base(self):
        return self._plan[2]

    @property
    def _narrow_page_base(self):
        return self._plan[3]

    # A count reads at most cap + 1 matches, but PostgreSQL chooses a bitmap plan by the cost
    # of reading every match: it ANDs the bitmaps of broad filters (a county, a category,
    # 1–2 million rows each, ~0.15 µs a row) to save heap visits the LIMIT would never make.
    # Two narrow sets read first, with the rest checked on their rows, stop early instead:
    # - a keyword no more common than this share (its index finds ~100,000 rows at most);
    # - the courses not yet over (see `_count_plan`).
    DRIVE_SHARE = 0.03
    # A keyword at least this common is tested on the rows of the narrow segments.
    NARROW_WALK_SHARE = 0.01
    # A code filter on at most this share of the rows joins a driving keyword's GIN scan.
    CODE_SHARE = 0.2

    def _count_plan(self, params: SearchParams) -> tuple[tuple[str, list] | None, bool]:
        """(fence, keyword drives): the condition whose rows the count reads first, or
        whether the keyword's index alone finds the rows (the filters written unindexed).

        With registration open now, or dates from today on, the courses not yet over (a few
        months of twenty years) are read first (fenced, as the page's courses under way
        are), unless the keyword is rare: its own index is cheaper still."""
        literal, share, rare = self._keyword
        if not rare:
            if params.open_now:
                return (f"{_T}.registration_closes > %s", [self.now]), False
            today = timezone.localdate(self.now)
            if params.date_from and params.date_from >= today:
                return (f"{_T}.end_date >= %s", [params.date_from]), False
        if literal is None or not _has_code_filter(params):
            return None, False
        return None, rare or (share is not None and share <= self.DRIVE_SHARE)

    # A keyword this common is found on the way along the order's index within a few thousand
    # rows; reading all its matches (what PostgreSQL plans when it underestimates a phrase)
    # costs a heap visit for each of them, 126,000 for 自然科 at national scale.
    WALK_SHARE = 0.003

    def _walk_keyword(self) -> bool:
        """Whether the page should walk the order's indexes and test the keyword on the rows:
        only for a phrase (which PostgreSQL underestimates) that its statistics show common."""
        literal, share, _rare = self._keyword
        return literal is not None and "<->" in literal and (share or 0) >= self.WALK_SHARE

    def _execute(self, sql: str, params: list) -> list[tuple]:
        with self._connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def count(self) -> int:
        if self._count is None:
            if self._kept is not None:
                self._count = self._kept.get("count")
                if self._count is None:
                    self._count = self._kept_count()
                    self._kept.put("count", self._count)
            else:
                self._count = self._count_rows()
        return self._count

    # A count that may be kept as "more than the cap" goes this many matches past it, so that
    # the fact outlives as many courses changed (each takes at most one match away;
    # results_cache.py). Reading them costs ~5 % more than stopping at the cap.
    ABOVE_MARGIN = 50

    def _kept_count(self) -> int:
        """Counted, unless this search had more than the cap's matches before the rows added
        and the few rows changed since (results_cache.py; never kept for a timed search,
        whose matches go as registrations close)."""
        if self._kept.get(results_cache.ABOVE):
            return self.cap + 1
        keep = not self._timed
        count = self._count_rows(margin=self.ABOVE_MARGIN if keep else 0)
        if count > self.cap and not self._estimated and keep:
            self._kept.put(results_cache.ABOVE, count)
        return min(count, self.cap + 1)

    # A one-word keyword that the statistics put on at least this many times the cap's rows
    # is not counted: "more than the cap" is then certain but for a table changed beyond
    # recognition since its last ANALYZE (which a short page catches, see `__getitem__`).
    # Counting 1,001 of 教學's 1.4 million rows built a bitmap of all of them (~40 ms).
    ESTIMATE_MARGIN = 20

    def _surely_more_than_cap(self) -> bool:
        params = self.params
        if self._connection.vendor != "postgresql" or not params.q:
            return False
        if params != SearchParams(q=params.q, sort=params.sort):  # any other filter
            return False
        rows = single_lexeme_rows(params.q, self._connection.alias)
        return rows is not None and rows >= self.ESTIMATE_MARGIN * (self.cap + 1)

    _estimated = False

    def _count_rows(self, exact: bool = False, margin: int = 0) -> int:
        """The matches, up to the cap + 1 (+ `margin`: see `ABOVE_MARGIN`)."""
        if self._base is None:
            return 0
        if not exact and self._surely_more_than_cap():
            self._estimated = True
            return self.cap + 1
        from_, where, params = self._count_base
        limit = int(self.cap) + 1 + int(margin)
        if self._count_source is not None:
            # A fenced count tests every row of the fence (the courses open now, or not yet
            # over); when it finds no more than the cap, its rows are kept for the page,
            # which then orders them instead of testing the fence's rows again.
            condition, condition_params = self._count_source
            from_ = _fenced(from_, where, condition)
            params = [*condition_params, *params]
            sql = f"SELECT {_T}.course_id FROM {from_}{' WHERE ' + where if where else ''}"  # noqa: S608
            found = [pk for (pk,) in self._execute(f"{sql} LIMIT {limit}", params)]
            if len(found) <= self.cap:
                self._found = found
            return len(found)
        sql = (
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {from_}"  # noqa: S608
            f"{' WHERE ' + where if where else ''} LIMIT {limit}) c"
        )
        return self._execute(sql, params)[0][0]

    # Every match of the search, when a fenced count found them all (see `_count_rows`).
    _found: list[int] | None = None

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
        if self._kept is not None:
            part = f"rows:{start}:{stop}"
            if self._expected is not None and self._expected[0] == start:
                if stop == min(self._expected[1], self.count()):
                    part = "rows:{}:{}".format(*self._expected)
            rows = self._kept.get(part)
            if rows is None:
                rows = self._page_rows(start, stop)
                self._kept.put(part, rows)
        else:
            rows = self._page_rows(start, stop)
        if self._estimated and len(rows) < stop - start:
            # The statistics were wrong (the table changed since its last ANALYZE): count.
            self._count = self._count_rows(exact=True)
            if self._kept is not None:
                self._kept.put("count", self._count)
        return [_entry(row, self._connection) for row in rows]

    def _page_rows(self, start: int, stop: int) -> list[tuple]:
        base, narrow_base = self._page_base, self._narrow_page_base
        if self._found is not None:
            # One array literal, not a list of up to 1,000 values that the driver would turn
            # into text value by value, once for every segment of the page.
            keys = "{" + ",".join(map(str, self._found)) + "}"
            base = narrow_base = (_T, f"{_T}.course_id = ANY(%s::bigint[])", [keys])
        sql, params = page_sql(
            base,
            self.sort,
            self.now,
            start,
            stop - start,
            ops=self._connection.ops,
            pg=self._connection.vendor == "postgresql",
            narrow_base=narrow_base,
        )
        return self._execute(sql, params)


def _has_code_filter(params: SearchParams) -> bool:
    return bool(_code_values(params))


class ResultUnit(NamedTuple):
    pk: int
    code: str
    name: str


class ResultCounty(NamedTuple):
    pk: int
    code: str
    name: str


@dataclass(slots=True)
class ResultRow:
    """One course in a page of results: what the list shows (its link, unit, county, dates
    and registration state). Built from the page's row; a model instance with its unit and
    county cost ~85 µs a row, a fifth of a kept page's Python."""

    course_id: int
    code: int
    name: str
    status: str
    unit_id: int
    county_id: int | None
    start_date: datetime.date | None
    end_date: datetime.date | None
    registration_opens: datetime.datetime | None
    registration_closes: datetime.datetime | None
    unit: ResultUnit
    county: ResultCounty | None

    registration_last_day = CourseSearchEntry.registration_last_day


def _entry(row: tuple, connection_) -> ResultRow:
    values = dict(zip(_ROW_COLUMNS, row[: len(_ROW_COLUMNS)], strict=True))
    unit_code, unit_name, county_code, county_name = row[len(_ROW_COLUMNS) :]
    if connection_.vendor != "postgresql":  # SQLite returns dates and times as text
        values = _converted(values)
    county_id = values["county_id"]
    return ResultRow(
        **values,
        unit=ResultUnit(values["unit_id"], unit_code, unit_name),
        county=ResultCounty(county_id, county_code, county_name) if county_id is not None else None,
    )


def _converted(values: dict) -> dict:
    """SQLite hands dates and times back as text or naive values (stored in UTC): as the ORM
    would give them."""
    from django.utils.dateparse import parse_date, parse_datetime

    out = dict(values)
    for name in ("start_date", "end_date"):
        if isinstance(out[name], str):
            out[name] = parse_date(out[name])
    for name in ("registration_opens", "registration_closes"):
        moment = out[name]
        if isinstance(moment, str):
            moment = parse_datetime(moment)
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment, datetime.UTC)
        out[name] = moment
    return out


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
