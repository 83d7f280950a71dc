import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inservice.organizations.models import Unit

username_validator = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9_.-]{3,29}$",
    _("帳號須以英文字母開頭，由 4 到 30 個英文字母、數字或 _ . - 組成。"),
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username, email, password=None, **extra):
        user = self.model(username=username, email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, kind=User.Kind.ADMIN)
        return self.create_user(username, email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. Teachers (people) and staff roles hang off it; the username never changes."""

    class Kind(models.TextChoices):
        TEACHER = "teacher", _("教師個人帳號")
        STAFF = "staff", _("業務帳號")
        ADMIN = "admin", _("系統管理者")

    username = models.CharField(
        _("帳號"), max_length=30, unique=True, validators=[username_validator]
    )
    kind = models.CharField(_("帳號類別"), max_length=10, choices=Kind.choices)
    real_name = models.CharField(_("真實姓名"), max_length=60)
    email = models.EmailField(_("電子郵件"), db_index=True)
    email_verified_at = models.DateTimeField(_("信箱驗證時間"), null=True, blank=True)
    phone = models.CharField(_("電話"), max_length=40, blank=True)
    language = models.CharField(
        _("介面語言"),
        max_length=10,
        default="zh-hant",
        choices=[("zh-hant", "繁體中文"), ("en", "English")],
    )
    is_active = models.BooleanField(_("啟用"), default=True)
    is_staff = models.BooleanField(_("可進入管理後台"), default=False)
    date_joined = models.DateTimeField(_("建立時間"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("帳號")
        verbose_name_plural = _("帳號")

    def __str__(self):
        return f"{self.real_name} ({self.username})" if self.real_name else self.username

    @property
    def is_teacher(self):
        return self.kind == self.Kind.TEACHER

    @property
    def is_staff_account(self):
        return self.kind == self.Kind.STAFF


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


# The second character of a personal identifier: never 1, 2, 8 or 9 (nor A–D), the second
# characters of national ID and resident numbers, so an identifier can never also be someone's
# ID number (an upload row naming such a value would be ambiguous and refused).
PERSONAL_IDENTIFIER_SECOND = "034567"


def new_personal_identifier():
    """A random `T` + 9 digits (the first of them from PERSONAL_IDENTIFIER_SECOND) not yet
    taken. With 220,000 teachers one draw in ~2,700 collides, so a taken draw is drawn again
    instead of failing the insert (a race between two identical draws remains possible, and
    the unique constraint refuses it)."""
    while True:
        candidate = (
            "T"
            + secrets.choice(PERSONAL_IDENTIFIER_SECOND)
            + "".join(secrets.choice("0123456789") for _ in range(8))
        )
        if not Teacher.objects.filter(personal_identifier=candidate).exists():
            return candidate


class Teacher(models.Model):
    """A teacher as a person, with or without a login.

    Schools may enter a teacher before the teacher signs up; sign-up with the same ID
    number attaches the login to this row and to everything recorded for it.
    """

    user = models.OneToOneField(
        User,
        verbose_name=_("登入帳號"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teacher",
    )
    name = models.CharField(_("姓名"), max_length=60)
    # ID number: AES-GCM ciphertext (with key id) and an HMAC-SHA256 digest for lookups.
    id_number_encrypted = models.BinaryField(_("身分證號(加密)"), editable=False)
    id_number_digest = models.CharField(max_length=64, unique=True, editable=False)
    id_number_kind = models.CharField(_("證號類別"), max_length=20, editable=False)
    id_number_hint = models.CharField(_("證號遮罩"), max_length=12, editable=False)
    personal_identifier = models.CharField(
        _("教師個人專用識別號碼"), max_length=12, unique=True, default=new_personal_identifier
    )
    sex = models.CharField(_("性別"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    title = models.CharField(
        _("職稱"), max_length=6, blank=True, help_text=_("參加對象職稱別代碼 15-x")
    )
    subjects = models.CharField(_("任教科目"), max_length=200, blank=True)
    serving_unit = models.ForeignKey(
        Unit,
        verbose_name=_("服務單位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="teachers",
    )
    left_unit = models.ForeignKey(
        Unit,
        verbose_name=_("原服務單位(已轉出)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="former_teachers",
    )
    left_at = models.DateTimeField(_("轉出時間"), null=True, blank=True)
    # Consent to the personal-data notice (附件十), given by the teacher at sign-up.
    privacy_consent_at = models.DateTimeField(_("個資同意時間"), null=True, blank=True)
    privacy_consent_version = models.CharField(_("個資同意書版本"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("教師")
        verbose_name_plural = _("教師")
        indexes = [models.Index(fields=["serving_unit", "name"])]

    def __str__(self):
        return f"{self.name} ({self.personal_identifier})"

    @property
    def has_serving_unit(self):
        return self.serving_unit_id is not None


class StaffRole(models.TextChoices):
    CHIEF = "chief", _("總負責人")
    CONTACT = "contact", _("連絡人")
    OPERATOR = "operator", _("作業人員")


class StaffStatus(models.TextChoices):
    PENDING = "pending", _("待審核")
    ACTIVE = "active", _("已啟用")
    REJECTED = "rejected", _("未通過")
    DEACTIVATED = "deactivated", _("已停用")


class StaffProfile(models.Model):
    """A staff account's place: one unit, one role, usable only once approved."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff")
    unit = models.ForeignKey(
        Unit, verbose_name=_("所屬單位"), on_delete=models.PROTECT, related_name="staff_accounts"
    )
    role = models.CharField(_("帳號類別"), max_length=10, choices=StaffRole.choices)
    status = models.CharField(
        _("狀態"), max_length=12, choices=StaffStatus.choices, default=StaffStatus.PENDING
    )
    job_title = models.CharField(_("職稱"), max_length=60, blank=True)
    applied_at = models.DateTimeField(_("申請時間"), default=timezone.now)
    decided_at = models.DateTimeField(_("審核時間"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("審核者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_reason = models.TextField(_("審核說明"), blank=True)
    idle_warned_at = models.DateTimeField(_("閒置通知時間"), null=True, blank=True)

    class Meta:
        verbose_name = _("業務帳號")
        verbose_name_plural = _("業務帳號")
        indexes = [models.Index(fields=["unit", "status", "role"])]
        constraints = [
            # The services lock the unit row; this is the database's guarantee as well.
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(role="chief", status="active"),
                name="one_active_chief_per_unit",
            )
        ]

    def __str__(self):
        return f"{self.user} @ {self.unit} ({self.get_role_display()})"

    @property
    def is_usable(self):
        return self.status == StaffStatus.ACTIVE and self.user.is_active
