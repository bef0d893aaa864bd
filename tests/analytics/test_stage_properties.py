"""Stage calculated properties (docs/hubspot-api.md#stage-calculated-properties): HubSpot does
not list them, so every record read names them, four per stored stage (pipeline stages of
deals and tickets, lifecycle stages of contacts and companies); stored in `properties`, typed
by name in the views, at no extra request; the analysts' "time in each deal stage" query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from sync_commands import run_command

from hubspot_emulator.timeutil import FIXED_EPOCH_MS
from ingestion.base.results import SyncOptions
from ingestion.models import HubSpotProperty, HubSpotViewColumn, SyncHistory
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.engines.standard import BY_NAME
from ingestion.sync.hubspot.stage_properties import names_of_stage
from tests.analytics.test_typed_views import EXPECTED, view_rows, view_types

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

PREFIXES = ("hs_v2_date_entered_", "hs_v2_date_exited_", "hs_v2_latest_time_in_",
            "hs_v2_cumulative_time_in_")
# (type, its stage property, a record, a stage to move it to): one of each kind of stage.
MOVES = [("deals", "dealstage", "30000000001", "qualifiedtobuy"),
         ("tickets", "hs_pipeline_stage", "40000000001", "4"),
         ("contacts", "lifecyclestage", "10000000001", "customer"),
         ("companies", "lifecyclestage", "20000000001", "evangelist")]
# Writes at frozen times after every generated one (2026-01-01), so incremental runs see them.
T0 = FIXED_EPOCH_MS + 5 * 86_400_000
HOUR = 3_600_000


def upstream_stages(api, object_type: str) -> list[str]:
    """The stages HubSpot computes the properties for, as its own APIs describe them."""
    if object_type in ("deals", "tickets"):
        return [s["id"] for p in api.get(f"/crm/v3/pipelines/{object_type}").json()["results"]
                for s in p["stages"]]
    definition = api.get(f"/crm/v3/properties/{object_type}/lifecyclestage").json()
    return [o["value"] for o in definition["options"]]


def stage_names(stages: list[str]) -> set[str]:
    return {prefix + stage for stage in stages for prefix in PREFIXES}


def upstream_values(api, object_type: str, record_id: str, names: set[str]) -> dict:
    answer = api.post(f"/crm/v3/objects/{object_type}/batch/read",
                      json={"inputs": [{"id": record_id}], "properties": sorted(names)})
    (record,) = answer.json()["results"]
    return {k: v for k, v in record["properties"].items() if k in names}


def stored(object_type: str, record_id: str) -> dict:
    return BY_NAME[object_type].model.objects.get(pk=record_id).properties


def move(hubspot, object_type: str, record_id: str, prop: str, stage: str, at_ms: int) -> None:
    hubspot.control.set_clock(at_ms)
    hubspot.control.update(object_type, record_id, {prop: stage})


def requests_of_last_run(object_type: str) -> int:
    return SyncHistory.objects.filter(object_type=object_type).order_by("-id").first().details[
        "requests"]


def test_full_then_incremental_when_stages_stored_then_every_stage_property_of_every_record(
        hubspot, api):
    run_command("sync_hubspot_pipelines")
    run_command("sync_hubspot_properties")
    expected = {t: stage_names(upstream_stages(api, t)) for t, *_ in MOVES}
    assert len(expected["deals"]) == 4 * 12 and len(expected["contacts"]) == 4 * 8
    for object_type, *_ in MOVES:
        run_command(f"sync_hubspot_{object_type}", "--full", "--skip-associations")
        rows = BY_NAME[object_type].model.objects.filter(archived=False)
        assert rows.count() > 0
        for row in rows:  # every stage's four names, asked and stored (null or a value)
            assert {k for k in row.properties if k.startswith("hs_v2_")} == expected[
                object_type], (object_type, row.pk)
    for n, (object_type, prop, record_id, stage) in enumerate(MOVES):
        move(hubspot, object_type, record_id, prop, stage, T0 + n * HOUR)
    for object_type, _, record_id, stage in MOVES:
        run = run_command(f"sync_hubspot_{object_type}", "--skip-associations")[object_type]
        assert run["updated"] >= 1
        assert SyncHistory.objects.filter(object_type=object_type).latest("id").mode == \
            "incremental"
        values = {k: v for k, v in stored(object_type, record_id).items()
                  if k.startswith("hs_v2_")}
        assert values == upstream_values(api, object_type, record_id, expected[object_type])
        assert values[f"hs_v2_date_entered_{stage}"] is not None


def test_new_stage_when_added_upstream_then_asked_for_once_pipelines_synced(hubspot, api):
    run_command("sync_hubspot_pipelines")
    run_command("sync_hubspot_deals", "--full", "--skip-associations")
    hubspot.control.add_pipeline_stage("deals", "8134710", "8134716", "Legal review",
                                       {"isClosed": "false", "probability": "0.8"})
    names = set(names_of_stage("8134716"))
    # Moved into it before the mirror stored the stage: read without its names.
    move(hubspot, "deals", "30000000003", "dealstage", "8134716", T0)
    run_command("sync_hubspot_deals", "--skip-associations")
    assert stored("deals", "30000000003")["dealstage"] == "8134716"
    assert not names & set(stored("deals", "30000000003"))
    run_command("sync_hubspot_pipelines")  # stores the stage, and rebuilds the views
    assert HubSpotViewColumn.objects.get(
        view_name="hubspot_deal_v", property_name="hs_v2_date_entered_8134716").sql_type \
        == "timestamp"
    move(hubspot, "deals", "30000000004", "dealstage", "8134716", T0 + HOUR)
    run_command("sync_hubspot_deals", "--skip-associations")
    for deal in ("30000000004", "30000000003"):
        # The deal changed since: read with the new names. The one that did not is unchanged
        # (newest wins) until a force overwrite (docs/operations.md).
        if deal == "30000000003":
            assert not names & set(stored("deals", deal))
            run_command("sync_hubspot_deals", "--full", "--force-overwrite", "--noinput",
                        "--skip-associations")
        values = {k: v for k, v in stored("deals", deal).items() if k in names}
        assert values == upstream_values(api, "deals", deal, names)
        assert values["hs_v2_date_entered_8134716"] is not None


def test_stage_property_when_hubspot_lists_it_then_one_view_column_as_its_definition_says(
        hubspot):
    """Some portals list the lifecycle ones (docs/hubspot-api.md#stage-calculated-properties):
    then the definition types the column, and the name is asked for and shown once."""
    hubspot.control.add_property("contacts", {"name": "hs_v2_latest_time_in_lead",
                                              "type": "number", "fieldType": "number"})
    run_command("sync_hubspot_properties")
    columns = HubSpotViewColumn.objects.filter(view_name="hubspot_contact_v",
                                               property_name__startswith="hs_v2_")
    assert sorted(c.property_name for c in columns) == sorted(
        name for stage in upstream_stages_stored("contacts") for name in names_of_stage(stage))
    listed = columns.get(property_name="hs_v2_latest_time_in_lead")
    assert (listed.column_name, listed.sql_type) == ("hs_v2_latest_time_in_lead", "numeric")


def upstream_stages_stored(object_type: str) -> list[str]:
    """The lifecycle stages as the properties sync stored them."""
    definition = HubSpotProperty.objects.get(object_type=object_type, name="lifecyclestage")
    return [o["value"] for o in definition.options]


def test_request_count_when_stage_properties_asked_then_no_more_requests_than_without(hubspot):
    """Asking for ~50 more names costs no request: a full read and a read by id (webhook
    events, verify --fix) make exactly the requests they made before the stages were stored."""
    run_command("sync_hubspot_deals", "--full", "--skip-associations")
    without = requests_of_last_run("deals")
    by_id_without = _read_by_id("deals", ["30000000001", "30000000003"])
    run_command("sync_hubspot_pipelines")
    # Forced: rows already stored are replaced though unchanged upstream (newest wins).
    run_command("sync_hubspot_deals", "--full", "--force-overwrite", "--noinput",
                "--skip-associations")
    assert requests_of_last_run("deals") == without
    assert "hs_v2_cumulative_time_in_closedlost" in stored("deals", "30000000003")
    BY_NAME["deals"].model.objects.filter(pk="30000000001").delete()
    assert _read_by_id("deals", ["30000000001", "30000000003"]) == by_id_without
    assert "hs_v2_cumulative_time_in_closedlost" in stored("deals", "30000000001")


def _read_by_id(object_type: str, ids: list[str]) -> int:
    """A Mode.IDS run, the one webhook events make (events.py): its requests."""
    with client_from_settings() as client:
        engine = BY_NAME[object_type](SyncOptions(ids=tuple(ids), related=False),
                                      client=client)
        engine.run()
    return requests_of_last_run(object_type)


def documented_stage_query() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "analysts.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```sql\n")[1:]]
    (query,) = [block for block in blocks if "hs_v2_cumulative_time_in_" in block]
    return query


def test_time_in_stage_query_when_deals_moved_then_view_typed_and_matches_hubspot(hubspot, api):
    """The query of docs/analysts.md, as written there, on deals moved through the default
    pipeline at known times; the view's stage columns are typed (dates, numbers)."""
    run_command("sync_hubspot_pipelines")
    # Deal 1 starts in appointmentscheduled, deal 6 in qualifiedtobuy; 2 h in each stage.
    for deal, stages, start in (
            ("30000000001", ["qualifiedtobuy", "presentationscheduled", "closedwon"], 2),
            ("30000000006", ["presentationscheduled", "closedwon"], 3)):
        for k, stage in enumerate(stages):
            move(hubspot, "deals", deal, "dealstage", stage, T0 + (start + 2 * k) * HOUR)
    run_command("sync_hubspot_deals", "--full", "--skip-associations")
    with connection.cursor() as cursor:
        cursor.execute(documented_stage_query())
        rows = {row[0]: (row[1], row[2], None if row[3] is None else
                         Decimal(str(row[3])).quantize(Decimal("0.1")))
                for row in cursor.fetchall()}
    labels = {s["id"]: s["label"] for p in api.get("/crm/v3/pipelines/deals").json()["results"]
              if p["id"] == "default" for s in p["stages"]}
    assert rows == expected_stage_rows(api, labels)
    assert rows[labels["presentationscheduled"]] == (2, 2, Decimal("0.1"))  # 2 h: 0.08 days
    assert len(rows) == 7 and rows[labels["closedwon"]][0] >= 2
    columns = {c.property_name: c for c in HubSpotViewColumn.objects.filter(
        view_name="hubspot_deal_v", property_name__startswith="hs_v2_")}
    assert len(columns) == 4 * 12 and {c.sql_type for c in columns.values()} == {
        "timestamp", "numeric"}
    types = view_types("hubspot_deal_v")
    for name in ("hs_v2_date_entered_qualifiedtobuy", "hs_v2_latest_time_in_qualifiedtobuy"):
        wanted = EXPECTED[columns[name].sql_type][connection.vendor]
        assert types[columns[name].column_name] in wanted
    ((entered, latest),) = view_rows("hubspot_deal_v", [
        "hs_v2_date_entered_qualifiedtobuy", "hs_v2_latest_time_in_qualifiedtobuy"],
        "WHERE id = '30000000001'")
    assert Decimal(str(latest)) == 2 * HOUR
    if connection.vendor == "postgresql":
        assert entered == dt.datetime.fromtimestamp((T0 + 2 * HOUR) / 1000, dt.UTC)


def expected_stage_rows(api, labels: dict[str, str]) -> dict[str, tuple]:
    """Per default-pipeline stage: (entered, left, average days over completed stays), from
    the values HubSpot answers for the live deals."""
    names = sorted(stage_names(list(labels)))
    deals = [r for page in _pages(api, "/crm/v3/objects/deals", names) for r in page]
    out = {}
    for stage, label in labels.items():
        values = [d["properties"] for d in deals]
        times = [int(v[f"hs_v2_cumulative_time_in_{stage}"]) for v in values
                 if v[f"hs_v2_cumulative_time_in_{stage}"] is not None]
        average = ((Decimal(sum(times)) / len(times) / 86_400_000).quantize(Decimal("0.1"))
                   if times else None)
        out[label] = (sum(v[f"hs_v2_date_entered_{stage}"] is not None for v in values),
                      sum(v[f"hs_v2_date_exited_{stage}"] is not None for v in values), average)
    return out


def _pages(api, path: str, names: list[str]):
    params = {"limit": 100, "properties": ",".join(names)}
    while True:
        page = api.get(path, params=params).json()
        yield page["results"]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            return
        params["after"] = after
