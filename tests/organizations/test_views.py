"""Directory, unit detail, unit picker and the staff's own-unit contact page."""

import json

import pytest
from django.urls import reverse

from inservice.accounts.models import StaffStatus
from inservice.core.models import AuditEvent
from inservice.organizations import reference
from inservice.organizations.models import Ownership, Unit, UnitKind
from tests.factories import CountyFactory, StaffFactory, UnitFactory, UserFactory

from .conftest import TAICHUNG, TAIPEI, county

pytestmark = pytest.mark.django_db
K, OW = UnitKind, Ownership
DIRECTORY = reverse("organizations:directory")
EDIT = reverse("organizations:edit_contact")


@pytest.fixture
def schools(make_unit):
    return {
        "taichung_elem": make_unit(
            K.ELEMENTARY, county_code=TAICHUNG, name="臺中市立大墩國民小學", code="064601"
        ),
        "taichung_junior": make_unit(
            K.JUNIOR_HIGH, county_code=TAICHUNG, name="臺中市立大墩國民中學", code="063501"
        ),
        "taipei_elem": make_unit(
            K.ELEMENTARY, county_code=TAIPEI, name="臺北市立大安國民小學", code="333601"
        ),
        "closed": make_unit(
            K.ELEMENTARY,
            county_code=TAICHUNG,
            name="臺中市立已裁併國民小學",
            code="064699",
            is_active=False,
        ),
    }


def names(response):
    return [unit.name for unit in response.context["page"].object_list]


# -- directory ------------------------------------------------------------------------


def test_directory_is_public_zh_hant_with_a_no_js_filter_form(client, schools):
    response = client.get(DIRECTORY)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-Hant-TW"' in html
    assert "<h1>單位查詢</h1>" in html
    assert 'method="get"' in html
    for field in ("county", "kind", "q"):
        assert f'<label for="id_{field}">' in html
    assert "共 " in html and " 個單位" in html
    assert "臺中市立大墩國民小學" in html
    assert "臺中市立已裁併國民小學" not in html  # inactive units are not listed


def test_filter_by_county(client, schools):
    response = client.get(DIRECTORY, {"county": TAICHUNG})
    got = names(response)
    assert "臺中市立大墩國民小學" in got and "臺中市立大墩國民中學" in got
    assert "臺北市立大安國民小學" not in got
    assert all(u.county.code == TAICHUNG for u in response.context["page"].object_list)
    assert "臺中市政府教育局" in got


def test_filter_by_kind(client, schools):
    got = names(client.get(DIRECTORY, {"kind": K.JUNIOR_HIGH}))
    assert got == ["臺中市立大墩國民中學"]


def test_filter_by_keyword_accepts_tai_variants_and_code_prefix(client, schools):
    assert names(client.get(DIRECTORY, {"q": "台中 大墩"})) == [
        "臺中市立大墩國民中學",
        "臺中市立大墩國民小學",
    ]
    assert names(client.get(DIRECTORY, {"q": "大安"})) == ["臺北市立大安國民小學"]
    assert names(client.get(DIRECTORY, {"q": "3336"})) == ["臺北市立大安國民小學"]
    assert names(client.get(DIRECTORY, {"q": "ｍｏｅ"})) == ["教育部"]  # full-width input


def test_filters_combine_and_count_is_shown(client, schools):
    response = client.get(DIRECTORY, {"county": TAICHUNG, "kind": K.ELEMENTARY, "q": "大墩"})
    assert names(response) == ["臺中市立大墩國民小學"]
    assert "共 1 個單位" in response.content.decode()


def test_no_result_message(client, schools):
    response = client.get(DIRECTORY, {"q": "不存在的學校"})
    assert "沒有符合條件的單位" in response.content.decode()


def test_invalid_filters_show_specific_errors(client, schools):
    response = client.get(DIRECTORY, {"county": "99999", "kind": "castle"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "找不到這個縣市代碼，請從清單選擇縣市。" in html
    assert "找不到這個單位類型，請從清單選擇。" in html
    assert response.context["page"] is None


def test_pagination_keeps_the_filters(client):
    test_county = CountyFactory(name="分頁測試縣")
    UnitFactory.create_batch(55, county=test_county)
    response = client.get(DIRECTORY, {"county": test_county.code})
    html = response.content.decode()
    assert len(response.context["page"].object_list) == 50
    assert "共 55 個單位" in html and "第 1 / 2 頁" in html
    assert f'href="?county={test_county.code}&amp;page=2" rel="next"' in html
    page2 = client.get(DIRECTORY, {"county": test_county.code, "page": 2})
    assert len(page2.context["page"].object_list) == 5
    assert client.get(DIRECTORY, {"page": "abc"}).status_code == 200


def test_directory_query_count_does_not_grow_with_the_page(client, django_assert_num_queries):
    test_county = CountyFactory(name="查詢數縣")
    UnitFactory.create_batch(60, county=test_county)
    # county filter look-up, count, page of units with their county, county options
    with django_assert_num_queries(4):
        assert client.get(DIRECTORY, {"county": test_county.code, "page": 2}).status_code == 200
    with django_assert_num_queries(3):
        assert client.get(DIRECTORY).status_code == 200


def test_home_page_links_to_the_unit_directory(client, schools):
    # The county list on the home page leads to courses (tests/search); the directory stays
    # one click away from every page.
    html = client.get("/").content.decode()
    assert f'href="{DIRECTORY}"' in html


# -- detail ---------------------------------------------------------------------------


def test_unit_detail_shows_contact_and_reviewing_center(client, make_unit):
    unit = make_unit(
        K.ELEMENTARY,
        county_code=TAICHUNG,
        name="臺中市立測試國小",
        code="064602",
        address="臺中市西區民權路 1 號",
        email="office@test.tc.edu.tw",
        website="https://test.tc.edu.tw/",
    )
    response = client.get(reverse("organizations:unit_detail", args=[unit.code]))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "臺中市立測試國小",
        "臺中市西區民權路 1 號",
        "02-2345-6789",
        "office@test.tc.edu.tw",
    ):
        assert text in html
    assert "由下列區管中心審核" in html and "臺中市政府教育局" in html
    assert reverse("organizations:unit_detail", args=["EDU-66000"]) in html
    assert EDIT not in html  # anonymous visitors get no edit link


def test_center_detail_says_it_reviews_itself(client):
    html = client.get(reverse("organizations:unit_detail", args=["EDU-63000"])).content.decode()
    assert "本單位自行審核" in html


def test_k12_detail_lists_its_groups(client):
    html = client.get(reverse("organizations:unit_detail", args=["K12EA"])).content.decode()
    assert "教育部國民及學前教育署高級中等教育組" in html


def test_unroutable_unit_detail_explains_why(client, make_unit):
    unit = make_unit(K.ELEMENTARY, county_code=None, name="無縣市國小", code="NOCOUNTY1")
    html = client.get(reverse("organizations:unit_detail", args=[unit.code])).content.decode()
    assert "目前無法判斷審核單位" in html and "沒有設定所在縣市" in html


def test_unknown_unit_is_404(client):
    assert client.get(reverse("organizations:unit_detail", args=["NOPE"])).status_code == 404


def test_edit_link_only_for_own_unit_staff(client, school_staff, make_unit):
    own = school_staff.staff.unit
    other = make_unit(K.ELEMENTARY)
    client.force_login(school_staff)
    assert (
        EDIT in client.get(reverse("organizations:unit_detail", args=[own.code])).content.decode()
    )
    assert (
        EDIT
        not in client.get(reverse("organizations:unit_detail", args=[other.code])).content.decode()
    )


# -- unit picker ----------------------------------------------------------------------


def test_search_returns_up_to_20_active_units_as_json(client):
    test_county = CountyFactory(name="選單縣")
    UnitFactory.create_batch(25, county=test_county, name="選單測試國小")
    UnitFactory(county=test_county, name="選單測試國小停辦", is_active=False)
    response = client.get(reverse("organizations:search"), {"q": "選單測試"})
    assert response.status_code == 200
    results = json.loads(response.content)["results"]
    assert len(results) == 20
    assert set(results[0]) == {"code", "name", "county"}
    assert results[0]["county"] == "選單縣"
    assert all(r["name"] == "選單測試國小" for r in results)


def test_search_matches_code_and_tai_variant(client, schools):
    results = json.loads(
        client.get(reverse("organizations:search"), {"q": "台北市立大安"}).content
    )["results"]
    assert results == [{"code": "333601", "name": "臺北市立大安國民小學", "county": "臺北市"}]
    by_code = json.loads(client.get(reverse("organizations:search"), {"q": "0646"}).content)[
        "results"
    ]
    assert [r["code"] for r in by_code] == ["064601"]


def test_search_without_query_returns_nothing(client, schools):
    assert json.loads(client.get(reverse("organizations:search")).content) == {"results": []}


def test_search_for_htmx_returns_options(client, schools):
    response = client.get(reverse("organizations:search"), {"q": "大墩"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert '<option value="064601">臺中市立大墩國民小學（臺中市）</option>' in html
    assert "<html" not in html


# -- edit own unit's contact ---------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(EDIT)
    assert response.status_code == 302 and "/login" in response.url


def test_teacher_gets_403(client):
    client.force_login(UserFactory())
    assert client.get(EDIT).status_code == 403


@pytest.mark.parametrize(
    "status", [StaffStatus.PENDING, StaffStatus.REJECTED, StaffStatus.DEACTIVATED]
)
def test_unusable_staff_gets_403(client, make_unit, status):
    client.force_login(StaffFactory(unit=make_unit(K.ELEMENTARY), status=status).user)
    assert client.get(EDIT).status_code == 403


def test_staff_edits_own_unit_contact(client, school_staff):
    unit = school_staff.staff.unit
    client.force_login(school_staff)
    page = client.get(EDIT)
    assert page.status_code == 200
    html = page.content.decode()
    assert "修改本單位通訊資料" in html and unit.name in html
    assert 'value="02-2345-6789"' in html
    response = client.post(
        EDIT,
        {
            "phone": "04-22223333#100",
            "email": "office@dadun.tc.edu.tw",
            "address": "臺中市西區大墩路 1 號",
            "website": "https://dadun.tc.edu.tw/",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("organizations:unit_detail", args=[unit.code])
    unit.refresh_from_db()
    assert (unit.phone, unit.email) == ("04-22223333#100", "office@dadun.tc.edu.tw")
    event = AuditEvent.objects.get(action="unit.contact_updated")
    assert event.actor == school_staff and event.object_id == str(unit.pk)
    assert "已更新本單位通訊資料" in client.get(response.url).content.decode()


def test_edit_cannot_target_another_unit(client, school_staff, make_unit):
    other = make_unit(K.ELEMENTARY, name="別的學校", code="OTHER01")
    client.force_login(school_staff)
    client.post(
        EDIT, {"phone": "04-11112222", "unit": other.code, "code": other.code, "unit_id": other.pk}
    )
    other.refresh_from_db()
    assert other.phone == "02-2345-6789"
    assert Unit.objects.get(pk=school_staff.staff.unit_id).phone == "04-11112222"
    assert client.post(f"{EDIT}?unit={other.code}", {"phone": "04-33334444"}).status_code == 302
    other.refresh_from_db()
    assert other.phone == "02-2345-6789"


def test_form_errors_are_specific_and_in_zh_hant(client, school_staff):
    client.force_login(school_staff)
    html = client.post(EDIT, {"email": "nope", "website": "ftp://x.example"}).content.decode()
    assert "電子郵件格式不正確，例如 service@school.edu.tw。" in html
    assert "網站須為 http:// 或 https:// 開頭的完整網址。" in html
    html = client.post(EDIT, {"website": "javascript:alert(1)"}).content.decode()
    assert html.count("網站須為 http:// 或 https:// 開頭的完整網址。") == 1
    html = client.post(EDIT, {"phone": "call me"}).content.decode()
    assert "電話格式不正確" in html
    assert not AuditEvent.objects.filter(action="unit.contact_updated").exists()


def test_center_staff_edit_their_own_center(client):
    bureau = reference.county_bureau(county(TAICHUNG))
    client.force_login(StaffFactory(unit=bureau).user)
    client.post(EDIT, {"phone": "04-22289111"})
    bureau.refresh_from_db()
    assert bureau.phone == "04-22289111"
