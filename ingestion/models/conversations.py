"""The conversations inbox's tables (docs/hubspot-api.md#conversations): inboxes, channels,
channel accounts, threads and their messages. Like the other marketing sources' tables: HubSpot's
JSON in `raw`, what analysts use as typed columns, HubSpot ids only (no foreign keys)."""

from django.db import models

from .metadata import HubSpotDefinition


class HubSpotConversationInbox(HubSpotDefinition):
    """A conversations inbox or the help desk (live or archived)."""

    name = models.TextField(null=True)
    type = models.TextField(null=True, help_text="INBOX or HELP_DESK")

    class Meta:
        db_table = "hubspot_conversation_inbox"


class HubSpotConversationChannel(HubSpotDefinition):
    """A kind of channel messages travel by (email, chat, Facebook Messenger …); HubSpot gives
    channels no times, so a stored one is replaced when its JSON differs."""

    name = models.TextField(null=True)

    class Meta:
        db_table = "hubspot_conversation_channel"


class HubSpotConversationChannelAccount(HubSpotDefinition):
    """One connected account of a channel (an email address, a chat widget …) and the inbox
    it delivers to; no modified time either: replaced when its JSON differs."""

    name = models.TextField(null=True)
    channel_id = models.TextField(null=True)
    inbox_id = models.TextField(null=True)
    active = models.BooleanField(null=True)
    authorized = models.BooleanField(null=True)
    delivery_identifier_type = models.TextField(null=True, help_text="HS_EMAIL_ADDRESS …")
    delivery_identifier_value = models.TextField(null=True)

    class Meta:
        db_table = "hubspot_conversation_channel_account"


class HubSpotConversationThread(HubSpotDefinition):
    """A conversation thread (live or archived). `updated_at` is the later of its latest
    message's time and its closing time (HubSpot gives threads no modified time: what the
    watermark follows, docs/hubspot-api.md#conversations)."""

    inbox_id = models.TextField(null=True)
    status = models.TextField(null=True, help_text="OPEN or CLOSED")
    spam = models.BooleanField(null=True)
    associated_contact_id = models.TextField(null=True, db_index=True)
    associated_ticket_id = models.TextField(null=True)
    assigned_to = models.TextField(null=True, help_text="the actor it is assigned to (A-…)")
    original_channel_id = models.TextField(null=True)
    original_channel_account_id = models.TextField(null=True)
    closed_at = models.DateTimeField(null=True)
    latest_message_at = models.DateTimeField(null=True)
    latest_message_sent_at = models.DateTimeField(null=True)
    latest_message_received_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "hubspot_conversation_thread"
        # What an incremental messages run looks up: threads changed or stored since a time.
        indexes = [models.Index(fields=["updated_at"], name="hs_conv_thread_updated"),
                   models.Index(fields=["synced_at"], name="hs_conv_thread_synced")]


class HubSpotConversationMessage(HubSpotDefinition):
    """One entry of a thread's history: a message, comment, welcome message or system event
    (ASSIGNMENT, THREAD_STATUS_CHANGE …). Key `"<thread id>:<message id>"` (HubSpot names a
    message under its thread). `text` is the whole text: where the listing truncated it
    (`truncation_status`), it is read from the message's original content;
    `text_complete` is false only where that could not be had."""

    thread_id = models.TextField(db_index=True)
    message_id = models.TextField()
    type = models.TextField(null=True, help_text="MESSAGE, COMMENT, WELCOME_MESSAGE …")
    direction = models.TextField(null=True, help_text="INCOMING or OUTGOING")
    channel_id = models.TextField(null=True)
    channel_account_id = models.TextField(null=True)
    created_by = models.TextField(null=True, help_text="the actor id (A-…, V-…, S-…)")
    sender_actor_id = models.TextField(null=True, help_text="the first sender's actor id")
    senders = models.JSONField(null=True)
    recipients = models.JSONField(null=True)
    subject = models.TextField(null=True)
    text = models.TextField(null=True)
    rich_text = models.TextField(null=True)
    truncation_status = models.TextField(
        null=True, help_text="as listed: NOT_TRUNCATED, TRUNCATED, TRUNCATED_TO_MOST_RECENT_REPLY")
    text_complete = models.BooleanField(null=True)
    attachments = models.JSONField(null=True)
    in_reply_to_id = models.TextField(null=True)
    status_type = models.TextField(null=True, help_text="SENT, FAILED, READ …")
    client_type = models.TextField(null=True, help_text="HUBSPOT, INTEGRATION, SYSTEM …")

    class Meta:
        db_table = "hubspot_conversation_message"
