"""Sign-in sheets and lists of one course, for the organizer's staff (xlsx or PDF).

Staff of other units get 404 (the course's existence is not revealed), as on the other
organizer pages; accounts without the function get 403.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from inservice.accounts.permissions import Function
from inservice.core.access import staff_function
from inservice.core.errors import NotFoundError
from inservice.courses import permissions
from inservice.courses.models import Course

from .services import sheets

COURSE_MANAGE = staff_function(Function.COURSE_MANAGE)


def _own_course(request, code) -> Course:
    course = get_object_or_404(
        Course.objects.select_related("unit", "published"),
        code=code,
    )
    if not permissions.can_manage(request.user, course):
        raise Http404
    return course


@COURSE_MANAGE
def sheet_list(request, code):
    course = _own_course(request, code)
    return render(
        request,
        "attendance/sheets/list.html",
        {"course": course, "kinds": sheets.kinds(), "available": course.published is not None},
    )


@COURSE_MANAGE
def sheet_download(request, code, kind, fmt):
    course = _own_course(request, code)
    try:
        document = sheets.export(actor=request.user, course=course, slug=kind, fmt=fmt)
    except NotFoundError as exc:
        raise Http404(str(exc.message)) from exc
    response = HttpResponse(document.content, content_type=document.content_type)
    response["Content-Disposition"] = document.content_disposition
    response["Cache-Control"] = "private, no-store"
    return response
