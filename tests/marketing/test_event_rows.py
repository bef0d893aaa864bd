"""Captured-shape email events (one of each documented type, as HubSpot's email events
overview describes them: docs/hubspot-api.md#email-events) through the engine's transform, no
HTTP: the key, the shared columns and each type's own; a malformed event fails alone, named
by its key and why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingestion.base.results import RecordError
from ingestion.sync.hubspot.engines.email_events import (
    HubSpotEmailCampaignSyncEngine,
    HubSpotEmailEventSyncEngine,
)

pytestmark = pytest.mark.once

CREATED = 1_735_776_000_123
SENT_BY = {"id": "e2f2b6b0-0000-4000-8000-000000000001", "created": CREATED - 60_000}
COMMON = {"recipient": "ada@example.com", "portalId": 62515, "appId": 113, "appName": "Batch",
          "emailCampaignId": 16275278, "hmid": "abc123"}
BROWSER = {"name": "Google Chrome", "family": "Chrome", "producer": "Google Inc.",
           "producerUrl": "https://www.google.com/", "type": "Browser",
           "url": "https://www.google.com/chrome/", "version": ["120.0"]}
LOCATION = {"country": "UNITED STATES", "state": "massachusetts", "city": "cambridge",
            "latitude": 42.37, "longitude": -71.11}
ENGAGEMENT = {"userAgent": "Mozilla/5.0", "browser": BROWSER, "location": LOCATION,
              "filteredEvent": False}
SUBSCRIPTIONS = [{"id": 7000001, "status": "UNSUBSCRIBED", "legalBasisChange": None}]
# type -> (its own fields, the columns they fill)
TYPES = {
    "SENT": ({"subject": "Spring news", "from": "news@example.com", "replyTo": [], "cc": [],
              "bcc": []}, {"subject": "Spring news"}),
    "DROPPED": ({"dropReason": "PREVIOUSLY_BOUNCED", "dropMessage": "bounced before"},
                {"drop_reason": "PREVIOUSLY_BOUNCED", "drop_message": "bounced before"}),
    "PROCESSED": ({}, {}),
    "DELIVERED": ({"response": "250 OK", "smtpId": "<1@example.com>"}, {"response": "250 OK"}),
    "DEFERRED": ({"response": "421 later", "attempt": 2}, {"response": "421 later"}),
    "BOUNCE": ({"category": "UNKNOWN_USER", "response": "550 no such user", "status": "5.1.1"},
               {"bounce_category": "UNKNOWN_USER", "status": "5.1.1",
                "response": "550 no such user"}),
    "OPEN": ({**ENGAGEMENT, "duration": 4000, "deviceType": "COMPUTER"},
             {"browser": BROWSER, "location": LOCATION, "filtered_event": False,
              "device_type": "COMPUTER"}),
    "CLICK": ({**ENGAGEMENT, "url": "https://example.com/p", "referers": [], "linkId": 3},
              {"url": "https://example.com/p", "browser": BROWSER}),
    "PRINT": (ENGAGEMENT, {"location": LOCATION}),
    "FORWARD": (ENGAGEMENT, {"location": LOCATION}),
    "STATUSCHANGE": ({"source": "SOURCE_RECIPIENT", "requestedBy": "ada@example.com",
                      "portalSubscriptionStatus": "UNSUBSCRIBED", "bounced": False,
                      "subscriptions": SUBSCRIPTIONS},
                     {"source": "SOURCE_RECIPIENT", "subscription_status": "UNSUBSCRIBED",
                      "subscriptions": SUBSCRIPTIONS}),
    "SPAMREPORT": ({"userAgent": "Mozilla/5.0", "ipAddress": "203.0.113.9"}, {}),
    "SUPPRESSED": ({}, {}),
}


@pytest.fixture(scope="module")
def engine():
    return HubSpotEmailEventSyncEngine(client=None)


def event(kind: str, **fields) -> dict:
    return {"id": f"id-{kind.lower()}", "created": CREATED, "type": kind, **COMMON,
            "sentBy": SENT_BY, **TYPES[kind][0], **fields}


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_captured_event_when_transformed_then_key_shared_and_own_columns(engine, kind):
    captured = event(kind)
    row, notes = engine.transform(captured)
    assert row["id"] == f"{CREATED}:id-{kind.lower()}" and notes == []
    assert (row["event_id"], row["event_type"], row["recipient"], row["email_campaign_id"],
            row["portal_id"], row["app_id"]) == (f"id-{kind.lower()}", kind,
                                                 "ada@example.com", 16275278, 62515, 113)
    at = datetime.fromtimestamp(CREATED / 1000, UTC)
    assert row["created_at"] == row["updated_at"] == at and row["raw"] == captured
    assert (row["sent_by_id"], row["sent_by_created"]) == (
        SENT_BY["id"], datetime.fromtimestamp(SENT_BY["created"] / 1000, UTC))
    assert {column: row[column] for column in TYPES[kind][1]} == TYPES[kind][1]


@pytest.mark.parametrize(("fields", "key", "reason"), [
    ({"created": "2025-01-02"}, ":id-open", "created is not epoch milliseconds (str)"),
    ({"id": None}, f"{CREATED}:", "without an id"),
    ({"emailCampaignId": "16275278"}, f"{CREATED}:id-open", "emailCampaignId is not an integer"),
    ({"sentBy": {"id": "x", "created": "soon"}}, f"{CREATED}:id-open",
     "sentBy.created is not epoch milliseconds"),
])
def test_malformed_event_when_transformed_then_fails_with_its_key_and_reason(
        engine, fields, key, reason):
    with pytest.raises(RecordError) as failure:
        engine.transform(event("OPEN", **fields))
    assert failure.value.object_id == key and reason in failure.value.reason


def test_captured_campaign_when_transformed_then_counters_typed():
    campaign = {"id": 16275278, "appId": 113, "appName": "Batch", "contentId": 40000001,
                "name": "Spring news", "subject": "Spring news", "type": "BATCH_EMAIL",
                "numIncluded": 250, "numQueued": 0, "processingState": "DONE",
                "lastProcessingStartedAt": CREATED, "lastUpdatedTime": CREATED + 5,
                "counters": {"sent": 250, "delivered": 240, "open": 120, "click": 30,
                             "bounce": 10, "dropped": 0, "unsubscribed": 2, "spamreport": 1}}
    row, _ = HubSpotEmailCampaignSyncEngine(client=None).transform(campaign)
    assert (row["id"], row["sent"], row["delivered"], row["opened"], row["clicked"],
            row["bounced"], row["unsubscribed"], row["spam_reports"]) == (
        "16275278", 250, 240, 120, 30, 10, 2, 1)
    assert row["updated_at"] == row["last_activity"] == datetime.fromtimestamp(
        (CREATED + 5) / 1000, UTC)
