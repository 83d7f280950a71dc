"""Attendance of one course: the list the organizer enters and the regional center confirms.

An `AttendanceList` exists per course once the organizer starts entering attendance; its
entries hold, per teacher, what happened (attended, absent, excused leave, partly) and the
hours the course's own rules give (`inservice.records.hours`). The daily and weekly caps
across courses are applied only when records are created at closing (`inservice.records`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from inservice.accounts.models import Teacher
from inservice.courses.models import Course


class ListState(models.TextChoices):
    OPEN = "open", _("登錄中")
    SUBMITTED = "submitted", _("已送出・待區管中心確認")
    RETURNED = "returned", _("名單退回修正")
    CONFIRMED = "confirmed", _("名單已確認")


class AttendanceList(models.Model):
    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="attendance_list")
    state = models.CharField(
        _("名單狀態"), max_length=10, choices=ListState.choices, default=ListState.OPEN
    )
    submitted_at = models.DateTimeField(_("送出時間"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("確認時間"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    auto_confirmed = models.BooleanField(_("自動確認"), default=False)
    return_reason = models.TextField(_("退回原因"), blank=True)
    # Optimistic locking for the grid: a stale form is refused instead of overwriting.
    revision = models.PositiveIntegerField(default=0)
    last_reminder_at = models.DateTimeField(_("最近催辦時間"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("研習出席名單")
        verbose_name_plural = _("研習出席名單")
        indexes = [models.Index(fields=["state", "submitted_at"])]
        constraints = [
            # What the entries' foreign key on (list, course) refers to.
            models.UniqueConstraint(fields=["id", "course"], name="attendance_list_course")
        ]

    def __str__(self):
        return f"{self.course.code} ({self.get_state_display()})"


class AttendanceStatus(models.TextChoices):
    ATTENDED = "attended", _("全程參與")
    ABSENT = "absent", _("缺席")
    LEAVE = "leave", _("請假")
    PARTIAL = "partial", _("遲到或早退")


class AttendanceEntry(models.Model):
    """One teacher on one course's list."""

    # The list and the course are one reference on PostgreSQL: a foreign key on the pair
    # (attendance 0003), which also holds an entry to its own list's course. Two separate
    # keys were two checks per new entry, a quarter of a 100,000-row upload's commit. The
    # unique (course, teacher) constraint's index serves lookups by course.
    attendance_list = models.ForeignKey(
        AttendanceList, on_delete=models.CASCADE, related_name="entries", db_constraint=False
    )
    course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        related_name="attendance_entries",
        db_constraint=False,
        db_index=False,
    )
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="attendance")
    registration = models.OneToOneField(
        "enrollment.Registration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attendance",
    )
    status = models.CharField(_("出席情形"), max_length=10, choices=AttendanceStatus.choices)
    # Hours the teacher was actually present (partly / excused leave); None = the whole course.
    hours_attended = models.DecimalField(
        _("實際參與時數"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    # Hours the course's own rules give (before the per-teacher daily/weekly caps).
    hours = models.DecimalField(_("核給時數"), max_digits=5, decimal_places=1, default=0)
    walk_in = models.BooleanField(_("現場報到"), default=False)
    note = models.CharField(_("備註"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("出席紀錄")
        verbose_name_plural = _("出席紀錄")
        ordering = ["attendance_list", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "teacher"], name="attendance_once_per_course")
        ]

    def __str__(self):
        return f"{self.course_id}/{self.teacher_id}: {self.status} {self.hours}"


class AttendanceUpload(models.Model):
    """The report of one xlsx upload, kept so the organizer can read it row by row later.

    Identifiers are stored masked (ID numbers never in clear); each row is a compact list:
    accepted `[row, who, name, status, hours_attended, outcome]`, rejected
    `[row, who, name, status, hours_attended, reason]`.
    """

    attendance_list = models.ForeignKey(
        AttendanceList, on_delete=models.CASCADE, related_name="uploads"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(_("檔名"), max_length=200)
    total_rows = models.PositiveIntegerField(_("資料列數"), default=0)
    added = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    rejected = models.PositiveIntegerField(_("未匯入"), default=0)
    accepted_rows = models.JSONField(default=list)
    rejected_rows = models.JSONField(default=list)

    class Meta:
        verbose_name = _("出席名單上傳紀錄")
        verbose_name_plural = _("出席名單上傳紀錄")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.attendance_list.course_id} {self.file_name}"
