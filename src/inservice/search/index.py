"""Keeping the search table in step with the courses."""

from __future__ import annotations

from django.db import connections, transaction

from inservice.courses.models import Course, CourseStatus

from . import results_cache, tokens
from .models import CourseSearchEntry

# Courses the public can find: approved and not cancelled (closed ones stay findable).
SEARCHABLE = (CourseStatus.PUBLISHED, CourseStatus.CLOSED)


def _uses_tsvector(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def _codes(value) -> list[str]:
    return [v for v in (value or []) if isinstance(v, str)]


def entry_for(course: Course) -> CourseSearchEntry:
    """The (unsaved) search row for a course with a published version."""
    version = course.published
    unit = course.unit
    texts = (version.name, unit.name, version.outline)
    entry = CourseSearchEntry(
        course=course,
        code=course.code,
        name=version.name,
        status=course.status,
        unit=unit,
        county_id=unit.county_id,
        start_date=version.start_date,
        end_date=version.end_date,
        registration_opens=version.registration_opens,
        registration_closes=version.registration_closes,
        published_at=course.published_at,
        class_type=version.class_type,
        taxonomy_stage=version.taxonomy_stage,
        category=version.category,
        topic_item=version.topic_item,
        level=version.level,
        target_stages=_codes(version.target_stages),
        tags=_codes(version.tags),
        delivery=_codes(version.delivery),
        time_slots=_codes(version.time_slots),
    )
    if _uses_tsvector():
        # The text form of a tsvector; PostgreSQL casts the literal on insert.
        codes = tokens.code_lexemes({name: getattr(entry, name) for name in tokens.CODE_FIELDS})
        entry.search_vector = tokens.tsvector_literal(*texts, codes=codes)
        entry.search_text = ""
    else:
        entry.search_text = "\n".join(tokens.normalize(t) for t in texts)
    return entry


@transaction.atomic
def index_course(course: Course) -> CourseSearchEntry | None:
    """Bring one course's row up to date: written if the course is findable, else removed."""
    course = (
        Course.objects.select_related("unit", "published")
        .select_for_update(of=("self",))
        .get(pk=course.pk)
    )
    existing = CourseSearchEntry.objects.filter(course_id=course.pk)
    if course.status not in SEARCHABLE or course.published_id is None:
        removed, _per_model = existing.delete()
        results_cache.changed(rows=removed)
        return None
    entry = entry_for(course)
    if existing.exists():
        # Rewritten: it may no longer match a search it matched (one match at most).
        entry.save(force_update=True)
        results_cache.changed(rows=1)
    else:
        # A course's first publication: a row added, no match taken from any search.
        entry.save(force_insert=True)
        results_cache.changed(added_only=True)
    return entry


def rebuild(batch_size: int = 1000) -> int:
    """Rewrite the whole table from the courses, in batches (each its own transaction)."""
    count = 0
    queryset = (
        Course.objects.filter(status__in=SEARCHABLE, published__isnull=False)
        .select_related("unit", "published")
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last)[:batch_size])
        if not batch:
            break
        with transaction.atomic():
            entries = [entry_for(course) for course in batch]
            CourseSearchEntry.objects.filter(course_id__in=[c.pk for c in batch]).delete()
            CourseSearchEntry.objects.bulk_create(entries)
        count += len(batch)
        last = batch[-1].pk
    # Rows of courses no longer findable (cancelled, or deleted drafts never are here).
    stale = CourseSearchEntry.objects.exclude(course__status__in=SEARCHABLE)
    stale.delete()
    results_cache.changed()
    return count
