"""HubSpot webhook events, stored once as they arrive and applied apart (sync/hubspot/events.py),
and the webhooks journal's read position (sync/hubspot/journal.py).

Only what applying needs is kept: the event's ids, kind and time, never a property's value
(`propertyValue` can be personal data, and applying re-reads the record anyway). Events come
from two sources: POSTed webhooks (`source` "webhook", keyed by HubSpot's eventId) and the
webhooks journal (`source` "journal", keyed by a digest of the journal entry's offset and the
event's place in it); both are applied the same way.
"""

from django.db import models


class WebhookEvent(models.Model):
    WEBHOOK, JOURNAL = "webhook", "journal"

    source = models.CharField(max_length=16, default=WEBHOOK)
    # HubSpot's eventId (a repeat is dropped), or for the journal a digest of its place.
    event_id = models.BigIntegerField()
    subscription_type = models.TextField()  # e.g. contact.propertyChange
    object_type = models.TextField()  # contacts, 0-48, 2-123 …
    object_id = models.CharField(max_length=64)
    occurred_at = models.BigIntegerField()  # epoch ms, HubSpot's occurredAt
    portal_id = models.BigIntegerField(null=True)
    # What else the kind needs: propertyName; merge ids; association ends and type.
    detail = models.JSONField(default=dict)
    received_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, db_index=True)
    attempts = models.IntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "hubspot_webhook_event"
        indexes = [models.Index(fields=["object_type", "object_id", "occurred_at"],
                                name="hubspot_webhook_object_idx")]
        constraints = [models.UniqueConstraint(fields=["source", "event_id"],
                                               name="hubspot_webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.subscription_type} {self.object_id} @ {self.occurred_at}"


class JournalState(models.Model):
    """Where the mirror is in HubSpot's webhooks journal (one row per journal read, `key`
    "local"): the offset of the last entry whose events are stored, moved in the same
    transaction as those events (a kill never loses or repeats a change), and what the
    status page shows of it. Created by setup_hubspot_journal: a row means the journal is
    set up (and scheduled)."""

    LOCAL = "local"  # the local journal's row (one account)

    key = models.CharField(max_length=64, primary_key=True, default=LOCAL)
    offset = models.CharField(max_length=128, blank=True, default="")  # "" : none read yet
    portal_id = models.BigIntegerField(null=True)  # the account subscribed (installPortalId)
    offset_published_at = models.DateTimeField(null=True)  # that entry's file's publishedAt
    newest_change_at = models.DateTimeField(null=True)  # newest applied change's occurredAt
    read_at = models.DateTimeField(null=True)  # last read that reached the journal's end
    subscribed_types = models.JSONField(default=list)  # object types set up, by name
    set_up_at = models.DateTimeField(null=True)
    gap_at = models.DateTimeField(null=True)  # last time the offset had expired (gap closed)
    entries_read = models.BigIntegerField(default=0)
    events_stored = models.BigIntegerField(default=0)

    class Meta:
        db_table = "hubspot_journal_state"

    def __str__(self) -> str:
        return f"journal {self.key} @ {self.offset or '(start)'}"
