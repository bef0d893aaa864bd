"""Lists (segments) v3 and marketing forms with their submissions: paths in both families,
bodies, paging, limits, scopes and the control operations (hubspot_emulator/lists.py,
forms.py; BEHAVIOR.md "Lists and forms")."""

from __future__ import annotations

import hubspot
import pytest
from hubspot.crm.lists import ListSearchRequest
from upstream import listing
from urllib3.util.retry import Retry

from .conftest import COMPANY, CONTACT

LISTS = "/crm/v3/lists"
FORMS = "/marketing/v3/forms"
SUBMISSIONS = "/form-integrations/v1/submissions/forms"


def search(api, prefix: str = LISTS, **body) -> dict:
    response = api.post(f"{prefix}/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def members(api, list_id: str, prefix: str = LISTS, limit: int = 250) -> list[str]:
    return [m["recordId"] for m in listing(api, f"{prefix}/{list_id}/memberships",
                                           {"limit": limit})]


def forms_by_name(api) -> dict[str, dict]:
    return {f["name"]: f for f in api.get(f"{FORMS}/").json()["results"]}


def submissions(api, form_id: str, limit: int = 50) -> list[dict]:
    return listing(api, f"{SUBMISSIONS}/{form_id}", {"limit": limit})


# -- lists -------------------------------------------------------------------------------------

def test_search_when_paged_by_offset_then_live_lists_once_with_default_properties(api):
    first = search(api, count=2)
    assert (first["offset"], first["hasMore"], first["total"]) == (2, True, 4)
    rest = search(api, count=2, offset=2)
    assert (rest["offset"], rest["hasMore"]) == (4, False)
    found = first["lists"] + rest["lists"]
    assert [lst["listId"] for lst in found] == ["1", "2", "3", "4"]  # deleted list 5 left out
    assert {lst["processingType"] for lst in found} == {"MANUAL", "DYNAMIC", "SNAPSHOT"}
    assert {lst["objectTypeId"] for lst in found} == {"0-1", "0-2"}
    one = found[0]
    assert "filterBranch" not in one and "size" not in one
    props = one["additionalProperties"]
    assert props["hs_list_size"] == str(len(members(api, "1")))
    assert props["hs_last_record_added_at"].isdigit() and "hs_last_record_removed_at" not in props


def test_search_when_filtered_then_query_type_ids_and_limits_apply(api):
    assert [x["listId"] for x in search(api, query="vip")["lists"]] == ["2"]
    assert [x["listId"] for x in search(api, processingTypes=["DYNAMIC"])["lists"]] == ["2"]
    assert [x["listId"] for x in search(api, objectTypeId="0-2")["lists"]] == ["4"]
    assert [x["listId"] for x in search(api, listIds=["3", "5"])["lists"]] == ["3"]
    too_many = api.post(f"{LISTS}/search", json={"count": 501})
    assert too_many.status_code == 400 and too_many.json()["category"] == "VALIDATION_ERROR"


def test_get_when_filters_asked_then_list_with_size_filters_and_deleted_at(api):
    plain = api.get(f"{LISTS}/2").json()["list"]
    assert "filterBranch" not in plain and plain["size"] == len(members(api, "2"))
    dynamic = api.get(f"{LISTS}/2", params={"includeFilters": "true"}).json()["list"]
    assert dynamic["filterBranch"]["filterBranchType"] == "OR"
    manual = api.get(f"{LISTS}/1", params={"includeFilters": "true"}).json()["list"]
    assert "filterBranch" not in manual  # a MANUAL list has no filters
    deleted = api.get(f"{LISTS}/5").json()["list"]
    assert deleted["deletedAt"].endswith("Z")
    missing = api.get(f"{LISTS}/999")
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_memberships_when_paged_then_ascending_record_ids_once_and_limits(api):
    page = api.get(f"{LISTS}/1/memberships", params={"limit": 4}).json()
    assert len(page["results"]) == 4 and page["paging"]["next"]["link"].startswith("http")
    assert set(page["results"][0]) == {"recordId", "membershipTimestamp"}
    ids = members(api, "1", limit=4)
    assert ids == sorted(ids, key=int) and len(ids) == len(set(ids)) == page["total"]
    assert members(api, "4") and all(int(i) > COMPANY for i in members(api, "4"))
    assert api.get(f"{LISTS}/1/memberships", params={"limit": 251}).status_code == 400
    assert api.get(f"{LISTS}/1/memberships", params={"after": "bogus"}).status_code == 400
    assert api.get(f"{LISTS}/5/memberships").status_code == 404  # deleted (*choice*)


def test_control_when_members_added_and_removed_then_size_and_times_move_not_updated_at(
        api, emulator):
    before = search(api, listIds=["1"])["lists"][0]
    emulator.control.set_clock(1_800_000_000_000)
    added = emulator.control.list_add_members(1, [CONTACT + 2, CONTACT + 2, CONTACT + 1, 7])
    assert added["added"] == [str(CONTACT + 2)]  # members and unknown records ignored
    removed = emulator.control.list_remove_members(1, [CONTACT + 1])
    assert removed["removed"] == [str(CONTACT + 1)]
    after = search(api, listIds=["1"])["lists"][0]
    assert after["updatedAt"] == before["updatedAt"]
    assert after["additionalProperties"]["hs_last_record_added_at"] == "1800000000000"
    assert after["additionalProperties"]["hs_last_record_removed_at"] == "1800000000000"
    assert str(CONTACT + 2) in members(api, "1") and str(CONTACT + 1) not in members(api, "1")
    renamed = emulator.control.list_rename(1, "Renamed")
    assert search(api, listIds=["1"])["lists"][0]["updatedAt"] == renamed["updatedAt"]


def test_control_when_list_created_or_deleted_then_search_follows(api, emulator):
    made = emulator.control.list_create("Fresh", "0-2", "MANUAL", [COMPANY + 1])
    assert made == {"listId": "6", "size": 1}
    assert members(api, "6") == [str(COMPANY + 1)]
    emulator.control.list_delete(2)
    assert [x["listId"] for x in search(api)["lists"]] == ["1", "3", "4", "6"]
    with pytest.raises(RuntimeError, match="no live list"):
        emulator.control.list_add_members(2, [CONTACT + 1])
    emulator.control.list_restore(2)
    assert [x["listId"] for x in search(api)["lists"]] == ["1", "2", "3", "4", "6"]
    assert "deletedAt" not in api.get(f"{LISTS}/2").json()["list"]


@pytest.mark.parametrize("v", ["2026-03", "2026-09"])
def test_lists_when_dated_then_same_as_v3(api, v):
    assert search(api, f"/crm/lists/{v}") == search(api)
    assert api.get(f"/crm/lists/{v}/3").json() == api.get(f"{LISTS}/3").json()
    assert members(api, "1", f"/crm/lists/{v}") == members(api, "1")


# -- forms -------------------------------------------------------------------------------------

def test_forms_when_listed_then_live_hubspot_forms_and_archived_apart(api):
    live = api.get(f"{FORMS}/").json()["results"]
    assert [f["name"] for f in live] == ["Contact us", "Newsletter signup",
                                         "Webinar registration"]
    assert api.get(FORMS).json()["results"] == live  # with or without the slash
    archived = api.get(FORMS, params={"archived": "true"}).json()["results"]
    assert [(f["name"], f["archived"]) for f in archived] == [("Spring event 2025", True)]
    assert archived[0]["archivedAt"].endswith("Z")
    one = live[0]
    assert {"id", "name", "formType", "createdAt", "updatedAt", "archived", "fieldGroups",
            "configuration", "displayOptions", "legalConsentOptions"} <= set(one)
    assert one["fieldGroups"][0]["fields"][0]["name"] == "email"
    assert {f["formType"] for f in live} == {"hubspot"}  # HubSpot's default
    assert api.get(f"{FORMS}/{one['id']}").json() == one
    assert api.get(f"{FORMS}/nope").status_code == 404


def names(api, params) -> list[tuple[str, str]]:
    return [(f["name"], f["formType"]) for f in listing(api, FORMS, params)]


def test_forms_when_form_types_asked_then_those_types_live_or_archived(api):
    assert names(api, {"formTypes": "captured"}) == [("Pricing page form", "captured")]
    both = [("Pricing page form", "captured"), ("Exit-intent pop-up", "flow")]
    assert names(api, {"formTypes": ["flow", "captured"]}) == both  # repeated
    assert names(api, {"formTypes": "flow,captured"}) == both
    every = names(api, {"formTypes": "all"})
    assert [kind for _, kind in every] == ["hubspot"] * 3 + ["captured", "flow", "blog_comment"]
    assert names(api, {"formTypes": "all", "archived": "true"}) == [
        ("Spring event 2025", "hubspot"), ("Holiday pop-up 2024", "flow")]
    assert names(api, {"formTypes": "flow", "archived": "true"}) == [
        ("Holiday pop-up 2024", "flow")]
    assert api.get(FORMS, params={"formTypes": "popup"}).status_code == 400


def test_submissions_when_form_type_has_none_then_400_else_served(api, emulator):
    forms = {f["formType"]: f for f in listing(api, FORMS, {"formTypes": "all"})}
    refused = api.get(f"{SUBMISSIONS}/{forms['blog_comment']['id']}")
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    captured = submissions(api, forms["captured"]["id"])
    assert captured and {v["name"] for v in captured[0]["values"]} <= {"email", "company",
                                                                       "interests"}
    assert {v["value"] for s in captured for v in s["values"] if v["name"] == "interests"} == {
        "Product A;Product B"}
    assert submissions(api, forms["flow"]["id"])
    made = emulator.control.form_create("Fresh pop-up", form_type="flow")
    assert made["formType"] == "flow" and submissions(api, made["id"]) == []


def test_forms_when_paged_then_cursor_and_limit(api):
    first = api.get(FORMS, params={"limit": 2}).json()
    rest = api.get(FORMS, params={"limit": 2, "after": first["paging"]["next"]["after"]}).json()
    assert len(first["results"]) == 2 and len(rest["results"]) == 1 and "paging" not in rest
    assert api.get(FORMS, params={"limit": 101}).status_code == 400


def test_submissions_when_paged_then_newest_first_with_documented_fields_and_limit(api):
    form = forms_by_name(api)["Newsletter signup"]
    read = submissions(api, form["id"], limit=7)
    times = [s["submittedAt"] for s in read]
    assert len(read) > 50 and times == sorted(times, reverse=True)
    assert set(read[0]) == {"conversionId", "submittedAt", "values", "pageUrl"}
    assert isinstance(read[0]["submittedAt"], int)
    assert {v["name"] for v in read[0]["values"]} <= {"email", "firstname"}
    assert len({s["conversionId"] for s in read}) == len(read)
    assert api.get(f"{SUBMISSIONS}/{form['id']}", params={"limit": 51}).status_code == 400
    assert api.get(f"{SUBMISSIONS}/nope").status_code == 404


def test_submission_when_added_while_paging_then_first_and_later_pages_unshifted(api, emulator):
    form = forms_by_name(api)["Contact us"]
    first = api.get(f"{SUBMISSIONS}/{form['id']}", params={"limit": 5}).json()
    made = emulator.control.form_add_submission(form["id"], {"email": "new@example.com"})
    second = api.get(f"{SUBMISSIONS}/{form['id']}",
                     params={"limit": 5, "after": first["paging"]["next"]["after"]}).json()
    everything = submissions(api, form["id"])
    assert everything[0]["conversionId"] == made["conversionId"]
    assert first["results"] + second["results"] == everything[1:11]


@pytest.mark.parametrize("v", ["2026-03", "2026-09"])
def test_forms_when_dated_then_same_as_v3_and_submissions_only_v1(api, v):
    assert api.get(f"/marketing/forms/{v}").json() == api.get(FORMS).json()
    form_id = api.get(FORMS).json()["results"][0]["id"]
    assert api.get(f"/marketing/forms/{v}/{form_id}").status_code == 200
    assert api.get(f"/form-integrations/{v}/submissions/forms/{form_id}").status_code == 404


# -- scopes and HubSpot's SDK ------------------------------------------------------------------

@pytest.mark.parametrize(("path", "scope"), [
    (f"{LISTS}/1", "crm.lists.read"), ("/crm/lists/2026-03/1/memberships", "crm.lists.read"),
    (FORMS, "forms"), (f"{SUBMISSIONS}/x", "forms")])
def test_scopes_when_missing_then_403_naming_lists_or_forms_scope(api, emulator, path, scope):
    emulator.control.deny_scopes([scope])
    refused = api.get(path)
    assert refused.status_code == 403 and refused.json()["category"] == "MISSING_SCOPES"
    assert refused.json()["errors"][0]["context"]["requiredGranularScopes"] == [scope]
    assert api.get(f"/crm/v3/objects/contacts/{CONTACT + 1}").status_code == 200


def test_sdk_when_reading_lists_memberships_and_forms_then_models_parse(emulator):
    strict = hubspot.Client.create(host=emulator.url, access_token=emulator.token,
                                   retry=Retry(total=0), client_side_validation=True)
    found = strict.crm.lists.lists_api.do_search(ListSearchRequest(offset=0, count=2))
    assert (found.total, found.has_more, found.lists[1].name) == (4, True, "VIP contacts")
    assert strict.crm.lists.lists_api.get_by_id(list_id=3).list.processing_type == "SNAPSHOT"
    page = strict.crm.lists.memberships_api.get_page(list_id=1, limit=3)
    assert page.results[0].record_id == str(CONTACT + 1) and page.paging.next.after
    # The SDK's generated field and filter models demand every variant's fields at once, so
    # real forms and filters parse only without client-side validation.
    loose = hubspot.Client.create(host=emulator.url, access_token=emulator.token,
                                  retry=Retry(total=0), client_side_validation=False)
    forms = loose.marketing.forms.forms_api.get_page(limit=2)
    assert [f.name for f in forms.results] == ["Contact us", "Newsletter signup"]
    assert forms.results[0].field_groups[0].fields[0].name == "email"
    typed = loose.marketing.forms.forms_api.get_page(form_types=["captured", "flow"])
    assert [f.form_type for f in typed.results] == ["captured", "flow"]
    dynamic = loose.crm.lists.lists_api.get_by_id(list_id=2, include_filters=True)
    assert dynamic.list.filter_branch is not None
