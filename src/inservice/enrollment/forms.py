"""Forms of the registration area: the organizer's options and a removal reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AdmissionMode, Restriction
from .services.registration import PRIORITY_GROUP_CHOICES


class OptionsForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("錄取方式"), choices=AdmissionMode.choices, widget=forms.RadioSelect
    )
    allow_waitlist = forms.BooleanField(label=_("額滿後開放候補"), required=False)
    restriction = forms.ChoiceField(
        label=_("報名限制"), choices=Restriction.choices, widget=forms.RadioSelect
    )
    priority_groups = forms.MultipleChoiceField(
        label=_("抽籤優先順序（依勾選順序：本單位、本縣市、職稱、教育階段）"),
        choices=PRIORITY_GROUP_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("移除原因（會通知該教師）"), max_length=200)
