"""Attribute tags (屬性標籤): dates from the seed's history, retired tags stay resolvable."""

import datetime

import pytest

from inservice.catalog import selectors
from inservice.catalog.models import AttributeTag, TagDefinition

pytestmark = pytest.mark.django_db

REQUIRED = [
    "性平教育",
    "國際教育",
    "精進數位",
    "媒體素養",
    "資通安全",
    "家庭教育",
    "勞權教育",
    "生科非專",
    "資訊非專",
    "健康非專",
    "初階回饋",
    "進階回饋",
    "教學輔導",
]


def names(tags):
    return [t.name for t in tags]


def test_current_tags():
    active = names(selectors.active_tags())
    for name in REQUIRED:
        assert name in active
    assert "SDGs" not in active
    assert "教專評鑑" not in active


def test_every_tag_has_a_definition():
    for tag in selectors.all_tags():
        assert len(tag.definition) >= 20, tag.name


def test_sdgs_retired_on_2024_08_01_and_still_resolvable():
    # Seed, 113年8月: 「113年8月1日…刪除[SDGs]屬性標籤」.
    assert "SDGs" in names(selectors.active_tags(on=datetime.date(2024, 7, 31)))
    assert "SDGs" not in names(selectors.active_tags(on=datetime.date(2024, 8, 1)))
    sdgs = selectors.get_tag("sdgs")
    assert sdgs.name == "SDGs" and sdgs.valid_to == datetime.date(2024, 8, 1)
    assert "永續發展" in sdgs.definition


@pytest.mark.parametrize(
    ("code", "start"),
    [
        ("feedback-basic", datetime.date(2019, 7, 1)),
        ("feedback-advanced", datetime.date(2019, 7, 1)),
        ("teaching-mentoring", datetime.date(2019, 7, 1)),
        ("nonmajor-living-tech", datetime.date(2019, 9, 17)),
        ("nonmajor-info-tech", datetime.date(2019, 9, 17)),
        ("nonmajor-health", datetime.date(2019, 9, 17)),
        ("cybersecurity", datetime.date(2023, 1, 3)),
        ("family-education", datetime.date(2023, 1, 3)),
        ("labour-rights", datetime.date(2023, 1, 3)),
        ("digital-learning", datetime.date(2023, 2, 1)),
        ("media-literacy", datetime.date(2023, 7, 5)),
    ],
)
def test_start_dates_from_the_seed(code, start):
    tag = selectors.get_tag(code)
    assert tag.valid_from == start
    day_before = start - datetime.timedelta(days=1)
    assert tag.name not in names(selectors.active_tags(on=day_before))
    assert tag.name in names(selectors.active_tags(on=start))


def test_pd_evaluation_tag_replaced_in_2019():
    on_last_day = names(selectors.active_tags(on=datetime.date(2019, 6, 30)))
    on_change = names(selectors.active_tags(on=datetime.date(2019, 7, 1)))
    assert "教專評鑑" in on_last_day and "初階回饋" not in on_last_day
    assert "教專評鑑" not in on_change and "初階回饋" in on_change
    assert selectors.get_tag("pd-evaluation").name == "教專評鑑"


def test_tag_choices_and_unknown_tag():
    assert ("sdgs", "SDGs") not in selectors.tag_choices()
    assert ("sdgs", "SDGs") in selectors.tag_choices(on=datetime.date(2024, 1, 1))
    with pytest.raises(LookupError):
        selectors.get_tag("no-such-tag")


def test_redefinition_keeps_the_earlier_wording_for_earlier_dates():
    tag = AttributeTag.objects.get(code="media-literacy")
    TagDefinition.objects.create(
        tag=tag, valid_from=datetime.date(2026, 1, 1), text="新定義：媒體與人工智慧素養。"
    )
    media = selectors.get_tag("media-literacy")
    assert media.definition_on(datetime.date(2025, 12, 31)).startswith("以媒體素養為主題")
    assert media.definition_on(datetime.date(2026, 1, 1)) == "新定義：媒體與人工智慧素養。"
    # Before the first recorded wording, the earliest wording is the best we know.
    assert media.definition_on(datetime.date(2020, 1, 1)).startswith("以媒體素養為主題")
