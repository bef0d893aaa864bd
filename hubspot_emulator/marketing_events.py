"""Marketing events (CRM object 0-54) and their participations, in both path families.

HubSpot facts (docs/hubspot-api.md#marketing-events):
- `GET /marketing/v3/marketing-events/` (dated `/marketing/marketing-events/2026-03`)
  `?limit&after` → `{results: [{objectId, eventName, eventType, eventOrganizer,
  eventDescription, eventUrl, externalEventId, appInfo {id, name}, startDateTime, endDateTime,
  eventCancelled, eventCompleted, eventStatus, registrants, attendees, cancellations, noShows,
  customProperties, createdAt, updatedAt}], paging.next.{after, link}}`: every event of the
  portal, whoever made it, sorted by objectId; no `total`; `limit` default 10, at most 100.
- `GET …/participations/{marketingEventId}/breakdown?limit&after&state` → `{total, results:
  [{id, createdAt, associations {contact {contactId, email, firstname, lastname},
  marketingEvent {marketingEventId, name, externalAccountId, externalEventId}}, properties
  {attendanceState, occurredAt (epoch ms), attendanceDurationSeconds, attendancePercentage
  (text)}}], paging}`; `state` one of REGISTERED, ATTENDED, CANCELLED, NO_SHOW.
- `GET …/participations/{marketingEventId}` → `{registered, attended, cancelled, noShows}`.
- Scope `crm.objects.marketing_events.read` (a 403 without it).

Choices (BEHAVIOR.md): EVENTS events, the last made in HubSpot itself (no app, no external
ids); participations are the first live contacts' (at most PARTICIPANTS_MAX an event), their
states drawn from the store's seed; an event's counters count its participations by state;
the `after` cursor is the base64 of an offset; `limit` past 100 is a 400; an unknown event's
participations answer 404.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from aiohttp import web

from .errors import ApiError, validation
from .handling import cursor_offset, emulator, int_param, json_response, next_link, offset_cursor
from .routes import MARKETING_EVENTS, Access, serve
from .seeded import per_store
from .store import Store
from .timeutil import DAY_MS, FIXED_EPOCH_MS, iso_ms

EVENTS = 5
PARTICIPANTS_MAX = 30
PAGE_DEFAULT, PAGE_MAX = 10, 100
STATES = ("REGISTERED", "ATTENDED", "CANCELLED", "NO_SHOW")
APP = {"id": "1234567", "name": "Webinar Bridge"}
_TYPES = ("WEBINAR", "CONFERENCE", "WORKSHOP")


@dataclass
class EventsState:
    events: list[dict] = field(default_factory=list)  # objectId ascending
    participations: dict[str, list[dict]] = field(default_factory=dict)  # by objectId


@per_store
def events_of(store: Store) -> EventsState:
    """The portal's events and their participations, seeded on first use."""
    rng = random.Random(store.seed * 7_919 + 54)
    state = EventsState()
    contacts = _contacts(store)
    for k in range(EVENTS):
        event = _event(k, rng)
        people = contacts[k % 2: k % 2 + PARTICIPANTS_MAX - 4 * k]
        state.participations[event["objectId"]] = [
            _participation(event, k, person, n, rng) for n, person in enumerate(people)]
        _count(event, state.participations[event["objectId"]])
        state.events.append(event)
    return state


def _contacts(store: Store) -> list[dict]:
    contacts = store.types["contacts"]
    out = []
    for idx in contacts.live.iter_live(0):
        if len(out) >= PARTICIPANTS_MAX + 1:
            break
        values = contacts.live.value
        out.append({"contactId": contacts.id_of(idx), "email": values(idx, "email"),
                    "firstname": values(idx, "firstname"), "lastname": values(idx, "lastname")})
    return out


def _event(k: int, rng: random.Random) -> dict:
    created = FIXED_EPOCH_MS - (200 - 30 * k) * DAY_MS
    start = created + 20 * DAY_MS
    made_by_app = k < EVENTS - 1
    event = {"objectId": str(60_000_000_001 + k), "eventName": f"Event {k + 1}",
             "eventType": _TYPES[k % len(_TYPES)], "eventOrganizer": "Acme Marketing",
             "eventDescription": f"Event number {k + 1}.", "eventUrl":
             f"https://events.example.com/{k + 1}" if made_by_app else None,
             "startDateTime": iso_ms(start), "endDateTime": iso_ms(start + 2 * 3_600_000),
             "eventCancelled": k == 2, "eventCompleted": start < FIXED_EPOCH_MS and k != 2,
             "eventStatus": "CANCELLED" if k == 2 else (
                 "PAST" if start < FIXED_EPOCH_MS else "UPCOMING"),
             "customProperties": [{"name": "hs_region", "value": ("EMEA", "AMER")[k % 2],
                                   "timestamp": created, "source": "INTEGRATION"}],
             "createdAt": iso_ms(created),
             "updatedAt": iso_ms(created + rng.randrange(1, 20) * DAY_MS)}
    if made_by_app:
        event.update(externalEventId=f"webinar-{1000 + k}", appInfo=dict(APP))
    return event


def _participation(event: dict, k: int, person: dict, n: int, rng: random.Random) -> dict:
    state = STATES[rng.randrange(len(STATES))]
    created = FIXED_EPOCH_MS - (150 - 30 * k) * DAY_MS + n * 60_000
    props: dict = {"attendanceState": state, "occurredAt": created + rng.randrange(DAY_MS)}
    if state == "ATTENDED":
        seconds = rng.randrange(600, 7_200)
        props.update(attendanceDurationSeconds=seconds,
                     attendancePercentage=f"{min(100.0, seconds / 72):.1f}")
    return {"id": f"{event['objectId']}{n:04d}", "createdAt": iso_ms(created),
            "associations": {"contact": dict(person), "marketingEvent": {
                "marketingEventId": event["objectId"], "name": event["eventName"],
                "externalAccountId": APP["id"] if event.get("appInfo") else None,
                "externalEventId": event.get("externalEventId")}},
            "properties": props}


def _count(event: dict, participations: list[dict]) -> None:
    states = [p["properties"]["attendanceState"] for p in participations]
    event.update(registrants=states.count("REGISTERED"), attendees=states.count("ATTENDED"),
                 cancellations=states.count("CANCELLED"), noShows=states.count("NO_SHOW"))


def _limit(request: web.Request) -> int:
    limit = int_param(request.query.get("limit"), "limit", PAGE_DEFAULT)
    if not 1 <= limit <= PAGE_MAX:
        raise validation(f"limit must be between 1 and {PAGE_MAX}")
    return limit



def _page(request: web.Request, rows: list) -> dict:
    limit, start = _limit(request), cursor_offset(request.query.get("after"))
    out: dict = {"results": rows[start:start + limit]}
    if start + limit < len(rows):
        after = offset_cursor(start + limit)
        out["paging"] = {"next": {"after": after, "link": next_link(request, after)}}
    return out


async def list_events(request: web.Request) -> web.Response:
    return json_response(_page(request, events_of(emulator(request).store).events))


def _participations_of(request: web.Request) -> list[dict]:
    event_id = request.match_info["marketingEventId"]
    found = events_of(emulator(request).store).participations.get(event_id)
    if found is None:
        raise ApiError(404, f"Marketing event {event_id} not found", "OBJECT_NOT_FOUND")
    return found


async def breakdown(request: web.Request) -> web.Response:
    rows = _participations_of(request)
    state = request.query.get("state")
    if state:
        if state not in STATES:
            raise validation(f"Invalid state: {state}; allowed {list(STATES)}")
        rows = [p for p in rows if p["properties"]["attendanceState"] == state]
    return json_response({"total": len(rows), **_page(request, rows)})


async def counters(request: web.Request) -> web.Response:
    states = [p["properties"]["attendanceState"] for p in _participations_of(request)]
    return json_response({"registered": states.count("REGISTERED"),
                          "attended": states.count("ATTENDED"),
                          "cancelled": states.count("CANCELLED"),
                          "noShows": states.count("NO_SHOW")})


def add_routes(app: web.Application) -> None:
    read = Access("marketing_events")
    serve(app, "GET", MARKETING_EVENTS, "", list_events, read)
    serve(app, "GET", MARKETING_EVENTS, "/", list_events, read)  # the v3 clients' spelling
    serve(app, "GET", MARKETING_EVENTS, "/participations/{marketingEventId}/breakdown",
          breakdown, read)
    serve(app, "GET", MARKETING_EVENTS, "/participations/{marketingEventId}", counters, read)
