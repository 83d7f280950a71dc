"""Courses: a permanent identity (課程代碼) with versions of the 附件四 form.

A course's content lives in `CourseVersion` rows. `Course.published` points at the approved
version the public sees; `Course.working` at the version being edited or reviewed. Editing a
published course creates a new working version, so the published one stays public (and its
registrations stay) until the change is approved.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inservice.organizations.models import Unit


class CourseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("審核中")
    RETURNED = "returned", _("退回修正")
    PUBLISHED = "published", _("已核准公告")
    CANCELLED = "cancelled", _("已取消")
    CLOSED = "closed", _("已結案")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("編輯中")
    PENDING = "pending", _("送審中")
    RETURNED = "returned", pgettext_lazy("course review", "退回")
    APPROVED = "approved", _("已核准")
    SUPERSEDED = "superseded", _("已被新版本取代")
    WITHDRAWN = "withdrawn", _("已撤回")


class Source(models.TextChoices):
    ONLINE = "online", _("線上登錄")
    COUNTY_TRANSMIT = "county_transmit", _("縣市傳報")
    PARTNER = "partner", _("合作單位傳報")


class Course(models.Model):
    code = models.BigIntegerField(_("課程代碼"), unique=True, editable=False)
    unit = models.ForeignKey(
        Unit, verbose_name=_("開課單位"), on_delete=models.PROTECT, related_name="courses"
    )
    status = models.CharField(
        _("狀態"), max_length=12, choices=CourseStatus.choices, default=CourseStatus.DRAFT
    )
    source = models.CharField(
        _("資料來源"), max_length=20, choices=Source.choices, default=Source.ONLINE
    )
    published = models.OneToOneField(
        "CourseVersion",
        verbose_name=_("公告版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    working = models.OneToOneField(
        "CourseVersion",
        verbose_name=_("編修中版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewing_center = models.ForeignKey(
        Unit,
        verbose_name=_("審核單位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="courses_to_review",
    )
    # Denormalised from the published version for lists, lights and search.
    name = models.CharField(_("研習名稱"), max_length=200, db_index=True)
    start_date = models.DateField(_("課程開始日期"), null=True, blank=True)
    end_date = models.DateField(_("課程結束日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("建立時間"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新時間"), auto_now=True)
    published_at = models.DateTimeField(_("首次公告時間"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消時間"), null=True, blank=True)
    cancel_reason = models.TextField(_("取消原因"), blank=True)
    closed_at = models.DateTimeField(_("結案時間"), null=True, blank=True)
    # Optimistic lock: every write bumps it; a form carries the value it was rendered with.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("研習課程")
        verbose_name_plural = _("研習課程")
        indexes = [
            models.Index(fields=["unit", "status", "-start_date"]),
            models.Index(fields=["reviewing_center", "status"]),
            models.Index(fields=["status", "start_date"]),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def has_pending_change(self) -> bool:
        return (
            self.status == CourseStatus.PUBLISHED
            and self.working_id is not None
            and self.working_id != self.published_id
        )


class CourseVersion(models.Model):
    """One version of the course form (附件四, fields 1–26)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    state = models.CharField(
        _("版本狀態"), max_length=12, choices=VersionState.choices, default=VersionState.DRAFT
    )
    # 課程訊息
    class_type = models.CharField(_("班別類別"), max_length=6, blank=True)  # 1-x
    credits = models.DecimalField(
        _("學分數"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    basis = models.CharField(_("辦理性質"), max_length=6, blank=True)  # 2-x
    basis_doc_number = models.CharField(_("依據文號"), max_length=100, blank=True)
    name = models.CharField(_("研習名稱"), max_length=200, blank=True)
    tags = models.JSONField(_("專案屬性標籤"), default=list, blank=True)  # tag codes
    subject = models.CharField(_("教育階段-領域-科目"), max_length=30, blank=True)  # 課程性質
    taxonomy_stage = models.CharField(_("課程細項適用階段"), max_length=20, blank=True)
    category = models.CharField(_("進修範疇"), max_length=6, blank=True)  # 5-x
    topic_item = models.CharField(_("課程細項"), max_length=12, blank=True)  # e.g. 1-3-6
    level = models.CharField(_("進修階層"), max_length=6, blank=True)  # 7-x
    instructor_name = models.CharField(_("師資姓名"), max_length=200, blank=True)
    instructor_type = models.CharField(_("師資類別"), max_length=6, blank=True)  # 8-x
    outline = models.TextField(_("課程大綱"), blank=True)
    delivery = models.JSONField(_("實施方式"), default=list, blank=True)  # 11-x
    delivery_other = models.CharField(_("其他實施方式"), max_length=100, blank=True)
    time_slots = models.JSONField(_("課程時段"), default=list, blank=True)  # 12-x
    hours = models.DecimalField(
        _("研習時數"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    # 報名資訊
    target_stages = models.JSONField(_("參加對象教育階段別"), default=list, blank=True)  # 14-x
    target_titles = models.JSONField(_("參加對象職稱別"), default=list, blank=True)  # 15-x
    target_title_other = models.CharField(_("其他職稱"), max_length=100, blank=True)
    registration_start = models.DateField(_("報名開始日期"), null=True, blank=True)
    registration_opens_at = models.TimeField(
        _("報名開放時間"), default=datetime.time(0, 0), help_text=_("預設為報名開始日 00:00。")
    )
    registration_end = models.DateField(_("報名截止日期"), null=True, blank=True)
    start_date = models.DateField(_("課程開始日期"), null=True, blank=True)
    end_date = models.DateField(_("課程結束日期"), null=True, blank=True)
    time_and_place = models.TextField(_("上課時間及地點"), blank=True)
    # 其他
    funding = models.JSONField(_("經費來源"), default=list, blank=True)  # 21-x
    fee = models.CharField(_("學員繳費情形"), max_length=6, blank=True)  # 22-x
    classes = models.PositiveIntegerField(_("辦理班數"), null=True, blank=True)
    seats_per_class = models.PositiveIntegerField(_("每班人數"), null=True, blank=True)
    contact1_name = models.CharField(_("承辦人姓名"), max_length=60, blank=True)
    contact1_phone = models.CharField(_("承辦人電話"), max_length=40, blank=True)
    contact1_email = models.EmailField(_("承辦人 Email"), blank=True)
    contact2_name = models.CharField(_("第二承辦人姓名"), max_length=60, blank=True)
    contact2_phone = models.CharField(_("第二承辦人電話"), max_length=40, blank=True)
    contact2_email = models.EmailField(_("第二承辦人 Email"), blank=True)
    feedback = models.CharField(_("課程意見回饋問卷"), max_length=6, blank=True)  # 26-x
    # Life cycle of this version
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    change_reason = models.TextField(_("修改說明"), blank=True)
    submitted_at = models.DateTimeField(_("送審時間"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("審核時間"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_approved = models.BooleanField(_("自動審核通過"), default=False)
    review_note = models.TextField(_("審核意見"), blank=True)

    class Meta:
        verbose_name = _("課程版本")
        verbose_name_plural = _("課程版本")
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="course_version_number")
        ]
        indexes = [models.Index(fields=["state", "submitted_at"])]

    def __str__(self):
        return f"{self.course.code} v{self.number}"

    @property
    def capacity(self) -> int:
        return (self.classes or 0) * (self.seats_per_class or 0)

    @property
    def registration_opens(self) -> datetime.datetime | None:
        """The exact moment registration opens, in Asia/Taipei."""
        if self.registration_start is None:
            return None
        naive = datetime.datetime.combine(self.registration_start, self.registration_opens_at)
        return timezone.make_aware(naive, timezone.get_default_timezone())

    @property
    def registration_closes(self) -> datetime.datetime | None:
        """Registration closes at the end of the deadline day."""
        if self.registration_end is None:
            return None
        naive = datetime.datetime.combine(
            self.registration_end + datetime.timedelta(days=1), datetime.time(0, 0)
        )
        return timezone.make_aware(naive, timezone.get_default_timezone())

    def sessions_hours(self) -> Decimal:
        total = Decimal(0)
        for session in self.sessions.all():
            total += session.duration_hours
        return total


class CourseSession(models.Model):
    """An optional dated session, so each day's hours are known (used by the hours caps)."""

    version = models.ForeignKey(CourseVersion, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("日期"))
    start_time = models.TimeField(_("開始時間"))
    end_time = models.TimeField(_("結束時間"))
    hours = models.DecimalField(_("時數"), max_digits=4, decimal_places=1)

    class Meta:
        verbose_name = _("場次")
        verbose_name_plural = _("場次")
        ordering = ["date", "start_time"]

    def __str__(self):
        return f"{self.date} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    @property
    def duration_hours(self) -> Decimal:
        return self.hours


def attachment_path(instance, filename):
    # Never the user's file name on disk: a random name under the course code.
    import uuid

    return f"course-attachments/{instance.course.code}/{uuid.uuid4().hex}"


class CourseAttachment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(_("檔名"), max_length=200)
    content_type = models.CharField(_("檔案類型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    is_public = models.BooleanField(
        _("公開於課程頁面"), default=True, help_text=_("講義等可公開；內部文件請取消勾選。")
    )

    class Meta:
        verbose_name = _("研習附件")
        verbose_name_plural = _("研習附件")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name


class AutoReviewSetting(models.Model):
    """A regional center's auto-review switches (附件一 二(三)5 condition 3); chief only."""

    center = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="autoreview")
    courses = models.BooleanField(_("課程自動審核"), default=False)
    attendance_lists = models.BooleanField(_("名單自動審核"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("自動審核設定")
        verbose_name_plural = _("自動審核設定")

    def __str__(self):
        return f"{self.center}: {self.courses}/{self.attendance_lists}"


class ChangeRequest(models.Model):
    """修改已結案課程內容申請: organizer asks, regional center decides, national center executes."""

    class State(models.TextChoices):
        PENDING = "pending", _("待區管中心審核")
        APPROVED = "approved", _("區管中心同意，待全國推廣中心辦理")
        REJECTED = "rejected", _("未同意")
        DONE = "done", _("已完成修改")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="change_requests")
    proposed = models.OneToOneField(
        CourseVersion, on_delete=models.PROTECT, related_name="change_request"
    )
    reason = models.TextField(_("申請理由"))
    state = models.CharField(_("狀態"), max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("審核意見"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("結案課程修改申請")
        verbose_name_plural = _("結案課程修改申請")
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.course.code}: {self.get_state_display()}"
