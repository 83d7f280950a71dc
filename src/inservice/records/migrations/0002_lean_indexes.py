"""Fewer, better-shaped indexes for closing a course (docs/performance.md, "Closing").

Closing a course inserts one record and a few days per attendee; every index keyed by teacher
costs a random page read and write per attendee, and the cap check read each teacher's days
from the table itself. So:

- the days' (teacher, date) index carries `hours_counted` (INCLUDE): the cap check is an
  index-only scan;
- "one record per teacher and course" is keyed (course, teacher): a closing's records land on
  a few adjacent pages;
- the single-column indexes on the foreign keys go: (teacher, start_date), (record, date) and
  (teacher, date) lead with the same columns.

The foreign keys' indexes are dropped by name rather than through AlterField, which would also
drop and re-validate the foreign key constraints (a full scan under an exclusive lock).
"""

import django.db.models.deletion
from django.db import migrations, models

FK_INDEXES = [
    ("records_trainingday_record_id_21ad9110", "records_trainingday", "record_id"),
    ("records_trainingday_teacher_id_7bb66036", "records_trainingday", "teacher_id"),
    ("records_trainingrecord_teacher_id_05807a83", "records_trainingrecord", "teacher_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_one_active_chief"),
        ("courses", "0002_course_code_sequence"),
        ("organizations", "0003_reference_data"),
        ("records", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="trainingday",
            index=models.Index(
                fields=["teacher", "date"],
                include=("hours_counted",),
                name="training_day_teacher_date",
            ),
        ),
        migrations.RemoveIndex(
            model_name="trainingday",
            name="records_tra_teacher_1ce33c_idx",
        ),
        migrations.RemoveConstraint(
            model_name="trainingrecord",
            name="record_once_per_course",
        ),
        migrations.AddConstraint(
            model_name="trainingrecord",
            constraint=models.UniqueConstraint(
                condition=models.Q(("course__isnull", False)),
                fields=("course", "teacher"),
                name="record_once_per_course",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="trainingday",
                    name="record",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="days",
                        to="records.trainingrecord",
                    ),
                ),
                migrations.AlterField(
                    model_name="trainingday",
                    name="teacher",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.teacher",
                    ),
                ),
                migrations.AlterField(
                    model_name="trainingrecord",
                    name="teacher",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="training_records",
                        to="accounts.teacher",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in FK_INDEXES
            ],
        ),
    ]
