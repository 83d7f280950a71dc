"""Organizer pages for attendance entry: the grid, walk-ins, the xlsx upload and its report.

Thin views over `services/entry.py`. Staff with COURSE_MANAGE of the course's own unit only;
other units' courses answer 404 so their existence is not revealed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from inservice.accounts.permissions import Function
from inservice.core.access import staff_function
from inservice.core.errors import DomainError, add_to_form
from inservice.courses import permissions
from inservice.courses.models import Course

from .models import AttendanceStatus, AttendanceUpload
from .services import entry as services

COURSE_MANAGE = staff_function(Function.COURSE_MANAGE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_PAGE_SIZE = 200


class WalkInForm(forms.Form):
    id_or_identifier = forms.CharField(
        label=gettext_lazy("身分證號、居留證號或教師個人專用識別號碼"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=gettext_lazy("姓名（系統中沒有此教師時必填）"), max_length=60, required=False
    )
    status = forms.ChoiceField(
        label=gettext_lazy("出席情形"),
        choices=AttendanceStatus.choices,
        initial=AttendanceStatus.ATTENDED,
    )
    hours_attended = forms.CharField(
        label=gettext_lazy("實際參與時數（請假或遲到早退者填寫）"),
        max_length=8,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    note = forms.CharField(label=gettext_lazy("備註"), max_length=200, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("出席名單檔案（.xlsx）"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )


def _own_course(request, code) -> Course:
    course = get_object_or_404(Course.objects.select_related("unit", "published"), code=code)
    if not permissions.can_manage(request.user, course):
        raise Http404
    return course


def _refused_page(request, course, exc: DomainError, status=200):
    return render(
        request,
        "attendance/entry/refused.html",
        {"course": course, "message": exc.message, "code": exc.code},
        status=status,
    )


def _grid_context(course, attendance_list, *, posted=None, problems=None):
    entries = list(services.entries_for_grid(attendance_list))
    problems = problems or []
    by_entry = {p.key: p.reason for p in problems}
    rows = []
    for e in entries:
        values = (posted or {}).get(e.pk)
        rows.append(
            {
                "entry": e,
                "status": values["status"] if values else e.status,
                "hours_attended": values["hours_attended"]
                if values
                else ("" if e.hours_attended is None else e.hours_attended.normalize()),
                "note": values["note"] if values else e.note,
                "error": by_entry.get(e.pk, ""),
            }
        )
    locked = services.list_refusal(attendance_list)
    return {
        "course": course,
        "attendance_list": attendance_list,
        "rows": rows,
        "problems": problems,
        "course_hours": services.course_hours(course).normalize(),
        "statuses": AttendanceStatus.choices,
        "summary": services.summary(attendance_list),
        "locked": locked,
        "course_refusal": services.course_refusal(course),
        "walk_in_form": WalkInForm(),
    }


def _posted_rows(request) -> tuple[list[dict], dict]:
    rows, posted = [], {}
    for raw in request.POST.getlist("entry"):
        values = {
            "entry": raw,
            "status": request.POST.get(f"status-{raw}", ""),
            "hours_attended": request.POST.get(f"hours-{raw}", "").strip(),
            "note": request.POST.get(f"note-{raw}", ""),
        }
        rows.append(values)
        try:
            posted[int(raw)] = values
        except ValueError:
            pass
    return rows, posted


@COURSE_MANAGE
@never_cache
@require_http_methods(["GET", "POST"])
def grid(request, code):
    """The attendance grid: one row per teacher, saved all at once (works without JS)."""
    course = _own_course(request, code)
    try:
        attendance_list = services.attendance_list_for(course, actor=request.user)
    except DomainError as exc:
        return _refused_page(request, course, exc)
    if request.method == "POST":
        rows, posted = _posted_rows(request)
        try:
            revision = int(request.POST.get("revision", ""))
        except ValueError:
            revision = -1
        try:
            result = services.save_grid(
                actor=request.user, course=course, rows=rows, revision=revision
            )
        except services.GridInvalid as exc:
            messages.error(request, exc.message)
            context = _grid_context(course, attendance_list, posted=posted, problems=exc.problems)
            return render(request, "attendance/entry/grid.html", context, status=400)
        except DomainError as exc:
            messages.error(request, exc.message)
            attendance_list.refresh_from_db()
            context = _grid_context(course, attendance_list)
            return render(request, "attendance/entry/grid.html", context, status=409)
        if result.changed:
            messages.success(
                request, _("已儲存出席名單（%(n)d 筆有變更）。") % {"n": result.changed}
            )
        else:
            messages.info(request, _("名單沒有變更。"))
        return redirect("attendance:grid", course.code)
    return render(request, "attendance/entry/grid.html", _grid_context(course, attendance_list))


@COURSE_MANAGE
@never_cache
@require_http_methods(["GET", "POST"])
def walk_in(request, code):
    """Add a walk-in by ID number or personal identifier; unknown people need a name."""
    course = _own_course(request, code)
    refusal = services.course_refusal(course)
    if refusal is not None:
        return _refused_page(request, course, refusal)
    form = WalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.add_walk_in(
                actor=request.user,
                course=course,
                id_or_identifier=data["id_or_identifier"],
                name=data["name"],
                status=data["status"],
                hours_attended=data["hours_attended"],
                note=data["note"],
            )
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            teacher = result.teacher
            if result.created_teacher:
                text = _("已新增教師 %(name)s（證號 %(hint)s，尚無登入帳號）並加入出席名單。")
            else:
                text = _("已將 %(name)s（證號 %(hint)s）加入出席名單。")
            messages.success(request, text % {"name": teacher.name, "hint": teacher.id_number_hint})
            return redirect("attendance:grid", course.code)
    return render(
        request,
        "attendance/entry/walk_in.html",
        {"course": course, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@COURSE_MANAGE
@never_cache
@require_http_methods(["GET", "POST"])
def upload(request, code):
    """Upload an xlsx made from the template; good rows are kept, bad rows reported."""
    course = _own_course(request, code)
    refusal = services.course_refusal(course)
    if refusal is not None:
        return _refused_page(request, course, refusal)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.import_attendance_xlsx(
                actor=request.user, course=course, file=form.cleaned_data["file"]
            )
        except DomainError as exc:
            form.add_error("file", str(exc.message))
        else:
            up = outcome.upload
            messages.success(
                request,
                _("上傳完成：新增 %(added)d 筆、更新 %(updated)d 筆、未匯入 %(rejected)d 列。")
                % {"added": up.added, "updated": up.updated, "rejected": up.rejected},
            )
            return redirect("attendance:upload_report", course.code, up.pk)
    uploads = AttendanceUpload.objects.filter(attendance_list__course=course).defer(
        "accepted_rows", "rejected_rows"
    )[:10]
    return render(
        request,
        "attendance/entry/upload.html",
        {
            "course": course,
            "form": form,
            "uploads": uploads,
            "headers": services.HEADERS,
            "course_hours": services.course_hours(course).normalize(),
        },
        status=400 if request.method == "POST" else 200,
    )


@COURSE_MANAGE
@never_cache
def upload_template(request, code):
    course = _own_course(request, code)
    response = HttpResponse(services.template_xlsx(course), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="attendance-{course.code}.xlsx"'
    return response


def _own_upload(request, code, pk) -> tuple[Course, AttendanceUpload]:
    course = _own_course(request, code)
    upload = get_object_or_404(AttendanceUpload, pk=pk, attendance_list__course=course)
    return course, upload


@COURSE_MANAGE
@never_cache
def upload_report(request, code, pk):
    """Row by row: rejected rows with reasons first, then the rows imported."""
    course, up = _own_upload(request, code, pk)
    show = request.GET.get("show", "rejected" if up.rejected else "accepted")
    if show not in ("rejected", "accepted"):
        show = "rejected"
    rows = up.rejected_rows if show == "rejected" else up.accepted_rows
    page = Paginator(rows, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    outcomes = {"added": _("新增"), "updated": _("更新")}
    return render(
        request,
        "attendance/entry/report.html",
        {
            "course": course,
            "upload": up,
            "show": show,
            "page": page,
            "outcomes": outcomes,
        },
    )


@COURSE_MANAGE
@never_cache
def upload_rejected(request, code, pk):
    course, up = _own_upload(request, code, pk)
    response = HttpResponse(services.rejected_rows_xlsx(up), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="attendance-{course.code}-rejected-{up.pk}.xlsx"'
    )
    return response
