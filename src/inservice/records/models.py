"""Teachers' lifelong training records (研習紀錄), the days their hours fall on, exceptions to
the daily/weekly caps, and issued transcripts.

A record is a snapshot: the course's name, organizer, category, item, level and tags as they
were at closing, so later edits to a course or the taxonomy never rewrite someone's history.
Records come from closing a course here (source online) or, later, from partners.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from inservice.accounts.models import Teacher
from inservice.courses.models import Course, Source
from inservice.organizations.models import Unit


class TrainingRecord(models.Model):
    # No index of its own: (teacher, start_date) serves every lookup by teacher. Each index
    # keyed by teacher costs a random page per record when a course closes (docs/performance.md).
    teacher = models.ForeignKey(
        Teacher, on_delete=models.PROTECT, related_name="training_records", db_index=False
    )
    course = models.ForeignKey(
        Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="training_records"
    )
    # The course code as the source knows it (ours are numbers; partners' may not be).
    course_code = models.CharField(_("課程代碼"), max_length=30, db_index=True)
    course_name = models.CharField(_("研習名稱"), max_length=200)
    organizer = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organizer_name = models.CharField(_("開課單位"), max_length=200)
    source = models.CharField(_("資料來源"), max_length=20, choices=Source.choices)
    partner = models.CharField(_("傳報單位"), max_length=100, blank=True)
    start_date = models.DateField(_("研習起日"))
    end_date = models.DateField(_("研習迄日"))
    # Hours the course's rules give this teacher, before the daily/weekly caps.
    hours_requested = models.DecimalField(_("申請時數"), max_digits=6, decimal_places=1)
    # Hours that count (after the caps and any granted exception).
    hours = models.DecimalField(_("研習時數"), max_digits=6, decimal_places=1)
    hours_withheld = models.DecimalField(
        _("超過上限未核計時數"), max_digits=6, decimal_places=1, default=0
    )
    credits = models.DecimalField(
        _("學分數"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    class_type = models.CharField(_("班別類別"), max_length=6, blank=True)
    category = models.CharField(_("進修範疇"), max_length=6, blank=True)
    topic_item = models.CharField(_("課程細項"), max_length=12, blank=True)
    level = models.CharField(_("進修階層"), max_length=6, blank=True)
    tags = models.JSONField(_("專案屬性標籤"), default=list, blank=True)
    closed_at = models.DateTimeField(_("結案時間"))
    created_at = models.DateTimeField(_("登錄時間"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("研習紀錄")
        verbose_name_plural = _("研習紀錄")
        ordering = ["-start_date", "-id"]
        constraints = [
            # Course first: a closing's 500 records land on a few adjacent index pages, and
            # "who already has a record of this course" reads the same pages.
            models.UniqueConstraint(
                fields=["course", "teacher"],
                condition=models.Q(course__isnull=False),
                name="record_once_per_course",
            ),
            models.UniqueConstraint(
                fields=["teacher", "source", "partner", "course_code"],
                condition=models.Q(course__isnull=True),
                name="record_once_per_partner_course",
            ),
        ]
        indexes = [models.Index(fields=["teacher", "start_date"])]

    def __str__(self):
        return f"{self.course_code} {self.course_name}: {self.hours}"


class TrainingDay(models.Model):
    """The hours of one record on one day: what the daily and weekly caps are computed from."""

    # Neither foreign key has an index of its own: (record, date) and (teacher, date) lead
    # with them.
    record = models.ForeignKey(
        TrainingRecord, on_delete=models.CASCADE, related_name="days", db_index=False
    )
    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="+", db_index=False)
    date = models.DateField(_("日期"))
    hours_requested = models.DecimalField(_("申請時數"), max_digits=4, decimal_places=1)
    hours_counted = models.DecimalField(_("核計時數"), max_digits=4, decimal_places=1)

    class Meta:
        verbose_name = _("研習日時數")
        verbose_name_plural = _("研習日時數")
        ordering = ["date", "record_id"]
        constraints = [models.UniqueConstraint(fields=["record", "date"], name="training_day_once")]
        indexes = [
            # The caps read the counted hours of a teacher's weeks from this index alone (an
            # index-only scan): no visit to the table's scattered rows.
            models.Index(
                fields=["teacher", "date"],
                include=["hours_counted"],
                name="training_day_teacher_date",
            )
        ]

    def __str__(self):
        return f"{self.record_id} {self.date}: {self.hours_counted}/{self.hours_requested}"

    @property
    def withheld(self):
        return self.hours_requested - self.hours_counted


class HoursException(models.Model):
    """A regional center lets a teacher's withheld hours on one day count (audited)."""

    day = models.OneToOneField(TrainingDay, on_delete=models.CASCADE, related_name="exception")
    center = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("核准理由"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("核准時間"), auto_now_add=True)

    class Meta:
        verbose_name = _("時數上限例外核准")
        verbose_name_plural = _("時數上限例外核准")

    def __str__(self):
        return f"{self.day_id}: {self.reason[:30]}"


def transcript_pdf_path(instance, filename):
    return f"transcripts/{instance.code}.pdf"


class Transcript(models.Model):
    """An issued transcript: what it said, frozen, so `/verify/<code>/` can confirm it."""

    code = models.CharField(_("驗證碼"), max_length=40, unique=True)
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="transcripts")
    issued_at = models.DateTimeField(_("核發時間"), auto_now_add=True)
    masked_name = models.CharField(_("姓名(遮罩)"), max_length=60)
    # [{"course_code", "course_name", "start_date", "end_date", "hours"}], as printed.
    entries = models.JSONField(_("紀錄內容"), default=list)
    total_hours = models.DecimalField(_("總時數"), max_digits=8, decimal_places=1)
    period = models.CharField(_("期間"), max_length=60, blank=True)
    digest = models.CharField(max_length=64)
    # The rendered PDF, private (MEDIA_ROOT is served only through permission-checked views);
    # written by `records.tasks.render_transcript_pdf`, keyed by the code.
    pdf = models.FileField(upload_to=transcript_pdf_path, blank=True)
    pdf_ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("研習時數證明")
        verbose_name_plural = _("研習時數證明")
        ordering = ["-issued_at"]

    def __str__(self):
        return self.code
