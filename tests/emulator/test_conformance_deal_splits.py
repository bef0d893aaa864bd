"""Conformance of the deal splits and record counts endpoints: the calls Airbyte's
source-hubspot makes for its `deal_splits` stream (entity `deal_split`: properties from
`/properties/v2/deal_split/properties`, full refresh `GET /crm/v3/objects/deal_split` with
`archived=false`, `properties`, `limit=100`; incremental `POST …/deal_split/search` with
`hs_lastmodifieddate` GTE/LTE and `hs_object_id` GTE filters sorted by `hs_object_id`; scope
`crm.objects.deals.read`), the deal splits batch read the mirror makes (both families) and
the limits tracking API's record counts (docs/hubspot-api.md#deal-splits, #record-counts)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from upstream import listing

pytestmark = pytest.mark.emulator

READ = "/crm/v3/objects/deals/splits/batch/read"
UPSERT = "/crm/v3/objects/deals/splits/batch/upsert"
DATED = "/deal-splits/2026-03"
LIMITS = ("/crm/v3/limits/records", "/crm/limits/2026-03/records")


def live_deal_ids(api) -> list[str]:
    return [r["id"] for r in listing(api, "/crm/v3/objects/deals", {"limit": 100})]


def test_airbyte_deal_splits_when_replayed_then_answered_in_the_shapes_it_reads(api, emulator):
    emulator.control.set_token_scopes(["crm.objects.deals.read"])  # what Airbyte asks for
    names = [p["name"] for p in api.get("/properties/v2/deal_split/properties").json()]
    assert "hs_lastmodifieddate" in names
    full = api.get("/crm/v3/objects/deal_split", params=[
        ("archived", "false"), ("properties", ",".join(names)), ("limit", "100")])
    assert full.status_code == 200 and isinstance(full.json()["results"], list)
    body = {"limit": 200, "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "0"},
                        {"propertyName": "hs_lastmodifieddate", "operator": "LTE",
                         "value": "1893456000000"},
                        {"propertyName": "hs_object_id", "operator": "GTE", "value": "0"}],
            "properties": names, "after": 0}
    search = api.post("/crm/v3/objects/deal_split/search", json=body)
    assert search.status_code == 200 and search.json()["total"] == 0  # *choice*: see BEHAVIOR


@pytest.mark.parametrize("path", [READ, f"{DATED}/batch/read"])
def test_batch_read_when_deal_ids_asked_then_each_deal_with_splits_summing_to_one(api, path):
    ids = live_deal_ids(api)
    reply = api.post(path, json={"inputs": [{"id": i} for i in ids]})
    assert reply.status_code == 200 and reply.json()["status"] == "COMPLETE"
    results = reply.json()["results"]
    assert [d["id"] for d in results] == ids
    owners = {o["id"] for o in listing(api, "/crm/v3/owners", {"limit": 100})}
    with_splits = [d for d in results if d["splits"]]
    assert with_splits and len(with_splits) < len(results)  # some deals have none
    for deal in with_splits:
        shares = [Decimal(s["properties"]["hs_deal_split_percentage"]) for s in deal["splits"]]
        assert sum(shares) == 1
        assert all(s["properties"]["hubspot_owner_id"] in owners for s in deal["splits"])
        assert all({"id", "properties", "createdAt", "updatedAt", "archived"} <= set(s)
                   for s in deal["splits"])


def test_batch_read_when_deal_unknown_then_207_object_not_found_rest_answered(api):
    ids = [*live_deal_ids(api)[:2], "30999999999"]
    reply = api.post(READ, json={"inputs": [{"id": i} for i in ids]})
    assert reply.status_code == 207
    assert [d["id"] for d in reply.json()["results"]] == ids[:2]
    assert reply.json()["errors"][0]["context"]["ids"] == ["30999999999"]
    too_many = [{"id": str(i)} for i in range(101)]
    assert api.post(READ, json={"inputs": too_many}).status_code == 400


def test_upsert_when_shares_valid_then_splits_replaced_else_400(api):
    deal = live_deal_ids(api)[0]
    owners = [o["id"] for o in listing(api, "/crm/v3/owners", {"limit": 100})][:2]
    bad = {"inputs": [{"id": deal, "splits": [{"ownerId": owners[0], "percentage": 0.5}]}]}
    assert api.post(UPSERT, json=bad).status_code == 400  # shares must sum to 1
    good = {"inputs": [{"id": deal, "splits": [{"ownerId": owners[0], "percentage": 0.7},
                                               {"ownerId": owners[1], "percentage": 0.3}]}]}
    assert api.post(f"{DATED}/batch/upsert", json=good).status_code == 200
    splits = api.post(READ, json={"inputs": [{"id": deal}]}).json()["results"][0]["splits"]
    assert [(s["properties"]["hubspot_owner_id"], s["properties"]["hs_deal_split_percentage"])
            for s in splits] == [(owners[0], "0.7"), (owners[1], "0.3")]


def test_scopes_when_deal_splits_scope_missing_then_403(api, emulator):
    emulator.control.set_token_scopes(["crm.objects.deals.read"])
    denied = api.post(READ, json={"inputs": [{"id": "1"}]})
    assert denied.status_code == 403 and denied.json()["category"] == "MISSING_SCOPES"
    emulator.control.set_token_scopes(["crm.dealsplits.read_write"])
    assert api.post(READ, json={"inputs": []}).status_code == 200


@pytest.mark.parametrize("path", LIMITS)
def test_record_counts_when_read_then_live_records_per_type_and_custom_apart(api, path):
    reply = api.get(path)
    assert reply.status_code == 200
    body = reply.json()
    standard = {t["objectTypeId"]: t for t in body["hubspotDefinedObjectTypes"]}
    for type_id, name in (("0-1", "contacts"), ("0-3", "deals"), ("0-14", "quotes")):
        live = listing(api, f"/crm/v3/objects/{name}", {"limit": 100})
        assert standard[type_id]["usage"] == len(live)
        assert {"singularLabel", "pluralLabel", "limit", "percentage"} <= set(standard[type_id])
    custom = body["customObjectTypes"]
    pets = {t["objectTypeId"]: t["usage"] for t in custom["byObjectType"]}
    assert pets == {"2-3508482": len(listing(api, "/crm/v3/objects/pets", {"limit": 100}))}
    assert custom["overallUsage"] == sum(pets.values()) and "overallLimit" in custom


def test_record_counts_when_record_archived_or_created_then_usage_follows(api):
    contacts = listing(api, "/crm/v3/objects/contacts", {"limit": 100})
    api.delete(f"/crm/v3/objects/contacts/{contacts[0]['id']}").raise_for_status()
    api.post("/crm/v3/objects/contacts", json={"properties": {"email": "a@b.example"}}
             ).raise_for_status()
    api.post("/crm/v3/objects/contacts", json={"properties": {"email": "c@d.example"}}
             ).raise_for_status()
    usage = {t["objectTypeId"]: t["usage"]
             for t in api.get(LIMITS[0]).json()["hubspotDefinedObjectTypes"]}
    assert usage["0-1"] == len(contacts) + 1


def test_record_counts_when_no_crm_read_scope_then_403(api, emulator):
    emulator.control.set_token_scopes(["automation"])
    assert api.get(LIMITS[0]).status_code == 403
    emulator.control.set_token_scopes(["tickets"])
    assert api.get(LIMITS[1]).status_code == 200
