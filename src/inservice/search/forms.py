"""The search form: GET parameters in, `SearchParams` out. A malformed parameter drops only
its own condition (reported as a notice); the rest of the search still runs."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from inservice.catalog import codes, selectors
from inservice.organizations.models import County, Unit

from .query import SearchParams

ITEM_PATTERN = re.compile(r"^\d{1,2}-\d{1,2}-\d{1,2}$")
SORT_CHOICES = [
    ("start", _("課程日期（近期在前）")),
    ("deadline", _("報名截止日（即將截止在前）")),
    ("newest", _("最新公告")),
]


def _code_choices(table: str, blank=None) -> list[tuple[str, str]]:
    # Every known code, retired ones included: old courses still carry them.
    choices = [(code, f"{code} {name}") for code, name in codes.names(table).items()]
    return ([("", blank)] if blank is not None else []) + choices


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("關鍵字（課程名稱、大綱或開課單位）"), max_length=100, required=False
    )
    county = forms.ChoiceField(label=_("縣市"), required=False)
    unit = forms.CharField(label=_("開課單位代碼"), max_length=20, required=False)
    open = forms.BooleanField(label=_("只顯示目前可報名的課程"), required=False)
    stage = forms.MultipleChoiceField(
        label=_("參加對象教育階段別"), required=False, widget=forms.CheckboxSelectMultiple
    )
    category = forms.ChoiceField(label=_("進修範疇"), required=False)
    item = forms.CharField(
        label=_("課程細項代碼"), max_length=12, required=False, help_text=_("例如 1-3-6")
    )
    level = forms.ChoiceField(label=_("進修階層"), required=False)
    tag = forms.ChoiceField(label=_("專案屬性標籤"), required=False)
    class_type = forms.ChoiceField(label=_("班別類別"), required=False)
    delivery = forms.MultipleChoiceField(
        label=_("實施方式"), required=False, widget=forms.CheckboxSelectMultiple
    )
    slot = forms.MultipleChoiceField(
        label=_("課程時段"), required=False, widget=forms.CheckboxSelectMultiple
    )
    sort = forms.ChoiceField(label=_("排序"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `from` and `to` are Python keywords: declared here.
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(
            label=_("課程日期起"), required=False, widget=date_input
        )
        self.fields["to"] = forms.DateField(
            label=_("課程日期迄"), required=False, widget=date_input
        )
        everything = _("（不限）")
        self.fields["county"].choices = [("", everything)] + [
            (c.code, c.name) for c in County.objects.only("code", "name")
        ]
        self.fields["stage"].choices = _code_choices("target_stage")
        self.fields["category"].choices = _code_choices("category", everything)
        self.fields["level"].choices = _code_choices("level", everything)
        self.fields["class_type"].choices = _code_choices("class_type", everything)
        self.fields["delivery"].choices = _code_choices("delivery")
        self.fields["slot"].choices = _code_choices("time_slot")
        self.fields["tag"].choices = [("", everything)] + [
            (t.code, t.name) for t in selectors.all_tags()
        ]

    def clean_item(self):
        item = self.cleaned_data["item"].strip()
        if item and not ITEM_PATTERN.match(item):
            raise forms.ValidationError(_("課程細項代碼的格式應為「範疇-項目-細項」，例如 1-3-6。"))
        return item

    def clean_unit(self):
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = Unit.objects.filter(code=code).only("pk", "code", "name").first()
        if unit is None:
            raise forms.ValidationError(_("找不到這個開課單位代碼。"))
        return unit

    def notices(self) -> list[str]:
        """One sentence per ignored condition."""
        out = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else name
            out.append(
                _("「%(label)s」的條件無法辨識，已略過（%(reason)s）")
                % {"label": label, "reason": " ".join(errors)}
            )
        return out

    def params(self) -> SearchParams:
        data = self.cleaned_data if self.is_bound else {}
        unit = data.get("unit")
        return SearchParams(
            q=data.get("q") or "",
            county=data.get("county") or "",
            unit_id=unit.pk if unit else None,
            date_from=data.get("from"),
            date_to=data.get("to"),
            open_now=bool(data.get("open")),
            stages=list(data.get("stage") or []),
            category=data.get("category") or "",
            item=data.get("item") or "",
            level=data.get("level") or "",
            tag=data.get("tag") or "",
            class_type=data.get("class_type") or "",
            delivery=list(data.get("delivery") or []),
            slots=list(data.get("slot") or []),
            sort=data.get("sort") or "start",
        )
