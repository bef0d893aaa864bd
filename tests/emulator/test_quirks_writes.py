"""Writes, archive, GDPR delete, merge (docs/hubspot-api.md#deletions-and-merges, #errors) and the
control surface (clock, silent changes, touch, raw records)."""

from __future__ import annotations

import time

from upstream import listing

from .conftest import COMPANY, CONTACT

LIST = "/crm/v3/objects/contacts"
FROZEN = 1_893_456_000_000  # 2030-01-01T00:00:00Z
FROZEN_ISO = "2030-01-01T00:00:00.000Z"


def live_ids(api, path=LIST) -> list[str]:
    return [r["id"] for r in listing(api, path, {"limit": 100})]


def test_create_when_posted_then_201_new_id_after_generated_ones_and_clock_stamps(api,
                                                                                emulator):
    emulator.control.set_clock(FROZEN)
    response = api.post(LIST, json={"properties": {"email": "a@new.example", "nps_score": 9,
                                                   "is_vip": True}})
    assert response.status_code == 201
    record = response.json()
    assert record["id"] == str(CONTACT + 41)
    assert record["createdAt"] == record["updatedAt"] == FROZEN_ISO
    assert record["properties"]["nps_score"] == "9" and record["properties"]["is_vip"] == "true"
    assert live_ids(api)[-1] == record["id"]


def test_update_when_patched_then_values_and_last_modified_from_clock(api, emulator):
    emulator.control.set_clock(FROZEN)
    response = api.patch(f"{LIST}/{CONTACT + 1}", json={"properties": {"firstname": "Pat",
                                                                       "phone": ""}})
    assert response.status_code == 200
    record = api.get(f"{LIST}/{CONTACT + 1}", params={"properties": "firstname,phone"}).json()
    assert record["properties"]["firstname"] == "Pat" and record["properties"]["phone"] is None
    assert record["updatedAt"] == FROZEN_ISO


def test_update_when_unknown_or_invalid_property_then_400_property_values_not_valid(api):
    response = api.patch(f"{LIST}/{CONTACT + 1}",
                         json={"properties": {"nope": "x", "nps_score": "lots",
                                              "favorite_color": "plaid"}})
    assert response.status_code == 400
    body = response.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: [")
    assert {e["code"] for e in body["errors"]} == {"PROPERTY_DOESNT_EXIST", "INVALID_INTEGER",
                                                   "INVALID_OPTION"}


def test_create_when_email_taken_then_409_conflict(api):
    email = api.get(f"{LIST}/{CONTACT + 2}").json()["properties"]["email"]
    response = api.post(LIST, json={"properties": {"email": email}})
    assert response.status_code == 409 and response.json()["category"] == "CONFLICT"


def test_batch_create_update_archive_when_used_then_statuses_as_hubspot(api):
    created = api.post(f"{LIST}/batch/create", json={"inputs": [
        {"properties": {"firstname": "One"}}, {"properties": {"firstname": "Two"}}]})
    assert created.status_code == 201
    new_ids = [r["id"] for r in created.json()["results"]]
    updated = api.post(f"{LIST}/batch/update", json={"inputs": [
        {"id": new_ids[0], "properties": {"lastname": "Uno"}},
        {"id": "404", "properties": {"lastname": "Nobody"}}]})
    assert updated.status_code == 207 and updated.json()["errors"][0]["context"]["ids"] == ["404"]
    archived = api.post(f"{LIST}/batch/archive", json={"inputs": [{"id": i} for i in new_ids]})
    assert archived.status_code == 204
    assert not set(new_ids) & set(live_ids(api))


def test_archive_when_deleted_then_204_and_only_in_archived_listing(api, emulator):
    emulator.control.set_clock(FROZEN)
    assert api.delete(f"{LIST}/{CONTACT + 3}").status_code == 204
    assert api.get(f"{LIST}/{CONTACT + 3}").status_code == 404
    archived = api.get(LIST, params={"archived": "true"}).json()["results"]
    mine = [r for r in archived if r["id"] == str(CONTACT + 3)]
    assert mine and mine[0]["archived"] is True and mine[0]["archivedAt"] == FROZEN_ISO


def test_gdpr_delete_when_done_then_gone_for_good(api):
    response = api.post(f"{LIST}/gdpr-delete", json={"objectId": str(CONTACT + 4)})
    assert response.status_code == 204
    assert api.get(f"{LIST}/{CONTACT + 4}").status_code == 404
    assert api.get(f"{LIST}/{CONTACT + 4}?archived=true").status_code == 404
    archived = api.get(LIST, params={"archived": "true"}).json()["results"]
    assert str(CONTACT + 4) not in {r["id"] for r in archived}
    assert str(CONTACT + 4) not in live_ids(api)


def test_merge_when_contacts_then_new_id_both_old_ids_resolve_and_leave_listings(api):
    response = api.post(f"{LIST}/merge", json={"primaryObjectId": str(CONTACT + 5),
                                               "objectIdToMerge": str(CONTACT + 6)})
    assert response.status_code == 200
    merged = response.json()
    assert merged["id"] not in (str(CONTACT + 5), str(CONTACT + 6))
    assert merged["properties"]["hs_merged_object_ids"] == f"{CONTACT + 5};{CONTACT + 6}"
    for old in (CONTACT + 5, CONTACT + 6):
        assert api.get(f"{LIST}/{old}").json()["id"] == merged["id"]
    ids = live_ids(api)
    assert merged["id"] in ids and str(CONTACT + 5) not in ids and str(CONTACT + 6) not in ids
    search = api.post(f"{LIST}/search", json={"limit": 100}).json()
    assert str(CONTACT + 5) not in {r["id"] for r in search["results"]}


def test_merge_when_companies_then_associations_carry_over(api):
    a, b = str(COMPANY + 1), str(COMPANY + 2)
    before = set()
    for company in (a, b):
        rows = api.get(f"/crm/v4/objects/companies/{company}/associations/contacts").json()
        before |= {r["toObjectId"] for r in rows["results"]}
    merged = api.post("/crm/v3/objects/companies/merge",
                      json={"primaryObjectId": a, "objectIdToMerge": b}).json()
    rows = api.get(f"/crm/v4/objects/companies/{merged['id']}/associations/contacts").json()
    assert {r["toObjectId"] for r in rows["results"]} == before


def test_merge_when_deals_then_primary_id_survives(api):
    response = api.post("/crm/v3/objects/deals/merge",
                        json={"primaryObjectId": "30000000001", "objectIdToMerge": "30000000002"})
    assert response.json()["id"] == "30000000001"
    assert api.get("/crm/v3/objects/deals/30000000002").json()["id"] == "30000000001"


def test_control_update_when_touch_false_then_value_changes_but_last_modified_stays(api,
                                                                                   emulator):
    before = api.get(f"{LIST}/{CONTACT + 7}").json()
    emulator.control.update("contacts", CONTACT + 7, {"firstname": "Silent"}, touch=False)
    after = api.get(f"{LIST}/{CONTACT + 7}").json()
    assert after["properties"]["firstname"] == "Silent"
    assert after["updatedAt"] == before["updatedAt"]


def test_control_update_when_touch_true_then_last_modified_from_clock(api, emulator):
    emulator.control.set_clock(FROZEN)
    emulator.control.update("contacts", CONTACT + 7, {"firstname": "Loud"})
    assert api.get(f"{LIST}/{CONTACT + 7}").json()["updatedAt"] == FROZEN_ISO


def test_clock_when_unfrozen_then_real_time_again(api, emulator):
    emulator.control.set_clock(FROZEN)
    emulator.control.set_clock(None)
    record = api.patch(f"{LIST}/{CONTACT + 8}", json={"properties": {"firstname": "Now"}})
    assert record.json()["updatedAt"] < FROZEN_ISO


def test_touch_when_ids_given_then_exact_last_modified(api, emulator):
    result = emulator.control.touch("contacts", ids=[CONTACT + 9, CONTACT + 10],
                                    modified_ms=FROZEN)
    assert result["touched"] == 2
    records = api.post(f"{LIST}/batch/read", json={"inputs": [
        {"id": str(CONTACT + 9)}, {"id": str(CONTACT + 10)}]}).json()["results"]
    assert {r["updatedAt"] for r in records} == {FROZEN_ISO}


def test_raw_record_when_injected_then_served_verbatim_everywhere(api, emulator):
    raw = {"id": str(CONTACT + 11), "properties": None, "weird": [1, 2]}
    emulator.control.put_raw("contacts", CONTACT + 11, raw)
    listed = [r for r in api.get(LIST, params={"limit": 100}).json()["results"]
              if r.get("id") == str(CONTACT + 11)]
    assert listed == [raw]
    assert api.get(f"{LIST}/{CONTACT + 11}").json() == raw
    batch = api.post(f"{LIST}/batch/read", json={"inputs": [{"id": str(CONTACT + 11)}]}).json()
    assert batch["results"] == [raw]
    found = api.post(f"{LIST}/search", json={"limit": 100}).json()["results"]
    assert raw in found
    emulator.control.put_raw("contacts", CONTACT + 11, None)
    assert api.get(f"{LIST}/{CONTACT + 11}").json()["properties"]


def test_reset_when_called_then_mutations_gone_and_data_identical(api, emulator):
    first = api.get(LIST, params={"limit": 5}).json()
    api.patch(f"{LIST}/{CONTACT + 1}", json={"properties": {"firstname": "Temp"}})
    emulator.control.reset(contacts=40, seed=1)
    assert api.get(LIST, params={"limit": 5}).json() == first
    emulator.control.reset(contacts=40, seed=2)
    assert api.get(LIST, params={"limit": 5}).json() != first


# -- 423 Locked (docs/hubspot-api.md#errors) -------------------------------------------------------

def _creates(k: int, n: int) -> dict:
    return {"inputs": [{"properties": {"email": f"lock{k}.{i}@example.com"}} for i in range(n)]}


def test_write_lock_when_burst_over_threshold_then_423_for_lock_time_reads_unaffected(api,
                                                                                   emulator):
    emulator.control.set_write_lock(records=150, window_ms=5000, lock_ms=400)
    assert api.post(f"{LIST}/batch/create", json=_creates(1, 100)).status_code == 201
    locked = api.post(f"{LIST}/batch/create", json=_creates(2, 100))
    assert locked.status_code == 423
    assert locked.json() == {"status": "error", "message": "Locked",
                             "correlationId": locked.headers["X-HubSpot-Correlation-Id"]}
    patch = {"properties": {"firstname": "Locked"}}
    for path in (f"{LIST}/{CONTACT + 1}", f"/crm/objects/2026-09/contacts/{CONTACT + 1}"):
        assert api.patch(path, json=patch).status_code == 423
    assert api.get(f"{LIST}/{CONTACT + 1}").json()["properties"]["firstname"] != "Locked"
    assert api.get(LIST).status_code == 200  # reads are never locked
    assert api.patch(f"/crm/v3/objects/companies/{COMPANY + 1}",
                     json={"properties": {"name": "Other type"}}).status_code == 200
    for email, status in (("lock1.0@example.com", 200), ("lock2.0@example.com", 404)):
        assert api.get(f"{LIST}/{email}", params={"idProperty": "email"}).status_code == status
    time.sleep(0.45)
    assert api.patch(f"{LIST}/{CONTACT + 1}", json=patch).status_code == 200


def test_write_lock_when_default_then_never_locked(api):
    for k in range(3):
        assert api.post(f"{LIST}/batch/create", json=_creates(k, 100)).status_code == 201


def test_lock_writes_when_called_then_423_on_every_write_of_that_type(api, emulator):
    emulator.control.lock_writes("deals", ms=300)
    deal = "/crm/objects/2026-03/deals"
    assert api.post(deal, json={"properties": {"dealname": "x"}}).status_code == 423
    assert api.delete(f"{deal}/30000000001").status_code == 423
    assert api.post(f"{deal}/merge", json={"primaryObjectId": "30000000001",
                                           "objectIdToMerge": "30000000002"}).status_code == 423
    assert api.get(f"{deal}/30000000001").status_code == 200
    time.sleep(0.35)
    assert api.post(deal, json={"properties": {"dealname": "x"}}).status_code == 201

