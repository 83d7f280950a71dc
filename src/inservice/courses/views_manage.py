"""Organizer pages (研習課程登錄): create, edit, submit, withdraw a change, cancel, attachments,
and the htmx option endpoints of the course form. Business rules live in the services;
these views only map requests to them and their errors back onto the form.

Every course view is for staff with COURSE_REGISTER, and the course must be their unit's:
other units' courses answer 404, so their existence is not revealed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inservice.accounts.permissions import Function
from inservice.catalog import codes, selectors
from inservice.core.access import public, staff_function
from inservice.core.errors import DomainError, add_to_form

from . import permissions, validation
from .forms import (
    AttachmentForm,
    CancelForm,
    CourseForm,
    session_formset,
    sessions_data,
)
from .models import Course, CourseAttachment, CourseStatus, CourseVersion, VersionState
from .services import attachments as attachment_service
from .services import lifecycle
from .validation import CourseDataInvalid

COURSE_REGISTER = staff_function(Function.COURSE_REGISTER)


def _own_course(request, code) -> Course:
    course = get_object_or_404(
        Course.objects.select_related("unit", "published", "working", "reviewing_center"),
        code=code,
    )
    if not permissions.can_manage(request.user, course):
        raise Http404
    return course


def _posted_revision(request) -> int:
    try:
        return int(request.POST.get("revision", ""))
    except ValueError:
        return -1  # never a real revision: refused as stale


def _action(request) -> str:
    if "_refresh" in request.POST:
        return "refresh"
    if "_submit" in request.POST:
        return "submit"
    return "save"


def _edit_blocked(course: Course) -> str | None:
    if course.status in (CourseStatus.CANCELLED, CourseStatus.CLOSED):
        return _("已取消或已結案的課程不能直接修改；已結案課程請提出修改申請。")
    if course.working is not None and course.working.state == VersionState.PENDING:
        return _("課程正在審核中，審核完成前不能修改。")
    return None


def _submitted_message(course: Course) -> str:
    if course.status == CourseStatus.PUBLISHED and course.working_id is None:
        return _("課程已送出，並已自動審核通過公告。")
    center = course.reviewing_center.name if course.reviewing_center else ""
    return _("課程已送出，等待%(center)s審核。") % {"center": center}


def _render_form(request, form, formset, *, course=None, status=200):
    return render(
        request,
        "courses/manage/form.html",
        {
            "form": form,
            "formset": formset,
            "course": course,
            "tag_definitions": form.tag_definitions,
            "attachments": list(course.attachments.all()) if course else [],
        },
        status=status,
    )


def _save_form(request, form, formset, *, save, action):
    """Run `save` (and the submit when asked) in one transaction; map errors onto the form.
    Returns the course on success, None when the form is to be shown again."""
    try:
        with transaction.atomic():
            course = save()
            if action == "submit":
                lifecycle.submit_course(actor=request.user, course=course)
    except (lifecycle.CourseIncomplete, CourseDataInvalid) as exc:
        form.add_problems(exc.problems)
        messages.error(request, exc.message)
        return None
    except DomainError as exc:
        add_to_form(form, exc)
        form.stale = exc.code == "stale"
        return None
    course.refresh_from_db()
    if action == "submit":
        messages.success(request, _submitted_message(course))
    else:
        messages.success(request, _("已儲存草稿。"))
    return course


@COURSE_REGISTER
def create(request):
    unit = request.user.staff.unit
    if request.method == "POST":
        form = CourseForm(request.POST, unit=unit)
        formset = session_formset(request.POST)
        action = _action(request)
        if action == "refresh":
            messages.info(request, _("已依所選項目更新選項；資料尚未儲存。"))
        elif form.is_valid() and formset.is_valid():

            def save():
                return lifecycle.create_course(
                    actor=request.user,
                    unit=unit,
                    data=form.course_data(),
                    sessions=sessions_data(formset),
                )

            course = _save_form(request, form, formset, save=save, action=action)
            if course is not None:
                return redirect("courses:manage_detail", code=course.code)
    else:
        form = CourseForm(unit=unit)
        formset = session_formset()
    return _render_form(request, form, formset)


@COURSE_REGISTER
def edit(request, code):
    course = _own_course(request, code)
    blocked = _edit_blocked(course)
    if blocked:
        messages.error(request, blocked)
        return redirect("courses:manage_detail", code=course.code)
    version = course.working or course.published
    if request.method == "POST":
        form = CourseForm(request.POST, unit=course.unit, course=course, version=version)
        formset = session_formset(request.POST, version=version)
        action = _action(request)
        if action == "refresh":
            messages.info(request, _("已依所選項目更新選項；資料尚未儲存。"))
        elif form.is_valid() and formset.is_valid():

            def save():
                lifecycle.save_course(
                    actor=request.user,
                    course=course,
                    data=form.course_data(),
                    sessions=sessions_data(formset),
                    revision=form.cleaned_data["revision"],
                    change_reason=form.cleaned_data.get("change_reason", ""),
                )
                return course

            saved = _save_form(request, form, formset, save=save, action=action)
            if saved is not None:
                return redirect("courses:manage_detail", code=course.code)
    else:
        form = CourseForm(unit=course.unit, course=course, version=version)
        formset = session_formset(version=version)
    return _render_form(request, form, formset, course=course)


def _version_rows(version) -> list[tuple[str, str, str]]:
    """(number, label, text) for the 26 fields of a version, codes with their names."""
    if version is None:
        return []

    def code_text(table, value):
        names = codes.names(table)
        return f"{value} {names.get(value, '')}".strip() if value else ""

    def codes_text(table, values):
        return "、".join(code_text(table, v) for v in values or [])

    subject = ""
    if version.subject:
        try:
            subject = selectors.get_subject(version.subject).path
        except LookupError:
            subject = version.subject
    topic = version.topic_item
    if topic and version.taxonomy_stage:
        try:
            topic = selectors.get_topic(version.taxonomy_stage, topic).label
        except LookupError:
            pass
    tags = []
    for code in version.tags or []:
        try:
            tags.append(selectors.get_tag(code).name)
        except LookupError:
            tags.append(code)
    opens = version.registration_opens
    return [
        ("1", _("班別類別"), code_text("class_type", version.class_type)),
        ("1", _("學分數"), str(version.credits or "")),
        ("2", _("辦理性質"), code_text("basis", version.basis)),
        ("2", _("依據文號"), version.basis_doc_number),
        ("3-1", _("研習名稱"), version.name),
        ("3-2", _("專案屬性標籤"), "、".join(tags)),
        ("4", _("教育階段-領域-科目"), subject),
        ("5", _("進修範疇"), code_text("category", version.category)),
        ("6", _("課程細項"), topic),
        ("7", _("進修階層"), code_text("level", version.level)),
        (
            "8",
            _("師資"),
            " ".join(
                x
                for x in (
                    version.instructor_name,
                    code_text("instructor_type", version.instructor_type),
                )
                if x
            ),
        ),
        ("9", _("課程大綱"), version.outline),
        (
            "11",
            _("實施方式"),
            "、".join(
                x for x in (codes_text("delivery", version.delivery), version.delivery_other) if x
            ),
        ),
        ("12", _("課程時段"), codes_text("time_slot", version.time_slots)),
        ("13", _("研習時數"), f"{version.hours}" if version.hours is not None else ""),
        ("14", _("參加對象教育階段別"), codes_text("target_stage", version.target_stages)),
        (
            "15",
            _("參加對象職稱別"),
            "、".join(
                x
                for x in (
                    codes_text("target_title", version.target_titles),
                    version.target_title_other,
                )
                if x
            ),
        ),
        (
            "16",
            _("報名開始"),
            timezone.localtime(opens).strftime("%Y-%m-%d %H:%M") if opens else "",
        ),
        ("17", _("報名截止日期"), str(version.registration_end or "")),
        ("18", _("課程開始日期"), str(version.start_date or "")),
        ("19", _("課程結束日期"), str(version.end_date or "")),
        ("20", _("上課時間及地點"), version.time_and_place),
        ("21", _("經費來源"), codes_text("funding", version.funding)),
        ("22", _("學員繳費情形"), code_text("fee", version.fee)),
        ("23", _("辦理班數"), str(version.classes or "")),
        ("24", _("每班人數"), str(version.seats_per_class or "")),
        (
            "25-1",
            _("承辦人"),
            " ".join(
                x
                for x in (version.contact1_name, version.contact1_phone, version.contact1_email)
                if x
            ),
        ),
        (
            "25-2",
            _("第二承辦人"),
            " ".join(
                x
                for x in (version.contact2_name, version.contact2_phone, version.contact2_email)
                if x
            ),
        ),
        ("26", _("課程意見回饋問卷"), code_text("feedback", version.feedback)),
    ]


def _field_label(field: str) -> str:
    if field == "sessions":
        return _("場次")
    try:
        return str(CourseVersion._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:
        return ""


@COURSE_REGISTER
def manage_detail(request, code):
    course = _own_course(request, code)
    working, published = course.working, course.published
    shown = working or published
    can_edit = _edit_blocked(course) is None
    can_submit = working is not None and working.state in (
        VersionState.DRAFT,
        VersionState.RETURNED,
    )
    today = timezone.localdate()
    can_cancel = course.status not in (CourseStatus.CANCELLED, CourseStatus.CLOSED) and (
        course.start_date is None or course.start_date > today
    )
    can_withdraw = (
        published is not None
        and working is not None
        and working.state != VersionState.PENDING
        and course.status == CourseStatus.PUBLISHED
    )
    problems = []
    if can_submit:
        problems = [
            (_field_label(field), message)
            for field, messages_ in validation.submit_problems(working).items()
            for message in messages_
        ]
    return render(
        request,
        "courses/manage/detail.html",
        {
            "course": course,
            "working": working,
            "published": published,
            "shown": shown,
            "rows": _version_rows(shown),
            "sessions": list(shown.sessions.all()) if shown else [],
            "attachments": list(course.attachments.all()),
            "can_edit": can_edit,
            "can_submit": can_submit,
            "can_cancel": can_cancel,
            "can_withdraw": can_withdraw,
            "can_upload": course.status not in (CourseStatus.CANCELLED, CourseStatus.CLOSED),
            "problems": problems,
        },
    )


@COURSE_REGISTER
@require_POST
def submit(request, code):
    course = _own_course(request, code)
    try:
        lifecycle.submit_course(
            actor=request.user, course=course, revision=_posted_revision(request)
        )
    except lifecycle.CourseIncomplete as exc:
        course.refresh_from_db()
        version = course.working
        form = CourseForm(unit=course.unit, course=course, version=version)
        form.add_problems(exc.problems)
        messages.error(request, exc.message)
        return _render_form(request, form, session_formset(version=version), course=course)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("courses:manage_detail", code=course.code)
    course.refresh_from_db()
    messages.success(request, _submitted_message(course))
    return redirect("courses:manage_detail", code=course.code)


@COURSE_REGISTER
@require_POST
def withdraw(request, code):
    course = _own_course(request, code)
    try:
        lifecycle.withdraw_change(
            actor=request.user, course=course, revision=_posted_revision(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回修改，課程維持原公告內容。"))
    return redirect("courses:manage_detail", code=course.code)


@COURSE_REGISTER
def cancel(request, code):
    course = _own_course(request, code)
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                lifecycle.cancel_course(
                    actor=request.user,
                    course=course,
                    reason=form.cleaned_data["reason"],
                    revision=form.cleaned_data["revision"],
                )
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("課程已取消，系統將通知承辦人及已報名的教師。"))
                return redirect("courses:manage_detail", code=course.code)
    else:
        form = CancelForm(initial={"revision": course.revision})
    return render(request, "courses/manage/cancel.html", {"course": course, "form": form})


# --- attachments ---------------------------------------------------------------------------


@COURSE_REGISTER
def attachments(request, code):
    course = _own_course(request, code)
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment = attachment_service.upload_attachment(
                    actor=request.user,
                    course=course,
                    upload=form.cleaned_data["file"],
                    is_public=form.cleaned_data["is_public"],
                )
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(
                    request, _("已上傳「%(name)s」。") % {"name": attachment.original_name}
                )
                return redirect("courses:attachments", code=course.code)
    else:
        form = AttachmentForm()
    return render(
        request,
        "courses/manage/attachments.html",
        {
            "course": course,
            "form": form,
            "attachments": list(course.attachments.select_related("uploaded_by")),
            "can_change": course.status not in (CourseStatus.CANCELLED, CourseStatus.CLOSED),
            "max_mb": attachment_service.max_bytes() // (1024 * 1024),
            "extensions": "、".join(f".{e}" for e in attachment_service.allowed_extensions()),
        },
    )


@public
def attachment_download(request, pk):
    """Anyone may ask; `can_download` decides. Logged-out visitors asking for a file that is
    not public are sent to log in; logged-in users who may not see it get 404."""
    attachment = (
        CourseAttachment.objects.select_related("course", "course__unit").filter(pk=pk).first()
    )
    if attachment is None or not attachment_service.can_download(request.user, attachment):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


@COURSE_REGISTER
@require_POST
def attachment_delete(request, pk):
    attachment = get_object_or_404(
        CourseAttachment.objects.select_related("course", "course__unit"), pk=pk
    )
    course = attachment.course
    if not permissions.can_manage(request.user, course):
        raise Http404
    name = attachment.original_name
    try:
        attachment_service.delete_attachment(actor=request.user, attachment=attachment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已刪除附件「%(name)s」。") % {"name": name})
    return redirect("courses:attachments", code=course.code)


# --- htmx option endpoints -----------------------------------------------------------------


def _options_form(request, names: list[str], lists: tuple[str, ...] = ()) -> CourseForm:
    initial = {name: request.GET.get(name, "") for name in names}
    for name in lists:
        initial[name] = request.GET.getlist(name)
    return CourseForm(unit=request.user.staff.unit, initial=initial)


@COURSE_REGISTER
def options_subjects(request):
    """The domain and subject pickers for the chosen education stage (and domain)."""
    form = _options_form(request, ["subject_stage", "subject_domain", "subject"])
    return render(request, "courses/manage/_subject_pickers.html", {"form": form})


@COURSE_REGISTER
def options_topics(request):
    """The topic-item picker for the chosen taxonomy stage and PD category."""
    form = _options_form(request, ["taxonomy_stage", "category", "topic_item", "start_date"])
    return render(
        request,
        "courses/manage/_field.html",
        {"field": form["topic_item"], "no": "6"},
    )


@COURSE_REGISTER
def options_tags(request):
    """The attribute tags that may be used on the chosen course dates."""
    form = _options_form(request, ["start_date", "end_date"], lists=("tags",))
    return render(
        request,
        "courses/manage/_tags.html",
        {"form": form, "tag_definitions": form.tag_definitions},
    )
