"""Favourites (收藏追蹤) and saved searches (研習訂閱): star, lists, one-click unsubscribe."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from inservice.core.access import public, teacher
from inservice.core.errors import DomainError
from inservice.courses import lights
from inservice.courses.models import Course

from .models import Favourite, SavedSearch
from .services import alerts


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _star_response(request, course, starred: bool):
    if request.headers.get("HX-Request"):
        return render(
            request,
            "enrollment/alerts/_star.html",
            {"course": course, "starred": starred, "next": request.POST.get("next", "")},
        )
    return _back(request, reverse("courses:public_detail", args=[course.code]))


@teacher
@require_POST
def star(request, code):
    # Drafts and courses under first review are not public: 404, as on the course page.
    course = get_object_or_404(Course, code=code, published__isnull=False)
    try:
        alerts.star(actor=request.user, course=course)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _star_response(request, course, False)
    if not request.headers.get("HX-Request"):
        messages.success(request, _("已收藏「%(name)s」。") % {"name": course.name})
    return _star_response(request, course, True)


@teacher
@require_POST
def unstar(request, code):
    course = get_object_or_404(Course, code=code)
    alerts.unstar(actor=request.user, course=course)
    if not request.headers.get("HX-Request"):
        messages.success(request, _("已取消收藏「%(name)s」。") % {"name": course.name})
    return _star_response(request, course, False)


@teacher
def favourites(request):
    now = timezone.now()
    rows = []
    for favourite in (
        Favourite.objects.filter(teacher=request.user.teacher)
        .select_related("course", "course__unit", "course__published")
        .order_by("course__start_date", "course__code")
    ):
        course = favourite.course
        state = lights.registration_state(course.published, now) if course.published else ""
        rows.append({"course": course, "state": state})
    return render(request, "enrollment/alerts/favourites.html", {"rows": rows})


@teacher
def searches(request):
    saved = SavedSearch.objects.filter(teacher=request.user.teacher, active=True).order_by(
        "-created_at"
    )
    rows = [(s, alerts.search_path(s)) for s in saved]
    return render(request, "enrollment/alerts/searches.html", {"rows": rows})


@teacher
@require_POST
def save_search(request):
    """From the search page: the current GET parameters come as hidden fields."""
    try:
        saved = alerts.save_search(
            actor=request.user, name=request.POST.get("name", ""), params=request.POST
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back(request, reverse("enrollment:searches"))
    messages.success(
        request,
        _("已訂閱「%(name)s」：有符合條件的新課程公告時，每天寄一封通知信給您。")
        % {"name": saved.name},
    )
    return redirect("enrollment:searches")


@teacher
@require_POST
def delete_search(request, pk):
    saved = get_object_or_404(SavedSearch, pk=pk, teacher=request.user.teacher)
    alerts.delete_search(actor=request.user, saved=saved)
    messages.success(request, _("已刪除訂閱「%(name)s」。") % {"name": saved.name})
    return redirect("enrollment:searches")


@public
@csrf_exempt  # RFC 8058 one-click POSTs come from mail clients; the random token is the proof
def unsubscribe(request, token):
    """GET shows a confirm button (mail scanners prefetch links); POST unsubscribes."""
    saved = SavedSearch.objects.filter(unsubscribe_token=token).first()
    if saved is None:
        raise Http404
    done = False
    if request.method == "POST":
        alerts.unsubscribe(token=token)
        done = True
    return render(
        request,
        "enrollment/alerts/unsubscribe.html",
        {"saved": saved, "done": done or not saved.active},
    )
