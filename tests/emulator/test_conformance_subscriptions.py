"""Conformance: the subscription calls public HubSpot connectors make, replayed with their own
parameters (read from their source), asserting what each connector reads from the answer.

- singer-io tap-hubspot 4.5 `subscription_changes` (`sync_entity_chunked`): GET
  `/email/public/v1/subscriptions/timeline` with `startTimestamp`, `endTimestamp` = start + one
  day (`subscription_chunk_size`), `limit=1000`, then `offset` while `hasMore`; it raises unless
  `timeline` is in the answer; records keyed by (timestamp, portalId, recipient).
- Airbyte source-hubspot 5.7 `subscription_changes` (manifest): the same path, `limit=1000`,
  `startTimestamp`/`endTimestamp` in ms over 30-day steps ending one second before the next
  step, `offset` from the answer until `hasMore` is false, records under `timeline`, cursor
  `timestamp`; every request sends `Content-Type: application/json`.
- Airbyte `email_subscriptions`: GET `/email/public/v1/subscriptions`, no paging, records under
  `subscriptionDefinitions` (`id` an integer, `portalId`, `name`, `description`, `active`).
"""

from __future__ import annotations

import pytest
from upstream import listing

from hubspot_emulator import PORTAL_ID
from hubspot_emulator.timeutil import DAY_MS, FIXED_EPOCH_MS

pytestmark = pytest.mark.emulator

TIMELINE = "/email/public/v1/subscriptions/timeline"
SECOND_MS = 1000


def everything(api) -> list[dict]:
    return listing(api, TIMELINE, {"limit": 1000}, key="timeline")


def replay_window(api, start: int, end: int, headers: dict | None = None) -> list[dict]:
    """One window as both connectors page it: offset while hasMore, the time bounds resent."""
    params: dict = {"startTimestamp": start, "endTimestamp": end, "limit": 1000}
    out = []
    while True:
        answer = api.get(TIMELINE, params=params, headers=headers or {})
        assert answer.status_code == 200
        page = answer.json()
        assert "timeline" in page  # singer: "Unexpected API response" otherwise
        out += page["timeline"]
        if not page.get("hasMore"):
            return out
        params["offset"] = page["offset"]


def span(entries: list[dict]) -> tuple[int, int]:
    stamps = [e["timestamp"] for e in entries]
    return min(stamps), max(stamps)


def test_singer_subscription_changes_when_day_windows_then_every_change_with_its_fields(api):
    entries = everything(api)
    first, last = span(entries)
    seen = []
    start = first - first % DAY_MS  # singer steps from its start date, one day at a time
    while start <= last:
        seen += replay_window(api, start, start + DAY_MS)
        start += DAY_MS
    keys = {(e["timestamp"], e["portalId"], e["recipient"]) for e in seen}
    assert keys == {(e["timestamp"], e["portalId"], e["recipient"]) for e in entries}
    # singer's key names one item: a recipient's changes at one instant share it (HubSpot
    # groups the changes one email event causes), so no change is lost to the key.
    assert len(keys) == len(entries)
    assert any(len(e["changes"]) > 1 for e in seen)
    change = next(c for e in seen for c in e["changes"] if "subscriptionId" in c)
    assert {"change", "source", "portalId", "subscriptionId", "changeType"} <= set(change)
    assert isinstance(change["subscriptionId"], int) and change["portalId"] == PORTAL_ID


def test_singer_windows_when_entry_on_a_boundary_then_read_in_both_windows(emulator, api):
    # HubSpot's docs make both time bounds inclusive (at or after / at or before); singer's
    # windows share their boundary instant, so an entry exactly on it reaches singer twice.
    # The docs win: the emulator serves it in both windows (singer's key dedupes downstream).
    boundary = FIXED_EPOCH_MS - 3 * DAY_MS
    email = listing(api, "/crm/v3/objects/contacts", {"properties": "email"})[0][
        "properties"]["email"]
    emulator.control.subscription_change(email, 101_002, "UNSUBSCRIBED", timestamp_ms=boundary)
    before = replay_window(api, boundary - DAY_MS, boundary)
    after = replay_window(api, boundary, boundary + DAY_MS)
    assert [e["recipient"] for e in before if e["timestamp"] == boundary] == [email]
    assert [e["recipient"] for e in after if e["timestamp"] == boundary] == [email]


def test_airbyte_subscription_changes_when_30_day_slices_then_each_change_once(api):
    entries = everything(api)
    first, last = span(entries)
    seen, start = [], first
    json_header = {"Content-Type": "application/json"}  # sent on every GET
    while start <= last:
        end = start + 30 * DAY_MS - SECOND_MS  # cursor_granularity PT1S
        seen += replay_window(api, start, end, json_header)
        start = end + SECOND_MS
    stamps = [e["timestamp"] for e in seen]
    assert sorted(stamps) == sorted(e["timestamp"] for e in entries)
    assert all(isinstance(s, int) for s in stamps)  # the `%ms` cursor reads integers


def test_airbyte_subscription_changes_when_small_pages_then_offset_followed_to_the_end(api):
    # Airbyte's CursorPagination sends back `offset` as given and stops on `hasMore` false.
    pages, params = [], {"limit": 3, "startTimestamp": 0, "endTimestamp": FIXED_EPOCH_MS}
    while True:
        page = api.get(TIMELINE, params=params).json()
        pages.append(page)
        if not page["hasMore"]:
            break
        params["offset"] = page["offset"]
    assert len(pages) > 2 and all(len(p["timeline"]) <= 3 for p in pages)
    assert [e for p in pages for e in p["timeline"]] == everything(api)


def test_airbyte_email_subscriptions_when_read_then_definitions_with_integer_ids(api):
    answer = api.get("/email/public/v1/subscriptions",
                     headers={"Content-Type": "application/json"})
    assert answer.status_code == 200
    definitions = answer.json()["subscriptionDefinitions"]
    assert definitions and "offset" not in answer.json()  # one page: no paging
    for one in definitions:
        assert {"id", "portalId", "name", "description", "active"} <= set(one)
        assert isinstance(one["id"], int) and isinstance(one["active"], bool)
    v3 = api.get("/communication-preferences/v3/definitions").json()["subscriptionDefinitions"]
    assert {str(d["id"]) for d in definitions} == {d["id"] for d in v3}


def test_connectors_when_content_scope_missing_then_403_as_they_report_it(emulator, api):
    emulator.control.deny_scopes(["content"])
    for path in (TIMELINE, "/email/public/v1/subscriptions"):
        denied = api.get(path)
        assert denied.status_code == 403 and denied.json()["category"] == "MISSING_SCOPES"
    assert api.get("/communication-preferences/v3/definitions").status_code == 200
