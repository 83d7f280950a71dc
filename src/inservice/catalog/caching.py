"""Cache for the catalog's reference data.

Each table is read whole (they are small) and kept in Django's cache; lookups filter the
cached rows in Python. Entries are dropped whenever a catalog row is saved or deleted
(including from data migrations, whose historical models send the same signals) and after
`migrate`; a timeout bounds staleness in any case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")

PREFIX = "catalog:v1:"
TIMEOUT = 60 * 60


def all_keys() -> list[str]:
    """Every key `cached` may be called with (a fixed set, so clearing needs no index)."""
    from .models import CodeTable, TeacherStage

    return [
        *(f"codes:{table}" for table in CodeTable.values),
        *(f"topics:{stage}" for stage in TeacherStage.values),
        "tags",
        "subjects",
    ]


def cached(key: str, build: Callable[[], T]) -> T:
    full_key = PREFIX + key
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, TIMEOUT)
    return value


def clear() -> None:
    cache.delete_many([PREFIX + key for key in all_keys()])


def _on_change(sender, **kwargs):
    meta = getattr(sender, "_meta", None)
    if meta is not None and meta.app_label == "catalog":
        clear()


def _on_migrate(sender, **kwargs):
    clear()


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_migrate, post_save

    post_save.connect(_on_change, dispatch_uid="catalog-cache-save")
    post_delete.connect(_on_change, dispatch_uid="catalog-cache-delete")
    post_migrate.connect(_on_migrate, dispatch_uid="catalog-cache-migrate")
