"""Columns every mirrored HubSpot object has (DESIGN.md §4)."""

from django.db import models


class HubSpotObject(models.Model):
    """A HubSpot CRM record: typed core columns (in subclasses) plus every property raw.

    `id` is HubSpot's record id (unique within an object type). `properties` keeps every
    property HubSpot returned, custom ones included, exactly as sent (strings or null).
    """

    id = models.CharField(primary_key=True, max_length=64)
    properties = models.JSONField(default=dict)
    created_at = models.DateTimeField(null=True, help_text="HubSpot's createdAt")
    updated_at = models.DateTimeField(null=True, db_index=True, help_text="HubSpot's updatedAt")
    archived = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True)
    synced_at = models.DateTimeField(help_text="when a sync last wrote the row")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.id})"
