"""HubSpot's webhook events → `WebhookEvent` rows, each stored once.

HubSpot delivers at least once and out of order (docs/hubspot-api.md#webhooks): the same eventId can
come again, in a later POST or a retry, so rows are inserted with the eventId unique and conflicts
ignored. Only what applying needs is kept (`detail`); a property's new value (`propertyValue`)
is never stored: it can be personal data, and applying re-reads the record anyway.

One bad event must not cost the others: HubSpot resends a whole delivery it got a 5xx for,
until it gives up, so an event that fails would take the valid ones with it. So:
- text no database column can hold (NUL; a lone UTF-16 surrogate, which JSON allows) is
  removed from `detail` (NUL) or replaced by U+FFFD, the same on every database; in the
  fields that say what the event is (`subscriptionType`, `objectTypeId`) it makes the event
  unusable;
- an unusable event, or one the database refuses anyway (each is inserted in its own
  savepoint when the delivery as a whole is refused), is recorded as a row already settled
  (`applied_at` set, `error` "not stored: <reason>", no detail) when it has a usable eventId,
  and logged by its eventId, never its body; the rest are stored;
- with HUBSPOT_PORTAL_ID set, an event of another portal is recorded settled ("ignored: …")
  at once: it is never applied (the applier checks again: ingestion/sync/hubspot/portals.py).

Several portals (accounts.py): one app, one target URL, every installation's events in one
delivery. `by_portal` routes each event by its `portalId` to the registered portal with that
id, whose scope stores it (`store_events(..., mirrored=that id)`); an event of any other
portal (the implicit one's, HUBSPOT_PORTAL_ID or learnt by the applier, or one nobody
registered) goes to the implicit portal's scope as before, where an unknown portal's event is
recorded and never applied.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import DataError, IntegrityError, transaction

from ingestion.models import WebhookEvent

from .accounts import IMPLICIT, registered_portal_ids
from .catalog import OBJECT_TYPE_NAMES, WEBHOOK_PREFIX_TYPES
from .portals import configured_portal, other_portal

log = logging.getLogger("ingestion.webhooks")

# What an event carries besides its ids and time that applying uses. Never `propertyValue`.
DETAIL_KEYS = ("propertyName", "changeFlag", "primaryObjectId", "mergedObjectIds",
               "newObjectId", "associationType", "fromObjectId", "toObjectId",
               "fromObjectTypeId", "toObjectTypeId", "associationRemoved",
               "associationTypeId", "associationCategory")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What the database says about one row's data (psycopg refuses NUL in text with a ValueError
# before sending it); any other database error is the database's, not the row's.
ROW_ERRORS = (DataError, IntegrityError, ValueError)


class UnusableEvent(ValueError):
    pass


@dataclass
class Stored:
    """What became of a delivery's events: stored to apply, or not (recorded or logged)."""

    stored: int = 0
    skipped: int = 0


def object_type_of(event: dict) -> str:
    """Our name for the event's object type: `contacts` …, a standard type's name for an
    `object.*` event with a known objectTypeId (`0-48` → calls), else the id (`2-123`)."""
    prefix = str(event["subscriptionType"]).partition(".")[0]
    if prefix != "object":
        return WEBHOOK_PREFIX_TYPES.get(prefix, prefix)
    type_id = event.get("objectTypeId")
    if not isinstance(type_id, str) or not type_id:
        raise UnusableEvent("an object.* event without objectTypeId")
    return OBJECT_TYPE_NAMES.get(type_id, _storable("objectTypeId", type_id))


def event_row(event: object, received_at: datetime) -> WebhookEvent:
    """One event as a row, or UnusableEvent when a field applying needs is missing."""
    if not isinstance(event, dict):
        raise UnusableEvent("not a JSON object")
    kind = event.get("subscriptionType")
    if not isinstance(kind, str) or "." not in kind:
        raise UnusableEvent("no subscriptionType")
    return WebhookEvent(
        event_id=_whole(event, "eventId"),
        subscription_type=_storable("subscriptionType", kind)[:64],
        object_type=object_type_of(event)[:64], object_id=str(_object_id(event)),
        occurred_at=_whole(event, "occurredAt"),
        portal_id=_whole(event, "portalId") if event.get("portalId") is not None else None,
        detail={k: _repaired(event[k]) for k in DETAIL_KEYS if event.get(k) is not None},
        received_at=received_at)


def _storable(key: str, text: str) -> str:
    """A field that says what the event is: text no column can hold makes it unusable."""
    if "\x00" in text or _LONE_SURROGATE.search(text):
        raise UnusableEvent(f"{key} holds a NUL or a broken (lone surrogate) character")
    return text


def _repaired(value: object) -> object:
    """A detail value with NUL removed and lone surrogates replaced (keys are ours)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value).replace("\x00", "")
    if isinstance(value, list):
        return [_repaired(item) for item in value]
    return value


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


def by_portal(events: list) -> dict[str, list]:
    """The delivery's events by the name of the portal whose scope stores them (module doc),
    in the order they came."""
    registered = registered_portal_ids()
    implicit_id = configured_portal()
    routed: dict[str, list] = {}
    for event in events:
        portal_id = event.get("portalId") if isinstance(event, dict) else None
        try:
            number = _whole({"portalId": portal_id}, "portalId")
        except UnusableEvent:
            number = None
        name = IMPLICIT if number == implicit_id else registered.get(number, IMPLICIT)
        routed.setdefault(name, []).append(event)
    return routed


def store_events(events: list, received_at: datetime, *,
                 mirrored: int | None = None) -> Stored:
    """Store each usable event once (module doc): what was stored, and what was not.
    `mirrored`: the id of the portal whose scope this is (default HUBSPOT_PORTAL_ID)."""
    mirrored = configured_portal() if mirrored is None else mirrored
    rows: dict[int, WebhookEvent] = {}
    result = Stored()
    for event in events:
        try:
            row = event_row(event, received_at)
        except UnusableEvent as reason:
            result.skipped += 1
            _not_stored(event, str(reason), received_at)
            continue
        rows.setdefault(row.event_id, _settle_other_portal(row, mirrored))
    refused = insert_rows(list(rows.values()))
    result.stored, result.skipped = len(rows) - refused, result.skipped + refused
    return result


def insert_rows(rows: list[WebhookEvent]) -> int:
    """Insert the rows once each (`_insert`); the ones the database refused are recorded
    settled instead. Returns how many were refused. Inside a caller's transaction, this is
    part of it (the journal stores its offset with its events)."""
    refused = _insert(rows)
    for row, reason in refused:
        _not_stored(row, reason, row.received_at)
    return len(refused)


def _settle_other_portal(row: WebhookEvent, mirrored: int | None) -> WebhookEvent:
    why = other_portal(row.portal_id, mirrored) if mirrored is not None else ""
    if why:
        row.applied_at, row.error = row.received_at, why
    return row


def _insert(rows: list[WebhookEvent]) -> list[tuple[WebhookEvent, str]]:
    """Insert the rows (a repeat of a stored eventId is ignored: HubSpot retried, or
    delivered twice); the ones the database refused, with why. All in one statement, unless
    the database refuses the data: then each in its own savepoint, so one row cannot fail
    the rest. A database that fails as a whole (connection, locks, schema: any other error)
    raises, and the delivery is answered 500 for HubSpot to resend."""
    try:
        with transaction.atomic():
            WebhookEvent.objects.bulk_create(rows, ignore_conflicts=True)
        return []
    except ROW_ERRORS:
        pass
    refused = []
    for row in rows:
        try:
            with transaction.atomic():
                WebhookEvent.objects.bulk_create([row], ignore_conflicts=True)
        except ROW_ERRORS as error:
            refused.append((row, _first_line(error)))
    return refused


def _not_stored(event: object, reason: str, received_at: datetime) -> None:
    """Log an event that is not stored by its eventId (never its body: it can hold personal
    data) and record it settled, when its eventId can key a row (a resend then adds
    nothing)."""
    is_row = isinstance(event, WebhookEvent)
    raw_id = event.event_id if is_row else event.get("eventId") if isinstance(event, dict) \
        else None
    log.warning("webhook event %s not stored: %s", _short(raw_id), reason)
    try:
        event_id = _whole({"eventId": raw_id}, "eventId")
    except UnusableEvent:
        return
    kind = event.subscription_type if is_row else event.get("subscriptionType")
    record = WebhookEvent(
        source=event.source if is_row else WebhookEvent.WEBHOOK,
        event_id=event_id, subscription_type=_clean(kind)[:64], object_type="", object_id="",
        occurred_at=0, detail={}, received_at=received_at, applied_at=received_at,
        error=f"not stored: {_clean(reason)}"[:2000])
    try:
        with transaction.atomic():
            WebhookEvent.objects.bulk_create([record], ignore_conflicts=True)
    except ROW_ERRORS as error:
        log.warning("webhook event %s could not be recorded either: %s", event_id,
                    _first_line(error))


def _clean(value: object) -> str:
    return str(_repaired(value)) if isinstance(value, str) else ""


def _first_line(error: Exception) -> str:
    text = _clean(str(error)).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def _short(value: object) -> str:
    return repr(value)[:40]
