"""Cap exceptions, for the regional centers (研習課程資料確認) and the national center.

The list shows the days where the daily or weekly cap withheld hours, within the center's
reach; a day outside the reach is a 404 (its existence is not revealed). The service decides.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inservice.accounts.permissions import Function
from inservice.core.access import staff_function
from inservice.core.errors import DomainError, add_to_form

from .hours import DAILY_CAP, WEEKLY_CAP
from .selectors_caps import reachable_days, withheld_days
from .services.exceptions import grant_exception

PAGE_SIZE = 50


class GrantForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("核准理由（必填，留存稽核紀錄）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("請填寫核准例外的理由。")},
    )


@staff_function(Function.COURSE_REVIEW)
def withheld_list(request):
    page = Paginator(withheld_days(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "records/caps/withheld_list.html",
        {"page": page, "daily_cap": DAILY_CAP, "weekly_cap": WEEKLY_CAP},
    )


@staff_function(Function.COURSE_REVIEW)
def grant(request, day_id: int):
    day = reachable_days(request.user).filter(pk=day_id).first()
    if day is None:
        raise Http404(_("找不到這筆研習日時數，或它不在本中心的審核範圍內。"))
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant_exception(actor=request.user, day=day, reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("已核准 %(teacher)s 於 %(date)s 的時數上限例外，%(hours)s 小時全數採計。")
                % {
                    "teacher": day.teacher.name,
                    "date": day.date.isoformat(),
                    "hours": day.hours_requested.normalize(),
                },
            )
            return redirect("records:hours_withheld")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "records/caps/grant.html", {"day": day, "form": form}, status=status)
