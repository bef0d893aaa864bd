"""Properties, owners, pipelines, associations v4 and schemas (docs/hubspot-api.md#definitions,
#associations)."""

from __future__ import annotations

import pytest
from upstream import listing

from .conftest import COMPANY, CONTACT

REQUIRED = {"name", "label", "type", "fieldType", "groupName", "description", "options"}


def test_properties_when_listed_then_required_fields_custom_and_hubspot_defined(api):
    props = api.get("/crm/v3/properties/contacts").json()["results"]
    assert len(props) in range(55, 76)
    assert all(set(p) >= REQUIRED for p in props)
    custom = [p for p in props if not p["hubspotDefined"]]
    assert len(custom) >= 20
    by_name = {p["name"]: p for p in props}
    assert by_name["favorite_color"]["type"] == "enumeration"
    assert by_name["interests"]["fieldType"] == "checkbox"
    assert by_name["nps_score"]["type"] == "number"
    assert by_name["signup_date"]["type"] == "date"
    assert by_name["is_vip"]["fieldType"] == "booleancheckbox"
    assert by_name["lastmodifieddate"]["modificationMetadata"]["readOnlyValue"] is True
    assert "ssn_last4" not in by_name  # sensitive: only with dataSensitivity=sensitive


def test_properties_when_archived_or_sensitive_asked_then_only_those(api):
    archived = api.get("/crm/v3/properties/contacts?archived=true").json()["results"]
    assert archived and all(p["archived"] for p in archived)
    sensitive = api.get("/crm/v3/properties/contacts?dataSensitivity=sensitive").json()
    assert [p["name"] for p in sensitive["results"]] == ["ssn_last4"]


@pytest.mark.parametrize("type_name", ["companies", "deals", "tickets", "products", "line_items",
                                       "calls", "emails", "meetings", "notes", "tasks", "pets"])
def test_properties_when_other_types_then_many_with_at_least_20_custom(api, type_name):
    props = api.get(f"/crm/v3/properties/{type_name}").json()["results"]
    assert len(props) >= 30 and sum(not p["hubspotDefined"] for p in props) >= 20


def test_owners_when_paged_then_all_active_and_archived_separately(api):
    first = api.get("/crm/v3/owners", params={"limit": 15}).json()
    second = api.get("/crm/v3/owners", params={"limit": 15,
                                               "after": first["paging"]["next"]["after"]}).json()
    active = first["results"] + second["results"]
    assert len(active) == 20 and "paging" not in second
    assert {"id", "email", "firstName", "lastName", "userId", "type", "teams"} <= set(active[0])
    archived = api.get("/crm/v3/owners", params={"archived": "true"}).json()["results"]
    assert archived and all(o["archived"] for o in archived)
    one = api.get(f"/crm/v3/owners/{active[3]['id']}").json()
    assert one == active[3]


def test_pipelines_when_deals_then_default_with_documented_stages_and_epoch_zero(api):
    pipelines = api.get("/crm/v3/pipelines/deals").json()["results"]
    default = pipelines[0]
    assert default["id"] == "default" and default["createdAt"] == "1970-01-01T00:00:00Z"
    assert [s["id"] for s in default["stages"]] == [
        "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
        "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"]
    assert default["stages"][0]["metadata"] == {"isClosed": "false", "probability": "0.2"}
    assert len(pipelines) == 2


def test_pipelines_when_tickets_then_pipeline_0_with_ticket_state(api):
    pipelines = api.get("/crm/v3/pipelines/tickets").json()["results"]
    assert pipelines[0]["id"] == "0"
    assert pipelines[0]["stages"][0]["metadata"] == {"ticketState": "OPEN", "isClosed": "false"}


def test_deals_when_listed_then_pipeline_and_stage_are_consistent(api):
    stages = {p["id"]: {s["id"] for s in p["stages"]}
              for p in api.get("/crm/v3/pipelines/deals").json()["results"]}
    deals = api.get("/crm/v3/objects/deals", params={"limit": 100}).json()["results"]
    assert all(d["properties"]["dealstage"] in stages[d["properties"]["pipeline"]]
               for d in deals)


def test_v4_batch_read_when_companies_to_contacts_then_numbers_and_types(api):
    body = api.post("/crm/v4/associations/companies/contacts/batch/read",
                    json={"inputs": [{"id": str(COMPANY + 1)}]}).json()
    result = body["results"][0]
    assert result["from"] == {"id": str(COMPANY + 1)}
    target = result["to"][0]
    assert isinstance(target["toObjectId"], int)
    assert {"category": "HUBSPOT_DEFINED", "typeId": 280, "label": None} in target[
        "associationTypes"]


def test_v4_batch_read_when_over_1000_inputs_then_400(api):
    inputs = [{"id": str(COMPANY + k)} for k in range(1001)]
    response = api.post("/crm/v4/associations/companies/contacts/batch/read",
                        json={"inputs": inputs})
    assert response.status_code == 400


def test_v4_list_when_many_then_paged_per_object(api, emulator):
    emulator.control.reset(contacts=3000)
    rows = listing(api, f"/crm/v4/objects/companies/{COMPANY + 1}/associations/contacts",
                   {"limit": 100})
    ids = [r["toObjectId"] for r in rows]
    assert len(ids) > 1 and ids == sorted(set(ids))
    assert api.get(f"/crm/v4/objects/companies/{COMPANY + 1}/associations/contacts",
                   params={"limit": 501}).status_code == 400


def test_associations_when_read_from_both_sides_then_consistent(api):
    contact_side = api.get(f"/crm/v4/objects/contacts/{CONTACT + 3}/associations/companies")
    company_id = contact_side.json()["results"][0]["toObjectId"]
    company_side = api.get(f"/crm/v4/objects/companies/{company_id}/associations/contacts")
    assert CONTACT + 3 in {r["toObjectId"] for r in company_side.json()["results"]}


def test_association_when_put_and_deleted_then_visible_from_both_sides(api):
    path = f"/crm/v4/objects/deals/30000000001/associations/default/contacts/{CONTACT + 20}"
    assert api.put(path).status_code == 200
    deal_side = api.get("/crm/v4/objects/deals/30000000001/associations/contacts").json()
    assert CONTACT + 20 in {r["toObjectId"] for r in deal_side["results"]}
    contact_side = api.get(f"/crm/v4/objects/contacts/{CONTACT + 20}/associations/deals").json()
    assert 30000000001 in {r["toObjectId"] for r in contact_side["results"]}
    delete = f"/crm/v4/objects/contacts/{CONTACT + 20}/associations/deals/30000000001"
    assert api.delete(delete).status_code == 204
    deal_side = api.get("/crm/v4/objects/deals/30000000001/associations/contacts").json()
    assert CONTACT + 20 not in {r["toObjectId"] for r in deal_side["results"]}


def test_association_labels_when_contact_to_company_then_primary_unlabeled_and_user_defined(
        api):
    rows = api.get("/crm/v4/associations/contacts/companies/labels").json()["results"]
    assert {(r["category"], r["typeId"]) for r in rows} >= {("HUBSPOT_DEFINED", 1),
                                                           ("HUBSPOT_DEFINED", 279)}
    assert any(r["category"] == "USER_DEFINED" and r["label"] for r in rows)


@pytest.mark.parametrize("path", ["/crm/v3/schemas", "/crm-object-schemas/v3/schemas"])
def test_schemas_when_listed_then_custom_object_with_fqn(api, path):
    schema = api.get(path).json()["results"][0]
    assert schema["objectTypeId"] == "2-3508482" and schema["fullyQualifiedName"].endswith(
        "_pets")
    assert api.get(f"{path}/pets").json()["objectTypeId"] == "2-3508482"


def test_schema_when_created_then_new_type_served_and_writable(api):
    body = {"name": "cars", "labels": {"singular": "Car", "plural": "Cars"},
            "primaryDisplayProperty": "model", "requiredProperties": ["model"],
            "properties": [{"name": "model", "label": "Model", "type": "string",
                            "fieldType": "text"}], "associatedObjects": ["CONTACT"]}
    created = api.post("/crm/v3/schemas", json=body)
    assert created.status_code == 201
    type_id = created.json()["objectTypeId"]
    assert api.get("/crm/v3/objects/cars").json()["results"] == []
    record = api.post(f"/crm/v3/objects/{type_id}", json={"properties": {"model": "T"}}).json()
    assert api.get(f"/crm/v3/objects/cars/{record['id']}").json()["properties"]["model"] == "T"
    names = {p["name"] for p in api.get("/crm/v3/properties/cars").json()["results"]}
    assert {"model", "hs_object_id", "hs_createdate", "hs_lastmodifieddate"} <= names
    assert len(api.get("/crm/v3/schemas").json()["results"]) == 2
