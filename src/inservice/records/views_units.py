"""Other people's records: a school's current teachers (/manage/records/) and a regional
center's jurisdiction (/review/records/), with drill-down to one teacher and xlsx exports.

Who may look:
- schools: `Function.OWN_TEACHER_ACCOUNTS` (本單位教師帳號管理) — the chief and the contact of
  a school or experimental-education unit, the same people who already see and manage the
  unit's teachers; operators (作業人員) handle courses only and are refused;
- centers: `Function.COURSE_REVIEW` holders; the center is the staff member's unit and its
  jurisdiction is every unit it reviews (`routing.units_reviewed_by`).
Every page view and export is written to the audit trail (who, which unit or teacher, the
filters). Names and personal identifiers are shown; ID numbers never.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from inservice.accounts.permissions import Function
from inservice.accounts.services.teachers import title_name
from inservice.core.access import staff_function
from inservice.core.audit import log_event

from .exports_pages import population_records_book, records_book, teachers_book
from .forms_pages import CenterPopulationForm, PopulationForm, RecordFilterForm
from .services.queries import (
    INSPECTION_TITLES,
    jurisdiction_teachers,
    name_search,
    population_page_rows,
    population_records,
    population_totals,
    school_teachers,
    teacher_records,
    unit_in_jurisdiction,
    unit_label,
)
from .views_mine import describe_filters, record_list_context

PAGE_SIZE = 50
SCHOOL, CENTER = "school", "center"


def _staff_unit(request):
    return request.user.staff.unit


def _inspection_titles() -> list[str]:
    return [f"{code} {title_name(code)}" for code in INSPECTION_TITLES]


# --- population (school or center) -----------------------------------------------------------


class _Scope:
    """What one request may see: the population, its description, the audit labels."""

    def __init__(self, request, kind):
        self.kind = kind
        self.unit = _staff_unit(request)
        form_class = CenterPopulationForm if kind == CENTER else PopulationForm
        self.form = form_class(request.GET)
        self.form.is_valid()
        self.notices = []
        self.period = self.form.chosen_period()
        self.inspection = self.form.chosen_inspection()
        self.search = self.form.chosen_search()
        self.filter_unit = None
        self.county = ""
        if kind == SCHOOL:
            teachers = school_teachers(self.unit, inspection=self.inspection)
        else:
            code = (self.form.value("unit", "") or "").strip()
            if code:
                self.filter_unit = unit_in_jurisdiction(self.unit, code)
                if self.filter_unit is None:
                    self.notices.append(
                        _("服務單位代碼「%(code)s」不在本中心轄區內或不存在，已略過。")
                        % {"code": code}
                    )
            self.county = self.form.value("county", "")
            teachers = jurisdiction_teachers(
                self.unit,
                unit=self.filter_unit,
                county_code=self.county,
                inspection=self.inspection,
            )
        self.teachers = name_search(teachers, self.search)
        self.notices = self.form.notices() + self.notices

    def audit_data(self, **extra) -> dict:
        data = {
            "scope": self.kind,
            "unit": self.unit.code,
            **self.period.as_audit(),
            "inspection": self.inspection,
        }
        if self.search:
            data["q"] = self.search
        if self.filter_unit is not None:
            data["filter_unit"] = self.filter_unit.code
        if self.county:
            data["county"] = self.county
        data.update(extra)
        return data

    def info(self) -> list[tuple[str, str]]:
        rows = [
            (_("單位"), unit_label(self.unit)),
            (_("統計期間"), self.period.label),
            (
                _("對象"),
                _("統合視導採計教師（%(titles)s）") % {"titles": "、".join(_inspection_titles())}
                if self.inspection
                else _("目前在職教師（不含已轉出者）"),
            ),
        ]
        if self.filter_unit is not None:
            rows.append((_("服務單位"), unit_label(self.filter_unit)))
        if self.county:
            rows.append((_("縣市"), self.county))
        if self.search:
            rows.append((_("姓名或識別號碼"), self.search))
        return rows

    def filename(self, what: str) -> str:
        stamp = timezone.localtime().strftime("%Y%m%d")
        return f"{self.kind}-{self.unit.code}-{what}-{stamp}.xlsx"


def _population_page(request, kind, template, drill_url_name, export_url_name):
    scope = _Scope(request, kind)
    rows = population_page_rows(scope.teachers, scope.period, scope.form.chosen_sort())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = population_totals(scope.teachers, scope.period, page.paginator.count)
    drill_query = "?" + urlencode(scope.period.as_params())
    titles = {t.title for t in page.object_list}
    title_names = {code: title_name(code) for code in titles}
    entries = [
        {
            "teacher": t,
            "title": title_names.get(t.title, ""),
            "url": reverse(drill_url_name, args=[t.pk]) + drill_query,
        }
        for t in page.object_list
    ]
    log_event(
        f"records.{kind}_list_viewed",
        actor=request.user,
        obj=scope.unit,
        data=scope.audit_data(page=page.number, teachers_shown=len(entries)),
    )
    return render(
        request,
        template,
        {
            "scope": scope,
            "form": scope.form,
            "notices": scope.notices,
            "period": scope.period,
            "page": page,
            "entries": entries,
            "totals": totals,
            "inspection_titles": _inspection_titles(),
            "export_url": reverse(export_url_name),
            "unit": scope.unit,
        },
    )


def _population_export(request, kind):
    scope = _Scope(request, kind)
    what = "records" if request.GET.get("kind") == "records" else "teachers"
    log_event(
        f"records.{kind}_exported",
        actor=request.user,
        obj=scope.unit,
        data=scope.audit_data(export=what),
    )
    with_unit = kind == CENTER
    if what == "records":
        return population_records_book(
            population_records(scope.teachers, scope.period),
            with_unit=with_unit,
            info=scope.info(),
            filename=scope.filename("records"),
        )
    rows = population_page_rows(scope.teachers, scope.period, scope.form.chosen_sort())
    return teachers_book(
        rows, with_unit=with_unit, info=scope.info(), filename=scope.filename("teachers")
    )


# --- one teacher (drill-down) ----------------------------------------------------------------


def _teacher_in(teachers, pk):
    return get_object_or_404(
        teachers.select_related("serving_unit").only(
            "pk",
            "name",
            "personal_identifier",
            "title",
            "serving_unit__code",
            "serving_unit__name",
        ),
        pk=pk,
    )


def _drill_down(request, kind, person, back_url, export_url_name):
    unit = _staff_unit(request)
    context = record_list_context(request, person)
    log_event(
        f"records.{kind}_teacher_viewed",
        actor=request.user,
        obj=person,
        data={
            "scope": kind,
            "unit": unit.code,
            "teacher_unit": person.serving_unit.code if person.serving_unit_id else None,
            **context["filters"].as_audit(),
        },
    )
    context.update(
        {
            "person": person,
            "title_name": title_name(person.title),
            "back_url": back_url,
            "export_url": reverse(export_url_name, args=[person.pk]),
            "kind": kind,
            "unit": unit,
        }
    )
    return render(request, "records/staff_teacher_records.html", context)


def _drill_export(request, kind, person):
    unit = _staff_unit(request)
    form = RecordFilterForm(request.GET)
    form.is_valid()
    filters = form.filters()
    log_event(
        f"records.{kind}_teacher_exported",
        actor=request.user,
        obj=person,
        data={"scope": kind, "unit": unit.code, **filters.as_audit()},
    )
    info = [
        (_("教師"), f"{person.name}（{person.personal_identifier}）"),
        (_("服務單位"), unit_label(person.serving_unit) if person.serving_unit_id else ""),
        (_("篩選條件"), describe_filters(form)),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d")
    return records_book(
        teacher_records(person, filters),
        info=info,
        filename=f"records-{person.personal_identifier}-{stamp}.xlsx",
    )


# --- schools ---------------------------------------------------------------------------------


@staff_function(Function.OWN_TEACHER_ACCOUNTS)
@never_cache
@require_GET
def school_records(request):
    return _population_page(
        request,
        SCHOOL,
        "records/school_records.html",
        "records:school_teacher_records",
        "records:school_records_export",
    )


@staff_function(Function.OWN_TEACHER_ACCOUNTS)
@never_cache
@require_GET
def school_records_export(request):
    return _population_export(request, SCHOOL)


@staff_function(Function.OWN_TEACHER_ACCOUNTS)
@never_cache
@require_GET
def school_teacher_records(request, pk):
    person = _teacher_in(school_teachers(_staff_unit(request)), pk)
    return _drill_down(
        request,
        SCHOOL,
        person,
        reverse("records:school_records"),
        "records:school_teacher_export",
    )


@staff_function(Function.OWN_TEACHER_ACCOUNTS)
@never_cache
@require_GET
def school_teacher_export(request, pk):
    person = _teacher_in(school_teachers(_staff_unit(request)), pk)
    return _drill_export(request, SCHOOL, person)


# --- regional centers ------------------------------------------------------------------------


def _jurisdiction_teacher(request, pk):
    try:
        return _teacher_in(jurisdiction_teachers(_staff_unit(request)), pk)
    except Http404:
        raise Http404(_("找不到此教師，或此教師的服務單位不在本中心轄區內。")) from None


@staff_function(Function.COURSE_REVIEW)
@never_cache
@require_GET
def center_records(request):
    return _population_page(
        request,
        CENTER,
        "records/center_records.html",
        "records:center_teacher_records",
        "records:center_records_export",
    )


@staff_function(Function.COURSE_REVIEW)
@never_cache
@require_GET
def center_records_export(request):
    return _population_export(request, CENTER)


@staff_function(Function.COURSE_REVIEW)
@never_cache
@require_GET
def center_teacher_records(request, pk):
    person = _jurisdiction_teacher(request, pk)
    return _drill_down(
        request,
        CENTER,
        person,
        reverse("records:center_records"),
        "records:center_teacher_export",
    )


@staff_function(Function.COURSE_REVIEW)
@never_cache
@require_GET
def center_teacher_export(request, pk):
    person = _jurisdiction_teacher(request, pk)
    return _drill_export(request, CENTER, person)
