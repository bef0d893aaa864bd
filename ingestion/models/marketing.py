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


class HubSpotMarketingEmail(HubSpotDefinition):
    """A marketing email (live or archived) with its statistics: the aggregate counters
    HubSpot keeps per email, as typed columns (NULL: HubSpot gave no statistics for it) and
    whole in `statistics` (docs/hubspot-api.md#marketing-emails)."""

    name = models.TextField(null=True)
    subject = models.TextField(null=True)
    type = models.TextField(null=True, help_text="BATCH_EMAIL, AUTOMATED_EMAIL …")
    state = models.TextField(null=True, help_text="DRAFT, PUBLISHED, AUTOMATED …")
    campaign = models.TextField(null=True, db_index=True,
                                help_text="the marketing campaign's guid (hubspot_campaign.id)")
    published_at = models.DateTimeField(null=True)
    sent = models.BigIntegerField(null=True)
    delivered = models.BigIntegerField(null=True)
    opens = models.BigIntegerField(null=True)
    clicks = models.BigIntegerField(null=True)
    bounces = models.BigIntegerField(null=True)
    hard_bounces = models.BigIntegerField(null=True)
    soft_bounces = models.BigIntegerField(null=True)
    unsubscribes = models.BigIntegerField(null=True)
    spam_reports = models.BigIntegerField(null=True)
    dropped = models.BigIntegerField(null=True)
    statistics = models.JSONField(null=True, help_text="HubSpot's stats: counters, ratios, "
                                                       "deviceBreakdown, qualifierStats")

    class Meta:
        db_table = "hubspot_marketing_email"


class HubSpotCampaign(HubSpotDefinition):
    """A marketing campaign with its assets and, where the portal lets the app read them, its
    budget and spend totals (NULL: not readable; docs/hubspot-api.md#campaigns)."""

    name = models.TextField(null=True)
    start_date = models.DateField(null=True)
    end_date = models.DateField(null=True)
    currency_code = models.TextField(null=True)
    budget_total = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    spend_total = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    remaining_budget = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    budget = models.JSONField(null=True, help_text="HubSpot's budget totals: budgetItems, "
                                                   "spendItems … (NULL: not readable)")
    assets = models.JSONField(default=dict, help_text="asset ids by asset type: "
                                                      '{"MARKETING_EMAIL": ["123", …], …}')

    class Meta:
        db_table = "hubspot_campaign"


# The marketing sources' tables by source name (sync_hubspot_<name>): each gets its typed view
# `<table>_v` (ingestion/sync/hubspot/typed_views.py).
SOURCE_MODELS: dict[str, type[HubSpotDefinition]] = {
    "workflows": HubSpotWorkflow, "campaigns": HubSpotCampaign,
    "marketing_emails": HubSpotMarketingEmail}
