"""The hours rules of 附件九 第10條, in one module.

Online attendance entry, xlsx uploads, closing and (later) partner data all ask this module;
nothing else decides how many hours count. Functions here are pure (no database), so every
rule is table-tested on its own; `inservice.records.services` applies them to stored data.

Readings of the rule text this module commits to (docs/hours.md explains them):
- Absent, late or leaving early for *more than* one third of the course's hours gives no
  hours; exactly one third still gives the hours attended.
- Excused leave gives the hours actually attended, with no one-third cut-off.
- A continuous block of teaching counts whole hours of 60 minutes, a remainder of 50 minutes
  or more as one more hour, and a block of 90 to 119 minutes as two hours.
- The caps (6 a day, 35 a week, Monday–Sunday in Asia/Taipei) count hours already recorded
  first: a later course gets what room is left, and the excess is withheld, not lost — a
  regional center may grant an exception for the day.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from inservice.core.errors import DomainError

HOURS_PER_CREDIT = 18  # 第10條三
CREDIT_CLASS_TYPES = frozenset({"1-5", "1-6", "1-7", "1-8"})  # 學分班、學位班
DAILY_CAP = Decimal(6)  # 第10條二
WEEKLY_CAP = Decimal(35)
STEP = Decimal("0.5")
TAIPEI = ZoneInfo("Asia/Taipei")
ZERO = Decimal(0)


class HoursError(DomainError):
    """Hours that break a rule; the message says which and why."""


# --- Values -------------------------------------------------------------------------------


def to_hours(value) -> Decimal:
    """Parse hours as entered ("3", "3.5", 3, Decimal) or raise HoursError with the reason."""
    if isinstance(value, Decimal):
        hours = value
    else:
        text = str(value).strip() if value is not None else ""
        if not text:
            raise HoursError(_("請填寫時數。"))
        try:
            hours = Decimal(text)
        except ArithmeticError:
            raise HoursError(_("時數「%(value)s」不是數字。") % {"value": text}) from None
    if not hours.is_finite():
        raise HoursError(_("時數「%(value)s」不是數字。") % {"value": value})
    if hours < 0:
        raise HoursError(_("時數不可為負數（%(value)s）。") % {"value": hours.normalize()})
    if hours % STEP != 0:
        raise HoursError(
            _("時數以 0.5 小時為單位（例如 3 或 3.5），「%(value)s」不符。")
            % {"value": hours.normalize()}
        )
    return hours


def floor_step(hours: Decimal) -> Decimal:
    """Round down to the 0.5-hour step (hours are never rounded up)."""
    return (hours / STEP).to_integral_value(rounding=ROUND_FLOOR) * STEP


def is_credit_class(class_type: str) -> bool:
    return class_type in CREDIT_CLASS_TYPES


def credit_hours(credits) -> Decimal:
    """Credit and degree classes: one credit counts 18 hours (第10條三)."""
    return Decimal(credits) * HOURS_PER_CREDIT


def course_hours(version) -> Decimal:
    """Hours a course gives a full attendee: credits × 18 for credit and degree classes,
    otherwise the course's own hours (0 when not filled in)."""
    if is_credit_class(version.class_type) and version.credits:
        return credit_hours(version.credits)
    return Decimal(version.hours or 0)


def period_hours(minutes: int) -> int:
    """Hours for one continuous block of teaching of `minutes` (第10條一)."""
    if minutes < 0:
        raise HoursError(_("上課分鐘數不可為負數。"))
    if 90 <= minutes < 120:
        return 2
    whole, rest = divmod(minutes, 60)
    return whole + (1 if rest >= 50 else 0)


# --- One teacher on one course ------------------------------------------------------------

ATTENDED, ABSENT, LEAVE, PARTIAL = "attended", "absent", "leave", "partial"


def entry_hours(status: str, course_hours, hours_attended=None) -> Decimal:
    """Hours one course gives one teacher, before the daily/weekly caps (第10條五).

    `hours_attended` is required for excused leave and for partly attended, and must not
    exceed the course's hours.
    """
    course_hours = to_hours(course_hours)
    if status == ATTENDED:
        if hours_attended not in (None, "") and to_hours(hours_attended) != course_hours:
            raise HoursError(
                _(
                    "全程參與者的時數即為課程時數 %(hours)s 小時；"
                    "部分參與請選「遲到或早退」或「請假」。"
                )
                % {"hours": course_hours.normalize()}
            )
        return course_hours
    if status == ABSENT:
        return ZERO
    if status not in (LEAVE, PARTIAL):
        raise HoursError(_("出席情形「%(value)s」無法辨識。") % {"value": status})
    if hours_attended in (None, ""):
        raise HoursError(_("請假或遲到早退者，請填寫實際參與時數。"))
    attended = to_hours(hours_attended)
    if attended > course_hours:
        raise HoursError(
            _("實際參與時數 %(attended)s 小時超過課程時數 %(hours)s 小時。")
            % {"attended": attended.normalize(), "hours": course_hours.normalize()}
        )
    if status == LEAVE:
        return attended
    missed = course_hours - attended
    if missed * 3 > course_hours:
        return ZERO
    return attended


def missed_too_much(course_hours, hours_attended) -> bool:
    """True when a partly attended teacher missed more than a third (no hours, 第10條五)."""
    course_hours, attended = to_hours(course_hours), to_hours(hours_attended)
    return (course_hours - attended) * 3 > course_hours


# --- Days ---------------------------------------------------------------------------------


def _dates(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


def spread(
    hours: Decimal, weights: Mapping[datetime.date, Decimal]
) -> dict[datetime.date, Decimal]:
    """Share `hours` over days in proportion to `weights`, in 0.5-hour steps, summing exactly.

    Largest remainder first; ties go to the earlier day. Days never get more than their weight
    when the weights add up to at least `hours`.
    """
    days = sorted(d for d, w in weights.items() if w > 0)
    total_weight = sum((weights[d] for d in days), ZERO)
    if not days or hours <= 0:
        return {d: ZERO for d in sorted(weights)}
    units = int(hours / STEP)
    exact = {d: Decimal(units) * weights[d] / total_weight for d in days}
    share = {d: int(exact[d]) for d in days}
    left = units - sum(share.values())
    for d in sorted(days, key=lambda d: (-(exact[d] - share[d]), d))[:left]:
        share[d] += 1
    result = {d: ZERO for d in sorted(weights)}
    result.update({d: Decimal(share[d]) * STEP for d in days})
    return result


def course_day_weights(
    start: datetime.date | None,
    end: datetime.date | None,
    sessions: Iterable[tuple[datetime.date, Decimal]] = (),
) -> dict[datetime.date, Decimal]:
    """Hours per day of a course: from its sessions, or every day of its dates alike.

    Sessions without hours (all zero) say nothing about the days, so the dates decide.
    """
    weights: dict[datetime.date, Decimal] = {}
    for date, hours in sessions:
        weights[date] = weights.get(date, ZERO) + Decimal(hours)
    if sum(weights.values(), ZERO) > 0:
        return dict(sorted(weights.items()))
    if start is None:
        return {}
    return {d: Decimal(1) for d in _dates(start, end or start)}


def days_of(
    hours: Decimal, weights: Mapping[datetime.date, Decimal]
) -> dict[datetime.date, Decimal]:
    """A teacher's hours for a course, per day (see `course_day_weights`)."""
    return spread(hours, weights)


# --- Caps across courses ------------------------------------------------------------------


def taipei_date(moment: datetime.datetime) -> datetime.date:
    """The calendar day of a moment in Asia/Taipei (days and weeks are Taiwan's, whatever
    time zone a timestamp arrives in). Naive moments are taken as Taipei time already."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(TAIPEI).date()


def week_of(day: datetime.date) -> datetime.date:
    """The Monday starting `day`'s week (weeks run Monday to Sunday)."""
    return day - datetime.timedelta(days=day.weekday())


def apply_caps(
    requested: Mapping[datetime.date, Decimal],
    counted_before: Mapping[datetime.date, Decimal],
) -> dict[datetime.date, Decimal]:
    """How much of `requested` (per day) counts, given hours already counted for the teacher.

    `counted_before` holds the teacher's counted hours per day from every other record, in
    every source, for at least the weeks that `requested` touches. A day gets at most what
    leaves the day at 6 and the week at 35 hours, in 0.5-hour steps; earlier days of the
    same request use up the week first.
    """
    week_used: dict[datetime.date, Decimal] = {}
    for day, hours in counted_before.items():
        week_used[week_of(day)] = week_used.get(week_of(day), ZERO) + hours
    counted: dict[datetime.date, Decimal] = {}
    for day in sorted(requested):
        want = requested[day]
        week = week_of(day)
        day_room = DAILY_CAP - counted_before.get(day, ZERO)
        week_room = WEEKLY_CAP - week_used.get(week, ZERO)
        got = max(ZERO, min(want, floor_step(day_room), floor_step(week_room)))
        counted[day] = got
        week_used[week] = week_used.get(week, ZERO) + got
    return counted
