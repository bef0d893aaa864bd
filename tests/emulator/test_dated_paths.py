"""Conformance of the date-versioned paths (docs/hubspot-api.md#dated-paths) with plain httpx: the
same bodies, paging, limits and edge behaviour as the legacy v3/v4 paths, for 2026-03 and
2026-09."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from upstream import listing, requests_by_path

from .conftest import COMPANY, CONTACT

VERSIONS = ["2026-03", "2026-09"]
RATE_HEADERS = ["X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining",
                "X-HubSpot-RateLimit-Daily"]


def same(body: dict) -> dict:
    """A body without what differs per request (batch timestamps)."""
    return {k: v for k, v in body.items() if k not in ("startedAt", "completedAt")}


@pytest.fixture(params=VERSIONS)
def v(request) -> str:
    return request.param


# -- objects: list, get, batch read, search ----------------------------------------------------

def test_list_when_dated_then_legacy_body_and_link_points_at_dated_path(api, emulator, v):
    path = f"/crm/objects/{v}/contacts"
    params = {"limit": 7, "properties": "email,firstname"}
    first = api.get(path, params=params).json()
    assert first == api.get("/crm/v3/objects/contacts", params=params).json() | {
        "paging": first["paging"]}
    nxt = first["paging"]["next"]
    assert len(first["results"]) == 7 and nxt["after"] == str(CONTACT + 8)
    link = urlsplit(nxt["link"])
    assert f"{link.scheme}://{link.netloc}" == emulator.url and link.path == path
    assert parse_qs(link.query) == {"limit": ["7"], "properties": ["email,firstname"],
                                    "after": [nxt["after"]]}
    second = httpx.get(nxt["link"], headers=api.headers).json()
    legacy_second = api.get("/crm/v3/objects/contacts", params={**params, "after": nxt["after"]})
    assert second["results"] == legacy_second.json()["results"]
    assert second["results"][0]["id"] == str(CONTACT + 8)
    legacy_link = api.get("/crm/v3/objects/contacts", params=params).json()["paging"]["next"]
    assert urlsplit(legacy_link["link"]).path == "/crm/v3/objects/contacts"


def test_list_when_paged_to_the_end_then_no_paging_on_last_page(api, v):
    ids = [r["id"] for r in listing(api, f"/crm/objects/{v}/companies", {"limit": 100})]
    assert ids == sorted(ids) and len(ids) == 8
    assert api.get(f"/crm/objects/{v}/contacts", params={"limit": 101}).status_code == 400


def test_get_when_dated_then_same_record_fields_and_404_body(api, v):
    path = f"/crm/objects/{v}/contacts/{CONTACT + 3}"
    params = {"propertiesWithHistory": "email", "associations": "companies"}
    record = api.get(path, params=params).json()
    assert record == api.get(f"/crm/v3/objects/contacts/{CONTACT + 3}", params=params).json()
    assert {"id", "properties", "propertiesWithHistory", "createdAt", "updatedAt",
            "archived"} <= set(record)
    assert api.get(f"/crm/objects/{v}/0-1/{CONTACT + 3}").json() == api.get(path).json()
    missing = api.get(f"/crm/objects/{v}/contacts/999")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Object not found.  objectId are usually numeric."


def test_batch_read_when_ids_missing_then_207_object_not_found(api, v):
    body = {"inputs": [{"id": str(CONTACT + 1)}, {"id": "999"}], "properties": ["email"]}
    response = api.post(f"/crm/objects/{v}/contacts/batch/read", json=body)
    assert response.status_code == 207
    out = response.json()
    assert out["status"] == "COMPLETE" and out["numErrors"] == 1
    assert out["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert out["errors"][0]["context"] == {"ids": ["999"]}
    assert [r["id"] for r in out["results"]] == [str(CONTACT + 1)]
    legacy = api.post("/crm/v3/objects/contacts/batch/read", json=body).json()
    assert same(out) == same(legacy)
    too_many = {"inputs": [{"id": str(CONTACT + k)} for k in range(101)]}
    assert api.post(f"/crm/objects/{v}/contacts/batch/read", json=too_many).status_code == 400


def test_search_when_dated_then_total_offset_paging_without_link(api, v):
    body = {"filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "LTE",
                                           "value": str(CONTACT + 30)}]}],
            "limit": 10, "after": "10"}
    out = api.post(f"/crm/objects/{v}/contacts/search", json=body).json()
    assert out["total"] >= 25 and len(out["results"]) == 10  # 30 ids, minus archived ones
    assert out["paging"]["next"] == {"after": "20"} and "link" not in out["paging"]["next"]
    assert out == api.post("/crm/v3/objects/contacts/search", json=body).json()
    assert api.post(f"/crm/objects/{v}/contacts/search", json={"limit": 201}).status_code == 400


# -- writes ----------------------------------------------------------------------------------

def test_writes_when_dated_then_same_statuses_and_visible_on_legacy_paths(api, v):
    base = f"/crm/objects/{v}/contacts"
    created = api.post(base, json={"properties": {"email": "dated@example.com"}})
    assert created.status_code == 201
    new_id = created.json()["id"]
    patched = api.patch(f"{base}/{new_id}", json={"properties": {"firstname": "Dated"}})
    assert patched.status_code == 200
    legacy = api.get(f"/crm/v3/objects/contacts/{new_id}").json()
    assert legacy["properties"]["firstname"] == "Dated"
    batch = api.post(f"{base}/batch/create",
                     json={"inputs": [{"properties": {"email": f"b{k}@example.com"}}
                                      for k in range(2)]})
    assert batch.status_code == 201
    ids = [r["id"] for r in batch.json()["results"]]
    update = api.post(f"{base}/batch/update",
                      json={"inputs": [{"id": i, "properties": {"lastname": "B"}} for i in ids]})
    assert update.status_code == 200
    assert api.post(f"{base}/batch/archive",
                    json={"inputs": [{"id": ids[0]}]}).status_code == 204
    assert api.delete(f"{base}/{ids[1]}").status_code == 204
    archived = api.get(f"/crm/v3/objects/contacts/{ids[1]}", params={"archived": "true"})
    assert archived.json()["archived"] is True
    merged = api.post(f"{base}/merge", json={"primaryObjectId": str(CONTACT + 1),
                                             "objectIdToMerge": str(CONTACT + 2)})
    assert merged.status_code == 200
    assert api.get(f"{base}/{CONTACT + 2}").json()["id"] == merged.json()["id"]
    assert api.post(f"{base}/gdpr-delete", json={"objectId": new_id}).status_code == 204
    assert api.get(f"/crm/v3/objects/contacts/{new_id}").status_code == 404


# -- associations ------------------------------------------------------------------------------

def test_association_batch_read_when_dated_then_v4_shape_and_1000_inputs_cap(api, v):
    path = f"/crm/associations/{v}/companies/contacts/batch/read"
    one = {"inputs": [{"id": str(COMPANY + 1)}]}
    out = api.post(path, json=one).json()
    assert same(out) == same(api.post("/crm/v4/associations/companies/contacts/batch/read",
                                      json=one).json())
    target = out["results"][0]["to"][0]
    assert isinstance(target["toObjectId"], int)
    assert {"category": "HUBSPOT_DEFINED", "typeId": 280, "label": None} in target[
        "associationTypes"]
    thousand = {"inputs": [{"id": str(COMPANY + 1 + k % 8)} for k in range(1000)]}
    response = api.post(path, json=thousand)
    assert response.status_code == 200 and len(response.json()["results"]) == 1000
    thousand["inputs"].append({"id": str(COMPANY + 1)})
    assert api.post(path, json=thousand).status_code == 400
    missing = api.post(path, json={"inputs": [{"id": "999"}]})
    assert missing.status_code == 207 and missing.json()["errors"][0]["category"] == \
        "OBJECT_NOT_FOUND"


def test_association_labels_when_dated_then_same_as_v4(api, v):
    rows = api.get(f"/crm/associations/{v}/contacts/companies/labels").json()
    assert rows == api.get("/crm/v4/associations/contacts/companies/labels").json()
    assert {(r["category"], r["typeId"]) for r in rows["results"]} >= {
        ("HUBSPOT_DEFINED", 1), ("HUBSPOT_DEFINED", 279)}


def test_association_types_when_dated_then_404_and_legacy_v3_only(api, v):
    legacy = api.get("/crm/v3/associations/contacts/companies/types")
    assert legacy.status_code == 200
    assert {"id": "279", "name": "contact_to_company_unlabeled"} in legacy.json()["results"]
    dated = api.get(f"/crm/associations/{v}/contacts/companies/types")
    assert dated.status_code == 404 and dated.json()["category"] == "OBJECT_NOT_FOUND"


def test_record_associations_when_dated_then_list_put_and_delete(api, v):
    listed = api.get(f"/crm/objects/{v}/contacts/{CONTACT + 3}/associations/companies").json()
    assert listed == api.get(f"/crm/v4/objects/contacts/{CONTACT + 3}/associations/companies"
                             ).json()
    put = f"/crm/objects/{v}/deals/30000000001/associations/default/contacts/{CONTACT + 20}"
    assert api.put(put).status_code == 200
    deal_side = api.get("/crm/v4/objects/deals/30000000001/associations/contacts").json()
    assert CONTACT + 20 in {r["toObjectId"] for r in deal_side["results"]}
    delete = f"/crm/objects/{v}/contacts/{CONTACT + 20}/associations/deals/30000000001"
    assert api.delete(delete).status_code == 204
    deal_side = api.get(f"/crm/objects/{v}/deals/30000000001/associations/contacts").json()
    assert CONTACT + 20 not in {r["toObjectId"] for r in deal_side["results"]}


def test_association_batch_archive_when_dated_then_200_batch_body_v4_204(api, v):
    def linked(contact: int) -> bool:
        rows = api.get(f"/crm/v4/objects/contacts/{contact}/associations/companies").json()
        return bool(rows["results"])

    def inputs(contact: int) -> dict:
        company = api.get(f"/crm/v4/objects/contacts/{contact}/associations/companies"
                          ).json()["results"][0]["toObjectId"]
        return {"inputs": [{"from": {"id": str(contact)}, "to": [{"id": str(company)}]}]}

    assert linked(CONTACT + 1) and linked(CONTACT + 2)
    dated = api.post(f"/crm/associations/{v}/contacts/companies/batch/archive",
                     json=inputs(CONTACT + 1))
    assert dated.status_code == 200
    body = dated.json()
    assert body["status"] == "COMPLETE" and body["results"] == []
    assert set(body) == {"status", "results", "startedAt", "completedAt"}
    assert not linked(CONTACT + 1)
    legacy = api.post("/crm/v4/associations/contacts/companies/batch/archive",
                      json=inputs(CONTACT + 2))
    assert legacy.status_code == 204 and legacy.content == b""
    assert not linked(CONTACT + 2)


# -- properties, owners, pipelines, schemas ------------------------------------------------------

def test_properties_when_dated_then_same_definitions_groups_and_one_by_name(api, v):
    props = api.get(f"/crm/properties/{v}/contacts").json()
    assert props == api.get("/crm/v3/properties/contacts").json()
    sensitive = api.get(f"/crm/properties/{v}/contacts", params={"dataSensitivity": "sensitive"})
    assert [p["name"] for p in sensitive.json()["results"]] == ["ssn_last4"]
    one = api.get(f"/crm/properties/{v}/contacts/favorite_color").json()
    assert one["type"] == "enumeration" and one["name"] == "favorite_color"
    groups = api.get(f"/crm/properties/{v}/contacts/groups").json()["results"]
    assert groups == api.get("/crm/v3/properties/contacts/groups").json()["results"]
    assert {g["name"] for g in groups} == {p["groupName"] for p in props["results"]}
    assert all(set(g) == {"name", "label", "displayOrder", "archived"} for g in groups)
    group = api.get(f"/crm/properties/{v}/contacts/groups/contactinformation").json()
    assert group["label"] == "Contact information"


def test_owners_when_dated_then_paged_like_v3_and_get_by_id(api, v):
    first = api.get(f"/crm/owners/{v}", params={"limit": 15}).json()
    assert first == api.get("/crm/v3/owners", params={"limit": 15}).json()
    second = api.get(f"/crm/owners/{v}/", params={"limit": 15,
                                                  "after": first["paging"]["next"]["after"]})
    assert len(first["results"] + second.json()["results"]) == 20
    owner = first["results"][3]
    assert api.get(f"/crm/owners/{v}/{owner['id']}").json() == owner


def test_pipelines_when_dated_then_same_pipelines_and_stages(api, v):
    pipelines = api.get(f"/crm/pipelines/{v}/deals").json()
    assert pipelines == api.get("/crm/v3/pipelines/deals").json()
    default = api.get(f"/crm/pipelines/{v}/deals/default").json()
    assert default["createdAt"] == "1970-01-01T00:00:00Z"
    stages = api.get(f"/crm/pipelines/{v}/deals/default/stages").json()["results"]
    assert stages[0]["id"] == "appointmentscheduled"
    stage = api.get(f"/crm/pipelines/{v}/tickets/0/stages/{stages[0]['id']}")
    assert stage.status_code == 404
    assert api.get(f"/crm/pipelines/{v}/deals/default/stages/closedwon").json()["id"] == \
        "closedwon"


def test_schemas_when_dated_then_same_as_both_legacy_paths_and_create_serves_type(api, v):
    listed = api.get(f"/crm-object-schemas/{v}/schemas").json()
    assert listed == api.get("/crm-object-schemas/v3/schemas").json() == \
        api.get("/crm/v3/schemas").json()
    pets = listed["results"][0]
    assert api.get(f"/crm-object-schemas/{v}/schemas/{pets['objectTypeId']}").json() == pets
    created = api.post(f"/crm-object-schemas/{v}/schemas",
                       json={"name": "cars", "labels": {"singular": "Car", "plural": "Cars"},
                             "primaryDisplayProperty": "model",
                             "properties": [{"name": "model", "type": "string"}]})
    assert created.status_code == 201
    type_id = created.json()["objectTypeId"]
    made = api.post(f"/crm/objects/{v}/{type_id}", json={"properties": {"model": "T"}})
    assert made.status_code == 201
    assert api.get(f"/crm/objects/{v}/{type_id}").json()["results"][0]["id"] == made.json()["id"]


def test_account_details_when_dated_then_same_as_legacy_and_token_required(api, emulator, v):
    from hubspot_emulator import PORTAL_ID

    details = api.get(f"/account-info/{v}/details").json()
    assert details == api.get("/account-info/v3/details").json()
    assert details["portalId"] == PORTAL_ID and details["accountType"] == "STANDARD"
    assert httpx.get(f"{emulator.url}/account-info/{v}/details").status_code == 401


# -- unknown versions and the edge --------------------------------------------------------------

@pytest.mark.parametrize("path", ["/crm/objects/2025-01/contacts", "/crm/objects/v9/contacts",
                                  "/crm/objects/2026-9/contacts",
                                  "/crm/associations/2025-03/contacts/companies/labels",
                                  "/crm/owners/2027-03", "/crm-object-schemas/v4/schemas",
                                  "/crm/properties/latest/contacts"])
def test_unknown_version_when_requested_then_answered_as_any_unknown_path(api, emulator, path):
    response = api.get(path)
    unknown = api.get("/crm/no-such-api/v3/thing")
    assert response.status_code == unknown.status_code == 404
    body = response.json()
    assert body == {"status": "error", "message": f"Unable to find {path}",
                    "correlationId": response.headers["X-HubSpot-Correlation-Id"],
                    "category": "OBJECT_NOT_FOUND"}
    assert set(body) == set(unknown.json())
    assert api.post(f"{path}/search", json={}).status_code == 404
    assert httpx.get(f"{emulator.url}{path}").status_code == 401  # auth first, as everywhere


def test_auth_and_414_when_dated_then_as_on_legacy_paths(emulator, api, v):
    response = httpx.get(f"{emulator.url}/crm/objects/{v}/contacts",
                         headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401 and response.json()["category"] == \
        "INVALID_AUTHENTICATION"
    assert response.headers["X-HubSpot-Auth-Failure"] == "401 Unauthorized"
    props = ",".join(f"property_{k}" for k in range(800))
    assert api.get(f"/crm/objects/{v}/contacts", params={"properties": props}).status_code \
        == 414
    assert httpx.get(f"{emulator.url}/crm/objects/{v}/contacts?properties={props}"
                     ).status_code == 414


def test_rate_limit_when_dated_then_one_budget_with_legacy_paths(api, emulator, v):
    # A window long enough for 100 requests on a loaded machine (the suite runs in parallel).
    emulator.control.set_rate_limit("starter", window_ms=4000)
    remaining = [int(api.get(path, params={"limit": 1}).headers["X-HubSpot-RateLimit-Remaining"])
                 for path in (f"/crm/objects/{v}/contacts", "/crm/v3/objects/contacts",
                              f"/crm/owners/{v}")]
    assert remaining == [99, 98, 97]
    statuses = [api.get(f"/crm/objects/{v}/contacts", params={"limit": 1}).status_code
                for _ in range(98)]
    assert statuses.count(200) == 97 and statuses[-1] == 429
    body = api.get(f"/crm/properties/{v}/contacts").json()
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    time.sleep(4.05)
    assert api.get(f"/crm/objects/{v}/contacts").status_code == 200


def test_search_when_dated_then_search_limiter_5_per_second_no_rate_headers(api, emulator, v):
    emulator.control.set_rate_limit("pro")
    paths = [f"/crm/objects/{v}/contacts/search", "/crm/v3/objects/contacts/search"] * 3
    responses = [api.post(p, json={"limit": 1}) for p in paths]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert responses[-1].json()["policyName"] == "SECONDLY"
    assert not any(h in r.headers for r in responses for h in RATE_HEADERS)
    listed = api.get(f"/crm/objects/{v}/contacts")
    assert listed.status_code == 200 and listed.headers["X-HubSpot-RateLimit-Remaining"] == "189"


def test_faults_when_dated_then_injected_like_legacy(api, emulator, v):
    emulator.control.set_faults(script=[{"kind": "503"}, {"kind": "429"}])
    assert api.get(f"/crm/objects/{v}/contacts").status_code == 503
    searched = api.post(f"/crm/objects/{v}/contacts/search", json={})
    assert searched.status_code == 429 and searched.json()["policyName"] == "SECONDLY"
    emulator.control.set_faults(rate=1.0, kinds=["500"],
                                match={"path_prefix": f"/crm/objects/{v}/"})
    assert api.get(f"/crm/objects/{v}/contacts").status_code == 500
    assert api.get("/crm/v3/objects/contacts").status_code == 200
    emulator.control.clear_faults()
    assert requests_by_path(emulator)[f"/crm/objects/{v}/contacts"] == 2
