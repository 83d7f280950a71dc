"""The taxonomy of 附件五 as loaded by migration 0003, checked against counts taken by hand
from the seed document (/work/shared/seed/000_67a8d59eb5d9cace.txt, 附件五, lines ~1546–1766).

How the counts were derived: for each stage's table, the sub-areas are the two-part codes
printed as headings (e.g. "1-3 教學", "4-99 其他") and the items are the three-part codes
(e.g. "1-3-6 差異化教學"), counted per sub-area and added up per category. Kindergarten and
senior-high category 1 are printed in four columns read row by row; their items were counted
per sub-area across all four columns. Category 6 says 「課程細項不明列」: no sub-areas, no items.
"""

import datetime

import pytest

from inservice.catalog import selectors
from inservice.catalog.models import TopicNode

pytestmark = pytest.mark.django_db

STAGES = ["kindergarten", "elementary", "junior_high", "senior_high"]

# {stage: {category: (sub-areas, items)}}
EXPECTED = {
    "kindergarten": {
        # 1-1: 3 (1,2,99); 1-2: 12 (1–11, 99); 1-3: 7 (1–6, 99); 1-4: 13 (1–12, 99);
        # 1-5: 3 (1, 2, 99); 1-6: 17 (1–16, 99) → 55
        1: (6, 55),
        # 2-1: 7 (1–6, 99); 2-2: 12 (1–11, 99); 2-3: 4 (1–4, no 99) → 23
        2: (3, 23),
        # 3-1: 4 (1–3, 99); 3-2: 9 (1–8, 99); 3-3: 8 (1–7, 99) → 21
        3: (3, 21),
        # 4-1: 4 (1–3, 99); 4-2: 3 (1, 2, 99); 4-3: 4 (1–3, 99) → 11
        4: (3, 11),
        # 5-1: 12 (1–11, 99); 5-2: 8 (1–7, 99); 5-3: 5 (1–4, 99) → 25
        5: (3, 25),
        6: (0, 0),
    },
    "elementary": {
        # 1-1: 3; 1-2: 5 (1–4, 99); 1-3: 12 (1–11, 99); 1-4: 5 (1–4, 99);
        # 1-5: 11 (1–10, 99); 1-6: 7 (1–7, no 99); 1-7: 18 (1–17, 99) → 61
        1: (7, 61),
        # 2-1: 8 (1–7, 99); 2-2: 14 (1–13, 99) → 22
        2: (2, 22),
        # 3-1: 4; 3-2: 9; 3-3: 7 (1–6, 99) → 20
        3: (3, 20),
        # 4-1, 4-2, 4-3, 4-4, 4-99 — sub-areas without items
        4: (5, 0),
        # 5-1: 10 (1–9, 99); 5-2: 5 (1–4, 99) → 15
        5: (2, 15),
        6: (0, 0),
    },
    "junior_high": {
        # 1-1: 3; 1-2: 5; 1-3: 12; 1-4: 4 (1–3, 99: no 1-4-4); 1-5: 10 (1–7, 9, 10, 99: no
        # 1-5-8); 1-6: 7 (no 99); 1-7: 20 (1–19, 99) → 61
        1: (7, 61),
        2: (2, 22),
        3: (3, 20),
        # 4-1 … 4-8, 4-99 — sub-areas without items
        4: (9, 0),
        5: (2, 15),
        6: (0, 0),
    },
    "senior_high": {
        # 1-1: 3; 1-2: 6 (1–5, 99); 1-3: 12; 1-4: 5 (1–4, 99); 1-5: 11 (1–10, 99);
        # 1-6: 7 (no 99); 1-7: 20 (1–19, 99) → 64
        1: (7, 64),
        2: (2, 22),
        3: (3, 20),
        4: (9, 0),
        5: (2, 15),
        6: (0, 0),
    },
}


@pytest.mark.parametrize("stage", STAGES)
def test_counts_per_category_match_the_seed(stage):
    for category, (areas, items) in EXPECTED[stage].items():
        nodes = TopicNode.objects.filter(stage=stage, category=category)
        assert nodes.filter(kind="category").count() == 1
        assert nodes.filter(kind="area").count() == areas, (stage, category)
        assert nodes.filter(kind="item").count() == items, (stage, category)


@pytest.mark.parametrize("stage", STAGES)
def test_tree_matches_counts_and_every_node_hangs_under_its_code_prefix(stage):
    tree = selectors.taxonomy_tree(stage)
    assert [c.code for c in tree] == ["1", "2", "3", "4", "5", "6"]
    for category in tree:
        areas, items = EXPECTED[stage][category.category]
        assert len(category.children) == areas
        assert sum(len(a.children) for a in category.children) == items
        for area in category.children:
            assert area.code.startswith(f"{category.code}-")
            for item in area.children:
                assert item.code.rsplit("-", 1)[0] == area.code
                assert item.kind == "item" and not item.children


def test_totals_per_stage():
    # Sums of EXPECTED: sub-areas / items per stage.
    totals = {
        "kindergarten": (18, 135),
        "elementary": (19, 118),
        "junior_high": (23, 118),
        "senior_high": (23, 121),
    }
    for stage, (areas, items) in totals.items():
        assert TopicNode.objects.filter(stage=stage, kind="area").count() == areas
        assert TopicNode.objects.filter(stage=stage, kind="item").count() == items


SPOT_CHECKS = [
    ("kindergarten", "1", "課程、教學及評量"),
    ("kindergarten", "1-1-1", "幼兒身心發展"),
    ("kindergarten", "1-2-4", "幼兒園教保活動與課程暫行大綱"),
    ("kindergarten", "1-2-9", "協同教學"),
    ("kindergarten", "1-3-5", "特殊需求幼兒的量表使用與設計"),
    ("kindergarten", "1-4-12", "特殊教育幼兒服務資源整合"),
    ("kindergarten", "1-5", "重要議題融入課程"),
    ("kindergarten", "1-6-14", "國際教育"),
    ("kindergarten", "2-3-3", "基本救命術訓練"),
    ("kindergarten", "3-2", "教保服務人員專業發展實踐方案"),
    ("kindergarten", "4-2", "幼兒園教保活動課程暫行大綱進階課程(一)"),
    ("kindergarten", "4-3-2", "課綱與蒙特梭利課程取向之關聯"),
    ("kindergarten", "5-1-11", "勞動基準法概論及勞動權益保障法及相關法規"),
    ("kindergarten", "5-3-3", "特殊需求家庭的溝通、協助與資源運用"),
    ("elementary", "1-3", "教學"),
    ("elementary", "1-3-6", "差異化教學"),
    ("elementary", "1-4-4", "高層次評量"),
    ("elementary", "1-5-8", "科技輔具評估與運用"),
    ("elementary", "1-7-17", "交通安全教育"),
    ("elementary", "2-2-13", "學校社會工作"),
    ("elementary", "4-2", "入學制度"),
    ("elementary", "4-4", "技職教育宣導"),
    ("elementary", "6", "實用知能與生活素養"),
    ("junior_high", "1-2-4", "教科書分析"),
    ("junior_high", "1-5-9", "資源班(教室)服務方案"),
    ("junior_high", "1-7-17", "尊嚴勞動"),
    ("junior_high", "1-7-18", "金融基礎教育"),
    ("junior_high", "1-7-19", "交通安全教育"),
    ("junior_high", "4-4", "大學繁星、技職繁星推薦"),
    ("junior_high", "3-2-1", "教師專業發展實踐方案基本概念"),
    ("senior_high", "1-2-4", "單元教材分析"),
    ("senior_high", "1-2-5", "實作體驗或學習"),
    ("senior_high", "1-3-11", "閱讀與寫作教學"),
    ("senior_high", "1-7-18", "職場倫理"),
    ("senior_high", "1-7-19", "金融基礎教育"),
    ("senior_high", "4-5", "高級中等學校評鑑"),
    ("senior_high", "5-1-9", "學校或教師相關法規"),
    ("senior_high", "5-2-4", "公共關係"),
]


@pytest.mark.parametrize(("stage", "code", "name"), SPOT_CHECKS)
def test_spot_check_names(stage, code, name):
    assert selectors.get_topic(stage, code).name == name


def test_same_code_means_different_things_in_different_stages():
    assert selectors.get_topic("kindergarten", "1-3").name == "評量"
    assert selectors.get_topic("elementary", "1-3").name == "教學"
    assert selectors.get_topic("junior_high", "1-2-4").name == "教科書分析"
    assert selectors.get_topic("senior_high", "1-2-4").name == "單元教材分析"


@pytest.mark.parametrize(
    ("stage", "code"),
    [
        ("junior_high", "1-4-4"),  # printed gap: 1-4-3 is followed by 1-4-99
        ("junior_high", "1-5-8"),  # printed gap: 1-5-7 is followed by 1-5-9
        ("senior_high", "1-6-99"),  # 1-6 has no "other" in any school stage
        ("elementary", "1-6-99"),
        ("kindergarten", "2-3-99"),
        ("kindergarten", "1-7"),  # kindergarten has only 1-1 … 1-6
        ("elementary", "1-7-18"),
    ],
)
def test_gaps_of_the_seed_are_kept(stage, code):
    with pytest.raises(LookupError):
        selectors.get_topic(stage, code)


OTHER_PRESENT = {
    "kindergarten": [
        "1-1-99", "1-2-99", "1-3-99", "1-4-99", "1-5-99", "1-6-99", "2-1-99", "2-2-99",
        "3-1-99", "3-2-99", "3-3-99", "4-1-99", "4-2-99", "4-3-99", "5-1-99", "5-2-99",
        "5-3-99",
    ],
    "elementary": [
        "1-1-99", "1-2-99", "1-3-99", "1-4-99", "1-5-99", "1-7-99", "2-1-99", "2-2-99",
        "3-1-99", "3-2-99", "3-3-99", "4-99", "5-1-99", "5-2-99",
    ],
}  # fmt: skip
OTHER_PRESENT["junior_high"] = OTHER_PRESENT["elementary"]
OTHER_PRESENT["senior_high"] = OTHER_PRESENT["elementary"]


@pytest.mark.parametrize("stage", STAGES)
def test_other_99_present_exactly_where_the_seed_has_it(stage):
    found = sorted(
        TopicNode.objects.filter(stage=stage, code__endswith="-99").values_list("code", flat=True)
    )
    assert found == sorted(OTHER_PRESENT[stage])
    for code in found:
        assert selectors.get_topic(stage, code).name == "其他"


@pytest.mark.parametrize("stage", STAGES)
def test_category_6_has_no_sub_areas_and_no_items(stage):
    assert TopicNode.objects.filter(stage=stage, category=6).exclude(kind="category").count() == 0
    assert selectors.topic_items(stage, 6) == []
    category6 = selectors.taxonomy_tree(stage)[5]
    assert category6.name == "實用知能與生活素養" and category6.children == ()


def test_topic_items_are_the_selectable_leaves():
    items = selectors.topic_items("elementary", 1)
    assert len(items) == 61
    assert all(t.kind == "item" for t in items)
    codes = [t.code for t in items]
    assert codes.index("1-3-6") < codes.index("1-3-10") < codes.index("1-3-99")
    # Category 4 of the school stages: the sub-areas themselves are the leaves.
    assert [t.code for t in selectors.topic_items("elementary", 4)] == [
        "4-1",
        "4-2",
        "4-3",
        "4-4",
        "4-99",
    ]
    assert len(selectors.topic_items("junior_high", "5-4")) == 9
    assert len(selectors.topic_items("senior_high", "4")) == 9
    # Kindergarten category 4 has items, so its sub-areas are not selectable.
    kg4 = selectors.topic_items("kindergarten", 4)
    assert len(kg4) == 11 and all(t.kind == "item" for t in kg4)


def test_leaf_counts_per_stage_and_category():
    # Items, plus sub-areas without items (category 4 of the school stages).
    expected = {
        "kindergarten": [55, 23, 21, 11, 25, 0],
        "elementary": [61, 22, 20, 5, 15, 0],
        "junior_high": [61, 22, 20, 9, 15, 0],
        "senior_high": [64, 22, 20, 9, 15, 0],
    }
    for stage, counts in expected.items():
        assert [len(selectors.topic_items(stage, c)) for c in range(1, 7)] == counts


def test_is_topic_item():
    assert selectors.is_topic_item("elementary", "1-3-6")
    assert selectors.is_topic_item("elementary", "1-3-6", category="5-1")
    assert not selectors.is_topic_item("elementary", "1-3-6", category=2)
    assert not selectors.is_topic_item("elementary", "1-3")  # has items: not a leaf
    assert selectors.is_topic_item("elementary", "4-2", category=4)
    assert not selectors.is_topic_item("junior_high", "1-4-4")
    assert not selectors.is_topic_item("elementary", "6")


def test_topic_item_choices_are_grouped_by_sub_area():
    groups = dict(selectors.topic_item_choices("kindergarten", 1))
    assert list(groups)[0] == "1-1 幼兒身心發展與學習理論"
    assert groups["1-5 重要議題融入課程"] == [
        ("1-5-1", "1-5-1 性別平等教育"),
        ("1-5-2", "1-5-2 環境教育"),
        ("1-5-99", "1-5-99 其他"),
    ]
    groups4 = dict(selectors.topic_item_choices("elementary", 4))
    assert groups4["4-99 其他"] == [("4-99", "4-99 其他")]


def test_unknown_stage_and_category_are_refused():
    with pytest.raises(LookupError):
        selectors.taxonomy_tree("university")
    with pytest.raises(LookupError):
        selectors.topic_items("elementary", 7)
    with pytest.raises(LookupError):
        selectors.topic_items("elementary", "5-9")


def test_retired_item_stays_resolvable_but_is_not_offered():
    node = TopicNode.objects.get(stage="elementary", code="1-7-17")
    node.valid_to = datetime.date(2025, 8, 1)
    node.save()
    assert selectors.get_topic("elementary", "1-7-17").name == "交通安全教育"
    before = [t.code for t in selectors.topic_items("elementary", 1, on=datetime.date(2025, 7, 31))]
    after = [t.code for t in selectors.topic_items("elementary", 1, on=datetime.date(2025, 8, 1))]
    assert "1-7-17" in before and "1-7-17" not in after
    assert not selectors.is_topic_item("elementary", "1-7-17", on=datetime.date(2025, 8, 1))
    area = selectors.taxonomy_tree("elementary", on=datetime.date(2025, 8, 1))[0].children[6]
    assert area.code == "1-7" and "1-7-17" not in [c.code for c in area.children]
