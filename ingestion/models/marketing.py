"""The marketing sources' tables: what is neither a CRM record nor a list or form (workflows,
marketing emails, campaigns, email events, subscriptions). Each row keeps HubSpot's JSON in
`raw` and the fields analysts use as typed columns; no foreign keys (HubSpot ids only), so a
force overwrite of one table never touches another. Keys per table in docs/data-model.md.
"""

from django.db import models

from .metadata import HubSpotDefinition


class HubSpotWorkflow(HubSpotDefinition):
    """A workflow (automation flow) with its definition: actions, enrollment criteria … in
    `raw` (the flows API); from the legacy v3 API, the summary it lists."""

    name = models.TextField(null=True)
    flow_type = models.TextField(null=True, help_text="WORKFLOW, ACTION_SET … (v3: its type)")
    object_type_id = models.TextField(null=True, help_text="what it enrolls: 0-1 contacts …")
    enabled = models.BooleanField(null=True)
    revision_id = models.TextField(null=True)

    class Meta:
        db_table = "hubspot_workflow"


# The marketing sources' tables by source name (sync_hubspot_<name>): each gets its typed view
# `<table>_v` (ingestion/sync/hubspot/typed_views.py).
SOURCE_MODELS: dict[str, type[HubSpotDefinition]] = {"workflows": HubSpotWorkflow}
