"""PostgreSQL: compress the `properties` JSON with lz4 instead of pglz (faster to write,
as small). A no-op on SQLite, and on servers built without lz4."""

from django.db import migrations, transaction


def use_lz4(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return

    for model in apps.get_app_config("ingestion").get_models():
        fields = {f.name for f in model._meta.concrete_fields}
        if "properties" not in fields or not {"archived", "synced_at"} <= fields:
            continue
        try:
            with transaction.atomic():
                schema_editor.execute(f'ALTER TABLE "{model._meta.db_table}" '
                                      'ALTER COLUMN "properties" SET COMPRESSION lz4')
        except Exception:  # lz4 not compiled in: keep the default
            return


class Migration(migrations.Migration):
    dependencies = [("ingestion", "0003_sweep_and_index_tuning")]
    operations = [migrations.RunPython(use_lz4, migrations.RunPython.noop)]
