"""GET forms of the record pages. A malformed parameter drops only its own condition and is
reported as a notice; the page still answers (never a server error)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inservice.catalog import codes, selectors
from inservice.core import widgets
from inservice.courses.models import Source
from inservice.organizations.models import County

from .services.queries import (
    DEFAULT_SORT,
    Period,
    RecordFilters,
    school_year_label,
    school_year_of,
)

RECORD_SORTS = [
    ("-date", _("研習日期（新到舊）")),
    ("date", _("研習日期（舊到新）")),
    ("-hours", _("時數（多到少）")),
    ("hours", _("時數（少到多）")),
    ("name", _("研習名稱")),
    ("-name", _("研習名稱（反序）")),
]
BY_CHOICES = [
    (Period.SCHOOL_YEAR, _("學年度（8月1日至翌年7月31日）")),
    (Period.YEAR, _("年度（1月1日至12月31日）")),
]
EVERYTHING = _("（不限）")
DATE_INPUT = widgets.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MIN_YEAR, MAX_YEAR = 1950, 2200


class NoticesMixin:
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

    def value(self, name, default=None):
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        value = data.get(name)
        return default if value in (None, "") else value


def _year_field():
    return forms.IntegerField(
        label=_("年度（西元）"),
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        required=False,
        widget=widgets.NumberInput,
    )


def _school_year_field():
    return forms.IntegerField(
        label=_("學年度（民國）"),
        min_value=MIN_YEAR - 1911,
        max_value=MAX_YEAR - 1911,
        required=False,
        widget=widgets.NumberInput,
    )


class RecordFilterForm(NoticesMixin, forms.Form):
    """Filters of a record list: the teacher's own page and a staff drill-down. The widgets
    write their HTML in Python (core.widgets): the template engine took longer over these
    45 options than the page's queries."""

    q = forms.CharField(
        label=_("研習名稱關鍵字"), max_length=100, required=False, widget=widgets.TextInput
    )
    year = _year_field()
    sy = _school_year_field()
    category = forms.ChoiceField(label=_("進修範疇"), required=False, widget=widgets.Select)
    tag = forms.ChoiceField(label=_("專案屬性標籤"), required=False, widget=widgets.Select)
    source = forms.ChoiceField(label=_("資料來源"), required=False, widget=widgets.Select)
    sort = forms.ChoiceField(
        label=_("排序"), choices=RECORD_SORTS, required=False, widget=widgets.Select
    )
    by = forms.ChoiceField(
        label=_("年度統計方式"), choices=BY_CHOICES, required=False, widget=widgets.Select
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label=_("研習日期起"), required=False, widget=DATE_INPUT
        )
        self.fields["to"] = forms.DateField(
            label=_("研習日期迄"), required=False, widget=DATE_INPUT
        )
        self.fields["category"].choices = [("", EVERYTHING)] + [
            (code, f"{code} {name}") for code, name in codes.names("category").items()
        ]
        self.fields["tag"].choices = [("", EVERYTHING)] + [
            (t.code, t.name) for t in selectors.all_tags()
        ]
        self.fields["source"].choices = [("", EVERYTHING)] + list(Source.choices)

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("迄日早於起日。"))
        return data

    def filters(self) -> RecordFilters:
        return RecordFilters(
            year=self.value("year"),
            school_year=self.value("sy"),
            date_from=self.value("from"),
            date_to=self.value("to"),
            category=self.value("category", ""),
            tag=self.value("tag", ""),
            source=self.value("source", ""),
            q=(self.value("q", "") or "").strip(),
            sort=self.value("sort", DEFAULT_SORT),
        )

    def chosen_by(self) -> str:
        return self.value("by", Period.SCHOOL_YEAR)


PERIOD_CHOICES = [
    (Period.SCHOOL_YEAR, _("學年度")),
    (Period.YEAR, _("年度（西元）")),
    (Period.RANGE, _("自訂期間")),
]
TEACHER_SORTS = [
    ("name", _("姓名")),
    ("hours", _("期間時數（少到多）")),
    ("-hours", _("期間時數（多到少）")),
]


class PopulationForm(NoticesMixin, forms.Form):
    """The school's and the center's list of teachers: period, population, search, sort."""

    period = forms.ChoiceField(label=_("統計期間"), choices=PERIOD_CHOICES, required=False)
    sy = forms.TypedChoiceField(label=_("學年度"), coerce=int, required=False, empty_value=None)
    year = _year_field()
    inspection = forms.BooleanField(label=_("只列統合視導採計教師"), required=False)
    q = forms.CharField(label=_("教師姓名或教師個人專用識別號碼"), max_length=60, required=False)
    sort = forms.ChoiceField(label=_("排序"), choices=TEACHER_SORTS, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label=_("期間起日"), required=False, widget=DATE_INPUT
        )
        self.fields["to"] = forms.DateField(label=_("期間迄日"), required=False, widget=DATE_INPUT)
        current = school_year_of(timezone.localdate())
        # The current school year first: a browser shows the first option when none is chosen.
        self.fields["sy"].choices = [
            (y, school_year_label(y)) for y in range(current, current - 40, -1)
        ]

    def clean(self):
        data = super().clean()
        if data.get("period") == Period.RANGE:
            start, end = data.get("from"), data.get("to")
            if not start and not end and "from" not in self.errors and "to" not in self.errors:
                self.add_error("from", _("自訂期間請填寫起日或迄日。"))
            if start and end and start > end:
                self.add_error("to", _("迄日早於起日。"))
        return data

    def chosen_period(self) -> Period:
        """The chosen period; anything missing or malformed falls back to this school year."""
        kind = self.value("period", Period.SCHOOL_YEAR)
        if kind == Period.YEAR and self.value("year"):
            return Period.calendar_year(self.value("year"))
        if kind == Period.RANGE and "from" not in self.errors and "to" not in self.errors:
            if self.value("from") or self.value("to"):
                return Period.date_range(self.value("from"), self.value("to"))
        if kind == Period.SCHOOL_YEAR and self.value("sy"):
            return Period.school_year(self.value("sy"))
        return Period.current_school_year()

    def chosen_inspection(self) -> bool:
        return bool(self.value("inspection", False))

    def chosen_sort(self) -> str:
        return self.value("sort", "name")

    def chosen_search(self) -> str:
        return (self.value("q", "") or "").strip()


class CenterPopulationForm(PopulationForm):
    unit = forms.CharField(label=_("服務單位代碼"), max_length=20, required=False)
    county = forms.ChoiceField(label=_("縣市"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [("", EVERYTHING)] + [
            (c.code, c.name) for c in County.objects.only("code", "name")
        ]
        self.fields["sort"].choices = TEACHER_SORTS + [("unit", _("服務單位代碼"))]
