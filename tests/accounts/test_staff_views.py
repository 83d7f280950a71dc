"""The staff pages over HTTP: who sees what, and that everyone else gets 403/404."""

import pytest
from django.urls import reverse

from inservice.accounts.models import StaffRole, StaffStatus
from inservice.organizations import reference
from inservice.organizations.models import County, UnitKind
from tests.factories import TeacherFactory, UnitFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

CHIEF, CONTACT, OPERATOR = StaffRole.CHIEF, StaffRole.CONTACT, StaffRole.OPERATOR


@pytest.fixture
def world():
    taipei = County.objects.get(code="63000")
    school = UnitFactory(kind=UnitKind.ELEMENTARY, county=taipei)
    other_school = UnitFactory(kind=UnitKind.ELEMENTARY, county=taipei)
    bureau = reference.county_bureau(taipei)
    other_bureau = reference.county_bureau(County.objects.get(code="66000"))
    return {
        "school": school,
        "chief": make_staff(school, CHIEF),
        "contact": make_staff(school, CONTACT),
        "operator": make_staff(school, OPERATOR),
        "applicant": make_staff(school, OPERATOR, StaffStatus.PENDING),
        "other_chief": make_staff(other_school, CHIEF),
        "bureau_chief": make_staff(bureau, CHIEF),
        "other_bureau_chief": make_staff(other_bureau, CHIEF),
        "nc_chief": make_staff(reference.national_center(), CHIEF),
        "teacher": TeacherFactory(user=UserFactory(), serving_unit=school),
    }


def login(client, world, who):
    user = world[who].user
    client.force_login(user)
    return user


def test_anonymous_is_sent_to_login(client, world):
    profile = world["applicant"]
    for url in (
        reverse("accounts:staff_home"),
        reverse("accounts:staff_applications"),
        reverse("accounts:staff_unit"),
        reverse("accounts:staff_unit_accounts", args=[world["school"].code]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    response = client.post(
        reverse("accounts:staff_decide", args=[profile.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.status == StaffStatus.PENDING


def test_home_shows_unit_role_and_menu(client, world):
    login(client, world, "chief")
    html = client.get(reverse("accounts:staff_home")).content.decode()
    assert world["school"].name in html and "總負責人" in html
    for label in ("研習課程登錄", "本單位帳號管理", "教師資料登錄", "統計圖表(本校)"):
        assert label in html
    for label in ("轄下單位帳號管理", "研習課程資料確認", "統計圖表(全國)"):
        assert label not in html
    assert reverse("accounts:staff_unit") in html
    assert "有 1 件申請等待您審核" in html


def test_home_menu_of_operator_and_center(client, world):
    login(client, world, "operator")
    html = client.get(reverse("accounts:staff_home")).content.decode()
    assert "研習課程登錄" in html and "本單位帳號管理" not in html and "教師資料登錄" not in html
    client.force_login(world["bureau_chief"].user)
    html = client.get(reverse("accounts:staff_home")).content.decode()
    assert "轄下單位帳號管理" in html and "研習課程資料確認" in html
    assert reverse("accounts:staff_subordinates") in html


def test_teacher_gets_403_on_staff_pages(client, world):
    client.force_login(world["teacher"].user)
    for url in (
        reverse("accounts:staff_home"),
        reverse("accounts:staff_applications"),
        reverse("accounts:staff_unit"),
        reverse("accounts:staff_subordinates"),
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.get(reverse("accounts:staff_unit_accounts", args=[world["school"].code])).status_code
        == 404
    )


def test_chief_decides_over_http(client, world):
    login(client, world, "chief")
    page = client.get(reverse("accounts:staff_applications")).content.decode()
    assert world["applicant"].user.real_name in page
    url = reverse("accounts:staff_decide", args=[world["applicant"].pk])
    response = client.post(url, {"decision": "reject", "reason": ""}, follow=True)
    assert "退回申請時請填寫原因" in response.content.decode()
    response = client.post(url, {"decision": "approve", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:staff_applications")
    world["applicant"].refresh_from_db()
    assert world["applicant"].status == StaffStatus.ACTIVE


@pytest.mark.parametrize(
    "who", ["other_chief", "other_bureau_chief", "contact", "operator", "nc_chief", "bureau_chief"]
)
def test_others_cannot_decide_over_http(client, world, who):
    # The school has an active chief, so even its own regional center does not decide.
    login(client, world, who)
    page = client.get(reverse("accounts:staff_applications")).content.decode()
    assert world["applicant"].user.username not in page
    response = client.post(
        reverse("accounts:staff_decide", args=[world["applicant"].pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert "總負責人審核" in response.content.decode()
    world["applicant"].refresh_from_db()
    assert world["applicant"].status == StaffStatus.PENDING


def test_unknown_application_is_404(client, world):
    login(client, world, "chief")
    response = client.post(reverse("accounts:staff_decide", args=[999999]), {"decision": "approve"})
    assert response.status_code == 404


def test_own_unit_page_for_the_chief_only(client, world):
    login(client, world, "chief")
    html = client.get(reverse("accounts:staff_unit")).content.decode()
    for who in ("contact", "operator", "applicant"):
        assert world[who].user.username in html
    assert world["other_chief"].user.username not in html
    assert "指定" not in html  # making a chief is not the chief's act
    for who in ("contact", "operator"):
        client.force_login(world[who].user)
        assert client.get(reverse("accounts:staff_unit")).status_code == 403


def test_role_switch_over_http(client, world):
    login(client, world, "chief")
    operator = world["operator"]
    response = client.post(
        reverse("accounts:staff_change_role", args=[operator.pk]),
        {"role": "contact", "next": reverse("accounts:staff_unit")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("accounts:staff_unit")
    operator.refresh_from_db()
    assert operator.role == CONTACT


def test_chief_asking_for_chief_role_gets_the_specific_403(client, world):
    login(client, world, "chief")
    response = client.post(
        reverse("accounts:staff_change_role", args=[world["contact"].pk]), {"role": "chief"}
    )
    assert response.status_code == 403
    assert "須洽所屬教育行政主管機關" in response.content.decode()
    response = client.post(reverse("accounts:staff_make_chief", args=[world["contact"].pk]))
    assert response.status_code == 403
    assert "須洽所屬教育行政主管機關" in response.content.decode()
    world["chief"].refresh_from_db()
    assert world["chief"].role == CHIEF


@pytest.mark.parametrize("who", ["other_chief", "other_bureau_chief", "contact", "nc_chief"])
def test_other_units_get_403_on_actions(client, world, who):
    login(client, world, who)
    operator = world["operator"]
    for name, data in (
        ("accounts:staff_change_role", {"role": "contact"}),
        ("accounts:staff_set_status", {"action": "deactivate"}),
        ("accounts:staff_make_chief", {}),
    ):
        response = client.post(reverse(name, args=[operator.pk]), data)
        assert response.status_code == 403, name
    operator.refresh_from_db()
    assert operator.role == OPERATOR and operator.status == StaffStatus.ACTIVE


@pytest.mark.parametrize("who", ["other_bureau_chief", "nc_chief", "chief", "other_chief"])
def test_unit_accounts_page_is_404_outside_reach(client, world, who):
    login(client, world, who)
    url = reverse("accounts:staff_unit_accounts", args=[world["school"].code])
    assert client.get(url).status_code in (403, 404)


def test_regional_center_manages_the_unit_and_transfers_the_chief(client, world):
    login(client, world, "bureau_chief")
    url = reverse("accounts:staff_unit_accounts", args=[world["school"].code])
    html = client.get(url).content.decode()
    assert world["chief"].user.username in html and "指定" in html
    search = client.get(reverse("accounts:staff_subordinates"), {"q": world["school"].code})
    assert url in search.content.decode()
    response = client.post(
        reverse("accounts:staff_make_chief", args=[world["contact"].pk]), {"next": url}
    )
    assert response.status_code == 302 and response["Location"] == url
    world["contact"].refresh_from_db()
    world["chief"].refresh_from_db()
    assert world["contact"].role == CHIEF and world["chief"].role == CONTACT


def test_subordinate_search_lists_only_units_in_reach(client, world):
    login(client, world, "other_bureau_chief")
    search = client.get(reverse("accounts:staff_subordinates"), {"q": world["school"].code})
    assert search.status_code == 200
    assert world["school"].name not in search.content.decode()
    client.force_login(world["chief"].user)
    assert client.get(reverse("accounts:staff_subordinates")).status_code == 403


def test_deactivate_and_reactivate_over_http(client, world):
    login(client, world, "chief")
    operator = world["operator"]
    url = reverse("accounts:staff_set_status", args=[operator.pk])
    assert client.post(url, {"action": "deactivate", "reason": "離職"}).status_code == 302
    operator.refresh_from_db()
    assert operator.status == StaffStatus.DEACTIVATED
    assert client.post(url, {"action": "reactivate"}).status_code == 302
    operator.refresh_from_db()
    assert operator.status == StaffStatus.ACTIVE


def test_get_on_action_urls_is_refused(client, world):
    login(client, world, "chief")
    assert (
        client.get(reverse("accounts:staff_set_status", args=[world["operator"].pk])).status_code
        == 405
    )


def test_site_admin_sees_every_pending_application(client, world):
    admin = UserFactory(kind="admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    html = client.get(reverse("accounts:staff_applications")).content.decode()
    assert world["applicant"].user.username in html
    assert client.get(reverse("accounts:staff_home")).status_code == 200


def test_home_links_to_records_and_attendance_pages_by_function(client, world):
    school_pages = [reverse("records:school_records")]
    center_pages = [
        reverse("attendance:list_review_queue"),
        reverse("records:hours_withheld"),
        reverse("records:center_records"),
    ]
    login(client, world, "chief")
    html = client.get(reverse("accounts:staff_home")).content.decode()
    assert all(url in html for url in school_pages)
    assert not any(url in html for url in center_pages)
    login(client, world, "operator")  # operators do not manage the unit's teachers
    html = client.get(reverse("accounts:staff_home")).content.decode()
    assert not any(url in html for url in school_pages + center_pages)
    login(client, world, "bureau_chief")
    html = client.get(reverse("accounts:staff_home")).content.decode()
    assert all(url in html for url in center_pages)
    for url in center_pages:
        assert client.get(url).status_code == 200, url
