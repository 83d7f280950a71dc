"""Load the topic taxonomy of 附件五 from catalog/data/taxonomy_v1.py (frozen)."""

from django.db import migrations


def _sort_key(code):
    key = 0
    for part in (code.split("-") + ["0", "0"])[:3]:
        key = key * 1000 + int(part)
    return key


KINDS = {1: "category", 2: "area", 3: "item"}


def load(apps, schema_editor):
    from inservice.catalog.data import taxonomy_v1

    TopicNode = apps.get_model("catalog", "TopicNode")
    for stage, entries in taxonomy_v1.STAGES.items():
        nodes = {}
        for number, name in taxonomy_v1.CATEGORIES.items():
            code = str(number)
            nodes[code] = TopicNode.objects.create(
                stage=stage,
                code=code,
                name=name,
                kind="category",
                category=number,
                sort_key=_sort_key(code),
            )
        for code, name in entries:
            parts = code.split("-")
            parent = nodes["-".join(parts[:-1])]  # KeyError: an orphan in the data file
            nodes[code] = TopicNode.objects.create(
                stage=stage,
                code=code,
                name=name,
                kind=KINDS[len(parts)],
                category=int(parts[0]),
                parent=parent,
                sort_key=_sort_key(code),
            )


def unload(apps, schema_editor):
    from inservice.catalog.data import taxonomy_v1

    TopicNode = apps.get_model("catalog", "TopicNode")
    for stage in taxonomy_v1.STAGES:
        for kind in ("item", "area", "category"):
            TopicNode.objects.filter(stage=stage, kind=kind).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_load_codes")]
    operations = [migrations.RunPython(load, unload)]
