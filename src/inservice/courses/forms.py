"""The course form (研習課程登錄, 附件四): all 26 fields with their codes, in the form's three
sections, plus optional dated sessions. Attachments (field 10) have their own page.

The form checks syntax only (dates are dates, numbers are numbers). Which codes exist and
what a complete course needs is `validation.py`'s business: the form runs
`validation.draft_problems` on clean, and shows `CourseIncomplete.problems` with `add_problems`.

Dependent choices are computed here from the form's current values, so the same form
serves the page (without JavaScript: the "更新選項" button re-renders it) and the htmx
endpoints that narrow the options as the organizer changes a stage or a date:
stage → learning domain → subject; taxonomy stage + PD category → topic items;
course dates → attribute tags.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_FLOOR, Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models as db_models
from django.forms.utils import ErrorDict
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inservice.catalog import codes, selectors
from inservice.catalog.models import TeacherStage
from inservice.organizations.models import UnitKind

from . import validation
from .models import CourseVersion
from .services.lifecycle import FORM_FIELDS

# The number each input carries on the paper form (附件四).
FIELD_NUMBERS = {
    "class_type": "1",
    "credits": "1",
    "basis": "2",
    "basis_doc_number": "2",
    "name": "3-1",
    "tags": "3-2",
    "subject_stage": "4",
    "subject_domain": "4",
    "subject": "4",
    "category": "5",
    "taxonomy_stage": "6",
    "topic_item": "6",
    "level": "7",
    "instructor_name": "8",
    "instructor_type": "8",
    "outline": "9",
    "delivery": "11",
    "delivery_other": "11",
    "time_slots": "12",
    "hours": "13",
    "target_stages": "14",
    "target_titles": "15",
    "target_title_other": "15",
    "registration_start": "16",
    "registration_opens_at": "16",
    "registration_end": "17",
    "start_date": "18",
    "end_date": "19",
    "time_and_place": "20",
    "funding": "21",
    "fee": "22",
    "classes": "23",
    "seats_per_class": "24",
    "contact1_name": "25-1",
    "contact1_phone": "25-1",
    "contact1_email": "25-1",
    "contact2_name": "25-2",
    "contact2_phone": "25-2",
    "contact2_email": "25-2",
    "feedback": "26",
}

# Which 附件五 table a unit's courses most likely use (a default the organizer can change).
TAXONOMY_STAGE_FOR_UNIT = {
    UnitKind.KINDERGARTEN: TeacherStage.KINDERGARTEN,
    UnitKind.ELEMENTARY: TeacherStage.ELEMENTARY,
    UnitKind.JUNIOR_HIGH: TeacherStage.JUNIOR_HIGH,
    UnitKind.SENIOR_HIGH: TeacherStage.SENIOR_HIGH,
    UnitKind.VOCATIONAL_HIGH: TeacherStage.SENIOR_HIGH,
}

OPTIONS_SUBJECTS = reverse_lazy("courses:options_subjects")
OPTIONS_TOPICS = reverse_lazy("courses:options_topics")
OPTIONS_TAGS = reverse_lazy("courses:options_tags")


class CodeChoiceField(forms.ChoiceField):
    """A choice of codes; whether a code exists is decided by `validation.draft_problems`,
    which names the code and its table in the message."""

    def valid_value(self, value):
        return True


class CodeMultipleChoiceField(forms.MultipleChoiceField):
    def valid_value(self, value):
        return True


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _radio():
    return forms.RadioSelect


def _checkboxes():
    return forms.CheckboxSelectMultiple


def _code_label(code: str, name: str) -> str:
    return f"{code} {name}"


def _parse_date(value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return forms.DateField().to_python(value)
    except ValidationError:
        return None


class CourseForm(forms.Form):
    # --- 課程訊息 ---
    class_type = CodeChoiceField(label=gettext_lazy("班別類別"), required=False, widget=_radio())
    credits = forms.DecimalField(
        label=gettext_lazy("學分數"),
        required=False,
        min_value=0,
        max_digits=4,
        decimal_places=1,
        help_text=gettext_lazy("僅學分班及學位班（1-5 至 1-8）填寫；一學分採計 18 小時。"),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    basis = CodeChoiceField(label=gettext_lazy("辦理性質"), required=False, widget=_radio())
    basis_doc_number = forms.CharField(
        label=gettext_lazy("依據文號"),
        required=False,
        max_length=100,
        help_text=gettext_lazy(
            "教育部或教育行政主管機關核定研習時數之公文文號（附件九第8條），"
            "例如「北市教研字第1140001234號」。"
        ),
    )
    name = forms.CharField(
        label=gettext_lazy("研習名稱"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("請填完整名稱；系列課程請依場次區別，例如「……（第 2 場）」。"),
    )
    tags = CodeMultipleChoiceField(
        label=gettext_lazy("專案屬性標籤"),
        required=False,
        widget=_checkboxes(),
        help_text=gettext_lazy(
            "依定義勾選；只列出課程日期可用的標籤。課程日期改變時，可用的標籤也會跟著改變。"
        ),
    )
    subject_stage = CodeChoiceField(
        label=gettext_lazy("教育階段"),
        required=False,
        help_text=gettext_lazy("選擇教育階段與領域可縮小科目清單。"),
    )
    subject_domain = CodeChoiceField(label=gettext_lazy("學習領域"), required=False)
    subject = CodeChoiceField(label=gettext_lazy("科目（課程性質）"), required=False)
    category = CodeChoiceField(label=gettext_lazy("進修範疇"), required=False, widget=_radio())
    taxonomy_stage = CodeChoiceField(
        label=gettext_lazy("課程細項適用階段"),
        required=False,
        help_text=gettext_lazy("依研習對象選擇附件五的教師類別；課程細項代碼依類別而不同。"),
    )
    topic_item = CodeChoiceField(label=gettext_lazy("課程細項"), required=False)
    level = CodeChoiceField(label=gettext_lazy("進修階層（單選）"), required=False, widget=_radio())
    instructor_name = forms.CharField(
        label=gettext_lazy("師資姓名"), required=False, max_length=200
    )
    instructor_type = CodeChoiceField(
        label=gettext_lazy("師資類別（單選）"), required=False, widget=_radio()
    )
    outline = forms.CharField(
        label=gettext_lazy("課程大綱"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("簡述課程辦理目的與內容。"),
    )
    delivery = CodeMultipleChoiceField(
        label=gettext_lazy("實施方式（可複選）"), required=False, widget=_checkboxes()
    )
    delivery_other = forms.CharField(
        label=gettext_lazy("其他實施方式（選 11-99 時填寫）"), required=False, max_length=100
    )
    time_slots = CodeMultipleChoiceField(
        label=gettext_lazy("課程時段（可複選）"), required=False, widget=_checkboxes()
    )
    hours = forms.DecimalField(
        label=gettext_lazy("研習時數（小時）"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=1,
        help_text=gettext_lazy("最小單位為 0.5 小時。"),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    # --- 報名資訊 ---
    target_stages = CodeMultipleChoiceField(
        label=gettext_lazy("參加對象教育階段別（可複選）"), required=False, widget=_checkboxes()
    )
    target_titles = CodeMultipleChoiceField(
        label=gettext_lazy("參加對象職稱別（可複選）"), required=False, widget=_checkboxes()
    )
    target_title_other = forms.CharField(
        label=gettext_lazy("其他職稱（選 15-99 時填寫）"), required=False, max_length=100
    )
    registration_start = forms.DateField(
        label=gettext_lazy("報名開始日期"), required=False, widget=_date_input()
    )
    registration_opens_at = forms.TimeField(
        label=gettext_lazy("報名開放時間"),
        required=False,
        initial=datetime.time(0, 0),
        widget=_time_input(),
        help_text=gettext_lazy("報名開始日當天開放報名的時間；未填為 00:00。"),
    )
    registration_end = forms.DateField(
        label=gettext_lazy("報名截止日期"), required=False, widget=_date_input()
    )
    start_date = forms.DateField(
        label=gettext_lazy("課程開始日期"), required=False, widget=_date_input()
    )
    end_date = forms.DateField(
        label=gettext_lazy("課程結束日期"), required=False, widget=_date_input()
    )
    time_and_place = forms.CharField(
        label=gettext_lazy("上課時間及地點"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("請註明研習活動起迄時間及辦理地點（附件九第8條）。"),
    )
    # --- 其他 ---
    funding = CodeMultipleChoiceField(
        label=gettext_lazy("經費來源（可複選）"), required=False, widget=_checkboxes()
    )
    fee = CodeChoiceField(label=gettext_lazy("學員繳費情形"), required=False, widget=_radio())
    classes = forms.IntegerField(label=gettext_lazy("辦理班數"), required=False, min_value=0)
    seats_per_class = forms.IntegerField(
        label=gettext_lazy("每班人數"), required=False, min_value=0
    )
    contact1_name = forms.CharField(label=gettext_lazy("姓名"), required=False, max_length=60)
    contact1_phone = forms.CharField(
        label=gettext_lazy("電話"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel"}),
        help_text=gettext_lazy("例如 02-2345-6789#123 或 0912-345-678。"),
    )
    contact1_email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    contact2_name = forms.CharField(label=gettext_lazy("姓名"), required=False, max_length=60)
    contact2_phone = forms.CharField(
        label=gettext_lazy("電話"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    contact2_email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    feedback = CodeChoiceField(
        label=gettext_lazy("課程意見回饋問卷"), required=False, widget=_radio()
    )
    # --- not on the paper form ---
    change_reason = forms.CharField(
        label=gettext_lazy("修改說明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("已公告課程的修改需重新審核；請說明修改了什麼、為什麼。"),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, required=True)

    def __init__(self, data=None, *, unit, course=None, version=None, initial=None, **kwargs):
        self.unit = unit
        self.course = course
        self.version = version
        base = initial_from_version(version) if version is not None else {}
        if version is None:
            stage = TAXONOMY_STAGE_FOR_UNIT.get(unit.kind)
            if stage:
                base["taxonomy_stage"] = str(stage)
        if course is not None:
            base["revision"] = course.revision
        base.update(initial or {})
        super().__init__(data, initial=base, **kwargs)
        self.session_problems: list[str] = []
        self.stale = False  # set by the view when a newer revision was saved meanwhile
        if course is None:
            del self.fields["revision"]
        if course is None or course.published_id is None:
            del self.fields["change_reason"]
        self._set_code_choices()
        self._set_tag_choices()
        self._set_subject_choices()
        self._set_topic_choices()
        self._set_htmx()

    # -- current values (bound data, else initial) -------------------------------------

    def current(self, name):
        field = self.fields[name]
        if self.is_bound:
            return field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        return self.initial.get(name, field.initial)

    def _current_list(self, name) -> list[str]:
        value = self.current(name)
        if value in (None, ""):
            return []
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]

    def _current_str(self, name) -> str:
        value = self.current(name)
        return "" if value is None else str(value)

    def course_dates(self) -> tuple[datetime.date, datetime.date]:
        start = _parse_date(self.current("start_date")) or timezone.localdate()
        end = _parse_date(self.current("end_date"))
        return start, (end if end and end >= start else start)

    # -- choices ------------------------------------------------------------------------

    def _set_code_choices(self):
        tables = {**validation.SINGLE_CODE_FIELDS, **validation.MULTI_CODE_FIELDS}
        for name, table in tables.items():
            offered = [(code, _code_label(code, n)) for code, n in codes.choices(table)]
            known = codes.names(table)
            have = {code for code, _label in offered}
            for value in self._current_list(name):
                if value not in have and value in known:
                    offered.append(
                        (
                            value,
                            _("%(label)s（已停用）") % {"label": _code_label(value, known[value])},
                        )
                    )
                    have.add(value)
            self.fields[name].choices = offered
        self.fields["taxonomy_stage"].choices = [("", _("（請選擇）")), *TeacherStage.choices]

    def _set_tag_choices(self):
        start, end = self.course_dates()
        offered = [t for t in selectors.active_tags(on=start) if t.is_valid_on(end)]
        choices = [(t.code, t.name) for t in offered]
        have = {t.code for t in offered}
        for value in self._current_list("tags"):
            if value in have:
                continue
            try:
                tag = selectors.get_tag(value)
            except LookupError:
                continue
            choices.append((tag.code, _("%(name)s（課程日期不可用）") % {"name": tag.name}))
            have.add(tag.code)
        self.fields["tags"].choices = choices
        self.tag_definitions = [(t.name, t.definition_on(start)) for t in offered]

    def _set_subject_choices(self):
        stages = selectors.curriculum_stages()
        stage_codes = {s.code for s in stages}
        selected = self._current_str("subject")
        chosen = None
        if selected:
            try:
                chosen = selectors.get_subject(selected)
            except LookupError:
                chosen = None
        if not self.is_bound and "subject_stage" not in self.initial and chosen:
            stage, domain = chosen.stage_code, chosen.domain_code
        else:
            stage = self._current_str("subject_stage")
            domain = self._current_str("subject_domain")
        if stage not in stage_codes:
            stage = ""
        domains = selectors.domains(stage) if stage else []
        if domain not in {d.code for d in domains}:
            domain = ""
        if not self.is_bound:
            self.initial["subject_stage"], self.initial["subject_domain"] = stage, domain
        self.fields["subject_stage"].choices = [("", _("（全部教育階段）"))] + [
            (s.code, s.name) for s in stages
        ]
        self.fields["subject_domain"].choices = [
            ("", _("（全部領域）") if stage else _("（請先選擇教育階段）"))
        ] + [(d.code, d.name) for d in domains]
        groups: dict[str, list[tuple[str, str]]] = {}
        for s in stages:
            if stage and s.code != stage:
                continue
            for subject in selectors.subjects(s.code, domain or None):
                label = subject.domain_name if stage else f"{s.name}－{subject.domain_name}"
                groups.setdefault(label, []).append((subject.code, subject.name))
        offered = {code for items in groups.values() for code, _n in items}
        fits = chosen is not None and (
            (not stage or chosen.stage_code == stage)
            and (not domain or chosen.domain_code == domain)
        )
        if chosen is not None and chosen.code not in offered and fits:
            groups.setdefault(_("目前選擇"), []).append(
                (chosen.code, _("%(path)s（已停用）") % {"path": chosen.path})
            )
        self.fields["subject"].choices = [("", _("（未指定）")), *groups.items()]

    def _set_topic_choices(self):
        stage = self._current_str("taxonomy_stage")
        category = self._current_str("category")
        start, _end = self.course_dates()
        field = self.fields["topic_item"]
        if stage not in TeacherStage.values:
            field.choices = [("", _("（請先選擇課程細項適用階段）"))]
            return
        if category == validation.CATEGORY_WITHOUT_ITEMS:
            field.choices = [("", _("（此範疇沒有課程細項）"))]
            return
        try:
            numbers = [selectors.normalize_category(category)] if category else [1, 2, 3, 4, 5]
        except LookupError:
            numbers = [1, 2, 3, 4, 5]
        groups = []
        for number in numbers:
            groups.extend(selectors.topic_item_choices(stage, number, on=start))
        offered = {code for _label, items in groups for code, _l in items}
        selected = self._current_str("topic_item")
        if selected and selected not in offered:
            try:
                topic = selectors.get_topic(stage, selected)
            except LookupError:
                topic = None
            if topic is not None and topic.category in numbers:
                groups.append(
                    (
                        _("目前選擇"),
                        [(topic.code, _("%(label)s（不可選用）") % {"label": topic.label})],
                    )
                )
        field.choices = [("", _("（請選擇）")), *groups]

    def _set_htmx(self):
        def hx(names, url, target, include):
            for name in names:
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": str(url),
                        "hx-trigger": "change",
                        "hx-target": target,
                        "hx-swap": "outerHTML",
                        "hx-include": include,
                        # A newer change aborts the request still in flight, so a slow answer
                        # for an earlier choice never overwrites the options of the latest one.
                        "hx-sync": f"{target}:replace",
                    }
                )

        hx(
            ["subject_stage", "subject_domain"],
            OPTIONS_SUBJECTS,
            "#subject-pickers",
            "[name=subject_stage],[name=subject_domain],[name=subject]",
        )
        hx(
            ["taxonomy_stage", "category"],
            OPTIONS_TOPICS,
            "#field-topic_item",
            "[name=taxonomy_stage],[name=category],[name=topic_item],[name=start_date]",
        )
        hx(
            ["start_date", "end_date"],
            OPTIONS_TAGS,
            "#field-tags",
            "[name=start_date],[name=end_date],[name=tags]",
        )

    # -- validation and output ------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        probe = CourseVersion(**self.course_data())
        for field, messages in validation.draft_problems(probe).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return cleaned

    def course_data(self) -> dict:
        """The form's values as `lifecycle` takes them (every field of 附件四)."""
        cleaned = getattr(self, "cleaned_data", {})
        data = {}
        for name in FORM_FIELDS:
            value = cleaned.get(name)
            model_field = CourseVersion._meta.get_field(name)
            if isinstance(model_field, db_models.JSONField):
                value = list(dict.fromkeys(value or []))
            elif isinstance(model_field, db_models.CharField | db_models.TextField):
                value = (value or "").strip()
            elif name == "registration_opens_at" and value is None:
                value = datetime.time(0, 0)
            data[name] = value
        return data

    def add_problems(self, problems: dict[str, list[str]]):
        """Show `CourseIncomplete.problems` (or draft problems) on their fields."""
        if not self.is_bound:  # a stored version shown with its problems
            self._errors = ErrorDict()
            self.cleaned_data = {}
        for field, messages in problems.items():
            if field == "sessions":
                self.session_problems.extend(messages)
            else:
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)

    def problem_summary(self) -> list[tuple[str, str, str]]:
        """(anchor, field label, message) for the error summary above the form."""
        rows = []
        for message in self.non_field_errors():
            rows.append(("", "", message))
        for name, field in self.fields.items():
            for message in self[name].errors:
                number = FIELD_NUMBERS.get(name, "")
                label = f"{number} {field.label}" if number else str(field.label)
                rows.append((f"field-{name}", label, message))
        for message in self.session_problems:
            rows.append(("sessions", _("場次"), message))
        return rows


def initial_from_version(version: CourseVersion) -> dict:
    return {name: getattr(version, name) for name in FORM_FIELDS}


# --- sessions ----------------------------------------------------------------------------


def hours_between(start: datetime.time, end: datetime.time) -> Decimal:
    """Clock hours from start to end, rounded down to 0.5 (a suggestion; breaks don't count,
    附件九 第10條, so the organizer may enter fewer)."""
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return (Decimal(minutes) / 30).to_integral_value(rounding=ROUND_FLOOR) / 2


class SessionForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("日期"), required=False, widget=_date_input())
    start_time = forms.TimeField(
        label=gettext_lazy("開始時間"), required=False, widget=_time_input()
    )
    end_time = forms.TimeField(label=gettext_lazy("結束時間"), required=False, widget=_time_input())
    hours = forms.DecimalField(
        label=gettext_lazy("時數"),
        required=False,
        min_value=0,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )

    def clean(self):
        cleaned = super().clean()
        parts = [cleaned.get(f) for f in ("date", "start_time", "end_time")]
        if all(p is None for p in parts) and cleaned.get("hours") is None:
            return cleaned
        if any(p is None for p in parts):
            if not self.errors:
                raise ValidationError(_("每一場次請填寫日期、開始時間與結束時間。"))
            return cleaned
        if cleaned["end_time"] <= cleaned["start_time"]:
            self.add_error("end_time", _("結束時間須晚於開始時間。"))
        elif cleaned.get("hours") is None:
            cleaned["hours"] = hours_between(cleaned["start_time"], cleaned["end_time"])
        return cleaned


SessionFormSet = forms.formset_factory(
    SessionForm, extra=3, can_delete=True, max_num=60, validate_max=True
)


def session_formset(data=None, *, version=None) -> forms.BaseFormSet:
    initial = None
    if version is not None and version.pk:
        initial = [
            {"date": s.date, "start_time": s.start_time, "end_time": s.end_time, "hours": s.hours}
            for s in version.sessions.all()
        ]
    return SessionFormSet(data, prefix="sessions", initial=initial)


def sessions_data(formset) -> list[dict]:
    rows = []
    for form in formset.forms:
        cleaned = getattr(form, "cleaned_data", None) or {}
        if cleaned.get("DELETE") or cleaned.get("date") is None:
            continue
        rows.append({k: cleaned[k] for k in ("date", "start_time", "end_time", "hours")})
    return sorted(rows, key=lambda r: (r["date"], r["start_time"]))


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("檔案"),
        allow_empty_file=True,  # the service says why an empty file is refused
        help_text=gettext_lazy(
            "可上傳 PDF、Word、Excel、PowerPoint、OpenDocument 文件及 JPG、PNG 圖片。"
        ),
    )
    is_public = forms.BooleanField(
        label=gettext_lazy("公開於課程頁面"),
        required=False,
        initial=True,
        help_text=gettext_lazy("講義、議程等可公開；公文等內部文件請取消勾選。"),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("取消原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("系統會將取消原因通知承辦人及所有已報名的教師。"),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)
