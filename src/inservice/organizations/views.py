from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from inservice.accounts.permissions import Function
from inservice.core.access import public, staff_function
from inservice.core.errors import DomainError

from .forms import DirectoryFilterForm, UnitContactForm
from .models import Unit
from .routing import reviewing_center
from .selectors import normalise_query, search_units
from .services import can_edit_contact, update_unit_contact

PAGE_SIZE = 50
PICKER_LIMIT = 20


@public
def directory(request):
    form = DirectoryFilterForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        units = search_units(
            county=form.cleaned_data["county"],
            kind=form.cleaned_data["kind"] or None,
            q=form.cleaned_data["q"],
        )
    elif not form.is_bound:
        units = search_units()
    else:
        units = None
    if units is not None:
        page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "organizations/directory.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _is_own_unit(user, unit) -> bool:
    staff = getattr(user, "staff", None) if getattr(user, "kind", None) == "staff" else None
    return staff is not None and staff.unit_id == unit.pk


@public
def unit_detail(request, code):
    unit = get_object_or_404(Unit.objects.select_related("county", "parent"), code=code)
    try:
        center, routing_error = reviewing_center(unit), None
    except DomainError as error:
        center, routing_error = None, error.message
    children = unit.children.filter(is_active=True).order_by("code")
    return render(
        request,
        "organizations/unit_detail.html",
        {
            "unit": unit,
            "center": center,
            "routing_error": routing_error,
            "children": children,
            "can_edit": _is_own_unit(request.user, unit) and can_edit_contact(request.user, unit),
        },
    )


@public
def search(request):
    """Unit picker: JSON by default, `<option>` elements for htmx/datalist requests."""
    q = normalise_query(request.GET.get("q"))
    units = list(search_units(q=q)[:PICKER_LIMIT]) if q else []
    if request.headers.get("HX-Request"):
        return render(request, "organizations/_unit_options.html", {"units": units})
    return JsonResponse(
        {
            "results": [
                {
                    "code": u.code,
                    "name": u.name,
                    "county": u.county.name if u.county else "",
                }
                for u in units
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )


@staff_function(Function.EDIT_UNIT_CONTACT)
def edit_contact(request):
    # The unit is always the staff member's own: no unit ever comes from the request.
    unit = request.user.staff.unit
    if request.method == "POST":
        form = UnitContactForm(request.POST)
        if form.is_valid():
            try:
                update_unit_contact(actor=request.user, unit=unit, data=form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("已更新本單位通訊資料。"))
                return redirect("organizations:unit_detail", code=unit.code)
    else:
        form = UnitContactForm(initial={f: getattr(unit, f) for f in UnitContactForm.base_fields})
    return render(request, "organizations/edit_contact.html", {"form": form, "unit": unit})
