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
class HubSpotSubscriptionType(HubSpotDefinition):
    """An email subscription type (communication preferences definition); retired ones stay
    listed by HubSpot with `is_active` false (docs/hubspot-api.md#subscriptions)."""

    name = models.TextField(null=True)
    description = models.TextField(null=True)
    purpose = models.TextField(null=True)
    communication_method = models.TextField(null=True)
    is_active = models.BooleanField(null=True)
    is_default = models.BooleanField(null=True)
    is_internal = models.BooleanField(null=True)
    business_unit_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "hubspot_subscription_type"


class HubSpotSubscriptionStatus(HubSpotDefinition):
    """A contact's current status for one subscription type; id `<email, lowercase>:<type id>`,
    `updated_at` and `changed_at` HubSpot's `timestamp` of the status."""

    email = models.TextField(db_index=True)
    subscription_id = models.BigIntegerField(null=True, db_index=True)
    subscription_name = models.TextField(null=True)
    status = models.TextField(null=True, help_text="SUBSCRIBED, UNSUBSCRIBED, NOT_SPECIFIED")
    source = models.TextField(null=True)
    legal_basis = models.TextField(null=True)
    legal_basis_explanation = models.TextField(null=True)
    channel = models.TextField(null=True)
    business_unit_id = models.BigIntegerField(null=True)
    changed_at = models.DateTimeField(null=True, help_text="when the status was set")

    class Meta:
        db_table = "hubspot_subscription_status"


class HubSpotSubscriptionChange(HubSpotDefinition):
    """One change of the subscription timeline; HubSpot gives changes no id, so the key is a
    digest of the recipient, the timeline item's time and the change's subscription, change,
    type and source (the same change read again is the same row). `updated_at` is the
    item's time (what incremental reads start from), `occurred_at` the change's own."""

    recipient = models.TextField(db_index=True)
    occurred_at = models.DateTimeField(null=True)
    subscription_id = models.BigIntegerField(null=True)
    change = models.TextField(null=True, help_text="SUBSCRIBED, UNSUBSCRIBED, BOUNCED …")
    change_type = models.TextField(null=True, help_text="SUBSCRIPTION_STATUS, PORTAL_STATUS …")
    source = models.TextField(null=True)
    portal_id = models.BigIntegerField(null=True)
    caused_by_event_id = models.TextField(null=True, help_text="the email event behind it")

    class Meta:
        db_table = "hubspot_subscription_change"
        # What an incremental statuses run looks up: changes dated or stored since a time.
        indexes = [models.Index(fields=["updated_at"], name="hubspot_sub_change_updated"),
                   models.Index(fields=["synced_at"], name="hubspot_sub_change_synced")]


# The marketing sources' tables by source name (sync_hubspot_<name>): each gets its typed view
# `<table>_v` (ingestion/sync/hubspot/typed_views.py).
SOURCE_MODELS: dict[str, type[HubSpotDefinition]] = {
    "workflows": HubSpotWorkflow, "campaigns": HubSpotCampaign,
    "marketing_emails": HubSpotMarketingEmail,
    "subscription_types": HubSpotSubscriptionType,
    "subscription_changes": HubSpotSubscriptionChange,
    "subscription_statuses": HubSpotSubscriptionStatus,
}
