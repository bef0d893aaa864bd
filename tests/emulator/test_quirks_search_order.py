"""Search faults about id order, and portals whose ids differ in length (reset `id_bases`):
what a full read must notice when search breaks HubSpot's contract that ids are numbers."""

from __future__ import annotations

import pytest
from upstream import listing

LIST = "/crm/v3/objects/contacts"
SEARCH = f"{LIST}/search"
BASE = 9_999_999_989  # ids 9999999990..9999999999 (ten digits), then 10000000000.. (eleven)


def descending(limit: int, below: int | None = None) -> dict:
    filters = [] if below is None else [
        {"propertyName": "hs_object_id", "operator": "LT", "value": str(below)}]
    return {"filterGroups": [{"filters": filters}] if filters else [],
            "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}],
            "properties": ["email"], "limit": limit}


def live_ids(api) -> list[int]:
    return [int(r["id"]) for r in listing(api, LIST, {"limit": 100})]


@pytest.fixture
def mixed_lengths(emulator):
    emulator.control.reset(contacts=40, seed=1, id_bases={"contacts": BASE})
    return emulator


def test_id_bases_when_reset_then_ids_start_there_and_list_pages_by_them(mixed_lengths, api):
    ids = live_ids(api)
    assert min(ids) >= BASE + 1 and max(ids) <= BASE + 40 and ids == sorted(ids)
    assert {len(str(i)) for i in ids} == {10, 11}
    first = api.get(LIST, params={"limit": 2, "after": "10000000000"}).json()["results"]
    assert [r["id"] for r in first] == ["10000000000", "10000000001"]


def test_id_bases_when_type_unknown_or_base_negative_then_control_refuses(emulator):
    for bad in ({"nonsense": 5}, {"contacts": -1}, {"contacts": "5"}):
        with pytest.raises(RuntimeError, match="id_bases"):
            emulator.control.reset(contacts=10, id_bases=bad)


def test_ids_as_text_fault_when_searching_descending_then_text_order_and_text_bounds(
        mixed_lengths, api):
    numeric = api.post(SEARCH, json=descending(5)).json()
    assert [r["id"] for r in numeric["results"]] == [str(BASE + 40 - k) for k in range(5)]
    mixed_lengths.control.set_faults(rate=1.0, kinds=["ids_as_text"],
                                     match={"path_prefix": SEARCH})
    text = api.post(SEARCH, json=descending(5)).json()
    assert [r["id"] for r in text["results"]] == ["9999999999", "9999999998", "9999999997",
                                                 "9999999996", "9999999995"]
    assert text["total"] == numeric["total"]
    # LT "9999999991" as text: "9999999990", then every eleven-digit id ("1…" < "9…").
    below = api.post(SEARCH, json=descending(3, below=9_999_999_991)).json()
    assert [r["id"] for r in below["results"]][:2] == ["9999999990", str(BASE + 40)]


def test_ids_as_text_fault_when_other_requests_then_unchanged(mixed_lengths, api):
    mixed_lengths.control.set_faults(rate=1.0, kinds=["ids_as_text"])
    assert live_ids(api) == sorted(live_ids(api))
    ascending = api.post(SEARCH, json={"filterGroups": [{"filters": [
        {"propertyName": "email", "operator": "HAS_PROPERTY"}]}], "limit": 3}).json()
    assert ascending["total"] > 0


def test_out_of_order_fault_when_scripted_then_one_page_reversed_then_real_answers(
        emulator, api):
    real = [r["id"] for r in api.post(SEARCH, json=descending(4)).json()["results"]]
    emulator.control.set_faults(script=[{"kind": "out_of_order"}])
    reversed_page = api.post(SEARCH, json=descending(4)).json()
    assert [r["id"] for r in reversed_page["results"]] == real[::-1]
    assert [r["id"] for r in api.post(SEARCH, json=descending(4)).json()["results"]] == real
    assert emulator.control.stats()["faults_injected"] == 1
