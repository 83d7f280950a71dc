"""Load the code tables of 附件四 from catalog/data/codes_v1.py (frozen)."""

from django.db import migrations


def _sort_key(code):
    key = 0
    for part in (code.split("-") + ["0", "0"])[:3]:
        key = key * 1000 + int(part)
    return key


def load(apps, schema_editor):
    from inservice.catalog.data import codes_v1

    Code = apps.get_model("catalog", "Code")
    rows = []
    for table, entries in codes_v1.TABLES.items():
        for entry in entries:
            code, name = entry[0], entry[1]
            extra = entry[2] if len(entry) > 2 else {}
            rows.append(
                Code(
                    table=table,
                    code=code,
                    name=name,
                    needs_text=extra.get("needs_text", False),
                    sort_key=_sort_key(code),
                    source=codes_v1.SOURCE,
                )
            )
    Code.objects.bulk_create(rows)


def unload(apps, schema_editor):
    from inservice.catalog.data import codes_v1

    Code = apps.get_model("catalog", "Code")
    for table, entries in codes_v1.TABLES.items():
        Code.objects.filter(table=table, code__in=[e[0] for e in entries]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
