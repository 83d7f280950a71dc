"""The search form: GET parameters in, `SearchParams` out. A malformed parameter drops only
its own condition (reported as a notice); the rest of the search still runs."""

from __future__ import annotations

import re
import time
import uuid

from django import forms
from django.core.cache import cache
from django.forms.boundfield import BoundField
from django.utils.choices import normalize_choices
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from inservice.catalog import codes, selectors
from inservice.core import widgets
from inservice.organizations.models import County, Unit

from .query import SearchParams

ITEM_PATTERN = re.compile(r"^\d{1,2}-\d{1,2}-\d{1,2}$")
SORT_CHOICES = [
    ("start", _("課程日期（近期在前）")),
    ("deadline", _("報名截止日（即將截止在前）")),
    ("newest", _("最新公告")),
]


CHOICES_KEY = "search:choices:v1"
CHOICES_TIMEOUT = 10 * 60


def _code_choices(table: str) -> list[tuple[str, str]]:
    # Every known code, retired ones included: old courses still carry them.
    return [(code, f"{code} {name}") for code, name in codes.names(table).items()]


# The lists as this process last read them, and until when (monotonic seconds): reading
# and unpickling them from Redis on every search page was a round trip of a kept page's two.
_LOCAL: list = [0.0, None]
_LOCAL_SECONDS = 10.0


def choice_lists() -> dict:
    """The form's option lists (counties, code tables, tags), built once and kept in the
    cache; `clear_choices` drops them when a county or a catalog row changes (receivers.py),
    and the timeout bounds staleness where a per-process cache cannot be told. Each process
    also keeps them for `_LOCAL_SECONDS`: another process sees a change that much later."""
    if _LOCAL[1] is not None and time.monotonic() < _LOCAL[0]:
        return _LOCAL[1]
    value = cache.get(CHOICES_KEY)
    if value is None:
        value = {
            # A new version whenever the lists are rebuilt: rendered widgets are keyed on it.
            "version": uuid.uuid4().hex,
            "county": [(c.code, c.name) for c in County.objects.only("code", "name")],
            "county_ids": dict(County.objects.values_list("code", "pk")),
            "stage": _code_choices("target_stage"),
            "category": _code_choices("category"),
            "level": _code_choices("level"),
            "class_type": _code_choices("class_type"),
            "delivery": _code_choices("delivery"),
            "slot": _code_choices("time_slot"),
            "tag": [(t.code, t.name) for t in selectors.all_tags()],
        }
        cache.set(CHOICES_KEY, value, CHOICES_TIMEOUT)
    _LOCAL[:] = [time.monotonic() + _LOCAL_SECONDS, value]
    return value


def _normalized_choices(lists: dict) -> dict[str, list]:
    """The fields' choices for a version of the lists, normalized once per process."""
    cached = _NORMALIZED.get(lists["version"])
    if cached is None:
        everything = _("（不限）")  # lazy: each page's language
        with_all = ("county", "category", "level", "class_type", "tag")
        cached = {
            name: normalize_choices(
                [("", everything), *lists[name]] if name in with_all else lists[name]
            )
            for name in (*with_all, "stage", "delivery", "slot")
        }
        _NORMALIZED.clear()
        _NORMALIZED[lists["version"]] = cached
    return cached


_NORMALIZED: dict[str, dict[str, list]] = {}


def _set_choices(field: forms.ChoiceField, choices: list) -> None:
    """`field.choices = choices` for choices already normalized: the public setter
    normalizes them again, on the field and on its widget (~80 options, a tenth of a kept
    search page's Python). Shared between requests: neither the field nor the widget
    changes them."""
    field._choices = choices
    field.widget._choices = choices


def clear_choices() -> None:
    cache.delete(CHOICES_KEY)
    _LOCAL[:] = [0.0, None]
    _NORMALIZED.clear()
    _WIDGETS.clear()


# Rendered option widgets, per process: (lists version, language, field, value, invalid) →
# HTML. Rendering ~80 options through the widget templates cost ~15 ms a page; most pages
# show the same few states of each list.
_WIDGETS: dict[tuple, str] = {}
_WIDGETS_MAX = 1000


class _CachedBoundField(BoundField):
    def as_widget(self, widget=None, attrs=None, only_initial=False):
        if widget is not None or attrs or only_initial:
            return super().as_widget(widget, attrs, only_initial)
        key = (
            self.form.choices_version,
            get_language(),
            self.html_name,
            self.auto_id,
            repr(self.value()),
            bool(self.errors),
        )
        html = _WIDGETS.get(key)
        if html is None:
            html = super().as_widget()
            if len(_WIDGETS) >= _WIDGETS_MAX:
                _WIDGETS.clear()
            _WIDGETS[key] = html
        return html


class _CachedSelect(forms.ChoiceField):
    bound_field_class = _CachedBoundField


class _CachedMultiple(forms.MultipleChoiceField):
    bound_field_class = _CachedBoundField


class _CachedBoolean(forms.BooleanField):
    bound_field_class = _CachedBoundField


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("關鍵字（課程名稱、大綱或開課單位）"), max_length=100, required=False
    )
    county = _CachedSelect(label=_("縣市"), required=False)
    unit = forms.CharField(
        label=_("開課單位代碼"), max_length=20, required=False, widget=widgets.TextInput
    )
    open = _CachedBoolean(label=_("只顯示目前可報名的課程"), required=False)
    stage = _CachedMultiple(
        label=_("參加對象教育階段別"), required=False, widget=forms.CheckboxSelectMultiple
    )
    category = _CachedSelect(label=_("進修範疇"), required=False)
    item = forms.CharField(
        label=_("課程細項代碼"),
        max_length=12,
        required=False,
        help_text=_("例如 1-3-6"),
        widget=widgets.TextInput,
    )
    level = _CachedSelect(label=_("進修階層"), required=False)
    tag = _CachedSelect(label=_("專案屬性標籤"), required=False)
    class_type = _CachedSelect(label=_("班別類別"), required=False)
    delivery = _CachedMultiple(
        label=_("實施方式"), required=False, widget=forms.CheckboxSelectMultiple
    )
    slot = _CachedMultiple(label=_("課程時段"), required=False, widget=forms.CheckboxSelectMultiple)
    sort = _CachedSelect(label=_("排序"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        lists = choice_lists()
        self.choices_version = lists["version"]
        self.county_ids = lists["county_ids"]
        for name, choices in _normalized_choices(lists).items():
            _set_choices(self.fields[name], choices)

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
            county_id=self.county_ids.get(data.get("county") or ""),
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


# `from` and `to` are Python keywords: declared here, once (after `sort`, as before).
_DATE_INPUT = widgets.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SearchForm.base_fields["from"] = forms.DateField(
    label=_("課程日期起"), required=False, widget=_DATE_INPUT
)
SearchForm.base_fields["to"] = forms.DateField(
    label=_("課程日期迄"), required=False, widget=_DATE_INPUT
)
