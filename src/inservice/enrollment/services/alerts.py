"""Favourites (收藏追蹤) and saved searches (研習訂閱), and the jobs that mail their alerts.

Favourite alerts (job every 10 minutes, `send_favourite_alerts`):
- *registration opens*: once per favourite, when the window is open and the course was starred
  before it opened (starring an already open course sends nothing: the teacher sees it open);
- *seats free up*: while the window is open and the teacher has not registered, the job notes
  when it sees the course full (admitted ≥ capacity, or anyone waitlisted); a later run that finds
  a free seat and nobody waiting mails once and clears the note. So one mail per freeing, as seen
  by the job; a seat freed and retaken between two runs goes unnoticed (by design: it is gone).

Saved searches (daily job, `send_search_digests`): courses first published after the last
digest (or the saving) that match the saved county, category and keyword; one mail per saved
search with matches, each with a one-click unsubscribe link (GET confirms, POST unsubscribes, so
mail scanners prefetching links do not unsubscribe anyone).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inservice.core.audit import log_event
from inservice.core.errors import DomainError
from inservice.courses.models import Course, CourseStatus
from inservice.notifications.services import mail_user

from ..models import (
    ACTIVE_STATUSES,
    Favourite,
    Registration,
    RegistrationStatus,
    SavedSearch,
)

MAX_SAVED_SEARCHES = 20
DIGEST_LIMIT = 30  # courses listed in one digest mail (the rest: a link to the search)
# Search parameters a saved search keeps (the course search page's GET parameters).
SEARCH_KEYS = {
    "q",
    "county",
    "unit",
    "category",
    "topic",
    "level",
    "tag",
    "stage",
    "class_type",
    "delivery",
    "slot",
    "open",
    "sort",
    "date_from",
    "date_to",
}


def _teacher(actor):
    teacher = getattr(actor, "teacher", None)
    if teacher is None:
        raise DomainError(_("只有教師帳號可以使用收藏與訂閱功能。"))
    return teacher


# --- Favourites ------------------------------------------------------------------------------


def is_starred(teacher, course: Course) -> bool:
    return Favourite.objects.filter(teacher=teacher, course=course).exists()


def star(*, actor, course: Course) -> Favourite:
    teacher = _teacher(actor)
    if course.status != CourseStatus.PUBLISHED or course.published_id is None:
        raise DomainError(_("只能收藏已公告且尚未結束的研習課程。"))
    with transaction.atomic():
        favourite, created = Favourite.objects.get_or_create(teacher=teacher, course=course)
        if created:
            log_event("enrollment.favourite_added", actor=actor, obj=favourite)
    return favourite


def unstar(*, actor, course: Course) -> bool:
    teacher = _teacher(actor)
    with transaction.atomic():
        favourite = Favourite.objects.filter(teacher=teacher, course=course).first()
        if favourite is None:
            return False
        log_event("enrollment.favourite_removed", actor=actor, obj=favourite)
        favourite.delete()
    return True


def _window_open(version, now) -> bool:
    opens, closes = version.registration_opens, version.registration_closes
    return opens is not None and closes is not None and opens <= now < closes


def send_favourite_alerts(now: datetime.datetime | None = None) -> dict:
    """Mail 'registration opened' and 'seats freed' alerts for starred courses."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    registered = Registration.objects.filter(
        course=OuterRef("course"), teacher=OuterRef("teacher"), status__in=ACTIVE_STATUSES
    )
    favourites = (
        Favourite.objects.filter(
            course__status=CourseStatus.PUBLISHED,
            course__published__registration_start__lte=today,
            course__published__registration_end__gte=today,
            teacher__user__isnull=False,
            teacher__user__is_active=True,
        )
        .annotate(registered=Exists(registered))
        .select_related("course", "course__published", "course__unit", "teacher__user")
        .order_by("pk")
    )
    course_ids = {f.course_id for f in favourites}
    counts = {
        row["pk"]: row
        for row in Course.objects.filter(pk__in=course_ids)
        .annotate(
            admitted=Count("registrations", filter=Q(registrations__status="admitted")),
            waiting=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)
            ),
        )
        .values("pk", "admitted", "waiting")
    }
    sent = {"opening": 0, "seats": 0}
    for favourite in favourites:
        course, version = favourite.course, favourite.course.published
        if not _window_open(version, now):
            continue
        with transaction.atomic():
            fields = []
            user = favourite.teacher.user
            if favourite.alert_opening_sent_at is None:
                favourite.alert_opening_sent_at = now
                fields.append("alert_opening_sent_at")
                if favourite.created_at < version.registration_opens and not favourite.registered:
                    mail_user(user, "alert_registration_open", _mail_context(course, version))
                    sent["opening"] += 1
            if not favourite.registered and version.capacity > 0:
                row = counts.get(course.pk, {"admitted": 0, "waiting": 0})
                full = row["admitted"] >= version.capacity or row["waiting"] > 0
                if full and favourite.seen_full_at is None:
                    favourite.seen_full_at = now
                    fields.append("seen_full_at")
                elif not full and favourite.seen_full_at is not None:
                    favourite.seen_full_at = None
                    favourite.alert_seats_sent_at = now
                    fields += ["seen_full_at", "alert_seats_sent_at"]
                    context = _mail_context(course, version)
                    context["seats_left"] = version.capacity - row["admitted"]
                    mail_user(user, "alert_seats_free", context)
                    sent["seats"] += 1
            if fields:
                favourite.save(update_fields=fields)
    return sent


def _mail_context(course, version):
    from django.conf import settings
    from django.urls import reverse

    site = settings.SITE_URL.rstrip("/")
    return {
        "course": course,
        "version": version,
        "course_url": site + reverse("courses:public_detail", args=[course.code]),
        "favourites_url": site + reverse("enrollment:favourites"),
    }


# --- Saved searches -----------------------------------------------------------------------------


def clean_params(query) -> dict:
    """The search parameters worth keeping from a QueryDict or dict (no page number, no
    unknown keys, no empty values); multi-valued parameters stay lists."""
    getlist = query.getlist if hasattr(query, "getlist") else None
    params = {}
    for key in sorted(SEARCH_KEYS):
        if getlist is not None:
            values = [v.strip()[:100] for v in getlist(key) if v and v.strip()]
        else:
            raw = query.get(key)
            raw = raw if isinstance(raw, list) else [raw]
            values = [str(v).strip()[:100] for v in raw if v not in (None, "")]
        if values:
            params[key] = values if len(values) > 1 else values[0]
    return params


def _values(params: dict, key: str) -> list[str]:
    value = params.get(key)
    if value in (None, ""):
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def save_search(*, actor, name: str, params: dict) -> SavedSearch:
    teacher = _teacher(actor)
    params = clean_params(params)
    if not params:
        raise DomainError(_("請先設定搜尋條件（例如縣市、進修範疇或關鍵字）再訂閱。"))
    name = (name or "").strip()[:60] or _default_name(params)
    with transaction.atomic():
        if SavedSearch.objects.filter(teacher=teacher, active=True).count() >= MAX_SAVED_SEARCHES:
            raise DomainError(
                _("訂閱已達 %(max)d 筆上限，請先刪除不需要的訂閱。") % {"max": MAX_SAVED_SEARCHES}
            )
        saved = SavedSearch.objects.create(teacher=teacher, name=name, params=params)
        log_event("enrollment.search_saved", actor=actor, obj=saved, data={"params": params})
    return saved


def _default_name(params: dict) -> str:
    q = _values(params, "q")
    return str(_("關鍵字：%(q)s") % {"q": q[0]}) if q else str(_("我的研習訂閱"))


def delete_search(*, actor, saved: SavedSearch):
    if saved.teacher_id != _teacher(actor).pk:
        raise DomainError(_("找不到這筆訂閱。"))
    with transaction.atomic():
        log_event("enrollment.search_deleted", actor=actor, obj=saved)
        saved.delete()


def unsubscribe(*, token: str) -> SavedSearch | None:
    """One-click unsubscribe from the digest link (no login: the token is the proof)."""
    with transaction.atomic():
        saved = SavedSearch.objects.select_for_update().filter(unsubscribe_token=token).first()
        if saved is None:
            return None
        if saved.active:
            saved.active = False
            saved.save(update_fields=["active"])
            log_event("enrollment.search_unsubscribed", obj=saved)
    return saved


def matches(saved: SavedSearch, *, since, until):
    """Courses first published in (since, until] matching the saved county, category and
    keyword (in the course name) — a simple portable query on `courses.Course`."""
    params = saved.params or {}
    qs = Course.objects.filter(
        status=CourseStatus.PUBLISHED,
        published__isnull=False,
        published_at__gt=since,
        published_at__lte=until,
    )
    counties = _values(params, "county")
    if counties:
        qs = qs.filter(unit__county__code__in=counties)
    categories = _values(params, "category")
    if categories:
        qs = qs.filter(published__category__in=categories)
    for word in _values(params, "q")[:1]:
        for term in word.split()[:5]:
            qs = qs.filter(name__icontains=term)
    return qs.select_related("unit", "published").order_by("start_date", "code")


def send_search_digests(now: datetime.datetime | None = None) -> int:
    """One mail per active saved search with new matches; returns the number of mails."""
    from django.conf import settings
    from django.urls import reverse

    now = now or timezone.now()
    site = settings.SITE_URL.rstrip("/")
    mails = 0
    searches = (
        SavedSearch.objects.filter(
            active=True, teacher__user__isnull=False, teacher__user__is_active=True
        )
        .select_related("teacher__user")
        .order_by("pk")
    )
    for saved in searches.iterator():
        since = saved.last_sent_at or saved.created_at
        found = matches(saved, since=since, until=now)
        courses = list(found[: DIGEST_LIMIT + 1])
        with transaction.atomic():
            if courses:
                unsubscribe_url = site + reverse(
                    "enrollment:unsubscribe", args=[saved.unsubscribe_token]
                )
                mail_user(
                    saved.teacher.user,
                    "alert_search_digest",
                    {
                        "saved": saved,
                        "courses": [
                            (c, site + reverse("courses:public_detail", args=[c.code]))
                            for c in courses[:DIGEST_LIMIT]
                        ],
                        "more": len(courses) > DIGEST_LIMIT,
                        "total": found.count() if len(courses) > DIGEST_LIMIT else len(courses),
                        "search_url": site + search_path(saved),
                        "unsubscribe_url": unsubscribe_url,
                    },
                    # RFC 8058 one-click unsubscribe for mail clients.
                    headers={
                        "List-Unsubscribe": f"<{unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                )
                mails += 1
            SavedSearch.objects.filter(pk=saved.pk).update(last_sent_at=now)
    return mails


def search_path(saved: SavedSearch) -> str:
    from urllib.parse import urlencode

    from django.urls import reverse

    return reverse("course_search") + "?" + urlencode(saved.params or {}, doseq=True)
