"""HubSpot webhook events, stored once as they arrive and applied apart (sync/hubspot/events.py).

Only what applying needs is kept: the event's ids, kind and time, never a property's value
(`propertyValue` can be personal data, and applying re-reads the record anyway).
"""

from django.db import models


class WebhookEvent(models.Model):
    event_id = models.BigIntegerField(unique=True)  # HubSpot's eventId: a repeat is dropped
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

    def __str__(self) -> str:
        return f"{self.subscription_type} {self.object_id} @ {self.occurred_at}"
