"""A teacher's own training records (我的研習紀錄): list, totals, xlsx export.

Teachers without a serving unit (無服務學校) may use these pages too: looking up records is
the one thing they keep. The pages show no personal data (no ID number, no birth date).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from inservice.core.access import teacher
from inservice.records.models import TrainingRecord

from .exports_pages import records_book
from .forms_pages import RecordFilterForm
from .services.queries import (
    Period,
    RecordFilters,
    RecordLabels,
    cap_explanation,
    filter_records,
    is_recent,
    period_q,
    recent_cutoff,
    summarize,
    teacher_records,
    teacher_summary,
)

PAGE_SIZE = 50


def record_list_context(request, person) -> dict:
    """The filtered, sorted, paginated records of `person` with their totals (also used by
    the staff drill-downs): a fixed number of queries whatever the number of records."""
    form = RecordFilterForm(request.GET)
    form.is_valid()  # malformed fields drop out of cleaned_data and become notices
    filters = form.filters()
    by = form.chosen_by()
    records = teacher_records(person, filters)
    now = timezone.now()
    if filters == RecordFilters(sort=filters.sort):
        # Every record: the totals come from the cache while the records are unchanged.
        summary = teacher_summary(person, by=by, now=now)
    else:
        everything = filter_records(
            TrainingRecord.objects.filter(teacher=person), filters.without_period()
        )
        summary = summarize(everything, by=by, period=period_q(filters), now=now)
    paginator = Paginator(records, PAGE_SIZE)
    paginator.count = summary.count  # the totals counted the same records: no COUNT query
    page = paginator.get_page(request.GET.get("page"))
    labels = RecordLabels()
    cutoff = recent_cutoff(now)
    rows = [record_row(r, labels, cutoff) for r in page.object_list]
    link_buckets(request.GET, summary)
    return {
        "form": form,
        "notices": form.notices(),
        "filters": filters,
        "by": by,
        "page": page,
        "rows": rows,
        "rows_html": rows_html(rows),
        "period_rows_html": period_rows_html(summary.by_period),
        "summary": summary,
        "cap_explanation": cap_explanation(),
        "filtered": any(
            request.GET.get(k)
            for k in ("q", "year", "sy", "category", "tag", "source", "from", "to")
        ),
    }


def record_row(r: TrainingRecord, labels: RecordLabels, cutoff) -> dict:
    """One line of the list with its cells formatted here rather than by template filters
    (fifty lines a page)."""
    tags = labels.tag_names(r.tags)
    hours = floatformat(r.hours, "-1")
    if r.credits:
        hours = format_html(
            "{}（{}）", hours, _("%(credits)s 學分") % {"credits": floatformat(r.credits, "-1")}
        )
    if r.hours_withheld:
        withheld = _("另有 %(withheld)s 小時超過上限未核計") % {
            "withheld": floatformat(r.hours_withheld, "-1")
        }
        hours = format_html("{}<br><small>{}</small>", hours, withheld)
    dates = r.start_date.isoformat()
    if r.end_date != r.start_date:
        dates = f"{dates} – {r.end_date.isoformat()}"
    return {
        "record": r,
        "dates": dates,
        "category": labels.category(r.category) if r.category else "",
        "tags": tags,
        "tags_text": "、".join(tags) or "—",
        "hours": hours,
        "source": labels.source(r.source) + (f"（{r.partner}）" if r.partner else ""),
        "recent": is_recent(r, cutoff),
    }


# The list's lines and the per-year table are written here in one pass rather than node by
# node by the template engine: 50 lines and up to 40 years are most of the page's nodes.
ROW_HTML = (
    '<tr{}>\n<td>{}</td>\n<td>{}</td>\n<th scope="row">{}{}</th>\n<td>{}</td>\n'
    "<td>{}</td>\n<td>{}</td>\n<td>{}</td>\n<td>{}</td>\n</tr>"
)
PERIOD_ROW_HTML = (
    '<tr data-bucket="{}"><th scope="row"><a href="{}">{}</a></th>'
    "<td>{}</td><td>{}</td><td>{}</td></tr>"
)


def rows_html(rows: list[dict]) -> str:
    recent_class = mark_safe(' class="recent"')
    badge = format_html('<span class="badge badge-new">{}</span> ', _("新增"))
    return format_html_join(
        "\n",
        ROW_HTML,
        (
            (
                recent_class if row["recent"] else "",
                row["dates"],
                row["record"].course_code,
                badge if row["recent"] else "",
                row["record"].course_name,
                row["record"].organizer_name,
                row["category"] or "—",
                row["tags_text"],
                row["hours"],
                row["source"],
            )
            for row in rows
        ),
    )


def period_rows_html(buckets) -> str:
    return format_html_join(
        "\n",
        PERIOD_ROW_HTML,
        (
            (
                b.key,
                b.href,
                b.label,
                localize(b.count),
                floatformat(b.hours, "-1"),
                floatformat(b.withheld, "-1") if b.withheld else "—",
            )
            for b in buckets
        ),
    )


def querystring(query: QueryDict, **changes) -> str:
    """What `{% querystring %}` writes for `changes` (None removes a key), computed in
    Python: the per-year table has up to forty rows and the tag would copy the query for
    each one inside the template engine."""
    params = query.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    if not params and not query:
        return ""
    return f"?{params.urlencode()}"


def querystrings(query: QueryDict, key: str, values, drop=()) -> list[str]:
    """querystring(query, **{key: value, every name in drop: None}) for each of `values`,
    with the query's other parameters encoded once rather than copied for every link."""
    before, after, found = [], [], False
    for name, items in query.lists():
        if name == key:
            found = True
        elif name not in drop:
            (after if found else before).extend(urlencode({name: v}) for v in items)
    head = "&".join(before)
    tail = "&".join(after)
    out = []
    for value in values:
        pair = urlencode({key: value})
        parts = [head, pair, tail] if found else [head, tail, pair]
        out.append("?" + "&".join(p for p in parts if p))
    return out


def link_buckets(query: QueryDict, summary) -> None:
    """Each total's link to the records it counts (year, school year, category, tag)."""
    key = "year" if summary.period_kind == Period.YEAR else "sy"
    drop_period = ("sy", "year", "from", "to", "page")
    links = querystrings(query, key, [b.key for b in summary.by_period], drop_period)
    for b, href in zip(summary.by_period, links, strict=True):
        b.href = href
    categories = [b for b in summary.by_category if b.key]
    links = querystrings(query, "category", [b.key for b in categories], ("page",))
    for b, href in zip(categories, links, strict=True):
        b.href = href
    links = querystrings(query, "tag", [b.key for b in summary.by_tag], ("page",))
    for b, href in zip(summary.by_tag, links, strict=True):
        b.href = href


def transcript_url() -> str:
    """The transcript PDF (built by the transcripts area) at /my/records/transcript.pdf."""
    for name in ("records:transcript", "records:my_transcript", "records:transcript_pdf"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return get_script_prefix() + "my/records/transcript.pdf"


@teacher
@never_cache
@require_GET
def my_records(request):
    person = request.user.teacher
    context = record_list_context(request, person)
    context.update({"person": person, "transcript_url": transcript_url()})
    return render(request, "records/my_records.html", context)


@teacher
@never_cache
@require_GET
def my_records_export(request):
    person = request.user.teacher
    form = RecordFilterForm(request.GET)
    form.is_valid()
    filters = form.filters()
    info = [(_("篩選條件"), describe_filters(form))]
    stamp = timezone.localtime().strftime("%Y%m%d")
    return records_book(
        teacher_records(person, filters), info=info, filename=f"my-training-records-{stamp}.xlsx"
    )


def describe_filters(form) -> str:
    """The applied conditions in words, for an export's info sheet."""
    parts = []
    data = form.cleaned_data
    for name, field in form.fields.items():
        if name in ("sort", "by", "page"):
            continue
        value = data.get(name)
        if value in (None, "", False):
            continue
        if hasattr(field, "choices") and not isinstance(value, bool):
            value = dict(field.choices).get(value, value)
        if value is True:
            value = "✓"
        parts.append(f"{field.label}：{value}")
    return "；".join(parts) or _("（全部）")
