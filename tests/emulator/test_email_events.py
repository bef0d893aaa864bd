"""The emulator's legacy email analytics API (hubspot_emulator/email_events.py): events newest
first with offset + hasMore, their filters, events that name real campaigns and contacts,
campaign listings and details, the `content` scope, and events added by the control surface
(docs/hubspot-api.md#email-events)."""

from __future__ import annotations

from collections import Counter

import pytest
from upstream import listing, pages

from hubspot_emulator.email_events import EVENT_TYPES, EmailEvents
from hubspot_emulator.state import Emulator
from hubspot_emulator.timeutil import FIXED_EPOCH_MS

EVENTS = "/email/public/v1/events"
CAMPAIGNS = "/email/public/v1/campaigns"


def every_event(api, **params) -> list[dict]:
    return listing(api, EVENTS, {"limit": 1000, **params}, key="events")


def test_default_portal_when_events_listed_then_all_newest_first_each_once(api):
    events = listing(api, EVENTS, {"limit": 37}, key="events")
    assert len(events) == 400
    keys = [(e["created"], e["id"]) for e in events]
    assert len(set(keys)) == 400
    created = [e["created"] for e in events]
    assert created == sorted(created, reverse=True)


def test_no_limit_when_listed_then_ten_and_past_1000_clamped(api):
    first = api.get(EVENTS).json()
    assert len(first["events"]) == 10 and first["hasMore"] is True and first["offset"]
    assert len(api.get(EVENTS, params={"limit": 5000}).json()["events"]) == 400


def test_events_when_read_then_every_type_and_fields_of_its_type(api):
    events = every_event(api)
    by_type = {e["type"]: e for e in events}
    assert set(by_type) == set(EVENT_TYPES)
    for event in events:
        assert {"id", "created", "type", "recipient", "portalId", "appId", "appName",
                "emailCampaignId"} <= set(event)
    assert {"url", "browser", "location", "userAgent"} <= set(by_type["CLICK"])
    assert {"category", "response", "status"} <= set(by_type["BOUNCE"])
    assert {"dropReason", "dropMessage"} <= set(by_type["DROPPED"])
    assert {"subscriptions", "portalSubscriptionStatus", "source"} <= set(by_type["STATUSCHANGE"])
    assert "sentBy" in by_type["OPEN"] and "sentBy" not in by_type["SENT"]


def test_events_when_read_then_campaigns_exist_and_recipients_are_contacts(api):
    events = every_event(api)
    campaign_ids = {c["id"] for c in listing(api, f"{CAMPAIGNS}/by-id", {"limit": 1000},
                                             key="campaigns")}
    assert {e["emailCampaignId"] for e in events} <= campaign_ids
    emails = {c["properties"]["email"] for c in listing(
        api, "/crm/v3/objects/contacts", {"limit": 100, "properties": "email"})}
    assert {e["recipient"] for e in events} <= emails


def test_sent_by_when_followed_then_names_the_sent_event_of_the_same_message(api):
    events = every_event(api)
    by_key = {(e["id"], e["created"]): e for e in events}
    opened = [e for e in events if e["type"] == "OPEN"]
    for event in opened:
        sent = by_key[(event["sentBy"]["id"], event["sentBy"]["created"])]
        assert sent["type"] == "SENT" and sent["recipient"] == event["recipient"]


def test_filters_when_given_then_only_matching_events(api):
    events = every_event(api)
    middle = sorted(e["created"] for e in events)[200]
    window = every_event(api, startTimestamp=middle, endTimestamp=middle + 10 * 86_400_000)
    assert window and all(middle <= e["created"] <= middle + 10 * 86_400_000 for e in window)
    assert window == [e for e in events if middle <= e["created"] <= middle + 10 * 86_400_000]
    campaign = events[0]["emailCampaignId"]
    assert every_event(api, campaignId=campaign) == \
        [e for e in events if e["emailCampaignId"] == campaign]
    assert every_event(api, eventType="CLICK") == [e for e in events if e["type"] == "CLICK"]
    recipient = events[0]["recipient"]
    assert every_event(api, recipient=recipient) == \
        [e for e in events if e["recipient"] == recipient]
    kept = every_event(api, excludeFilteredEvents="true")
    assert kept == [e for e in events if not e.get("filteredEvent")]


def test_offset_when_events_arrive_while_paging_then_later_pages_unshifted(api, emulator):
    first = api.get(EVENTS, params={"limit": 50}).json()
    emulator.control.add_email_events([{"type": "OPEN"}])  # newer than every page
    rest = listing(api, EVENTS, {"limit": 50, "offset": first["offset"]}, key="events")
    assert len(first["events"]) + len(rest) == 400


def test_offset_when_garbled_then_400(api):
    assert api.get(EVENTS, params={"offset": "%%%"}).status_code == 400


def test_added_event_when_created_in_the_past_then_listed_in_its_place(api, emulator):
    events = every_event(api)
    late_ms = sorted(e["created"] for e in events)[100] + 1
    campaign = events[0]["emailCampaignId"]
    made = emulator.control.add_email_events([{"type": "CLICK", "created": late_ms,
                                               "emailCampaignId": campaign,
                                               "recipient": "late@example.com"}])[0]
    assert made["created"] == late_ms and made["url"]
    after = every_event(api)
    assert len(after) == 401 and made in after
    created = [e["created"] for e in after]
    assert created == sorted(created, reverse=True)
    one = api.get(f"{EVENTS}/{late_ms}/{made['id']}")
    assert one.status_code == 200 and one.json() == made


def test_control_when_campaign_unknown_then_400_and_nothing_added(emulator):
    with pytest.raises(RuntimeError, match=r"400.*no email campaign 1"):
        emulator.control.add_email_events([{"type": "OPEN"}, {"emailCampaignId": 1}])
    assert emulator.control.email_events_state()["added"] == 0


def test_campaigns_by_id_when_paged_then_every_campaign_once(api, emulator):
    ids = [c["id"] for page in pages(api, f"{CAMPAIGNS}/by-id", {"limit": 3})
           for c in page["campaigns"]]
    assert sorted(ids) == sorted(emulator.control.email_events_state()["campaigns"])
    assert len(ids) == len(set(ids)) == 4


def test_campaigns_recent_when_listed_then_newest_activity_first(api):
    rows = listing(api, CAMPAIGNS, {"limit": 2}, key="campaigns")
    times = [r["lastUpdatedTime"] for r in rows]
    assert len(rows) == 4 and times == sorted(times, reverse=True)


def test_campaign_detail_when_read_then_counters_count_its_events(api):
    events = every_event(api)
    campaign = events[0]["emailCampaignId"]
    detail = api.get(f"{CAMPAIGNS}/{campaign}").json()
    counted = Counter(e["type"].lower() for e in events if e["emailCampaignId"] == campaign)
    assert {k: v for k, v in detail["counters"].items() if k in counted} == dict(counted)
    assert {"name", "subject", "type", "appId", "numIncluded"} <= set(detail)
    assert "lastUpdatedTime" not in detail  # only on the activity listing
    assert api.get(f"{CAMPAIGNS}/999").status_code == 404


def test_scope_when_content_missing_then_403_naming_it(api, emulator):
    emulator.control.reset(contacts=10, token_scopes=["crm.objects.contacts.read"])
    for path in (EVENTS, f"{CAMPAIGNS}/by-id", CAMPAIGNS):
        answer = api.get(path)
        assert answer.status_code == 403
        assert answer.json()["errors"][0]["context"]["requiredGranularScopes"] == ["content"]


def test_email_events_when_reset_with_a_size_then_that_many_generated(api, emulator):
    emulator.control.reset(contacts=10, email_events=12)
    assert len(every_event(api)) == 12


def test_a_million_events_when_built_then_read_lazily_from_the_index():
    # Built without generating anything: an event is computed from its index alone.
    emu = Emulator("t", contacts=50, email_events=1_000_000)
    state = EmailEvents(emu.email_events, 1, emu.store.types["contacts"],
                        emu.portal_id)
    assert state.n_campaigns == 1000
    assert state.event(999_999)["created"] < FIXED_EPOCH_MS
    assert state.event(500_000) == state.event(500_000)
    assert state.first_at_or_after(state.created(123_456)) <= 123_456
