"""Public API for the code tables of the course form (附件四).

    from inservice.catalog import codes
    codes.choices("delivery")                 # [("11-1", "講授"), ..., ("11-99", "其他")]
    codes.name_of("class_type", "1-2")        # "非學分班(校本研習)", also for retired codes
    codes.is_valid("fee", "22-3", on=date)    # may this code be chosen on that date?

Table keys: class_type, basis, category, level, instructor_type, delivery, time_slot,
target_stage, target_title, funding, fee, feedback. Dates default to today (Asia/Taipei).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from . import caching
from .models import FIELD_NUMBERS, Code, CodeTable

TABLES: tuple[str, ...] = tuple(CodeTable.values)


class UnknownTable(LookupError):
    """The table key is not one of TABLES (a programming error)."""


class UnknownCode(LookupError):
    """The code does not exist in the table, not even as a retired code."""


@dataclass(frozen=True)
class CodeEntry:
    table: str
    code: str
    name: str
    needs_text: bool
    valid_from: datetime.date | None
    valid_to: datetime.date | None

    def is_valid_on(self, on: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on < self.valid_to
        )

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


def _entries(table: str) -> tuple[CodeEntry, ...]:
    if table not in TABLES:
        raise UnknownTable(f"unknown code table {table!r}; expected one of {', '.join(TABLES)}")

    def build():
        return tuple(
            CodeEntry(
                table=row.table,
                code=row.code,
                name=row.name,
                needs_text=row.needs_text,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
            )
            for row in Code.objects.filter(table=table).order_by("sort_key", "code")
        )

    return caching.cached(f"codes:{table}", build)


def _today() -> datetime.date:
    return timezone.localdate()


def entries(table: str, on: datetime.date | None = None) -> list[CodeEntry]:
    """The codes of `table` valid on `on` (default today), in code order."""
    on = on or _today()
    return [e for e in _entries(table) if e.is_valid_on(on)]


def all_entries(table: str) -> list[CodeEntry]:
    """Every code of `table`, retired ones included (for listings and old data)."""
    return list(_entries(table))


def choices(table: str, on: datetime.date | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs that may be chosen on `on` (default today); retired codes excluded."""
    return [(e.code, e.name) for e in entries(table, on)]


def get(table: str, code: str) -> CodeEntry:
    for entry in _entries(table):
        if entry.code == code:
            return entry
    raise UnknownCode(f"code {code!r} does not exist in table {table!r}")


def name_of(table: str, code: str) -> str:
    """The name of `code`, whether current or retired. Raises UnknownCode if it never existed."""
    return get(table, code).name


def names(table: str) -> dict[str, str]:
    """{code: name} for every code of the table, retired included (one cache read, for lists)."""
    return {e.code: e.name for e in _entries(table)}


def is_valid(table: str, code: str, on: datetime.date | None = None) -> bool:
    """True if `code` exists in `table` and may be chosen on `on` (default today)."""
    on = on or _today()
    return any(e.code == code and e.is_valid_on(on) for e in _entries(table))


def needs_text(table: str, code: str) -> bool:
    """True for the "其他" codes whose choice must come with a free-text explanation."""
    return get(table, code).needs_text


def title(table: str) -> str:
    """The field's title on the course form, e.g. "實施方式"."""
    if table not in TABLES:
        raise UnknownTable(f"unknown code table {table!r}")
    return str(CodeTable(table).label)


def field_number(table: str) -> int:
    """The field's number on the course form (附件四), e.g. 11 for delivery."""
    if table not in TABLES:
        raise UnknownTable(f"unknown code table {table!r}")
    return FIELD_NUMBERS[table]
