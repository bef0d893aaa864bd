"""Owners, pipelines (with stages) and property definitions: read in full every run, saved
through the same base-engine path (normal save, force overwrite, dry run)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sync_commands import run_command

from ingestion.models import (
    HubSpotOwner,
    HubSpotPipeline,
    HubSpotPipelineStage,
    HubSpotProperty,
    SyncHistory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]


def test_portal_when_owners_synced_then_live_and_archived_owners_with_their_fields(hubspot, api):
    upstream = [*api.get("/crm/v3/owners", params={"limit": 500}).json()["results"],
                *api.get("/crm/v3/owners", params={"archived": "true"}).json()["results"]]
    counts = run_command("sync_hubspot_owners")["owners"]
    assert counts["created"] == len(upstream) == HubSpotOwner.objects.count()
    assert HubSpotOwner.objects.filter(archived=True).count() == sum(
        o["archived"] for o in upstream) > 0
    first = upstream[0]
    row = HubSpotOwner.objects.get(pk=first["id"])
    assert (row.email, row.first_name, row.last_name, row.user_id, row.type) == (
        first["email"], first["firstName"], first["lastName"], first["userId"], first["type"])
    assert row.teams == first["teams"] and row.raw == first
    assert SyncHistory.objects.get().mode == "full"  # never incremental: no such query


def test_portal_when_pipelines_synced_then_deal_and_ticket_pipelines_with_stages(hubspot):
    run = run_command("sync_hubspot_pipelines")
    assert set(HubSpotPipeline.objects.values_list("pk", flat=True)) == {
        "deals:default", "deals:8134710", "tickets:0", "tickets:9202001"}
    assert run["pipelines"]["created"] == 4
    assert run["pipeline_stages"]["created"] == HubSpotPipelineStage.objects.count() == 19
    won = HubSpotPipelineStage.objects.get(pk="deals:default:closedwon")
    assert (won.pipeline, won.stage_id, won.is_closed, won.probability) == (
        "deals:default", "closedwon", True, Decimal("1"))
    ticket_stage = HubSpotPipelineStage.objects.get(pk="tickets:0:1")
    assert (ticket_stage.ticket_state, ticket_stage.is_closed) == ("OPEN", False)
    assert HubSpotPipeline.objects.get(pk="deals:default").label == "Sales Pipeline"
    assert "pipelines" in run.out.splitlines()[-5]  # ends with the table


def test_portal_when_properties_synced_then_every_definition_of_every_type(hubspot, api):
    run_command("sync_hubspot_properties")
    for object_type in ("contacts", "deals", "calls", "2-3508482"):
        live = api.get(f"/crm/v3/properties/{object_type}").json()["results"]
        archived = api.get(f"/crm/v3/properties/{object_type}",
                           params={"archived": "true"}).json()["results"]
        stored = HubSpotProperty.objects.filter(object_type=object_type)
        assert {p.name for p in stored} == {p["name"] for p in live + archived}
        assert stored.filter(archived=True).count() == len(archived) > 0
    email = HubSpotProperty.objects.get(pk="contacts:email")
    assert (email.type, email.field_type, email.hubspot_defined, email.custom) == (
        "string", "text", True, False)
    color = HubSpotProperty.objects.get(pk="contacts:favorite_color")
    assert color.custom and color.group_name and "blue" in {o["value"] for o in color.options}


DEFINITIONS = [
    ("sync_hubspot_owners", "owners", HubSpotOwner, "first_name"),
    ("sync_hubspot_pipelines", "pipelines", HubSpotPipeline, "label"),
    ("sync_hubspot_pipelines", "pipeline_stages", HubSpotPipelineStage, "label"),
    ("sync_hubspot_properties", "properties", HubSpotProperty, "label"),
]


@pytest.mark.parametrize(("command", "name", "model", "column"), DEFINITIONS,
                         ids=[d[1] for d in DEFINITIONS])
def test_local_edit_when_rerun_then_kept_but_force_overwrite_replaces_it(
        hubspot, command, name, model, column):
    created = run_command(command)[name]["created"]
    pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
    original = getattr(model.objects.get(pk=pk), column)
    model.objects.filter(pk=pk).update(**{column: "edited locally"})

    again = run_command(command)[name]
    assert again["skipped"] == again["fetched"] == created
    assert getattr(model.objects.get(pk=pk), column) == "edited locally"

    dry = run_command(command, "--force-overwrite", "--dry-run")[name]
    assert dry["overwritten"] == created
    assert getattr(model.objects.get(pk=pk), column) == "edited locally"

    forced = run_command(command, "--force-overwrite", "--noinput")[name]
    assert (forced["overwritten"], forced["skipped"], forced["created"]) == (created, 0, 0)
    assert getattr(model.objects.get(pk=pk), column) == original
    assert model.objects.count() == created
