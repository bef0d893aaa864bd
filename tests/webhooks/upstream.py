"""What HubSpot (the emulator) holds, read the way the mirror reads it, and the local rows to
compare it with."""

from __future__ import annotations

import httpx
from django.apps import apps

from ingestion.models import HubSpotAssociation

MODELS = {"contacts": "HubSpotContact", "companies": "HubSpotCompany", "deals": "HubSpotDeal"}


def model(object_type: str):
    return apps.get_model("ingestion", MODELS[object_type])


def record(api: httpx.Client, object_type: str, object_id: str) -> dict | None:
    """The record with every property, live or else from the recycle bin; None if neither
    has it. A merged-away id answers with the record that absorbed it."""
    names = [p["name"] for p in api.get(f"/crm/v3/properties/{object_type}")
             .raise_for_status().json()["results"]]
    for archived in ("false", "true"):
        found = api.post(f"/crm/v3/objects/{object_type}/batch/read",
                         params={"archived": archived},
                         json={"inputs": [{"id": str(object_id)}], "properties": names})
        results = found.json().get("results") or []
        if results:
            return results[0]
    return None


def assert_mirrored(api: httpx.Client, object_type: str, object_id: str) -> None:
    """The local row holds exactly what HubSpot holds for the record."""
    upstream = record(api, object_type, object_id)
    assert upstream is not None and upstream["id"] == str(object_id)
    row = model(object_type).objects.get(pk=str(object_id))
    assert row.properties == upstream["properties"]
    assert row.archived is upstream.get("archived", False)
    assert row.deleted_kind == ("archived" if row.archived else None)


def links_upstream(api: httpx.Client, from_type: str, from_id: str, to_type: str) -> set:
    data = api.get(f"/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}",
                   params={"limit": 500}).raise_for_status().json()
    return {(str(r["toObjectId"]), t["typeId"], t["category"])
            for r in data["results"] for t in r["associationTypes"]}


def links_local(from_type: str, from_id: str, to_type: str) -> set:
    return set(HubSpotAssociation.objects.filter(
        from_object_type=from_type, from_id=str(from_id), to_object_type=to_type
    ).values_list("to_id", "association_type_id", "category"))


def links_of(object_type: str, object_id: str) -> int:
    """Local link rows naming the record, from either end."""
    return (HubSpotAssociation.objects.filter(from_object_type=object_type,
                                              from_id=str(object_id)).count()
            + HubSpotAssociation.objects.filter(to_object_type=object_type,
                                                to_id=str(object_id)).count())


def mirror_snapshot() -> dict[str, list[dict]]:
    """Every mirrored row and link (not the run bookkeeping)."""
    names = [*MODELS.values(), "HubSpotAssociation", "HubSpotTicket", "HubSpotLineItem"]
    return {name: list(apps.get_model("ingestion", name).objects.order_by("pk").values())
            for name in names}
