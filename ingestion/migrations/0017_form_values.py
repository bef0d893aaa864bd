"""Form submissions' per-field answers as rows (hubspot_form_submission_value), filled from
the submissions already stored so an existing mirror has them without a full run.

The rows are made here as the sync makes them (ingestion/sync/hubspot/forms.py value_rows),
written out rather than imported so this migration keeps working whatever that code becomes:
one row per entry of `values`, in order; a value that is not text stored as its JSON text.
"""

import json

from django.db import migrations, models

BATCH = 5_000


def _text(value):
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _rows(submission, model):
    for position, entry in enumerate(submission.values or []):
        # Older runs stored entries without a name as they came; they have no field to file.
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            yield model(submission_key=submission.submission_key, form_id=submission.form_id,
                        name=entry["name"], value=_text(entry.get("value")),
                        position=position, submitted_at=submission.submitted_at)


def fill_values(apps, schema_editor):
    submissions = apps.get_model("ingestion", "HubSpotFormSubmission")
    values = apps.get_model("ingestion", "HubSpotFormSubmissionValue")
    pending = []
    for submission in submissions.objects.order_by("pk").iterator(chunk_size=2_000):
        pending.extend(_rows(submission, values))
        if len(pending) >= BATCH:
            values.objects.bulk_create(pending, ignore_conflicts=True)
            pending = []
    values.objects.bulk_create(pending, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('ingestion', '0016_email_events'),
    ]

    operations = [
        migrations.CreateModel(
            name='HubSpotFormSubmissionValue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('submission_key', models.CharField(max_length=40)),
                ('form_id', models.TextField()),
                ('name', models.TextField(help_text="the field's name as sent")),
                ('value', models.TextField(help_text='the answer as sent (a multiple-checkbox answer is one value, `;` between options)', null=True)),
                ('position', models.IntegerField(help_text="its place in the submission's values, from 0")),
                ('submitted_at', models.DateTimeField()),
            ],
            options={
                'db_table': 'hubspot_form_submission_value',
                'indexes': [models.Index(fields=['form_id', 'name'], name='hubspot_form_value_field_idx')],
                'constraints': [models.UniqueConstraint(fields=('submission_key', 'position'), name='hubspot_form_value_unique')],
            },
        ),
        migrations.RunPython(fill_values, migrations.RunPython.noop),
    ]
