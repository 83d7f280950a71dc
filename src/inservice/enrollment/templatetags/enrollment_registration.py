"""The registration panel of the public course page: seats, waitlist, the register button."""

from django import template
from django.utils import timezone

from ..models import (
    ACTIVE_STATUSES,
    AdmissionMode,
    EnrollmentOptions,
    Registration,
    RegistrationStatus,
)
from ..services import registration as services

register = template.Library()


@register.inclusion_tag("enrollment/registration/_panel_body.html", takes_context=True)
def registration_panel(context, course, version):
    user = context["request"].user
    # No write on a GET: an unsaved default stands in until the organizer saves options.
    options = EnrollmentOptions.objects.filter(course=course).first() or EnrollmentOptions(
        course=course
    )
    admitted = services.admitted_count(course)
    waiting = Registration.objects.filter(
        course=course, status=RegistrationStatus.WAITLISTED
    ).count()
    mine = None
    teacher = getattr(user, "teacher", None) if getattr(user, "is_teacher", False) else None
    if teacher is not None:
        mine = Registration.objects.filter(
            course=course, teacher=teacher, status__in=ACTIVE_STATUSES
        ).first()
        if mine is not None:
            mine.position = services.waitlist_position(mine)
    state = services.window_state(version, timezone.now())
    return {
        "request": context["request"],
        "user": user,
        "course": course,
        "version": version,
        "options": options,
        "lottery": options.mode == AdmissionMode.LOTTERY,
        "seats_left": max(version.capacity - admitted, 0),
        "waiting": waiting,
        "state": state,
        "mine": mine,
        "is_teacher": teacher is not None,
        "has_unit": teacher is not None and teacher.serving_unit_id is not None,
        "csrf_token": context.get("csrf_token"),
    }
