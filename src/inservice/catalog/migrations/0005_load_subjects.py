"""Load 課程性質 (stage – domain – subject) from catalog/data/subjects_v1.py (frozen)."""

from django.db import migrations


def load(apps, schema_editor):
    from inservice.catalog.data import subjects_v1

    CurriculumStage = apps.get_model("catalog", "CurriculumStage")
    LearningDomain = apps.get_model("catalog", "LearningDomain")
    Subject = apps.get_model("catalog", "Subject")
    for s_index, (s_code, s_name, taxonomy_stage, source, domains) in enumerate(
        subjects_v1.STAGES, start=1
    ):
        stage = CurriculumStage.objects.create(
            code=s_code,
            name=s_name,
            taxonomy_stage=taxonomy_stage,
            source=source,
            sort_key=s_index * 10,
        )
        for d_index, (d_code, d_name, subjects) in enumerate(domains, start=1):
            domain = LearningDomain.objects.create(
                stage=stage,
                code=f"{s_code}-{d_code}",
                name=d_name,
                source=subjects_v1.SOURCE_OWN if d_code in subjects_v1.OWN_DOMAINS else source,
                sort_key=d_index * 10,
            )
            Subject.objects.bulk_create(
                Subject(
                    domain=domain,
                    code=f"{s_code}-{d_code}-{sub_code}",
                    name=sub_name,
                    sort_key=sub_index * 10,
                )
                for sub_index, (sub_code, sub_name) in enumerate(subjects, start=1)
            )


def unload(apps, schema_editor):
    from inservice.catalog.data import subjects_v1

    CurriculumStage = apps.get_model("catalog", "CurriculumStage")
    LearningDomain = apps.get_model("catalog", "LearningDomain")
    Subject = apps.get_model("catalog", "Subject")
    codes = [s[0] for s in subjects_v1.STAGES]
    Subject.objects.filter(domain__stage__code__in=codes).delete()
    LearningDomain.objects.filter(stage__code__in=codes).delete()
    CurriculumStage.objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_load_tags")]
    operations = [migrations.RunPython(load, unload)]
