"""The denormalised search table: one row per course the public can find (published, or
closed after being held), kept in sync from the course life cycle (see receivers.py)."""

from __future__ import annotations

import datetime

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inservice.courses.models import Course
from inservice.organizations.models import County, Unit

# The code filters besides category and item (`query.filtered`), carried by covering indexes.
_CODES = [
    "level",
    "class_type",
    "county",
    "target_stages",
    "tags",
    "delivery",
    "time_slots",
]


class CourseSearchEntry(models.Model):
    course = models.OneToOneField(
        Course, primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    code = models.BigIntegerField(_("課程代碼"), unique=True)
    name = models.CharField(_("研習名稱"), max_length=200)
    status = models.CharField(_("狀態"), max_length=12)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    county = models.ForeignKey(
        County, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    registration_opens = models.DateTimeField(null=True, blank=True)
    registration_closes = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    class_type = models.CharField(max_length=6, blank=True)
    taxonomy_stage = models.CharField(max_length=20, blank=True)
    category = models.CharField(max_length=6, blank=True)
    topic_item = models.CharField(max_length=12, blank=True)
    level = models.CharField(max_length=6, blank=True)
    # Lists of code strings. On PostgreSQL these are jsonb with GIN indexes (migration 0002)
    # queried with ?| ; elsewhere (SQLite for `make run`) a slower text match.
    target_stages = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    delivery = models.JSONField(default=list, blank=True)
    time_slots = models.JSONField(default=list, blank=True)
    # Keyword tokens (tokens.py) over name, unit name and outline. PostgreSQL only (GIN).
    search_vector = SearchVectorField(null=True, blank=True)
    # The normalised text, filled only where there is no tsvector (the SQLite development path).
    search_text = models.TextField(blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("課程搜尋索引")
        verbose_name_plural = _("課程搜尋索引")
        # The page query walks one of these per order segment (query.py, `_segments`).
        indexes = [
            models.Index(fields=["start_date", "code"], name="search_start"),
            # Covering: past courses, latest first, is read from the index alone when nothing
            # else filters (the unfiltered listing and its deep pages).
            models.Index(
                fields=["-start_date", "code"],
                include=["end_date", "course"],
                name="search_start_desc",
            ),
            models.Index(fields=["end_date", "start_date"], name="search_end_start"),
            # Rows that end before they start (bad data only): the page's segment for them
            # reads this instead of walking every course to come.
            models.Index(
                fields=["-start_date", "code"],
                condition=models.Q(start_date__gt=models.F("end_date")),
                name="search_ends_before_start",
            ),
            models.Index(fields=["registration_closes", "code"], name="search_closes_code"),
            # The next registration opening, which ends a kept "open now" result.
            models.Index(fields=["registration_opens"], name="search_opens"),
            # Covering, with every column the filters read (query.py, `_FENCE_COLUMNS`): the
            # courses still open for registration ("open now", a few weeks' worth) are tested
            # for the codes, county and dates on these entries alone (index-only scans).
            models.Index(
                fields=["-registration_closes", "code"],
                include=[
                    "course",
                    "status",
                    "unit",
                    "registration_opens",
                    "start_date",
                    "end_date",
                    "category",
                    "topic_item",
                    *_CODES,
                ],
                name="search_closes_cover",
            ),
            models.Index(fields=["published_at", "code"], name="search_published_code"),
            models.Index(fields=["county", "-start_date", "code"], name="search_county_start_desc"),
            models.Index(fields=["unit", "start_date"], name="search_unit_start"),
            # Covering: a count by codes alone reads these index entries only (index-only
            # scans), a tenth of the width of the table's rows, and stops at its cap.
            models.Index(
                fields=["category", "start_date"],
                include=[*_CODES, "topic_item"],
                name="search_category_cover",
            ),
            models.Index(fields=["topic_item"], include=_CODES, name="search_topic_item_cover"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def registration_last_day(self):
        """The deadline day (registration closes at the midnight after it)."""
        if self.registration_closes is None:
            return None
        return timezone.localtime(self.registration_closes - datetime.timedelta(seconds=1)).date()
