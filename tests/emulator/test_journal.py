"""The webhooks journal: every kind of change as its event, only when subscribed; paging,
204/404, the 3-day expiry on the emulated clock, signed file URLs, batch read, snapshots
(docs/hubspot-api.md#webhooks-journal; BEHAVIOR.md "Webhooks journal")."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from hubspot_emulator import PORTAL_ID
from hubspot_emulator.timeutil import DAY_MS, iso_ms

from .conftest import COMPANY, CONTACT, JOURNAL, subscribe

CONTACTS = "/crm/v3/objects/contacts"
GLOBAL = "/webhooks-journal/journal/2026-03"
DEAL = 30_000_000_000
T0 = 1_800_000_000_000  # a frozen emulated clock (2027-01-15)
COMMON = {"eventId", "action", "portalId", "occurredAt", "objectTypeId", "objectId",
          "changeSource"}


def files(journal) -> list[dict]:
    """Every entry's event file, oldest first (batch reads of 100, then the files)."""
    out: list[dict] = []
    page = journal.get(f"{JOURNAL}/batch/earliest/100").json()["results"]
    while page:
        out += [httpx.get(entry["url"]).json() for entry in page]
        page = journal.get(f"{JOURNAL}/batch/{page[-1]['currentOffset']}/next/100"
                           ).json()["results"]
    return out


def events(journal) -> list[dict]:
    return [event for file in files(journal) for event in file["journalEvents"]]


def own(event: dict) -> dict:
    """An event without the fields every event carries, plus its action and object id."""
    return {k: v for k, v in event.items() if k not in COMMON - {"action", "objectId"}}


# -- each change as its event -------------------------------------------------------------------

def test_update_when_values_change_then_update_event_with_only_changed_values(api, journal,
                                                                              emulator):
    subscribe(journal)
    old = api.get(f"{CONTACTS}/{CONTACT + 1}?properties=lastname").json()["properties"]
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {
        "firstname": "Zoë", "lastname": old["lastname"], "jobtitle": ""}})
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Zoë"}})  # same
    emulator.control.update("contacts", CONTACT + 2, {"firstname": "Quiet"}, touch=False)
    [first, second] = events(journal)
    assert set(first) == COMMON | {"propertyChanges"}
    assert first["action"] == "UPDATE" and first["objectId"] == CONTACT + 1
    assert first["objectTypeId"] == "0-1" and first["portalId"] == PORTAL_ID
    assert first["changeSource"] == "API" and isinstance(first["occurredAt"], int)
    changes = first["propertyChanges"]
    assert changes["firstname"] == "Zoë" and "lastname" not in changes
    assert changes.get("jobtitle", "") == ""  # cleared: "" (only if it had a value)
    assert own(second) == {"action": "UPDATE", "objectId": CONTACT + 2,
                           "propertyChanges": {"firstname": "Quiet"}}
    assert second["changeSource"] == "CRM_UI"  # control-surface (silent) changes too
    assert second["eventId"] > first["eventId"]


def test_create_when_posted_then_create_event_with_values_given(api, journal):
    subscribe(journal)
    new = int(api.post(CONTACTS, json={"properties": {"email": "neo@x.example",
                                                      "firstname": "Neo"}}).json()["id"])
    [created] = events(journal)
    assert own(created) == {"action": "CREATE", "objectId": new,
                            "propertyChanges": {"email": "neo@x.example", "firstname": "Neo"}}


def test_delete_restore_and_hard_delete_when_made_then_delete_restore_delete(api, journal,
                                                                             emulator):
    subscribe(journal)
    api.delete(f"{CONTACTS}/{CONTACT + 3}")
    emulator.control.restore("contacts", CONTACT + 3)
    emulator.control.hard_delete("contacts", CONTACT + 4)
    assert [own(e) for e in events(journal)] == [
        {"action": "DELETE", "objectId": CONTACT + 3},
        {"action": "RESTORE", "objectId": CONTACT + 3},
        {"action": "DELETE", "objectId": CONTACT + 4}]


def test_merge_when_contacts_merged_then_merge_event_then_deletes_in_one_entry(api, journal):
    subscribe(journal)
    new = int(api.post(f"{CONTACTS}/merge", json={"primaryObjectId": str(CONTACT + 1),
                                                  "objectIdToMerge": str(CONTACT + 2)}
                       ).json()["id"])
    [file] = files(journal)
    merge, *deletes = file["journalEvents"]
    assert own(merge) == {"action": "MERGE", "objectId": new, "primaryObjectId": CONTACT + 1,
                          "mergedObjectIds": [CONTACT + 2], "newObjectId": new}
    assert [own(e) for e in deletes] == [{"action": "DELETE", "objectId": CONTACT + 1},
                                         {"action": "DELETE", "objectId": CONTACT + 2}]


def test_merge_when_deals_then_primary_survives(api, journal):
    subscribe(journal, object_type_id="0-3", actions=["MERGE"])
    api.post("/crm/v3/objects/deals/merge", json={"primaryObjectId": str(DEAL + 1),
                                                  "objectIdToMerge": str(DEAL + 2)})
    [merge] = events(journal)  # DELETE not subscribed
    assert (merge["objectTypeId"], merge["objectId"], merge["newObjectId"]) == (
        "0-3", DEAL + 1, DEAL + 1)


def test_gdpr_delete_when_subscribed_then_gdpr_delete_and_no_personal_data(api, journal):
    subscribe(journal, "GDPR_PRIVACY_DELETION")
    email = api.get(f"{CONTACTS}/{CONTACT + 6}").json()["properties"]["email"]
    api.post(f"{CONTACTS}/gdpr-delete", json={"objectId": email, "idProperty": "email"})
    [file] = files(journal)
    assert [own(e) for e in file["journalEvents"]] == [
        {"action": "GDPR_DELETE", "objectId": CONTACT + 6}]  # DELETE: no OBJECT subscription
    assert email not in str(file)
    subscribe(journal)
    api.post(f"{CONTACTS}/gdpr-delete", json={"objectId": str(CONTACT + 7)})
    assert [own(e) for e in files(journal)[-1]["journalEvents"]] == [
        {"action": "GDPR_DELETE", "objectId": CONTACT + 7},
        {"action": "DELETE", "objectId": CONTACT + 7}]


def test_association_when_added_and_removed_then_events_from_each_subscribed_side(api,
                                                                                  journal):
    subscribe(journal, "ASSOCIATION", associatedObjectTypeIds=["0-2"])
    contact, company = CONTACT + 1, COMPANY + 2
    path = f"/crm/v4/objects/contacts/{contact}/associations"
    api.put(f"{path}/default/companies/{company}")
    api.delete(f"{path}/companies/{company}")
    added, removed = events(journal)  # contacts' side only: companies not subscribed
    assert own(added) == {"action": "ASSOCIATION_ADDED", "objectId": contact,
                          "associatedObjectTypeId": "0-2", "associatedObjectId": company,
                          "associationTypeId": 279, "associationCategory": "HUBSPOT_DEFINED"}
    assert own(removed) == {**own(added), "action": "ASSOCIATION_REMOVED"}
    subscribe(journal, "ASSOCIATION", object_type_id="0-2", associatedObjectTypeIds=[])
    api.put(f"{path}/default/companies/{company}")
    sides = {(e["objectTypeId"], e["objectId"]) for e in files(journal)[-1]["journalEvents"]}
    assert sides == {("0-1", contact), ("0-2", company)}


def test_list_membership_when_added_and_removed_then_list_events(journal, emulator):
    subscribe(journal, "LIST_MEMBERSHIP", None)
    made = emulator.control.list_create("Journal list", record_ids=[CONTACT + 1])
    emulator.control.list_add_members(made["listId"], [CONTACT + 2, CONTACT + 1])
    emulator.control.list_remove_members(made["listId"], [CONTACT + 1])
    list_id = int(made["listId"])
    assert [own(e) for e in events(journal)] == [
        {"action": "ADDED_TO_LIST", "objectId": CONTACT + 1, "listId": list_id},
        {"action": "ADDED_TO_LIST", "objectId": CONTACT + 2, "listId": list_id},
        {"action": "REMOVED_FROM_LIST", "objectId": CONTACT + 1, "listId": list_id}]
    subscribe(journal, "LIST_MEMBERSHIP", None, listIds=[list_id + 1])
    emulator.control.list_add_members(made["listId"], [CONTACT + 3])
    assert len(events(journal)) == 3  # another list only now


# -- only what is subscribed --------------------------------------------------------------------

def test_changes_when_nothing_subscribed_then_no_entries(api, journal, emulator):
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Nobody"}})
    api.post(CONTACTS, json={"properties": {"firstname": "Unseen"}})
    emulator.control.list_add_members(1, [CONTACT + 5])
    assert emulator.control.journal_state()["entries"] == 0
    assert journal.get(f"{JOURNAL}/earliest").status_code == 204


def test_subscription_filters_when_type_action_id_or_property_differ_then_skipped(api,
                                                                                  journal):
    subscribe(journal, actions=["UPDATE"], objectIds=[CONTACT + 1], properties=["firstname"])
    api.patch("/crm/v3/objects/companies/" + str(COMPANY + 1),
              json={"properties": {"name": "Other type"}})
    api.patch(f"{CONTACTS}/{CONTACT + 2}", json={"properties": {"firstname": "Other id"}})
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"jobtitle": "Other prop"}})
    api.delete(f"{CONTACTS}/{CONTACT + 1}")  # DELETE not subscribed
    assert events(journal) == []
    api.patch(f"{CONTACTS}/{CONTACT + 3}", json={"properties": {"firstname": "Not listed"}})
    subscribe(journal, actions=["UPDATE"], objectIds=[CONTACT + 4], properties=["firstname"])
    api.patch(f"{CONTACTS}/{CONTACT + 4}", json={"properties": {"firstname": "Kept",
                                                                "jobtitle": "Dropped"}})
    [only] = events(journal)
    assert own(only) == {"action": "UPDATE", "objectId": CONTACT + 4,
                         "propertyChanges": {"firstname": "Kept"}}


def test_subscription_when_deleted_then_later_changes_not_written(api, journal, emulator):
    sub = subscribe(journal)
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Before"}})
    journal.delete(f"/webhooks-journal/subscriptions/2026-03/{sub['id']}")
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "After"}})
    assert [e["propertyChanges"] for e in events(journal)] == [{"firstname": "Before"}]


# -- reading: single, batch, paging, 204/404 ----------------------------------------------------

def _changes(api, n: int, tag: str = "v") -> None:
    for k in range(n):
        api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": f"{tag}{k}"}})


@pytest.mark.parametrize("base", [JOURNAL, GLOBAL])
def test_paging_when_followed_then_every_entry_once_in_order_then_204(api, journal, base):
    subscribe(journal)
    _changes(api, 5)
    first = journal.get(f"{base}/earliest").json()
    assert set(first) == {"currentOffset", "expiresAt", "url"}
    assert uuid.UUID(first["currentOffset"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["expiresAt"])
    chain = [first["currentOffset"]]
    while (step := journal.get(f"{base}/offset/{chain[-1]}/next")).status_code == 200:
        chain.append(step.json()["currentOffset"])
    assert step.status_code == 204 and step.content == b""
    assert len(chain) == 5 and chain[-1] == journal.get(f"{base}/latest").json()["currentOffset"]
    page = journal.get(f"{base}/batch/earliest/2").json()
    assert page["status"] == "COMPLETE" and set(page) == {"status", "results", "startedAt",
                                                          "completedAt"}
    seen = [e["currentOffset"] for e in page["results"]]
    while page["results"]:
        page = journal.get(f"{base}/batch/{seen[-1]}/next/2").json()
        seen += [e["currentOffset"] for e in page["results"]]
    assert seen == chain  # batch next after the last → results []
    latest = journal.get(f"{base}/batch/latest/2").json()["results"]
    assert [e["currentOffset"] for e in latest] == chain[-2:]  # oldest first
    names = [httpx.get(journal.get(f"{base}/offset/{o}/next").json()["url"]).json()
             ["journalEvents"][0]["propertyChanges"]["firstname"] for o in chain[:-1]]
    assert names == ["v1", "v2", "v3", "v4"]


def test_offset_when_unknown_or_count_out_of_range_then_404_or_400(api, journal):
    subscribe(journal)
    _changes(api, 1)
    unknown = str(uuid.uuid4())
    for path in (f"offset/{unknown}/next", f"batch/{unknown}/next/5"):
        response = journal.get(f"{JOURNAL}/{path}")
        assert response.status_code == 404
        assert response.json()["category"] == "OBJECT_NOT_FOUND"
        assert unknown in response.json()["message"]
    for count in ("0", "101", "x"):
        response = journal.get(f"{JOURNAL}/batch/earliest/{count}")
        assert response.status_code == 400
        assert response.json()["category"] == "VALIDATION_ERROR"
    assert len(journal.get(f"{JOURNAL}/batch/earliest/100").json()["results"]) == 1


def test_install_portal_id_when_other_portal_then_empty(api, journal):
    subscribe(journal)
    _changes(api, 1)
    here = journal.get(f"{JOURNAL}/earliest", params={"installPortalId": PORTAL_ID})
    assert here.status_code == 200
    other = {"installPortalId": PORTAL_ID + 1}
    assert journal.get(f"{JOURNAL}/earliest", params=other).status_code == 204
    assert journal.get(f"{JOURNAL}/batch/latest/5", params=other).json()["results"] == []
    offset = here.json()["currentOffset"]
    assert journal.get(f"{JOURNAL}/offset/{offset}/next", params=other).status_code == 404


def test_batch_read_when_some_offsets_missing_then_found_and_errors(api, journal):
    subscribe(journal)
    _changes(api, 2)
    kept = [e["currentOffset"] for e in journal.get(f"{JOURNAL}/batch/earliest/10"
                                                    ).json()["results"]]
    missing = str(uuid.uuid4())
    body = journal.post(f"{JOURNAL}/batch/read", json={"inputs": [kept[1], missing]}).json()
    assert [e["currentOffset"] for e in body["results"]] == [kept[1]]
    assert body["numErrors"] == 1
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert body["errors"][0]["context"] == {"offset": [missing]}
    bad = journal.post(f"{JOURNAL}/batch/read", json={"inputs": ["not-a-uuid"]})
    too_many = journal.post(f"{JOURNAL}/batch/read", json={"inputs": kept * 51})
    assert (bad.status_code, too_many.status_code) == (400, 400)
    assert "errors" not in journal.post(f"{JOURNAL}/batch/read", json={"inputs": kept}).json()


# -- time: the 3-day expiry and the file URLs ---------------------------------------------------

def test_expiry_when_clock_moves_three_days_then_old_offsets_404_and_earliest_moves(
        api, journal, emulator):
    subscribe(journal)
    emulator.control.set_clock(T0)
    _changes(api, 1)
    old = journal.get(f"{JOURNAL}/latest").json()["currentOffset"]
    emulator.control.set_clock(T0 + DAY_MS)
    _changes(api, 1, tag="later")
    newer = journal.get(f"{JOURNAL}/latest").json()["currentOffset"]
    emulator.control.set_clock(T0 + 3 * DAY_MS - 1)
    assert journal.get(f"{JOURNAL}/earliest").json()["currentOffset"] == old
    emulator.control.set_clock(T0 + 3 * DAY_MS)
    assert journal.get(f"{JOURNAL}/earliest").json()["currentOffset"] == newer
    assert journal.get(f"{JOURNAL}/offset/{old}/next").status_code == 404
    assert journal.get(f"{JOURNAL}/offset/{newer}/next").status_code == 204
    emulator.control.set_clock(T0 + 4 * DAY_MS)
    assert journal.get(f"{JOURNAL}/earliest").status_code == 204
    assert emulator.control.journal_state()["entries"] == 0


def test_file_url_when_five_minutes_pass_then_403_expired_and_a_new_read_gives_a_new_url(
        api, journal, emulator):
    subscribe(journal)
    emulator.control.set_clock(T0)
    _changes(api, 1)
    entry = journal.get(f"{JOURNAL}/earliest").json()
    assert entry["expiresAt"] == iso_ms(T0 + 5 * 60_000)
    assert entry["url"].startswith(f"{emulator.url}/_journal-files/")
    fetched = httpx.get(entry["url"], headers={"Authorization": "Bearer anything"})
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"].startswith("application/json")
    body = fetched.json()
    assert set(body) == {"offset", "portalId", "publishedAt", "journalEvents"}
    assert (body["offset"], body["portalId"], body["publishedAt"]) == (
        entry["currentOffset"], PORTAL_ID, iso_ms(T0))
    emulator.control.set_clock(T0 + 5 * 60_000)
    expired = httpx.get(entry["url"])
    assert (expired.status_code, expired.json()) == (403, {"message": "Request has expired"})
    fresh = journal.get(f"{JOURNAL}/earliest").json()
    assert fresh["currentOffset"] == entry["currentOffset"] and fresh["url"] != entry["url"]
    assert httpx.get(fresh["url"]).json() == body
    forged = entry["url"][:-4] + "0000"
    assert httpx.get(forged).status_code == 403


# -- snapshots ----------------------------------------------------------------------------------

def test_snapshot_when_requested_then_completed_and_written_without_subscription(api, journal):
    email = api.get(f"{CONTACTS}/{CONTACT + 1}").json()["properties"]["email"]
    request = {"portalId": PORTAL_ID, "objectId": CONTACT + 1, "objectTypeId": "0-1",
               "properties": ["email", "jobtitle"]}
    missing = {**request, "objectId": CONTACT + 999}
    response = journal.post("/webhooks-journal/snapshots/2026-03/crm",
                            json={"snapshotRequests": [request, missing]})
    assert response.status_code == 200
    ok, failed = response.json()["snapshotResponses"]
    assert {k: ok[k] for k in ("portalId", "objectId", "objectTypeId")} == {
        k: request[k] for k in ("portalId", "objectId", "objectTypeId")}
    for path in ("snapshots/2026-03/crm/status", "journal-local/2026-03/status",
                 "journal/2026-03/status"):
        status = journal.get(f"/webhooks-journal/{path}/{ok['snapshotStatusId']}").json()
        assert status["status"] == "COMPLETED" and status["id"] == ok["snapshotStatusId"]
        assert isinstance(status["initiatedAt"], int) and isinstance(status["completedAt"], int)
    assert journal.get("/webhooks-journal/snapshots/2026-03/crm/status/"
                       f"{failed['snapshotStatusId']}").json()["status"] == "FAILED"
    assert journal.get(f"/webhooks-journal/snapshots/2026-03/crm/status/{uuid.uuid4()}"
                       ).status_code == 404
    [snapshot] = events(journal)
    assert snapshot["action"] == "SNAPSHOT" and snapshot["objectId"] == CONTACT + 1
    assert snapshot["propertyChanges"]["email"] == email
    assert set(snapshot["propertyChanges"]) == {"email", "jobtitle"}


def test_snapshot_when_field_missing_then_400(journal):
    response = journal.post("/webhooks-journal/snapshots/2026-03/crm", json={
        "snapshotRequests": [{"portalId": PORTAL_ID, "objectTypeId": "0-1",
                              "properties": []}]})
    assert response.status_code == 400 and "objectId" in response.json()["message"]
