"""Load the attribute tags from catalog/data/tags_v1.py (frozen)."""

from django.db import migrations


def load(apps, schema_editor):
    from inservice.catalog.data import tags_v1

    AttributeTag = apps.get_model("catalog", "AttributeTag")
    TagDefinition = apps.get_model("catalog", "TagDefinition")
    for index, data in enumerate(tags_v1.TAGS, start=1):
        tag = AttributeTag.objects.create(
            code=data["code"],
            name=data["name"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            sort_key=index * 10,
            history=data["history"],
        )
        TagDefinition.objects.create(
            tag=tag, valid_from=data["definition_from"], text=data["definition"]
        )


def unload(apps, schema_editor):
    from inservice.catalog.data import tags_v1

    AttributeTag = apps.get_model("catalog", "AttributeTag")
    AttributeTag.objects.filter(code__in=[t["code"] for t in tags_v1.TAGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_load_taxonomy")]
    operations = [migrations.RunPython(load, unload)]
