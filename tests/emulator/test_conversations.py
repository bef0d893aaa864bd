"""The conversations inbox API as the emulator serves it (docs/hubspot-api.md#conversations):
listings and their archived halves, the threads' sort rule and keyset cursor, messages with
their original content, the dated beta family and the `conversations.read` scope.

Conformance: neither Airbyte source-hubspot nor MeltanoLabs tap-hubspot has a conversations
stream (their stream lists, read 2026-12), so there is no peer request to replay; these are
the requests the mirror sends and what HubSpot's reference documents."""

from __future__ import annotations

import pytest
from upstream import listing

from .conftest import CONTACT

V3 = "/conversations/v3/conversations"
BETA = "/conversations/conversations/2026-09-beta"


def test_inboxes_accounts_when_listed_then_total_counts_live_and_archived_listed_apart(api):
    live = api.get(f"{V3}/inboxes").json()
    archived = api.get(f"{V3}/inboxes", params={"archived": "true"}).json()
    assert live["total"] == 2 and [i["archived"] for i in live["results"]] == [False, False]
    assert [i["id"] for i in archived["results"]] == ["1002"] and archived["results"][0][
        "archivedAt"]
    accounts = listing(api, f"{V3}/channel-accounts")
    assert {"id", "name", "channelId", "inboxId", "active", "authorized", "archived",
            "createdAt"} <= set(accounts[0])
    assert api.get(f"{V3}/channels").json()["total"] == 4


def test_threads_when_sorted_by_latest_message_without_after_then_400(api):
    refused = api.get(f"{V3}/threads", params={"sort": "latestMessageTimestamp"})
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    assert api.get(f"{V3}/threads", params={"sort": "-id"}).status_code == 400
    assert api.get(f"{V3}/threads", params={"limit": 501}).status_code == 400


def test_threads_by_latest_message_when_paged_and_one_moves_then_none_skipped(api, emulator):
    params = {"sort": "latestMessageTimestamp", "limit": 5,
              "latestMessageTimestampAfter": "2025-01-01T00:00:00Z"}
    first = api.get(f"{V3}/threads", params=params).json()
    times = [t["latestMessageTimestamp"] for t in first["results"]]
    assert times == sorted(times)
    moved = first["results"][-1]["id"]  # read already: a new message puts it behind the cursor
    emulator.control.conversation_message(moved, "hello", createdAt=1_900_000_000_000)
    rest = listing(api, f"{V3}/threads", {**params, "after": first["paging"]["next"]["after"]})
    every = {t["id"] for t in first["results"]} | {t["id"] for t in rest}
    live = listing(api, f"{V3}/threads", {"limit": 100})
    assert every == {t["id"] for t in live} and rest[-1]["id"] == moved
    later = listing(api, f"{V3}/threads", {**params,
                                            "latestMessageTimestampAfter": "2030-01-01"})
    assert [t["id"] for t in later] == [moved]


def test_threads_when_filtered_then_contact_status_archived_and_ticket_answered(api):
    archived = listing(api, f"{V3}/threads", {"archived": "true"})
    assert archived and all(t["archived"] for t in archived)
    one = listing(api, f"{V3}/threads", {"association": "TICKET"})[1]
    assert one["threadAssociations"] == {"associatedTicketId": "9001"}
    assert int(one["associatedContactId"]) > CONTACT
    assert api.get(f"{V3}/threads", params={
        "associatedContactId": one["associatedContactId"]}).status_code == 400
    mine = listing(api, f"{V3}/threads", {"associatedContactId": one["associatedContactId"],
                                          "threadStatus": one["status"]})
    assert one["id"] in {t["id"] for t in mine}


def test_messages_when_listed_then_types_oldest_first_and_original_content_whole(api):
    messages = listing(api, f"{V3}/threads/7000000002/messages", {"limit": 2})
    assert [m["type"] for m in messages] == ["MESSAGE", "MESSAGE", "COMMENT"]
    assert [m["createdAt"] for m in messages] == sorted(m["createdAt"] for m in messages)
    cut = messages[0]
    assert cut["truncationStatus"] == "TRUNCATED_TO_MOST_RECENT_REPLY"
    whole = api.get(f"{V3}/threads/7000000002/messages/{cut['id']}/original-content").json()
    assert whole["text"].startswith(cut["text"]) and len(whole["text"]) > len(cut["text"])
    assert api.get(f"{V3}/threads/1/messages").status_code == 404


def test_beta_family_when_read_then_same_answers_as_v3(api):
    for suffix in ("/inboxes", "/channels", "/channel-accounts", "/threads",
                   "/threads/7000000001/messages"):
        assert api.get(BETA + suffix).json() == api.get(V3 + suffix).json()


@pytest.mark.parametrize("suffix", ["/inboxes", "/threads", "/threads/7000000001/messages"])
def test_scope_when_missing_then_403_else_answered(api, emulator, suffix):
    emulator.control.set_token_scopes(["conversations.read"])
    assert api.get(V3 + suffix).status_code == 200
    emulator.control.set_token_scopes(["crm.objects.contacts.read"])
    denied = api.get(V3 + suffix)
    assert denied.status_code == 403 and denied.json()["category"] == "MISSING_SCOPES"
