"""Lottery admission (抽籤錄取) with a verifiable draw.

Commitment. When an organizer chooses lottery mode (only possible before registration opens),
or at the latest when the window opens or the first application arrives, a random seed of
32 bytes is generated: `seed` is its 64-character lowercase hex text, and the SHA-256 of
that text (`sha256(seed.encode("ascii")).hexdigest()`, i.e. `printf %s SEED | sha256sum`)
is stored in `seed_commitment` and shown on the course page. The seed itself stays secret
until the draw.

The draw (`draw(course)`, run by the periodic job once registration has closed) publishes the
seed and, for every applicant, the personal identifier (教師個人專用識別號碼, not personal
data) and the priority group. Anyone can re-run it:

    groups = priority groups chosen by the organizer, e.g. ["own_unit", "target_titles"];
    every applicant belongs to the first group it matches, or to group len(groups) (others)
    order = []
    for g in range(len(groups) + 1):
        members = sorted(identifiers of applicants in group g)   # plain string sort
        random.Random(f"{seed}:{g}").shuffle(members)           # CPython's random module
        order += members
    the first `capacity` (classes × seats) in `order` are admitted; the rest are waitlisted
    in that order when the organizer allows a waitlist, otherwise not drawn.

Group rules: own_unit — the teacher's serving unit is the organizer; own_county — the serving
unit is in the organizer's county; target_titles — the teacher's title (15-x) is among the
course's target titles; target_stages — the school's stage (14-x) is among the target stages.
"""

from __future__ import annotations

import datetime
import hashlib
import random
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inservice.core.audit import log_event
from inservice.core.errors import DomainError
from inservice.courses.models import Course, CourseStatus

from ..models import AdmissionMode, EnrollmentOptions, Registration, RegistrationStatus
from .registration import STAGE_OF_UNIT_KIND, _lock_options, _mail, _recount


def commitment_of(seed: str) -> str:
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def ensure_commitment(options: EnrollmentOptions, *, save: bool = True) -> bool:
    """Generate and commit the seed if there is none yet (caller holds the lock)."""
    if options.seed_commitment:
        return False
    options.seed = secrets.token_bytes(32).hex()
    options.seed_commitment = commitment_of(options.seed)
    if save:
        options.save(update_fields=["seed", "seed_commitment"])
    log_event(
        "enrollment.seed_committed",
        obj=options.course,
        data={"commitment": options.seed_commitment},
    )
    return True


def group_of(teacher, course: Course, groups: list[str]) -> int:
    version = course.published
    unit = teacher.serving_unit
    for index, group in enumerate(groups):
        if group == "own_unit" and unit is not None and unit.pk == course.unit_id:
            return index
        if (
            group == "own_county"
            and unit is not None
            and unit.county_id is not None
            and unit.county_id == course.unit.county_id
        ):
            return index
        if group == "target_titles" and teacher.title and teacher.title in version.target_titles:
            return index
        if (
            group == "target_stages"
            and unit is not None
            and STAGE_OF_UNIT_KIND.get(unit.kind) in version.target_stages
        ):
            return index
    return len(groups)


def draw_order(seed: str, applicants: list[tuple[str, int]], group_count: int) -> list[str]:
    """The published algorithm: `applicants` are (personal identifier, group) pairs."""
    order: list[str] = []
    for group in range(group_count + 1):
        members = sorted(pid for pid, g in applicants if g == group)
        random.Random(f"{seed}:{group}").shuffle(members)
        order += members
    return order


@transaction.atomic
def commit_seed(course: Course) -> bool:
    options = _lock_options(course)
    if options.mode != AdmissionMode.LOTTERY:
        return False
    return ensure_commitment(options)


@transaction.atomic
def draw(course: Course, *, now=None) -> list[Registration]:
    """Reveal the seed and draw; the registrations in draw order."""
    now = now or timezone.now()
    course = Course.objects.select_related("published", "unit").get(pk=course.pk)
    options = _lock_options(course)
    if options.mode != AdmissionMode.LOTTERY:
        raise DomainError(_("此課程不是抽籤錄取。"), code="not_lottery")
    if options.drawn_at is not None:
        raise DomainError(_("此課程已完成抽籤。"), code="drawn")
    if course.status != CourseStatus.PUBLISHED or course.published is None:
        raise DomainError(_("此課程未在公告中，不能抽籤。"), code="not_published")
    version = course.published
    closes = version.registration_closes
    if closes is None or now < closes:
        raise DomainError(_("報名尚未截止，截止後才能抽籤。"), code="not_closed")
    ensure_commitment(options, save=False)
    groups = list(options.priority_groups or [])
    registrations = list(
        Registration.objects.filter(course=course, status=RegistrationStatus.APPLIED)
        .select_related("teacher__serving_unit", "teacher__user")
        .order_by("teacher__personal_identifier")
    )
    by_pid = {}
    pairs = []
    for registration in registrations:
        registration.priority_group = group_of(registration.teacher, course, groups)
        pid = registration.teacher.personal_identifier
        by_pid[pid] = registration
        pairs.append((pid, registration.priority_group))
    order = draw_order(options.seed, pairs, len(groups))
    free = max(version.capacity - _recount(options), 0)
    drawn = []
    for rank, pid in enumerate(order, start=1):
        registration = by_pid[pid]
        registration.draw_rank = rank
        if rank <= free:
            registration.status = RegistrationStatus.ADMITTED
        elif options.allow_waitlist:
            registration.status = RegistrationStatus.WAITLISTED
        else:
            registration.status = RegistrationStatus.NOT_DRAWN
        # The waitlist keeps the draw order.
        registration.queued_at = now + datetime.timedelta(microseconds=rank)
        registration.save(
            update_fields=["status", "draw_rank", "priority_group", "queued_at", "updated_at"]
        )
        drawn.append(registration)
    options.drawn_at = now
    options.save(update_fields=["seed", "seed_commitment", "drawn_at"])
    _recount(options)
    log_event(
        "enrollment.drawn",
        obj=course,
        data={
            "seed": options.seed,
            "commitment": options.seed_commitment,
            "applicants": len(order),
            "admitted": min(free, len(order)),
        },
    )
    for registration in drawn:
        _mail(registration, "enrollment_lottery_result")
    return drawn


def due_draws(now=None):
    """Lottery courses whose registration has closed and that are not drawn yet."""
    now = now or timezone.now()
    return Course.objects.filter(
        status=CourseStatus.PUBLISHED,
        enrollment__mode=AdmissionMode.LOTTERY,
        enrollment__drawn_at__isnull=True,
        published__registration_end__lt=timezone.localdate(now),
    )


def run_due_draws(now=None) -> int:
    count = 0
    for course in due_draws(now):
        try:
            draw(course, now=now)
            count += 1
        except DomainError:
            continue
    return count


def commit_due_seeds(now=None) -> int:
    """Safety net: lottery courses whose window is open but have no commitment yet."""
    now = now or timezone.now()
    count = 0
    for course in Course.objects.filter(
        status=CourseStatus.PUBLISHED,
        enrollment__mode=AdmissionMode.LOTTERY,
        enrollment__seed_commitment="",
        published__registration_start__lte=timezone.localdate(now),
    ):
        count += commit_seed(course)
    return count
