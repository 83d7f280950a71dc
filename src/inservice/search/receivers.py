"""The search table follows the course life cycle: the services send these signals after
their transaction commits."""

from __future__ import annotations

import logging

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from inservice.courses.services.changes import course_changed_after_closing
from inservice.courses.services.lifecycle import course_cancelled, course_published

from . import index

logger = logging.getLogger(__name__)


def _reindex(course):
    # The course change is committed; a failure here must not turn it into an error page.
    # `manage.py rebuild_search_index` repairs the table.
    try:
        index.index_course(course)
    except Exception:
        logger.exception("search index update failed for course %s", course.pk)


@receiver(course_published, dispatch_uid="search.course_published")
def on_published(sender, course, **kwargs):
    _reindex(course)


@receiver(course_cancelled, dispatch_uid="search.course_cancelled")
def on_cancelled(sender, course, **kwargs):
    _reindex(course)


@receiver(course_changed_after_closing, dispatch_uid="search.course_changed_after_closing")
def on_changed_after_closing(sender, course, **kwargs):
    _reindex(course)


# The form's option lists (forms.choice_lists) come from the counties and the catalog.
def _choices_changed(sender, **kwargs):
    meta = getattr(sender, "_meta", None)
    if meta is not None and (meta.app_label == "catalog" or meta.label == "organizations.County"):
        from .forms import clear_choices

        clear_choices()


def _migrated(sender, **kwargs):
    from .forms import clear_choices

    clear_choices()


post_save.connect(_choices_changed, dispatch_uid="search.choices_save")
post_delete.connect(_choices_changed, dispatch_uid="search.choices_delete")
post_migrate.connect(_migrated, dispatch_uid="search.choices_migrate")
