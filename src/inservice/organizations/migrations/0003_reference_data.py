"""Reference data: the 22 counties, MOE, the national center, the K-12 Administration and
its five groups, the 22 county education bureaus, the review panel and the working circle.
"""

from django.db import migrations

from inservice.organizations import reference_data


def install(apps, schema_editor):
    reference_data.install(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0002_unit_constraints"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
