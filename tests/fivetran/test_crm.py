"""The layer's CRM tables against the mirror they read (docs/fivetran-layer.md, "CRM objects
…"): objects with their property columns and deletion flags, link tables, pipelines and
stages, owners, teams, users and roles, property definitions and options, property history
and each deal's stages as ranges, and merges; on both databases, after real syncs from the
emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import pytest
from django.conf import settings
from django.db import connection
from django.utils.dateparse import parse_datetime
from sync_commands import run_command

from ingestion.models import (
    HubSpotAssociation,
    HubSpotContact,
    HubSpotDeal,
    HubSpotLineItem,
    HubSpotOwner,
    HubSpotPipelineStage,
    HubSpotProperty,
    HubSpotSettingsUser,
    HubSpotTeamMember,
    HubSpotTicket,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

DEALS = "/crm/v3/objects/deals"
CONTACTS = "/crm/v3/objects/contacts"
SYNCS = ("sync_hubspot_properties", "sync_hubspot_pipelines", "sync_hubspot_owners",
         "sync_hubspot_companies", "sync_hubspot_contacts", "sync_hubspot_deals",
         "sync_hubspot_tickets", "sync_hubspot_line_items", "sync_hubspot_products",
         "sync_hubspot_roles",
         "sync_hubspot_teams", "sync_hubspot_settings_users")


def rows(table: str, columns: str, where: str = "", params=()) -> list[dict]:
    """The layer's rows, as dicts (booleans and timestamps as each database returns them)."""
    if connection.vendor == "postgresql":
        view = f'"{settings.HUBSPOT_FIVETRAN_SCHEMA}"."{table}"'
    else:
        view = f'"{settings.HUBSPOT_FIVETRAN_SCHEMA}_{table}"'
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {view} {where}", list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def moment(value) -> datetime | None:
    """A timestamp read from the layer (SQLite returns text) as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value.replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # SQLite keeps UTC


def build() -> None:
    run_command("build_hubspot_views", "--layout", "fivetran")


def sync(*deal_flags: str) -> None:
    for command in SYNCS:
        flags = deal_flags if command == "sync_hubspot_deals" else ()
        run_command(command, *flags)


@pytest.fixture
def mirrored(hubspot, api):
    """The default portal with one deal archived upstream, synced and the layer built."""
    archived = api.get(DEALS, params={"limit": 1}).raise_for_status().json()["results"][0]["id"]
    api.delete(f"{DEALS}/{archived}").raise_for_status()
    sync()
    build()
    return archived


def test_objects_when_built_then_bigint_ids_flags_and_values_match_the_mirror(mirrored):
    archived = mirrored
    deals = {row["deal_id"]: row for row in rows(
        "deal", "deal_id, deal_pipeline_id, deal_pipeline_stage_id, owner_id, portal_id, "
                "is_deleted, _fivetran_deleted, property_dealname, property_hubspot_owner_id, "
                "property_amount")}
    assert deals and all(isinstance(deal_id, int) for deal_id in deals)
    for deal in HubSpotDeal.objects.all():
        row = deals[int(deal.id)]
        assert row["deal_pipeline_id"] == deal.pipeline
        assert row["deal_pipeline_stage_id"] == deal.dealstage
        assert row["property_dealname"] == deal.dealname
        owner = int(deal.hubspot_owner_id) if deal.hubspot_owner_id else None
        assert row["owner_id"] == row["property_hubspot_owner_id"] == owner
        assert (row["property_amount"] is None) == (deal.amount is None)
        if deal.amount is not None:
            assert float(row["property_amount"]) == float(deal.amount)
        assert bool(row["is_deleted"]) is bool(row["_fivetran_deleted"]) is deal.archived
        assert row["portal_id"] is None
    assert deals[int(archived)]["is_deleted"]

    contact = HubSpotContact.objects.filter(archived=False).exclude(email=None).first()
    [row] = rows("contact", "id, property_email, property_firstname, _fivetran_deleted",
                 "WHERE id = %s", [int(contact.id)])
    assert (row["property_email"], row["property_firstname"]) == (contact.email,
                                                                   contact.firstname)
    assert not row["_fivetran_deleted"]
    tickets = rows("ticket", "id, property_subject, property_hs_pipeline_stage, is_deleted")
    assert {(t["id"], t["property_subject"], t["property_hs_pipeline_stage"])
            for t in tickets} == {(int(t.id), t.subject, t.hs_pipeline_stage)
                                  for t in HubSpotTicket.objects.all()}
    line_items = rows("line_item", "id, product_id")
    assert {(r["id"], r["product_id"]) for r in line_items} == {
        (int(li.id), int(li.hs_product_id) if li.hs_product_id else None)
        for li in HubSpotLineItem.objects.all()}
    assert len(rows("company", "id")) > 0 and len(rows("product", "id")) > 0


def _links(from_type: str, to_type: str) -> set[tuple]:
    return {(int(a.from_id), int(a.to_id), a.association_type_id, a.category)
            for a in HubSpotAssociation.objects.filter(from_object_type=from_type,
                                                       to_object_type=to_type)}


@pytest.mark.parametrize(("table", "from_type", "to_type"), [
    ("deal_company", "deals", "companies"), ("deal_contact", "deals", "contacts"),
    ("contact_company", "contacts", "companies"), ("ticket_contact", "tickets", "contacts"),
    ("ticket_company", "tickets", "companies"), ("line_item_deal", "line_items", "deals")])
def test_link_tables_when_built_then_each_is_the_from_sides_associations(
        mirrored, table, from_type, to_type):
    first, second = table.rsplit("_", 1) if table != "line_item_deal" else ("line_item", "deal")
    found = {(r[f"{first}_id"], r[f"{second}_id"], r["type_id"], r["category"])
             for r in rows(table, "*")}
    assert found and found == _links(from_type, to_type)


def test_pipelines_when_built_then_stages_carry_closed_won_probability_and_ticket_state(
        mirrored):
    stages = {r["stage_id"]: r for r in rows("deal_pipeline_stage", "*")}
    mirror = {s.stage_id: s for s in HubSpotPipelineStage.objects.filter(object_type="deals")}
    assert stages.keys() == mirror.keys()
    for stage_id, row in stages.items():
        assert bool(row["is_closed"]) is mirror[stage_id].is_closed
        assert float(row["probability"]) == float(mirror[stage_id].probability)
        won = mirror[stage_id].is_closed and mirror[stage_id].probability == 1
        assert bool(row["closed_won"]) is won
        assert row["active"] and not row["_fivetran_deleted"]
    assert any(row["closed_won"] for row in stages.values())
    # Every deal's stage is a stage of its pipeline (dbt_hubspot joins on both).
    for deal in rows("deal", "deal_pipeline_id, deal_pipeline_stage_id"):
        assert stages[deal["deal_pipeline_stage_id"]]["pipeline_id"] == deal["deal_pipeline_id"]
    pipelines = rows("deal_pipeline", "pipeline_id, label, active")
    assert {p["pipeline_id"] for p in pipelines} == {s["pipeline_id"] for s in stages.values()}
    ticket_stages = rows("ticket_pipeline_stage", "stage_id, ticket_state, is_closed")
    assert ticket_stages and all(s["ticket_state"] in ("OPEN", "CLOSED") for s in ticket_stages)
    assert {p["object_type_id"] for p in rows("ticket_pipeline", "object_type_id")} == {"0-5"}


def test_owners_teams_users_roles_when_built_then_ids_join_as_integers(mirrored):
    owners = {r["owner_id"]: r for r in rows("owner", "*")}
    owner = HubSpotOwner.objects.exclude(user_id=None).first()
    row = owners[int(owner.id)]
    assert (row["email"], row["active_user_id"], row["type"]) == (owner.email, owner.user_id,
                                                                  owner.type)
    users = {r["id"]: r for r in rows("users", "*")}
    assert row["active_user_id"] in users  # dbt_hubspot joins owner.active_user_id = users.id
    user = HubSpotSettingsUser.objects.exclude(role_id=None).first()
    assert users[int(user.id)]["role_id"] == int(user.role_id)
    assert users[int(user.id)]["role_id"] in {r["id"] for r in rows("role", "id")}
    teams = {r["id"] for r in rows("team", "id, name")}
    owner_teams = rows("owner_team", "*")
    assert owner_teams and {r["team_id"] for r in owner_teams} <= teams
    assert {r["owner_id"] for r in owner_teams} <= owners.keys()
    members = {(r["team_id"], r["user_id"]): r["is_secondary_user"]
               for r in rows("team_user", "*")}
    secondary = HubSpotTeamMember.objects.filter(is_primary=False).first()
    assert members[(int(secondary.team_id), int(secondary.user_id))]
    assert len(members) == HubSpotTeamMember.objects.count()


def test_property_and_options_when_built_then_options_name_their_definition(mirrored):
    definition = HubSpotProperty.objects.get(object_type="deals", name="dealstage")
    [prop] = rows("property", "*", "WHERE _fivetran_id = %s", [definition.id])
    assert (prop["hubspot_object"], prop["name"], prop["type"]) == ("deal", "dealstage",
                                                                   definition.type)
    options = rows("property_option", "*", "WHERE property_id = %s ORDER BY display_order",
                   [definition.id])
    assert [(o["value"], o["label"], o["display_order"]) for o in options] == [
        (o["value"], o["label"], o["displayOrder"]) for o in sorted(
            definition.options, key=lambda o: o["displayOrder"])]
    assert all(o["hubspot_object"] == "deal" and o["name"] == "dealstage" and not o["hidden"]
               for o in options)
    objects = {r["hubspot_object"] for r in rows("property", "hubspot_object")}
    assert {"contact", "company", "deal", "ticket", "line_item", "product"} <= objects


def test_deal_stage_when_stage_history_is_kept_then_one_range_per_version(hubspot, api):
    deal_id = api.get(DEALS, params={"limit": 1}).raise_for_status().json()["results"][0]["id"]
    now = hubspot.control.health()["now_ms"]
    for step, stage in enumerate(("qualifiedtobuy", "contractsent", "closedwon"), start=1):
        # A second apart: versions stamped in one millisecond would tie in the ranges.
        hubspot.control.set_clock(now + 1_000 * step)
        api.patch(f"{DEALS}/{deal_id}",
                  json={"properties": {"dealstage": stage}}).raise_for_status()
    hubspot.control.set_clock(None)
    sync("--with-history", "dealstage")
    build()

    stages = rows("deal_stage", "*", "WHERE deal_id = %s ORDER BY _fivetran_start",
                  [int(deal_id)])
    assert len(stages) >= 3 and stages[-1]["value"] == "closedwon"
    assert [s["value"] for s in stages[-3:]] == ["qualifiedtobuy", "contractsent", "closedwon"]
    for earlier, later in pairwise(stages):
        assert moment(earlier["_fivetran_end"]) == moment(later["_fivetran_start"])
        assert not earlier["_fivetran_active"]
    assert stages[-1]["_fivetran_active"]
    assert moment(stages[-1]["_fivetran_end"]).year == 9999
    history = rows("deal_property_history", "deal_id, name, value",
                   "WHERE deal_id = %s AND name = 'dealstage'", [int(deal_id)])
    assert len(history) == len(stages)

    # A deal whose stage history is not kept: one active row, its current stage, entered when
    # HubSpot says it entered it (hs_v2_date_entered_<stage>), else at its creation.
    other = HubSpotDeal.objects.exclude(pk=deal_id).filter(archived=False).first()
    [row] = rows("deal_stage", "*", "WHERE deal_id = %s", [int(other.id)])
    assert row["value"] == other.dealstage and row["_fivetran_active"]
    entered = other.properties.get(f"hs_v2_date_entered_{other.dealstage}")
    expected = parse_datetime(entered) if entered else other.createdate
    assert moment(row["_fivetran_start"]) == expected == moment(row["date_entered"])


def test_merges_when_deals_and_contacts_merged_upstream_then_merge_tables_list_them(
        hubspot, api):
    deal_ids = [d["id"] for d in api.get(DEALS, params={"limit": 2}).raise_for_status()
                .json()["results"]]
    api.post(f"{DEALS}/merge", json={"primaryObjectId": deal_ids[0],
                                     "objectIdToMerge": deal_ids[1]}).raise_for_status()
    # HubSpot lists a deal's absorbed ids (and its own) in `hs_merged_object_ids`; the
    # emulator's deals do not define that property, so the survivor is served as HubSpot would.
    survivor_deal = api.get(f"{DEALS}/{deal_ids[0]}", params={
        "properties": "dealname,dealstage,pipeline,createdate,hs_lastmodifieddate"}
    ).raise_for_status().json()
    survivor_deal["properties"]["hs_merged_object_ids"] = ";".join(deal_ids)
    hubspot.control.put_raw("deals", deal_ids[0], survivor_deal)
    contact_ids = [c["id"] for c in api.get(CONTACTS, params={"limit": 2}).raise_for_status()
                   .json()["results"]]
    run_command("sync_hubspot_contacts", "--full")
    survivor = api.post(f"{CONTACTS}/merge", json={
        "primaryObjectId": contact_ids[0], "objectIdToMerge": contact_ids[1]}
    ).raise_for_status().json()["id"]
    sync()
    build()

    merged = rows("merged_deal", "deal_id, merged_deal_id")
    assert merged == [{"deal_id": int(deal_ids[0]), "merged_deal_id": int(deal_ids[1])}]
    audits = rows("contact_merge_audit", "contact_id, canonical_vid, vid_to_merge",
                  "ORDER BY vid_to_merge")
    assert audits == [{"contact_id": int(survivor), "canonical_vid": int(survivor),
                       "vid_to_merge": int(merged_id)} for merged_id in sorted(
        contact_ids, key=int)]
    [contact] = rows("contact", "property_hs_merged_object_ids", "WHERE id = %s",
                     [int(survivor)])
    assert set(contact["property_hs_merged_object_ids"].split(";")) == set(contact_ids)


def test_ticket_history_when_kept_then_ranges_end_where_the_next_version_starts(hubspot, api):
    ticket_id = api.get("/crm/v3/objects/tickets", params={"limit": 1}).raise_for_status(
    ).json()["results"][0]["id"]
    for stage in ("2", "3"):
        api.patch(f"/crm/v3/objects/tickets/{ticket_id}",
                  json={"properties": {"hs_pipeline_stage": stage}}).raise_for_status()
    run_command("sync_hubspot_properties")
    run_command("sync_hubspot_tickets", "--with-history", "hs_pipeline_stage")
    build()
    versions = rows("ticket_property_history", "*",
                    "WHERE ticket_id = %s ORDER BY _fivetran_start", [int(ticket_id)])
    assert len(versions) >= 2 and versions[-1]["value"] == "3"
    assert moment(versions[-2]["_fivetran_end"]) == moment(versions[-1]["_fivetran_start"])
    assert moment(versions[-1]["timestamp_instant"]) == moment(versions[-1]["timestamp"])
    assert versions[-1]["_fivetran_active"] and not versions[-2]["_fivetran_active"]
