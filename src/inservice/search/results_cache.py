"""Search results kept in the shared cache (Redis), so that the same search asked again —
a county page, a popular keyword in the week a course opens — costs no SQL.

What is kept is data, not HTML: the count and each page's rows. The registration state of
a row is computed when the page is shown, so it is never stale. A kept result is used only
while all of these hold:
- the search table has not changed since: every write to it (`index.index_course`,
  `index.rebuild`, a generated dataset) replaces a generation token after its commit, and
  each kept value carries the token it was computed under;
- it is still the same day (the default order puts courses not yet over first; the day is
  part of the key);
- it is younger than `SEARCH_CACHE_SECONDS` (a unit's or county's new name, shown beside
  each course, reaches the list within that time);
- for the searches whose rows change with the time of day — registration open now, and the
  deadline order (its first group is the registration still open) — no course's
  registration has opened or closed since: each such value carries the next moment one
  does, read when it was computed.

A kept page costs one round trip to the cache (`Kept.read`: the generation token and the
values in one MGET); under load each round trip is a context switch on a busy machine.

Only a cache every process shares can be used: a per-process cache would keep serving a
generation that another process has already replaced. Without one, `SEARCH_CACHE_SECONDS`
is 0 and nothing is kept (settings.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

_GENERATION = "search:generation"
_UNSET = object()


def seconds() -> int:
    return int(getattr(settings, "SEARCH_CACHE_SECONDS", 0) or 0)


def enabled() -> bool:
    return seconds() > 0


def timed(params, sort: str) -> bool:
    """Whether the search's rows change when a registration opens or closes."""
    return params.open_now or sort == "deadline"


def changed(using: str | None = None) -> None:
    """The search table changed: once the transaction commits, no kept result matches any
    more. Outside a transaction, at once. If the cache cannot be told (Redis down), the
    change is logged and kept results may lag it by up to `SEARCH_CACHE_SECONDS`."""
    if not enabled():
        return
    transaction.on_commit(
        lambda: cache.set(_GENERATION, secrets.token_hex(8), timeout=None),
        using=using,
        robust=True,
    )


class Kept:
    """The kept values of one search: `read` fetches several parts in one round trip,
    `get` answers from what was read, `put` keeps a computed part."""

    def __init__(self, params, sort: str, today: datetime.date, cap: int, now, until=None):
        values = dataclasses.asdict(params)
        values.update(sort=sort, today=today.isoformat(), cap=cap)
        self._digest = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:32]
        self._now = now
        # For a timed search: reads the next registration opening or closing after `now`.
        self._until = until
        self._until_value = _UNSET
        self._broken = False
        self._generation: str | None = None
        self._read: dict[str, object] = {}
        self._tried: set[str] = set()

    def _key(self, part: str) -> str:
        return f"search:{self._digest}:{part}"

    def read(self, *parts: str) -> None:
        self._tried.update(parts)
        if self._broken:
            return
        keys = [self._key(part) for part in parts]
        try:
            found = cache.get_many([_GENERATION, *keys])
            generation = found.get(_GENERATION)
            if generation is None:
                # First use, or the cache was emptied: a new token, so nothing older matches.
                cache.add(_GENERATION, secrets.token_hex(8), timeout=None)
                generation = cache.get(_GENERATION)
        except Exception:
            # The search must not fail with the cache (Redis down): it is computed instead.
            logger.warning("search results cache unavailable", exc_info=True)
            self._broken = True
            return
        self._generation = generation
        for part, key in zip(parts, keys, strict=True):
            value = found.get(key)
            if (
                isinstance(value, tuple)
                and len(value) == 3
                and value[0] == generation
                and (value[1] is None or self._now < value[1])
            ):
                self._read[part] = value[2]

    def get(self, part: str):
        """The kept value of `part` (read now if it was not read with the others), or None."""
        if part not in self._tried:
            self.read(part)
        return self._read.get(part)

    def put(self, part: str, value) -> None:
        self._read[part] = value
        if self._broken or self._generation is None:
            return
        if self._until is not None and self._until_value is _UNSET:
            self._until_value = self._until(self._now)
        until = None if self._until is None else self._until_value
        try:
            cache.set(self._key(part), (self._generation, until, value), timeout=seconds())
        except Exception:
            logger.warning("search results cache unavailable", exc_info=True)
            self._broken = True
