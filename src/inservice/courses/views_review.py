"""Pages of the regional center (研習課程資料確認, 自動審核功能設定, 自動審核瀏覽).

Thin views: forms parse, `services/review.py` and `services/lifecycle.py` decide. A course
that is not the user's center's to review is a 404 (its existence is not revealed).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inservice.accounts.permissions import Function, can
from inservice.core.access import staff_function
from inservice.core.errors import DomainError, add_to_form
from inservice.organizations.models import County

from .flags import flags_for
from .models import VersionState
from .services import lifecycle, review

PAGE_SIZE = 25
LOG_PAGE_SIZE = 50


# --------------------------------------------------------------------------- forms


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("審核狀態"), choices=review.QueueStatus.choices, required=False
    )
    stage = forms.ChoiceField(label=gettext_lazy("教育階段"), required=False)
    unit = forms.CharField(
        label=gettext_lazy("開課單位（代碼或名稱）"), max_length=120, required=False
    )
    county = forms.ModelChoiceField(
        label=gettext_lazy("縣市"),
        queryset=County.objects.all(),
        required=False,
        empty_label=gettext_lazy("全部縣市"),
        to_field_name="code",
    )
    date_from = forms.DateField(
        label=gettext_lazy("課程日期起"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("課程日期迄"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = forms.CharField(label=gettext_lazy("關鍵字（研習名稱）"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", _("全部階段")), *review.stage_choices()]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("課程日期迄不能早於課程日期起。"))
        data["status"] = data.get("status") or review.QueueStatus.PENDING
        return data


class ApproveForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("審核意見（選填，會寄給承辦人）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("退回原因（必填，會寄給承辦人）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("退回時請說明原因，讓開課單位知道如何修正。")},
    )


class AutoReviewForm(forms.Form):
    courses = forms.BooleanField(label=gettext_lazy("課程自動審核通過"), required=False)
    attendance_lists = forms.BooleanField(
        label=gettext_lazy("研習名單自動審核通過"), required=False
    )


# --------------------------------------------------------------------------- helpers


def _center(request):
    return request.user.staff.unit


def _course_or_404(request, code):
    course = review.reviewable_course_or_none(request.user, code)
    if course is None:
        raise Http404(_("找不到這門課程，或它不是由本中心審核。"))
    return course


def _url_or_none(name, *candidates):
    """The URL of a page another area provides, or None while it does not exist."""
    for args in candidates:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


def _queue_url(query: str = "") -> str:
    # Only a query string ever comes back from the form: re-encode it, never a whole URL.
    clean = QueryDict(query or "").urlencode()
    url = reverse("courses:review_queue")
    return f"{url}?{clean}" if clean else url


# --------------------------------------------------------------------------- the queue


@staff_function(Function.COURSE_REVIEW)
def review_queue(request):
    center = _center(request)
    params = request.GET.copy()
    params.pop("page", None)
    form = QueueFilterForm(params or None)
    page = rows = None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {"status": review.QueueStatus.PENDING}
        courses = review.review_queue(center, **data)
        page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = review.queue_rows(page.object_list)
    return render(
        request,
        "courses/review/queue.html",
        {
            "center": center,
            "form": form,
            "page": page,
            "rows": rows,
            "query": params.urlencode(),
            "full_query": request.GET.urlencode(),
            "limit": review.WORKING_DAYS_LIMIT,
            "soon_days": review.STARTING_SOON_DAYS,
            "can_browse_autoreview": can(request.user, Function.AUTOREVIEW_BROWSE),
            "can_set_autoreview": can(request.user, Function.AUTOREVIEW_SETTINGS),
        },
    )


@staff_function(Function.COURSE_REVIEW)
@require_POST
def review_approve_many(request):
    codes = [c for c in request.POST.getlist("codes") if c.isdigit()]
    back = _queue_url(request.POST.get("query", ""))
    try:
        approved = review.approve_many(actor=request.user, course_codes=codes)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("已核准 %(count)s 門課程：%(codes)s")
            % {
                "count": len(approved),
                "codes": "、".join(str(v.course.code) for v in approved),
            },
        )
    return redirect(back)


# --------------------------------------------------------------------------- one course


def _render_detail(request, course, *, approve_form=None, return_form=None):
    version = review.shown_version(course)
    if version is None:
        raise Http404
    pending = version.state == VersionState.PENDING
    previous = course.published if course.published_id not in (None, version.pk) else None
    attachments = [
        (a, _url_or_none("courses:attachment_download", (course.code, a.pk), (a.pk,)))
        for a in course.attachments.all()
    ]
    return render(
        request,
        "courses/review/detail.html",
        {
            "course": course,
            "version": version,
            "pending": pending,
            "previous": previous,
            "diff": review.version_diff(previous, version) if previous else [],
            "sections": review.version_fields(version, attachment_count=len(attachments)),
            "flags": flags_for(course, version),
            "attachments": attachments,
            "waited": review.working_days_waited(version.submitted_at) if pending else None,
            "limit": review.WORKING_DAYS_LIMIT,
            "approve_form": approve_form or ApproveForm(),
            "return_form": return_form or ReturnForm(),
            "history_url": _url_or_none("courses:history", (course.code,)),
        },
    )


@staff_function(Function.COURSE_REVIEW)
def review_detail(request, code):
    return _render_detail(request, _course_or_404(request, code))


@staff_function(Function.COURSE_REVIEW)
@require_POST
def review_approve(request, code):
    course = _course_or_404(request, code)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            version = lifecycle.approve_course(
                actor=request.user, course=course, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            if error.field not in form.fields:
                # Nothing to correct on the form (decided meanwhile, …): say it on the page.
                messages.error(request, error.message)
                return redirect("courses:review_detail", code=course.code)
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("已核准課程 %(code)s「%(name)s」，課程已公告。")
                % {"code": course.code, "name": version.name},
            )
            return redirect("courses:review_queue")
    return _render_detail(request, course, approve_form=form)


@staff_function(Function.COURSE_REVIEW)
@require_POST
def review_return(request, code):
    course = _course_or_404(request, code)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            version = lifecycle.return_course(
                actor=request.user, course=course, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            if error.field not in form.fields:
                # Nothing to correct on the form (decided meanwhile, …): say it on the page.
                messages.error(request, error.message)
                return redirect("courses:review_detail", code=course.code)
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("已退回課程 %(code)s「%(name)s」，並以電子郵件通知承辦人。")
                % {"code": course.code, "name": version.name},
            )
            return redirect("courses:review_queue")
    return _render_detail(request, course, return_form=form)


# --------------------------------------------------------------------------- auto-review


@staff_function(Function.AUTOREVIEW_SETTINGS)
def autoreview_settings(request):
    center = _center(request)
    setting = review.autoreview_setting(center)
    if request.method == "POST":
        form = AutoReviewForm(request.POST)
        if form.is_valid():
            try:
                review.set_autoreview(actor=request.user, center=center, **form.cleaned_data)
            except DomainError as error:
                add_to_form(form, error)
            else:
                messages.success(request, _("已儲存本中心的自動審核設定。"))
                return redirect("courses:autoreview_settings")
    else:
        form = AutoReviewForm(
            initial={"courses": setting.courses, "attendance_lists": setting.attendance_lists}
        )
    return render(
        request,
        "courses/review/autoreview_settings.html",
        {"center": center, "setting": setting, "form": form},
    )


@staff_function(Function.AUTOREVIEW_BROWSE)
def autoreview_log(request):
    center = _center(request)
    page = Paginator(review.autoreview_log(center), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/review/autoreview_log.html",
        {"center": center, "page": page, "setting": review.autoreview_setting(center)},
    )
