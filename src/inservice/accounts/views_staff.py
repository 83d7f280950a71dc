"""Staff-account pages: apply, decide applications, manage the unit's accounts.

Thin views: parse, call services/staff.py, render. Every object check is in the service
(`can_decide`, `can_manage`, `can_supervise`); a refusal becomes a 403 page with its reason.
"""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inservice.core.access import authenticated, public, staff_function
from inservice.core.errors import DomainError, PermissionDeniedError, add_to_form
from inservice.organizations.models import Unit

from .forms_staff import DecisionForm, RoleForm, StaffApplicationForm, StatusForm, UnitSearchForm
from .models import StaffProfile, StaffRole, StaffStatus, User
from .permissions import FUNCTION_GROUPS, FUNCTION_LABELS, Function, can
from .services import staff as service

# Where a menu entry of the staff home leads. Functions built elsewhere add their URL name
# here; an entry whose URL does not exist (yet) is listed without a link.
FUNCTION_URLS: dict[Function, str] = {
    Function.OWN_STAFF_ACCOUNTS: "accounts:staff_unit",
    Function.SUBORDINATE_ACCOUNTS: "accounts:staff_subordinates",
    Function.EDIT_UNIT_CONTACT: "organizations:edit_contact",
    Function.OWN_TEACHER_ACCOUNTS: "accounts:unit_teachers",
    Function.TEACHER_DATA_ENTRY: "accounts:unit_teacher_new",
    Function.EDIT_PROFILE: "accounts:profile",
    Function.CHANGE_PASSWORD: "accounts:password_change",
    Function.COURSE_REGISTER: "courses:create",
    Function.COURSE_MANAGE: "courses:unit_list",
    Function.OWN_COURSE_LIST: "courses:unit_list",
    Function.COURSE_REVIEW: "courses:review_queue",
    Function.AUTOREVIEW_SETTINGS: "courses:autoreview_settings",
    Function.AUTOREVIEW_BROWSE: "courses:autoreview_log",
}

# Pages beyond the matrix's own entries, shown under the function that opens them.
RECORD_LINKS: list[tuple[Function, str, str]] = [
    (Function.OWN_TEACHER_ACCOUNTS, "records:school_records", gettext_lazy("本校教師研習紀錄")),
    (Function.COURSE_REVIEW, "attendance:list_review_queue", gettext_lazy("研習名單確認")),
    (Function.COURSE_REVIEW, "records:hours_withheld", gettext_lazy("時數上限例外核准")),
    (Function.COURSE_REVIEW, "records:center_records", gettext_lazy("轄區教師研習紀錄")),
]


def _denied(request, message):
    return render(request, "accounts/staff/denied.html", {"message": message}, status=403)


def _back(request, default: str):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _staff_profile(user):
    return getattr(user, "staff", None) if user.kind == User.Kind.STAFF else None


def _profile_or_404(pk):
    return get_object_or_404(StaffProfile.objects.select_related("user", "unit"), pk=pk)


def _url_for(function):
    name = FUNCTION_URLS.get(function)
    if not name:
        return None
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# --------------------------------------------------------------------------- applying


@public
def apply(request):
    form = StaffApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile = service.apply_for_staff_account(
                actor=None,
                unit_code=data["unit_code"],
                role=data["role"],
                real_name=data["real_name"],
                username=data["username"],
                email=data["email"],
                password=data["password"],
                phone=data["phone"],
                job_title=data["job_title"],
            )
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            request.session["staff_applied"] = {
                "unit": profile.unit.name,
                "role": str(profile.get_role_display()),
                "approver": str(service.approval_path(profile).label),
                "email": profile.user.email,
            }
            return redirect("accounts:staff_apply_done")
    return render(request, "accounts/staff/apply.html", {"form": form})


@public
def apply_done(request):
    applied = request.session.pop("staff_applied", None)
    return render(request, "accounts/staff/apply_done.html", {"applied": applied})


# --------------------------------------------------------------------------- home


@authenticated
def home(request):
    user = request.user
    profile = _staff_profile(user)
    if profile is None and not user.is_superuser:
        return _denied(request, _("這是業務帳號的首頁；您目前登入的不是業務帳號。"))
    menu = []
    for label, functions in FUNCTION_GROUPS:
        entries = [
            {"label": FUNCTION_LABELS[f], "url": _url_for(f)} for f in functions if can(user, f)
        ]
        if entries:
            menu.append({"label": label, "entries": entries})
    records_entries = [
        {"label": label, "url": reverse(name)}
        for function, name, label in RECORD_LINKS
        if can(user, function)
    ]
    if records_entries:
        menu.append({"label": _("研習名單與研習紀錄"), "entries": records_entries})
    context = {
        "profile": profile,
        "menu": menu,
        "pending": service.applications_for(user),
        "path": service.approval_path(profile)
        if profile is not None and profile.status == StaffStatus.PENDING
        else None,
    }
    return render(request, "accounts/staff/home.html", context)


# --------------------------------------------------------------------------- deciding


@authenticated
def applications(request):
    user = request.user
    if _staff_profile(user) is None and not user.is_superuser:
        return _denied(request, _("只有業務帳號可以審核業務帳號申請。"))
    return render(
        request,
        "accounts/staff/applications.html",
        {"applications": service.applications_for(user)},
    )


@authenticated
@require_POST
def decide(request, pk):
    profile = _profile_or_404(pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("請選擇核准或退回。"))
        return _back(request, "accounts:staff_applications")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        service.decide_application(
            actor=request.user, profile=profile, approve=approve, reason=form.cleaned_data["reason"]
        )
    except PermissionDeniedError as exc:
        return _denied(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        name = profile.user.real_name
        if approve:
            messages.success(request, _("已核准 %(name)s 的業務帳號申請。") % {"name": name})
        else:
            messages.success(request, _("已退回 %(name)s 的業務帳號申請。") % {"name": name})
    return _back(request, "accounts:staff_applications")


# --------------------------------------------------------------------------- unit accounts


def _rows(user, unit):
    return [{"profile": p, "manage": service.can_manage(user, p)} for p in service.unit_staff(unit)]


@staff_function(Function.OWN_STAFF_ACCOUNTS)
def unit_staff(request):
    unit = request.user.staff.unit
    context = {
        "unit": unit,
        "rows": _rows(request.user, unit),
        "as_authority": False,
        "here": reverse("accounts:staff_unit"),
    }
    return render(request, "accounts/staff/unit_staff.html", context)


@staff_function(Function.SUBORDINATE_ACCOUNTS)
def subordinates(request):
    form = UnitSearchForm(request.GET or None)
    units = []
    searched = False
    if form.is_valid() and form.cleaned_data["q"].strip():
        searched = True
        q = form.cleaned_data["q"].strip()
        candidates = (
            service.supervised_units(request.user)
            .filter(Q(code__iexact=q) | Q(name__icontains=q))
            .select_related("county")
            .order_by("code")[:50]
        )
        # The query narrows; the per-unit rule decides (the same one the actions use).
        units = [u for u in candidates if service.can_supervise(request.user, u)]
    return render(
        request,
        "accounts/staff/subordinates.html",
        {"form": form, "units": units, "searched": searched},
    )


@authenticated
def unit_accounts(request, code):
    unit = get_object_or_404(Unit, code=code)
    if not service.can_supervise(request.user, unit):
        raise Http404
    context = {
        "unit": unit,
        "rows": _rows(request.user, unit),
        "as_authority": True,
        "here": reverse("accounts:staff_unit_accounts", args=[unit.code]),
    }
    return render(request, "accounts/staff/unit_staff.html", context)


def _default_after_action(profile):
    return reverse("accounts:staff_unit_accounts", args=[profile.unit.code])


@authenticated
@require_POST
def change_role(request, pk):
    profile = _profile_or_404(pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        if request.POST.get("role") == StaffRole.CHIEF:
            return _denied(request, service.CHIEF_IS_AUTHORITYS_ACT)
        messages.error(request, _("請選擇連絡人或作業人員。"))
        return _back(request, _default_after_action(profile))
    try:
        service.change_role(actor=request.user, profile=profile, role=form.cleaned_data["role"])
    except PermissionDeniedError as exc:
        return _denied(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s 的帳號類別已改為%(role)s。")
            % {"name": profile.user.real_name, "role": StaffRole(form.cleaned_data["role"]).label},
        )
    return _back(request, _default_after_action(profile))


@authenticated
@require_POST
def set_status(request, pk):
    profile = _profile_or_404(pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("請選擇停用或重新啟用。"))
        return _back(request, _default_after_action(profile))
    try:
        if form.cleaned_data["action"] == "deactivate":
            service.deactivate(
                actor=request.user, profile=profile, reason=form.cleaned_data["reason"]
            )
            done = _("已停用 %(name)s 的業務帳號。")
        else:
            service.reactivate(actor=request.user, profile=profile)
            done = _("已重新啟用 %(name)s 的業務帳號。")
    except PermissionDeniedError as exc:
        return _denied(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"name": profile.user.real_name})
    return _back(request, _default_after_action(profile))


@authenticated
@require_POST
def make_chief(request, pk):
    profile = _profile_or_404(pk)
    try:
        service.transfer_chief(actor=request.user, profile=profile)
    except PermissionDeniedError as exc:
        return _denied(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s 已成為「%(unit)s」的總負責人，原總負責人改為連絡人。")
            % {"name": profile.user.real_name, "unit": profile.unit.name},
        )
    return _back(request, _default_after_action(profile))
