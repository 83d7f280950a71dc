"""The search pages: parameters in the URL, malformed ones ignored with a notice, pagination,
entry pages per county and school, and a fixed number of queries per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inservice.organizations.models import County
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def taipei_school():
    return UnitFactory(county=County.objects.get(code="63000"), name="民權國小")


def test_keyword_search_page(client, publish, taipei_school):
    course = publish(taipei_school, name="數學素養工作坊")
    publish(taipei_school, name="英語教學")
    response = client.get("/courses/", {"q": "數學"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="數學"' in html
    assert "找到 1 門課程" in html
    assert f'href="/courses/{course.code}/"' in html and str(course.code) in html
    assert "民權國小" in html and "尚未開放報名" in html
    assert "英語教學" not in html


def test_filters_are_a_shareable_url_and_the_form_keeps_them(client, publish, taipei_school):
    publish(taipei_school, name="數學素養工作坊")
    url = "/courses/?q=數學&county=63000&stage=14-4&delivery=11-3&sort=deadline"
    html = client.get(url).content.decode()
    assert "找到 1 門課程" in html
    assert 'value="14-4" ' in html and "checked" in html
    assert '<option value="63000" selected>' in html
    html = client.get("/courses/?county=65000").content.decode()
    assert "找到 0 門課程" in html and "沒有符合條件的研習課程" in html


@pytest.mark.parametrize(
    "query",
    [
        "from=2024-13-45",
        "to=yesterday",
        "county=99999",
        "unit=NO-SUCH-UNIT",
        "stage=14-99",
        "item=1-3-6%27%3B--",
        "sort=random",
        "page=abc",
        "page=999",
        "open=maybe",
        "q=" + "長" * 300,
        "tag=%00",
        "category=5-1&category=5-2",
    ],
)
def test_malformed_parameters_never_fail(client, publish, taipei_school, query):
    publish(taipei_school, name="數學素養工作坊")
    response = client.get("/courses/?" + query)
    assert response.status_code == 200


def test_malformed_parameter_is_reported_and_the_rest_applies(client, publish, taipei_school):
    publish(taipei_school, name="數學素養工作坊")
    html = client.get("/courses/?q=數學&from=2024-13-45&county=99999").content.decode()
    assert "已略過" in html and "課程日期起" in html and "縣市" in html
    assert "找到 1 門課程" in html  # the keyword still applies


def test_pagination_keeps_the_filters(client, publish, taipei_school):
    from inservice.search import views

    for n in range(3):
        publish(taipei_school, name=f"數學研習{n}")
    views_page_size = views.PAGE_SIZE
    views.PAGE_SIZE = 2
    try:
        html = client.get("/courses/", {"q": "數學"}).content.decode()
        assert "找到 3 門課程" in html and "第 1 / 2 頁" in html
        assert "?q=%E6%95%B8%E5%AD%B8&amp;page=2" in html
        html = client.get("/courses/", {"q": "數學", "page": 2}).content.decode()
        assert "第 2 / 2 頁" in html and html.count("<li>\n      <h3>") == 1
    finally:
        views.PAGE_SIZE = views_page_size


def test_county_and_school_entry_pages(client, publish, taipei_school):
    course = publish(taipei_school, name="臺北市的課")
    newtaipei = UnitFactory(county=County.objects.get(code="65000"), name="板橋國小")
    other = publish(newtaipei, name="新北市的課")
    html = client.get("/courses/county/63000/").content.decode()
    assert "依縣市研習課程：臺北市" in html
    assert "臺北市的課" in html and "新北市的課" not in html
    # The county stays fixed even if a parameter says otherwise.
    assert "新北市的課" not in client.get("/courses/county/63000/?county=65000").content.decode()
    html = client.get(f"/courses/unit/{newtaipei.code}/").content.decode()
    assert "依學校研習課程：板橋國小" in html
    assert "新北市的課" in html and "臺北市的課" not in html
    assert client.get("/courses/county/00000/").status_code == 404
    assert client.get("/courses/unit/NOPE/").status_code == 404
    assert course.code != other.code


def test_home_page_counties_lead_to_the_county_pages(client, db):
    html = client.get("/").content.decode()
    assert 'href="/courses/county/63000/"' in html


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_fixed(client, publish, taipei_school):
    publish(taipei_school, name="數學一")
    # Warm the caches: the form's option lists, and the keyword statistics (search.stats,
    # read once per process and kept for ten minutes).
    client.get("/courses/?q=暖")
    url = "/courses/?q=數學&stage=14-4&delivery=11-3&unit=" + taipei_school.code
    few = _queries(client, "/courses/?q=數學")
    for n in range(5):
        other = UnitFactory(county=County.objects.get(code="66000"))
        publish(other, name=f"數學{n}")
    assert _queries(client, "/courses/?q=數學") == few
    # The count and the page (unit and county joined); the option lists come from the cache.
    assert few == 2
    assert _queries(client, url) == 3  # + the unit code lookup
    assert "找到 1 門課程" in client.get(url).content.decode()


def test_option_lists_are_cached_and_follow_changes(client, db):
    client.get("/courses/")
    # Only the count (nothing is found, so there is no page to read).
    assert _queries(client, "/courses/?county=63000&stage=14-4") == 1
    html = client.get("/courses/?county=63000").content.decode()
    assert '<option value="63000" selected>臺北市</option>' in html
    # A county or catalog change drops the cached lists (and the widgets rendered from them).
    County.objects.filter(code="63000").update(name="台北市")  # no signal: still cached
    assert '<option value="63000">臺北市</option>' in client.get("/courses/").content.decode()
    county = County.objects.get(code="63000")
    county.save()
    html = client.get("/courses/").content.decode()
    assert '<option value="63000">台北市</option>' in html
    html = client.get("/courses/?county=63000").content.decode()
    assert '<option value="63000" selected>台北市</option>' in html


@pytest.mark.parametrize(
    ("name", "placeholder", "value"),
    [
        ("courses:public_detail", 987654321, 9000123),
        ("course_search_unit", "UNITCODE", "013601"),
        ("course_search_unit", "UNITCODE", "北市 A#1?x=%"),
    ],
)
def test_result_links_are_what_reverse_gives(name, placeholder, value):
    from django.urls import reverse

    from inservice.search.views import _url_maker

    assert _url_maker(name, placeholder)(value) == reverse(name, args=[value])


def test_every_value_in_a_result_is_escaped(client, publish):
    unit = UnitFactory(county=County.objects.get(code="63000"), name="<i>民權</i> & '國小'")
    publish(unit, name="數學 <script>alert(\"x\")</script> & '研習'")
    html = client.get("/courses/", {"q": "數學"}).content.decode()
    assert "<script>" not in html and "<i>民權" not in html
    from django.utils.html import escape

    assert escape("數學 <script>alert(\"x\")</script> & '研習'") in html
    assert escape("<i>民權</i> & '國小'") in html


def test_the_option_lists_follow_the_page_language(client, db):
    """The normalized option lists are shared by every request of a process; their "any"
    label is still translated for each page."""
    from django.conf import settings

    assert '<option value="" selected>（不限）</option>' in client.get("/courses/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/courses/").content.decode()
    assert '<option value="" selected>(Any)</option>' in html and "（不限）" not in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    assert "（不限）" in client.get("/courses/").content.decode()


def test_the_form_is_rendered_once_per_search_state(client, db):
    """The form's HTML is kept per process for the same parameters, language and errors:
    another search, language or error state renders it again."""
    from django.conf import settings

    from inservice.search import views

    views._FORMS.clear()

    def form_rendered(url):
        response = client.get(url)
        return "search/_form.html" in [t.name for t in response.templates], response

    assert form_rendered("/courses/?q=數學&county=63000")[0]
    again, response = form_rendered("/courses/?q=數學&county=63000&page=2")
    assert not again and 'value="數學"' in response.content.decode()
    assert form_rendered("/courses/?q=英語&county=63000")[0]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert form_rendered("/courses/?q=數學&county=63000")[0]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    # A unit code that does not exist is an error of the form; once the unit exists, the
    # same parameters render a form without it.
    rendered, response = form_rendered("/courses/?unit=NEW-UNIT-1")
    assert rendered and 'aria-invalid="true"' in response.content.decode()
    UnitFactory(code="NEW-UNIT-1")
    rendered, response = form_rendered("/courses/?unit=NEW-UNIT-1")
    assert rendered and 'aria-invalid="true"' not in response.content.decode()
