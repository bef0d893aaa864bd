"""The layer's engagement tables against the mirror they read, on both databases: `engagement`
is every activity once with Fivetran's type, the per-type tables carry the type's properties
(owner ids as bigint, archived rows flagged), the link tables are the engagements'
association rows, and no property column would clash in dbt_hubspot's staging models."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone
from sync_commands import run_command

from ingestion.models import HubSpotAssociation, HubSpotCall, HubSpotEmail, HubSpotNote
from ingestion.object_types import BY_NAME
from ingestion.sync.hubspot.fivetran.engagements import (
    ACTIVITIES,
    LISTED,
    dbt_names,
    dbt_safe,
    per_type,
)
from ingestion.sync.hubspot.fivetran.layout import Column, literal, view_name

from .test_layer_build import layer_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

ACTIVITY_TYPES = [activity.object_type for activity in ACTIVITIES]


def build_layer() -> None:
    run_command("build_hubspot_views", "--layout", "fivetran")


@pytest.fixture
def synced(hubspot):
    run_command("sync_hubspot_properties")
    for object_type in ACTIVITY_TYPES:
        run_command(f"sync_hubspot_{object_type}")
    build_layer()
    return hubspot


def mirror_count(object_type: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BY_NAME[object_type].table}")
        return cursor.fetchone()[0]


def test_engagement_when_built_then_every_activity_once_with_its_type(synced):
    rows = layer_rows("engagement", ["id", "type", "owner_id", "timestamp", "active"])
    counts = {object_type: mirror_count(object_type) for object_type in ACTIVITY_TYPES}
    assert counts["calls"] and counts["communications"] and counts["postal_mail"]
    assert len(rows) == sum(counts.values()) == len({row[0] for row in rows})
    assert all(isinstance(row[0], int) for row in rows)
    by_id = {row[0]: row for row in rows}

    call = HubSpotCall.objects.exclude(hubspot_owner_id=None).order_by("id").first()
    _, kind, owner, occurred, active = by_id[int(call.id)]
    assert (kind, owner, bool(active)) == ("CALL", int(call.hubspot_owner_id), True)
    assert occurred is not None
    # An email's type is its direction, as HubSpot's engagements name them.
    for email in HubSpotEmail.objects.all():
        direction = email.properties.get("hs_email_direction")
        expected = direction if direction in ("INCOMING_EMAIL", "FORWARDED_EMAIL") else "EMAIL"
        assert by_id[int(email.id)][1] == expected
    assert {row[1] for row in rows} >= {"CALL", "EMAIL", "MEETING", "NOTE", "TASK",
                                        "COMMUNICATION", "POSTAL_MAIL"}


def test_per_type_tables_when_built_then_properties_and_ids_as_the_mirror_has_them(synced):
    call = HubSpotCall.objects.exclude(hubspot_owner_id=None).order_by("id").first()
    [row] = layer_rows("engagement_call", [
        "engagement_id", "type", "property_hubspot_owner_id", "property_hs_call_title",
        "property_hs_call_duration", "property_hs_timestamp", "_fivetran_deleted",
    ], f"WHERE engagement_id = {int(call.id)}")
    assert row[:4] == (int(call.id), "CALL", int(call.hubspot_owner_id), call.hs_call_title)
    assert row[4] == int(call.properties["hs_call_duration"])
    assert row[5] is not None and not row[6]

    note = HubSpotNote.objects.order_by("id").first()
    [(body,)] = layer_rows("engagement_note", ["body"], f"WHERE engagement_id = {int(note.id)}")
    assert body == note.properties["hs_note_body"]
    for activity in ACTIVITIES:
        if activity.fivetran:
            ids = layer_rows(activity.fivetran, ["engagement_id"])
            assert len(ids) == mirror_count(activity.object_type)


def test_engagement_call_when_archived_upstream_then_deleted_and_not_active(synced, api):
    call = HubSpotCall.objects.order_by("id").first()
    assert api.delete(f"/crm/v3/objects/calls/{call.id}").status_code == 204
    run_command("sync_hubspot_calls")
    assert HubSpotCall.objects.get(pk=call.pk).archived
    [(deleted,)] = layer_rows("engagement_call", ["_fivetran_deleted"],
                              f"WHERE engagement_id = {int(call.id)}")
    [(active, engagement_deleted)] = layer_rows("engagement", ["active", "_fivetran_deleted"],
                                                f"WHERE id = {int(call.id)}")
    assert bool(deleted) and not bool(active) and bool(engagement_deleted)
    rows = layer_rows("engagement_call", ["engagement_id", "_fivetran_deleted"])
    archived = {int(pk) for pk in HubSpotCall.objects.filter(archived=True).values_list(
        "pk", flat=True)}
    assert {row[0] for row in rows if row[1]} == archived
    assert len(archived) < len(rows)


def test_link_tables_when_built_then_one_row_per_engagement_association(synced):
    for table, to_type, column in (("engagement_contact", "contacts", "contact_id"),
                                   ("engagement_company", "companies", "company_id"),
                                   ("engagement_deal", "deals", "deal_id")):
        stored = HubSpotAssociation.objects.filter(from_object_type__in=ACTIVITY_TYPES,
                                                   to_object_type=to_type)
        rows = layer_rows(table, ["engagement_id", column, "category", "type_id"])
        assert rows and len(rows) == stored.count()
        link = stored.order_by("from_id", "to_id").first()
        assert (int(link.from_id), int(link.to_id), link.category,
                link.association_type_id) in rows
        assert all(isinstance(row[0], int) and isinstance(row[1], int) for row in rows)


def test_ticket_engagement_when_engagements_are_linked_to_tickets_then_listed(synced):
    stored = HubSpotAssociation.objects.filter(from_object_type__in=ACTIVITY_TYPES,
                                               to_object_type="tickets")
    rows = layer_rows("ticket_engagement", ["ticket_id", "engagement_id", "category"])
    assert rows and len(rows) == stored.count()
    link = stored.order_by("from_id", "to_id").first()
    assert (int(link.to_id), int(link.from_id), link.category) in rows
    HubSpotAssociation.objects.create(  # a ticket's link to a contact is not an engagement's
        from_object_type="tickets", from_id=link.to_id, to_object_type="contacts",
        to_id="10000000001", association_type_id=16, category="HUBSPOT_DEFINED",
        synced_at=timezone.now())
    assert len(layer_rows("ticket_engagement", ["ticket_id"])) == len(rows)
    contacts = layer_rows("engagement_contact", ["engagement_id"])
    assert int(link.to_id) not in {row[0] for row in contacts}


def layer_columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {view_name(table)} LIMIT 0")
        return {column[0] for column in cursor.description}


def test_engagement_call_when_a_property_would_clash_in_dbt_then_left_out(synced):
    for name in ("hs_owner_id", "hs_contact_ids", "hs_call_region"):
        synced.control.add_property("calls", {"name": name, "type": "string",
                                              "fieldType": "text", "label": name})
    run_command("sync_hubspot_properties")  # rebuilds the layer: new property columns
    columns = layer_columns("engagement_call")
    assert "property_hs_call_region" in columns
    assert not {"property_hs_owner_id", "property_hs_contact_ids"} & columns
    assert {"property_hubspot_owner_id", "property_hs_call_title"} <= columns


def text_columns(*names: str) -> tuple[Column, ...]:
    return tuple(literal(name, "text") for name in names)


def test_dbt_names_when_renamed_as_dbt_hubspot_does_then_clashes_are_found():
    fixed = per_type(ACTIVITIES[0]).columns
    names = [c.name for c in fixed] + ["property_hs_call_title", "property_custom",
                                       "property_abcengagement_id", "property_hs_type"]
    staged = dbt_names(names, LISTED)
    # The prefix goes; other columns keep their names; a column whose name without its first
    # 12 characters is another column's takes that name (dbt's duplicate rule).
    assert staged["property_hs_call_title"] == "call_title"
    assert staged["property_custom"] == "property_custom"
    assert staged["property_abcengagement_id"] == "engagement_id"
    assert staged["property_hs_type"] == "type"  # `type` itself is staged as engagement_type
    keep = dbt_safe(fixed, LISTED)
    kept = keep(text_columns("property_hs_call_title", "property_abcengagement_id",
                             "property_hs_type", "property_hs_team_id", "property_hs_2x",
                             "property_hs__2x"))
    assert [c.name for c in kept] == ["property_hs_call_title", "property_hs_type",
                                      "property_hs_2x"]
