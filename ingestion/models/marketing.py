"""The marketing sources' tables: what is neither a CRM record nor a list or form (workflows,
marketing emails, campaigns, email events, subscriptions, marketing events, deal splits).
Each row keeps HubSpot's JSON in `raw` and the fields analysts use as typed columns; no
foreign keys (HubSpot ids only), so a force overwrite of one table never touches another.
Keys per table in docs/data-model.md.
"""

from django.db import models

from .conversations import (
    HubSpotConversationChannel,
    HubSpotConversationChannelAccount,
    HubSpotConversationInbox,
    HubSpotConversationMessage,
    HubSpotConversationThread,
)
from .metadata import HubSpotDefinition
from .teams import HubSpotRole, HubSpotSettingsUser, HubSpotTeam


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


class HubSpotMarketingEvent(HubSpotDefinition):
    """A marketing event (CRM object 0-54: a webinar, conference …), from the marketing events
    API; id HubSpot's `objectId`. The registrant, attendee, cancellation and no-show counters
    are HubSpot's own (docs/hubspot-api.md#marketing-events)."""

    name = models.TextField(null=True, help_text="eventName")
    event_type = models.TextField(null=True, help_text="WEBINAR, CONFERENCE … (free text)")
    organizer = models.TextField(null=True, help_text="eventOrganizer")
    description = models.TextField(null=True)
    url = models.TextField(null=True, help_text="eventUrl")
    external_event_id = models.TextField(null=True, help_text="the event's id in its app")
    external_account_id = models.TextField(null=True, help_text="the account's id in its app")
    app_id = models.TextField(null=True, help_text="appInfo.id: the app that made it")
    app_name = models.TextField(null=True)
    starts_at = models.DateTimeField(null=True, help_text="startDateTime")
    ends_at = models.DateTimeField(null=True, help_text="endDateTime")
    cancelled = models.BooleanField(null=True, help_text="eventCancelled")
    completed = models.BooleanField(null=True, help_text="eventCompleted")
    status = models.TextField(null=True, help_text="eventStatus")
    registrants = models.BigIntegerField(null=True)
    attendees = models.BigIntegerField(null=True)
    cancellations = models.BigIntegerField(null=True)
    no_shows = models.BigIntegerField(null=True)
    custom_properties = models.JSONField(default=dict, help_text="customProperties: "
                                                                 "{name: value}")

    class Meta:
        db_table = "hubspot_marketing_event"


class HubSpotMarketingEventParticipation(HubSpotDefinition):
    """One contact's participation in one marketing event (an attendance state record; id
    HubSpot's). HubSpot gives it no modified time: `updated_at` is `occurredAt`, when its
    state was reached (docs/hubspot-api.md#marketing-events)."""

    marketing_event_id = models.TextField(db_index=True,
                                          help_text="hubspot_marketing_event.id")
    contact_id = models.TextField(null=True, db_index=True, help_text="hubspot_contact.id")
    state = models.TextField(null=True, help_text="REGISTERED, ATTENDED, CANCELLED, NO_SHOW")
    occurred_at = models.DateTimeField(null=True)
    duration_seconds = models.BigIntegerField(null=True, help_text="attendanceDurationSeconds")
    attendance_percentage = models.DecimalField(max_digits=12, decimal_places=4, null=True)

    class Meta:
        db_table = "hubspot_marketing_event_participation"


class HubSpotDealSplit(HubSpotDefinition):
    """One split of a deal's credit between owners (Sales Hub Enterprise with deal splits on;
    docs/hubspot-api.md#deal-splits): HubSpot's split id, the deal it splits, the owner it
    credits and the share (a fraction: the shares of one deal add up to 1)."""

    deal_id = models.TextField(db_index=True, help_text="hubspot_deal.id")
    owner_id = models.TextField(null=True, help_text="hubspot_owner.id (hubspot_owner_id)")
    percentage = models.DecimalField(max_digits=20, decimal_places=10, null=True,
                                     help_text="hs_deal_split_percentage: 0.6 is 60%")

    class Meta:
        db_table = "hubspot_deal_split"


# The marketing sources' tables by source name (sync_hubspot_<name>): each gets its typed view
# `<table>_v` (ingestion/sync/hubspot/typed_views.py).
SOURCE_MODELS: dict[str, type[HubSpotDefinition]] = {
    "workflows": HubSpotWorkflow, "campaigns": HubSpotCampaign,
    "marketing_emails": HubSpotMarketingEmail,
    "email_campaigns": HubSpotEmailCampaign, "email_events": HubSpotEmailEvent,
    "subscription_types": HubSpotSubscriptionType,
    "subscription_changes": HubSpotSubscriptionChange,
    "subscription_statuses": HubSpotSubscriptionStatus,
    "marketing_events": HubSpotMarketingEvent,
    "marketing_event_participations": HubSpotMarketingEventParticipation,
    "roles": HubSpotRole, "teams": HubSpotTeam, "settings_users": HubSpotSettingsUser,
    "conversation_inboxes": HubSpotConversationInbox,
    "conversation_channels": HubSpotConversationChannel,
    "conversation_channel_accounts": HubSpotConversationChannelAccount,
    "conversation_threads": HubSpotConversationThread,
    "conversation_messages": HubSpotConversationMessage,
    "deal_splits": HubSpotDealSplit,
}
