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

One fact outlives the generation: that a search has more matches than the list's cap (its
count is "more than 1,000"). A new course's first publication only adds a row, and adding a
row takes no match from any search; a course changed, closed or cancelled rewrites or
removes one row, which takes at most one match from any search. So the count goes a little
past the cap (`SearchResults.ABOVE_MARGIN`), and the fact is kept with the number of
matches found and the count of rows changed or removed so far (`_SHRUNK`, a counter every
such write adds its rows to): it holds while fewer rows were changed since than it had
matches beyond the cap. A write of unknown extent (a rebuild, a generated dataset) replaces
a token (`_SHRINK`) instead, which ends every such fact. After a publication or a course's
change — every few minutes in term time — a popular search then computes its page but not
its count, the costlier half (a common keyword's count reads all its matches' index
entries). Searches timed as above are not counted on it: registrations closing take their
matches away without a write.

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
_SHRINK = "search:shrink"
_SHRUNK = "search:shrunk"
_UNSET = object()
# Parts valid while `_SHRINK` is unchanged (rather than the generation), and kept that long:
# the key holds the day, so at most until midnight.
ABOVE = "above"
_ABOVE_SECONDS = 24 * 3600


def seconds() -> int:
    return int(getattr(settings, "SEARCH_CACHE_SECONDS", 0) or 0)


def enabled() -> bool:
    return seconds() > 0


def timed(params, sort: str) -> bool:
    """Whether the search's rows change when a registration opens or closes."""
    return params.open_now or sort == "deadline"


def changed(using: str | None = None, *, added_only: bool = False, rows: int | None = None):
    """The search table changed: once the transaction commits, no kept result matches any
    more. `added_only`: rows were inserted, none changed or removed; `rows`: that many
    existing rows were changed or removed (a course's re-index: one). Either way a search's
    "more than the cap" may still hold (see above); without them it is counted again.
    Outside a transaction, at once. If the cache cannot be told (Redis down), the change is
    logged and kept results may lag it by up to a day."""
    if not enabled():
        return

    def replace():
        token = secrets.token_hex(8)
        if added_only:
            cache.set(_GENERATION, token, timeout=None)
            return
        if rows is None:
            cache.set_many({_GENERATION: token, _SHRINK: token}, timeout=None)
            return
        cache.set(_GENERATION, token, timeout=None)
        try:
            cache.incr(_SHRUNK, rows)
        except ValueError:  # the counter is gone (an emptied cache): end every kept fact
            cache.set(_SHRINK, token, timeout=None)

    transaction.on_commit(replace, using=using, robust=True)


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
        self._cap = cap
        self._generation: str | None = None
        self._shrink: str | None = None
        self._shrunk: int | None = None
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
            found = cache.get_many([_GENERATION, _SHRINK, _SHRUNK, *keys])
            generation, shrink = found.get(_GENERATION), found.get(_SHRINK)
            shrunk = found.get(_SHRUNK)
            if generation is None or shrink is None:
                # First use, or the cache was emptied: new tokens, so nothing older matches.
                token = secrets.token_hex(8)
                cache.add(_GENERATION, token, timeout=None)
                cache.add(_SHRINK, token, timeout=None)
                generation, shrink = cache.get(_GENERATION), cache.get(_SHRINK)
            if not isinstance(shrunk, int):
                # The counter is gone: a new token ends the facts counted on the old one.
                cache.add(_SHRUNK, 0, timeout=None)
                cache.set(_SHRINK, secrets.token_hex(8), timeout=None)
                shrink, shrunk = cache.get(_SHRINK), cache.get(_SHRUNK)
        except Exception:
            # The search must not fail with the cache (Redis down): it is computed instead.
            logger.warning("search results cache unavailable", exc_info=True)
            self._broken = True
            return
        self._generation, self._shrink, self._shrunk = generation, shrink, shrunk
        for part, key in zip(parts, keys, strict=True):
            value = found.get(key)
            if (
                isinstance(value, tuple)
                and len(value) == 3
                and value[0] == (shrink if part == ABOVE else generation)
                and (value[1] is None or self._now < value[1])
            ):
                if part != ABOVE:
                    self._read[part] = value[2]
                elif self._still_above(value[2]):
                    self._read[part] = True

    def _still_above(self, value) -> bool:
        """Whether a kept (matches found, rows changed then) is still above the cap."""
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(self._shrunk, int)):
            return False
        matches, shrunk_then = value
        return matches - (self._shrunk - shrunk_then) > self._cap

    def get(self, part: str):
        """The kept value of `part` (read now if it was not read with the others), or None."""
        if part not in self._tried:
            self.read(part)
        return self._read.get(part)

    def put(self, part: str, value) -> None:
        """Keep `value` for `part`; for `ABOVE`, the number of matches found (> the cap)."""
        self._read[part] = True if part == ABOVE else value
        if self._broken or self._generation is None:
            return
        if self._until is not None and self._until_value is _UNSET:
            self._until_value = self._until(self._now)
        until = None if self._until is None else self._until_value
        if part == ABOVE:
            token, timeout = self._shrink, _ABOVE_SECONDS
            value = (value, self._shrunk)
        else:
            token, timeout = self._generation, seconds()
        try:
            cache.set(self._key(part), (token, until, value), timeout=timeout)
        except Exception:
            logger.warning("search results cache unavailable", exc_info=True)
            self._broken = True
