"""Calendar pages: .ics downloads, the QR code image, the private feed and its page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inservice.core.access import public, teacher

from .models import CalendarFeed, Registration, RegistrationStatus
from .services import calendar

# Registrations whose course has a calendar entry for the teacher (cancelled ones show as such).
CALENDAR_STATUSES = calendar.FEED_STATUSES


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _own_registration(request, pk) -> Registration:
    """The teacher's own registration with a published course; anyone else's is a 404."""
    return get_object_or_404(
        Registration.objects.select_related("course", "course__unit", "course__published"),
        pk=pk,
        teacher=request.user.teacher,
        status__in=CALENDAR_STATUSES,
        course__published__isnull=False,
    )


@teacher
def registration_ics(request, pk):
    registration = _own_registration(request, pk)
    return _ics_response(
        calendar.registration_ics(registration), f"course-{registration.course.code}.ics"
    )


@teacher
def course_ics(request, code):
    """For a teacher admitted to the course (anyone else: 404)."""
    registration = get_object_or_404(
        Registration.objects.select_related("course", "course__unit", "course__published"),
        course__code=code,
        teacher=request.user.teacher,
        status=RegistrationStatus.ADMITTED,
        course__published__isnull=False,
    )
    return _ics_response(calendar.registration_ics(registration), f"course-{code}.ics")


@teacher
def registration_qr(request, pk):
    registration = _own_registration(request, pk)
    png = calendar.qr_png(calendar.google_calendar_url(registration.course))
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = (
        f'attachment; filename="course-{registration.course.code}-calendar-qr.png"'
    )
    return response


@public
def feed(request, token):
    """The private feed: the random token in the URL is its only protection."""
    if len(token) < 20:
        raise Http404
    feed = get_object_or_404(CalendarFeed.objects.select_related("teacher"), token=token)
    response = HttpResponse(calendar.feed_ics(feed), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response


@teacher
def my_calendar(request):
    me = request.user.teacher
    feed = calendar.feed_for(me)
    registrations = [
        r for r in calendar.feed_registrations(me) if r.status == RegistrationStatus.ADMITTED
    ]
    return render(
        request,
        "enrollment/calendar/my_calendar.html",
        {
            "feed_url": request.build_absolute_uri(calendar.feed_path(feed)),
            "registrations": registrations,
        },
    )


@teacher
@require_POST
def revoke(request):
    calendar.revoke_feed(actor=request.user, teacher=request.user.teacher)
    messages.success(
        request, _("已產生新的行事曆訂閱網址，舊網址已停用；請在行事曆程式中改用新網址訂閱。")
    )
    return redirect("enrollment:my_calendar")
