from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class County(models.Model):
    """One of the 22 municipalities and counties (code: the MOI administrative code)."""

    code = models.CharField(_("縣市代碼"), max_length=5, unique=True)
    name = models.CharField(_("縣市名稱"), max_length=10, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    # Counties that run their own system and transmit records (第11條 六).
    transmits_own_data = models.BooleanField(_("自行傳報研習資料"), default=False)

    class Meta:
        verbose_name = _("縣市")
        verbose_name_plural = _("縣市")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class UnitKind(models.TextChoices):
    """Detailed kinds; routing (第11條) and the permission matrix column both derive from it."""

    MOE = "moe", _("教育部")
    NATIONAL_CENTER = "national_center", _("全國推廣中心")
    K12_ADMIN_GROUP = "k12_admin_group", _("教育部國民及學前教育署")
    COUNTY_BUREAU = "county_bureau", _("縣市政府教育局(處)")
    REVIEW_PANEL = "review_panel", _("社教機構或法人辦理教師進修認可審查小組")
    WORKING_CIRCLE = "working_circle", _("普通型高級中等學校課程推動工作圈")
    TEACHER_UNIV = "teacher_univ", _("師資培育之大學")
    UNIVERSITY = "university", _("大學校院")
    SENIOR_HIGH = "senior_high", _("高級中等學校")
    VOCATIONAL_HIGH = "vocational_high", _("高級中等學校(職業類科)")
    JUNIOR_HIGH = "junior_high", _("國民中學")
    ELEMENTARY = "elementary", _("國民小學")
    KINDERGARTEN = "kindergarten", _("幼兒園")
    SPECIAL_ED_SCHOOL = "special_ed_school", _("特殊教育學校")
    TRAINING_CENTER = "training_center", _("教師研習中心")
    EXPERIMENTAL = "experimental", _("非學校型態實驗教育機構")
    SUBJECT_CENTER = "subject_center", _("高中課程學科中心")
    RECOGNISED_ORG = "recognised_org", _("當然認可之社教機構或法人")
    UNINCORPORATED_GROUP = "unincorporated_group", _("未成立法人之民間團體")
    LEGAL_PERSON = "legal_person", _("其他依法成立之法人")
    LOCAL_AGENCY = "local_agency", _("地方政府機關(衛生局、社會局等)")
    COMMUNITY_COLLEGE = "community_college", _("社區大學")
    CENTRAL_AGENCY = "central_agency", _("中央政府機關")
    TEACHER_UNION = "teacher_union", _("教師組織及教育相關工會")
    OVERSEAS_SCHOOL = "overseas_school", _("海外臺灣學校")


class Ownership(models.TextChoices):
    NATIONAL = "national", _("國立")
    MUNICIPAL = "municipal", _("直轄市或縣市立")
    PRIVATE = "private", _("私立")
    NONE = "none", _("不適用")


class Unit(models.Model):
    """An organisation: authority, regional center, school or other organizer unit."""

    code = models.CharField(_("單位代碼"), max_length=20, unique=True)
    name = models.CharField(_("單位名稱"), max_length=120, db_index=True)
    kind = models.CharField(_("單位類型"), max_length=30, choices=UnitKind.choices, db_index=True)
    ownership = models.CharField(
        _("設立別"), max_length=10, choices=Ownership.choices, default=Ownership.NONE
    )
    county = models.ForeignKey(
        County, verbose_name=_("縣市"), null=True, blank=True, on_delete=models.PROTECT
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上層單位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("例如國教署各組的上層為國教署、學科中心的上層為工作圈。"),
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("電話"), max_length=40, blank=True)
    email = models.EmailField(_("電子郵件"), blank=True)
    website = models.URLField(_("網站"), blank=True)
    is_active = models.BooleanField(_("使用中"), default=True)
    closed_on = models.DateField(_("裁併/停辦日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("單位")
        verbose_name_plural = _("單位")
        ordering = ["code"]
        indexes = [models.Index(fields=["county", "kind"])]
        constraints = [
            # 第11條 七: "the county's education bureau" must be one unit per county.
            models.UniqueConstraint(
                fields=["county"],
                condition=Q(kind="county_bureau"),
                name="one_education_bureau_per_county",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_regional_center(self):
        return self.kind in REGIONAL_CENTER_KINDS


REGIONAL_CENTER_KINDS = {
    UnitKind.MOE,
    UnitKind.NATIONAL_CENTER,
    UnitKind.K12_ADMIN_GROUP,
    UnitKind.COUNTY_BUREAU,
    UnitKind.REVIEW_PANEL,
    UnitKind.WORKING_CIRCLE,
}


class SupervisionQuerySet(models.QuerySet):
    def on(self, day):
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class Supervision(models.Model):
    """Dated link from a unit to its supervising education authority (所屬教育行政主管機關).

    Jurisdiction changes (Taichung 2017, Taoyuan 2018 took over national senior highs) are
    new rows, never edits, so old courses still route to who was in charge at the time.
    """

    unit = models.ForeignKey(
        Unit, verbose_name=_("單位"), on_delete=models.CASCADE, related_name="supervisions"
    )
    authority = models.ForeignKey(
        Unit, verbose_name=_("主管機關"), on_delete=models.PROTECT, related_name="supervised"
    )
    valid_from = models.DateField(_("生效日"), default=timezone.localdate)
    valid_to = models.DateField(_("終止日"), null=True, blank=True)
    note = models.CharField(_("說明"), max_length=200, blank=True)

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("主管機關歷程")
        verbose_name_plural = _("主管機關歷程")
        ordering = ["unit", "valid_from"]
        indexes = [models.Index(fields=["authority", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="supervision_dates_ordered",
            ),
            # At most one open-ended row per unit; overlaps are refused by the service.
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(valid_to__isnull=True),
                name="one_open_supervision_per_unit",
            ),
        ]

    def __str__(self):
        return f"{self.unit} → {self.authority} ({self.valid_from}–{self.valid_to or ''})"
