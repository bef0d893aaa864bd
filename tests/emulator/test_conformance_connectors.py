"""Conformance: the calls public HubSpot connectors make, answered in HubSpot's shapes.

Each test replays one request a connector sends (read from its source: Airbyte
`source-hubspot` manifest/components, MeltanoLabs `tap-hubspot`, dlt `verified-sources/hubspot`,
singer-io `tap-hubspot`), with the connector's own parameters, and asserts what the connector
reads from the answer: status, top-level keys, paging keys, a record's or a property's fields.
The object-type tests pin that every documented standard type is answered (issue 15, part 4).
"""

from __future__ import annotations

import pytest
from upstream import listing, pages

from hubspot_emulator.standard_types import STANDARD_TYPES
from hubspot_emulator.timeutil import FIXED_EPOCH_MS

from .conftest import COMPANY, CONTACT

pytestmark = pytest.mark.emulator

DEAL = 30_000_000_000
LEGACY_PROPERTY = {"name", "label", "description", "groupName", "type", "fieldType", "options",
                   "displayOrder", "formField", "readOnlyValue", "readOnlyDefinition", "hidden",
                   "calculated", "externalOptions", "deleted", "hubspotDefined", "createdAt",
                   "updatedAt"}
SYSTEM = {"hs_object_id", "hs_createdate", "hs_lastmodifieddate"}
ENGAGEMENTS = ("calls", "emails", "meetings", "notes", "tasks")


def all_live_ids(api, type_name: str) -> list[int]:
    return [int(r["id"]) for r in listing(api, f"/crm/v3/objects/{type_name}", {"limit": 100})]


# -- object types: every documented standard type resolves ----------------------------------

@pytest.mark.parametrize("std", STANDARD_TYPES, ids=lambda s: s.name)
def test_standard_type_when_named_by_plural_singular_or_id_then_properties_answered(api, std):
    names = [std.name, std.singular] + ([std.type_id] if std.type_id else [])
    for name in names:
        answer = api.get(f"/crm/v3/properties/{name}")
        assert answer.status_code == 200, name
        assert {p["name"] for p in answer.json()["results"]} >= SYSTEM
        listed = api.get(f"/crm/v3/objects/{name}", params={"limit": 1})
        assert listed.status_code == 200 and isinstance(listed.json()["results"], list)


def test_unseeded_type_when_listed_then_empty_page_and_only_system_properties(api, emulator):
    counts = emulator.control.health()["counts"]
    empty = [s.name for s in STANDARD_TYPES if counts.get(s.name) == 0]
    assert "deal_splits" in empty  # HubSpot documents no id and nothing seeds it
    for name in empty:
        assert api.get(f"/crm/v3/objects/{name}").json() == {"results": []}
        props = api.get(f"/crm/v3/properties/{name}").json()["results"]
        assert {p["name"] for p in props} == SYSTEM


def test_aliases_when_goals_payments_or_p_name_then_same_type_as_api_name(api):
    for alias, name in (("goals", "goal_targets"), ("payments", "commerce_payments"),
                        ("p_pets", "pets")):
        assert api.get(f"/crm/v3/objects/{alias}").json() == \
            api.get(f"/crm/v3/objects/{name}").json()
    assert api.get("/crm/v3/objects/p_contacts").status_code == 400  # p_ names custom objects


def test_unknown_type_when_path_names_it_then_still_400_unable_to_infer(api):
    answer = api.get("/crm/v3/properties/not_a_type")
    assert answer.status_code == 400
    assert answer.json()["message"] == "Unable to infer object type from: not_a_type"


def test_v4_association_reads_when_valid_type_has_no_links_then_empty_not_error(api):
    one = api.get(f"/crm/v4/objects/contacts/{CONTACT + 1}/associations/deal_splits")
    assert one.status_code == 200 and one.json()["results"] == []
    batch = api.post("/crm/v4/associations/contacts/deal_splits/batch/read",
                     json={"inputs": [{"id": str(CONTACT + 1)}]})
    assert batch.status_code == 200
    assert batch.json()["results"] == [{"from": {"id": str(CONTACT + 1)}, "to": []}]


# -- associations= on list and get ------------------------------------------------------------

def test_associations_when_unknown_or_empty_types_named_then_ignored(api):
    answer = api.get("/crm/v3/objects/contacts",
                     params={"associations": "companies,conversations,nope,deal_splits"})
    assert answer.status_code == 200
    keys = {k for r in answer.json()["results"] for k in r.get("associations", {})}
    assert keys == {"companies"}


def test_associations_when_airbyte_list_literal_then_names_inside_it_used(api):
    # Airbyte's deals_archived stream sends `associations: "['contacts', 'companies', …]"`.
    answer = api.get("/crm/v3/objects/deals", params={
        "associations": "['contacts', 'companies', 'line_items']", "limit": 20})
    assert answer.status_code == 200
    keys = {k for r in answer.json()["results"] for k in r.get("associations", {})}
    assert keys == {"contacts", "companies", "line_items"}


def test_get_when_associations_include_valid_empty_type_then_record_answered(api):
    answer = api.get(f"/crm/v3/objects/contacts/{CONTACT + 1}",
                     params={"associations": "deal_splits,companies"})
    assert answer.status_code == 200 and "companies" in answer.json()["associations"]


# -- dlt verified-sources hubspot ---------------------------------------------------------------

DLT_DEFAULTS = {  # settings.py ENTITY_PROPERTIES: dlt raises if one does not exist
    "companies": {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"},
    "contacts": {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                 "lastname"},
    "deals": {"amount", "closedate", "createdate", "dealname", "dealstage",
              "hs_lastmodifieddate", "hs_object_id", "pipeline"},
    "tickets": {"createdate", "content", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline",
                "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject"},
    "products": {"createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name",
                 "price"},
    "quotes": {"hs_createdate", "hs_expiration_date", "hs_lastmodifieddate", "hs_object_id",
               "hs_public_url_key", "hs_status", "hs_title"},
}


@pytest.mark.parametrize("type_name", sorted(DLT_DEFAULTS))
def test_dlt_properties_when_read_then_every_default_property_exists(api, type_name):
    props = api.get(f"/crm/v3/properties/{type_name}").json()["results"]
    assert DLT_DEFAULTS[type_name] <= {p["name"] for p in props}
    assert all({"name", "type"} <= set(p) for p in props)


@pytest.mark.parametrize("type_name,assoc", [
    ("contacts", "deals,products,tickets,quotes"),
    ("companies", "contacts,deals,products,tickets,quotes")])
def test_dlt_list_when_associations_include_quotes_then_all_pages_by_link(api, type_name, assoc):
    params = {"associations": assoc, "properties": ",".join(sorted(DLT_DEFAULTS[type_name])),
              "limit": 10}
    page = api.get(f"/crm/v3/objects/{type_name}", params=params).json()
    seen = []
    while True:
        seen += [int(r["id"]) for r in page["results"]]
        link = page.get("paging", {}).get("next", {}).get("link")
        if not link:
            break
        page = api.get(link).json()  # dlt follows `link` as is
    assert seen == all_live_ids(api, type_name)


@pytest.mark.parametrize("type_name,names", [("contacts", "email,firstname"),
                                             ("quotes", "hs_title,hs_status")])
def test_dlt_history_when_limit_50_then_entries_per_property(api, type_name, names):
    answer = api.get(f"/crm/v3/objects/{type_name}",
                     params={"propertiesWithHistory": names, "limit": 50})
    assert answer.status_code == 200
    for record in answer.json()["results"]:
        for entries in record["propertiesWithHistory"].values():
            assert all({"value", "timestamp", "sourceType"} <= set(e) for e in entries)


def test_dlt_owners_when_slash_path_and_archived_true_then_results(api):
    assert api.get("/crm/v3/owners/").json()["results"]
    archived = api.get("/crm/v3/owners/", params={"archived": "True"}).json()["results"]
    assert archived and all(o["archived"] for o in archived)


# -- MeltanoLabs tap-hubspot ------------------------------------------------------------------

MELTANO_PROPERTY_TYPES = ("tickets", "deals", "contacts", "company", "product", "line_item",
                          "email", "postal_mail", "goal_targets", "call", "meeting", "task",
                          "communication", "notes", "communications", "feedback_submissions")


@pytest.mark.parametrize("type_name", MELTANO_PROPERTY_TYPES)
def test_meltano_properties_when_stream_name_used_then_results_with_name_and_type(api, type_name):
    answer = api.get(f"/crm/v3/properties/{type_name}")
    assert answer.status_code == 200
    assert all({"name", "type", "label", "fieldType"} <= set(p)
               for p in answer.json()["results"])


@pytest.mark.parametrize("type_name", ("communications", "postal_mail", "goal_targets",
                                       "quotes", "feedback_submissions"))
def test_meltano_list_when_sort_and_order_by_sent_then_ignored_and_paged(api, type_name):
    answer = api.get(f"/crm/v3/objects/{type_name}", params={
        "limit": 100, "sort": "asc", "order_by": "hs_lastmodifieddate"})
    assert answer.status_code == 200 and "results" in answer.json()


def test_meltano_search_when_incremental_on_communications_then_total_and_results(api):
    body = {"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate",
                                           "operator": "GTE", "value": "0"}]}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "limit": 100, "properties": ["hs_communication_body"]}
    answer = api.post("/crm/v3/objects/communications/search", json=body).json()
    assert answer["total"] == len(all_live_ids(api, "communications"))


@pytest.mark.parametrize("type_name,state_key", [("deals", "probability"),
                                                 ("tickets", "ticketState")])
def test_meltano_crm_pipelines_v1_when_read_then_results_in_v1_shape(api, type_name, state_key):
    # Also Airbyte's deal_pipelines stream (`/crm-pipelines/v1/pipelines/deals`).
    results = api.get(f"/crm-pipelines/v1/pipelines/{type_name}").json()["results"]
    pipeline = results[0]
    assert {"pipelineId", "label", "displayOrder", "active", "stages", "objectType",
            "objectTypeId", "createdAt", "updatedAt", "default"} <= set(pipeline)
    stage = pipeline["stages"][0]
    assert {"stageId", "label", "displayOrder", "metadata", "active"} <= set(stage)
    assert state_key in stage["metadata"] and isinstance(pipeline["createdAt"], int)


# -- Airbyte source-hubspot ---------------------------------------------------------------------

AIRBYTE_ENTITIES = ("calls", "company", "contact", "deal", "deal_split", "emails", "form",
                    "goal_targets", "leads", "line_item", "meetings", "notes", "tasks",
                    "product", "ticket", "companies", "contacts", "deals")
AIRBYTE_TYPES = {"bool", "date", "datetime", "date-time", "enumeration", "json", "number",
                 "object_coordinates", "phone_number", "string"}


@pytest.mark.parametrize("entity", AIRBYTE_ENTITIES)
def test_airbyte_properties_v2_when_read_then_bare_array_of_legacy_properties(api, entity):
    answer = api.get(f"/properties/v2/{entity}/properties")
    assert answer.status_code == 200
    props = answer.json()
    assert isinstance(props, list)
    assert all(set(p) >= LEGACY_PROPERTY and p["type"] in AIRBYTE_TYPES for p in props)
    # Never empty: Airbyte's CDK cannot build the forms stream's schema from an empty list.
    assert props and len({p["name"] for p in props}) == len(props)


@pytest.mark.parametrize("entity,assoc", [
    ("contact", ["contacts", "companies"]), ("company", ["contacts"]),
    ("deal", ["companies", "contacts", "line_items"]), ("ticket", ["companies", "contacts"]),
    ("calls", ["companies", "contacts", "deals", "tickets"]), ("leads", ["companies"]),
    ("deal_split", []), ("goal_targets", []), ("product", []), ("line_item", [])])
def test_airbyte_full_refresh_when_singular_entity_and_repeated_associations_then_ok(
        api, entity, assoc):
    names = [p["name"] for p in api.get(f"/properties/v2/{entity}/properties").json()]
    params = [("archived", "false"), ("properties", ",".join(names)), ("limit", "100")]
    answer = api.get(f"/crm/v3/objects/{entity}",
                     params=params + [("associations", a) for a in assoc])
    assert answer.status_code == 200 and isinstance(answer.json()["results"], list)


@pytest.mark.parametrize("entity,assoc", [("contact", "contacts"), ("company", "contacts"),
                                          ("deal", "line_items"), ("leads", "companies"),
                                          ("calls", "tickets")])
def test_airbyte_associations_batch_read_when_singular_entity_then_v4_shape(api, entity, assoc):
    ids = [{"id": r["id"]} for r in api.get(f"/crm/v3/objects/{entity}").json()["results"]]
    answer = api.post(f"/crm/v4/associations/{entity}/{assoc}/batch/read",
                      json={"inputs": ids})
    assert answer.status_code == 200
    assert all({"from", "to"} <= set(r) for r in answer.json()["results"])


def test_airbyte_search_when_top_level_filters_then_anded_like_one_group(api):
    # Airbyte's incremental body: `filters` at the top (HubSpot ANDs them), no filterGroups.
    body = {"limit": 200, "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "0"},
                        {"propertyName": "hs_object_id", "operator": "GTE",
                         "value": str(CONTACT + 30)}],
            "properties": ["email"], "after": 0}
    answer = api.post("/crm/v3/objects/contact/search", json=body).json()
    expected = [i for i in all_live_ids(api, "contacts") if i >= CONTACT + 30]
    assert [int(r["id"]) for r in answer["results"]] == expected
    assert answer["total"] == len(expected)


def test_search_when_top_level_filters_and_groups_then_filters_join_every_group(api):
    groups = [{"filters": [{"propertyName": "hs_object_id", "operator": "LTE",
                            "value": str(CONTACT + 5)}]},
              {"filters": [{"propertyName": "hs_object_id", "operator": "GTE",
                            "value": str(CONTACT + 35)}]}]
    top = [{"propertyName": "hs_object_id", "operator": "NEQ", "value": str(CONTACT + 1)}]
    answer = api.post("/crm/v3/objects/contacts/search",
                      json={"filterGroups": groups, "filters": top, "limit": 100}).json()
    expected = [i for i in all_live_ids(api, "contacts")
                if i != CONTACT + 1 and (i <= CONTACT + 5 or i >= CONTACT + 35)]
    assert [int(r["id"]) for r in answer["results"]] == expected


def test_airbyte_engagements_paged_when_count_sent_then_limit_default_and_offset_paging(api):
    # Airbyte sends `count=250`; `/paged` reads `limit` (default 100), so pages hold 100.
    seen = []
    for page in pages(api, "/engagements/v1/engagements/paged", {"count": 250}):
        assert set(page) == {"results", "hasMore", "offset"} and len(page["results"]) <= 100
        seen += [r["engagement"]["id"] for r in page["results"]]
    assert seen == sorted(i for t in ENGAGEMENTS for i in all_live_ids(api, t))


def test_airbyte_engagements_recent_when_since_given_then_newest_first_with_total(emulator,
                                                                                 api):
    emulator.control.set_clock(FIXED_EPOCH_MS)  # the seeded data ends here
    since = FIXED_EPOCH_MS - 20 * 86_400_000
    page = api.get("/engagements/v1/engagements/recent/modified",
                   params={"count": 250, "since": since}).json()
    assert {"results", "hasMore", "offset", "total"} <= set(page)
    updated = [r["engagement"]["lastUpdated"] for r in page["results"]]
    assert updated == sorted(updated, reverse=True) and all(u >= since for u in updated)
    assert len(updated) == min(100, page["total"]) and page["total"] > 0


def test_airbyte_custom_objects_when_schemas_then_p_fqn_entity_listed(api):
    schema = api.get("/crm/v3/schemas").json()["results"][0]
    entity = schema["fullyQualifiedName"] or "p_" + schema["name"]
    assert api.get(f"/crm/v3/objects/{entity}").status_code == 200
    assert api.get(f"/crm/v3/objects/p_{schema['name']}").status_code == 200


# -- singer-io tap-hubspot ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/companies/v2/properties", "/properties/v1/deals/properties",
                                  "/properties/v1/contacts/properties"])
def test_singer_properties_when_legacy_path_then_bare_array(api, path):
    props = api.get(path).json()
    assert isinstance(props, list) and props
    assert all(set(p) >= LEGACY_PROPERTY for p in props)
    assert all(isinstance(p["createdAt"], int) for p in props)


def test_singer_property_when_named_then_one_definition_or_404(api):
    assert api.get("/properties/v1/contacts/properties/named/email").json()["name"] == "email"
    assert api.get("/properties/v1/contacts/properties/named/nope").status_code == 404


def test_singer_companies_paged_when_offset_followed_then_every_company_once(api):
    seen, params = [], {"limit": 7, "properties": ["createdate", "hs_lastmodifieddate"]}
    for page in pages(api, "/companies/v2/companies/paged", params):
        assert set(page) == {"companies", "has-more", "offset"}
        for row in page["companies"]:
            modified = row["properties"]["hs_lastmodifieddate"]
            assert isinstance(modified["timestamp"], int) and modified["value"].isdigit()
        seen += [row["companyId"] for row in page["companies"]]
    assert seen == all_live_ids(api, "companies")


def test_singer_company_detail_when_read_then_every_valued_property_with_versions(api):
    company = api.get(f"/companies/v2/companies/{COMPANY + 1}").json()
    v3 = api.get(f"/crm/v3/objects/companies/{COMPANY + 1}", params={"properties": "name"})
    name = company["properties"]["name"]
    assert name["value"] == v3.json()["properties"]["name"]
    assert {"value", "timestamp", "source", "sourceId", "versions"} <= set(name)
    assert {"name", "value", "timestamp", "source", "sourceVid"} <= set(name["versions"][0])
    assert api.get("/companies/v2/companies/999").status_code == 404


def test_singer_legacy_values_when_datetime_then_epoch_ms_strings(api):
    v3 = api.get(f"/crm/v3/objects/companies/{COMPANY + 1}").json()
    legacy = api.get(f"/companies/v2/companies/{COMPANY + 1}").json()["properties"]
    assert legacy["createdate"]["value"] == str(_ms(v3["createdAt"]))
    assert legacy["hs_lastmodifieddate"]["timestamp"] == _ms(v3["updatedAt"])


def _ms(iso: str) -> int:
    from hubspot_emulator.timeutil import parse_time_ms

    return parse_time_ms(iso)


def test_singer_contacts_by_company_when_v3_batch_read_then_from_to_shape(api):
    body = {"inputs": [{"id": str(COMPANY + 1)}, {"id": "1"}]}
    answer = api.post("/crm/v3/associations/company/contact/batch/read", json=body)
    assert answer.status_code == 207 and answer.json()["numErrors"] == 1
    row = answer.json()["results"][0]
    v4 = api.get(f"/crm/v4/objects/companies/{COMPANY + 1}/associations/contacts").json()
    assert row["from"] == {"id": str(COMPANY + 1)}
    assert {int(t["id"]) for t in row["to"]} == {r["toObjectId"] for r in v4["results"]}
    assert all(t["type"].startswith("company_to_contact") for t in row["to"])


def test_singer_deals_paged_when_all_properties_and_associations_then_v1_shape(api):
    params = {"limit": 100, "includeAssociations": "True", "includeAllProperties": "True",
              "allPropertiesFetchMode": "latest_version"}
    page = api.get("/deals/v1/deal/paged", params=params).json()
    assert set(page) == {"deals", "hasMore", "offset"} and page["hasMore"] is False
    deal = page["deals"][0]
    assert {"portalId", "dealId", "isDeleted", "properties", "associations"} <= set(deal)
    assert set(deal["associations"]) == {"associatedVids", "associatedCompanyIds",
                                         "associatedDealIds", "associatedTicketIds"}
    assert "timestamp" in deal["properties"]["hs_lastmodifieddate"]
    assert [d["dealId"] for d in page["deals"]] == all_live_ids(api, "deals")


def test_singer_deals_v3_batch_read_when_v1_ids_then_hs_v2_fields_readable(api):
    ids = [{"id": str(DEAL + k)} for k in (1, 2)]
    answer = api.post("/crm/v3/objects/deals/batch/read",
                      json={"inputs": ids, "properties": ["dealstage"]})
    assert answer.status_code == 200 and len(answer.json()["results"]) == 2


def test_singer_deal_pipelines_when_v1_then_bare_array_with_stage_probability(api):
    pipelines = api.get("/deals/v1/pipelines").json()
    assert isinstance(pipelines, list) and pipelines[0]["pipelineId"] == "default"
    stage = pipelines[0]["stages"][0]
    assert {"stageId", "label", "probability", "active", "displayOrder", "closedWon"} <= set(stage)
    assert isinstance(stage["probability"], float)


def test_singer_engagements_when_paged_then_engagement_associations_metadata(api):
    page = api.get("/engagements/v1/engagements/paged", params={"limit": 190}).json()
    row = page["results"][0]
    assert set(row) == {"engagement", "associations", "attachments", "metadata"}
    assert {"id", "portalId", "active", "createdAt", "lastUpdated", "type",
            "timestamp"} <= set(row["engagement"])
    assert {"contactIds", "companyIds", "dealIds", "ownerIds", "workflowIds",
            "ticketIds"} == set(row["associations"])
    kinds = {r["engagement"]["type"] for r in page["results"]}
    assert {"CALL", "MEETING", "NOTE", "TASK"} <= kinds


def test_singer_engagements_modified_after_when_cursor_followed_then_every_one_in_order(api):
    # tap-hubspot 4.5: `after` = start-date epoch ms, then the cursor each answer returns.
    seen, params = [], {"limit": 190, "after": 946684800000}
    for page in pages(api, "/engagements/v1/engagements/modified/after", params):
        assert set(page) == {"results", "hasMore", "after"}
        seen += [(r["engagement"]["lastUpdated"], r["engagement"]["id"]) for r in page["results"]]
    assert seen == sorted(seen)
    assert sorted(i for _, i in seen) == sorted(i for t in ENGAGEMENTS
                                                for i in all_live_ids(api, t))
    again = api.get("/engagements/v1/engagements/modified/after",
                    params={"after": page["after"]}).json()
    assert again == {"results": [], "hasMore": False, "after": page["after"]}


def test_singer_engagements_modified_after_when_written_then_it_comes_last(api):
    note = api.post("/crm/v3/objects/notes", json={"properties": {
        "hs_note_body": "new", "hs_timestamp": "2026-01-02T00:00:00.000Z"}}).json()
    page = api.get("/engagements/v1/engagements/modified/after",
                   params={"limit": 250, "after": FIXED_EPOCH_MS - 86_400_000}).json()
    assert page["results"][-1]["engagement"]["id"] == int(note["id"])
    assert page["results"][-1]["metadata"] == {"body": "new"}


def test_singer_contacts_v1_when_vid_offset_paged_then_every_contact_once(api):
    seen, params = [], {"showListMemberships": "True", "includeVersion": "True", "count": 15}
    for page in pages(api, "/contacts/v1/lists/all/contacts/all", params):
        assert set(page) == {"contacts", "has-more", "vid-offset"}
        seen += [c["vid"] for c in page["contacts"]]
    assert seen == all_live_ids(api, "contacts")
    contact = page["contacts"][0]
    assert {"vid", "canonical-vid", "portal-id", "is-contact", "properties",
            "identity-profiles", "list-memberships"} <= set(contact)


def test_singer_contacts_by_vid_when_batch_then_keyed_by_vid_with_all_properties(api):
    params = [("vid", str(CONTACT + 1)), ("vid", str(CONTACT + 2)), ("vid", "5"),
              ("formSubmissionMode", "all"), ("propertyMode", "value_and_history")]
    found = api.get("/contacts/v1/contact/vids/batch/", params=params).json()
    assert set(found) == {str(CONTACT + 1), str(CONTACT + 2)}
    email = found[str(CONTACT + 1)]["properties"]["email"]
    assert email["versions"][0]["value"] == email["value"]
    assert {"source-type", "timestamp"} <= set(email["versions"][0])


def test_singer_owners_v2_when_listed_then_bare_array_active_unless_include_inactive(api):
    active = api.get("/owners/v2/owners").json()
    every = api.get("/owners/v2/owners", params={"includeInactive": "true"}).json()
    assert all(o["isActive"] for o in active) and len(every) > len(active)
    assert {"portalId", "ownerId", "type", "firstName", "lastName", "email", "createdAt",
            "updatedAt", "remoteList"} <= set(active[0])
    one = api.get(f"/owners/v2/owners/{active[0]['ownerId']}").json()
    assert one == active[0]


def test_singer_tickets_when_v4_objects_path_then_same_as_v3(api):
    params = {"limit": 100, "associations": "contact,company,deals", "archived": "False"}
    v4 = api.get("/crm/v4/objects/tickets", params=params).json()
    v3 = api.get("/crm/v3/objects/tickets", params=params).json()
    assert v4["results"] == v3["results"]
    assert any("contacts" in r.get("associations", {}) for r in v4["results"])


def test_singer_custom_objects_when_p_name_and_many_associations_then_ok(api):
    assoc = "emails,meetings,notes,tasks,calls,conversations,contacts,companies,deals,tickets"
    answer = api.get("/crm/v3/objects/p_pets",
                     params={"limit": 100, "associations": assoc, "archived": "False"})
    assert answer.status_code == 200
    assert any("contacts" in r.get("associations", {}) for r in answer.json()["results"])


# -- legacy paths go through the same edge ------------------------------------------------------

def test_legacy_paths_when_token_missing_then_401_like_every_path(emulator):
    import httpx

    answer = httpx.get(f"{emulator.url}/companies/v2/companies/paged")
    assert answer.status_code == 401
    assert answer.json()["category"] == "INVALID_AUTHENTICATION"


def test_legacy_paths_when_scope_missing_then_403_for_the_fixed_path_type(api, emulator):
    emulator.control.set_token_scopes(["crm.objects.contacts.read"])
    assert api.get("/contacts/v1/lists/all/contacts/all").status_code == 200
    denied = api.get("/companies/v2/companies/paged")
    assert denied.status_code == 403 and denied.json()["category"] == "MISSING_SCOPES"
    assert api.get("/companies/v2/properties").status_code == 403


# -- forms and marketing emails (issue 24) ------------------------------------------------------

FORM_V2 = {"portalId", "guid", "name", "formFieldGroups", "createdAt", "updatedAt", "formType"}
SINGER_FORM_TYPES = {"deletedAt": int, "portalId": int, "guid": str, "name": str, "action": str,
                     "method": str, "cssClass": str, "redirect": str, "submitText": str,
                     "notifyRecipients": str, "formFieldGroups": list, "inlineMessage": str,
                     "ignoreCurrentValues": bool, "deletable": bool, "captchaEnabled": bool,
                     "cloneable": bool, "editable": bool, "formType": str, "metaData": list}


def test_singer_forms_when_v2_listed_then_bare_array_of_live_forms_by_guid(api):
    # tap-hubspot reads `/forms/v2/forms` whole (no paging) and keys forms by `guid`, with
    # `updatedAt` in epoch ms as its bookmark; then each form's submissions, 50 a page.
    forms = api.get("/forms/v2/forms").json()
    live = listing(api, "/marketing/v3/forms")
    assert isinstance(forms, list) and all(set(f) >= FORM_V2 for f in forms)
    assert [f["guid"] for f in forms] == [f["id"] for f in live]
    assert all(isinstance(f["updatedAt"], int) for f in forms)
    for form in forms:  # the types tap-hubspot's forms schema declares (each also nullable)
        for name, kind in SINGER_FORM_TYPES.items():
            assert form.get(name) is None or isinstance(form[name], kind), name
        for group in form["formFieldGroups"]:
            assert isinstance(group["fields"], list) and isinstance(group["default"], bool)
    first = forms[0]["guid"]
    assert api.get(f"/forms/v2/forms/{first}").json()["guid"] == first
    submissions = api.get(f"/form-integrations/v1/submissions/forms/{first}",
                          params={"limit": 50}).json()
    assert submissions["results"] and "conversionId" in submissions["results"][0]


def test_airbyte_forms_when_form_types_list_literal_then_three_types_and_their_submissions(
        api):
    # source-hubspot's forms stream (manifest) sends `formTypes` as one Python list literal,
    # `['hubspot', 'captured', 'flow']`, with `limit=100`, `after`, and `properties` named by
    # `/properties/v2/form/properties` (ignored: forms have no such properties). blog_comment
    # and `all` are left out on purpose (the v1 submissions API refuses blog comment forms),
    # and it never sends `archived=true`: Airbyte misses blog comment and archived forms.
    params = {"formTypes": "['hubspot', 'captured', 'flow']", "limit": 100,
              "properties": "name,formType"}
    forms = listing(api, "/marketing/v3/forms", params)
    every = listing(api, "/marketing/v3/forms", {"formTypes": "all"})
    assert {f["formType"] for f in forms} == {"hubspot", "captured", "flow"}
    assert {f["id"] for f in forms} == {f["id"] for f in every
                                        if f["formType"] != "blog_comment"}
    assert all(f.get("updatedAt") or f["createdAt"] for f in forms)
    # form_submissions: each listed form's submissions, `limit=50`, paged by `after`.
    for form in forms:
        subs = listing(api, f"/form-integrations/v1/submissions/forms/{form['id']}",
                       {"limit": 50})
        assert subs and all(isinstance(s["submittedAt"], int) for s in subs), form["name"]


def test_airbyte_5_7_marketing_emails_when_v1_with_statistics_then_404_it_is_retired(api):
    # 5.7.0's marketing_emails stream reads `/marketing-emails/v1/emails/with-statistics`.
    # HubSpot retired it on 2025-10-01 (docs/hubspot-api.md#marketing-emails): the docs win,
    # so that stream fails here as it does against HubSpot; 6.0.0 moved to v3 (next test).
    reply = api.get("/marketing-emails/v1/emails/with-statistics",
                    params={"limit": 250, "offset": 0})
    assert reply.status_code == 404


def test_airbyte_6_marketing_emails_when_v3_with_stats_and_updated_after_then_records(api):
    # 6.x: `/marketing/v3/emails?includeStats=true&limit=250&offset=N&updatedAfter=…`; its
    # `offset` is not one of HubSpot's parameters and is ignored (it pages with `after`).
    params = {"includeStats": "true", "limit": 250, "offset": 0,
              "updatedAfter": "2006-06-01T00:00:00.000000Z"}
    page = api.get("/marketing/v3/emails", params=params).json()
    assert page["results"] and len(page["results"]) == page["total"] < 250
    assert all(e["stats"]["counters"].keys() >= {"sent", "open", "click"}
               for e in page["results"])
    assert api.get("/marketing/v3/emails", params={**params, "offset": 250}).json() == page
