"""Email events and the email campaigns they belong to: HubSpot's legacy email analytics API,
which has no date-versioned twin, so every `HUBSPOT_API_VERSION` reads the v1 paths
(docs/hubspot-api.md#email-events).

- `email_events`: the largest table a portal has. Read incrementally by `created` (HubSpot's
  `startTimestamp`, inclusive, from the watermark less the lookback), 1,000 a page, newest
  first, one page at a time (`get_pages` yields each as it comes). HubSpot identifies an event
  by `id` *and* `created`, so that pair is the row's key; an event never changes, so
  `updated_at` = `created_at` and one read again through the lookback is "unchanged".
  Nothing is swept: HubSpot documents no deletion of events. A full (or first) read that
  stops resumes (ingestion/base/resume.py) below the oldest `created` its committed pages
  reached (`endTimestamp`, inclusive: the events of that millisecond are read again, as
  repeats); events created since the first attempt began are the next incremental run's.
- `email_campaigns`: read whole each run: their last activity from the activity listing, the
  ids from the by-id listing, and for each page of ids their details (one request each:
  HubSpot has no batch read), so at most a page of details is held. A stopped full read
  resumes at the page of ids after its last committed one (`listed`: definitions.py), the
  details of the campaigns already committed not asked again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import msgspec

from ingestion.base.results import Mode, Page, RecordError
from ingestion.base.seen import SeenIds
from ingestion.models import HubSpotEmailCampaign, HubSpotEmailEvent

from ..errors import HubSpotClientError
from ..limits import EMAIL_CAMPAIGNS_PAGE, EMAIL_EVENTS_PAGE
from ..replies import OffsetListing, keyed
from ..timeparse import parse_hubspot_datetime
from .definitions import flag, text
from .sources import HubSpotSourceSyncEngine

EVENTS = keyed("events", OffsetListing)
CAMPAIGNS = keyed("campaigns", OffsetListing)
RESUME_FROM = "created_until_ms"  # a resumed full read's endTimestamp


class HubSpotEmailEventSyncEngine(HubSpotSourceSyncEngine):
    object_type = "email_events"
    model = HubSpotEmailEvent
    plan_page_size = EMAIL_EVENTS_PAGE
    supports_incremental = True
    created_fields = updated_fields = ("created",)
    supports_resume = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = EventKeysSeen()
        self.restored = EventKeysSeen()  # a resumed read's millions of keys, as digests

    def probe(self) -> None:
        self.client.request("GET", self.client.paths.email_events(), params={"limit": 1},
                            shape=EVENTS)

    def _archive_unseen(self, mode: Mode, started: datetime) -> int:
        # No sweep: HubSpot documents no deletion of email events, so one a full read did not
        # list says nothing about it; and the run keeps only digests of the keys it read.
        return 0

    def fetch(self, mode: Mode, since: datetime | None) -> Iterator[Page]:
        """Pages carrying the position a resumed full read goes on from: the oldest event
        time read so far (newest first, so everything older is still to come)."""
        until = None
        if mode is Mode.FULL and self.resumed is not None:
            until = self.resumed.position.get(RESUME_FROM)
        for page in self.pages(since if mode is not Mode.FULL else None, until):
            times = [e["created"] for e in page
                     if isinstance(e, dict) and type(e.get("created")) is int]
            until = min(times, default=until)
            yield Page(tuple(page), position={RESUME_FROM: until})

    def pages(self, since: datetime | None, until_ms: int | None = None) -> Iterator[list]:
        params: dict = {"limit": EMAIL_EVENTS_PAGE}
        if since is not None:  # inclusive: "at or after" (docs/hubspot-api.md#email-events)
            params["startTimestamp"] = int(since.timestamp() * 1000)
        if until_ms is not None:  # inclusive: "at or before"
            params["endTimestamp"] = until_ms
        yield from self.client.get_pages(self.client.paths.email_events(), params,
                                         shape=EVENTS, cursor="offset")

    def row(self, event: dict) -> tuple[dict, dict]:
        key = event_key(event)
        sent_by = event.get("sentBy") if isinstance(event.get("sentBy"), dict) else {}
        return event, {
            "id": key, "event_id": str(event["id"]), "event_type": text(event.get("type")),
            "recipient": text(event.get("recipient")),
            "email_campaign_id": _integer(event, "emailCampaignId", key),
            "portal_id": _integer(event, "portalId", key),
            "app_id": _integer(event, "appId", key), "app_name": text(event.get("appName")),
            "sent_by_id": text(sent_by.get("id")),
            "sent_by_created": _time(sent_by.get("created"), "sentBy.created", key),
            "url": text(event.get("url")), "status": text(event.get("status")),
            "bounce_category": text(event.get("category")),
            "response": text(event.get("response")),
            "drop_reason": text(event.get("dropReason")),
            "drop_message": text(event.get("dropMessage")),
            "subscription_status": text(event.get("portalSubscriptionStatus")),
            "subscriptions": _json(event.get("subscriptions"), list),
            "source": text(event.get("source")),
            "filtered_event": flag(event.get("filteredEvent")),
            "device_type": text(event.get("deviceType")),
            "browser": _json(event.get("browser"), dict),
            "location": _json(event.get("location"), dict),
            "subject": text(event.get("subject"))}


def event_key(event: object) -> str:
    """`"<created ms>:<id>"`: HubSpot's EventId, as one text (docs/hubspot-api.md#email-events).
    An event without both fails alone, named by what it has."""
    if not isinstance(event, dict):
        raise RecordError("", f"an email event that is not an object: {type(event).__name__}")
    event_id, created = event.get("id"), event.get("created")
    if not isinstance(event_id, str) or not event_id:
        raise RecordError(f"{created}:" if type(created) is int else "",
                          "an email event without an id")
    if type(created) is not int or created < 0:
        raise RecordError(f":{event_id}", f"email event {event_id}: created is not epoch "
                                          f"milliseconds ({type(created).__name__})")
    return f"{created}:{event_id}"


class EventKeysSeen(SeenIds):
    """The event keys a run has read, 8 bytes each: a digest of the key stands for it (a
    million keys of ~50 characters would hold ~100 MB as strings, the largest part of a
    run's memory). Two keys share a digest with odds of about n² / 10^18 (one in 10^6 for a
    million events in one run); the later one would be taken for a repeat and left to the
    next full read. Not iterable: the email events engine sweeps nothing."""

    def add(self, object_id: str) -> bool:
        return super().add(_digest(object_id))

    def add_all(self, object_ids: list[str]) -> set[str]:
        digests = [_digest(key) for key in object_ids]
        again = super().add_all(digests)
        return {key for key, digest in zip(object_ids, digests, strict=True) if digest in again}

    def __contains__(self, object_id: str) -> bool:
        return super().__contains__(_digest(object_id))

    def __iter__(self) -> Iterator[str]:
        raise TypeError("the email events' read keys are digests: there is nothing to sweep")


def _digest(key: str) -> str:
    """A plain number of 18 digits (what SeenIds keeps in its arrays) standing for `key`."""
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
    return str(10 ** 17 + number % (9 * 10 ** 17))


class CampaignDetails(msgspec.Struct):
    """`GET /email/public/v1/campaigns/{id}`: the documented fields (an integer `id` is
    required; the others are kept when present)."""

    id: int
    appId: Any = msgspec.UNSET
    appName: Any = msgspec.UNSET
    contentId: Any = msgspec.UNSET
    name: Any = msgspec.UNSET
    subject: Any = msgspec.UNSET
    type: Any = msgspec.UNSET
    subType: Any = msgspec.UNSET
    counters: Any = msgspec.UNSET
    numIncluded: Any = msgspec.UNSET
    numQueued: Any = msgspec.UNSET
    processingState: Any = msgspec.UNSET
    scheduledAt: Any = msgspec.UNSET
    lastUpdatedTime: Any = msgspec.UNSET
    lastProcessingStartedAt: Any = msgspec.UNSET
    lastProcessingFinishedAt: Any = msgspec.UNSET
    lastProcessingStateChangeAt: Any = msgspec.UNSET

    @property
    def results(self) -> list:  # replies.decode repairs text in `results`: none here
        return []

    def as_dict(self) -> dict:
        return {k: v for k, v in msgspec.structs.asdict(self).items()
                if v is not msgspec.UNSET}


class HubSpotEmailCampaignSyncEngine(HubSpotSourceSyncEngine):
    object_type = "email_campaigns"
    model = HubSpotEmailCampaign
    plan_page_size = EMAIL_CAMPAIGNS_PAGE
    plan_listings = 2  # the activity listing, the by-id listing
    plan_requests_per_item = 1  # its details
    created_fields = ("lastProcessingStartedAt",)
    # The counters move with every open and click, but the details carry no time that moves
    # with them: `lastUpdatedTime` is on the activity listing only, so it is read from there
    # (docs/hubspot-api.md#email-events). A campaign without one is replaced every run.
    updated_fields = ("lastUpdatedTime",)

    def plan_count(self) -> int | None:
        # No total: counted by the by-id listing (a request per 100), on a first run only.
        return sum(len(page) for page in self.client.get_pages(
            self.client.paths.email_campaigns_by_id(), {"limit": EMAIL_CAMPAIGNS_PAGE},
            shape=CAMPAIGNS, cursor="offset"))

    def probe(self) -> None:
        self.client.request("GET", self.client.paths.email_campaigns_by_id(),
                            params={"limit": 1}, shape=CAMPAIGNS)

    def pages(self, since: datetime | None) -> Iterator[list]:
        # The ids come from the by-id listing: the activity listing's order changes while it
        # is paged (a campaign with a new event moves to the front), so a campaign can be
        # missed there, and a full run would then archive it.
        # Paged through `listed`: a stopped full read resumes at the page of ids after its
        # last committed one (the activity listing, a request per 100, is read again whole).
        activity = self._last_activity()
        for page in self.listed(self.client.paths.email_campaigns_by_id(),
                                {"limit": EMAIL_CAMPAIGNS_PAGE}, shape=CAMPAIGNS,
                                cursor="offset"):
            yield page.carrying([campaign for campaign in
                                 (self._details(row, activity) for row in page)
                                 if campaign is not None])

    def _last_activity(self) -> dict[int, int]:
        """Each campaign's `lastUpdatedTime` (epoch ms) from the activity listing: one small
        entry per campaign. One the listing skipped has none: its row is simply replaced."""
        times: dict[int, int] = {}
        for page in self.client.get_pages(self.client.paths.email_campaigns(),
                                          {"limit": EMAIL_CAMPAIGNS_PAGE}, shape=CAMPAIGNS,
                                          cursor="offset"):
            for row in page:
                if isinstance(row, dict) and type(row.get("id")) is int \
                        and type(row.get("lastUpdatedTime")) is int:
                    times[row["id"]] = max(times.get(row["id"], 0), row["lastUpdatedTime"])
        return times

    def _details(self, listed: object, activity: dict[int, int]) -> object:
        """The listed campaign completed by its details (the listing row's fields, then the
        details', then its last activity); one that is gone by now is left out, so a full
        run's sweep archives it. An entry that is no campaign is left to `row` to report."""
        if not isinstance(listed, dict) or type(listed.get("id")) is not int:
            return listed
        try:
            details = self.client.request("GET", self.client.paths.email_campaign(
                listed["id"]), shape=CampaignDetails)
        except HubSpotClientError as error:
            if error.status != 404:
                raise
            return None
        campaign = {**listed, **details.as_dict()}
        if listed["id"] in activity:
            campaign["lastUpdatedTime"] = activity[listed["id"]]
        return campaign

    def row(self, campaign: dict) -> tuple[dict, dict]:
        if not isinstance(campaign, dict) or type(campaign.get("id")) is not int:
            raise RecordError(str(campaign.get("id", "")) if isinstance(campaign, dict) else "",
                              "an email campaign without an integer id")
        key = str(campaign["id"])
        counters = _json(campaign.get("counters"), dict) or {}
        count = {name: _count(counters, name, key) for name in _COUNTERS}
        return campaign, {
            "id": key, "app_id": _integer(campaign, "appId", key),
            "app_name": text(campaign.get("appName")),
            "content_id": _integer(campaign, "contentId", key),
            "name": text(campaign.get("name")), "subject": text(campaign.get("subject")),
            "type": text(campaign.get("type")), "sub_type": text(campaign.get("subType")),
            "processing_state": text(campaign.get("processingState")),
            "num_included": _integer(campaign, "numIncluded", key),
            "num_queued": _integer(campaign, "numQueued", key), "counters": counters,
            "sent": count["sent"], "delivered": count["delivered"], "opened": count["open"],
            "clicked": count["click"], "bounced": count["bounce"], "dropped": count["dropped"],
            "unsubscribed": count["unsubscribed"], "spam_reports": count["spamreport"],
            "last_activity": _time(campaign.get("lastUpdatedTime"), "lastUpdatedTime", key)}


_COUNTERS = ("sent", "delivered", "open", "click", "bounce", "dropped", "unsubscribed",
             "spamreport")


def _count(counters: dict, name: str, key: str) -> int | None:
    return _integer(counters, name, key, f"counters.{name}")


def _integer(data: dict, name: str, key: str, label: str | None = None) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise RecordError(key, f"{label or name} is not an integer ({type(value).__name__})")
    return value


def _time(value: object, label: str, key: str) -> datetime | None:
    if value is None:
        return None
    if type(value) is not int:
        raise RecordError(key, f"{label} is not epoch milliseconds ({type(value).__name__})")
    return parse_hubspot_datetime(value)




def _json(value: object, kind: type) -> Any:
    return value if isinstance(value, kind) else None
