from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from .models import County, UnitKind


class DirectoryFilterForm(forms.Form):
    """The directory's GET filters; works without JavaScript."""

    county = forms.ModelChoiceField(
        label=_("縣市"),
        queryset=County.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("全部縣市"),
        error_messages={"invalid_choice": _("找不到這個縣市代碼，請從清單選擇縣市。")},
    )
    kind = forms.ChoiceField(
        label=_("單位類型"),
        choices=[("", _("全部類型")), *UnitKind.choices],
        required=False,
        error_messages={"invalid_choice": _("找不到這個單位類型，請從清單選擇。")},
    )
    q = forms.CharField(
        label=_("單位名稱或代碼"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        error_messages={"max_length": _("關鍵字最多 50 個字。")},
    )


WEBSITE_MESSAGE = _("網站須為 http:// 或 https:// 開頭的完整網址。")


class WebsiteField(forms.URLField):
    """A web address: http or https only (no ftp, no javascript:)."""

    default_validators = [URLValidator(schemes=["http", "https"])]


class UnitContactForm(forms.Form):
    """Contact data of the staff member's own unit; the service validates again."""

    phone = forms.CharField(
        label=_("電話"),
        required=False,
        max_length=40,
        help_text=_("含區碼，例如 07-7172930#1234。"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("電子郵件"),
        required=False,
        error_messages={"invalid": _("電子郵件格式不正確，例如 service@school.edu.tw。")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address = forms.CharField(
        label=_("地址"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address", "size": 60}),
    )
    website = WebsiteField(
        label=_("網站"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("完整網址，例如 https://www.example.edu.tw/。"),
        error_messages={"invalid": WEBSITE_MESSAGE},
        widget=forms.URLInput(attrs={"size": 60}),
    )
