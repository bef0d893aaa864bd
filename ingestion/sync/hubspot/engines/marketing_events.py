"""Marketing events (CRM object 0-54) and each event's participations, from the marketing
events API (docs/hubspot-api.md#marketing-events; modes in docs/modes.md#marketing-events).

- `marketing_events`: every event the portal has, whoever made it (`after` paging, sorted by
  objectId). HubSpot's listing takes no time filter, so every run reads it whole and the sweep
  archives an event it no longer lists.
- `marketing_event_participations`: per event, its participations breakdown (`after` paging,
  `total` given). HubSpot lists no participations across events: the events read are those
  the mirror holds live, taken in the main thread before the run reads (`prepare`), which is
  why the source runs after `marketing_events`. A failure reading one event's participations
  fails that event alone (named by its id), the others are saved, and the run sweeps nothing:
  what it could not read is unknown, not gone. An event HubSpot no longer has (404) has no
  participations to keep: the sweep archives them. Events are walked in id order: a stopped
  full read resumes after the last event whose participations committed (sources.py
  `ByParent`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ingestion.base.results import Page, ReadCheck, RecordError
from ingestion.models import HubSpotMarketingEvent, HubSpotMarketingEventParticipation

from ..errors import (
    HubSpotClientError,
    HubSpotForbiddenError,
    HubSpotLoopError,
    HubSpotMalformedReplyError,
    HubSpotServerError,
    HubSpotTransportError,
)
from ..limits import MARKETING_EVENTS_PAGE_MAX, PARTICIPATIONS_PAGE_MAX
from ..replies import Counted
from ..timeparse import parse_hubspot_datetime
from .definitions import flag, integer, text
from .sources import ByParent, HubSpotSourceSyncEngine

# What fails one event's participations alone (the others are still read). A 401, a rate
# or daily limit and the pacer's own refusals stop the run: every event would meet them.
EVENT_READ_ERRORS = (HubSpotClientError, HubSpotForbiddenError, HubSpotServerError,
                     HubSpotTransportError, HubSpotMalformedReplyError, HubSpotLoopError)


class HubSpotMarketingEventSyncEngine(HubSpotSourceSyncEngine):
    object_type = "marketing_events"
    model = HubSpotMarketingEvent
    plan_page_size = MARKETING_EVENTS_PAGE_MAX

    def plan_count(self) -> int | None:
        return self.upstream_total()  # participations are read per event

    def probe(self) -> None:
        self.client.request("GET", self.client.paths.marketing_events(), params={"limit": 1})

    def pages(self, since: datetime | None) -> Iterator[list]:
        yield from self.listed(self.client.paths.marketing_events(),
                               {"limit": MARKETING_EVENTS_PAGE_MAX})

    def upstream_total(self) -> int | None:
        # The listing gives no `total`; the events are few, so they are counted by listing.
        return sum(len(page) for page in self.client.get_pages(
            self.client.paths.marketing_events(), {"limit": MARKETING_EVENTS_PAGE_MAX}))

    def transform(self, item) -> tuple[dict, list[str]]:
        try:
            return super().transform(item)
        except RecordError as error:
            # An event's id is its `objectId` (the base names an unreadable item by `id`).
            if error.object_id or not isinstance(item, dict) or not item.get("objectId"):
                raise
            raise RecordError(str(item["objectId"]), error.reason) from None

    def row(self, event: dict) -> tuple[dict, dict]:
        if not isinstance(event, dict) or event.get("objectId") in (None, ""):
            raise RecordError(str(event.get("id") or "") if isinstance(event, dict) else "",
                              "a marketing event without an objectId")
        app = event.get("appInfo") if isinstance(event.get("appInfo"), dict) else {}
        return event, {
            "id": str(event["objectId"]), "name": text(event.get("eventName")),
            "event_type": text(event.get("eventType")),
            "organizer": text(event.get("eventOrganizer")),
            "description": text(event.get("eventDescription")),
            "url": text(event.get("eventUrl")),
            "external_event_id": text(event.get("externalEventId")),
            "external_account_id": text(event.get("externalAccountId")),
            "app_id": text(app.get("id")), "app_name": text(app.get("name")),
            "starts_at": parse_hubspot_datetime(event.get("startDateTime")),
            "ends_at": parse_hubspot_datetime(event.get("endDateTime")),
            "cancelled": flag(event.get("eventCancelled")),
            "completed": flag(event.get("eventCompleted")),
            "status": text(event.get("eventStatus")),
            "registrants": integer(event.get("registrants")),
            "attendees": integer(event.get("attendees")),
            "cancellations": integer(event.get("cancellations")),
            "no_shows": integer(event.get("noShows")),
            "custom_properties": custom_properties(event.get("customProperties"))}


def custom_properties(listed) -> dict:
    """`customProperties` (a list of HubSpot property values: `{name, value, …}`) as
    `{name: value}`; entries without a name say nothing and are left out (they stay in raw)."""
    if listed is None:
        return {}
    if not isinstance(listed, list):
        raise ValueError("customProperties is not a list")
    return {str(p["name"]): p.get("value") for p in listed
            if isinstance(p, dict) and p.get("name")}


UNREAD = "_mirror_unread"  # an item standing for an event whose participations were not read


class HubSpotMarketingEventParticipationSyncEngine(ByParent, HubSpotSourceSyncEngine):
    object_type = "marketing_event_participations"
    model = HubSpotMarketingEventParticipation
    plan_reads_per = ("marketing_events", 1)  # a listing (a page at least) per event
    # No modified time: `transform` takes occurredAt (when the state was reached) for one.
    updated_fields = ()

    def probe(self) -> None:
        # The same API and scope as the events; nothing per event is asked before the run.
        self.client.request("GET", self.client.paths.marketing_events(), params={"limit": 1})

    def prepare(self) -> None:
        super().prepare()
        self.event_ids = list(self.parents_left(self.parent_rows()).order_by("id")
                              .values_list("id", flat=True))

    def parent_rows(self):
        return HubSpotMarketingEvent.objects.filter(archived=False)

    def read_check(self) -> ReadCheck | None:
        if not self.unread:
            return None
        return ReadCheck({"unread_events": self.unread},
                         f"the participations of {self.unread} marketing event(s) could "
                         "not be read; nothing was archived as gone")

    def pages(self, since: datetime | None) -> Iterator[Page]:
        yield from self.walked((event_id, self._participations(event_id))
                               for event_id in self.event_ids)

    def _participations(self, event_id: str) -> Iterator[list]:
        path = self.client.paths.marketing_event_participations(event_id)
        try:
            for page in self.client.get_pages(path, {"limit": PARTICIPATIONS_PAGE_MAX},
                                              shape=Counted):
                yield [(event_id, participation) for participation in page]
        except EVENT_READ_ERRORS as error:
            if getattr(error, "status", None) == 404:
                return  # the event is gone upstream: none of its participations are kept
            self.unread += 1
            yield [(event_id, {UNREAD: f"{type(error).__name__}: {error}"[:300]})]

    def upstream_total(self) -> int | None:
        """The participations of every event HubSpot lists now (each breakdown's `total`)."""
        events = HubSpotMarketingEventSyncEngine(client=self.client)
        return sum(self._total(str(e["objectId"])) for page in events.pages(None)
                   for e in page if isinstance(e, dict) and e.get("objectId"))

    def _total(self, event_id: str) -> int:
        path = self.client.paths.marketing_event_participations(event_id)
        try:
            reply = self.client.request("GET", path, params={"limit": 1}, shape=Counted)
        except HubSpotClientError as error:
            if error.status != 404:
                raise
            return 0
        if reply.total is None:
            raise HubSpotMalformedReplyError(f"GET {path}: no total in the reply")
        return reply.total

    def transform(self, item) -> tuple[dict, list[str]]:
        row, notes = super().transform(item)
        row["updated_at"] = row["occurred_at"] or row["created_at"]
        return row, notes

    def row(self, item: tuple[str, dict]) -> tuple[dict, dict]:
        event_id, participation = item
        if isinstance(participation, dict) and UNREAD in participation:
            raise RecordError(event_id, "its participations were not read: "
                                        f"{participation[UNREAD]}")
        if not isinstance(participation, dict) or participation.get("id") in (None, ""):
            raise RecordError("", f"a participation of marketing event {event_id} without "
                                  "an id")
        links = _dict(participation.get("associations"))
        props = _dict(participation.get("properties"))
        return participation, {
            "id": str(participation["id"]),
            "marketing_event_id": text(_dict(links.get("marketingEvent")).get(
                "marketingEventId")) or event_id,
            "contact_id": text(_dict(links.get("contact")).get("contactId")),
            "state": text(props.get("attendanceState")),
            "occurred_at": parse_hubspot_datetime(props.get("occurredAt")),
            "duration_seconds": integer(props.get("attendanceDurationSeconds")),
            "attendance_percentage": _percentage(props.get("attendancePercentage"))}


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _percentage(value) -> Decimal | None:
    """HubSpot sends the percentage as text (`"87.5"`; a trailing `%` is tolerated)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(f"not a percentage: {str(value)[:40]!r}")
    return number
