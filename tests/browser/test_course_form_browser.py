"""The course form in a real browser: accessible, and the dependent choices narrow via htmx."""

import pytest

from inservice.accounts.models import StaffRole
from inservice.organizations.models import County
from tests.browser.conftest import axe_violations
from tests.factories import StaffFactory, UnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-9"


def _login(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/?kind=staff")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_course_form_is_accessible_and_topic_items_follow_stage_and_category(page, live_server):
    school = UnitFactory(county=County.objects.get(code="63000"))
    staff = StaffFactory(unit=school, role=StaffRole.OPERATOR)
    _login(page, live_server, staff.user.username)
    page.goto(live_server.url + "/manage/courses/new/")
    assert page.locator("h1").inner_text() == "研習課程登錄"
    assert axe_violations(page) == []

    page.locator("input[name=category][value='5-1']").check()
    page.select_option("select[name=taxonomy_stage]", "kindergarten")
    # htmx replaces the topic item field with the kindergarten items of category 1.
    page.wait_for_function(
        "document.querySelector('select[name=topic_item]') &&"
        " document.querySelector('select[name=topic_item]').innerText.includes('幼兒身心發展')"
    )
    page.select_option("select[name=taxonomy_stage]", "senior_high")
    page.wait_for_function(
        "document.querySelector('select[name=topic_item]').innerText.includes('單元教材分析')"
    )
    options = page.locator("select[name=topic_item]").inner_text()
    assert "幼兒身心發展" not in options
