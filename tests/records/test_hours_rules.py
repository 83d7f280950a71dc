"""Table tests for every hours rule of 附件九 第10條 (inservice.records.hours).

The module is pure, so each rule is checked row by row without a database.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from inservice.records import hours as rules
from inservice.records.hours import (
    ABSENT,
    ATTENDED,
    LEAVE,
    PARTIAL,
    HoursError,
    apply_caps,
    course_day_weights,
    course_hours,
    credit_hours,
    days_of,
    entry_hours,
    is_credit_class,
    missed_too_much,
    period_hours,
    taipei_date,
    to_hours,
    week_of,
)

D = Decimal
# A week of March 2025: Monday 3rd to Sunday 9th.
MON, TUE, WED, THU, FRI, SAT, SUN = (datetime.date(2025, 3, 3 + n) for n in range(7))
NEXT_MON = datetime.date(2025, 3, 10)
PREV_SUN = datetime.date(2025, 3, 2)


def hours(mapping):
    return {day: D(str(value)) for day, value in mapping.items()}


# --- Values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", D(3)),
        ("3.5", D("3.5")),
        (" 2.0 ", D(2)),
        (4, D(4)),
        (D("0"), D(0)),
        ("0.5", D("0.5")),
        (D("36"), D(36)),
    ],
)
def test_to_hours_accepts_half_hour_steps(value, expected):
    assert to_hours(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "請填寫時數"),
        (None, "請填寫時數"),
        ("abc", "不是數字"),
        ("NaN", "不是數字"),
        ("Infinity", "不是數字"),
        ("-1", "不可為負數"),
        (D("-0.5"), "不可為負數"),
        ("3.3", "以 0.5 小時為單位"),
        ("0.25", "以 0.5 小時為單位"),
        (D("2.75"), "以 0.5 小時為單位"),
    ],
)
def test_to_hours_refuses_with_the_reason(value, message):
    with pytest.raises(HoursError, match=message):
        to_hours(value)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, 0),
        (40, 0),
        (49, 0),  # under a 50-minute period: nothing
        (50, 1),  # one period of 50 minutes = 1 hour
        (59, 1),
        (60, 1),
        (89, 1),
        (90, 2),  # more than 50 and 90 continuous = 2 hours
        (100, 2),
        (119, 2),
        (120, 2),
        (150, 2),
        (169, 2),
        (170, 3),
        (180, 3),
        (230, 4),
    ],
)
def test_period_hours(minutes, expected):
    assert period_hours(minutes) == expected


def test_period_hours_refuses_negative_minutes():
    with pytest.raises(HoursError, match="不可為負數"):
        period_hours(-1)


# --- Credit classes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("class_type", "expected"),
    [("1-1", False), ("1-2", False), ("1-4", False), ("", False)]
    + [(t, True) for t in ("1-5", "1-6", "1-7", "1-8")],
)
def test_is_credit_class(class_type, expected):
    assert is_credit_class(class_type) is expected


@pytest.mark.parametrize(
    ("credits", "expected"), [(1, D(18)), (2, D(36)), (D("0.5"), D(9)), (D("2.5"), D(45))]
)
def test_credit_hours_is_18_per_credit(credits, expected):
    assert credit_hours(credits) == expected


@pytest.mark.parametrize(
    ("class_type", "credits", "course", "expected"),
    [
        ("1-2", None, D("3"), D(3)),
        ("1-1", None, D("6.5"), D("6.5")),
        ("1-2", None, None, D(0)),
        ("1-5", D(2), D(36), D(36)),
        ("1-6", D(2), None, D(36)),  # credits decide for credit classes
        ("1-7", D("0.5"), None, D(9)),
        ("1-8", None, D(10), D(10)),  # no credits filled in: the course's hours
    ],
)
def test_course_hours(class_type, credits, course, expected):
    version = SimpleNamespace(class_type=class_type, credits=credits, hours=course)
    assert course_hours(version) == expected


def test_validation_uses_the_same_credit_rule():
    from inservice.courses import validation

    assert validation.HOURS_PER_CREDIT is rules.HOURS_PER_CREDIT
    assert validation.CREDIT_CLASS_TYPES is rules.CREDIT_CLASS_TYPES


# --- One teacher on one course (第10條五) -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "course", "attended", "expected"),
    [
        (ATTENDED, "6", None, "6"),
        (ATTENDED, "6", "6", "6"),
        (ATTENDED, "3.5", "", "3.5"),
        (ABSENT, "6", None, "0"),  # unexcused absence: nothing
        (ABSENT, "6", "3", "0"),
        (LEAVE, "6", "2", "2"),  # excused leave: the hours attended, no one-third cut-off
        (LEAVE, "6", "0", "0"),
        (LEAVE, "6", "6", "6"),
        (PARTIAL, "6", "6", "6"),
        (PARTIAL, "6", "4", "4"),  # missed exactly one third: still the hours attended
        (PARTIAL, "6", "3.5", "0"),  # missed more than a third: nothing
        (PARTIAL, "3", "2", "2"),
        (PARTIAL, "3", "1.5", "0"),
        (PARTIAL, "4.5", "3", "3"),
        (PARTIAL, "4.5", "2.5", "0"),
        (PARTIAL, "36", "24", "24"),  # a 2-credit class: 12 of 36 missed is one third
        (PARTIAL, "36", "23.5", "0"),
    ],
)
def test_entry_hours(status, course, attended, expected):
    assert entry_hours(status, course, attended) == D(expected)


@pytest.mark.parametrize(
    ("course", "attended", "expected"),
    [("6", "4", False), ("6", "3.5", True), ("3", "2", False), ("3", "1.5", True)],
)
def test_missed_too_much(course, attended, expected):
    assert missed_too_much(course, attended) is expected


@pytest.mark.parametrize(
    ("status", "course", "attended", "message"),
    [
        (ATTENDED, "6", "4", "全程參與者的時數即為課程時數 6 小時"),
        (LEAVE, "6", None, "請填寫實際參與時數"),
        (PARTIAL, "6", "", "請填寫實際參與時數"),
        (PARTIAL, "6", "7", "實際參與時數 7 小時超過課程時數 6 小時"),
        (LEAVE, "3", "3.5", "實際參與時數 3.5 小時超過課程時數 3 小時"),
        (PARTIAL, "6", "-1", "不可為負數"),
        (LEAVE, "6", "2.2", "以 0.5 小時為單位"),
        (PARTIAL, "6", "四", "不是數字"),
        (ATTENDED, "-3", None, "不可為負數"),
        ("late", "6", "3", "出席情形「late」無法辨識"),
    ],
)
def test_entry_hours_refuses_with_the_reason(status, course, attended, message):
    with pytest.raises(HoursError, match=message):
        entry_hours(status, course, attended)


# --- Days of a course -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "sessions", "expected"),
    [
        (MON, WED, [], {MON: 1, TUE: 1, WED: 1}),  # no sessions: every day alike
        (MON, None, [], {MON: 1}),
        (MON, MON, [], {MON: 1}),
        (None, None, [], {}),
        (MON, WED, [(MON, "4"), (WED, "2")], {MON: 4, WED: 2}),  # sessions decide
        (MON, MON, [(MON, "3"), (MON, "3")], {MON: 6}),  # two sessions on a day add up
        (MON, TUE, [(MON, "0")], {MON: 1, TUE: 1}),  # sessions without hours: the dates
    ],
)
def test_course_day_weights(start, end, sessions, expected):
    sessions = [(day, D(h)) for day, h in sessions]
    assert course_day_weights(start, end, sessions) == hours(expected)


THREE_DAYS = {MON: 1, TUE: 1, WED: 1}
SESSIONS_4_2 = {MON: 4, WED: 2}


@pytest.mark.parametrize(
    ("teacher_hours", "weights", "expected"),
    [
        ("18", THREE_DAYS, {MON: 6, TUE: 6, WED: 6}),  # a three-day course without sessions
        ("6", THREE_DAYS, {MON: 2, TUE: 2, WED: 2}),
        ("7", THREE_DAYS, {MON: "2.5", TUE: "2.5", WED: 2}),  # remainders to earlier days
        ("1", THREE_DAYS, {MON: "0.5", TUE: "0.5", WED: 0}),
        ("0", THREE_DAYS, {MON: 0, TUE: 0, WED: 0}),
        ("6", SESSIONS_4_2, {MON: 4, WED: 2}),
        ("3", SESSIONS_4_2, {MON: 2, WED: 1}),
        ("4.5", SESSIONS_4_2, {MON: 3, WED: "1.5"}),
        (
            "36",
            {MON: 1, TUE: 1, WED: 1, THU: 1, FRI: 1, SAT: 1},
            {d: 6 for d in (MON, TUE, WED, THU, FRI, SAT)},
        ),
    ],
)
def test_days_of(teacher_hours, weights, expected):
    assert days_of(D(teacher_hours), hours(weights)) == hours(expected)


@pytest.mark.parametrize("units", range(0, 40))
def test_days_of_sums_exactly_in_half_hour_steps(units):
    total = D(units) * rules.STEP
    days = days_of(total, hours({MON: 3, TUE: "2.5", WED: 1, FRI: "0.5"}))
    assert sum(days.values()) == total
    assert all(value % rules.STEP == 0 for value in days.values())


# --- Weeks (Monday to Sunday, Asia/Taipei) --------------------------------------------------


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (MON, MON),
        (WED, MON),
        (SUN, MON),  # Sunday ends the week
        (NEXT_MON, NEXT_MON),  # Monday starts the next one
        (PREV_SUN, datetime.date(2025, 2, 24)),
        (datetime.date(2024, 12, 31), datetime.date(2024, 12, 30)),  # across a year
        (datetime.date(2025, 1, 5), datetime.date(2024, 12, 30)),
    ],
)
def test_week_of(day, monday):
    assert week_of(day) == monday


UTC = datetime.UTC


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime.datetime(2025, 3, 9, 15, 59, 59, tzinfo=UTC), SUN),  # Sun 23:59:59 Taipei
        (datetime.datetime(2025, 3, 9, 16, 0, tzinfo=UTC), NEXT_MON),  # Mon 00:00 Taipei
        (datetime.datetime(2025, 3, 10, 0, 30, tzinfo=rules.TAIPEI), NEXT_MON),
        (datetime.datetime(2025, 3, 9, 23, 30), SUN),  # naive: already Taipei time
    ],
)
def test_taipei_date_decides_the_day_and_week(moment, day):
    assert taipei_date(moment) == day


# --- Caps across courses (第10條二): 6 a day, 35 a week --------------------------------------

FULL_WEEKDAYS = {MON: 6, TUE: 6, WED: 6, THU: 6, FRI: 6}  # 30 hours


@pytest.mark.parametrize(
    ("requested", "before", "expected"),
    [
        ({MON: "6"}, {}, {MON: "6"}),  # exactly 6.0 in a day: all counts
        ({MON: "6.5"}, {}, {MON: "6"}),  # 6.5: half an hour withheld
        ({MON: "3"}, {MON: "3"}, {MON: "3"}),  # another course the same day, up to 6
        ({MON: "3.5"}, {MON: "3"}, {MON: "3"}),
        ({MON: "2"}, {MON: "6"}, {MON: "0"}),
        ({MON: "2"}, {MON: "6.5"}, {MON: "0"}),  # a day above 6 by exception leaves no room
        ({MON: "2"}, {TUE: "6"}, {MON: "2"}),  # other days do not use the day's room
        ({SAT: "5"}, FULL_WEEKDAYS, {SAT: "5"}),  # exactly 35.0 in a week
        ({SAT: "5.5"}, FULL_WEEKDAYS, {SAT: "5"}),  # 35.5: half an hour withheld
        ({SAT: "6", SUN: "6"}, FULL_WEEKDAYS, {SAT: "5", SUN: "0"}),  # earlier days first
        ({SUN: "2"}, {**FULL_WEEKDAYS, SAT: "5"}, {SUN: "0"}),  # Sunday is the same week
        ({NEXT_MON: "6"}, {**FULL_WEEKDAYS, SAT: "5"}, {NEXT_MON: "6"}),  # Monday starts anew
        (
            {SUN: "4", NEXT_MON: "4"},  # a course across the week boundary
            {**FULL_WEEKDAYS, SAT: "3"},
            {SUN: "2", NEXT_MON: "4"},
        ),
        ({MON: "6"}, {PREV_SUN: "6"}, {MON: "6"}),  # last week's hours do not count
        (
            {FRI: "6", SAT: "6", SUN: "6"},
            {MON: "6", TUE: "6", WED: "6", THU: "6"},
            {FRI: "6", SAT: "5", SUN: "0"},
        ),
        ({MON: "0"}, {}, {MON: "0"}),
    ],
)
def test_apply_caps(requested, before, expected):
    assert apply_caps(hours(requested), hours(before)) == hours(expected)


def test_caps_are_the_rule_numbers():
    assert (rules.DAILY_CAP, rules.WEEKLY_CAP) == (D(6), D(35))
