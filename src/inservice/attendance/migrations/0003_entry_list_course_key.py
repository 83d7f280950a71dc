"""An entry's list and course as one foreign key on the pair (PostgreSQL).

The two single-column keys were two referential checks per new entry; the pair's key is one,
and it also holds what the two did not: that an entry's course is its list's course (the
list's course has its own key, so the course exists). The course's own index goes too: the
unique (course, teacher) index starts with it. Other databases (SQLite, for development)
keep no key on these columns.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


KEY = "attendance_entry_list_course_fk"


def add_key(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE attendance_attendanceentry ADD CONSTRAINT {KEY} "
        "FOREIGN KEY (attendance_list_id, course_id) "
        "REFERENCES attendance_attendancelist (id, course_id) "
        "DEFERRABLE INITIALLY DEFERRED NOT VALID"
    )
    schema_editor.execute(f"ALTER TABLE attendance_attendanceentry VALIDATE CONSTRAINT {KEY}")


def drop_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE attendance_attendanceentry DROP CONSTRAINT {KEY}")


class Migration(migrations.Migration):

    dependencies = [
        ('attendance', '0002_upload_reports'),
        ('courses', '0002_course_code_sequence'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='attendanceentry',
            name='attendance_list',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='attendance.attendancelist'),
        ),
        migrations.AlterField(
            model_name='attendanceentry',
            name='course',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='attendance_entries', to='courses.course'),
        ),
        migrations.AddConstraint(
            model_name='attendancelist',
            constraint=models.UniqueConstraint(fields=('id', 'course'), name='attendance_list_course'),
        ),
        migrations.RunPython(add_key, drop_key),
    ]
