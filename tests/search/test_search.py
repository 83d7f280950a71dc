"""Course search: Chinese keywords, every filter, sorting, the registration window to the
minute, and the search table following the course life cycle."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from inservice.accounts.models import StaffRole
from inservice.courses.models import Course, CourseStatus
from inservice.courses.services import changes, lifecycle
from inservice.organizations.models import County, Unit, UnitKind
from inservice.search import index
from inservice.search.models import CourseSearchEntry
from inservice.search.query import SearchParams, search
from tests.factories import StaffFactory, UnitFactory, course_dates, make_closed_course

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def codes_of(params, **kwargs):
    return [e.code for e in search(params, **kwargs)]


def found(q):
    return {e.name for e in search(SearchParams(q=q))}


@pytest.fixture
def school():
    return UnitFactory(county=County.objects.get(code="63000"), name="仁愛國民中學")


@pytest.fixture
def catalogue(publish, school):
    outline = "課程說明與實作。"
    names = [
        "數學素養導向課程設計",
        "性平教育案例研討",
        "英語繪本共讀",
        "臺灣史地走讀",
        "Python 程式設計入門",
    ]
    return {name: publish(school, name=name, outline=outline) for name in names}


# --- keywords ---------------------------------------------------------------------------------


def test_one_and_two_character_chinese_queries(catalogue):
    assert found("數學") == {"數學素養導向課程設計"}
    assert found("數") == {"數學素養導向課程設計"}
    assert found("性平") == {"性平教育案例研討"}
    assert found("英語") == {"英語繪本共讀"}
    assert found("學數") == set()  # both characters occur, but not as this pair


def test_tai_and_tai_are_the_same_character(catalogue):
    assert found("臺") == found("台") == {"臺灣史地走讀"}
    assert found("台灣史") == {"臺灣史地走讀"}


def test_longer_phrases_must_be_consecutive(catalogue):
    assert found("素養導向") == {"數學素養導向課程設計"}
    assert found("素養課程") == set()  # the words are there, not this phrase
    assert found("案例研討") == {"性平教育案例研討"}


def test_ascii_words_fullwidth_and_several_words(catalogue):
    assert found("python") == found("ＰＹＴＨＯＮ") == {"Python 程式設計入門"}
    assert found("Python 程式") == {"Python 程式設計入門"}
    assert found("Python 數學") == set()  # words are AND-ed


def test_unit_name_and_outline_are_searched(catalogue, publish):
    assert len(found("仁愛")) == 5
    other = UnitFactory(county=County.objects.get(code="63000"), name="光復國小")
    publish(other, name="閱讀理解", outline="運用提問策略引導學生思考")
    assert found("提問策略") == {"閱讀理解"}


def test_punctuation_only_keyword_lists_everything(catalogue):
    assert len(found("，！")) == 5


# --- filters -------------------------------------------------------------------------------


@pytest.fixture
def one(publish, school):
    return publish(
        school,
        name="特色課程",
        tags=["gender-equality"],
        target_stages=["14-3", "14-4"],
        delivery=["11-1", "11-3"],
        time_slots=["12-3"],
    )


@pytest.mark.parametrize(
    ("match", "miss"),
    [
        ({"county": "63000"}, {"county": "65000"}),
        ({"stages": ["14-4"]}, {"stages": ["14-1"]}),
        ({"stages": ["14-1", "14-3"]}, {"stages": ["14-1", "14-5"]}),  # any of
        ({"category": "5-1"}, {"category": "5-2"}),
        ({"item": "1-3-6"}, {"item": "1-3-5"}),
        ({"level": "7-2"}, {"level": "7-1"}),
        ({"tag": "gender-equality"}, {"tag": "digital-learning"}),
        ({"class_type": "1-2"}, {"class_type": "1-1"}),
        ({"delivery": ["11-3"]}, {"delivery": ["11-2"]}),
        ({"slots": ["12-3", "12-4"]}, {"slots": ["12-1"]}),
    ],
)
def test_each_filter(one, match, miss):
    assert codes_of(SearchParams(**match)) == [one.code]
    assert codes_of(SearchParams(**miss)) == []


def test_unit_and_date_filters(one, publish):
    other = publish(name="另一門課", **course_dates(TODAY + dt.timedelta(days=60), days=2))
    assert codes_of(SearchParams(unit_id=one.unit_id)) == [one.code]
    start = one.start_date
    assert codes_of(SearchParams(date_from=start, date_to=start)) == [one.code]
    assert codes_of(SearchParams(date_from=start + dt.timedelta(days=1))) == [other.code]
    # A course on days 60–62 overlaps a range starting on day 61.
    day61 = TODAY + dt.timedelta(days=61)
    assert codes_of(SearchParams(date_from=day61, date_to=day61)) == [other.code]
    assert codes_of(SearchParams(date_to=start - dt.timedelta(days=1))) == []


def test_registration_open_now_to_the_minute(publish):
    course = publish(registration_opens_at=dt.time(9, 30))
    version = course.published
    opens, closes = version.registration_opens, version.registration_closes
    assert timezone.localtime(opens).strftime("%H:%M") == "09:30"
    minute = dt.timedelta(minutes=1)
    open_now = SearchParams(open_now=True)
    assert codes_of(open_now, now=opens - minute) == []
    assert codes_of(open_now, now=opens - dt.timedelta(seconds=1)) == []
    assert codes_of(open_now, now=opens) == [course.code]
    assert codes_of(open_now, now=closes - minute) == [course.code]
    assert codes_of(open_now, now=closes) == []


# --- sorting ---------------------------------------------------------------------------------


def test_sort_orders(publish):
    later = publish(name="較晚", **course_dates(TODAY + dt.timedelta(days=50)))
    sooner = publish(name="較早", **course_dates(TODAY + dt.timedelta(days=30)))
    past = make_closed_course(name="已辦理", days_ago=60)
    index.index_course(past)
    # Courses still to come first (nearest first), then past courses.
    assert codes_of(SearchParams(sort="start")) == [sooner.code, later.code, past.code]
    # Registration still open or to open, soonest deadline first; then the closed ones.
    assert codes_of(SearchParams(sort="deadline")) == [sooner.code, later.code, past.code]
    Course.objects.filter(pk=sooner.pk).update(published_at=timezone.now() + dt.timedelta(hours=1))
    index.index_course(sooner)
    assert codes_of(SearchParams(sort="newest")) == [sooner.code, past.code, later.code]


# --- the search table follows the life cycle ------------------------------------------------


def test_publish_edit_approval_and_cancel_keep_the_index_in_sync(
    publish, django_capture_on_commit_callbacks
):
    course = publish(name="生命教育研習")
    entry = CourseSearchEntry.objects.get(course=course)
    assert entry.code == course.code and entry.status == CourseStatus.PUBLISHED
    assert found("生命") == {"生命教育研習"}

    organizer = StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.save_course(
            actor=organizer, course=course, data={"name": "品德教育研習", "hours": Decimal("3")}
        )
        lifecycle.submit_course(actor=organizer, course=course)
    course.refresh_from_db()
    if course.working is not None:  # not auto-approved: still the published name
        assert found("品德") == set() and found("生命") == {"生命教育研習"}
        reviewer = StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.approve_course(actor=reviewer, course=course)
    assert found("品德") == {"品德教育研習"} and found("生命") == set()

    course.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_course(actor=organizer, course=course, reason="講師因故無法授課")
    assert not CourseSearchEntry.objects.filter(course=course).exists()
    assert found("品德") == set()


def test_unapproved_courses_are_not_indexed(school, django_capture_on_commit_callbacks):
    from tests.factories import make_course

    with django_capture_on_commit_callbacks(execute=True):
        draft = make_course(school, name="草稿課程")
    assert index.index_course(draft) is None
    assert not CourseSearchEntry.objects.exists()


def test_change_after_closing_updates_the_index(django_capture_on_commit_callbacks):
    course = make_closed_course(name="自然科學探究")
    index.index_course(course)
    assert found("探究") == {"自然科學探究"}
    organizer = StaffFactory(unit=course.unit, role=StaffRole.OPERATOR).user
    reviewer = StaffFactory(unit=course.reviewing_center, role=StaffRole.OPERATOR).user
    center = Unit.objects.get(kind=UnitKind.NATIONAL_CENTER)
    national = StaffFactory(unit=center, role=StaffRole.OPERATOR).user
    request = changes.request_change(
        actor=organizer, course=course, data={"name": "自然科學實作"}, reason="名稱誤植"
    )
    changes.decide_change_request(actor=reviewer, change_request=request, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        changes.carry_out_change_request(actor=national, change_request=request)
    assert found("探究") == set() and found("實作") == {"自然科學實作"}
    assert CourseSearchEntry.objects.get(course=course).status == CourseStatus.CLOSED


def test_rebuild_command_rewrites_the_table(publish):
    from django.core.management import call_command

    course = publish(name="戶外教育")
    CourseSearchEntry.objects.all().delete()
    cancelled = publish(name="已取消的課")
    Course.objects.filter(pk=cancelled.pk).update(status=CourseStatus.CANCELLED)
    call_command("rebuild_search_index", batch_size=1)
    assert list(CourseSearchEntry.objects.values_list("code", flat=True)) == [course.code]
    assert found("戶外") == {"戶外教育"}
