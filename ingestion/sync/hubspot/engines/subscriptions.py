"""Email subscriptions: the subscription types, the change timeline and each contact's current
statuses (docs/hubspot-api.md#subscriptions; modes in docs/modes.md#subscriptions).

- `subscription_types`: every communication preferences definition, read whole every run
  (one request, no paging); dated settings read the 2026-03 API (`results`), legacy ones v3
  (`subscriptionDefinitions`).
- `subscription_changes`: the v1 timeline (no dated twin), newest first, `offset` while
  `hasMore`, from the watermark minus the lookback on (`startTimestamp`); each item's changes
  become one row each, keyed by a digest of what identifies a change (HubSpot gives changes
  no id), so a re-read change is the same row.
- `subscription_statuses`: each contact's statuses from the batch read, 100 emails a request.
  HubSpot lists no subscribers: the emails are those of the contacts already mirrored (a full
  run), or of the recipients of the stored changes dated from the watermark minus the
  lookback on, or stored since the last statuses run began (an incremental run). They are
  taken in the main thread before the run reads (`prepare`): the fetch stage never touches
  the database. A full run holds them all in memory (a list of strings), walked in contact
  id order: a stopped full read resumes after the last batch of contacts whose statuses
  committed (sources.py `ByParent`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any

import msgspec
from django.db.models import Q

from ingestion.base.results import Mode, Page, ReadCheck, RecordError
from ingestion.models import (
    OBJECT_MODELS,
    HubSpotSubscriptionChange,
    HubSpotSubscriptionStatus,
    HubSpotSubscriptionType,
    SyncHistory,
)

from ..limits import SUBSCRIPTION_STATUSES_BATCH, SUBSCRIPTION_TIMELINE_PAGE
from ..replies import Listing, OffsetListing, keyed
from ..timeparse import parse_hubspot_datetime
from .definitions import flag, integer, text
from .sources import ByParent, HubSpotSourceSyncEngine

CHANNEL = {"channel": "EMAIL"}  # required; the only channel HubSpot documents


class HubSpotSubscriptionTypeSyncEngine(HubSpotSourceSyncEngine):
    object_type = "subscription_types"
    model = HubSpotSubscriptionType

    def probe(self) -> None:
        self._read()

    def pages(self, since: datetime | None) -> Iterator[list]:
        yield self._read()

    def upstream_total(self) -> int | None:
        return len(self._read())  # every type is listed, retired ones too

    def _read(self) -> list:
        paths = self.client.paths
        # v3 lists them under `subscriptionDefinitions`, the dated API under `results`.
        shape = keyed("subscriptionDefinitions") if paths.legacy else Listing
        return self.client.request("GET", paths.subscription_definitions(),
                                   shape=shape).results

    def row(self, definition: dict) -> tuple[dict, dict]:
        if definition.get("id") in (None, ""):
            raise RecordError("", "a subscription type without an id")
        return definition, {
            "id": str(definition["id"]), "name": definition.get("name"),
            "description": definition.get("description"),
            "purpose": definition.get("purpose"),
            "communication_method": definition.get("communicationMethod"),
            "is_active": flag(definition.get("isActive")),
            "is_default": flag(definition.get("isDefault")),
            "is_internal": flag(definition.get("isInternal")),
            "business_unit_id": integer(definition.get("businessUnitId"))}


class HubSpotSubscriptionChangeSyncEngine(HubSpotSourceSyncEngine):
    object_type = "subscription_changes"
    model = HubSpotSubscriptionChange
    plan_page_size = SUBSCRIPTION_TIMELINE_PAGE
    supports_incremental = True
    # The item's time (what `startTimestamp` filters on) is what the watermark follows.
    created_fields = updated_fields = ("timestamp",)

    def probe(self) -> None:
        self.client.request("GET", self.client.paths.subscription_timeline(),
                            params={"limit": 1}, shape=TIMELINE)

    def pages(self, since: datetime | None) -> Iterator[list]:
        params: dict = {"limit": SUBSCRIPTION_TIMELINE_PAGE}
        if since is not None:
            params["startTimestamp"] = int(since.timestamp() * 1000)  # inclusive
        for page in self.listed(self.client.paths.subscription_timeline(), params,
                                shape=TIMELINE, cursor="offset"):
            yield page.carrying([change for entry in page for change in changes_of(entry)])

    def row(self, item: dict) -> tuple[dict, dict]:
        change, recipient = item.get("change"), item.get("recipient")
        label = f"{recipient}@{item.get('timestamp')}"
        if not isinstance(change, dict) or not isinstance(recipient, str) or not recipient:
            raise RecordError(label, "a timeline item without a recipient and its changes")
        occurred = _occurred(item, change, label)
        event = change.get("causedByEvent")
        return item, {
            "id": change_key(recipient, item["timestamp"], change), "recipient": recipient,
            "occurred_at": occurred, "subscription_id": integer(change.get("subscriptionId")),
            "change": change.get("change"), "change_type": change.get("changeType"),
            "source": change.get("source"), "portal_id": integer(item.get("portalId")),
            "caused_by_event_id": text(event.get("id")) if isinstance(event, dict) else None}


TIMELINE = keyed("timeline", OffsetListing)


def changes_of(entry) -> list:
    """One item per change of a timeline item, carrying the item's recipient, time and
    portal. An item that is not one is passed on whole, for `row` to report by itself."""
    if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
        return [{"entry": entry} if not isinstance(entry, dict) else entry]
    return [{"recipient": entry.get("recipient"), "timestamp": entry.get("timestamp"),
             "portalId": entry.get("portalId"), "change": change}
            for change in entry["changes"]]


def change_key(recipient: str, timestamp, change: dict) -> str:
    """A change's key: HubSpot gives changes no id, so a digest of what tells two changes
    apart (its item's recipient and time, and its subscription, change, type and source)."""
    parts = [recipient, timestamp, change.get("subscriptionId"), change.get("change"),
             change.get("changeType"), change.get("source")]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:40]


def _occurred(item: dict, change: dict, label: str) -> datetime | None:
    """When the change happened: its own `timestamp`, else its email event's `created` (a
    change caused by an event has no time of its own: docs/hubspot-api.md#subscriptions),
    else its item's."""
    event = change.get("causedByEvent") if isinstance(change.get("causedByEvent"), dict) else {}
    try:
        if parse_hubspot_datetime(item.get("timestamp")) is None:
            raise ValueError("no time")
        return parse_hubspot_datetime(change.get("timestamp") or event.get("created")
                                      or item.get("timestamp"))
    except (TypeError, ValueError):
        raise RecordError(label, "a timeline item with an unreadable time") from None


class HubSpotSubscriptionStatusSyncEngine(ByParent, HubSpotSourceSyncEngine):
    object_type = "subscription_statuses"
    model = HubSpotSubscriptionStatus
    # A full read asks for every live contact's statuses, an incremental one for the
    # recipients of the changes stored since (`_emails`), 100 emails a request.
    plan_reads_per = ("contacts", SUBSCRIPTION_STATUSES_BATCH)
    plan_changed_per = ("subscription_changes", SUBSCRIPTION_STATUSES_BATCH)
    supports_incremental = True
    created_fields = updated_fields = ("timestamp",)

    def probe(self) -> None:
        self.client.request("POST", self.client.paths.subscription_statuses_batch_read(),
                            params=CHANNEL, json={"inputs": []})

    def prepare(self) -> None:
        super().prepare()
        self.emails = self._emails(self.result.mode)  # `unread`: inputs HubSpot could not read

    def read_check(self) -> ReadCheck | None:
        # Statuses of an email HubSpot could not read are unknown, not gone: no sweep.
        if not self.unread:
            return None
        return ReadCheck({"unread_emails": self.unread}, f"HubSpot could not read the "
                         f"statuses of {self.unread} email(s); nothing was archived as gone")

    def _emails(self, mode: Mode) -> list[tuple[str, str]]:
        """The emails to read, distinct, in a stable order, each with its parent's key: every
        stored contact's, by contact id (a full run; a resumed one: the contacts after the
        last one committed), else the recipients of the changes stored since the run's start
        time (keyed by themselves)."""
        if mode in (Mode.FULL, Mode.IDS):
            found = self.parents_left(self.parent_rows()).order_by("pk").values_list(
                "pk", "email")
        else:
            found = HubSpotSubscriptionChange.objects.filter(self._changed(mode)).order_by(
                "recipient").values_list("recipient", "recipient").distinct()
        keyed_emails: dict[str, str] = {}  # email → its first parent's key
        for key, email in found.iterator():
            keyed_emails.setdefault(email.strip().lower(), str(key))
        return [(key, email) for email, key in keyed_emails.items()]

    def parent_rows(self):
        return (OBJECT_MODELS["contacts"].objects.filter(archived=False)
                .exclude(email=None).exclude(email=""))

    def _changed(self, mode: Mode) -> Q:
        """The stored changes whose recipients to read: those HubSpot dates from the run's
        start time on and, incrementally, those stored since the last statuses run began,
        whatever their date: the changes run may have stored them after that statuses run
        read its list."""
        if mode is Mode.SINCE:
            return Q(updated_at__gte=self.options.since)
        lookback = self.options.lookback
        began = (SyncHistory.objects.filter(object_type=self.object_type,
                                            watermark__isnull=False)
                 .order_by("-finished_at").values_list("started_at", flat=True).first())
        stored_since = Q(synced_at__gte=began) if began else Q()
        return Q(updated_at__gte=self.previous_watermark - lookback) | stored_since

    def pages(self, since: datetime | None) -> Iterator[Page]:
        emails_left = iter(self.emails)
        batches = iter(lambda: list(islice(emails_left, SUBSCRIPTION_STATUSES_BATCH)), [])
        # Each batch of emails is one parent, named by its last email's parent key.
        yield from self.walked((batch[-1][0], [self._statuses_of([e for _, e in batch])])
                               for batch in batches)

    def _statuses_of(self, emails: list[str]) -> list:
        reply = self.client.request(
            "POST", self.client.paths.subscription_statuses_batch_read(), params=CHANNEL,
            json={"inputs": emails}, shape=StatusesReply)
        # A 207 names the inputs HubSpot could not read in `errors`: each fails by itself, and
        # the run sweeps nothing (`read_check`).
        self.unread += len(reply.errors)
        return [*(status for result in reply.results for status in statuses_of(result)),
                *({UNREAD: error} for error in reply.errors)]

    def row(self, status: dict) -> tuple[dict, dict]:
        if UNREAD in status:
            error = status[UNREAD]
            raise RecordError(_named(error), "HubSpot could not read its statuses: "
                              f"{error.get('category') if isinstance(error, dict) else error}")
        email, sub_id = status.get("subscriberIdString"), status.get("subscriptionId")
        if not isinstance(email, str) or not email or sub_id in (None, ""):
            raise RecordError(f"{email}:{sub_id}", "a status without its email and "
                                                   "subscription id")
        return status, {
            "id": f"{email.strip().lower()}:{sub_id}", "email": email,
            "subscription_id": integer(sub_id), "subscription_name": status.get("subscriptionName"),
            "status": status.get("status"), "source": status.get("source"),
            "legal_basis": status.get("legalBasis"),
            "legal_basis_explanation": status.get("legalBasisExplanation"),
            "channel": status.get("channel"),
            "business_unit_id": integer(status.get("businessUnitId")),
            "changed_at": parse_hubspot_datetime(status.get("timestamp"))}


class StatusesReply(Listing):
    """A statuses batch read: `results`, and on a 207 the inputs it failed in `errors`."""

    errors: list[Any] = msgspec.field(default_factory=list)


UNREAD = "_mirror_unread"  # an item standing for an input HubSpot answered with an error


def _named(error) -> str:
    """The input an error names: its context's first value, else its id, else empty."""
    context = error.get("context") if isinstance(error, dict) else None
    for values in context.values() if isinstance(context, dict) else ():
        if isinstance(values, list) and values:
            return str(values[0])
    return str(error.get("id") or "") if isinstance(error, dict) else ""


def statuses_of(result) -> list:
    """A batch result's statuses; a result that is not one is passed on whole, for `row` to
    report by itself."""
    if isinstance(result, dict) and isinstance(result.get("statuses"), list):
        return result["statuses"]
    return [result if isinstance(result, dict) else {"result": result}]


