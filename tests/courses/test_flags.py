"""The reviewer's automatic flags: each rule of 附件九 第9條, late registration (第12條),
missing basis document number (第8條), and likely duplicates (第12條第1款)."""

import datetime

import pytest
from django.db.models import Min
from django.utils import timezone

from inservice.courses.flags import (
    ARTICLE_9_RULES,
    flags_for,
    flags_for_many,
    keyword_flags,
    normalise,
    similar_names,
)
from inservice.courses.models import Course, CourseStatus, CourseVersion, Source
from inservice.organizations.models import County
from tests.factories import UnitFactory, course_dates, make_course

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def codes_of(flags):
    return [f.code for f in flags]


@pytest.fixture
def school():
    return UnitFactory(county=County.objects.get(code="63000"))


# --------------------------------------------------------------------------- 第9條 keywords

RULE_EXAMPLES = [
    ("art9_routine", "第9條第1款", "113學年度第1次校務會議"),
    ("art9_routine", "第9條第1款", "七年級教科書選購會議"),
    ("art9_routine", "第9條第1款", "六十週年校慶籌備會"),
    ("art9_meeting", "第9條第2款", "期初行政會議"),
    ("art9_meeting", "第9條第2款", "課程計畫說明會議"),
    ("art9_student", "第9條第3款", "全校週會專題演講"),
    ("art9_student", "第9條第3款", "五年級童軍露營行前研習"),
    ("art9_student", "第9條第3款", "社團成果展"),
    ("art9_leisure", "第9條第4款", "教師瑜珈紓壓課程"),
    ("art9_leisure", "第9條第4款", "國際標準舞入門"),
    ("art9_leisure", "第9條第4款", "雞尾酒調製"),
    ("art9_leisure", "第9條第4款", "個人理財講座"),
    ("art9_religion", "第9條第5款", "佛經導讀"),
    ("art9_religion", "第9條第5款", "居家風水與命理"),
    ("art9_non_educational", "第9條第7款", "公職人員選舉選務工作說明會"),
]


@pytest.mark.parametrize(("code", "clause", "name"), RULE_EXAMPLES)
def test_article_9_words_in_the_name_are_flagged_with_rule_and_word(code, clause, name):
    version = CourseVersion(name=name, outline="", delivery=["11-1"])
    flags = [f for f in keyword_flags(version) if f.code == code]
    assert len(flags) == 1
    rule = next(r for r in ARTICLE_9_RULES if r.code == code)
    matched = [w for w in rule.words if normalise(w) in normalise(name)]
    assert clause in flags[0].message and "研習名稱" in flags[0].message
    assert all(f"「{w}" in flags[0].message or f"{w}」" in flags[0].message for w in matched)
    assert flags[0].severity == "attention"


def test_article_9_words_in_the_outline_are_flagged_too():
    version = CourseVersion(
        name="增能研習", outline="下午安排瑜伽伸展與養生飲食分享。", delivery=["11-1"]
    )
    (flag,) = keyword_flags(version)
    assert flag.code == "art9_leisure"
    assert "課程大綱含「瑜伽」「養生」" in flag.message


def test_matching_ignores_width_and_spaces():
    version = CourseVersion(name="教師 瑜 珈", outline="", delivery=["11-1"])
    assert codes_of(keyword_flags(version)) == ["art9_leisure"]


def test_an_ordinary_teaching_course_has_no_keyword_flags():
    version = CourseVersion(
        name="數學領域差異化教學工作坊",
        outline="以實例說明差異化教學的設計與評量，並分組實作。",
        delivery=["11-3"],
    )
    assert keyword_flags(version) == []


def test_a_pure_visit_is_flagged_only_without_teaching():
    visit = CourseVersion(name="臺南古蹟參觀", outline="搭車前往參觀。", delivery=["11-4"])
    (flag,) = keyword_flags(visit)
    assert flag.code == "art9_visit" and "第9條第6款" in flag.message
    assert "「參觀」" in flag.message
    taught = CourseVersion(name="臺南古蹟參觀與鄉土教學設計", outline="", delivery=["11-1", "11-4"])
    assert keyword_flags(taught) == []


# --------------------------------------------------------------------------- 第12條: late


def test_registered_less_than_a_week_before_start_is_flagged(school):
    course = make_course(school, submit=True, **course_dates(TODAY + datetime.timedelta(days=3)))
    flags = flags_for(course, course.working)
    (late,) = [f for f in flags if f.code == "late_registration"]
    assert "開課前 3 天" in late.message and "第12條" in late.message


def test_registered_a_week_ahead_is_not_flagged(school):
    course = make_course(school, submit=True, **course_dates(TODAY + datetime.timedelta(days=7)))
    assert "late_registration" not in codes_of(flags_for(course, course.working))


def test_a_later_change_counts_from_the_first_registration(school):
    course = make_course(school, approve=True, **course_dates(TODAY + datetime.timedelta(days=4)))
    first = course.published
    CourseVersion.objects.filter(pk=first.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=20)
    )
    course.refresh_from_db()
    assert "late_registration" not in codes_of(flags_for(course, course.published))


# --------------------------------------------------------------------------- 第8條: basis doc


def test_missing_basis_document_number_is_flagged(school):
    course = make_course(school, basis_doc_number="  ")
    (flag,) = [f for f in flags_for(course, course.working) if f.code == "missing_basis_doc"]
    assert "依據文號" in flag.message and "第8條" in flag.message


def test_basis_document_number_present_is_not_flagged(school):
    course = make_course(school)
    assert "missing_basis_doc" not in codes_of(flags_for(course, course.working))


# --------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("數學領域差異化教學工作坊", "數學領域差異化教學工作坊", True),
        ("數學領域差異化教學工作坊", "數學領域 差異化教學 工作坊（上午場）", True),  # contains
        ("數學領域差異化教學工作坊", "數學領域差異化教學工作營", True),  # ratio ≥ 0.8
        ("數學領域差異化教學工作坊", "數學領域差異化教學研習營", False),  # ratio 0.75
        ("ＡＩ融入教學研習", "AI融入教學研習", True),  # full width
        ("數學領域差異化教學工作坊", "校園安全與防災演練", False),
        ("研習", "國語文閱讀研習", False),  # too short to count as containment
    ],
)
def test_similar_names(a, b, similar):
    assert similar_names(a, b) is similar


def _start():
    return TODAY + datetime.timedelta(days=21)


def test_same_unit_overlapping_dates_similar_name_is_a_likely_duplicate(school):
    first = make_course(school, submit=True, **course_dates(_start(), days=1))
    second = make_course(
        school,
        submit=True,
        name="數學領域差異化教學工作坊（第二梯）",
        **course_dates(_start() + datetime.timedelta(days=1)),
    )
    (flag,) = [f for f in flags_for(second, second.working) if f.code == "duplicate"]
    assert str(first.code) in flag.message and "日期重疊" in flag.message


def test_another_units_course_is_not_a_duplicate(school):
    make_course(school, submit=True, **course_dates(_start()))
    other = make_course(UnitFactory(county=school.county), submit=True, **course_dates(_start()))
    assert "duplicate" not in codes_of(flags_for(other, other.working))


def test_dates_that_do_not_overlap_are_not_a_duplicate(school):
    make_course(school, submit=True, **course_dates(_start()))
    later = make_course(school, submit=True, **course_dates(_start() + datetime.timedelta(7)))
    assert "duplicate" not in codes_of(flags_for(later, later.working))


def test_a_different_name_is_not_a_duplicate(school):
    make_course(school, submit=True, **course_dates(_start()))
    other = make_course(school, submit=True, name="校園安全與防災演練", **course_dates(_start()))
    assert "duplicate" not in codes_of(flags_for(other, other.working))


def test_cancelled_and_draft_courses_are_not_duplicates(school):
    cancelled = make_course(school, submit=True, **course_dates(_start()))
    Course.objects.filter(pk=cancelled.pk).update(status=CourseStatus.CANCELLED)
    make_course(school, **course_dates(_start()))  # a draft
    course = make_course(school, submit=True, **course_dates(_start()))
    assert "duplicate" not in codes_of(flags_for(course, course.working))


def test_a_transmitted_course_is_a_duplicate_and_says_so(school):
    transmitted = make_course(school, approve=True, **course_dates(_start()))
    Course.objects.filter(pk=transmitted.pk).update(source=Source.COUNTY_TRANSMIT)
    course = make_course(school, submit=True, **course_dates(_start()))
    (flag,) = [f for f in flags_for(course, course.working) if f.code == "duplicate"]
    assert str(transmitted.code) in flag.message and "縣市傳報" in flag.message
    assert "第12條第1款" in flag.message


def test_flags_for_many_agrees_with_flags_for_in_one_query(school, django_assert_num_queries):
    a = make_course(school, submit=True, **course_dates(_start()))
    b = make_course(school, submit=True, name="教師瑜珈", **course_dates(_start()))
    courses = list(
        Course.objects.filter(pk__in=[a.pk, b.pk])
        .select_related("working")
        .annotate(first_submitted_at=Min("versions__submitted_at"))
    )
    with django_assert_num_queries(1):
        many = flags_for_many([(c, c.working) for c in courses])
    for course in courses:
        assert codes_of(many[course.pk]) == codes_of(flags_for(course, course.working))
    assert "art9_leisure" in codes_of(many[b.pk])
