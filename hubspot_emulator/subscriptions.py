"""Subscriptions (communication preferences): the subscription types, every contact's current
statuses, and the legacy change timeline; plus the control operations that change a contact's
subscription and plant raw timeline entries.

HubSpot facts (docs/hubspot-api.md#subscriptions):
- Types: `GET /communication-preferences/v3/definitions` → `{subscriptionDefinitions: [...]}`;
  v4 and the dated API (`/communication-preferences/2026-03/definitions`) → the action-response
  shape `{status, results: [...], startedAt, completedAt}`; the legacy
  `GET /email/public/v1/subscriptions` → `{subscriptionDefinitions: [{id (a number), portalId,
  name, description, active, internal, ...}]}`.
- Statuses: `POST …/v4/statuses/batch/read?channel=EMAIL {inputs: [emails]}` (dated:
  `/communication-preferences/2026-03/statuses/batch/read`) → `{status, results:
  [{subscriberIdString, statuses: [PublicStatus]}], startedAt, completedAt}`; one contact:
  `GET …/v4/statuses/{email}?channel=EMAIL`, v3 `GET …/v3/status/email/{email}`.
- Timeline: `GET /email/public/v1/subscriptions/timeline?startTimestamp&endTimestamp&
  changeType&limit&offset` → `{timeline: [{timestamp, portalId, recipient, changes: [...]}],
  hasMore, offset}`, newest first; no dated twin.
- Scopes: definitions and one contact's statuses `communication_preferences.read` (or
  `.read_write`); batch read `communication_preferences.statuses.batch.read`; the v1 endpoints
  `content`.

Choices (BEHAVIOR.md): the timeline's `limit` defaults to 10 and is clamped to 1..1000; its
`offset` is a position (timestamp, arrival), so entries arriving while a client pages never
shift pages not yet read; a batch read takes at most 1,000 inputs and answers every input, an
unknown email with no statuses; a status is listed only for the subscriptions the contact has
a recorded status for; seeded statuses cover at most the first 5,000 live contacts.
"""

from __future__ import annotations

import base64
import binascii
import random
import uuid
from bisect import bisect_left, insort
from dataclasses import dataclass, field

from aiohttp import web

from .errors import validation
from .handling import (
    batch_inputs,
    control_handler,
    emulator,
    int_param,
    json_body,
    json_response,
)
from .routes import COMM_PREFS, COMM_PREFS_V3, EMAIL_SUBSCRIPTIONS_V1, Access, serve
from .seeded import per_store
from .state import Emulator
from .store import Store
from .timeutil import DAY_MS, FIXED_EPOCH_MS, iso_ms

TIMELINE_DEFAULT, TIMELINE_MAX = 10, 1000
BATCH_READ_MAX = 1000
SEEDED_CONTACTS_MAX = 5_000  # big portals stay cheap to build (*choice*)
STATUSES = ("SUBSCRIBED", "UNSUBSCRIBED")  # what a timeline change sets (v4 adds NOT_SPECIFIED)


@dataclass(frozen=True)
class SubscriptionType:
    sub_id: int
    name: str
    description: str
    purpose: str
    created_ms: int
    is_default: bool = False
    is_internal: bool = False
    is_active: bool = True

    def json(self) -> dict:
        """The v3 / v4 / dated definition."""
        return {"id": str(self.sub_id), "name": self.name, "description": self.description,
                "purpose": self.purpose, "communicationMethod": "Email",
                "isActive": self.is_active, "isDefault": self.is_default,
                "isInternal": self.is_internal, "createdAt": iso_ms(self.created_ms),
                "updatedAt": iso_ms(self.created_ms), "businessUnitId": 0}

    def v1(self, portal_id: int) -> dict:
        return {"id": self.sub_id, "portalId": portal_id, "name": self.name,
                "description": self.description, "active": self.is_active,
                "internal": self.is_internal, "category": self.purpose, "channel": "EMAIL",
                "businessUnitId": 0}


@dataclass
class Status:
    status: str  # SUBSCRIBED | UNSUBSCRIBED
    source: str
    timestamp_ms: int
    legal_basis: str | None = None
    legal_basis_explanation: str | None = None


@dataclass
class Entry:
    """One timeline item: a recipient's changes at one instant (one email event); `body`
    is what the API serves (planted raw items: any JSON)."""

    timestamp_ms: int
    seq: int  # arrival order: ties in timestamp keep a stable order
    body: dict

    @property
    def key(self) -> tuple[int, int]:
        return self.timestamp_ms, self.seq


@dataclass
class SubscriptionsState:
    portal_id: int  # the store's: in every timeline item and change
    types: dict[int, SubscriptionType] = field(default_factory=dict)
    statuses: dict[str, dict[int, Status]] = field(default_factory=dict)  # email (lower) → …
    timeline: list[Entry] = field(default_factory=list)  # ascending by (timestamp, seq)
    # (timestamp, recipient) → its item: changes at one instant share an item, as the changes
    # one email event causes do (docs/hubspot-api.md#subscriptions).
    items: dict[tuple[int, str], Entry] = field(default_factory=dict)
    next_seq: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def plant(self, timestamp_ms: int, body: dict) -> Entry:
        entry = Entry(timestamp_ms, self.next_seq, body)
        self.next_seq += 1
        insort(self.timeline, entry, key=lambda e: e.key)
        return entry

    def change(self, email: str, sub_id: int, status: str, source: str, at_ms: int,
               legal_basis: str | None = None, explanation: str | None = None,
               event: dict | None = None) -> Entry:
        """Record a SUBSCRIPTION_STATUS change: one timeline entry, and the status it sets
        (unless a later change is already recorded for that contact and type)."""
        one = {"change": status, "source": source, "portalId": self.portal_id,
               "subscriptionId": sub_id, "changeType": "SUBSCRIPTION_STATUS"}
        # A change caused by an email event names the event and carries no timestamp of its
        # own (docs/hubspot-api.md#subscriptions).
        one.update({"causedByEvent": event} if event else {"timestamp": at_ms})
        current = self.statuses.setdefault(email.lower(), {}).get(sub_id)
        if current is None or current.timestamp_ms <= at_ms:
            self.statuses[email.lower()][sub_id] = Status(status, source, at_ms, legal_basis,
                                                          explanation)
        return self.item(email, at_ms, one)

    def item(self, email: str, at_ms: int, change: dict) -> Entry:
        """Add `change` to the recipient's item at that instant, or to a new item."""
        entry = self.items.get((at_ms, email.lower()))
        if entry is None:
            entry = self.items[(at_ms, email.lower())] = self.plant(
                at_ms, {"timestamp": at_ms, "portalId": self.portal_id, "recipient": email,
                        "changes": []})
        entry.body["changes"].append(change)
        return entry

    def bounce(self, email: str, at_ms: int) -> Entry:
        """A portal-wide bounce: no subscription type, so no per-type status moves."""
        event = {"id": self.new_id(), "created": at_ms}
        one = {"change": "BOUNCED", "source": "SOURCE_NON_DELIVERY_REPORT",
               "portalId": self.portal_id, "changeType": "PORTAL_BOUNCE", "causedByEvent": event}
        return self.item(email, at_ms, one)

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


@per_store
def subscriptions_of(store: Store) -> SubscriptionsState:
    """The portal's subscriptions, seeded on first use."""
    return _seed(store)


# -- seeding ---------------------------------------------------------------------------------

MARKETING, PRODUCT, SERVICE, ONE_TO_ONE, NEWSLETTER = 101_001, 101_002, 101_003, 101_004, 101_005
_TYPES = (
    (MARKETING, "Marketing Information", "Marketing offers and updates.", "Marketing", True,
     False, True),
    (PRODUCT, "Product Updates", "News about our products.", "Marketing", False, False, True),
    (SERVICE, "Customer Service Communication", "Feedback requests and service notices.",
     "Customer Service", False, False, True),
    (ONE_TO_ONE, "One to One", "One to one emails.", "Sales", True, True, True),
    (NEWSLETTER, "Newsletter 2024", "The retired monthly newsletter.", "Marketing", False,
     False, False),
)


def _seed(store: Store) -> SubscriptionsState:
    state = SubscriptionsState(store.portal_id, rng=random.Random(store.seed * 6_151 + 29))
    for k, (sub_id, name, text, purpose, default, internal, active) in enumerate(_TYPES):
        created = FIXED_EPOCH_MS - (900 - 30 * k) * DAY_MS
        state.types[sub_id] = SubscriptionType(sub_id, name, text, purpose, created, default,
                                               internal, active)
    contacts = store.types["contacts"]
    for n, idx in enumerate(contacts.live.iter_live(0)):
        if n >= SEEDED_CONTACTS_MAX:
            break
        email = contacts.live.value(idx, "email")
        if email:
            _seed_contact(state, email, contacts.live.created_ms(idx))
    return state


def _seed_contact(state: SubscriptionsState, email: str, created_ms: int) -> None:
    rng = state.rng
    latest = FIXED_EPOCH_MS - DAY_MS
    at = min(latest - 20 * DAY_MS - rng.randrange(DAY_MS),
             created_ms + rng.randrange(1, 30 * DAY_MS))
    if rng.random() < 0.8:
        state.change(email, MARKETING, "SUBSCRIBED", "SOURCE_IMPORT", at, "CONSENT_WITH_NOTICE",
                     "Opted in on the signup form.")
        if rng.random() < 0.5:
            state.change(email, PRODUCT, "SUBSCRIBED", "SOURCE_IMPORT", at,
                         "LEGITIMATE_INTEREST_CLIENT")
        if rng.random() < 0.25:  # later unsubscribed through an email's link
            later = at + rng.randrange(DAY_MS, 15 * DAY_MS)
            state.change(email, MARKETING, "UNSUBSCRIBED", "SOURCE_RECIPIENT", later,
                         event={"id": state.new_id(), "created": later})
    if rng.random() < 0.05:
        state.bounce(email, at + 3 * DAY_MS)


# -- rendering -------------------------------------------------------------------------------

def _public_status(state: SubscriptionsState, email: str, sub_id: int, st: Status) -> dict:
    """v4 / dated PublicStatus."""
    out = {"channel": "EMAIL", "source": st.source, "status": st.status,
           "subscriberIdString": email, "subscriptionId": sub_id,
           "timestamp": iso_ms(st.timestamp_ms), "businessUnitId": 0}
    if st.legal_basis:
        out["legalBasis"] = st.legal_basis
    if st.legal_basis_explanation:
        out["legalBasisExplanation"] = st.legal_basis_explanation
    if sub_id in state.types:
        out["subscriptionName"] = state.types[sub_id].name
    return out


def _statuses(state: SubscriptionsState, email: str) -> list[dict]:
    held = state.statuses.get(email.lower(), {})
    return [_public_status(state, email, sub_id, st) for sub_id, st in sorted(held.items())]


def _action(results: list, now_ms: int) -> dict:
    at = iso_ms(now_ms)
    return {"status": "COMPLETE", "results": results, "startedAt": at, "completedAt": at}


def _channel(request: web.Request) -> None:
    channel = request.query.get("channel")
    if channel != "EMAIL":  # required; EMAIL is the only documented value
        raise validation(f"Invalid value for channel: {channel}. Allowed values: [EMAIL]")


# -- API handlers ----------------------------------------------------------------------------

async def definitions_v3(request: web.Request) -> web.Response:
    state = subscriptions_of(emulator(request).store)
    return json_response({"subscriptionDefinitions": [t.json() for t in state.types.values()]})


async def definitions_v4(request: web.Request) -> web.Response:
    emu = emulator(request)
    results = [t.json() for t in subscriptions_of(emu.store).types.values()]
    if request.query.get("includeTranslations") == "true":
        results = [{**r, "subscriptionTranslations": []} for r in results]
    return json_response(_action(results, emu.clock.now_ms()))


async def definitions_v1(request: web.Request) -> web.Response:
    state = subscriptions_of(emulator(request).store)
    definitions = [t.v1(state.portal_id) for t in state.types.values()]
    return json_response({"subscriptionDefinitions": definitions})


async def statuses_batch_read(request: web.Request) -> web.Response:
    _channel(request)
    emu = emulator(request)
    inputs = batch_inputs(await json_body(request), BATCH_READ_MAX)
    if not all(isinstance(one, str) for one in inputs):
        raise validation("inputs must be a list of strings")
    state = subscriptions_of(emu.store)
    results = [{"subscriberIdString": email, "statuses": _statuses(state, email)}
               for email in dict.fromkeys(inputs)]
    return json_response(_action(results, emu.clock.now_ms()))


async def statuses_one(request: web.Request) -> web.Response:
    _channel(request)
    emu = emulator(request)
    email = request.match_info["subscriberIdString"]
    return json_response(_action(_statuses(subscriptions_of(emu.store), email),
                                 emu.clock.now_ms()))


async def status_v3(request: web.Request) -> web.Response:
    """Every type, with NOT_SUBSCRIBED where the contact holds no SUBSCRIBED status."""
    email = request.match_info["emailAddress"]
    state = subscriptions_of(emulator(request).store)
    held = state.statuses.get(email.lower(), {})
    out = []
    for sub_id, kind in state.types.items():
        st = held.get(sub_id)
        one = {"id": str(sub_id), "name": kind.name, "description": kind.description,
               "status": "SUBSCRIBED" if st and st.status == "SUBSCRIBED" else "NOT_SUBSCRIBED",
               "sourceOfStatus": "SUBSCRIPTION_STATUS"}
        if st and st.legal_basis:
            one["legalBasis"] = st.legal_basis
        out.append(one)
    return json_response({"recipient": email, "subscriptionStatuses": out})


async def timeline(request: web.Request) -> web.Response:
    q = request.query
    limit = max(1, min(TIMELINE_MAX, int_param(q.get("limit"), "limit", TIMELINE_DEFAULT)))
    start = int_param(q.get("startTimestamp"), "startTimestamp", 0)
    end = int_param(q.get("endTimestamp"), "endTimestamp", 1 << 62)
    change_type = q.get("changeType")
    position = _position(q.get("offset"))
    state = subscriptions_of(emulator(request).store)
    page: list[Entry] = []
    more = False
    # Newest first, from just below the position the offset names.
    below = len(state.timeline) if position is None else bisect_left(
        state.timeline, position, key=lambda e: e.key)
    for entry in map(state.timeline.__getitem__, range(below - 1, -1, -1)):
        if not start <= entry.timestamp_ms <= end:
            continue
        body = _of_type(entry.body, change_type)
        if body is None:
            continue
        if len(page) == limit:
            more = True
            break
        page.append(Entry(entry.timestamp_ms, entry.seq, body))
    last = page[-1].key if page else position or (0, 0)
    return json_response({"timeline": [e.body for e in page], "hasMore": more,
                          "offset": _encode(last)})


def _of_type(body: dict, change_type: str | None) -> dict | None:
    """The entry with only the changes of `change_type` (None: all); None if none is left."""
    if not change_type:
        return body
    changes = body.get("changes") if isinstance(body, dict) else None
    kept = [c for c in changes or [] if isinstance(c, dict) and c.get("changeType") == change_type]
    return {**body, "changes": kept} if kept else None


def _encode(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"t:{position[0]}:{position[1]}".encode()).decode().rstrip("=")


def _position(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, ms, seq = text.split(":")
        if kind != "t":
            raise ValueError(cursor)
        return int(ms), int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation(f"Invalid offset: {cursor}") from None


# -- control operations (/_emulator/subscriptions/…) -------------------------------------------

async def control_change(emu: Emulator, request: web.Request) -> dict:
    """Change one contact's subscription: `{email, subscriptionId, status (SUBSCRIBED |
    UNSUBSCRIBED), source, legalBasis, legalBasisExplanation, timestamp (epoch ms, default the
    emulated clock's now), causedByEvent}` → `{entry, status}`."""
    body = await json_body(request)
    state = subscriptions_of(emu.store)
    email, sub_id = str(body.get("email") or ""), int(body.get("subscriptionId") or 0)
    status = str(body.get("status") or "")
    if "@" not in email or sub_id not in state.types or status not in STATUSES:
        raise ValueError("need email, a known subscriptionId and status SUBSCRIBED or "
                         "UNSUBSCRIBED")
    at = int(body.get("timestamp") or emu.clock.now_ms())
    entry = state.change(email, sub_id, status, str(body.get("source") or "SOURCE_RECIPIENT"),
                         at, body.get("legalBasis"), body.get("legalBasisExplanation"),
                         body.get("causedByEvent"))
    current = state.statuses[email.lower()][sub_id]
    return {"entry": entry.body, "status": _public_status(state, email, sub_id, current)}


async def control_raw_entry(emu: Emulator, request: web.Request) -> dict:
    """Plant a timeline item served verbatim: `{entry: <any JSON>, timestamp}` (epoch ms: where
    it sorts and what the time filters see). Statuses do not move."""
    body = await json_body(request)
    if "entry" not in body:
        raise ValueError("entry is required")
    at = int(body.get("timestamp") or emu.clock.now_ms())
    subscriptions_of(emu.store).plant(at, body["entry"])
    return {"timestamp": at}


async def control_create_type(emu: Emulator, request: web.Request) -> dict:
    """Add a subscription type: `{name, description, purpose, id}` → its definition."""
    body = await json_body(request)
    state = subscriptions_of(emu.store)
    sub_id = int(body.get("id") or max(state.types, default=101_000) + 1)
    if sub_id in state.types:
        raise ValueError(f"subscription type {sub_id} exists")
    made = SubscriptionType(sub_id, str(body.get("name") or "New subscription"),
                            str(body.get("description") or ""),
                            str(body.get("purpose") or "Marketing"), emu.clock.now_ms())
    state.types[sub_id] = made
    return made.json()


def add_routes(app: web.Application) -> None:
    read = Access("communication_preferences")
    serve(app, "GET", COMM_PREFS_V3, "/definitions", definitions_v3, read)
    serve(app, "GET", COMM_PREFS_V3, "/status/email/{emailAddress}", status_v3, read)
    serve(app, "GET", COMM_PREFS, "/definitions", definitions_v4, read)
    serve(app, "POST", COMM_PREFS, "/statuses/batch/read", statuses_batch_read,
          Access("subscription_statuses_batch"))
    serve(app, "GET", COMM_PREFS, "/statuses/{subscriberIdString}", statuses_one, read)
    legacy = Access("email_v1")
    serve(app, "GET", EMAIL_SUBSCRIPTIONS_V1, "", definitions_v1, legacy)
    serve(app, "GET", EMAIL_SUBSCRIPTIONS_V1, "/timeline", timeline, legacy)
    app.router.add_post("/_emulator/subscriptions/change", control_handler(control_change))
    app.router.add_post("/_emulator/subscriptions/timeline", control_handler(control_raw_entry))
    app.router.add_post("/_emulator/subscriptions/types", control_handler(control_create_type))
