def test_home_page_is_zh_hant_with_entry_points(client, db):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-Hant-TW"' in html
    for text in ["教師登入", "業務登入", "帳號申請", "忘記密碼", "最新消息"]:
        assert text in html
    assert 'role="search"' in html


def test_home_page_switches_to_english(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/")
    assert 'lang="en"' in response.content.decode()


def test_browser_language_does_not_override_zh_hant_default(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="zh-Hant-TW"' in response.content.decode()
    assert response["Content-Language"] == "zh-hant"


def test_search_box_leads_to_the_course_search_page(client, db):
    response = client.get("/courses/", {"q": "數學"})
    assert response.status_code == 200
    assert 'value="數學"' in response.content.decode()
