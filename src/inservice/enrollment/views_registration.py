"""Registration pages: register (from the course page), my registrations, the organizer's
registrant list and controls, and the public lottery draw page. Views are thin: the rules
live in `services.registration` and `services.lottery`."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from inservice.accounts.permissions import Function
from inservice.core.access import public, staff_function, teacher
from inservice.core.errors import DomainError, add_to_form
from inservice.courses import permissions as course_permissions
from inservice.courses.models import Course

from .forms import OptionsForm, RemoveForm
from .models import ACTIVE_STATUSES, AdmissionMode, Registration, RegistrationStatus
from .services import lottery
from .services import registration as services

# --- teachers -----------------------------------------------------------------------------------


@require_POST
@teacher(needs_unit=True)
def register(request, code):
    course = services.course_to_register(code, request.user.teacher)
    if course is None:
        raise Http404
    try:
        result = services.register(actor=request.user, course=course, course_loaded=True)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("courses:public_detail", code=code)
    for warning in result.warnings:
        messages.warning(request, warning)
    return redirect("enrollment:my_registration", pk=result.registration.pk)


def _own(request, pk) -> Registration:
    """The teacher's own registration; anyone else's is 404."""
    return get_object_or_404(
        Registration.objects.select_related("course__published", "course__unit"),
        pk=pk,
        teacher=request.user.teacher,
    )


@teacher
def my_registration(request, pk):
    registration = _own(request, pk)
    return render(
        request,
        "enrollment/registration/detail.html",
        {
            "registration": registration,
            "course": registration.course,
            "version": registration.course.published,
            "position": services.waitlist_position(registration),
            "can_cancel": _can_cancel(registration),
        },
    )


def _can_cancel(registration, now=None) -> bool:
    version = registration.course.published
    closes = version.registration_closes if version is not None else None
    return registration.status in ACTIVE_STATUSES and (
        closes is None or (now or timezone.now()) < closes
    )


@require_POST
@teacher
def cancel(request, pk):
    registration = _own(request, pk)
    try:
        services.cancel_registration(actor=request.user, registration=registration)
        messages.success(request, _msg_cancelled())
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("enrollment:my_registrations")


def _msg_cancelled():
    from django.utils.translation import gettext as _

    return _("已取消報名。")


@teacher
def my_registrations(request):
    today = timezone.localdate()
    rows = list(
        Registration.objects.filter(teacher=request.user.teacher)
        .select_related("course__published", "course__unit")
        .order_by("-course__start_date", "-queued_at")
    )
    upcoming, past = [], []
    for r in rows:
        r.position = services.waitlist_position(r)
        r.can_cancel = _can_cancel(r)
        end = r.course.end_date or r.course.start_date
        (past if end is not None and end < today else upcoming).append(r)
    upcoming.reverse()  # soonest first
    return render(
        request,
        "enrollment/registration/my_registrations.html",
        {"upcoming": upcoming, "past": past},
    )


# --- organizers --------------------------------------------------------------------------------


def _managed_course(request, code) -> Course:
    """The course of the organizer's own unit; other units' courses are 404."""
    course = get_object_or_404(
        Course.objects.select_related("published", "unit", "unit__county"), code=code
    )
    if not course_permissions.can_manage(request.user, course) or course.published is None:
        raise Http404
    return course


def _manage_context(course, options_form=None):
    options = services.options_for(course)
    registrations = list(
        Registration.objects.filter(course=course)
        .select_related("teacher__serving_unit")
        .order_by("queued_at", "id")
    )
    admitted = [r for r in registrations if r.status == RegistrationStatus.ADMITTED]
    waiting = [r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    for position, r in enumerate(waiting, start=1):
        r.position = position
    applied = [r for r in registrations if r.status == RegistrationStatus.APPLIED]
    others = [r for r in registrations if r.status not in ACTIVE_STATUSES]
    initial = {
        "mode": options.mode,
        "allow_waitlist": options.allow_waitlist,
        "restriction": options.restriction,
        "priority_groups": options.priority_groups,
    }
    return {
        "course": course,
        "version": course.published,
        "options": options,
        "admitted": admitted,
        "waiting": waiting,
        "applied": applied,
        "others": others,
        "seats_left": max(course.published.capacity - len(admitted), 0),
        "options_form": options_form or OptionsForm(initial=initial),
        "remove_form": RemoveForm(),
    }


@staff_function(Function.COURSE_MANAGE)
def manage(request, code):
    course = _managed_course(request, code)
    return render(request, "enrollment/registration/manage.html", _manage_context(course))


@require_POST
@staff_function(Function.COURSE_MANAGE)
def manage_options(request, code):
    course = _managed_course(request, code)
    form = OptionsForm(request.POST)
    if form.is_valid():
        try:
            services.set_options(actor=request.user, course=course, **form.cleaned_data)
            from django.utils.translation import gettext as _

            messages.success(request, _("報名設定已儲存。"))
            return redirect("enrollment:manage", code=code)
        except DomainError as exc:
            add_to_form(form, exc)
    return render(
        request, "enrollment/registration/manage.html", _manage_context(course, form), status=400
    )


def _managed_registration(request, code, pk):
    course = _managed_course(request, code)
    return course, get_object_or_404(Registration, pk=pk, course=course)


@require_POST
@staff_function(Function.COURSE_MANAGE)
def manage_action(request, code, pk, action):
    course, registration = _managed_registration(request, code, pk)
    try:
        if action == "admit":
            services.admit_from_waitlist(actor=request.user, registration=registration)
        elif action in ("up", "down"):
            services.move_in_waitlist(
                actor=request.user, registration=registration, direction=action
            )
        elif action == "remove":
            form = RemoveForm(request.POST)
            if not form.is_valid():
                from django.utils.translation import gettext as _

                messages.error(request, _("請填寫移除原因，系統會通知該教師。"))
                return redirect("enrollment:manage", code=code)
            services.remove_registration(
                actor=request.user, registration=registration, reason=form.cleaned_data["reason"]
            )
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("enrollment:manage", code=code)


# --- the public draw page ----------------------------------------------------------------------


@public
def draw_page(request, code):
    course = get_object_or_404(Course.objects.select_related("published", "unit"), code=code)
    if course.published is None:
        raise Http404
    options = services.options_for(course)
    if options.mode != AdmissionMode.LOTTERY and options.drawn_at is None:
        raise Http404
    rows = []
    if options.drawn_at is not None:
        rows = list(
            Registration.objects.filter(course=course, draw_rank__isnull=False)
            .select_related("teacher")
            .order_by("draw_rank")
        )
    groups = [
        dict(services.PRIORITY_GROUP_CHOICES).get(g, g) for g in options.priority_groups or []
    ]
    return render(
        request,
        "enrollment/registration/draw.html",
        {
            "course": course,
            "version": course.published,
            "options": options,
            "rows": rows,
            "groups": groups,
            "group_codes": options.priority_groups or [],
            "algorithm": lottery.__doc__,
        },
    )
