"""Saving captured JSON (no HTTP, no database): what one timeline item, status or type becomes
as rows. The JSON is HubSpot's reference example (docs/hubspot-api.md#subscriptions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingestion.base.results import RecordError
from ingestion.sync.hubspot.engines.subscriptions import (
    HubSpotSubscriptionChangeSyncEngine,
    HubSpotSubscriptionStatusSyncEngine,
    HubSpotSubscriptionTypeSyncEngine,
    changes_of,
)

pytestmark = pytest.mark.once

# The timeline reference's second item: three changes caused by one email event.
ITEM = {"timestamp": 1400255007763, "portalId": 62515, "recipient": "tim@opas.com",
        "changes": [
            {"change": "SUBSCRIBED", "source": "SOURCE_RECIPIENT", "portalId": 62515,
             "subscriptionId": 2849, "changeType": "SUBSCRIPTION_STATUS",
             "causedByEvent": {"id": "0d813e2c-ce7f-4510-9250-839cd08c967a",
                               "created": 1400255007763}},
            {"change": "SUBSCRIBED", "source": "SOURCE_RECIPIENT", "portalId": 62515,
             "subscriptionId": 230318, "changeType": "SUBSCRIPTION_STATUS",
             "causedByEvent": {"id": "0d813e2c-ce7f-4510-9250-839cd08c967a",
                               "created": 1400255007763}},
            {"change": "SUBSCRIBED", "source": "SOURCE_RECIPIENT", "portalId": 62515,
             "changeType": "PORTAL_STATUS",
             "causedByEvent": {"id": "0d813e2c-ce7f-4510-9250-839cd08c967a",
                               "created": 1400255007763}}]}
STATUS = {"channel": "EMAIL", "source": "SOURCE_RECIPIENT", "status": "UNSUBSCRIBED",
          "subscriberIdString": "Tim@Opas.com", "subscriptionId": 2849,
          "timestamp": "2026-03-01T10:00:00.000Z", "businessUnitId": 0,
          "legalBasis": "CONSENT_WITH_NOTICE", "subscriptionName": "Newsletter"}
DEFINITION = {"id": "2849", "name": "Newsletter", "description": "Monthly", "purpose":
              "Marketing", "communicationMethod": "Email", "isActive": True, "isDefault": False,
              "isInternal": False, "createdAt": "2024-01-02T03:04:05.000Z",
              "updatedAt": "2025-01-02T03:04:05.000Z", "businessUnitId": 0}


def rows(engine_class, items: list) -> list[dict]:
    engine = engine_class(client=None)
    return [engine.transform(item)[0] for item in items]


def test_timeline_item_when_saved_then_one_row_per_change_with_the_event_time():
    saved = rows(HubSpotSubscriptionChangeSyncEngine, changes_of(ITEM))
    assert [(r["subscription_id"], r["change_type"]) for r in saved] == [
        (2849, "SUBSCRIPTION_STATUS"), (230318, "SUBSCRIPTION_STATUS"), (None, "PORTAL_STATUS")]
    first = saved[0]
    assert (first["recipient"], first["change"], first["source"], first["portal_id"]) == (
        "tim@opas.com", "SUBSCRIBED", "SOURCE_RECIPIENT", 62515)
    assert first["caused_by_event_id"] == "0d813e2c-ce7f-4510-9250-839cd08c967a"
    assert first["occurred_at"] == first["updated_at"] == datetime.fromtimestamp(
        1400255007.763, UTC)
    assert first["raw"]["change"] == ITEM["changes"][0] and first["raw"]["recipient"]


def test_timeline_item_when_read_again_then_same_keys_and_each_change_its_own():
    once = [r["id"] for r in rows(HubSpotSubscriptionChangeSyncEngine, changes_of(ITEM))]
    again = [r["id"] for r in rows(HubSpotSubscriptionChangeSyncEngine, changes_of(dict(ITEM)))]
    assert once == again and len(set(once)) == 3


@pytest.mark.parametrize("entry", [42, {"recipient": "a@b.c", "changes": "none"},
                                   {"recipient": "a@b.c", "timestamp": None,
                                    "changes": [{"change": "BOUNCED"}]},
                                   {"recipient": "a@b.c", "timestamp": 1, "changes": [7]}])
def test_malformed_item_when_saved_then_record_error(entry):
    engine = HubSpotSubscriptionChangeSyncEngine(client=None)
    for item in changes_of(entry):
        with pytest.raises(RecordError):
            engine.transform(item)


def test_status_when_saved_then_keyed_by_lowercase_email_and_subscription():
    (row,) = rows(HubSpotSubscriptionStatusSyncEngine, [STATUS])
    assert row["id"] == "tim@opas.com:2849" and row["email"] == "Tim@Opas.com"
    assert (row["status"], row["legal_basis"], row["subscription_id"]) == (
        "UNSUBSCRIBED", "CONSENT_WITH_NOTICE", 2849)
    assert row["changed_at"] == row["updated_at"] == datetime(2026, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(RecordError):
        rows(HubSpotSubscriptionStatusSyncEngine, [{**STATUS, "subscriptionId": None}])


def test_definition_when_saved_then_typed_columns():
    (row,) = rows(HubSpotSubscriptionTypeSyncEngine, [DEFINITION])
    assert (row["id"], row["name"], row["is_active"], row["business_unit_id"]) == (
        "2849", "Newsletter", True, 0)
    assert row["updated_at"] == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
