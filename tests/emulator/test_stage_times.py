"""Stage calculated properties (docs/hubspot-api.md#stage-calculated-properties): answered when
named, never listed; values follow the record's stage changes; a stage added to a pipeline has
its own."""

from __future__ import annotations

from hubspot_emulator.timeutil import iso_ms as _iso
from hubspot_emulator.timeutil import parse_time_ms as _ms

from .conftest import CONTACT

DEAL = 30_000_000_000
PREFIXES = ("hs_v2_date_entered_", "hs_v2_date_exited_", "hs_v2_latest_time_in_",
            "hs_v2_cumulative_time_in_")
T0 = 1_800_000_000_000  # the frozen clock of the writes below (after every generated time)
MINUTE = 60_000


def names(*stages: str) -> list[str]:
    return [prefix + stage for stage in stages for prefix in PREFIXES]


def stage_values(api, path: str, record_id: int, stages: tuple[str, ...]) -> dict:
    answer = api.get(f"/crm/v3/objects/{path}/{record_id}",
                     params={"properties": ",".join(names(*stages))})
    return {k: v for k, v in answer.json()["properties"].items() if k.startswith("hs_v2_")}


def move(emulator, path: str, record_id: int, prop: str, stage: str, at_ms: int) -> None:
    emulator.control.set_clock(at_ms)
    emulator.control.update(path, record_id, {prop: stage})


def test_properties_api_when_listed_then_no_stage_calculated_property(api):
    for path in ("contacts", "companies", "deals", "tickets"):
        listed = [p["name"] for p in api.get(f"/crm/v3/properties/{path}").json()["results"]]
        assert listed and not [n for n in listed if n.startswith(PREFIXES)]


def test_deal_when_moved_through_stages_then_entered_exited_and_times_follow(api, emulator):
    before = api.get(f"/crm/v3/objects/deals/{DEAL + 1}",
                     params={"properties": "dealstage,createdate"}).json()["properties"]
    assert before["dealstage"] == "appointmentscheduled"
    move(emulator, "deals", DEAL + 1, "dealstage", "qualifiedtobuy", T0)
    move(emulator, "deals", DEAL + 1, "dealstage", "appointmentscheduled", T0 + 2 * MINUTE)
    move(emulator, "deals", DEAL + 1, "dealstage", "closedwon", T0 + 7 * MINUTE)
    values = stage_values(api, "deals", DEAL + 1,
                          ("appointmentscheduled", "qualifiedtobuy", "closedwon", "closedlost"))
    created = _ms(before["createdate"])
    assert values == {
        # Two stays: created → T0, then T0+2 → T0+7 minutes; entered/exited the latest ones.
        "hs_v2_date_entered_appointmentscheduled": _iso(T0 + 2 * MINUTE),
        "hs_v2_date_exited_appointmentscheduled": _iso(T0 + 7 * MINUTE),
        "hs_v2_latest_time_in_appointmentscheduled": str(5 * MINUTE),
        "hs_v2_cumulative_time_in_appointmentscheduled": str(T0 - created + 5 * MINUTE),
        "hs_v2_date_entered_qualifiedtobuy": _iso(T0),
        "hs_v2_date_exited_qualifiedtobuy": _iso(T0 + 2 * MINUTE),
        "hs_v2_latest_time_in_qualifiedtobuy": str(2 * MINUTE),
        "hs_v2_cumulative_time_in_qualifiedtobuy": str(2 * MINUTE),
        # Still there: entered, nothing else yet.
        "hs_v2_date_entered_closedwon": _iso(T0 + 7 * MINUTE),
        "hs_v2_date_exited_closedwon": None, "hs_v2_latest_time_in_closedwon": None,
        "hs_v2_cumulative_time_in_closedwon": None,
        # Never there: all null, but answered (the names are known).
        **{name: None for name in names("closedlost")}}


def test_contact_when_lifecycle_moves_then_lifecycle_stage_properties_follow(api, emulator):
    record_id = CONTACT + 1
    start = api.get(f"/crm/v3/objects/contacts/{record_id}",
                    params={"properties": "lifecyclestage"}).json()["properties"]
    assert start["lifecyclestage"] == "salesqualifiedlead"
    move(emulator, "contacts", record_id, "lifecyclestage", "customer", T0)
    values = stage_values(api, "contacts", record_id, ("salesqualifiedlead", "customer"))
    assert values["hs_v2_date_exited_salesqualifiedlead"] == _iso(T0)
    assert values["hs_v2_date_entered_customer"] == _iso(T0)
    assert (int(values["hs_v2_latest_time_in_salesqualifiedlead"])
            == T0 - _ms(values["hs_v2_date_entered_salesqualifiedlead"]))


def test_search_and_batch_read_when_named_then_same_values_as_get(api, emulator):
    move(emulator, "tickets", 40_000_000_001, "hs_pipeline_stage", "4", T0)
    asked = names("1", "2", "3", "4")
    got = stage_values(api, "tickets", 40_000_000_001, ("1", "2", "3", "4"))
    batch = api.post("/crm/v3/objects/tickets/batch/read", json={
        "inputs": [{"id": "40000000001"}], "properties": asked}).json()["results"][0]
    search = api.post("/crm/v3/objects/tickets/search", json={
        "properties": asked, "limit": 1}).json()["results"][0]
    for record in (batch, search):
        assert {k: record["properties"][k] for k in asked} == got
    assert got["hs_v2_date_entered_4"] == _iso(T0)


def test_added_stage_when_pipeline_changed_then_listed_valid_and_computed(api, emulator):
    emulator.control.add_pipeline_stage("deals", "8134710", "8134716", "Legal review",
                                        {"isClosed": "false", "probability": "0.8"})
    (pipeline,) = [p for p in api.get("/crm/v3/pipelines/deals").json()["results"]
                   if p["id"] == "8134710"]
    assert [s["id"] for s in pipeline["stages"]][-1] == "8134716"
    move(emulator, "deals", DEAL + 1, "dealstage", "8134716", T0)
    assert stage_values(api, "deals", DEAL + 1, ("8134716",))[
        "hs_v2_date_entered_8134716"] == _iso(T0)
    unknown = api.get(f"/crm/v3/objects/deals/{DEAL + 1}",
                      params={"properties": "hs_v2_date_entered_nosuchstage"}).json()
    assert "hs_v2_date_entered_nosuchstage" not in unknown["properties"]


def test_dlt_stage_timing_when_names_built_from_pipelines_then_every_deal_answers_them(api):
    """dlt's stages_timing (dlt-hub/verified-sources pull request 647): the stage ids from
    the pipelines API, the four names of each built from them, then the deals listed with
    those names; every deal answers every name (null where it never was in the stage)."""
    stages = [s["id"] for p in api.get("/crm/v3/pipelines/deals").json()["results"]
              for s in p["stages"]]
    asked = names(*stages)
    page = api.get("/crm/v3/objects/deals",
                   params={"limit": 100, "properties": ",".join([*asked, "dealstage"])}
                   ).json()["results"]
    assert page and all(set(asked) <= set(r["properties"]) for r in page)
    for record in page:  # each deal has entered the stage it was created in
        entered = [k for k in asked if k.startswith("hs_v2_date_entered_")
                   and record["properties"][k] is not None]
        assert entered == [f"hs_v2_date_entered_{record['properties']['dealstage']}"]

