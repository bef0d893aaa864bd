"""Custom objects, stored generically: one table for every custom object type's records,
keyed `<objectTypeId>:<recordId>`, and one for the schemas that define the types."""

from django.db import models

from .base import HubSpotObject
from .metadata import HubSpotDefinition


class HubSpotCustomObjectSchema(HubSpotDefinition):
    """One custom object type (`GET /crm/v3/schemas`); `id` is its objectTypeId (`2-…`)."""

    name = models.TextField(null=True)
    fully_qualified_name = models.TextField(null=True)
    label_singular = models.TextField(null=True)
    label_plural = models.TextField(null=True)
    primary_display_property = models.TextField(null=True)
    associations = models.JSONField(default=list)

    class Meta:
        db_table = "hubspot_custom_object_schema"


class HubSpotCustomObject(HubSpotObject):
    """A custom object record; every property is in `properties` (no typed columns)."""

    object_type_id = models.CharField(max_length=32, db_index=True)
    record_id = models.CharField(max_length=32)

    class Meta:
        db_table = "hubspot_custom_object"
