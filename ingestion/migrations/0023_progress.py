from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ingestion", "0022_journal"),
    ]

    operations = [
        migrations.AddField(
            model_name="synchistory",
            name="progress",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
