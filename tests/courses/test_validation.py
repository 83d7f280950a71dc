"""Every rule of `courses.validation`, table-driven: each rule passes on good input and names
the field and the reason on bad input; a submit with many problems lists all of them."""

import datetime
from decimal import Decimal

import pytest

from inservice.core.models import AuditEvent
from inservice.courses.models import CourseSession, CourseStatus, CourseVersion, VersionState
from inservice.courses.services import lifecycle
from inservice.courses.validation import (
    CourseDataInvalid,
    draft_problems,
    is_valid_phone,
    submit_problems,
)
from inservice.organizations.models import County
from tests.factories import StaffFactory, UnitFactory, complete_course_data, make_course

pytestmark = pytest.mark.django_db

D = datetime.date


def dated(start, end=None):
    """Course dates with a registration window that ends before the course."""
    end = end or start
    return {
        "start_date": start,
        "end_date": end,
        "registration_start": start - datetime.timedelta(days=20),
        "registration_end": start - datetime.timedelta(days=2),
    }


def version_with(**overrides) -> CourseVersion:
    return CourseVersion(**complete_course_data(**overrides))


def test_the_factory_course_is_complete():
    assert submit_problems(version_with()) == {}


PASSING = [
    pytest.param({"hours": Decimal("2.5")}, id="hours in half steps"),
    pytest.param(
        {"class_type": "1-5", "credits": Decimal("2"), "hours": Decimal("36")}, id="credits × 18"
    ),
    pytest.param(
        {"class_type": "1-8", "credits": Decimal("0.5"), "hours": Decimal("9")}, id="half credit"
    ),
    pytest.param({"class_type": "1-1", "credits": None}, id="non-credit without credits"),
    pytest.param(
        {"delivery": ["11-3", "11-99"], "delivery_other": "線上讀書會"}, id="11-99 with text"
    ),
    pytest.param(
        {"target_titles": ["15-99"], "target_title_other": "社工師"}, id="15-99 with text"
    ),
    pytest.param({"contact1_phone": "", "contact1_email": "a@b.example"}, id="contact email only"),
    pytest.param({"contact1_phone": "0912-345-678", "contact1_email": ""}, id="contact phone only"),
    pytest.param(
        {"contact2_name": "李二", "contact2_phone": "", "contact2_email": "li@x.example"},
        id="complete contact 2",
    ),
    pytest.param({"category": "5-6", "topic_item": ""}, id="category 6 without item"),
    pytest.param({"category": "5-2", "topic_item": "2-1-5"}, id="item of its category"),
    pytest.param(
        {"category": "5-4", "topic_item": "4-2", "taxonomy_stage": "elementary"},
        id="sub-area without items is a leaf",
    ),
    pytest.param({"subject": "JH-SCI-BIO"}, id="known subject"),
    pytest.param({"tags": ["sdgs"], **dated(D(2024, 7, 1))}, id="SDGs before retirement"),
    pytest.param({"tags": ["media-literacy"], **dated(D(2023, 7, 5))}, id="tag from its first day"),
    pytest.param(
        {
            "registration_start": D(2030, 1, 1),
            "registration_end": D(2030, 1, 1),
            **{"start_date": D(2030, 1, 1), "end_date": D(2030, 1, 1)},
        },
        id="one-day registration on the course day",
    ),
]


@pytest.mark.parametrize("overrides", PASSING)
def test_rule_passes(overrides):
    assert submit_problems(version_with(**overrides)) == {}


FAILING = [
    # required fields
    ({"name": ""}, "name", "請填寫「研習名稱」"),
    ({"name": "   "}, "name", "請填寫「研習名稱」"),
    ({"class_type": ""}, "class_type", "請選擇「班別類別」"),
    ({"delivery": []}, "delivery", "請至少勾選一項「實施方式」"),
    ({"hours": None}, "hours", "請填寫「研習時數」"),
    ({"outline": ""}, "outline", "請填寫「課程大綱」"),
    ({"time_and_place": ""}, "time_and_place", "請填寫「上課時間及地點」"),
    ({"feedback": ""}, "feedback", "請選擇「課程意見回饋問卷」"),
    # basis document number (附件九 第8條)
    ({"basis_doc_number": ""}, "basis_doc_number", "附件九第8條"),
    ({"basis": "2-2", "basis_doc_number": ""}, "basis_doc_number", "自主辦理與委託辦理皆須填寫"),
    ({"basis_doc_number": "北市教研字號"}, "basis_doc_number", "公文字號"),
    # codes
    ({"class_type": "1-9"}, "class_type", "「1-9」不是「班別類別」的代碼"),
    ({"funding": ["21-7", "21-99"]}, "funding", "「21-99」不是「經費來源」的代碼"),
    ({"time_slots": ["12-1", "12-1"]}, "time_slots", "重複"),
    # "other" texts
    ({"delivery": ["11-99"], "delivery_other": ""}, "delivery_other", "11-99"),
    ({"delivery": ["11-3"], "delivery_other": "讀書會"}, "delivery_other", "請一併勾選「其他」"),
    ({"target_titles": ["15-4", "15-99"]}, "target_title_other", "15-99"),
    # dates
    ({"start_date": D(2030, 3, 2), "end_date": D(2030, 3, 1)}, "end_date", "不能早於課程開始日期"),
    (
        {
            "registration_start": D(2030, 2, 10),
            "registration_end": D(2030, 2, 1),
            **{"start_date": D(2030, 3, 1), "end_date": D(2030, 3, 1)},
        },
        "registration_end",
        "不能早於報名開始日期",
    ),
    (
        {
            "registration_end": D(2030, 3, 5),
            "start_date": D(2030, 3, 1),
            "end_date": D(2030, 3, 2),
            "registration_start": D(2030, 2, 1),
        },
        "registration_end",
        "不能晚於課程結束日期",
    ),
    # hours and credits
    ({"hours": Decimal("0")}, "hours", "須大於 0"),
    ({"hours": Decimal("2.3")}, "hours", "0.5 小時為單位"),
    ({"class_type": "1-5", "credits": None, "hours": Decimal("36")}, "credits", "請填寫學分數"),
    (
        {"class_type": "1-6", "credits": Decimal("2"), "hours": Decimal("30")},
        "hours",
        "應為 36 小時",
    ),
    (
        {"class_type": "1-7", "credits": Decimal("1.3"), "hours": Decimal("18")},
        "credits",
        "0.5 學分",
    ),
    ({"class_type": "1-2", "credits": Decimal("2")}, "credits", "非學分班請清除"),
    # capacity
    ({"classes": 0}, "classes", "至少為 1 班"),
    ({"seats_per_class": 0}, "seats_per_class", "至少為 1 人"),
    # contacts
    ({"contact1_name": ""}, "contact1_name", "請填寫「承辦人姓名」"),
    ({"contact1_phone": "", "contact1_email": ""}, "contact1_phone", "電話或 Email"),
    ({"contact1_phone": "12345"}, "contact1_phone", "格式不正確"),
    ({"contact1_email": "not-an-email"}, "contact1_email", "格式不正確"),
    ({"contact2_phone": "02-2345-6789"}, "contact2_name", "第二承辦人請填寫姓名"),
    ({"contact2_name": "李二"}, "contact2_phone", "第二承辦人請填寫電話或 Email"),
    ({"contact2_name": "李二", "contact2_phone": "abc"}, "contact2_phone", "格式不正確"),
    # topic items (附件五)
    (
        {"category": "5-2", "topic_item": "1-3-6"},
        "topic_item",
        "不屬於進修範疇「5-2 班級經營與輔導」",
    ),
    ({"category": "5-6", "topic_item": "1-3-6"}, "topic_item", "沒有課程細項"),
    ({"category": "5-1", "topic_item": ""}, "topic_item", "請選擇進修範疇「5-1"),
    ({"topic_item": "1-3"}, "topic_item", "是課程內涵"),
    ({"topic_item": "1-3-77"}, "topic_item", "不是「國小教師」課程細項表中的代碼"),
    ({"taxonomy_stage": "", "topic_item": "1-3-6"}, "taxonomy_stage", "適用階段"),
    ({"taxonomy_stage": "university"}, "taxonomy_stage", "不是課程細項表的適用階段"),
    # subject (課程性質)
    ({"subject": "JH-SCI-XYZ"}, "subject", "不是課程性質"),
    # tags
    ({"tags": ["no-such-tag"]}, "tags", "不是已知的專案屬性標籤"),
    ({"tags": ["sdgs"], **dated(D(2024, 9, 10))}, "tags", "「SDGs」自 2024-08-01 起停用"),
    ({"tags": ["sdgs"], **dated(D(2024, 7, 30), D(2024, 8, 2))}, "tags", "本課程日期至 2024-08-02"),
    ({"tags": ["media-literacy"], **dated(D(2023, 1, 10))}, "tags", "自 2023-07-05 起才啟用"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    FAILING,
    ids=[f"{f}:{frag}" for _o, f, frag in FAILING],
)
def test_rule_fails_with_a_specific_message(overrides, field, fragment):
    problems = submit_problems(version_with(**overrides))
    assert field in problems, problems
    assert any(fragment in message for message in problems[field]), problems[field]


# --- phone formats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "02-2345-6789",
        "(02)2345-6789",
        "0223456789",
        "02 2345 6789",
        "037-123456",
        "049-2345678",
        "0912-345-678",
        "0912345678",
        "02-2345-6789#123",
        "02-2345-6789 #123",
        "02-2345-6789 分機 123",
        "02-2345-6789 ext. 45",
        "+886-2-2345-6789",
        "+886 912 345 678",
        "0800-123-456",
    ],
)
def test_valid_phone_numbers(phone):
    assert is_valid_phone(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12345",
        "2345-6789",
        "02-123",
        "0912-345-67",
        "1912345678",
        "abc",
        "02-2345-6789#",
        "+1-202-555-0100",
        "091234567890",
    ],
)
def test_invalid_phone_numbers(phone):
    assert not is_valid_phone(phone)


# --- sessions (a stored version) ---------------------------------------------------------


def stored(**overrides):
    course = make_course(**overrides)
    return course, course.working


def add_session(version, day, start, end, hours):
    return CourseSession.objects.create(
        version=version,
        date=day,
        start_time=datetime.time(*start),
        end_time=datetime.time(*end),
        hours=Decimal(hours),
    )


def test_sessions_inside_the_course_and_within_its_hours_pass():
    _course, version = stored(hours=Decimal("6"))
    add_session(version, version.start_date, (9, 0), (12, 0), "3")
    add_session(version, version.start_date, (13, 0), (16, 0), "3")
    assert submit_problems(version) == {}


@pytest.mark.parametrize(
    ("sessions", "fragment"),
    [
        ([(1, (9, 0), (12, 0), "3")], "不在課程日期"),
        ([(0, (12, 0), (9, 0), "1")], "結束時間須晚於開始時間"),
        ([(0, (9, 0), (12, 0), "0")], "時數須大於 0"),
        ([(0, (9, 0), (12, 0), "2.2")], "0.5 小時為單位"),
        ([(0, (9, 0), (11, 0), "2"), (0, (10, 0), (11, 0), "1")], "時間重疊"),
        ([(0, (8, 0), (12, 0), "4")], "超過研習時數 3 小時"),
    ],
)
def test_session_rules(sessions, fragment):
    _course, version = stored()  # 3 hours on one day
    for offset, start, end, hours in sessions:
        add_session(
            version, version.start_date + datetime.timedelta(days=offset), start, end, hours
        )
    problems = submit_problems(version)
    assert any(fragment in m for m in problems.get("sessions", [])), problems


def test_registration_must_open_before_the_course_ends():
    day = datetime.date.today() + datetime.timedelta(days=30)
    _course, version = stored(
        registration_start=day,
        registration_end=day,
        start_date=day,
        end_date=day,
        registration_opens_at=datetime.time(17, 0),
    )
    add_session(version, day, (13, 30), (16, 30), "3")
    problems = submit_problems(version)
    assert any("報名須在課程結束前開放" in m for m in problems["registration_start"])


# --- drafts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"class_type": "1-9"}, "class_type"),
        ({"fee": "22-9"}, "fee"),
        ({"delivery": ["11-3", "11-42"]}, "delivery"),
        ({"tags": ["no-such-tag"]}, "tags"),
        ({"subject": "XX-YY-ZZ"}, "subject"),
        ({"topic_item": "1-3-77"}, "topic_item"),
        ({"taxonomy_stage": "nursery"}, "taxonomy_stage"),
        ({"delivery": "11-3"}, "delivery"),  # not a list
    ],
)
def test_draft_refuses_unknown_codes(overrides, field):
    assert field in draft_problems(version_with(**overrides))


def test_draft_accepts_incomplete_and_inconsistent_content():
    version = CourseVersion(name="只有名稱", hours=Decimal("2.3"), classes=0, tags=["sdgs"])
    assert draft_problems(version) == {}
    assert "hours" in submit_problems(version)


def test_unknown_code_is_refused_when_saving_a_draft_through_the_service():
    course = make_course()
    operator = StaffFactory(unit=course.unit).user
    before = course.revision
    with pytest.raises(CourseDataInvalid) as exc:
        lifecycle.save_course(
            actor=operator, course=course, data={"class_type": "1-9", "tags": ["nope"]}
        )
    assert set(exc.value.problems) == {"class_type", "tags"}
    course.refresh_from_db()
    assert course.revision == before and course.working.class_type == "1-2"


def test_unknown_code_is_refused_when_creating_a_draft(taipei_unit):
    operator = StaffFactory(unit=taipei_unit).user
    with pytest.raises(CourseDataInvalid):
        lifecycle.create_course(
            actor=operator, unit=taipei_unit, data=complete_course_data(fee="22-9")
        )
    assert not taipei_unit.courses.exists()


@pytest.fixture
def taipei_unit():
    return UnitFactory(county=County.objects.get(code="63000"))


# --- a submit with many problems ---------------------------------------------------------


def test_submit_lists_every_problem_and_changes_nothing():
    course = make_course(
        name="",
        class_type="1-5",
        credits=None,
        hours=Decimal("2.3"),
        classes=0,
        contact1_phone="123",
        contact1_email="",
        delivery=["11-99"],
        category="5-2",
        topic_item="1-3-6",
        tags=["sdgs"],
        start_date=datetime.date.today() + datetime.timedelta(days=10),
        end_date=datetime.date.today() + datetime.timedelta(days=9),
    )
    operator = StaffFactory(unit=course.unit).user
    revision, events = course.revision, AuditEvent.objects.count()
    with pytest.raises(lifecycle.CourseIncomplete) as exc:
        lifecycle.submit_course(actor=operator, course=course, revision=revision)
    problems = exc.value.problems
    assert {
        "name",
        "credits",
        "hours",
        "classes",
        "contact1_phone",
        "delivery_other",
        "topic_item",
        "tags",
        "end_date",
    } <= set(problems)
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT and course.revision == revision
    assert course.working.state == VersionState.DRAFT and course.working.submitted_at is None
    assert course.reviewing_center is None
    assert AuditEvent.objects.count() == events
