"""HubSpot's webhook events → `WebhookEvent` rows, each stored once.

HubSpot delivers at least once and out of order (API-DATED §4): the same eventId can come
again, in a later POST or a retry, so rows are inserted with the eventId unique and conflicts
ignored. Only what applying needs is kept (`detail`); a property's new value (`propertyValue`)
is never stored: it can be personal data, and applying re-reads the record anyway.
"""

from __future__ import annotations

import logging
from datetime import datetime

from ingestion.models import WebhookEvent
from ingestion.sync.hubspot.catalog import OBJECT_TYPE_NAMES, WEBHOOK_PREFIX_TYPES

log = logging.getLogger("ingestion.webhooks")

# What an event carries besides its ids and time that applying uses. Never `propertyValue`.
DETAIL_KEYS = ("propertyName", "changeFlag", "primaryObjectId", "mergedObjectIds",
               "newObjectId", "associationType", "fromObjectId", "toObjectId",
               "fromObjectTypeId", "toObjectTypeId", "associationRemoved",
               "associationTypeId", "associationCategory")


class UnusableEvent(ValueError):
    pass


def object_type_of(event: dict) -> str:
    """Our name for the event's object type: `contacts` …, a standard type's name for an
    `object.*` event with a known objectTypeId (`0-48` → calls), else the id (`2-123`)."""
    prefix = str(event["subscriptionType"]).partition(".")[0]
    if prefix != "object":
        return WEBHOOK_PREFIX_TYPES.get(prefix, prefix)
    type_id = event.get("objectTypeId")
    if not isinstance(type_id, str) or not type_id:
        raise UnusableEvent("an object.* event without objectTypeId")
    return OBJECT_TYPE_NAMES.get(type_id, type_id)


def event_row(event: object, received_at: datetime) -> WebhookEvent:
    """One event as a row, or UnusableEvent when a field applying needs is missing."""
    if not isinstance(event, dict):
        raise UnusableEvent("not a JSON object")
    kind = event.get("subscriptionType")
    if not isinstance(kind, str) or "." not in kind:
        raise UnusableEvent("no subscriptionType")
    return WebhookEvent(
        event_id=_whole(event, "eventId"), subscription_type=kind[:64],
        object_type=object_type_of(event)[:64], object_id=str(_object_id(event)),
        occurred_at=_whole(event, "occurredAt"),
        portal_id=_whole(event, "portalId") if event.get("portalId") is not None else None,
        detail={k: event[k] for k in DETAIL_KEYS if event.get(k) is not None},
        received_at=received_at)


def _object_id(event: dict) -> int:
    """HubSpot's associationChange events carry no `objectId`, only the two ends: the event
    stands for its from end (the record of the subscribed type)."""
    if event.get("objectId") is None and event.get("fromObjectId") is not None:
        return _whole(event, "fromObjectId")
    return _whole(event, "objectId")


def _whole(event: dict, key: str) -> int:
    """HubSpot sends ids and times as JSON numbers; a digit string is taken too."""
    value = event.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UnusableEvent(f"{key} missing or not a whole number")
    try:
        number = int(value)
    except ValueError:
        raise UnusableEvent(f"{key} is not a whole number") from None
    if not 0 <= number < 2**63:
        raise UnusableEvent(f"{key} out of range")
    return number


def store_events(events: list, received_at: datetime) -> tuple[int, int]:
    """Store each usable event once; returns (usable, skipped). An unusable one is logged by
    its eventId (never its body: it can hold personal data) and the rest are stored."""
    rows: dict[int, WebhookEvent] = {}
    skipped = 0
    for event in events:
        try:
            row = event_row(event, received_at)
        except UnusableEvent as reason:
            skipped += 1
            event_id = event.get("eventId") if isinstance(event, dict) else None
            log.warning("webhook event %s skipped: %s", _short(event_id), reason)
            continue
        rows.setdefault(row.event_id, row)
    # A repeat of a stored eventId (HubSpot retried, or delivered twice) is ignored.
    WebhookEvent.objects.bulk_create(rows.values(), ignore_conflicts=True)
    return len(rows), skipped


def _short(value: object) -> str:
    return repr(value)[:40]
