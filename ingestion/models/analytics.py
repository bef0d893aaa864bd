"""For analysts: property history (opt-in) and the map of the typed views.

`hubspot_property_history` is one long table of every change of the properties a user chose
(`--with-history` / HUBSPOT_PROPERTY_HISTORY). Its key is a digest of the change itself, so
reading the same history again adds nothing; it has no foreign key, so a force overwrite of
a record leaves its history alone.

`hubspot_view_column` says, for every typed view (`hubspot_contact_v` …), which column holds
which property and with which SQL type: the naming rules (docs/analysts.md#column-names) applied.
"""

from django.db import models


class HubSpotPropertyHistory(models.Model):
    key = models.CharField(primary_key=True, max_length=40,
                           help_text="sha1 of (type, id, property, timestamp, value, source)")
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    property = models.TextField()
    value = models.TextField(null=True)
    timestamp = models.DateTimeField()
    source_type = models.TextField(null=True, help_text="CRM_UI, IMPORT, API, WORKFLOW …")
    source_id = models.TextField(null=True)
    source_label = models.TextField(null=True)
    updated_by_user_id = models.BigIntegerField(null=True)
    synced_at = models.DateTimeField()

    class Meta:
        db_table = "hubspot_property_history"
        indexes = [models.Index(fields=["object_type", "object_id", "property", "timestamp"],
                                name="hubspot_prop_history_idx"),
                   models.Index(fields=["object_type", "property", "timestamp"],
                                name="hubspot_prop_history_time_idx")]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id}.{self.property}@{self.timestamp}"


class HubSpotViewColumn(models.Model):
    view_name = models.CharField(max_length=128)
    object_type = models.TextField(help_text="`contacts`, or `2-…` (custom)")
    position = models.IntegerField()
    column_name = models.CharField(max_length=63)
    property_name = models.TextField(null=True, help_text="NULL for the record's own columns")
    sql_type = models.CharField(max_length=32)
    built_at = models.DateTimeField()

    class Meta:
        db_table = "hubspot_view_column"
        constraints = [models.UniqueConstraint(fields=["view_name", "column_name"],
                                               name="hubspot_view_column_unique")]

    def __str__(self) -> str:
        return f"{self.view_name}.{self.column_name}"
