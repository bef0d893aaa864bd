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


class HubSpotEmailCampaign(HubSpotDefinition):
    """An email campaign: the send of one marketing email (HubSpot's integer
    `emailCampaignId`, which email events name; not a marketing campaign), with its counters
    (docs/hubspot-api.md#email-events). Read whole every run: by-id list, then each one's
    details."""

    app_id = models.BigIntegerField(null=True)
    app_name = models.TextField(null=True)
    content_id = models.BigIntegerField(null=True, help_text="the marketing email it sent")
    name = models.TextField(null=True)
    subject = models.TextField(null=True)
    type = models.TextField(null=True, help_text="BATCH_EMAIL, AB_EMAIL …")
    sub_type = models.TextField(null=True)
    processing_state = models.TextField(null=True)
    num_included = models.BigIntegerField(null=True)
    num_queued = models.BigIntegerField(null=True)
    counters = models.JSONField(default=dict, help_text="HubSpot's counters, as sent")
    sent = models.BigIntegerField(null=True)
    delivered = models.BigIntegerField(null=True)
    opened = models.BigIntegerField(null=True, help_text="counters.open")
    clicked = models.BigIntegerField(null=True, help_text="counters.click")
    bounced = models.BigIntegerField(null=True, help_text="counters.bounce")
    dropped = models.BigIntegerField(null=True)
    unsubscribed = models.BigIntegerField(null=True)
    spam_reports = models.BigIntegerField(null=True, help_text="counters.spamreport")
    last_activity = models.DateTimeField(
        null=True, help_text="lastUpdatedTime: its last event (from the activity listing)")

    class Meta:
        db_table = "hubspot_email_campaign"


class HubSpotEmailEvent(HubSpotDefinition):
    """One email event (SENT, DELIVERED, OPEN, CLICK, BOUNCE …). HubSpot identifies an event by
    its `id` together with its `created` time, so the key is `"<created ms>:<id>"`
    (docs/hubspot-api.md#email-events); `created_at` = `updated_at` = `created` (events never
    change). The type-specific fields analysts use are columns; the rest stay in `raw`."""

    event_id = models.TextField(help_text="HubSpot's event id (unique with created)")
    event_type = models.TextField(null=True, help_text="SENT, DELIVERED, OPEN, CLICK …")
    recipient = models.TextField(null=True, db_index=True)
    email_campaign_id = models.BigIntegerField(null=True)
    portal_id = models.BigIntegerField(null=True)
    app_id = models.BigIntegerField(null=True)
    app_name = models.TextField(null=True)
    sent_by_id = models.TextField(null=True, help_text="the message's SENT event: its id")
    sent_by_created = models.DateTimeField(null=True, help_text="… and its created time")
    url = models.TextField(null=True, help_text="CLICK: the link")
    status = models.TextField(null=True, help_text="BOUNCE: the SMTP status")
    bounce_category = models.TextField(null=True, help_text="BOUNCE: category")
    response = models.TextField(null=True, help_text="DELIVERED, DEFERRED, BOUNCE: the reply")
    drop_reason = models.TextField(null=True, help_text="DROPPED: dropReason")
    drop_message = models.TextField(null=True)
    subscription_status = models.TextField(
        null=True, help_text="STATUSCHANGE: portalSubscriptionStatus")
    subscriptions = models.JSONField(null=True, help_text="STATUSCHANGE: subscriptions")
    source = models.TextField(null=True, help_text="STATUSCHANGE: source")
    filtered_event = models.BooleanField(null=True, help_text="OPEN/CLICK … HubSpot filtered")
    device_type = models.TextField(null=True)
    browser = models.JSONField(null=True)
    location = models.JSONField(null=True)
    subject = models.TextField(null=True, help_text="SENT: subject")

    class Meta:
        db_table = "hubspot_email_event"
        indexes = [
            models.Index(fields=["email_campaign_id", "event_type"],
                         name="hs_email_event_campaign_type"),
        ]


# The marketing sources' tables by source name (sync_hubspot_<name>): each gets its typed view
# `<table>_v` (ingestion/sync/hubspot/typed_views.py).
SOURCE_MODELS: dict[str, type[HubSpotDefinition]] = {
    "workflows": HubSpotWorkflow, "email_campaigns": HubSpotEmailCampaign,
    "email_events": HubSpotEmailEvent}
