"""Public course search (研習課程查詢) and the county and school entry pages."""

from __future__ import annotations

import html
from urllib.parse import quote

from django.core.paginator import Page, Paginator
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from inservice.core.access import public
from inservice.organizations.models import County, Unit

from .forms import SearchForm
from .query import SearchResults, registration_state

PAGE_SIZE = 20
# Results are counted up to this many; beyond it the page says "more than" and only the
# first MAX_RESULTS / PAGE_SIZE pages (50) can be browsed (docs/search.md). The count of a
# broad search reads MAX_RESULTS + 1 matching rows: ~5 ms for 1,000, ~70-150 ms for 10,000
# (a keyword's rows are checked against their tsvectors), which the national target of
# 50 ms a page cannot afford.
MAX_RESULTS = 1_000


class CappedPaginator(Paginator):
    """Counts at most `MAX_RESULTS` rows: a search matching more has MAX_RESULTS / PAGE_SIZE
    pages."""

    @cached_property
    def count(self):
        return min(self.object_list.count(), self.object_list.cap)


# One result in the list. Formatted here rather than by a template loop: twenty rows of
# template nodes (a `{% with %}`, fifteen lookups each) were a third of a search page's Python.
_ROW_HTML = """
    <li>
      <h3><a href="{url}">{name}</a></h3>
      <dl class="inline">
        <dt>{code_label}</dt><dd>{code}</dd>
        <dt>{unit_label}</dt><dd><a href="{unit_url}">{unit}</a>{county}</dd>
        <dt>{dates_label}</dt><dd>{dates}</dd>
        <dt>{registration_label}</dt><dd><span class="badge reg-{state}">{state_label}</span>
          {window}</dd>
      </dl>
    </li>"""


def _url_maker(name: str, placeholder):
    """`reverse(name, args=[x])` for many x: reversed once with a placeholder, then filled
    in (forty `reverse` calls were a tenth of a kept page's Python)."""
    before, after = reverse(name, args=[placeholder]).split(str(placeholder))
    return lambda value: f"{before}{quote(str(value), safe=RFC3986_SUBDELIMS + '/~:@')}{after}"


def _html(template: str, **values) -> SafeString:
    """`format_html` for plain values: each escaped as Django's `escape` does, without the
    lazy-string checks (240 of them a page were a sixth of a kept page's Python)."""
    return mark_safe(  # noqa: S308 (every value is escaped here)
        template.format(**{name: html.escape(str(value)) for name, value in values.items()})
    )


def _rows(entries, now) -> list[str]:
    """The result list items (HTML, every value escaped)."""
    states = {
        "open": gettext("報名中"),
        "not_yet": gettext("尚未開放報名"),
        "closed": gettext("報名已截止"),
        "ended": gettext("課程已結案"),
        "none": gettext("未提供報名期間"),
    }
    labels = {
        "code_label": gettext("課程代碼"),
        "unit_label": gettext("開課單位"),
        "dates_label": gettext("課程日期"),
        "registration_label": gettext("報名"),
    }
    window = gettext("%(opens)s 起，至 %(last)s 止")
    course_url = _url_maker("courses:public_detail", 987654321)
    unit_url = _url_maker("course_search_unit", "UNITCODE")
    rows = []
    for entry in entries:
        state = registration_state(entry, now)
        dates = entry.start_date.isoformat() if entry.start_date else ""
        if entry.end_date and entry.end_date != entry.start_date:
            dates += f" – {entry.end_date.isoformat()}"
        opens = entry.registration_opens
        last = entry.registration_last_day
        rows.append(
            _html(
                _ROW_HTML,
                url=course_url(entry.code),
                name=entry.name,
                code=entry.code,
                unit_url=unit_url(entry.unit.code),
                unit=entry.unit.name,
                county=f"（{entry.county.name}）" if entry.county else "",
                dates=dates,
                state=state,
                state_label=states[state],
                window=window
                % {
                    "opens": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M"),
                    "last": last.isoformat() if last else "",
                }
                if opens
                else "",
                **labels,
            )
        )
    return rows


# The search form's HTML, per process: (lists version, language, entry page, the query's
# parameters but the page, fields in error) → HTML. The form is ~40 % of a kept page's
# template work and the same for every request of the same search.
_FORMS: dict[tuple, str] = {}
_FORMS_MAX = 300


def _form_html(request, form, *, q, county, unit, searched) -> str:
    key = (
        form.choices_version,
        get_language(),
        county.code if county is not None else "",
        unit.code if unit is not None else "",
        tuple(sorted((k, tuple(v)) for k, v in request.GET.lists() if k != "page")),
        tuple(sorted(form.errors)),
    )
    html = _FORMS.get(key)
    if html is None:
        html = render_to_string(
            "search/_form.html",
            {"form": form, "q": q, "county": county, "unit": unit, "searched": searched},
        )
        if len(_FORMS) >= _FORMS_MAX:
            _FORMS.clear()
        _FORMS[key] = html
    return mark_safe(html)  # noqa: S308 (rendered by the template engine, autoescaped)


def _page_number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _render(request, *, county=None, unit=None):
    form = SearchForm(request.GET)
    form.is_valid()  # invalid fields drop out of cleaned_data; the rest still applies
    params = form.params()
    if county is not None:
        params.county, params.county_id = county.code, county.pk
    if unit is not None:
        params.unit_id = unit.pk
    now = timezone.now()
    found = SearchResults(params, now=now, cap=MAX_RESULTS, cached=True)
    paginator = CappedPaginator(found, PAGE_SIZE)
    requested = _page_number(request.GET.get("page"))
    expected = requested if requested is not None and requested > 0 else 1
    found.expect_page((expected - 1) * PAGE_SIZE, expected * PAGE_SIZE)
    beyond_cap = found.more_than_cap and requested is not None and requested > paginator.num_pages
    if beyond_cap:
        # Too deep to be useful: say so instead of reading tens of thousands of rows.
        page = Page([], requested, paginator)
    else:
        page = paginator.get_page(request.GET.get("page"))
    results = _rows(page.object_list, now)
    searched = any(v not in (None, "") for v in request.GET.values())
    return render(
        request,
        "search/search.html",
        {
            "form_html": _form_html(
                request, form, q=params.q, county=county, unit=unit, searched=searched
            ),
            "notices": form.notices(),
            "page": page,
            "results": results,
            "count": paginator.count,
            "more_than_cap": found.more_than_cap,
            "beyond_cap": beyond_cap,
            "last_page": paginator.num_pages,
            "q": params.q,
            "county": county,
            "unit": unit,
        },
    )


@public
def course_search(request):
    return _render(request)


@public
def county_courses(request, county):
    """依縣市研習課程: the search with the county fixed."""
    return _render(request, county=get_object_or_404(County, code=county))


@public
def unit_courses(request, unit):
    """依學校研習課程: the search with the organizer unit fixed."""
    unit = get_object_or_404(Unit.objects.only("pk", "code", "name"), code=unit)
    return _render(request, unit=unit)
