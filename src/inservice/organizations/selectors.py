"""Reads shared by the directory page, the unit picker endpoint and other apps."""

from __future__ import annotations

import unicodedata

from django.db.models import F, Q, QuerySet

from .models import County, Unit


def normalise_query(q: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", q or "").split())[:50]


def _variants(term: str) -> set[str]:
    # People type 台 for 臺 (台北, 台中 …); official names use 臺.
    return {term, term.replace("台", "臺"), term.replace("臺", "台")}


def search_units(
    *,
    county: County | None = None,
    kind: str | None = None,
    q: str | None = None,
    active_only: bool = True,
) -> QuerySet[Unit]:
    """Units matching every given filter; `q` matches name words or a code prefix."""
    units = Unit.objects.select_related("county")
    if active_only:
        units = units.filter(is_active=True)
    if county is not None:
        units = units.filter(county=county)
    if kind:
        units = units.filter(kind=kind)
    for term in normalise_query(q).split(" "):
        if not term:
            continue
        match = Q(code__istartswith=term)
        for variant in _variants(term):
            match |= Q(name__icontains=variant)
        units = units.filter(match)
    return units.order_by(F("county__sort_order").asc(nulls_first=True), "code")
