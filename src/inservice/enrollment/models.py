"""Online registration (線上報名): registrations, organizer options, favourites, alerts, feeds."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from inservice.accounts.models import Teacher
from inservice.courses.models import Course


def new_token() -> str:
    return secrets.token_urlsafe(32)


class AdmissionMode(models.TextChoices):
    FIRST_COME = "fcfs", _("先報先錄取")
    LOTTERY = "lottery", _("抽籤")


class Restriction(models.TextChoices):
    NONE = "none", _("不限")
    OWN_UNIT = "own_unit", _("限本單位教師")
    OWN_COUNTY = "own_county", _("限本縣市教師")
    TARGETS = "targets", _("限參加對象（教育階段別／職稱別）")


class EnrollmentOptions(models.Model):
    """The organizer's registration settings for one course."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="enrollment")
    mode = models.CharField(
        _("錄取方式"),
        max_length=10,
        choices=AdmissionMode.choices,
        default=AdmissionMode.FIRST_COME,
    )
    allow_waitlist = models.BooleanField(_("額滿後開放候補"), default=True)
    restriction = models.CharField(
        _("報名限制"), max_length=12, choices=Restriction.choices, default=Restriction.NONE
    )
    # Lottery: SHA-256 of the seed is published when the window opens; the seed at the draw.
    seed_commitment = models.CharField(_("亂數種子雜湊"), max_length=64, blank=True)
    seed = models.CharField(_("亂數種子"), max_length=64, blank=True)
    priority_groups = models.JSONField(
        _("優先順序"), default=list, blank=True, help_text=_('例如 ["own_unit", "target_titles"]')
    )
    drawn_at = models.DateTimeField(_("抽籤時間"), null=True, blank=True)
    # Seats taken (admitted) — kept under the course-row lock for fast capacity checks.
    admitted_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("報名設定")
        verbose_name_plural = _("報名設定")

    def __str__(self):
        return f"{self.course.code} {self.get_mode_display()}"


class RegistrationStatus(models.TextChoices):
    APPLIED = "applied", _("已登記抽籤")
    ADMITTED = "admitted", _("錄取")
    WAITLISTED = "waitlisted", _("候補")
    CANCELLED = "cancelled", _("已取消報名")
    REMOVED = "removed", _("已由開課單位移除")
    NOT_DRAWN = "not_drawn", _("未抽中")


ACTIVE_STATUSES = (
    RegistrationStatus.APPLIED,
    RegistrationStatus.ADMITTED,
    RegistrationStatus.WAITLISTED,
)


class Registration(models.Model):
    """One teacher's registration for one course (re-registering reuses the row)."""

    # No single-column indexes: every query by course or teacher starts with one of the
    # composite indexes below (or the unique pair), and each extra index was one more write
    # in every registration of a burst (docs/performance.md).
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="registrations", db_index=False
    )
    teacher = models.ForeignKey(
        Teacher, on_delete=models.PROTECT, related_name="registrations", db_index=False
    )
    status = models.CharField(_("狀態"), max_length=12, choices=RegistrationStatus.choices)
    # Waitlist order and first-come order: the moment the current status was queued.
    queued_at = models.DateTimeField(_("登記時間"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(_("取消時間"), null=True, blank=True)
    priority_group = models.PositiveSmallIntegerField(_("抽籤優先組"), null=True, blank=True)
    draw_rank = models.PositiveIntegerField(_("抽籤順位"), null=True, blank=True)
    note = models.CharField(_("備註"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("報名")
        verbose_name_plural = _("報名")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "teacher"], name="one_registration_per_course"
            )
        ]
        indexes = [
            models.Index(fields=["course", "status", "queued_at"]),
            models.Index(fields=["teacher", "status"]),
        ]

    def __str__(self):
        return f"{self.course.code} {self.teacher.personal_identifier} {self.status}"


class Favourite(models.Model):
    """收藏追蹤: a starred course; alerts when registration opens or seats free up."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="favourites")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(auto_now_add=True)
    alert_opening_sent_at = models.DateTimeField(null=True, blank=True)
    alert_seats_sent_at = models.DateTimeField(null=True, blank=True)
    # Set by the alerts job when it sees the course full; a later run that finds a free seat
    # mails once and clears it (one mail per freeing).
    seen_full_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("收藏課程")
        verbose_name_plural = _("收藏課程")
        constraints = [
            models.UniqueConstraint(fields=["teacher", "course"], name="one_favourite_per_course")
        ]

    def __str__(self):
        return f"{self.teacher_id} ★ {self.course_id}"


class SavedSearch(models.Model):
    """研習訂閱: a saved search whose new matches are mailed as a digest."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("名稱"), max_length=60)
    params = models.JSONField(_("查詢條件"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=new_token)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("研習訂閱")
        verbose_name_plural = _("研習訂閱")

    def __str__(self):
        return self.name


class CalendarFeed(models.Model):
    """A teacher's private iCalendar feed; revoking makes a new token (the old URL stops)."""

    teacher = models.OneToOneField(Teacher, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_tokens = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("行事曆訂閱")
        verbose_name_plural = _("行事曆訂閱")

    def __str__(self):
        return f"feed {self.teacher_id}"
