"""Owners, pipelines with their stages, and property definitions: small tables read in
full every run. Each row keeps HubSpot's JSON in `raw`; the useful fields get columns.

Keys: owners by HubSpot's owner id; pipelines `<objectType>:<pipelineId>` (e.g.
`deals:default`); stages `<objectType>:<pipelineId>:<stageId>`; properties
`<objectType>:<name>` (e.g. `contacts:email`). None of them has a foreign key: a force
overwrite of one table never touches another.
"""

from django.db import models


class HubSpotDefinition(models.Model):
    """The bookkeeping columns the sync engine needs on every mirrored table."""

    id = models.TextField(primary_key=True)
    raw = models.JSONField(default=dict, help_text="HubSpot's JSON for this item, as sent")
    created_at = models.DateTimeField(null=True, help_text="HubSpot's createdAt")
    updated_at = models.DateTimeField(null=True, help_text="HubSpot's updatedAt")
    archived = models.BooleanField(default=False, db_index=True)
    archived_at = models.DateTimeField(null=True)
    synced_at = models.DateTimeField(help_text="when this sync last confirmed the row")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.id})"


class HubSpotOwner(HubSpotDefinition):
    email = models.TextField(null=True, db_index=True)
    first_name = models.TextField(null=True)
    last_name = models.TextField(null=True)
    user_id = models.BigIntegerField(null=True)
    user_id_including_inactive = models.BigIntegerField(null=True)
    type = models.TextField(null=True, help_text="PERSON or QUEUE")
    teams = models.JSONField(default=list)

    class Meta:
        db_table = "hubspot_owner"


class HubSpotPipeline(HubSpotDefinition):
    object_type = models.TextField()
    pipeline_id = models.TextField()
    label = models.TextField(null=True)
    display_order = models.IntegerField(null=True)

    class Meta:
        db_table = "hubspot_pipeline"


class HubSpotPipelineStage(HubSpotDefinition):
    object_type = models.TextField()
    pipeline_id = models.TextField(help_text="as in deals.pipeline")
    stage_id = models.TextField(help_text="as in deals.dealstage")
    pipeline = models.TextField(db_index=True,
                                help_text="HubSpotPipeline.id; a key, not a foreign key")
    label = models.TextField(null=True)
    display_order = models.IntegerField(null=True)
    metadata = models.JSONField(default=dict)
    is_closed = models.BooleanField(null=True)
    probability = models.DecimalField(max_digits=7, decimal_places=4, null=True)
    ticket_state = models.TextField(null=True)

    class Meta:
        db_table = "hubspot_pipeline_stage"


class HubSpotProperty(HubSpotDefinition):
    object_type = models.TextField(db_index=True)
    name = models.TextField()
    label = models.TextField(null=True)
    type = models.TextField(null=True)
    field_type = models.TextField(null=True)
    group_name = models.TextField(null=True)
    description = models.TextField(null=True)
    options = models.JSONField(default=list)
    display_order = models.IntegerField(null=True)
    hubspot_defined = models.BooleanField(null=True)
    custom = models.BooleanField(default=False, help_text="defined by the portal, not HubSpot")
    calculated = models.BooleanField(null=True)
    has_unique_value = models.BooleanField(null=True)
    hidden = models.BooleanField(null=True)
    data_sensitivity = models.TextField(null=True)

    class Meta:
        db_table = "hubspot_property"
