"""Events as HubSpot sends them, signed with an independent v3 computation (not the
receiver's code), and the stored events read back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from hubspot_emulator import PORTAL_ID
from ingestion.models import WebhookEvent

SECRET = "webhook-test-secret-0f9e8d7c"
PATH = "/hubspot/webhooks/"


def sign(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """HubSpot's recipe as its guide writes it: base64(HMAC-SHA256(secret, method + uri +
    body + timestamp))."""
    source = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def event(event_id: int, kind: str, object_id: int | str, occurred_at: int | None = None,
          **fields) -> dict:
    """One event in HubSpot's shape, of the emulator's portal unless `portalId` is given."""
    return {"eventId": event_id, "subscriptionId": 1001, "portalId": PORTAL_ID, "appId": 54321,
            "occurredAt": occurred_at or now_ms(), "subscriptionType": kind,
            "attemptNumber": 0, "objectId": int(object_id), "changeSource": "CRM_UI", **fields}


def stored() -> list[WebhookEvent]:
    return list(WebhookEvent.objects.order_by("event_id"))


def pending() -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(applied_at__isnull=True).order_by("event_id"))
