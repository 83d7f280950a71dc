"""Public reference pages and the read-only admin."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_taxonomy_page_defaults_to_kindergarten(client):
    html = get(client, reverse("catalog:taxonomy"))
    assert 'lang="zh-Hant-TW"' in html
    assert "<h1>研習課程分類（課程細項）</h1>" in html
    assert "幼兒園教師：在職進修研習課程內涵與細項" in html
    assert "1-2-4</span> 幼兒園教保活動與課程暫行大綱" in html
    assert "課程細項不明列" in html  # category 6
    # The stage switcher is a plain GET form with a labelled select: it works without JS.
    assert '<form method="get" action="/catalog/taxonomy/"' in html
    assert '<label for="id_stage">教師類別</label>' in html
    assert '<option value="kindergarten" selected>幼兒園教師</option>' in html
    assert 'type="submit"' in html


def test_taxonomy_page_per_stage(client):
    html = get(client, reverse("catalog:taxonomy"), stage="elementary")
    assert '<option value="elementary" selected>國小教師</option>' in html
    assert "1-3-6</span> 差異化教學" in html
    assert "1-7-17</span> 交通安全教育" in html
    assert "4-2</span> 入學制度" in html  # category 4: sub-areas listed as leaves
    assert "幼兒園教保活動與課程暫行大綱" not in html

    html = get(client, reverse("catalog:taxonomy"), stage="senior_high")
    assert "1-2-4</span> 單元教材分析" in html
    assert "1-7-18</span> 職場倫理" in html
    assert "交通安全教育" not in html

    html = get(client, reverse("catalog:taxonomy"), stage="junior_high")
    assert "1-4-3</span> 多元評量" in html
    assert "1-4-4</span>" not in html


def test_taxonomy_page_headings_are_in_order(client):
    html = get(client, reverse("catalog:taxonomy"), stage="junior_high")
    levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert levels.count(3) == 6  # the six categories


def test_taxonomy_page_unknown_stage_falls_back_with_a_message(client):
    html = get(client, reverse("catalog:taxonomy"), stage="university")
    assert "查無您指定的教師類別" in html
    assert '<option value="kindergarten" selected>' in html


def test_taxonomy_page_queries_are_pinned(client, django_assert_max_num_queries):
    get(client, reverse("catalog:taxonomy"), stage="elementary")
    with django_assert_max_num_queries(0):
        get(client, reverse("catalog:taxonomy"), stage="elementary")


def test_codes_page_lists_tables_and_tags(client):
    html = get(client, reverse("catalog:codes"))
    assert 'lang="zh-Hant-TW"' in html
    assert "欄位 11：實施方式" in html
    assert '<th scope="row">11-99</th>' in html
    assert "其他（須填寫說明）" in html
    assert '<th scope="row">15-16</th>' in html and "課後照顧人員" in html
    assert '<th scope="row">21-12</th>' in html and "無接受補助" in html
    assert '<th scope="col">停用日期</th>' in html
    # Tags with definitions and validity; SDGs shown as retired on 2024-08-01.
    assert "專案屬性標籤" in html
    row = re.search(r'<th scope="row">SDGs</th>(.*?)</tr>', html, re.S).group(1)
    assert "2024-08-01" in row and "已停用" in row and "永續發展" in row
    row = re.search(r'<th scope="row">媒體素養</th>(.*?)</tr>', html, re.S).group(1)
    assert "2023-07-05" in row and "使用中" in row


def test_subjects_page(client):
    html = get(client, reverse("catalog:subjects"), stage="JH")
    assert "<h2>國民中學</h2>" in html
    assert "資訊科技" in html and "JH-TECH-IT" in html
    assert "十二年國民基本教育課程綱要總綱" in html
    html = get(client, reverse("catalog:subjects"), stage="nope")
    assert "查無您指定的教育階段" in html and "<h2>幼兒園</h2>" in html


def test_pages_are_public(client):
    for name in ["catalog:taxonomy", "catalog:codes", "catalog:subjects"]:
        assert client.get(reverse(name)).status_code == 200


def test_admin_shows_reference_data_read_only(admin_client):
    assert admin_client.get("/admin/catalog/code/").status_code == 200
    assert admin_client.get("/admin/catalog/topicnode/?stage=elementary").status_code == 200
    assert admin_client.get("/admin/catalog/attributetag/").status_code == 200
    assert admin_client.get("/admin/catalog/subject/").status_code == 200
    assert admin_client.get("/admin/catalog/code/add/").status_code == 403
    from inservice.catalog.models import Code

    code = Code.objects.get(table="delivery", code="11-1")
    response = admin_client.post(
        f"/admin/catalog/code/{code.pk}/change/", {"name": "改名", "table": "delivery"}
    )
    assert response.status_code == 403
    code.refresh_from_db()
    assert code.name == "講授"
