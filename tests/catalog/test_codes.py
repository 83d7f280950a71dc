"""The code tables of 附件四 through the public API in inservice.catalog.codes."""

import datetime

import pytest
from django.utils import timezone

from inservice.catalog import codes
from inservice.catalog.models import Code

pytestmark = pytest.mark.django_db

# Code lists as printed in 附件四 of the seed (funding is printed in two columns).
EXPECTED_CODES = {
    "class_type": [f"1-{n}" for n in range(1, 9)],
    "basis": ["2-1", "2-2"],
    "category": [f"5-{n}" for n in range(1, 7)],
    "level": [f"7-{n}" for n in range(1, 5)],
    "instructor_type": ["8-1", "8-2", "8-3"],
    "delivery": [f"11-{n}" for n in range(1, 7)] + ["11-99"],
    "time_slot": [f"12-{n}" for n in range(1, 7)],
    "target_stage": [f"14-{n}" for n in range(1, 7)],
    "target_title": [f"15-{n}" for n in range(1, 17)] + ["15-99"],
    "funding": [f"21-{n}" for n in range(1, 13)],
    "fee": [f"22-{n}" for n in range(1, 5)],
    "feedback": ["26-1", "26-2"],
}


def test_table_keys():
    assert set(codes.TABLES) == set(EXPECTED_CODES)


@pytest.mark.parametrize("table", sorted(EXPECTED_CODES))
def test_every_table_has_exactly_the_printed_codes_in_numeric_order(table):
    assert [code for code, _ in codes.choices(table)] == EXPECTED_CODES[table]


@pytest.mark.parametrize(
    ("table", "code", "name"),
    [
        ("class_type", "1-1", "非學分班"),
        ("class_type", "1-2", "非學分班(校本研習)"),
        ("class_type", "1-4", "非學分班(專長認證研習)"),
        ("class_type", "1-8", "碩士學位班"),
        ("basis", "2-2", "委託辦理"),
        ("category", "5-1", "課程、教學及評量"),
        ("category", "5-6", "實用知能與生活素養"),
        ("level", "7-3", "第三階領導：整合、評價"),
        ("instructor_type", "8-2", "中小學(含幼兒園)教師"),
        ("delivery", "11-5", "觀課議課"),
        ("delivery", "11-99", "其他"),
        ("time_slot", "12-6", "數位遠距教學"),
        ("target_stage", "14-3", "國中(含完全中學國中部)"),
        ("target_title", "15-3", "兼任行政職務教師(如主任、秘書、組長等)"),
        ("target_title", "15-14", "教保員助理教保員"),
        ("target_title", "15-16", "課後照顧人員"),
        ("funding", "21-2", "教育部師資藝教司"),
        ("funding", "21-7", "教育局處"),
        ("funding", "21-12", "無接受補助"),
        ("fee", "22-4", "無繳費但需繳保證金"),
        ("feedback", "26-2", "紙本問卷上傳問卷結果"),
    ],
)
def test_names(table, code, name):
    assert codes.name_of(table, code) == name


def test_other_codes_ask_for_text():
    assert codes.needs_text("delivery", "11-99")
    assert codes.needs_text("target_title", "15-99")
    assert not codes.needs_text("delivery", "11-1")
    flagged = [
        (e.table, e.code) for t in codes.TABLES for e in codes.all_entries(t) if e.needs_text
    ]
    assert sorted(flagged) == [("delivery", "11-99"), ("target_title", "15-99")]


def test_titles_and_field_numbers():
    assert codes.title("delivery") == "實施方式"
    assert codes.field_number("delivery") == 11
    assert codes.field_number("feedback") == 26


def test_retired_code_is_resolvable_but_not_offered():
    Code.objects.create(
        table="delivery",
        code="11-7",
        name="已停用的實施方式",
        valid_from=datetime.date(2020, 1, 1),
        valid_to=datetime.date(2024, 8, 1),
    )
    before, last_day, retired = (
        datetime.date(2019, 12, 31),
        datetime.date(2024, 7, 31),
        datetime.date(2024, 8, 1),
    )
    assert "11-7" not in dict(codes.choices("delivery", on=before))
    assert dict(codes.choices("delivery", on=last_day))["11-7"] == "已停用的實施方式"
    assert "11-7" not in dict(codes.choices("delivery", on=retired))
    assert "11-7" not in dict(codes.choices("delivery"))  # today
    assert codes.name_of("delivery", "11-7") == "已停用的實施方式"
    assert codes.names("delivery")["11-7"] == "已停用的實施方式"
    assert codes.is_valid("delivery", "11-7", on=last_day)
    assert not codes.is_valid("delivery", "11-7", on=retired)
    assert not codes.is_valid("delivery", "11-7")
    assert not codes.is_valid("delivery", "11-7", on=before)
    assert [e.code for e in codes.all_entries("delivery")][-2:] == ["11-7", "11-99"]


def test_future_code_is_not_offered_before_its_start(monkeypatch):
    Code.objects.create(
        table="fee", code="22-5", name="未來代碼", valid_from=datetime.date(2031, 1, 1)
    )
    assert not codes.is_valid("fee", "22-5")
    assert codes.is_valid("fee", "22-5", on=datetime.date(2031, 1, 1))
    monkeypatch.setattr(timezone, "localdate", lambda: datetime.date(2031, 1, 2))
    assert "22-5" in dict(codes.choices("fee"))


def test_unknown_table_and_code():
    with pytest.raises(codes.UnknownTable):
        codes.choices("colour")
    with pytest.raises(codes.UnknownTable):
        codes.is_valid("colour", "1-1")
    with pytest.raises(codes.UnknownCode):
        codes.name_of("delivery", "11-8")
    assert not codes.is_valid("delivery", "11-8")
    assert not codes.is_valid("delivery", "1-1")  # a code of another table


def test_lookups_are_cached_and_refreshed_when_a_code_changes(django_assert_num_queries):
    codes.choices("level")
    with django_assert_num_queries(0):
        for _ in range(50):
            codes.name_of("level", "7-2")
            codes.is_valid("level", "7-4")
            codes.choices("level")
    code = Code.objects.get(table="level", code="7-4")
    code.valid_to = datetime.date(2000, 1, 1)
    code.save()
    assert not codes.is_valid("level", "7-4")
    assert codes.name_of("level", "7-4") == "第四階研發：創新、推廣"
