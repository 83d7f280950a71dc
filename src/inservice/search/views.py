"""Public course search (研習課程查詢) and the county and school entry pages."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from inservice.core.access import public
from inservice.organizations.models import County, Unit

from .forms import SearchForm
from .query import registration_state, search

PAGE_SIZE = 20


def _render(request, *, county=None, unit=None):
    form = SearchForm(request.GET)
    form.is_valid()  # invalid fields drop out of cleaned_data; the rest still applies
    params = form.params()
    if county is not None:
        params.county = county.code
    if unit is not None:
        params.unit_id = unit.pk
    now = timezone.now()
    page = Paginator(search(params, now=now), PAGE_SIZE).get_page(request.GET.get("page"))
    results = [(entry, registration_state(entry, now)) for entry in page.object_list]
    return render(
        request,
        "search/search.html",
        {
            "form": form,
            "notices": form.notices(),
            "page": page,
            "results": results,
            "count": page.paginator.count,
            "q": params.q,
            "county": county,
            "unit": unit,
            "searched": any(v not in (None, "") for v in request.GET.values()),
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
