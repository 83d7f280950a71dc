"""Forms for teachers' sign-up and profile, and for schools' teacher data entry."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inservice.core import idnumbers
from inservice.organizations.models import Unit

from .models import Sex, User, username_validator


def title_choices():
    from inservice.catalog.codes import choices

    return [("", _("請選擇職稱"))] + [(code, name) for code, name in choices("target_title")]


class IdNumberField(forms.CharField):
    """An ID number checked by `idnumbers.classify`; the field error is its exact reason."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("label", _("身分證統一編號或居留證統一證號"))
        kwargs.setdefault(
            "help_text",
            _("國民身分證或外來人口統一證號（新式、舊式皆可），僅用於辨識身分，系統加密保存。"),
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
        return attrs

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        try:
            normalised, _kind = idnumbers.classify(value)
        except idnumbers.InvalidIdNumber as exc:
            raise ValidationError(exc.reason, code="invalid_id")
        return normalised


class TeacherSignUpForm(forms.Form):
    real_name = forms.CharField(
        label=_("真實姓名"),
        max_length=60,
        help_text=_("請填寫與身分證件相同的姓名。"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = IdNumberField()
    unit_code = forms.CharField(
        label=_("服務單位代碼"),
        max_length=200,
        required=False,
        help_text=_("輸入學校名稱或代碼搜尋後選擇；亦可於「單位查詢」查到學校代碼。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "unit-options"}),
    )
    no_serving_unit = forms.BooleanField(
        label=_("我目前無服務學校（「無服務學校」期間僅能查詢研習紀錄）"), required=False
    )
    title = forms.ChoiceField(label=_("職稱"), choices=title_choices)
    username = forms.CharField(
        label=_("帳號"),
        max_length=30,
        validators=[username_validator],
        help_text=_("以英文字母開頭，4 到 30 個英文字母、數字或 _ . -；申請後不能變更。"),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(
        label=_("電子郵件"),
        help_text=_("用於驗證與重設密碼，請填寫您常用的信箱。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("密碼"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 12 個字元，不能全是數字、不能是常見密碼，也不能與帳號或姓名太相似。"),
    )
    password2 = forms.CharField(
        label=_("再次輸入密碼"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    consent = forms.BooleanField(
        label=_("我已閱讀並同意上方的個人資料蒐集告知事項"),
        error_messages={"required": _("須同意個人資料蒐集告知事項才能申請帳號。")},
    )

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("此帳號已有人使用，請改用其他帳號。"), code="taken")
        return username

    def clean_unit_code(self):
        code = self.cleaned_data.get("unit_code", "").strip()
        if not code:
            return None
        # The picker fills "code name"; the code is the first word.
        code = code.split()[0]
        unit = Unit.objects.filter(code__iexact=code).first()
        if unit is None:
            raise ValidationError(
                _("查無單位代碼「%(code)s」，請由清單中選擇您的服務學校。"),
                code="unknown_unit",
                params={"code": code},
            )
        if not unit.is_active:
            raise ValidationError(
                _("「%(name)s」（%(code)s）已裁併或停辦，無法選為服務單位。"),
                code="inactive_unit",
                params={"name": unit.name, "code": unit.code},
            )
        return unit

    def clean(self):
        data = super().clean()
        unit = data.get("unit_code")
        no_unit = data.get("no_serving_unit")
        if "unit_code" in data:
            if unit is None and not no_unit:
                self.add_error(
                    "unit_code", _("請選擇服務單位；若目前沒有服務學校，請勾選「無服務學校」。")
                )
            elif unit is not None and no_unit:
                self.add_error("no_serving_unit", _("已選擇服務單位時，請勿勾選「無服務學校」。"))
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("兩次輸入的密碼不一致。"))
        elif p1:
            probe = User(
                username=data.get("username", ""),
                email=data.get("email", ""),
                real_name=data.get("real_name", ""),
            )
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class TeacherProfileForm(forms.Form):
    title = forms.ChoiceField(label=_("職稱"), choices=title_choices)
    subjects = forms.CharField(
        label=_("任教科目"),
        max_length=200,
        required=False,
        help_text=_("多個科目以頓號或逗號分隔，例如：國語、數學。"),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _check_birth_date(value):
    if value is None:
        return value
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("出生日期不能晚於今天。"), code="future")
    if value.year < today.year - 100:
        raise ValidationError(_("出生日期早於 100 年前，請確認是否輸入正確。"), code="too_old")
    return value


class UnitTeacherForm(forms.Form):
    """School-side fields of a teacher (without the ID number: used for editing)."""

    name = forms.CharField(label=_("姓名"), max_length=60)
    sex = forms.ChoiceField(
        label=_("性別"), choices=[("", _("未填"))] + list(Sex.choices), required=False
    )
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=DateInput())
    title = forms.ChoiceField(label=_("職稱"), choices=title_choices)
    subjects = forms.CharField(
        label=_("任教科目"),
        max_length=200,
        required=False,
        help_text=_("多個科目以頓號或逗號分隔，例如：國語、數學。"),
    )

    def clean_birth_date(self):
        return _check_birth_date(self.cleaned_data.get("birth_date"))


class TeacherEntryForm(UnitTeacherForm):
    """教師資料登錄: the same fields plus the ID number that identifies the person."""

    id_number = IdNumberField(
        help_text=_(
            "同一證號只會對應一位教師：若已是本校教師將更新資料；若已轉出或無服務學校將轉入本校。"
        )
    )

    field_order = ["name", "id_number", "sex", "birth_date", "title", "subjects"]


class TeacherSearchForm(forms.Form):
    q = forms.CharField(label=_("姓名"), max_length=60, required=False)
