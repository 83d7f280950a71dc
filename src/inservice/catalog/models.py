"""Code tables (附件四), the topic taxonomy (附件五), attribute tags (屬性標籤) and the
education stage – learning domain – subject table (課程性質).

All of it is reference data: rows are loaded and changed only by data migrations (see
docs/catalog.md), never edited in place by users. Validity is a half-open interval:
`valid_from` is the first day a row may be chosen (empty: since before the recorded history),
`valid_to` is the first day it may no longer be chosen (empty: still in force). A row whose
`valid_to` has passed stays in the table so that old records keep resolving to a name.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ValidityQuerySet(models.QuerySet):
    def valid_on(self, on: datetime.date):
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=on)
        )


class Validity(models.Model):
    valid_from = models.DateField(
        _("啟用日期"), null=True, blank=True, help_text=_("空白表示在有紀錄之前即已使用。")
    )
    valid_to = models.DateField(
        _("停用日期"),
        null=True,
        blank=True,
        help_text=_("自此日起不再提供選用（當日即不可選）；空白表示仍在使用中。"),
    )

    objects = ValidityQuerySet.as_manager()

    class Meta:
        abstract = True

    def is_valid_on(self, on: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on < self.valid_to
        )


def code_sort_key(code: str) -> int:
    """Numeric order of a dashed code: 1-3-6 before 1-3-10 before 1-3-99."""
    key = 0
    for part in (code.split("-") + ["0", "0"])[:3]:
        key = key * 1000 + int(part)
    return key


class CodeTable(models.TextChoices):
    """The coded fields of the course form (附件四); FIELD_NUMBERS gives their field numbers."""

    CLASS_TYPE = "class_type", _("班別類別")
    BASIS = "basis", _("辦理性質")
    CATEGORY = "category", _("進修範疇")
    LEVEL = "level", _("進修階層")
    INSTRUCTOR_TYPE = "instructor_type", _("師資")
    DELIVERY = "delivery", _("實施方式")
    TIME_SLOT = "time_slot", _("課程時段")
    TARGET_STAGE = "target_stage", _("參加對象教育階段別")
    TARGET_TITLE = "target_title", _("參加對象職稱別")
    FUNDING = "funding", _("經費來源")
    FEE = "fee", _("學員繳費情形")
    FEEDBACK = "feedback", _("課程意見回饋問卷")


FIELD_NUMBERS = {
    "class_type": 1,
    "basis": 2,
    "category": 5,
    "level": 7,
    "instructor_type": 8,
    "delivery": 11,
    "time_slot": 12,
    "target_stage": 14,
    "target_title": 15,
    "funding": 21,
    "fee": 22,
    "feedback": 26,
}


class Code(Validity):
    """One code of one table, e.g. (delivery, 11-99, 其他)."""

    table = models.CharField(_("代碼表"), max_length=20, choices=CodeTable.choices)
    code = models.CharField(_("代碼"), max_length=10)
    name = models.CharField(_("名稱"), max_length=100)
    needs_text = models.BooleanField(
        _("需填說明"), default=False, help_text=_("選用時須另填文字，例如「其他：＿＿」。")
    )
    sort_key = models.PositiveIntegerField(_("排序"), default=0)
    source = models.CharField(_("依據"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("代碼")
        verbose_name_plural = _("代碼")
        ordering = ["table", "sort_key", "code"]
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="catalog_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        if not self.sort_key:
            self.sort_key = code_sort_key(self.code)
        super().save(*args, **kwargs)


class TeacherStage(models.TextChoices):
    """The four tables of 附件五, one per teacher stage."""

    KINDERGARTEN = "kindergarten", _("幼兒園教師")
    ELEMENTARY = "elementary", _("國小教師")
    JUNIOR_HIGH = "junior_high", _("國中教師")
    SENIOR_HIGH = "senior_high", _("高級中等學校教師")


class NodeKind(models.TextChoices):
    CATEGORY = "category", _("研習進修範疇")
    AREA = "area", _("課程內涵")
    ITEM = "item", _("課程細項")


class TopicNode(Validity):
    """A category (1), sub-area (1-3) or item (1-3-6) of 附件五 for one teacher stage.

    Codes repeat across stages with different meanings: a node is identified by (stage, code).
    """

    stage = models.CharField(_("教師類別"), max_length=20, choices=TeacherStage.choices)
    code = models.CharField(_("代碼"), max_length=10)
    name = models.CharField(_("名稱"), max_length=100)
    kind = models.CharField(_("層級"), max_length=10, choices=NodeKind.choices)
    category = models.PositiveSmallIntegerField(_("進修範疇"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上層"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_key = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("課程細項分類")
        verbose_name_plural = _("課程細項分類")
        ordering = ["stage", "sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "code"], name="catalog_topic_unique"),
        ]

    def __str__(self):
        return f"{self.get_stage_display()} {self.code} {self.name}"

    def save(self, *args, **kwargs):
        if not self.sort_key:
            self.sort_key = code_sort_key(self.code)
        super().save(*args, **kwargs)


class AttributeTag(Validity):
    """A project attribute tag (專案屬性標籤) with its definitions over time."""

    code = models.SlugField(_("標籤代碼"), max_length=40, unique=True)
    name = models.CharField(_("標籤名稱"), max_length=30)
    sort_key = models.PositiveSmallIntegerField(_("排序"), default=0)
    history = models.TextField(_("沿革"), blank=True)

    class Meta:
        verbose_name = _("屬性標籤")
        verbose_name_plural = _("屬性標籤")
        ordering = ["sort_key", "code"]

    def __str__(self):
        return self.name


class TagDefinition(models.Model):
    """The wording of a tag's definition from `valid_from` until the next definition."""

    tag = models.ForeignKey(
        AttributeTag,
        verbose_name=_("屬性標籤"),
        on_delete=models.CASCADE,
        related_name="definitions",
    )
    valid_from = models.DateField(
        _("定義生效日期"), null=True, blank=True, help_text=_("空白表示生效日期未記錄。")
    )
    text = models.TextField(_("定義"))

    class Meta:
        verbose_name = _("屬性標籤定義")
        verbose_name_plural = _("屬性標籤定義")
        ordering = ["tag", models.F("valid_from").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(fields=["tag", "valid_from"], name="catalog_tagdef_unique"),
        ]

    def __str__(self):
        return f"{self.tag} ({self.valid_from or '—'})"


class CurriculumStage(Validity):
    """Education stage of 課程性質 (field 4), e.g. 國民中學."""

    code = models.CharField(_("代碼"), max_length=10, unique=True)
    name = models.CharField(_("名稱"), max_length=50)
    taxonomy_stage = models.CharField(
        _("對應之課程細項表"),
        max_length=20,
        choices=TeacherStage.choices,
        blank=True,
        help_text=_("附件五中適用的教師類別；空白表示不對應單一表。"),
    )
    source = models.CharField(_("依據"), max_length=200, blank=True)
    sort_key = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("課程性質教育階段")
        verbose_name_plural = _("課程性質教育階段")
        ordering = ["sort_key", "code"]

    def __str__(self):
        return self.name


class LearningDomain(Validity):
    """Learning domain (領域) or group (群) within one education stage."""

    stage = models.ForeignKey(
        CurriculumStage,
        verbose_name=_("教育階段"),
        on_delete=models.PROTECT,
        related_name="domains",
    )
    code = models.CharField(_("代碼"), max_length=20, unique=True)
    name = models.CharField(_("名稱"), max_length=50)
    source = models.CharField(_("依據"), max_length=200, blank=True)
    sort_key = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("學習領域")
        verbose_name_plural = _("學習領域")
        ordering = ["stage__sort_key", "sort_key", "code"]

    def __str__(self):
        return f"{self.stage.name} {self.name}"


class Subject(Validity):
    """Subject (科目) within one learning domain; the leaf chosen on the course form."""

    domain = models.ForeignKey(
        LearningDomain,
        verbose_name=_("學習領域"),
        on_delete=models.PROTECT,
        related_name="subjects",
    )
    code = models.CharField(_("代碼"), max_length=30, unique=True)
    name = models.CharField(_("名稱"), max_length=50)
    sort_key = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("科目")
        verbose_name_plural = _("科目")
        ordering = ["domain__stage__sort_key", "domain__sort_key", "sort_key", "code"]

    def __str__(self):
        return f"{self.domain} {self.name}"
