"""Subscriptions in the emulator (docs/hubspot-api.md#subscriptions): types in every family,
statuses for every contact consistent with the change timeline, the timeline's v1 paging, the
scopes, and the control operations (hubspot_emulator/BEHAVIOR.md, "Subscriptions")."""

from __future__ import annotations

import pytest
from upstream import listing, pages

from hubspot_emulator.timeutil import FIXED_EPOCH_MS

TIMELINE = "/email/public/v1/subscriptions/timeline"
BATCH_READ = "/communication-preferences/v4/statuses/batch/read"
MARKETING = 101_001


def contact_emails(api) -> list[str]:
    rows = listing(api, "/crm/v3/objects/contacts", {"limit": 100, "properties": "email"})
    return [r["properties"]["email"] for r in rows if r["properties"].get("email")]


def whole_timeline(api, **params) -> list[dict]:
    return listing(api, TIMELINE, {"limit": 1000, **params}, key="timeline")


def latest_changes(entries: list[dict]) -> dict[tuple[str, int], str]:
    """(recipient, subscription) → the change of its newest entry (entries come newest first)."""
    out: dict[tuple[str, int], str] = {}
    for entry in entries:
        for change in entry["changes"]:
            if change["changeType"] == "SUBSCRIPTION_STATUS":
                out.setdefault((entry["recipient"].lower(), change["subscriptionId"]),
                               change["change"])
    return out


def test_definitions_when_read_in_each_family_then_same_types_in_each_shape(api):
    v3 = api.get("/communication-preferences/v3/definitions").json()["subscriptionDefinitions"]
    for path in ("/communication-preferences/v4/definitions",
                 "/communication-preferences/2026-03/definitions"):
        dated = api.get(path).json()
        assert dated["status"] == "COMPLETE" and {"startedAt", "completedAt"} <= set(dated)
        assert dated["results"] == v3
    assert {"id", "name", "description", "purpose", "communicationMethod", "isActive",
            "isDefault", "isInternal", "createdAt", "updatedAt", "businessUnitId"} <= set(v3[0])
    v1 = api.get("/email/public/v1/subscriptions").json()["subscriptionDefinitions"]
    assert [(d["id"], d["name"], d["active"]) for d in v1] == \
        [(int(d["id"]), d["name"], d["isActive"]) for d in v3]
    assert any(not d["isActive"] for d in v3)  # a retired type is still listed


def test_statuses_when_batch_read_then_each_contact_matches_its_latest_timeline_change(api):
    emails = contact_emails(api)
    answer = api.post(BATCH_READ, params={"channel": "EMAIL"}, json={"inputs": emails})
    assert answer.status_code == 200 and answer.json()["status"] == "COMPLETE"
    results = answer.json()["results"]
    assert [r["subscriberIdString"] for r in results] == emails
    held = {(r["subscriberIdString"].lower(), s["subscriptionId"]): s["status"]
            for r in results for s in r["statuses"]}
    assert held == latest_changes(whole_timeline(api))
    assert {"SUBSCRIBED", "UNSUBSCRIBED"} <= set(held.values())
    one = next(s for r in results for s in r["statuses"])
    assert {"channel", "source", "status", "subscriberIdString", "subscriptionId",
            "timestamp"} <= set(one)


def test_statuses_when_dated_or_one_contact_then_same_statuses(api):
    email = contact_emails(api)[0]
    v4 = api.post(BATCH_READ, params={"channel": "EMAIL"}, json={"inputs": [email]}).json()
    dated = api.post("/communication-preferences/2026-03/statuses/batch/read",
                     params={"channel": "EMAIL"}, json={"inputs": [email]}).json()
    one = api.get(f"/communication-preferences/v4/statuses/{email}",
                  params={"channel": "EMAIL"}).json()
    assert v4["results"] == dated["results"]
    assert one["results"] == v4["results"][0]["statuses"]
    v3 = api.get(f"/communication-preferences/v3/status/email/{email}").json()
    assert v3["recipient"] == email and len(v3["subscriptionStatuses"]) == 5


def test_batch_read_when_channel_missing_or_inputs_too_many_then_400(api):
    assert api.post(BATCH_READ, json={"inputs": ["a@b.c"]}).status_code == 400
    many = [f"x{i}@example.com" for i in range(1001)]
    assert api.post(BATCH_READ, params={"channel": "EMAIL"},
                    json={"inputs": many}).status_code == 400
    unknown = api.post(BATCH_READ, params={"channel": "EMAIL"}, json={"inputs": ["no@one.x"]})
    assert unknown.json()["results"] == [{"subscriberIdString": "no@one.x", "statuses": []}]


def test_timeline_when_paged_then_newest_first_every_entry_once_with_offset_and_has_more(api):
    everything = whole_timeline(api)
    paged = list(pages(api, TIMELINE, {"limit": 7}))
    assert all(set(p) == {"timeline", "hasMore", "offset"} for p in paged)
    assert [e for p in paged for e in p["timeline"]] == everything
    assert len(paged) > 2 and not paged[-1]["hasMore"]
    stamps = [e["timestamp"] for e in everything]
    assert stamps == sorted(stamps, reverse=True)
    first = everything[0]
    assert {"timestamp", "portalId", "recipient", "changes"} <= set(first)


def test_timeline_when_time_bounds_given_then_both_inclusive(api):
    everything = whole_timeline(api)
    middle = everything[len(everything) // 2]["timestamp"]
    inside = whole_timeline(api, startTimestamp=middle, endTimestamp=middle)
    assert inside and all(e["timestamp"] == middle for e in inside)
    later = whole_timeline(api, startTimestamp=middle + 1)
    assert later == [e for e in everything if e["timestamp"] > middle]


def test_timeline_when_change_type_given_then_only_those_changes(api):
    bounces = whole_timeline(api, changeType="PORTAL_BOUNCE")
    statuses = whole_timeline(api, changeType="SUBSCRIPTION_STATUS")
    assert statuses and all(c["changeType"] == "SUBSCRIPTION_STATUS"
                            for e in statuses for c in e["changes"])
    assert all(c["changeType"] == "PORTAL_BOUNCE" for e in bounces for c in e["changes"])
    assert all("subscriptionId" not in c for e in bounces for c in e["changes"])


def test_timeline_when_offset_garbled_then_400(api):
    assert api.get(TIMELINE, params={"offset": "nope!"}).status_code == 400


def test_change_when_made_while_paging_then_pages_unshifted_and_status_moves(emulator, api):
    email = contact_emails(api)[3]
    first = api.get(TIMELINE, params={"limit": 5}).json()
    made = emulator.control.subscription_change(email, MARKETING, "UNSUBSCRIBED",
                                                timestamp_ms=FIXED_EPOCH_MS)
    assert made["status"]["status"] == "UNSUBSCRIBED"
    second = api.get(TIMELINE, params={"limit": 5, "offset": first["offset"]}).json()
    assert {e["timestamp"] for e in second["timeline"]} <= {
        e["timestamp"] for e in whole_timeline(api)} - {FIXED_EPOCH_MS}
    assert whole_timeline(api)[0] == made["entry"]
    read = api.post(BATCH_READ, params={"channel": "EMAIL"}, json={"inputs": [email]}).json()
    by_type = {s["subscriptionId"]: s["status"] for s in read["results"][0]["statuses"]}
    assert by_type[MARKETING] == "UNSUBSCRIBED"


def test_change_when_older_than_the_status_then_timeline_only(emulator, api):
    email = contact_emails(api)[5]
    emulator.control.subscription_change(email, MARKETING, "SUBSCRIBED",
                                         timestamp_ms=FIXED_EPOCH_MS)
    emulator.control.subscription_change(email, MARKETING, "UNSUBSCRIBED",
                                         timestamp_ms=FIXED_EPOCH_MS - 1)
    read = api.post(BATCH_READ, params={"channel": "EMAIL"}, json={"inputs": [email]}).json()
    by_type = {s["subscriptionId"]: s["status"] for s in read["results"][0]["statuses"]}
    assert by_type[MARKETING] == "SUBSCRIBED"


def test_control_when_raw_entry_or_new_type_then_served(emulator, api):
    emulator.control.subscription_timeline_raw({"recipient": 42}, timestamp_ms=FIXED_EPOCH_MS)
    assert whole_timeline(api)[0] == {"recipient": 42}
    made = emulator.control.subscription_type_create("Webinars", subscription_id=555)
    v3 = api.get("/communication-preferences/v3/definitions").json()["subscriptionDefinitions"]
    assert made in v3 and made["id"] == "555"
    with pytest.raises(RuntimeError):
        emulator.control.subscription_change("x@y.z", 999, "SUBSCRIBED")


@pytest.mark.parametrize("path,method,granted", [
    ("/communication-preferences/v3/definitions", "GET", "communication_preferences.read"),
    ("/communication-preferences/2026-03/definitions", "GET",
     "communication_preferences.read_write"),
    (BATCH_READ, "POST", "communication_preferences.statuses.batch.read"),
    (TIMELINE, "GET", "content"),
    ("/email/public/v1/subscriptions", "GET", "content"),
])
def test_scopes_when_missing_then_403_and_when_granted_then_200(emulator, api, path, method,
                                                                granted):
    emulator.control.set_token_scopes(["crm.objects.contacts.read"])
    call = {"params": {"channel": "EMAIL"}, "json": {"inputs": ["a@b.c"]}} \
        if method == "POST" else {}
    denied = api.request(method, path, **call)
    assert denied.status_code == 403 and denied.json()["category"] == "MISSING_SCOPES"
    emulator.control.set_token_scopes([granted])
    assert api.request(method, path, **call).status_code == 200


def test_seed_when_same_portal_then_same_subscriptions(emulator, api):
    before = whole_timeline(api)
    emulator.control.reset(contacts=40, seed=1)
    assert whole_timeline(api) == before
    recipients = {e["recipient"] for e in before}
    assert recipients <= set(contact_emails(api))  # every recipient is a contact's email
