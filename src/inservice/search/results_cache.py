"""Search results kept in the shared cache (Redis), so that the same search asked again —
a county page, a popular keyword in the week a course opens — costs no SQL.

What is kept is data, not HTML: the count and each page's rows. The registration state of
a row is computed when the page is shown, so it is never stale. A kept result is used only
while all of these hold:
- the search table has not changed since: every write to it (`index.index_course`,
  `index.rebuild`, a generated dataset) replaces a generation token, part of every key;
- it is still the same day (the default order puts courses not yet over first);
- it is younger than `SEARCH_CACHE_SECONDS` (a unit's or county's new name, shown beside
  each course, reaches the list within that time);
- for the searches whose rows change with the time of day — registration open now, and the
  deadline order (its first group is the registration still open) — no course's
  registration has opened or closed since: the next such moment is part of their key
  (`next_boundary`).

Only a cache every process shares can be used: a per-process cache would keep serving a
generation that another process has already replaced. Without one, `SEARCH_CACHE_SECONDS`
is 0 and nothing is kept (settings.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

_GENERATION = "search:generation"


def seconds() -> int:
    return int(getattr(settings, "SEARCH_CACHE_SECONDS", 0) or 0)


def enabled() -> bool:
    return seconds() > 0


def timed(params, sort: str) -> bool:
    """Whether the search's rows change when a registration opens or closes."""
    return params.open_now or sort == "deadline"


def next_boundary(prefix_: str, now: datetime.datetime, read) -> str:
    """The next moment any course's registration opens or closes, after `now` (ISO text;
    "none" if there is none), kept under the generation until it passes. `read(now)` asks
    the database."""
    cache_key = f"{prefix_}:boundary"
    kept = cache.get(cache_key)
    if kept is not None and (kept == "none" or now < datetime.datetime.fromisoformat(kept)):
        return kept
    moment = read(now)
    value = moment.isoformat() if moment is not None else "none"
    cache.set(cache_key, value, timeout=seconds())
    return value


def _generation() -> str:
    token = cache.get(_GENERATION)
    if token is None:
        # First use, or the cache was emptied: a new token, so nothing older can match.
        cache.add(_GENERATION, secrets.token_hex(8), timeout=None)
        token = cache.get(_GENERATION)
    return token


def changed(using: str | None = None) -> None:
    """The search table changed: once the transaction commits, no kept result matches any
    more. Outside a transaction, at once."""
    if seconds() <= 0:
        return
    transaction.on_commit(
        lambda: cache.set(_GENERATION, secrets.token_hex(8), timeout=None), using=using
    )


def prefix() -> str:
    """The current generation's key prefix (read once per search)."""
    return f"search:{_generation()}"


def key(
    prefix_: str, params, sort: str, today: datetime.date, cap: int, part: str, until: str = ""
) -> str:
    """One cache key per search (all its parameters), day, cap and part ("count" or a
    row range), and for a timed search the next boundary, under a generation's prefix."""
    values = dataclasses.asdict(params)
    values.update(sort=sort, today=today.isoformat(), cap=cap, part=part, until=until)
    digest = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:32]
    return f"{prefix_}:{digest}"


def get(cache_key: str):
    return cache.get(cache_key)


def put(cache_key: str, value) -> None:
    cache.set(cache_key, value, timeout=seconds())
