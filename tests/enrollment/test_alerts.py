"""研習訂閱: saving a search, the daily digest, one-click unsubscribe, permissions."""

import pytest
from django.urls import reverse
from django.utils import timezone

from inservice.enrollment.models import SavedSearch
from inservice.enrollment.services import alerts
from inservice.notifications.models import OutboundEmail
from inservice.organizations.models import County
from tests.factories import StaffFactory, TeacherFactory, UnitFactory, UserFactory, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def taipei():
    return County.objects.get(code="63000")


def teacher_login(county):
    return TeacherFactory(user=UserFactory(), serving_unit=UnitFactory(county=county))


def test_save_current_search_keeps_its_parameters(client, taipei):
    me = teacher_login(taipei)
    client.force_login(me.user)
    response = client.post(
        reverse("enrollment:save_search"),
        {"q": "數學", "county": "63000", "page": "3", "evil": "x", "name": "臺北數學"},
    )
    assert response.status_code == 302
    saved = SavedSearch.objects.get(teacher=me)
    assert saved.name == "臺北數學"
    assert saved.params == {"county": "63000", "q": "數學"}
    html = client.get(reverse("enrollment:searches")).content.decode()
    assert "臺北數學" in html
    assert "county=63000" in html and "q=%E6%95%B8%E5%AD%B8" in html  # link back to the search


def test_empty_search_cannot_be_saved(client, taipei):
    me = teacher_login(taipei)
    client.force_login(me.user)
    response = client.post(reverse("enrollment:save_search"), {"page": "2"}, follow=True)
    assert "請先設定搜尋條件" in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_digest_mails_new_matches_once(taipei):
    me = teacher_login(taipei)
    saved = SavedSearch.objects.create(
        teacher=me, name="數學", params={"q": "數學", "county": "63000"}
    )
    hit = make_course(UnitFactory(county=taipei), approve=True, name="國小數學素養教學")
    make_course(UnitFactory(county=taipei), approve=True, name="英語教學")  # other keyword
    elsewhere = County.objects.exclude(code="63000").first()
    make_course(UnitFactory(county=elsewhere), approve=True, name="數學遊戲")  # other county
    make_course(UnitFactory(county=taipei), name="數學草稿")  # not published

    assert alerts.send_search_digests() == 1
    [mail] = OutboundEmail.objects.filter(template="alert_search_digest")
    assert mail.to == me.user.email
    assert "國小數學素養教學" in mail.body_text and f"/courses/{hit.code}/" in mail.body_text
    assert "數學遊戲" not in mail.body_text and "英語教學" not in mail.body_text
    assert f"/alerts/unsubscribe/{saved.unsubscribe_token}/" in mail.body_text
    saved.refresh_from_db()
    assert saved.last_sent_at is not None

    assert alerts.send_search_digests() == 0  # nothing new since
    make_course(UnitFactory(county=taipei), approve=True, name="數學閱讀")
    assert alerts.send_search_digests() == 1


def test_digest_filters_by_category(taipei):
    me = teacher_login(taipei)
    SavedSearch.objects.create(teacher=me, name="範疇", params={"category": "5-2"})
    make_course(UnitFactory(county=taipei), approve=True, category="5-1")
    assert alerts.send_search_digests() == 0


def test_unsubscribe_get_confirms_post_unsubscribes(client, taipei):
    me = teacher_login(taipei)
    saved = SavedSearch.objects.create(teacher=me, name="性平", params={"q": "性平"})
    url = reverse("enrollment:unsubscribe", args=[saved.unsubscribe_token])
    page = client.get(url)  # a mail scanner prefetching the link changes nothing
    assert page.status_code == 200 and "確認取消訂閱" in page.content.decode()
    saved.refresh_from_db()
    assert saved.active
    response = client.post(url)
    assert response.status_code == 200 and "已取消訂閱" in response.content.decode()
    saved.refresh_from_db()
    assert not saved.active
    make_course(UnitFactory(county=taipei), approve=True, name="性平教育")
    assert alerts.send_search_digests() == 0
    assert client.get(reverse("enrollment:unsubscribe", args=["x" * 43])).status_code == 404


def test_other_teachers_saved_search_is_404(client, taipei):
    owner = teacher_login(taipei)
    saved = SavedSearch.objects.create(teacher=owner, name="甲", params={"q": "甲"})
    client.force_login(teacher_login(taipei).user)
    assert "甲" not in client.get(reverse("enrollment:searches")).content.decode()
    response = client.post(reverse("enrollment:delete_search", args=[saved.pk]))
    assert response.status_code == 404
    assert SavedSearch.objects.filter(pk=saved.pk).exists()
    client.force_login(owner.user)
    client.post(reverse("enrollment:delete_search", args=[saved.pk]))
    assert not SavedSearch.objects.filter(pk=saved.pk).exists()


def test_saved_search_pages_are_for_teachers(client, taipei):
    saved = SavedSearch.objects.create(teacher=teacher_login(taipei), name="乙", params={"q": "乙"})
    urls = [reverse("enrollment:searches")]
    posts = [reverse("enrollment:save_search"), reverse("enrollment:delete_search", args=[1])]
    for url in urls:
        assert client.get(url).status_code == 302
    for url in posts:
        assert client.post(url).status_code == 302
    client.force_login(StaffFactory(unit=UnitFactory(county=taipei)).user)
    for url in urls:
        assert client.get(url).status_code == 403
    for url in posts:
        assert client.post(url).status_code == 403
    # The unsubscribe link works without logging in (the token is the proof).
    client.logout()
    assert (
        client.get(reverse("enrollment:unsubscribe", args=[saved.unsubscribe_token])).status_code
        == 200
    )


def test_digest_skips_searches_saved_after_publication(taipei):
    make_course(UnitFactory(county=taipei), approve=True, name="數學研習")
    SavedSearch.objects.create(teacher=teacher_login(taipei), name="數學", params={"q": "數學"})
    assert alerts.send_search_digests(now=timezone.now()) == 0


def test_digest_offers_rfc8058_one_click_unsubscribe(taipei):
    from django.test import Client

    me = teacher_login(taipei)
    saved = SavedSearch.objects.create(teacher=me, name="數學", params={"q": "數學"})
    make_course(UnitFactory(county=taipei), approve=True, name="國小數學素養教學")
    assert alerts.send_search_digests() == 1
    mail = OutboundEmail.objects.get(template="alert_search_digest")
    url = mail.headers["List-Unsubscribe"].strip("<>")
    assert url.endswith(f"/alerts/unsubscribe/{saved.unsubscribe_token}/")
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A mail client posts without a session or CSRF token.
    from urllib.parse import urlsplit

    response = Client(enforce_csrf_checks=True).post(
        urlsplit(url).path, {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    saved.refresh_from_db()
    assert saved.active is False
