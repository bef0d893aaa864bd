"""The other standard objects HubSpot documents (quotes, invoices, leads, orders …): seeded,
served by name, singular name and `0-x` type id, through the same list, search, batch read,
properties and associations as every type; each guarded by its own scope (BEHAVIOR.md,
"Object types")."""

from __future__ import annotations

import pytest
from upstream import listing

B = 1_000_000_000
# name, type id, singular, first id - 1, display property, records for 1,000 contacts
TYPES = [
    ("quotes", "0-14", "quote", 75 * B, "hs_title", 50),
    ("communications", "0-18", "communication", 75 * B + B // 2, "hs_communication_body", 100),
    ("feedback_submissions", "0-19", "feedback_submission", 76 * B, "hs_survey_name", 50),
    ("invoices", "0-53", "invoice", 76 * B + B // 2, "hs_number", 50),
    ("subscriptions", "0-69", "subscription", 77 * B, "hs_name", 25),
    ("goal_targets", "0-74", "goal_target", 77 * B + B // 2, "hs_goal_name", 50),
    ("discounts", "0-84", "discount", 78 * B, "hs_label", 40),
    ("fees", "0-85", "fee", 78 * B + B // 2, "hs_label", 40),
    ("taxes", "0-86", "tax", 79 * B, "hs_label", 40),
    ("commerce_payments", "0-101", "commerce_payment", 79 * B + B // 2, "hs_reference_number",
     40),
    ("users", "0-115", "user", 80 * B, "hs_email", 30),
    ("postal_mail", "0-116", "postal_mail", 80 * B + B // 2, "hs_postal_mail_body", 25),
    ("orders", "0-123", "order", 81 * B, "hs_order_name", 50),
    ("leads", "0-136", "lead", 81 * B + B // 2, "hs_lead_name", 100),
    ("carts", "0-142", "cart", 82 * B, "hs_cart_name", 40),
    ("services", "0-162", "service", 82 * B + B // 2, "hs_name", 20),
    ("courses", "0-410", "course", 83 * B, "hs_course_name", 20),
    ("listings", "0-420", "listing", 83 * B + B // 2, "hs_name", 20),
    ("appointments", "0-421", "appointment", 84 * B, "hs_appointment_name", 50),
    ("projects", "0-970", "project", 84 * B + B // 2, "hs_name", 20),
]
each_type = pytest.mark.parametrize("name,type_id,singular,base,display,volume", TYPES,
                                    ids=[t[0] for t in TYPES])


@each_type
def test_standard_object_when_addressed_by_name_singular_or_type_id_then_same_seeded_records(
        api, name, type_id, singular, base, display, volume):
    pages = [api.get(f"/crm/v3/objects/{alias}", params={"limit": 100}).json()
             for alias in (name, singular, type_id, name.upper())]
    assert pages[0]["results"] and all(p == pages[0] for p in pages[1:])
    first = pages[0]["results"][0]
    assert first["id"] == str(base + 1)
    # no `properties`: the display property plus hs_object_id, created and modified
    assert {"hs_object_id", "hs_createdate", "hs_lastmodifieddate", display} <= set(
        first["properties"])
    assert first["createdAt"] == first["properties"]["hs_createdate"]
    assert first["updatedAt"] == first["properties"]["hs_lastmodifieddate"]
    dated = api.get(f"/crm/objects/2026-09/{type_id}", params={"limit": 100}).json()
    assert [r["id"] for r in dated["results"]] == [r["id"] for r in pages[0]["results"]]


def test_volumes_when_portal_of_1000_contacts_then_each_standard_object_has_its_share(
        emulator):
    counts = emulator.control.reset(contacts=1000)["counts"]
    assert {name: counts[name] for name, *_ in TYPES} == {t[0]: t[5] for t in TYPES}


@pytest.mark.parametrize("name", ["quotes", "leads", "orders", "invoices"])
def test_standard_object_when_listed_to_the_end_then_every_id_once_archived_apart(
        emulator, api, name):
    emulator.control.reset(contacts=400, seed=1, rate_limit="none")
    live = listing(api, f"/crm/v3/objects/{name}", {"limit": 7})
    ids = [int(r["id"]) for r in live]
    assert ids == sorted(set(ids)) and not any(r["archived"] for r in live)
    gone = listing(api, f"/crm/v3/objects/{name}", {"archived": "true"})
    assert gone and all(r["archived"] and r["archivedAt"] for r in gone)
    assert not {r["id"] for r in gone} & {r["id"] for r in live}
    total = api.post(f"/crm/v3/objects/{name}/search", json={"limit": 1}).json()["total"]
    assert total == len(live)  # search never sees archived records


@each_type
def test_standard_object_when_searched_and_batch_read_then_as_every_type(
        api, name, type_id, singular, base, display, volume):
    first = api.get(f"/crm/v3/objects/{name}", params={"properties": display}).json()[
        "results"][0]
    value = first["properties"][display]
    found = api.post(f"/crm/v3/objects/{type_id}/search", json={
        "filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "EQ",
                                       "value": first["id"]}]}],
        "properties": [display]}).json()
    assert found["total"] == 1 and found["results"][0]["properties"][display] == value
    since = api.post(f"/crm/v3/objects/{name}/search", json={
        "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                       "value": first["updatedAt"]}]}], "limit": 0}).json()
    assert since["total"] >= 1
    missing = str(base + 10_000_000)
    read = api.post(f"/crm/v3/objects/{name}/batch/read", json={
        "inputs": [{"id": first["id"]}, {"id": missing}], "properties": [display]})
    assert read.status_code == 207
    body = read.json()
    assert [r["id"] for r in body["results"]] == [first["id"]]
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert body["errors"][0]["context"]["ids"] == [missing]


@each_type
def test_standard_object_properties_when_listed_then_hubspot_and_custom_ones(
        api, name, type_id, singular, base, display, volume):
    props = {p["name"]: p for p in api.get(f"/crm/v3/properties/{type_id}").json()["results"]}
    assert {"hs_object_id", "hs_createdate", "hs_lastmodifieddate", display} <= set(props)
    assert props[display]["hubspotDefined"] and props["region"]["hubspotDefined"] is False
    assert sum(not p["hubspotDefined"] for p in props.values()) >= 20


@pytest.mark.parametrize("child,parent,forward,back", [
    ("quotes", "deals", 64, 63), ("invoices", "contacts", 177, 178),
    ("leads", "companies", 610, 609), ("commerce_payments", "invoices", 542, 541),
    ("discounts", "quotes", 361, 362), ("communications", "contacts", 81, 82),
])
def test_standard_object_links_when_read_from_both_sides_then_hubspot_type_ids(
        emulator, api, child, parent, forward, back):
    emulator.control.reset(contacts=400, seed=1, rate_limit="none")
    ids = [r["id"] for r in api.get(f"/crm/v3/objects/{child}", params={"limit": 20}).json()[
        "results"]]
    read = api.post(f"/crm/v4/associations/{child}/{parent}/batch/read",
                    json={"inputs": [{"id": i} for i in ids]}).json()["results"]
    linked = [r for r in read if r["to"]]
    assert linked, f"some {child} are linked to {parent}"
    source = linked[0]
    target = source["to"][0]
    assert forward in {t["typeId"] for t in target["associationTypes"]}
    reverse = api.get(f"/crm/v4/objects/{parent}/{target['toObjectId']}/associations/{child}",
                      params={"limit": 500}).json()["results"]
    mine = next(r for r in reverse if str(r["toObjectId"]) == source["from"]["id"])
    assert back in {t["typeId"] for t in mine["associationTypes"]}


def test_one_type_denied_when_token_lacks_its_scope_then_403_for_it_alone(emulator, api):
    emulator.control.deny_scopes(["crm.objects.invoices.read"])
    for call in (api.get("/crm/v3/objects/invoices"), api.get("/crm/objects/2026-09/0-53"),
                 api.post("/crm/v3/objects/invoices/search", json={}),
                 api.post("/crm/v3/objects/invoices/batch/read", json={"inputs": []}),
                 api.get("/crm/v3/properties/invoices"),
                 api.post("/crm/v4/associations/invoices/contacts/batch/read",
                          json={"inputs": []})):
        assert call.status_code == 403
        body = call.json()
        assert body["category"] == "MISSING_SCOPES"
        assert body["errors"][0]["context"]["requiredGranularScopes"] == [
            "crm.objects.invoices.read"]
    for path in ("/crm/v3/objects/quotes", "/crm/v3/objects/contacts",
                 "/crm/v3/properties/quotes", "/crm/v3/owners"):
        assert api.get(path).status_code == 200
    emulator.control.reset(contacts=40)  # every scope again
    assert api.get("/crm/v3/objects/invoices").status_code == 200


@pytest.mark.parametrize("name,scope", [
    ("quotes", "crm.objects.quotes.read"), ("goal_targets", "crm.objects.goals.read"),
    ("commerce_payments", "crm.objects.commercepayments.read"),
    ("discounts", "crm.objects.line_items.read"), ("postal_mail", "crm.objects.contacts.read"),
])
def test_standard_object_when_only_its_scope_granted_then_readable(emulator, api, name, scope):
    emulator.control.set_token_scopes([scope])
    assert api.get(f"/crm/v3/objects/{name}").status_code == 200
    assert api.get("/crm/v3/objects/deals").status_code == 403


def test_standard_object_when_created_then_id_follows_the_generated_ones(api):
    last = listing(api, "/crm/v3/objects/quotes")[-1]["id"]
    created = api.post("/crm/v3/objects/quotes", json={"properties": {"hs_title": "New"}})
    assert created.status_code == 201
    assert int(created.json()["id"]) > int(last)
    assert created.json()["properties"]["hs_title"] == "New"
