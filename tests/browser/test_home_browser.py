import pytest

from tests.browser.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_is_accessible_and_keyboard_usable(page, live_server):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant-TW"
    assert axe_violations(page) == []
    # The first Tab reaches the skip link, which moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The search box is labelled and reachable.
    page.get_by_label("關鍵字（課程名稱、大綱或開課單位）").fill("數學")


def test_language_switch_works_without_javascript_knowledge(page, live_server):
    page.goto(live_server.url + "/")
    page.select_option("#lang-select", "en")
    page.get_by_role("button", name="切換").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def test_layout_is_responsive_on_a_phone(page, live_server):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
