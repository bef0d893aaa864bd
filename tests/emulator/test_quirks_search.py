"""Search: operators, limits, the 10,000-result cap, index lag (docs/hubspot-api.md#search)."""

from __future__ import annotations

import time

import pytest
from upstream import listing

from .conftest import CONTACT

SEARCH = "/crm/v3/objects/contacts/search"


def flt(prop: str, op: str, value=None, **extra) -> dict:
    out = {"propertyName": prop, "operator": op, **extra}
    if value is not None:
        out["value"] = value
    return out


def search(api, *filters, groups=None, **body):
    body = {"filterGroups": groups if groups is not None else
            ([{"filters": list(filters)}] if filters else []), **body}
    response = api.post(SEARCH, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body) -> list[int]:
    return [int(r["id"]) for r in body["results"]]


def test_search_when_no_filters_then_total_default_properties_no_associations(api):
    body = search(api, limit=3)
    assert body["total"] == 39 and len(body["results"]) == 3
    assert body["paging"] == {"next": {"after": "3"}}  # an offset; no link
    record = body["results"][0]
    assert set(record["properties"]) == {"createdate", "email", "firstname", "hs_object_id",
                                         "lastmodifieddate", "lastname"}
    assert "associations" not in record and "propertiesWithHistory" not in record


def test_search_when_paging_by_offset_then_every_record_once_and_archived_never(api):
    query = {"filterGroups": [], "limit": 10, "after": "0"}
    seen = [int(r["id"]) for r in listing(api, SEARCH, body=query)]
    archived = api.get("/crm/v3/objects/contacts?archived=true").json()["results"][0]["id"]
    assert len(seen) == len(set(seen)) == 39 and int(archived) not in seen


def test_datetime_filter_when_epoch_ms_or_iso_then_same_result(api):
    from hubspot_emulator.timeutil import parse_time_ms

    records = api.get("/crm/v3/objects/contacts", params={"limit": 100}).json()["results"]
    iso = records[10]["updatedAt"]
    by_ms = search(api, flt("lastmodifieddate", "GTE", str(parse_time_ms(iso))), limit=100)
    by_iso = search(api, flt("lastmodifieddate", "GTE", iso), limit=100)
    expected = [int(r["id"]) for r in records if parse_time_ms(r["updatedAt"])
                >= parse_time_ms(iso)]
    assert ids(by_ms) == ids(by_iso) == expected and by_ms["total"] == len(records) - 10


@pytest.mark.parametrize("op, value, expect", [
    ("EQ", CONTACT + 5, [CONTACT + 5]),
    ("NEQ", CONTACT + 5, None),
    ("LT", CONTACT + 3, [CONTACT + 1, CONTACT + 2]),
    ("LTE", CONTACT + 2, [CONTACT + 1, CONTACT + 2]),
    ("GT", CONTACT + 38, [CONTACT + 39, CONTACT + 40]),
    ("GTE", CONTACT + 39, [CONTACT + 39, CONTACT + 40]),
])
def test_comparison_operators_when_on_id_then_expected_records(api, op, value, expect):
    body = search(api, flt("hs_object_id", op, str(value)), limit=100)
    if expect is None:
        assert body["total"] == 38 and value not in ids(body)
    else:
        assert ids(body) == expect


def test_between_in_not_in_when_used_then_expected_records(api):
    between = search(api, flt("hs_object_id", "BETWEEN", str(CONTACT + 2),
                              highValue=str(CONTACT + 4)))
    assert ids(between) == [CONTACT + 2, CONTACT + 3, CONTACT + 4]
    chosen = [str(CONTACT + 1), str(CONTACT + 7)]
    assert ids(search(api, flt("hs_object_id", "IN", values=chosen))) == [CONTACT + 1,
                                                                          CONTACT + 7]
    assert search(api, flt("hs_object_id", "NOT_IN", values=chosen))["total"] == 37


def test_has_property_when_some_null_then_split_between_the_two_operators(api):
    has = search(api, flt("favorite_color", "HAS_PROPERTY"))["total"]
    has_not = search(api, flt("favorite_color", "NOT_HAS_PROPERTY"))["total"]
    assert has + has_not == 39 and has > 0 and has_not > 0


def test_case_rules_when_string_enum_and_in_then_as_documented(api, emulator):
    emulator.control.update("contacts", CONTACT + 3, {"firstname": "Zebedee",
                                                      "favorite_color": "red"})
    assert ids(search(api, flt("firstname", "EQ", "zebedee"))) == [CONTACT + 3]
    assert CONTACT + 3 in ids(search(api, flt("favorite_color", "EQ", "red"), limit=100))
    assert search(api, flt("favorite_color", "EQ", "RED"))["total"] == 0  # enums: exact case
    assert ids(search(api, flt("firstname", "IN", values=["zebedee"]))) == [CONTACT + 3]
    assert search(api, flt("firstname", "IN", values=["Zebedee"]))["total"] == 0


def test_contains_token_when_wildcard_then_matches_tokens(api, emulator):
    emulator.control.update("contacts", CONTACT + 4, {"email": "someone@wildcard-example.org"})
    assert ids(search(api, flt("email", "CONTAINS_TOKEN", "*@wildcard-example.org"))) == [
        CONTACT + 4]
    body = search(api, flt("email", "NOT_CONTAINS_TOKEN", "*@wildcard-example.org"))
    assert body["total"] == 38


def test_filter_groups_when_several_then_or_of_ands(api):
    groups = [{"filters": [flt("hs_object_id", "EQ", str(CONTACT + 1))]},
              {"filters": [flt("hs_object_id", "GTE", str(CONTACT + 40)),
                           flt("hs_object_id", "LTE", str(CONTACT + 40))]}]
    assert ids(search(api, groups=groups)) == [CONTACT + 1, CONTACT + 40]


def test_sort_when_descending_then_order_reversed_and_ties_broken_by_id(api, emulator):
    body = search(api, sorts=[{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
                  limit=3)
    assert ids(body) == [CONTACT + 40, CONTACT + 39, CONTACT + 38]
    emulator.control.touch("contacts", ids=[CONTACT + 9, CONTACT + 2, CONTACT + 5],
                           modified_ms=1_900_000_000_000)
    body = search(api, sorts=[{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
                  limit=3)
    assert ids(body) == [CONTACT + 2, CONTACT + 5, CONTACT + 9]


def test_query_when_free_text_then_matches_name_or_email(api):
    record = api.get(f"/crm/v3/objects/contacts/{CONTACT + 6}").json()
    body = search(api, query=record["properties"]["lastname"])
    assert CONTACT + 6 in ids(body)


@pytest.mark.parametrize("body, needle", [
    ({"sorts": [{"propertyName": "email"}, {"propertyName": "firstname"}]}, "sort"),
    ({"limit": 201}, "limit"),
    ({"filterGroups": [{"filters": [flt("hs_object_id", "HAS_PROPERTY")]}] * 6}, "groups"),
    ({"filterGroups": [{"filters": [flt("hs_object_id", "HAS_PROPERTY")] * 7}]}, "filters"),
    ({"filterGroups": [{"filters": [flt("hs_object_id", "HAS_PROPERTY")] * 6}] * 4}, "filters"),
    ({"filterGroups": [{"filters": [flt("email", "EQ", "x" * 3000)]}]}, "characters"),
    ({"filterGroups": [{"filters": [flt("email", "SIMILAR", "x")]}]}, "operator"),
])
def test_search_limits_when_exceeded_then_400_validation_error(api, body, needle):
    response = api.post(SEARCH, json=body)
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"
    assert needle in response.json()["message"].lower()


def test_filter_limits_when_reconfigured_then_changelog_limits_apply(api, emulator):
    emulator.control.set_search_limits(max_filters_per_group=10, max_filters=25)
    body = {"filterGroups": [{"filters": [flt("hs_object_id", "HAS_PROPERTY")] * 10}]}
    assert api.post(SEARCH, json=body).status_code == 200


def test_paging_when_beyond_10000_results_then_400(api, emulator):
    emulator.control.reset(contacts=12_000)
    body = search(api, limit=200, after="9800")
    assert body["total"] > 10_000 and len(body["results"]) == 200
    assert body["paging"]["next"]["after"] == "10000"
    response = api.post(SEARCH, json={"limit": 200, "after": "9900"})
    assert response.status_code == 400
    assert "10000" in response.json()["message"]
    assert api.post(SEARCH, json={"limit": 1, "after": "10000"}).status_code == 400


def test_touch_when_over_10000_in_one_millisecond_then_search_total_counts_them(api, emulator):
    emulator.control.reset(contacts=10_500)
    instant = 1_900_000_000_000
    emulator.control.touch("contacts", count=10_200, modified_ms=instant)
    body = search(api, flt("lastmodifieddate", "EQ", str(instant)), limit=200,
                  sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}])
    assert body["total"] == 10_200
    assert ids(body) == sorted(ids(body))  # ties broken by id


def test_search_lag_when_configured_then_changes_visible_only_after_it(api, emulator):
    emulator.control.set_search_lag(300)
    emulator.control.update("contacts", CONTACT + 8, {"firstname": "Laggard"})
    assert search(api, flt("firstname", "EQ", "Laggard"))["total"] == 0
    assert api.get(f"/crm/v3/objects/contacts/{CONTACT + 8}").json()[
        "properties"]["firstname"] == "Laggard"  # reads see it at once
    time.sleep(0.4)
    body = search(api, flt("firstname", "EQ", "Laggard"))
    assert ids(body) == [CONTACT + 8]
    assert body["results"][0]["properties"]["firstname"] == "Laggard"


def test_search_lag_when_record_created_then_values_and_presence_lag(api, emulator):
    emulator.control.set_search_lag(300)
    created = api.post("/crm/v3/objects/contacts",
                       json={"properties": {"email": "lag@example.com"}}).json()
    assert int(created["id"]) not in ids(search(api, limit=100))
    time.sleep(0.4)
    assert int(created["id"]) in ids(search(api, limit=100))


def test_association_filter_when_company_given_then_its_contacts(api):
    company = api.get(f"/crm/v3/objects/contacts/{CONTACT + 1}",
                      params={"associations": "companies"}).json()
    company_id = company["associations"]["companies"]["results"][0]["id"]
    body = search(api, flt("associations.company", "EQ", company_id), limit=100)
    assert CONTACT + 1 in ids(body)
