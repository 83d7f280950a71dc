"""Forms of the staff-account pages. Business rules live in services/staff.py."""

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from .models import StaffRole, username_validator


class StaffApplicationForm(forms.Form):
    unit_code = forms.CharField(
        label=_("單位代碼"),
        max_length=20,
        help_text=_("請輸入服務單位的單位代碼（例如學校代碼），可至「單位查詢」查詢。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("申請帳號類別"),
        choices=StaffRole.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "總負責人由所屬區管中心審核；連絡人與作業人員由本單位總負責人審核"
            "（單位尚無總負責人時由區管中心審核）。"
        ),
    )
    real_name = forms.CharField(label=_("真實姓名"), max_length=60)
    job_title = forms.CharField(label=_("職稱"), max_length=60, required=False)
    email = forms.EmailField(label=_("電子郵件"), help_text=_("審核結果與帳號通知會寄到這個信箱。"))
    phone = forms.CharField(label=_("公務電話"), max_length=40)
    username = forms.CharField(
        label=_("帳號"),
        max_length=30,
        validators=[username_validator],
        help_text=_("帳號申請後即不可變更。"),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密碼"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password_confirm = forms.CharField(
        label=_("再次輸入密碼"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    consent = forms.BooleanField(
        label=_(
            "我已閱讀並同意「全國教師在職進修資訊網帳號使用同意書」、"
            "「全國教師在職進修資訊網使用管理要點」及「個人資料提供同意書」。"
        ),
        error_messages={"required": _("請勾選同意使用管理要點與個人資料提供同意書後再送出。")},
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("password")
            and data.get("password_confirm")
            and data["password"] != data["password_confirm"]
        ):
            self.add_error("password_confirm", _("兩次輸入的密碼不一致。"))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("核准")), ("reject", _("退回"))])
    reason = forms.CharField(
        label=_("退回原因"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("帳號類別"),
        choices=[
            (StaffRole.CONTACT, StaffRole.CONTACT.label),
            (StaffRole.OPERATOR, StaffRole.OPERATOR.label),
        ],
    )


class StatusForm(forms.Form):
    action = forms.ChoiceField(choices=[("deactivate", _("停用")), ("reactivate", _("重新啟用"))])
    reason = forms.CharField(label=_("停用原因"), required=False, max_length=1000)


class UnitSearchForm(forms.Form):
    q = forms.CharField(label=_("單位代碼或名稱"), max_length=60, required=False)
