"""The course form: the 26 fields of 附件四 with their codes, dependent choices (stage →
domain → subject, stage + category → topic items, dates → tags), sessions, and the htmx
option endpoints."""

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from inservice.accounts.models import StaffRole, StaffStatus, User
from inservice.courses.forms import CourseForm, hours_between, session_formset, sessions_data
from inservice.organizations.models import County, UnitKind
from tests.factories import StaffFactory, UnitFactory, UserFactory, course_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return UnitFactory(county=County.objects.get(code="63000"), kind=UnitKind.ELEMENTARY)


@pytest.fixture
def operator(school):
    return StaffFactory(unit=school, role=StaffRole.OPERATOR).user


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.labels = set(), set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            if "aria-hidden" not in attrs and attrs.get("type") != "submit":
                self.inputs.add(attrs.get("id"))
        if tag == "label":
            self.labels.add(attrs.get("for"))


def _parse(html):
    parser = _Inputs()
    parser.feed(html)
    return parser


def visible_inputs(html):
    return _parse(html).inputs


def label_targets(html):
    return _parse(html).labels


def choice_values(field):
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):
            values.extend(v for v, _l in label)
        else:
            values.append(value)
    return values


# --- the page ----------------------------------------------------------------------------


def test_the_form_page_shows_every_field_number_section_and_code(client, operator):
    client.force_login(operator)
    response = client.get(reverse("courses:create"))
    assert response.status_code == 200
    html = response.content.decode()
    for legend in ("課程訊息", "報名資訊", "其他"):
        assert f"<legend>{legend}</legend>" in html
    numbers = set(re.findall(r'<span class="field-no">([\d-]+)</span>', html))
    expected = {str(n) for n in range(1, 27)} - {"3", "25"} | {"3-1", "3-2", "25-1", "25-2"}
    assert expected <= numbers
    for code in (
        "1-8 碩士學位班",
        "2-2 委託辦理",
        "5-6 實用知能與生活素養",
        "7-4",
        "8-3",
        "11-99 其他",
        "12-6",
        "14-6",
        "15-16",
        "15-99 其他",
        "21-12",
        "22-4",
        "26-2",
    ):
        assert code in html, code
    for name in ("delivery", "time_slots", "target_stages", "target_titles", "funding"):
        assert f'type="checkbox" name="{name}"' in html, name
    for name in ("class_type", "basis", "category", "level", "instructor_type", "fee", "feedback"):
        assert f'type="radio" name="{name}"' in html, name
    assert 'name="registration_opens_at" value="00:00"' in html
    assert 'name="sessions-TOTAL_FORMS" value="3"' in html
    unlabelled = visible_inputs(html) - label_targets(html)
    assert unlabelled == set()


def test_the_unit_kind_sets_the_default_taxonomy_stage(school):
    assert CourseForm(unit=school).initial["taxonomy_stage"] == "elementary"
    kindergarten = UnitFactory(kind=UnitKind.KINDERGARTEN)
    assert CourseForm(unit=kindergarten).initial["taxonomy_stage"] == "kindergarten"
    assert "taxonomy_stage" not in CourseForm(unit=UnitFactory(kind=UnitKind.LEGAL_PERSON)).initial


# --- dependent choices -------------------------------------------------------------------


def test_topic_items_follow_stage_and_category(school):
    form = CourseForm(unit=school, initial={"taxonomy_stage": "elementary", "category": "5-2"})
    values = choice_values(form.fields["topic_item"])
    assert "2-1-5" in values and "1-3-6" not in values
    everything = choice_values(
        CourseForm(unit=school, initial={"category": ""}).fields["topic_item"]
    )
    assert {"1-3-6", "2-1-5", "4-2", "5-1-1"} <= set(everything)
    none = CourseForm(unit=school, initial={"category": "5-6"}).fields["topic_item"]
    assert choice_values(none) == [""]
    no_stage = CourseForm(unit=school, initial={"taxonomy_stage": ""}).fields["topic_item"]
    assert choice_values(no_stage) == [""]


def test_topic_codes_are_those_of_the_chosen_stage(school):
    kindergarten = CourseForm(
        unit=school, initial={"taxonomy_stage": "kindergarten", "category": "5-1"}
    )
    labels = dict(
        item for _group, items in kindergarten.fields["topic_item"].choices[1:] for item in items
    )
    assert labels["1-3-6"] == "1-3-6 多元評量"  # 國小 1-3-6 is 差異化教學


def test_subjects_follow_stage_and_domain(school):
    jh = CourseForm(unit=school, initial={"subject_stage": "JH"})
    values = choice_values(jh.fields["subject"])
    assert "JH-SCI-BIO" in values and not any(v.startswith("ES-") for v in values)
    assert ("JH-SCI", "自然科學") in jh.fields["subject_domain"].choices
    science = CourseForm(unit=school, initial={"subject_stage": "JH", "subject_domain": "JH-SCI"})
    assert set(choice_values(science.fields["subject"])) == {
        "",
        "JH-SCI-BIO",
        "JH-SCI-PHC",
        "JH-SCI-EAR",
    }
    # a domain of another stage is ignored, not an error
    mixed = CourseForm(unit=school, initial={"subject_stage": "ES", "subject_domain": "JH-SCI"})
    assert "ES-MATH-MATH" in choice_values(mixed.fields["subject"])


def test_without_a_stage_all_subjects_are_offered_grouped_by_stage_and_domain(school):
    form = CourseForm(unit=school)
    groups = [label for _v, label in form.fields["subject"].choices if isinstance(label, list)]
    assert len(groups) > 20
    assert "國民中學－自然科學" in [v for v, label in form.fields["subject"].choices]


def test_a_stored_subject_selects_its_stage_and_domain(school):
    form = CourseForm(unit=school, initial={"subject": "JH-SCI-BIO"})
    assert form.initial["subject_stage"] == "JH" and form.initial["subject_domain"] == "JH-SCI"


def test_tags_offered_are_those_valid_on_the_course_dates(school):
    def offered(start, end=None):
        initial = {"start_date": start, "end_date": end or start}
        return choice_values(CourseForm(unit=school, initial=initial).fields["tags"])

    assert "sdgs" in offered(datetime.date(2024, 7, 31))
    assert "sdgs" not in offered(datetime.date(2024, 8, 1))
    assert "sdgs" not in offered(datetime.date(2024, 7, 30), datetime.date(2024, 8, 2))
    assert "media-literacy" not in offered(datetime.date(2023, 1, 1))
    assert "media-literacy" in offered(datetime.date(2024, 1, 1))


def test_a_retired_tag_already_chosen_stays_visible_and_marked(school):
    form = CourseForm(
        unit=school, initial={"start_date": datetime.date(2025, 1, 1), "tags": ["sdgs"]}
    )
    assert ("sdgs", "SDGs（課程日期不可用）") in form.fields["tags"].choices


# --- cleaning ------------------------------------------------------------------------------


def test_a_complete_post_cleans_to_the_lifecycle_data(school):
    form = CourseForm(course_form_data(tags=["gender-equality"]), unit=school)
    assert form.is_valid(), form.errors
    data = form.course_data()
    assert data["delivery"] == ["11-3"] and data["tags"] == ["gender-equality"]
    assert data["hours"] == Decimal("3.0") and data["classes"] == 1
    assert data["registration_opens_at"] == datetime.time(0, 0)
    assert data["credits"] is None and data["subject"] == ""


def test_unknown_codes_are_form_errors_even_for_a_draft(school):
    form = CourseForm(
        course_form_data(class_type="1-9", delivery=["11-3", "11-77"], tags=["nope"]), unit=school
    )
    assert not form.is_valid()
    assert "「1-9」不是「班別類別」的代碼。" in form.errors["class_type"]
    assert "「11-77」不是「實施方式」的代碼。" in form.errors["delivery"]
    assert "「nope」不是已知的專案屬性標籤。" in form.errors["tags"]


def test_an_incomplete_draft_is_valid_as_a_form(school):
    form = CourseForm({"name": "只有名稱"}, unit=school)
    assert form.is_valid(), form.errors
    assert form.course_data()["name"] == "只有名稱"


def test_syntax_errors_are_form_errors(school):
    form = CourseForm(course_form_data(hours="三小時", start_date="2030-02-30"), unit=school)
    assert not form.is_valid()
    assert {"hours", "start_date"} <= set(form.errors)


# --- sessions ------------------------------------------------------------------------------


def test_session_hours_are_computed_in_half_hours():
    assert hours_between(datetime.time(13, 30), datetime.time(16, 30)) == Decimal("3")
    assert hours_between(datetime.time(9, 0), datetime.time(9, 50)) == Decimal("0.5")
    assert hours_between(datetime.time(9, 0), datetime.time(10, 45)) == Decimal("1.5")


def test_session_rows_become_lifecycle_sessions():
    day = datetime.date(2030, 5, 1)
    post = course_form_data(sessions=[(day, "13:30", "16:30", ""), (day, "09:00", "12:00", "2.5")])
    formset = session_formset(post)
    assert formset.is_valid(), formset.errors
    rows = sessions_data(formset)
    assert rows == [
        {
            "date": day,
            "start_time": datetime.time(9),
            "end_time": datetime.time(12),
            "hours": Decimal("2.5"),
        },
        {
            "date": day,
            "start_time": datetime.time(13, 30),
            "end_time": datetime.time(16, 30),
            "hours": Decimal("3"),
        },
    ]


def test_a_session_needs_its_date_and_times_and_an_end_after_its_start():
    day = datetime.date(2030, 5, 1)
    formset = session_formset(
        course_form_data(sessions=[(day, "16:00", "13:00", ""), (day, "", "12:00", "")])
    )
    assert not formset.is_valid()
    assert "結束時間須晚於開始時間。" in formset.forms[0].errors["end_time"]
    assert "每一場次請填寫日期、開始時間與結束時間。" in formset.forms[1].non_field_errors()


# --- htmx option endpoints ---------------------------------------------------------------


def test_topic_options_endpoint(client, operator):
    client.force_login(operator)
    url = reverse("courses:options_topics")
    html = client.get(url, {"taxonomy_stage": "elementary", "category": "5-2"}).content.decode()
    assert 'id="field-topic_item"' in html
    assert 'value="2-1-5"' in html and 'value="1-3-6"' not in html
    assert "<optgroup" in html
    kept = client.get(
        url, {"taxonomy_stage": "elementary", "category": "5-1", "topic_item": "1-3-6"}
    )
    assert 'value="1-3-6" selected' in kept.content.decode()


def test_subject_options_endpoint(client, operator):
    client.force_login(operator)
    url = reverse("courses:options_subjects")
    html = client.get(url, {"subject_stage": "KG"}).content.decode()
    assert 'id="subject-pickers"' in html
    assert 'value="KG-COG-COG"' in html and 'value="JH-SCI-BIO"' not in html
    narrowed = client.get(url, {"subject_stage": "JH", "subject_domain": "JH-SCI"}).content.decode()
    assert 'value="JH-SCI-BIO"' in narrowed and 'value="JH-MATH-MATH"' not in narrowed


def test_tag_options_endpoint(client, operator):
    client.force_login(operator)
    url = reverse("courses:options_tags")
    before = client.get(url, {"start_date": "2024-07-01"}).content.decode()
    after = client.get(
        url, {"start_date": "2024-09-01", "tags": ["gender-equality"]}
    ).content.decode()
    assert 'value="sdgs"' in before and 'value="sdgs"' not in after
    assert 'value="gender-equality"' in after and "checked" in after


@pytest.mark.parametrize("name", ["options_topics", "options_subjects", "options_tags"])
def test_option_endpoints_are_for_course_registering_staff(client, name):
    url = reverse(f"courses:{name}")
    assert client.get(url).status_code == 302  # to login
    client.force_login(UserFactory(kind=User.Kind.TEACHER))
    assert client.get(url).status_code == 403
    pending = StaffFactory(status=StaffStatus.PENDING).user
    client.force_login(pending)
    assert client.get(url).status_code == 403


def test_the_form_wires_htmx_to_the_option_endpoints(school):
    form = CourseForm(unit=school)
    assert form.fields["taxonomy_stage"].widget.attrs["hx-get"] == reverse("courses:options_topics")
    assert form.fields["category"].widget.attrs["hx-target"] == "#field-topic_item"
    assert form.fields["start_date"].widget.attrs["hx-get"] == reverse("courses:options_tags")
    assert form.fields["subject_stage"].widget.attrs["hx-target"] == "#subject-pickers"
