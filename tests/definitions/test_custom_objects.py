"""Custom objects: every type the schemas API lists is synced into one generic table, keyed
`<objectTypeId>:<recordId>`; a type created upstream needs no code change."""

from __future__ import annotations

import pytest
from django.utils import timezone
from sync_commands import run_command

from ingestion.models import (
    HubSpotAssociation,
    HubSpotCustomObject,
    HubSpotCustomObjectSchema,
    HubSpotProperty,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

PETS = "2-3508482"


def create_vehicles(api, count: int = 3) -> tuple[str, list[str]]:
    """A new custom object type upstream, with `count` records: (type id, record ids)."""
    schema = api.post("/crm/v3/schemas", json={
        "name": "vehicles", "labels": {"singular": "Vehicle", "plural": "Vehicles"},
        "primaryDisplayProperty": "plate", "requiredProperties": ["plate"],
        "properties": [{"name": "plate", "label": "Plate", "type": "string",
                        "fieldType": "text"},
                       {"name": "mileage", "label": "Mileage", "type": "number",
                        "fieldType": "number"}]}).raise_for_status().json()
    type_id = schema["objectTypeId"]
    created = api.post(f"/crm/v3/objects/{type_id}/batch/create", json={"inputs": [
        {"properties": {"plate": f"AB-{n}", "mileage": str(n * 1000)}} for n in range(count)]}
    ).raise_for_status().json()
    return type_id, [r["id"] for r in created["results"]]


def test_default_portal_when_custom_objects_synced_then_schema_records_and_links_stored(
        hubspot, api):
    upstream = api.get(f"/crm/v3/objects/{PETS}", params={"limit": 100}).json()["results"]
    run = run_command("sync_hubspot_custom_objects")
    assert run["schemas"]["created"] == 1
    assert run[f"pets ({PETS})"]["created"] >= len(upstream) > 0
    schema = HubSpotCustomObjectSchema.objects.get(pk=PETS)
    assert (schema.name, schema.fully_qualified_name, schema.label_plural) == (
        "pets", "p24681357_pets", "Pets")
    record = upstream[0]
    row = HubSpotCustomObject.objects.get(pk=f"{PETS}:{record['id']}")
    assert (row.object_type_id, row.record_id) == (PETS, record["id"])
    assert row.properties["pet_name"] == record["properties"]["pet_name"]
    # the schema's association definitions say pets link to contacts: they are read
    assert HubSpotAssociation.objects.filter(from_object_type=PETS,
                                             to_object_type="contacts").exists()


def test_type_created_upstream_when_custom_objects_synced_then_synced_without_code_change(
        hubspot, api):
    run_command("sync_hubspot_custom_objects")
    type_id, record_ids = create_vehicles(api)
    run = run_command("sync_hubspot_custom_objects")
    assert run[f"vehicles ({type_id})"]["created"] == len(record_ids)
    assert run[f"pets ({PETS})"]["created"] == 0  # the other type is untouched
    rows = HubSpotCustomObject.objects.filter(object_type_id=type_id)
    assert {r.pk for r in rows} == {f"{type_id}:{i}" for i in record_ids}
    assert {r.properties["plate"] for r in rows} == {"AB-0", "AB-1", "AB-2"}
    assert HubSpotCustomObjectSchema.objects.get(pk=type_id).name == "vehicles"
    run_command("sync_hubspot_properties")
    plate = HubSpotProperty.objects.get(pk=f"{type_id}:plate")  # its definitions too
    assert (plate.object_type, plate.label, plate.custom) == (type_id, "Plate", True)


def test_two_custom_types_when_full_sync_then_each_sweep_archives_only_its_own_rows(
        hubspot, api):
    type_id, _ = create_vehicles(api)
    run_command("sync_hubspot_custom_objects", "--full")
    HubSpotCustomObject.objects.create(  # a vehicle HubSpot no longer has
        id=f"{type_id}:1", object_type_id=type_id, record_id="1", properties={},
        updated_at=timezone.now(), synced_at=timezone.now())
    run = run_command("sync_hubspot_custom_objects", "--full")
    assert run[f"pets ({PETS})"]["archived"] == 0  # the pets sweep left the vehicle alone
    assert run[f"vehicles ({type_id})"]["archived"] == 1
    assert HubSpotCustomObject.objects.get(pk=f"{type_id}:1").archived
    assert not HubSpotCustomObject.objects.filter(object_type_id=type_id, archived=True) \
        .exclude(pk=f"{type_id}:1").exists()
