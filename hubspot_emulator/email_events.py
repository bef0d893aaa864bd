"""The legacy email analytics API (docs/hubspot-api.md#email-events): email events
(`/email/public/v1/events`) and the email campaigns they name (`/email/public/v1/campaigns`,
`/by-id`, `/{id}`), plus the control operation that adds events. Legacy only: no dated path.

Generated lazily from the seed, so a portal of a million events costs no memory: event `i` is
computed from `i` alone. Every 4 consecutive events are one message (one recipient, one
campaign) whose lifecycle (`_FATES`) is picked from the message's hash; `created` grows with
`i`, so a time window is an index range found by bisection. Campaigns own contiguous runs of
messages (a send happens in one stretch of time); recipients are contacts' emails.

HubSpot facts (docs/hubspot-api.md#email-events): events newest first, `offset` an opaque
token, `limit` default 10 and at most 1,000, filters `startTimestamp`/`endTimestamp`
(inclusive, epoch ms), `eventType`, `campaignId`, `appId`, `recipient`,
`excludeFilteredEvents`; scope `content`. Choices (BEHAVIOR.md): a `limit` past 1,000 is
clamped as on the other legacy endpoints; the offset is a position (created, sequence), so
events added while a client pages never shift the pages it has not read yet.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import uuid
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from aiohttp import web

from .errors import ApiError, validation
from .handling import control_handler, emulator, flag, int_param, json_body, json_response
from .routes import EMAIL_CAMPAIGNS, EMAIL_EVENTS, Access, serve
from .seeded import per_store
from .state import Emulator
from .store import LIVE
from .timeutil import DAY_MS, FIXED_EPOCH_MS

EVENTS_DEFAULT, EVENTS_MAX = 10, 1000
CAMPAIGNS_DEFAULT, CAMPAIGNS_MAX = 10, 1000  # *choice*: the docs give no numbers
SLOTS = 4  # events per generated message
MESSAGES_PER_CAMPAIGN, CAMPAIGNS_CAP = 25, 1000
START_MS = FIXED_EPOCH_MS - 365 * DAY_MS  # generated events span the year before 2026
SPAN_MS = 365 * DAY_MS - 3_600_000
EVENT_TYPES = ("SENT", "DROPPED", "PROCESSED", "DELIVERED", "DEFERRED", "BOUNCE", "OPEN",
               "CLICK", "STATUSCHANGE", "SPAMREPORT", "SUPPRESSED", "PRINT", "FORWARD")

# A message's lifecycle, by weight (out of 100): every documented type occurs.
_FATES = (
    (30, ("PROCESSED", "SENT", "DELIVERED", "OPEN")),
    (22, ("SENT", "DELIVERED", "OPEN", "CLICK")),
    (10, ("PROCESSED", "SENT", "DEFERRED", "DELIVERED")),
    (4, ("SENT", "DELIVERED", "OPEN", "PRINT")),
    (4, ("SENT", "DELIVERED", "OPEN", "FORWARD")),
    (6, ("PROCESSED", "SENT", "DELIVERED", "STATUSCHANGE")),
    (3, ("SENT", "DELIVERED", "OPEN", "SPAMREPORT")),
    (8, ("PROCESSED", "SENT", "DEFERRED", "BOUNCE")),
    (5, ("PROCESSED", "SENT", "BOUNCE", "STATUSCHANGE")),
    (4, ("STATUSCHANGE", "STATUSCHANGE", "PROCESSED", "DROPPED")),
    (4, ("STATUSCHANGE", "PROCESSED", "SUPPRESSED", "STATUSCHANGE")),
)
_FATE_BY_PERCENT = [fate for weight, fate in _FATES for _ in range(weight)]
assert len(_FATE_BY_PERCENT) == 100

_BROWSERS = (
    {"name": "Google Chrome", "family": "Chrome", "producer": "Google Inc.",
     "producerUrl": "https://www.google.com/about/company/", "type": "Browser",
     "url": "https://www.google.com/chrome/", "version": ["120.0"]},
    {"name": "Apple Mail", "family": "Apple Mail", "producer": "Apple Inc.",
     "producerUrl": "https://www.apple.com/", "type": "Email client",
     "url": "https://www.apple.com/macos/mail/", "version": ["16.0"]},
    {"name": "Microsoft Outlook", "family": "Outlook", "producer": "Microsoft Corporation",
     "producerUrl": "https://www.microsoft.com/", "type": "Email client",
     "url": "https://outlook.com/", "version": ["16.0"]},
)
_LOCATIONS = (
    {"country": "UNITED STATES", "state": "massachusetts", "city": "cambridge",
     "latitude": 42.3736, "longitude": -71.1097, "zipcode": "02139"},
    {"country": "GERMANY", "state": "berlin", "city": "berlin", "latitude": 52.52,
     "longitude": 13.405, "zipcode": "10115"},
    {"country": "IRELAND", "state": "leinster", "city": "dublin", "latitude": 53.3498,
     "longitude": -6.2603, "zipcode": "D02"},
)
_AGENTS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15",
           "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)")
_DROP_REASONS = ("PREVIOUSLY_UNSUBSCRIBED_MESSAGE", "PREVIOUSLY_UNSUBSCRIBED_PORTAL",
                 "PREVIOUSLY_BOUNCED", "PREVIOUS_SPAM", "INVALID_TO_ADDRESS",
                 "RECIPIENT_FATIGUE_SUPPRESSED")
_BOUNCES = (("UNKNOWN_USER", "550 5.1.1 The email account does not exist", "5.1.1"),
            ("MAILBOX_FULL", "552 5.2.2 Mailbox full", "5.2.2"),
            ("POLICY", "550 5.7.1 Message rejected by policy", "5.7.1"),
            ("SPAM", "554 5.7.1 Message looks like spam", "5.7.1"))
_STATUS_SOURCES = ("SOURCE_RECIPIENT", "SOURCE_LIST_UNSUBSCRIBE", "SOURCE_HUBSPOT_CUSTOMER",
                   "SOURCE_BOUNCE")
_LINKS = ("https://www.example.com/pricing", "https://www.example.com/blog/launch",
          "https://www.example.com/webinar")
_APPS = ((113, "Batch"), (20185, "AbBatch"))
_WORDS = ("Spring", "Product", "Webinar", "Launch", "Monthly", "Customer", "Holiday", "Partner")


def _mix(x: int) -> int:
    """splitmix64: a cheap, well-spread hash of an integer (no state, no allocation)."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


@dataclass(frozen=True)
class Campaign:
    index: int
    id: int
    app_id: int
    app_name: str
    name: str
    subject: str


@dataclass
class Added:
    """An event added through the control surface, served as given (`json`)."""

    created_ms: int
    seq: int
    json: dict


@dataclass
class EmailEvents:
    """One portal's email events: `n` generated ones plus those added at run time."""

    n: int
    seed: int
    contacts: object  # the contacts TypeState: recipients are their emails
    portal_id: int
    added: list[Added] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.messages = -(-self.n // SLOTS)
        self.n_campaigns = min(CAMPAIGNS_CAP, max(1, -(-self.messages // MESSAGES_PER_CAMPAIGN)))
        self.campaigns = [self._campaign(c) for c in range(self.n_campaigns)]
        self.by_id = {c.id: c for c in self.campaigns}
        self.email_of = lru_cache(maxsize=4096)(self._email)

    # -- generated data ---------------------------------------------------------------

    def _campaign(self, c: int) -> Campaign:
        h = _mix(self.seed * 1_000_003 + c)
        app_id, app_name = _APPS[1] if h % 5 == 0 else _APPS[0]
        topic = f"{_WORDS[h % len(_WORDS)]} {_WORDS[(h >> 8) % len(_WORDS)].lower()}"
        return Campaign(c, 16_200_000 + 37 * c + self.seed, app_id, app_name,
                        f"{topic} email #{c + 1}", f"{topic}: news for you")

    def created(self, i: int) -> int:
        return START_MS + (i * SPAN_MS) // max(1, self.n)

    def event_id(self, i: int) -> str:
        """A version-4 UUID's text, from the index (formatted directly: uuid.UUID costs more
        than the rest of an event)."""
        low = _mix(i + 7)
        h = f"{_mix(self.seed << 40 ^ i):016x}{low:016x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[low >> 62]}{h[17:20]}-{h[20:]}"

    def campaign_of_message(self, m: int) -> Campaign:
        return self.campaigns[m * self.n_campaigns // max(1, self.messages)]

    def message_range(self, campaign: Campaign) -> tuple[int, int]:
        """The event indices [lo, hi) of a campaign's messages."""
        c, k, m = campaign.index, self.n_campaigns, self.messages
        first = -(-c * m // k)
        last = -(-(c + 1) * m // k)
        return min(self.n, first * SLOTS), min(self.n, last * SLOTS)

    def _email(self, m: int) -> str:
        live = self.contacts.live
        total = max(1, self.contacts.data.n)
        idx = (m * 7919 + self.seed) % total
        for step in range(total):  # the next live contact with an email
            candidate = (idx + step) % total
            email = live.value(candidate, "email") if live.status(candidate) == LIVE else None
            if email:
                return email
        return f"recipient{m}@example.com"  # a portal without one: still an address

    def fate(self, m: int) -> tuple[str, ...]:
        return _FATE_BY_PERCENT[_mix(self.seed * 65_537 + m) % 100]

    def event_type(self, i: int) -> str:
        return self.fate(i // SLOTS)[i % SLOTS]

    def event(self, i: int) -> dict:
        m, slot = divmod(i, SLOTS)
        fate, h = self.fate(m), _mix(self.seed * 131 + i)
        campaign = self.campaign_of_message(m)
        out = {"id": self.event_id(i), "created": self.created(i), "type": fate[slot],
               "recipient": self.email_of(m), "portalId": self.portal_id, "appId": campaign.app_id,
               "appName": campaign.app_name, "emailCampaignId": campaign.id,
               "hmid": f"{_mix(m) & 0xFFFFFFFFFFFF:012x}"}
        if "SENT" in fate[:slot]:
            sent = m * SLOTS + fate.index("SENT")
            out["sentBy"] = {"id": self.event_id(sent), "created": self.created(sent)}
        out.update(_TYPE_FIELDS[fate[slot]](h, campaign, m, self.email_of(m)))
        return out

    # -- reading in HubSpot's order (newest first) ---------------------------------------

    def first_at_or_after(self, ms: int) -> int:
        return bisect_left(range(self.n), ms, key=self.created)

    def add(self, event: dict, created_ms: int) -> Added:
        made = Added(created_ms, self.n + len(self.added), event)
        keys = [(a.created_ms, a.seq) for a in self.added]
        self.added.insert(bisect_left(keys, (created_ms, made.seq)), made)
        return made


def events_of(emu: Emulator) -> EmailEvents:
    """The portal's email events (a reset makes a new Store: a new, regenerated set)."""
    return _events_of(emu.store, emu.email_events)


@per_store
def _events_of(store, size: int) -> EmailEvents:
    return EmailEvents(size, store.seed, store.types["contacts"], store.portal_id)


# -- type-specific fields (docs/hubspot-api.md#email-events) ------------------------------

def _engagement(h: int) -> dict:
    return {"userAgent": _AGENTS[h % 3], "browser": _BROWSERS[(h >> 4) % 3],
            "location": _LOCATIONS[(h >> 8) % 3], "filteredEvent": h % 23 == 0,
            "deviceType": ("COMPUTER", "MOBILE")[(h >> 12) % 2]}


def _sent(h, campaign, m, recipient) -> dict:
    return {"subject": campaign.subject, "from": "Marketing Team <marketing@example.com>",
            "replyTo": ["marketing@example.com"], "cc": [], "bcc": []}


def _dropped(h, campaign, m, recipient) -> dict:
    reason = _DROP_REASONS[h % len(_DROP_REASONS)]
    return {"dropReason": reason, "dropMessage": f"Not sent: {reason.lower()}"}


def _delivered(h, campaign, m, recipient) -> dict:
    return {"response": "250 2.0.0 OK queued", "smtpId": f"<{h & 0xFFFFFFFF:08x}@example.com>"}


def _deferred(h, campaign, m, recipient) -> dict:
    return {"response": "421 4.7.0 Try again later", "attempt": 1 + h % 3}


def _bounce(h, campaign, m, recipient) -> dict:
    category, response, status = _BOUNCES[h % len(_BOUNCES)]
    return {"category": category, "response": response, "status": status}


def _open(h, campaign, m, recipient) -> dict:
    return {**_engagement(h), "duration": 1000 * (1 + h % 90)}


def _click(h, campaign, m, recipient) -> dict:
    url = _LINKS[(h >> 16) % len(_LINKS)]
    return {**_engagement(h), "url": url, "referers": [], "linkId": 1 + (h >> 20) % 9}


def _statuschange(h, campaign, m, recipient) -> dict:
    unsubscribed = h % 4 != 0
    status = "UNSUBSCRIBED" if unsubscribed else "SUBSCRIBED"
    return {"source": _STATUS_SOURCES[h % len(_STATUS_SOURCES)], "requestedBy": recipient,
            "portalSubscriptionStatus": status, "bounced": False,
            "subscriptions": [{"id": 7_000_001 + (h >> 8) % 3, "status": status,
                               "legalBasisChange": None}]}


def _spamreport(h, campaign, m, recipient) -> dict:
    return {"userAgent": _AGENTS[h % 3], "ipAddress": f"203.0.113.{h % 250 + 1}"}


def _nothing(h, campaign, m, recipient) -> dict:
    return {}


_TYPE_FIELDS = {"SENT": _sent, "DROPPED": _dropped, "PROCESSED": _nothing,
                "DELIVERED": _delivered, "DEFERRED": _deferred, "BOUNCE": _bounce,
                "OPEN": _open, "CLICK": _click, "PRINT": lambda *a: _engagement(a[0]),
                "FORWARD": lambda *a: _engagement(a[0]), "STATUSCHANGE": _statuschange,
                "SPAMREPORT": _spamreport, "SUPPRESSED": _nothing}


# -- the events listing ------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    start_ms: int | None
    end_ms: int | None
    event_type: str | None
    campaign_id: int | None
    app_id: int | None
    recipient: str | None
    exclude_filtered: bool

    def matches(self, event: dict) -> bool:
        return ((self.event_type is None or event.get("type") == self.event_type)
                and (self.campaign_id is None or event.get("emailCampaignId") == self.campaign_id)
                and (self.app_id is None or event.get("appId") == self.app_id)
                and (self.recipient is None or event.get("recipient") == self.recipient)
                and not (self.exclude_filtered and event.get("filteredEvent")))


def _query(request: web.Request) -> Query:
    q = request.query
    ints = {}
    for name in ("startTimestamp", "endTimestamp", "campaignId", "appId"):
        ints[name] = int_param(q.get(name), name, -1) if q.get(name) else None
    return Query(ints["startTimestamp"], ints["endTimestamp"], q.get("eventType") or None,
                 ints["campaignId"], ints["appId"], q.get("recipient") or None,
                 flag(q.get("excludeFilteredEvents")))


def _generated_newest_first(state: EmailEvents, query: Query, before: tuple[int, int] | None):
    """(key, index) of generated events in the query's window, newest first, below `before`."""
    lo, hi = 0, state.n
    if query.campaign_id is not None:
        campaign = state.by_id.get(query.campaign_id)
        lo, hi = state.message_range(campaign) if campaign else (0, 0)
    if query.start_ms is not None:
        lo = max(lo, state.first_at_or_after(query.start_ms))
    if query.end_ms is not None:
        hi = min(hi, state.first_at_or_after(query.end_ms + 1))
    if before is not None:
        hi = min(hi, bisect_left(range(state.n), before,
                                 key=lambda i: (state.created(i), i)))
    for i in range(hi - 1, lo - 1, -1):
        yield (state.created(i), i), i


def _added_newest_first(state: EmailEvents, query: Query, before: tuple[int, int] | None):
    for made in reversed(state.added):
        key = (made.created_ms, made.seq)
        if before is not None and key >= before:
            continue
        if query.start_ms is not None and made.created_ms < query.start_ms:
            continue
        if query.end_ms is not None and made.created_ms > query.end_ms:
            continue
        yield key, made


def _page(state: EmailEvents, query: Query, before, limit: int) -> tuple[list[dict], tuple]:
    merged = heapq.merge(_generated_newest_first(state, query, before),
                         _added_newest_first(state, query, before),
                         key=lambda pair: pair[0], reverse=True)
    out: list[dict] = []
    last = None
    for key, item in merged:
        event = item.json if isinstance(item, Added) else state.event(item)
        if not query.matches(event):
            continue
        if len(out) == limit:
            return out, last  # one more matched: there is a next page
        out.append(event)
        last = key
    return out, None


async def list_events(request: web.Request) -> web.Response:
    state = events_of(emulator(request))
    limit = max(1, min(EVENTS_MAX, int_param(request.query.get("limit"), "limit",
                                             EVENTS_DEFAULT)))
    before = _position(request.query.get("offset"))
    events, last = _page(state, _query(request), before, limit)
    out: dict = {"events": events, "hasMore": last is not None}
    if last is not None:
        out["offset"] = _encode(f"{last[0]}:{last[1]}")
    return json_response(out)


async def get_event(request: web.Request) -> web.Response:
    """`GET /email/public/v1/events/{created}/{id}`: one event by its EventId."""
    state = events_of(emulator(request))
    created, event_id = int_param(request.match_info["created"], "created", 0), \
        request.match_info["id"]
    for made in state.added:
        if made.created_ms == created and made.json.get("id") == event_id:
            return json_response(made.json)
    lo = state.first_at_or_after(created)
    for i in range(lo, min(state.n, lo + 64)):
        if state.created(i) != created:
            break
        if state.event_id(i) == event_id:
            return json_response(state.event(i))
    raise ApiError(404, f"Event {created}/{event_id} does not exist", "OBJECT_NOT_FOUND")


def _encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _position(token: str | None) -> tuple[int, int] | None:
    if not token:
        return None
    try:
        created, seq = base64.b64decode(token, validate=True).decode().split(":")
        return int(created), int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation(f"Invalid offset: {token}") from None


# -- campaigns ------------------------------------------------------------------------

def counters(state: EmailEvents, campaign: Campaign) -> dict:
    """Counts by event type (lower case), plus `unsubscribed`: HubSpot's counter names
    (docs/hubspot-api.md#email-events); the counts are of events (*choice*)."""
    out = {t.lower(): 0 for t in EVENT_TYPES}
    out["unsubscribed"] = 0
    lo, hi = state.message_range(campaign)
    events = [state.event(i) for i in range(lo, hi)]
    events += [a.json for a in state.added if a.json.get("emailCampaignId") == campaign.id]
    for event in events:
        kind = str(event.get("type", "")).lower()
        if kind in out:
            out[kind] += 1
        if event.get("portalSubscriptionStatus") == "UNSUBSCRIBED":
            out["unsubscribed"] += 1
    return out


def last_updated(state: EmailEvents, campaign: Campaign) -> int:
    lo, hi = state.message_range(campaign)
    times = [state.created(hi - 1)] if hi > lo else []
    times += [a.created_ms for a in state.added if a.json.get("emailCampaignId") == campaign.id]
    return max(times, default=START_MS)


def campaign_json(state: EmailEvents, campaign: Campaign) -> dict:
    lo, hi = state.message_range(campaign)
    started = state.created(lo) if hi > lo else START_MS
    count = counters(state, campaign)
    return {"id": campaign.id, "appId": campaign.app_id, "appName": campaign.app_name,
            "contentId": 40_000_000 + campaign.index, "name": campaign.name,
            "subject": campaign.subject,
            "type": "AB_EMAIL" if campaign.app_id == _APPS[1][0] else "BATCH_EMAIL",
            "subType": "NORMAL", "counters": count,
            "numIncluded": (hi - lo) // SLOTS, "numQueued": 0, "processingState": "DONE",
            "lastProcessingStartedAt": started, "lastProcessingFinishedAt": started + 60_000,
            "lastProcessingStateChangeAt": started + 60_000}


def _campaign_page(request: web.Request, rows: list[dict]) -> web.Response:
    limit = max(1, min(CAMPAIGNS_MAX, int_param(request.query.get("limit"), "limit",
                                                 CAMPAIGNS_DEFAULT)))
    token = request.query.get("offset")
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token, validate=True).decode())
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise validation(f"Invalid offset: {token}") from None
    page = rows[start:start + limit]
    out: dict = {"campaigns": page, "hasMore": start + limit < len(rows)}
    out["offset"] = _encode(str(start + len(page)))
    return json_response(out)


async def campaigns_by_id(request: web.Request) -> web.Response:
    state = events_of(emulator(request))
    rows = [{"id": c.id, "appId": c.app_id, "appName": c.app_name} for c in state.campaigns]
    return _campaign_page(request, rows)


async def campaigns_recent(request: web.Request) -> web.Response:
    """`/email/public/v1/campaigns`: by most recent activity, newest first."""
    state = events_of(emulator(request))
    rows = [{"id": c.id, "appId": c.app_id, "appName": c.app_name,
             "lastUpdatedTime": last_updated(state, c)} for c in state.campaigns]
    rows.sort(key=lambda r: (r["lastUpdatedTime"], r["id"]), reverse=True)
    return _campaign_page(request, rows)


async def get_campaign(request: web.Request) -> web.Response:
    state = events_of(emulator(request))
    raw = request.match_info["campaignId"]
    campaign = state.by_id.get(int(raw)) if raw.isdigit() else None
    if campaign is None:
        raise ApiError(404, f"Email campaign {raw} does not exist", "OBJECT_NOT_FOUND")
    return json_response(campaign_json(state, campaign))


# -- control (/_emulator/email_events) ----------------------------------------------------

async def control_add(emu: Emulator, request: web.Request) -> dict:
    """Add events: `{events: [{type, recipient, emailCampaignId, created, id, fields}]}`.
    `created` (epoch ms) defaults to the emulated clock's now (a late event: give an older
    one); `emailCampaignId` must name a campaign (default the first); `fields` are merged
    into the event verbatim last (tests plant malformed values this way)."""
    body = await json_body(request)
    state = events_of(emu)
    specs = body.get("events")
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise ValueError("events must be a list of objects")
    built = [_build(emu, state, spec, n) for n, spec in enumerate(specs)]  # all, or none
    return {"events": [state.add(event, created).json for event, created in built]}


def _build(emu: Emulator, state: EmailEvents, spec: dict, n: int) -> tuple[dict, int]:
    kind = str(spec.get("type") or "OPEN")
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event type {kind}; known: {list(EVENT_TYPES)}")
    campaign = state.campaigns[0]
    if spec.get("emailCampaignId") is not None:
        campaign = state.by_id.get(int(spec["emailCampaignId"]))
        if campaign is None:
            raise ValueError(f"no email campaign {spec['emailCampaignId']}")
    created = int(spec.get("created") or emu.clock.now_ms())
    recipient = str(spec.get("recipient") or state.email_of(0))
    h = _mix(created ^ (len(state.added) + n))
    event = {"id": str(spec.get("id") or uuid.uuid4()), "created": created, "type": kind,
             "recipient": recipient, "portalId": state.portal_id, "appId": campaign.app_id,
             "appName": campaign.app_name, "emailCampaignId": campaign.id,
             **_TYPE_FIELDS[kind](h, campaign, 0, recipient), **(spec.get("fields") or {})}
    return event, created


async def control_state(emu: Emulator, request: web.Request) -> dict:
    state = events_of(emu)
    return {"generated": state.n, "added": len(state.added),
            "campaigns": [c.id for c in state.campaigns]}


def add_routes(app: web.Application) -> None:
    read = Access("content")
    serve(app, "GET", EMAIL_EVENTS, "", list_events, read)
    serve(app, "GET", EMAIL_EVENTS, r"/{created:\d+}/{id}", get_event, read)
    serve(app, "GET", EMAIL_CAMPAIGNS, "", campaigns_recent, read)
    serve(app, "GET", EMAIL_CAMPAIGNS, "/by-id", campaigns_by_id, read)
    serve(app, "GET", EMAIL_CAMPAIGNS, "/{campaignId}", get_campaign, read)
    app.router.add_post("/_emulator/email_events", control_handler(control_add))
    app.router.add_get("/_emulator/email_events", control_handler(control_state))
