"""PostgreSQL-only GIN indexes: the keyword tsvector and the multi-valued code lists.

Created with RunSQL guarded by the database vendor so SQLite (`make run`) keeps working.
"""

from django.db import migrations

GIN = [
    ("search_vector_gin", "search_vector"),
    ("search_target_stages_gin", "target_stages"),
    ("search_tags_gin", "tags"),
    ("search_delivery_gin", "delivery"),
    ("search_time_slots_gin", "time_slots"),
]
TABLE = "search_coursesearchentry"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in GIN:
        schema_editor.execute(f"CREATE INDEX {name} ON {TABLE} USING gin ({column})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in GIN:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
