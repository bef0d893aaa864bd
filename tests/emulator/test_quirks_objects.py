"""Object reads: list, get, batch read, auth, 414 (docs/hubspot-api.md#authentication, #paging,
#batch-reads, #errors)."""

from __future__ import annotations

import re

import httpx
import pytest
from upstream import listing

from .conftest import CONTACT

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# -- auth (docs/hubspot-api.md#authentication) -----------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "test-token"}])
def test_auth_when_token_missing_or_wrong_then_401_with_observed_body_and_headers(
        emulator, headers):
    response = httpx.get(f"{emulator.url}/crm/v3/objects/contacts", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["category"] == "INVALID_AUTHENTICATION" and body["status"] == "error"
    assert body["message"].startswith("Authentication credentials not found.")
    assert body["correlationId"] == response.headers["X-HubSpot-Correlation-Id"]
    assert response.headers["X-HubSpot-Auth-Failure"] == "401 Unauthorized"
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"


def test_control_health_when_called_without_token_then_allowed(emulator):
    assert httpx.get(f"{emulator.url}/_emulator/health").json()["status"] == "ok"


# -- list (docs/hubspot-api.md#paging) -------------------------------------------------------------

def test_list_when_no_properties_then_defaults_plus_system_properties(api):
    body = api.get("/crm/v3/objects/contacts").json()
    assert len(body["results"]) == 10  # default limit
    record = body["results"][0]
    assert set(record["properties"]) == {"firstname", "lastname", "email", "hs_object_id",
                                         "createdate", "lastmodifieddate"}
    assert set(record) == {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert record["properties"]["hs_object_id"] == record["id"]
    assert record["createdAt"] == record["properties"]["createdate"]
    assert record["updatedAt"] == record["properties"]["lastmodifieddate"]
    assert ISO_MS.match(record["createdAt"]) and ISO_MS.match(record["updatedAt"])


@pytest.mark.parametrize("type_name, modified", [("companies", "hs_lastmodifieddate"),
                                                  ("deals", "hs_lastmodifieddate"),
                                                  ("calls", "hs_lastmodifieddate")])
def test_list_when_not_contacts_then_last_modified_is_hs_lastmodifieddate(api, type_name,
                                                                           modified):
    record = api.get(f"/crm/v3/objects/{type_name}").json()["results"][0]
    assert record["updatedAt"] == record["properties"][modified]
    assert "lastmodifieddate" not in record["properties"]


def test_list_when_paging_to_the_end_then_ids_ascending_and_no_paging_on_last_page(api):
    records = listing(api, "/crm/v3/objects/contacts", {"limit": 7})
    ids = [int(r["id"]) for r in records]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert len(records) == 39  # 40 generated, one of them archived


def test_list_when_more_pages_then_after_is_next_id_and_link_repeats_query(api):
    body = api.get("/crm/v3/objects/contacts", params={"limit": 2, "properties": "email"}).json()
    nxt = body["paging"]["next"]
    assert nxt["after"] == str(int(body["results"][-1]["id"]) + 1)
    assert nxt["link"].endswith(f"/crm/v3/objects/contacts?limit=2&properties=email"
                                f"&after={nxt['after']}")


def test_list_when_limit_over_100_then_400_validation_error(api):
    response = api.get("/crm/v3/objects/contacts", params={"limit": 101})
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"
    assert api.get("/crm/v3/objects/contacts", params={"limit": 100}).status_code == 200


def test_properties_when_comma_separated_or_repeated_then_same_and_unknown_left_out(api):
    comma = api.get("/crm/v3/objects/contacts", params={"properties": "email,favorite_color,nope"})
    repeated = api.get("/crm/v3/objects/contacts?properties=email&properties=favorite_color"
                       "&properties=nope")
    assert comma.json()["results"] == repeated.json()["results"]
    props = comma.json()["results"][0]["properties"]
    assert set(props) == {"email", "favorite_color", "hs_object_id", "createdate",
                          "lastmodifieddate"}


def test_values_when_typed_properties_then_strings_or_null_and_multiselect_joined(api):
    names = [p["name"] for p in api.get("/crm/v3/properties/contacts").json()["results"]]
    records = listing(api, "/crm/v3/objects/contacts",
                      {"limit": 100, "properties": ",".join(names)})
    values = [v for r in records for v in r["properties"].values()]
    assert all(v is None or isinstance(v, str) for v in values)
    assert None in values
    assert {r["properties"]["is_vip"] for r in records} <= {"true", "false", None}
    assert any(";" in (r["properties"]["interests"] or "") for r in records)
    dates = [r["properties"]["signup_date"] for r in records if r["properties"]["signup_date"]]
    assert all(re.match(r"^\d{4}-\d\d-\d\d$", d) for d in dates)


def test_archived_true_when_listing_then_only_archived_records_with_archived_at(api):
    archived = listing(api, "/crm/v3/objects/contacts", {"archived": "true"})
    assert len(archived) == 1
    assert archived[0]["archived"] is True and ISO_MS.match(archived[0]["archivedAt"])
    live_ids = {r["id"] for r in listing(api, "/crm/v3/objects/contacts", {"limit": 100})}
    assert archived[0]["id"] not in live_ids


def test_sdk_style_boolean_when_archived_True_then_accepted(api):
    assert len(api.get("/crm/v3/objects/contacts?archived=True").json()["results"]) == 1


def test_associations_when_requested_then_v3_shape_repeated_per_label(api):
    body = api.get("/crm/v3/objects/contacts", params={"associations": "companies"}).json()
    linked = [r for r in body["results"] if "associations" in r]
    results = linked[0]["associations"]["companies"]["results"]
    assert {r["type"] for r in results} >= {"contact_to_company",
                                            "contact_to_company_unlabeled"}
    assert len({r["id"] for r in results}) == 1


def test_properties_with_history_when_requested_then_value_timestamp_source(api, emulator):
    emulator.control.update("contacts", CONTACT + 1, {"firstname": "Renamed"})
    body = api.get(f"/crm/v3/objects/contacts/{CONTACT + 1}",
                   params={"propertiesWithHistory": "firstname"}).json()
    history = body["propertiesWithHistory"]["firstname"]
    assert history[0]["value"] == "Renamed" and len(history) == 2
    assert {"value", "timestamp", "sourceType"} <= set(history[0])


def test_unknown_object_type_when_requested_then_400_unable_to_infer(api):
    response = api.get("/crm/v3/objects/unicorns")
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Unable to infer object type from: unicorns"
    assert "category" not in body


@pytest.mark.parametrize("alias", ["contacts", "contact", "0-1"])
def test_object_type_when_name_singular_or_type_id_then_same_records(api, alias):
    ids = [r["id"] for r in api.get(f"/crm/v3/objects/{alias}").json()["results"]]
    assert ids[0] == str(CONTACT + 1)


@pytest.mark.parametrize("alias", ["pets", "2-3508482", "p24681357_pets"])
def test_custom_object_when_addressed_by_name_id_or_fqn_then_served(api, alias):
    record = api.get(f"/crm/v3/objects/{alias}").json()["results"][0]
    assert {"hs_object_id", "hs_createdate", "hs_lastmodifieddate", "pet_name"} <= set(
        record["properties"])


# -- get by id (docs/hubspot-api.md#batch-reads) ---------------------------------------------------

def test_get_when_missing_then_404_message_with_two_spaces(api):
    response = api.get("/crm/v3/objects/contacts/12345")
    assert response.status_code == 404
    body = response.json()
    assert body["message"] == "Object not found.  objectId are usually numeric."
    assert body["category"] == "OBJECT_NOT_FOUND" and body["context"] == {"id": ["12345"]}


def test_get_when_id_property_email_then_found(api):
    record = api.get(f"/crm/v3/objects/contacts/{CONTACT + 2}").json()
    email = record["properties"]["email"]
    by_email = api.get(f"/crm/v3/objects/contacts/{email}", params={"idProperty": "email"})
    assert by_email.json()["id"] == record["id"]


def test_get_when_archived_record_then_404_unless_archived_true(api):
    archived_id = api.get("/crm/v3/objects/contacts?archived=true").json()["results"][0]["id"]
    assert api.get(f"/crm/v3/objects/contacts/{archived_id}").status_code == 404
    again = api.get(f"/crm/v3/objects/contacts/{archived_id}?archived=true").json()
    assert again["archived"] is True


# -- batch read (docs/hubspot-api.md#batch-reads) --------------------------------------------------

def test_batch_read_when_some_ids_missing_then_207_with_object_not_found(api):
    inputs = [{"id": str(CONTACT + 1)}, {"id": "999"}, {"id": "998"}]
    response = api.post("/crm/v3/objects/contacts/batch/read",
                        json={"inputs": inputs, "properties": ["email"]})
    assert response.status_code == 207
    body = response.json()
    assert body["status"] == "COMPLETE" and len(body["results"]) == 1
    assert body["numErrors"] == 1
    error = body["errors"][0]
    assert error["category"] == "OBJECT_NOT_FOUND" and error["context"] == {"ids": ["999", "998"]}
    assert error["message"].startswith("Could not get some CONTACT objects")


def test_batch_read_when_all_found_then_200_complete(api):
    inputs = [{"id": str(CONTACT + k)} for k in (1, 2, 3)]
    response = api.post("/crm/v3/objects/contacts/batch/read", json={"inputs": inputs})
    assert response.status_code == 200 and len(response.json()["results"]) == 3


def test_batch_read_when_over_100_inputs_then_400(api):
    inputs = [{"id": str(CONTACT + k)} for k in range(101)]
    response = api.post("/crm/v3/objects/contacts/batch/read", json={"inputs": inputs})
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"


def test_batch_read_when_archived_param_then_only_archived(api):
    archived_id = api.get("/crm/v3/objects/contacts?archived=true").json()["results"][0]["id"]
    inputs = [{"id": archived_id}, {"id": str(CONTACT + 1)}]
    body = api.post("/crm/v3/objects/contacts/batch/read?archived=true",
                    json={"inputs": inputs}).json()
    assert [r["id"] for r in body["results"]] == [archived_id]


def test_invalid_json_body_when_posted_then_400_without_category(api):
    response = api.post("/crm/v3/objects/contacts/batch/read", content=b"{nope",
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid input JSON")


# -- 414 (docs/hubspot-api.md#errors) --------------------------------------------------------------

def test_long_url_when_over_max_length_then_414_before_auth(emulator, api):
    props = ",".join(f"property_{k}" for k in range(800))
    assert api.get("/crm/v3/objects/contacts", params={"properties": props}).status_code == 414
    assert httpx.get(f"{emulator.url}/crm/v3/objects/contacts?properties={props}").status_code \
        == 414
    emulator.control.reset(contacts=40, max_url_length=20_000)
    assert api.get("/crm/v3/objects/contacts", params={"properties": props}).status_code == 200


def test_properties_with_history_when_listing_then_pages_capped_at_50(api, emulator):
    emulator.control.reset(contacts=200)
    body = api.get("/crm/v3/objects/contacts",
                   params={"limit": 100, "propertiesWithHistory": "email"}).json()
    assert len(body["results"]) == 50 and "paging" in body
    assert all("propertiesWithHistory" in r for r in body["results"])
