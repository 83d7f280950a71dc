"""Pages for the attendance list's way to closing: the organizer's submit page and the regional
center's queue of submitted lists with confirm / return.

Thin views: `services/closing.py` decides. A course that is not the user's (not their unit's
to submit, not their center's to confirm) is a 404, never revealing that it exists.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inservice.accounts.permissions import Function
from inservice.core.access import staff_function
from inservice.core.errors import DomainError, add_to_form
from inservice.courses import lights, permissions
from inservice.courses.models import Course

from .models import ListState
from .services import closing

# --------------------------------------------------------------------------- forms


class SubmitForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_empty = forms.BooleanField(
        label=gettext_lazy("確認本課程無人參加（名單上沒有任何教師）"), required=False
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("退回原因（必填，會寄給承辦人）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("退回名單時請說明原因，讓開課單位知道如何修正。")},
    )


# --------------------------------------------------------------------------- helpers


def _url_or_none(name, *args):
    """A page another area provides (the attendance grid), or None while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _managed_course_or_404(request, code) -> Course:
    course = get_object_or_404(
        Course.objects.select_related("unit", "published", "reviewing_center"), code=code
    )
    if not permissions.can_manage(request.user, course):
        raise Http404(_("找不到這門課程，或它不是本單位開設的課程。"))
    return course


def _reviewed_course_or_404(request, code) -> Course:
    course = closing.reviewable_course_or_none(request.user, code)
    if course is None:
        raise Http404(_("找不到這門課程，或它不是由本中心審核。"))
    return course


# --------------------------------------------------------------------------- organizer


def _render_submit(request, course, form=None):
    attendance = closing.list_of(course)
    summary = closing.totals(attendance) if attendance is not None else None
    today = timezone.localdate()
    state = attendance.state if attendance is not None else ListState.OPEN
    return render(
        request,
        "attendance/closing/submit.html",
        {
            "course": course,
            "version": course.published,
            "attendance": attendance,
            "state": state,
            "state_label": ListState(state).label,
            "summary": summary,
            "entries": closing.entries_of(attendance) if attendance is not None else [],
            "form": form
            or SubmitForm(initial={"revision": attendance.revision if attendance else 0}),
            "light": lights.light_for(course),
            "due": closing.due_date(course),
            "held": closing.can_submit_on(course, today),
            "can_submit": state in (ListState.OPEN, ListState.RETURNED)
            and course.status == "published"
            and closing.can_submit_on(course, today),
            "grid_url": _url_or_none("attendance:grid", course.code),
        },
    )


@staff_function(Function.COURSE_REGISTER)
def submit(request, code):
    """GET: the list's state and a summary; POST: send it to the regional center."""
    course = _managed_course_or_404(request, code)
    if request.method != "POST":
        return _render_submit(request, course)
    form = SubmitForm(request.POST)
    if form.is_valid():
        try:
            attendance = closing.submit_list(
                actor=request.user,
                course=course,
                revision=form.cleaned_data["revision"],
                confirm_empty=form.cleaned_data["confirm_empty"],
            )
        except DomainError as error:
            if error.field in form.fields:
                add_to_form(form, error)
            else:
                messages.error(request, error.message)
                return redirect("attendance:list_submit", code=course.code)
        else:
            if attendance.state == ListState.CONFIRMED:
                messages.success(
                    request,
                    _("名單已送出，並依區管中心的設定自動確認；課程已結案，研習時數已登錄。"),
                )
            else:
                messages.success(request, _("名單已送出，請等候區管中心確認。"))
            return redirect("attendance:list_submit", code=course.code)
    return _render_submit(request, course, form)


# --------------------------------------------------------------------------- regional center


@staff_function(Function.COURSE_REVIEW)
def review_queue(request):
    center = request.user.staff.unit
    return render(
        request,
        "attendance/closing/queue.html",
        {"center": center, "lists": list(closing.review_queue(center))},
    )


def _render_review(request, course, return_form=None):
    attendance = closing.list_of(course)
    if attendance is None:
        raise Http404(_("這門課程還沒有研習名單。"))
    return render(
        request,
        "attendance/closing/review.html",
        {
            "course": course,
            "version": course.published,
            "attendance": attendance,
            "summary": closing.totals(attendance),
            "entries": closing.entries_of(attendance),
            "pending": attendance.state == ListState.SUBMITTED,
            "return_form": return_form or ReturnForm(),
            "history_url": _url_or_none("courses:history", course.code),
        },
    )


@staff_function(Function.COURSE_REVIEW)
def review_detail(request, code):
    return _render_review(request, _reviewed_course_or_404(request, code))


@staff_function(Function.COURSE_REVIEW)
@require_POST
def review_confirm(request, code):
    course = _reviewed_course_or_404(request, code)
    try:
        closing.confirm_list(actor=request.user, course=course)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("attendance:list_review_detail", code=course.code)
    messages.success(
        request,
        _("已確認課程 %(code)s「%(name)s」的研習名單，課程已結案，研習時數已登錄。")
        % {"code": course.code, "name": course.name},
    )
    return redirect("attendance:list_review_queue")


@staff_function(Function.COURSE_REVIEW)
@require_POST
def review_return(request, code):
    course = _reviewed_course_or_404(request, code)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            closing.return_list(
                actor=request.user, course=course, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            if error.field not in form.fields:
                messages.error(request, error.message)
                return redirect("attendance:list_review_detail", code=course.code)
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("已退回課程 %(code)s「%(name)s」的研習名單，並以電子郵件通知承辦人。")
                % {"code": course.code, "name": course.name},
            )
            return redirect("attendance:list_review_queue")
    return _render_review(request, course, return_form=form)
