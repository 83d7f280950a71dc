"""Transcripts keep their PDF (a job renders long ones): a private file, when it was ready."""

from django.db import migrations, models

import inservice.records.models


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_lean_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="transcript",
            name="pdf",
            field=models.FileField(
                blank=True, upload_to=inservice.records.models.transcript_pdf_path
            ),
        ),
        migrations.AddField(
            model_name="transcript",
            name="pdf_ready_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
