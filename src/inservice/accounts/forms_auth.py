"""Forms for signing in, passwords and the own profile. Rules live in services/auth.py."""

from __future__ import annotations

from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from inservice.accounts.models import User
from inservice.accounts.services import auth as auth_services


class CaptchaInput(CaptchaTextInput):
    """The captcha widget with a zh-Hant description of the image."""

    template_name = "accounts/auth/captcha_widget.html"


def captcha_field() -> CaptchaField:
    return CaptchaField(
        label=_("驗證碼"),
        help_text=_("請輸入圖片中的英文字母（不分大小寫）。"),
        widget=CaptchaInput(),
        error_messages={
            "required": _("請輸入圖片中的驗證碼。"),
            "incomplete": _("請輸入圖片中的驗證碼。"),
            "invalid": _("驗證碼不正確，請重新輸入新圖片中的文字。"),
        },
    )


def _password_input(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete})


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("帳號"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
        error_messages={"required": _("請輸入帳號。")},
    )
    password = forms.CharField(
        label=_("密碼"),
        strip=False,
        widget=_password_input("current-password"),
        error_messages={"required": _("請輸入密碼。")},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, captcha: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if captcha:
            self.require_captcha()

    def require_captcha(self) -> None:
        if "captcha" not in self.fields:
            self.fields["captcha"] = captcha_field()

    @property
    def has_captcha(self) -> bool:
        return "captcha" in self.fields


class NewPasswordMixin:
    """Two new-password fields checked against the validators in settings."""

    user: User | None = None

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second:
            if first != second:
                self.add_error("new_password2", _("兩次輸入的新密碼不一致。"))
            else:
                try:
                    auth_services.validate_new_password(first, self.user)
                except ValidationError as exc:
                    self.add_error("new_password1", exc)
        return cleaned


def _new_password_fields():
    return (
        forms.CharField(
            label=_("新密碼"),
            strip=False,
            widget=_password_input("new-password"),
            help_text=_(
                "至少 12 個字元，不可全為數字、不可是常見密碼，也不可與帳號或電子郵件太相近。"
            ),
            error_messages={"required": _("請輸入新密碼。")},
        ),
        forms.CharField(
            label=_("再輸入一次新密碼"),
            strip=False,
            widget=_password_input("new-password"),
            error_messages={"required": _("請再輸入一次新密碼。")},
        ),
    )


class PasswordChangeForm(NewPasswordMixin, forms.Form):
    old_password = forms.CharField(
        label=_("目前的密碼"),
        strip=False,
        widget=_password_input("current-password"),
        error_messages={"required": _("請輸入目前的密碼。")},
    )
    new_password1, new_password2 = _new_password_fields()

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class SetPasswordForm(NewPasswordMixin, forms.Form):
    new_password1, new_password2 = _new_password_fields()

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class PasswordResetRequestForm(forms.Form):
    username = forms.CharField(
        label=_("帳號"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        error_messages={"required": _("請輸入帳號。")},
    )
    email = forms.EmailField(
        label=_("註冊時登記的電子郵件"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("請輸入電子郵件。"),
            "invalid": _("請輸入有效的電子郵件地址。"),
        },
    )


phone_validator = RegexValidator(
    r"^\+?[0-9()\- ]{6,30}((#|分機|轉|ext\.?) ?[0-9]{1,6})?$",
    _("電話格式不正確，例如 02-2345-6789 或 02-2345-6789#123。"),
)


class ProfileForm(forms.Form):
    email = forms.EmailField(
        label=_("電子郵件"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("重設密碼的連結只會寄到這個信箱。變更後須重新驗證。"),
        error_messages={
            "required": _("請輸入電子郵件。"),
            "invalid": _("請輸入有效的電子郵件地址。"),
        },
    )
    phone = forms.CharField(
        label=_("電話"),
        max_length=40,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    language = forms.ChoiceField(
        label=_("介面語言"), choices=User._meta.get_field("language").choices
    )
    current_password = forms.CharField(
        label=_("目前的密碼"),
        required=False,
        strip=False,
        widget=_password_input("current-password"),
        help_text=_("只有變更電子郵件時需要輸入。"),
    )
