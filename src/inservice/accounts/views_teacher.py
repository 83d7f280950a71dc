"""Teacher pages (sign-up, home, profile, personal-data export) and the school's teacher pages
(教師資料登錄, 本單位教師帳號管理, 轉出). Views parse, call a service, render."""

from __future__ import annotations

import io
import json

from django.contrib import messages
from django.contrib.auth import login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from inservice.core.access import public, staff_function, teacher
from inservice.core.errors import DomainError, NotFoundError, add_to_form

from . import forms_teacher as forms
from .permissions import Function, can
from .services import teachers as services

RESEND_INTERVAL = 60  # seconds between two verification mails


# --- public: sign-up -----------------------------------------------------------------------


@public
def signup(request):
    """Choose the kind of account: a teacher's own, or a staff account for a unit."""
    return render(request, "accounts/teacher/signup_choice.html")


@public
def privacy_notice(request):
    return render(
        request,
        "accounts/teacher/privacy_notice.html",
        {"version": services.PRIVACY_NOTICE_VERSION},
    )


@public
@sensitive_post_parameters("id_number", "password1", "password2")
@require_http_methods(["GET", "POST"])
def signup_teacher(request):
    if request.user.is_authenticated:
        messages.info(request, _("您已登入，無須再次申請帳號。"))
        return redirect("accounts:home")
    form = forms.TeacherSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.sign_up_teacher(
                real_name=data["real_name"],
                id_number=data["id_number"],
                serving_unit=data["unit_code"],
                title=data["title"],
                username=data["username"],
                email=data["email"],
                password=data["password1"],
            )
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            login(request, result.user, backend="inservice.accounts.backends.AccountBackend")
            messages.success(
                request,
                _(
                    "教師個人帳號已建立並登入。驗證信已寄到 %(email)s，"
                    "請於 %(days)d 天內點選信中連結。"
                )
                % {"email": result.user.email, "days": services.verify_max_age() // 86400},
            )
            if result.attached:
                messages.info(
                    request,
                    _("已連結您的服務學校先前登錄的教師資料，過去的研習紀錄都會保留在您的帳號中。"),
                )
            if result.recorded_unit is not None:
                messages.warning(
                    request,
                    _(
                        "依學校登錄的資料，您的服務單位為「%(unit)s」。若您已轉換服務學校，"
                        "請原學校先辦理轉出，再由新學校以「教師資料登錄」將您登錄。"
                    )
                    % {"unit": result.recorded_unit.name},
                )
            return redirect("accounts:teacher_home")
    return render(
        request,
        "accounts/teacher/signup.html",
        {"form": form, "version": services.PRIVACY_NOTICE_VERSION},
    )


@public
@require_http_methods(["GET", "POST"])
def verify_email(request, token):
    """GET checks the link and asks for a click (mail scanners only GET); POST verifies."""
    error = None
    if request.method == "POST":
        try:
            user = services.verify_email(actor=request.user, token=token)
        except DomainError as exc:
            error = exc
        else:
            return render(
                request, "accounts/teacher/verify_email.html", {"verified": True, "account": user}
            )
    else:
        try:
            services.check_verification_token(token)
        except DomainError as exc:
            error = exc
    return render(
        request,
        "accounts/teacher/verify_email.html",
        {"error": error, "verified": False},
        status=400 if error else 200,
    )


# --- teacher pages -------------------------------------------------------------------------


@teacher
@never_cache
def teacher_home(request):
    person = request.user.teacher
    return render(
        request,
        "accounts/teacher/home.html",
        {
            "person": person,
            "title_name": services.title_name(person.title),
        },
    )


@teacher
@require_POST
def resend_verification(request):
    key = f"teacher-verify-resend:{request.user.pk}"
    if not cache.add(key, 1, RESEND_INTERVAL):
        messages.error(request, _("驗證信剛剛才寄出，請稍候一分鐘再試，並記得檢查垃圾郵件匣。"))
        return redirect("accounts:teacher_home")
    try:
        services.resend_verification(actor=request.user)
    except DomainError as exc:
        messages.info(request, str(exc.message))
    else:
        messages.success(request, _("驗證信已重新寄到 %(email)s。") % {"email": request.user.email})
    return redirect("accounts:teacher_home")


@teacher
def records(request):
    """The old address of 研習紀錄查詢; the records area serves it now (bookmarks keep working)."""
    return redirect("records:my_records", permanent=True)


@teacher(needs_unit=True)
@require_http_methods(["GET", "POST"])
def profile(request):
    """職稱與任教科目; suspended during 無服務學校 like every function but record lookup."""
    person = request.user.teacher
    initial = {"title": person.title, "subjects": person.subjects}
    form = forms.TeacherProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_own_profile(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("職稱與任教科目已更新。"))
            return redirect("accounts:teacher_home")
    return render(request, "accounts/teacher/profile.html", {"form": form, "person": person})


@teacher
@never_cache
@require_http_methods(["GET", "POST"])
def export(request):
    """Download everything held about me (JSON or xlsx). POST only, nothing personal in the URL."""
    if request.method == "GET":
        return render(request, "accounts/teacher/export.html", {"person": request.user.teacher})
    fmt = request.POST.get("format", "")
    try:
        data = services.export_personal_data(actor=request.user, fmt=fmt)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("accounts:teacher_export")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2).encode()
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(
            _export_xlsx(data),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="personal-data-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _export_xlsx(data: dict) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})

    def key_value_sheet(name, rows):
        sheet = book.add_worksheet(name)
        sheet.write_string(0, 0, _("欄位"), bold)
        sheet.write_string(0, 1, _("內容"), bold)
        for i, (key, value) in enumerate(rows, start=1):
            sheet.write_string(i, 0, _cell(key))
            sheet.write_string(i, 1, _cell(value))
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 1, 48)

    key_value_sheet(_("帳號"), data["account"].items())
    key_value_sheet(_("教師資料"), data["teacher"].items())
    key_value_sheet(
        _("學校可見資料"), [(row["label"], row["value"]) for row in data["staff_visible"]]
    )
    sheet = book.add_worksheet(_("稽核紀錄"))
    columns = ["time", "action", "by", "object", "before", "after", "data", "ip"]
    for c, name in enumerate(columns):
        sheet.write_string(0, c, name, bold)
    for r, event in enumerate(data["audit_events"], start=1):
        for c, name in enumerate(columns):
            sheet.write_string(r, c, _cell(event[name]))
    info = book.add_worksheet(_("說明"))
    info.write_string(0, 0, _("產生時間"), bold)
    info.write_string(0, 1, data["generated_at"])
    info.write_string(1, 0, _("蒐集目的"), bold)
    info.write_string(1, 1, data["purpose"])
    book.close()
    return buffer.getvalue()


# --- school pages: 教師資料登錄 and 本單位教師帳號管理 --------------------------------------


@staff_function(Function.OWN_TEACHER_ACCOUNTS)
def unit_teacher_list(request):
    form = forms.TeacherSearchForm(request.GET or None)
    qs = services.unit_teachers(request.user).select_related("user").order_by("name", "pk")
    if form.is_valid() and form.cleaned_data["q"]:
        qs = qs.filter(name__icontains=form.cleaned_data["q"].strip())
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    titles = {code: services.title_name(code) for code in {t.title for t in page}}
    for person in page:
        person.title_label = titles[person.title]
    return render(
        request,
        "accounts/teacher/unit_list.html",
        {
            "form": form,
            "page": page,
            "unit": request.user.staff.unit,
            "can_enter": can(request.user, Function.TEACHER_DATA_ENTRY),
        },
    )


@staff_function(Function.TEACHER_DATA_ENTRY)
@sensitive_post_parameters("id_number", "birth_date")
@require_http_methods(["GET", "POST"])
def unit_teacher_new(request):
    form = forms.TeacherEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.enter_teacher(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            text = {
                services.EntryOutcome.CREATED: _("已新增教師「%(name)s」。"),
                services.EntryOutcome.UPDATED: _(
                    "此證號已是本單位教師「%(name)s」，已更新其資料。"
                ),
                services.EntryOutcome.MOVED_IN: _("已將教師「%(name)s」轉入本單位。"),
            }[result.outcome]
            messages.success(request, text % {"name": result.teacher.name})
            if can(request.user, Function.OWN_TEACHER_ACCOUNTS):
                return redirect("accounts:unit_teacher_detail", pk=result.teacher.pk)
            return redirect("accounts:unit_teacher_new")
    return render(
        request,
        "accounts/teacher/unit_form.html",
        {"form": form, "unit": request.user.staff.unit, "editing": None},
    )


def _unit_teacher_or_404(request, pk, view=False):
    try:
        if view:
            return services.view_personal_data(actor=request.user, pk=pk)
        return services.get_unit_teacher(actor=request.user, pk=pk)
    except NotFoundError:
        raise Http404(_("找不到此教師，或此教師不在本單位服務。"))


@staff_function(Function.OWN_TEACHER_ACCOUNTS)
@never_cache
@require_http_methods(["GET"])
def unit_teacher_detail(request, pk):
    person = _unit_teacher_or_404(request, pk, view=True)
    return render(
        request,
        "accounts/teacher/unit_detail.html",
        {
            "person": person,
            "title_name": services.title_name(person.title),
            "can_edit": can(request.user, Function.TEACHER_DATA_ENTRY),
        },
    )


@staff_function(Function.TEACHER_DATA_ENTRY)
@never_cache
@sensitive_post_parameters("birth_date")
@require_http_methods(["GET", "POST"])
def unit_teacher_edit(request, pk):
    person = _unit_teacher_or_404(request, pk)
    initial = {
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "title": person.title,
        "subjects": person.subjects,
    }
    form = forms.UnitTeacherForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_unit_teacher(actor=request.user, pk=person.pk, **form.cleaned_data)
        except NotFoundError:
            raise Http404
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("教師資料已更新。"))
            return redirect("accounts:unit_teacher_detail", pk=person.pk)
    return render(
        request,
        "accounts/teacher/unit_form.html",
        {"form": form, "unit": request.user.staff.unit, "editing": person},
    )


@staff_function(Function.OWN_TEACHER_ACCOUNTS)
@require_POST
def unit_teacher_leave(request, pk):
    try:
        person = services.mark_teacher_left(actor=request.user, pk=pk)
    except NotFoundError:
        raise Http404(_("找不到此教師，或此教師不在本單位服務。"))
    messages.success(
        request,
        _("已將教師「%(name)s」設為轉出，新學校現在可以登錄此教師。") % {"name": person.name},
    )
    return redirect("accounts:unit_teachers")
