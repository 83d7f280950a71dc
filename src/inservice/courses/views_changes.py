"""Pages of the change requests after closing (修改已結案課程內容申請表): the organizer asks,
the regional center decides, the national center carries out. Logic in services/changes.py.

The organizer's form is a focused one: the fields most often corrected after a course is
closed (name, hours, dates, PD category / taxonomy stage / topic item, level, instructor,
time and place) plus the reason. The rest of the published content is carried over as it is.
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inservice.accounts.permissions import Function
from inservice.catalog import codes
from inservice.catalog import selectors as catalog
from inservice.catalog.models import TeacherStage
from inservice.core.access import authenticated, staff_function
from inservice.core.errors import DomainError, add_to_form

from . import permissions, selectors
from .models import ChangeRequest, Course, CourseStatus, VersionState
from .services import changes

PAGE_SIZE = 25

# The fields of the focused change form, in the order of the paper form.
CHANGE_FIELDS = [
    "name",
    "category",
    "taxonomy_stage",
    "topic_item",
    "level",
    "instructor_name",
    "hours",
    "start_date",
    "end_date",
    "time_and_place",
]


def national_center_only(view):
    """Staff of the national center (全國推廣中心) and system administrators."""

    @wraps(view)
    def check(request, *args, **kwargs):
        if not permissions.is_national_center(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped = authenticated(check)
    wrapped.access_policy = "national_center"
    return wrapped


class ChangeRequestForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("3. 研習名稱"), max_length=200)
    category = forms.ChoiceField(label=gettext_lazy("5. 進修範疇"))
    taxonomy_stage = forms.ChoiceField(
        label=gettext_lazy("6. 課程細項適用階段"), choices=TeacherStage.choices
    )
    topic_item = forms.ChoiceField(
        label=gettext_lazy("6. 課程細項"),
        required=False,
        help_text=gettext_lazy("須屬於所選的進修範疇與適用階段；進修範疇 5-6 沒有課程細項。"),
    )
    level = forms.ChoiceField(label=gettext_lazy("7. 進修階層"))
    instructor_name = forms.CharField(
        label=gettext_lazy("8. 師資姓名"), max_length=200, required=False
    )
    hours = forms.DecimalField(
        label=gettext_lazy("13. 研習時數"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal("0.5"),
        help_text=gettext_lazy("以 0.5 小時為單位。"),
    )
    start_date = forms.DateField(
        label=gettext_lazy("18. 課程開始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=gettext_lazy("19. 課程結束日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    time_and_place = forms.CharField(
        label=gettext_lazy("20. 上課時間及地點"), widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=gettext_lazy("申請修改理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("請具體說明修改的內容與原因（例如：時數誤植，實際為 6 小時）。"),
    )

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        on = version.start_date
        self.on = on
        self.fields["category"].choices = codes.choices("category", on=on)
        self.fields["level"].choices = codes.choices("level", on=on)
        stage = self.data.get("taxonomy_stage") if self.is_bound else version.taxonomy_stage
        if stage not in TeacherStage.values:
            stage = version.taxonomy_stage or TeacherStage.ELEMENTARY
        self.fields["topic_item"].choices = [("", _("（無）"))] + self._topic_choices(stage, on)

    @staticmethod
    def _topic_choices(stage, on):
        groups = []
        for number in range(1, 7):
            for area, items in catalog.topic_item_choices(stage, number, on=on):
                groups.append((f"5-{number}／{area}", items))
        return groups

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours is not None and (hours * 2) % 1:
            raise forms.ValidationError(_("研習時數以 0.5 小時為單位。"))
        return hours

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and start > end:
            self.add_error("end_date", _("課程結束日期不能早於開始日期。"))
        category, stage = data.get("category"), data.get("taxonomy_stage")
        item = data.get("topic_item")
        if category and stage:
            if category == "5-6" and item:
                self.add_error("topic_item", _("進修範疇 5-6 沒有課程細項，請選擇「（無）」。"))
            elif category != "5-6" and not item:
                self.add_error("topic_item", _("請選擇課程細項。"))
            elif item and not catalog.is_topic_item(stage, item, category, on=start or self.on):
                self.add_error(
                    "topic_item", _("課程細項不屬於所選的進修範疇與適用階段，請重新選擇。")
                )
        return data

    def course_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in CHANGE_FIELDS}


def _show_problems(form, problems: dict):
    for field, messages_ in problems.items():
        for message in messages_:
            if field in form.fields:
                form.add_error(field, message)
            else:
                try:
                    label = selectors.field_label(field)
                except FieldDoesNotExist:  # a problem key that is not a form field
                    label = field
                form.add_error(None, f"{label}：{message}")


# --- Organizer --------------------------------------------------------------------------------


@staff_function(Function.COURSE_REGISTER)
def request_change(request, code):
    course = get_object_or_404(
        Course.objects.select_related("unit", "published", "reviewing_center"), code=code
    )
    if not permissions.can_manage(request.user, course):
        raise Http404
    open_request = course.change_requests.filter(state__in=changes.OPEN_STATES).first()
    can_request = (
        course.status == CourseStatus.CLOSED and course.published_id and open_request is None
    )
    form = None
    if can_request:
        version = course.published
        if request.method == "POST":
            form = ChangeRequestForm(request.POST, version=version)
            if form.is_valid():
                try:
                    changes.request_change(
                        actor=request.user,
                        course=course,
                        data=form.course_data(),
                        reason=form.cleaned_data["reason"],
                    )
                except DomainError as exc:  # incomplete or invalid content: every problem
                    if getattr(exc, "problems", None):
                        form.add_error(None, str(exc.message))
                        _show_problems(form, exc.problems)
                    else:
                        add_to_form(form, exc)
                else:
                    messages.success(request, _("已送出修改申請，區管中心審核後會以電子郵件通知。"))
                    return redirect("courses:history", code=course.code)
        else:
            form = ChangeRequestForm(
                version=version, initial={f: getattr(version, f) for f in CHANGE_FIELDS}
            )
    elif request.method == "POST":
        messages.error(request, _("此課程目前不能提出修改申請。"))
    return render(
        request,
        "courses/changes/request_form.html",
        {
            "course": course,
            "form": form,
            "open_request": open_request,
            "requests": course.change_requests.select_related("proposed"),
        },
    )


# --- Regional center ---------------------------------------------------------------------------


class StateFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("申請狀態"),
        required=False,
        choices=[("", gettext_lazy("全部")), *ChangeRequest.State.choices],
    )


def _requests_page(request, qs, default_state):
    form = StateFilterForm(request.GET or {"state": default_state})
    state = form.cleaned_data["state"] if form.is_valid() else default_state
    if state:
        qs = qs.filter(state=state)
    qs = qs.select_related("course", "course__unit", "requested_by", "proposed").order_by(
        "requested_at", "pk"
    )
    return form, Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@staff_function(Function.COURSE_REVIEW)
def center_queue(request):
    unit = request.user.staff.unit
    form, page = _requests_page(
        request,
        ChangeRequest.objects.filter(course__reviewing_center=unit),
        ChangeRequest.State.PENDING,
    )
    return render(
        request,
        "courses/changes/queue.html",
        {"form": form, "page": page, "national": False, "unit": unit},
    )


def _base_version(change_request):
    """The version the proposal changes: the published one (before carrying out), or the one it
    replaced (after)."""
    course = change_request.course
    if change_request.state != ChangeRequest.State.DONE:
        return course.published
    return (
        course.versions.filter(
            number__lt=change_request.proposed.number,
            state__in=[VersionState.APPROVED, VersionState.SUPERSEDED],
        )
        .prefetch_related("sessions")
        .order_by("-number")
        .first()
    )


def _detail_context(change_request):
    base = _base_version(change_request)
    return {
        "change_request": change_request,
        "course": change_request.course,
        "changes": selectors.diff_versions(base, change_request.proposed),
        "base": base,
    }


def _get_request(pk):
    return get_object_or_404(
        ChangeRequest.objects.select_related(
            "course",
            "course__unit",
            "course__published",
            "proposed",
            "requested_by",
            "decided_by",
            "done_by",
        ),
        pk=pk,
    )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("審核意見"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("未同意時必填，會以電子郵件告知開課單位。"),
    )


@staff_function(Function.COURSE_REVIEW)
def center_decide(request, pk):
    change_request = _get_request(pk)
    if not permissions.can_review(request.user, change_request.course):
        raise Http404
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = request.POST.get("decision") == "approve"
        if request.POST.get("decision") not in ("approve", "reject"):
            form.add_error(None, _("請選擇同意或不同意。"))
        else:
            try:
                changes.decide_change_request(
                    actor=request.user,
                    change_request=change_request,
                    approve=approve,
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("已同意修改申請，已通知開課單位並轉請全國推廣中心辦理。")
                    if approve
                    else _("已回覆未同意，已通知開課單位。"),
                )
                return redirect("courses:change_request_queue")
    context = _detail_context(change_request)
    context.update(
        form=form, national=False, can_act=change_request.state == ChangeRequest.State.PENDING
    )
    return render(request, "courses/changes/detail.html", context)


# --- National center ---------------------------------------------------------------------------


@national_center_only
def national_queue(request):
    form, page = _requests_page(request, ChangeRequest.objects.all(), ChangeRequest.State.APPROVED)
    return render(
        request, "courses/changes/queue.html", {"form": form, "page": page, "national": True}
    )


@national_center_only
def national_carry_out(request, pk):
    change_request = _get_request(pk)
    error = None
    if request.method == "POST":
        try:
            changes.carry_out_change_request(actor=request.user, change_request=change_request)
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("已完成修改，新的內容已成為課程的公告版本。"))
            return redirect("courses:national_change_requests")
    context = _detail_context(change_request)
    context.update(
        national=True,
        error=error,
        can_act=change_request.state == ChangeRequest.State.APPROVED,
    )
    return render(request, "courses/changes/detail.html", context)
