"""課程性質: education stage → learning domain → subject."""

import pytest

from inservice.catalog import selectors
from inservice.catalog.models import Subject, TeacherStage

pytestmark = pytest.mark.django_db


def test_stages():
    stages = {s.code: s for s in selectors.curriculum_stages()}
    assert list(stages) == ["KG", "ES", "JH", "SH", "VH", "SE", "GN"]
    assert stages["JH"].name == "國民中學"
    assert stages["KG"].source == "幼兒園教保活動課程大綱"
    assert "十二年國民基本教育課程綱要" in stages["SH"].source
    assert stages["SE"].name == "特殊教育"
    # Each stage points at the 附件五 table its teachers use (or none).
    assert stages["KG"].taxonomy_stage == TeacherStage.KINDERGARTEN
    assert stages["VH"].taxonomy_stage == TeacherStage.SENIOR_HIGH
    assert stages["SE"].taxonomy_stage == ""


def test_kindergarten_has_the_six_domains_of_its_curriculum():
    domains = [d.name for d in selectors.domains("KG")]
    assert domains[:6] == ["身體動作與健康", "認知", "語文", "社會", "情緒", "美感"]


def test_domains_per_stage_follow_the_curriculum():
    es = [d.name for d in selectors.domains("ES")]
    jh = [d.name for d in selectors.domains("JH")]
    sh = [d.name for d in selectors.domains("SH")]
    assert "生活課程" in es and "科技" not in es
    assert "科技" in jh and "生活課程" not in jh
    assert "全民國防教育" in sh
    for name in ["語文", "數學", "社會", "自然科學", "藝術", "綜合活動", "健康與體育"]:
        assert name in es and name in jh and name in sh


def test_subjects_and_dependent_choice_are_derivable():
    jh_science = [s.name for s in selectors.subjects("JH", domain="JH-SCI")]
    assert jh_science == ["生物", "理化", "地球科學"]
    sh_science = [s.name for s in selectors.subjects("SH", domain="SH-SCI")]
    assert sh_science == ["物理", "化學", "生物", "地球科學"]
    bio = selectors.get_subject("JH-SCI-BIO")
    assert (bio.stage_code, bio.domain_code, bio.name) == ("JH", "JH-SCI", "生物")
    assert bio.path == "國民中學－自然科學－生物"
    groups = dict(selectors.subject_choices("JH"))
    assert ("JH-TECH-IT", "資訊科技") in groups["科技"]
    # Every subject of a stage belongs to one of that stage's domains.
    for stage in selectors.curriculum_stages():
        domain_codes = {d.code for d in selectors.domains(stage.code)}
        subjects = selectors.subjects(stage.code)
        assert subjects, stage.code
        assert {s.domain_code for s in subjects} == domain_codes


def test_vocational_groups_and_special_needs_domain():
    vh = [d.name for d in selectors.domains("VH")]
    assert sum(name.endswith("群") for name in vh) == 15
    special = [s.name for s in selectors.subjects("SE", domain="SE-SN")]
    assert len(special) == 13 and "點字" in special and "獨立研究" in special


def test_own_additions_are_marked():
    general = selectors.domains("JH")[-1]
    assert general.code == "JH-GEN" and general.source == "自訂"


def test_retired_subject_resolvable_not_offered():
    Subject.objects.filter(code="ES-FLEX-FLEX").update(valid_to="2020-01-01")
    from inservice.catalog import caching

    caching.clear()  # .update() sends no signal
    assert "ES-FLEX-FLEX" not in [s.code for s in selectors.subjects("ES")]
    assert selectors.get_subject("ES-FLEX-FLEX").name == "彈性學習課程"
    assert not selectors.is_subject("ES-FLEX-FLEX")
    assert selectors.is_subject("ES-MATH-MATH")
    assert not selectors.is_subject("XX-NONE")
