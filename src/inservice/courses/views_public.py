"""Course pages outside the form and the review queue: the public course page, the unit's
course list with status lights (本單位研習課程瀏覽) and the course history."""

from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inservice.accounts.permissions import Function, can
from inservice.core.access import authenticated, public, staff_function
from inservice.core.audit import history_for

from . import lights, permissions, selectors
from .models import Course, CourseStatus

PAGE_SIZE = 25

# --- Public course page -----------------------------------------------------------------------

# The three sections of the paper form (附件四) by field number.
SECTIONS = [
    (gettext_lazy("課程訊息"), {str(n) for n in range(1, 14)}),
    (gettext_lazy("報名資訊"), {str(n) for n in range(14, 21)}),
    (gettext_lazy("其他"), {str(n) for n in range(21, 27)}),
]
# Shown elsewhere on the public page (contacts get their own block, the window its own box).
PUBLIC_SKIP = {
    "registration_opens_at",
    "contact1_name",
    "contact1_phone",
    "contact1_email",
    "contact2_name",
    "contact2_phone",
    "contact2_email",
}


def public_sections(version):
    rows = selectors.version_rows(version, skip_empty=True)
    rows = [r for r in rows if r.field not in PUBLIC_SKIP]
    return [(title, [r for r in rows if r.number in numbers]) for title, numbers in SECTIONS]


def _contacts(version):
    contacts = []
    for n in (1, 2):
        name = getattr(version, f"contact{n}_name")
        if name:
            contacts.append(
                {
                    "name": name,
                    "phone": getattr(version, f"contact{n}_phone"),
                    "email": getattr(version, f"contact{n}_email"),
                }
            )
    return contacts


@public
def public_detail(request, code):
    """The published version only; a pending change is never shown here."""
    course = get_object_or_404(
        Course.objects.select_related("unit", "unit__county", "published"), code=code
    )
    version = course.published
    if version is None:  # drafts, courses under first review, returned ones: not public
        raise Http404
    context = {"course": course, "version": version}
    if course.status == CourseStatus.CANCELLED:
        return render(request, "courses/public/cancelled.html", context)
    registration = (
        "closed"
        if course.status == CourseStatus.CLOSED
        else lights.registration_state(version, timezone.now())
    )
    context.update(
        sections=public_sections(version),
        contacts=_contacts(version),
        sessions=list(version.sessions.all()),
        attachments=list(course.attachments.filter(is_public=True)),
        registration=registration,
        registration_opens=version.registration_opens,
        is_closed=course.status == CourseStatus.CLOSED,
    )
    return render(request, "courses/public/detail.html", context)


# --- The unit's course list -------------------------------------------------------------------


class UnitCourseFilterForm(forms.Form):
    light = forms.ChoiceField(label=gettext_lazy("狀態燈號"), required=False)
    year = forms.TypedChoiceField(
        label=gettext_lazy("開課年度"), required=False, coerce=int, empty_value=None
    )
    q = forms.CharField(
        label=gettext_lazy("關鍵字（課程名稱或課程代碼）"), required=False, max_length=100
    )
    sort = forms.ChoiceField(
        label=gettext_lazy("排序"),
        required=False,
        choices=[
            ("-start", gettext_lazy("開始日期（新到舊）")),
            ("start", gettext_lazy("開始日期（舊到新）")),
        ],
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["light"].choices = [("", _("全部"))] + [
            (code, light.label) for code, light in lights.LIGHTS.items()
        ]
        self.fields["year"].choices = [("", _("全部"))] + [(y, str(y)) for y in years]


@staff_function(Function.OWN_COURSE_LIST)
def unit_list(request):
    unit = request.user.staff.unit
    form = UnitCourseFilterForm(request.GET or None, years=selectors.unit_course_years(unit))
    now = timezone.now()
    page = None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        courses = selectors.unit_courses(
            unit,
            light=data.get("light") or "",
            year=data.get("year"),
            q=data.get("q") or "",
            sort=data.get("sort") or "-start",
            now=now,
        )
        page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
        page.rows = [(course, lights.light_for(course, now=now)) for course in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "courses/list/unit_list.html",
        {
            "unit": unit,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_register": can(request.user, Function.COURSE_REGISTER),
        },
    )


# --- History ------------------------------------------------------------------------------------

ACTION_LABELS = {
    "course.created": gettext_lazy("建立課程"),
    "course.saved": gettext_lazy("儲存課程內容"),
    "course.submitted": gettext_lazy("送審"),
    "course.approved": gettext_lazy("審核通過"),
    "course.auto_approved": gettext_lazy("自動審核通過"),
    "course.returned": gettext_lazy("退回修正"),
    "course.change_withdrawn": gettext_lazy("撤回修改"),
    "course.cancelled": gettext_lazy("取消課程"),
    "course.closed": gettext_lazy("結案"),
    "course.change_requested": gettext_lazy("提出結案後修改申請"),
    "course.change_request_approved": gettext_lazy("區管中心同意修改申請"),
    "course.change_request_rejected": gettext_lazy("區管中心未同意修改申請"),
    "course.change_carried_out": gettext_lazy("全國推廣中心完成修改"),
}
DATA_LABELS = {
    "version": gettext_lazy("版本"),
    "previous_version": gettext_lazy("原公告版本"),
    "center": gettext_lazy("審核單位代碼"),
    "note": gettext_lazy("審核意見"),
    "reason": gettext_lazy("原因"),
    "request": gettext_lazy("申請編號"),
    "status": gettext_lazy("狀態"),
}


def who(user) -> str:
    """A person in the history: name and unit (staff of other units see who acted)."""
    if user is None:
        return _("系統")
    name = user.real_name or user.username
    staff = getattr(user, "staff", None)
    return f"{name}（{staff.unit.name}）" if staff is not None else name


def _changes(before, after):
    """Audit before/after dicts as rows of (label, old, new)."""
    before, after = before or {}, after or {}
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        try:
            label = selectors.field_label(key)
        except FieldDoesNotExist:  # keys that are not form fields (e.g. status)
            label = str(DATA_LABELS.get(key, key))
        rows.append((label, before.get(key, ""), after.get(key, "")))
    return rows


def _events(course):
    events = []
    for event in (
        history_for(course).select_related("actor__staff__unit").order_by("-created_at", "-id")
    ):
        data = event.data or {}
        events.append(
            {
                "at": event.created_at,
                "action": ACTION_LABELS.get(event.action, event.action),
                "who": who(event.actor) if event.actor_id else event.actor_label or _("系統"),
                "details": [
                    (str(DATA_LABELS.get(k, k)), v)
                    for k, v in data.items()
                    if v not in ("", None) and k != "center"
                ],
                "changes": _changes(event.before, event.after),
            }
        )
    return events


@authenticated
def history(request, code):
    """Versions and audit events, for the course's unit, its reviewer and the national center;
    anyone else gets 404 (the course's existence is not revealed)."""
    course = get_object_or_404(
        Course.objects.select_related("unit", "reviewing_center", "published"), code=code
    )
    if not permissions.can_view_history(request.user, course):
        raise Http404
    entries = selectors.course_history(course)
    for entry in entries:
        v = entry.version
        entry.created_by = who(v.created_by) if v.created_by_id else ""
        entry.submitted_by = who(v.submitted_by) if v.submitted_by_id else ""
        entry.reviewed_by = who(v.reviewed_by) if v.reviewed_by_id else ""
    return render(
        request,
        "courses/history/history.html",
        {
            "course": course,
            "entries": entries,
            "events": _events(course),
            "light": lights.light_for(course),
            "can_manage": permissions.can_manage(request.user, course),
        },
    )
