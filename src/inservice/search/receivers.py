"""The search table follows the course life cycle: the services send these signals after
their transaction commits."""

from __future__ import annotations

import logging

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
