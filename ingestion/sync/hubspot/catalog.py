"""HubSpot's definition and association endpoints (API-FACTS §5), on HubSpotClient.request().

Like the client, these functions only read HTTP and hand back HubSpot's JSON (or plain
tuples); saving is the engines' job.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from .client import HubSpotClient

# The standard CRM object types, by API name, and their type ids (API-FACTS §2).
OBJECT_TYPE_IDS = {
    "contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5",
    "products": "0-7", "line_items": "0-8", "calls": "0-48", "emails": "0-49",
    "meetings": "0-47", "notes": "0-46", "tasks": "0-27",
}
OBJECT_TYPE_NAMES = {type_id: name for name, type_id in OBJECT_TYPE_IDS.items()}
PIPELINE_OBJECT_TYPES = ("deals", "tickets")
ASSOCIATION_BATCH_MAX = 1_000  # §5: v4 batch read takes at most 1,000 inputs
OWNERS_PAGE_MAX = 100


class Association(NamedTuple):
    from_id: str
    to_type: str
    to_id: str
    type_id: int
    category: str
    label: str | None


def _next_after(data: dict) -> str | None:
    return ((data.get("paging") or {}).get("next") or {}).get("after")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def associations(client: HubSpotClient, from_type: str, to_type: str,
                 ids: list[str]) -> Iterator[Association]:
    """Every association of the `ids` records towards `to_type` (v4 batch read).

    Up to 1,000 inputs a request; a record with more links than one answer holds carries its
    own `paging.next.after`, which is asked for again (with others in the same state) until
    no result has more. Ids with no associations come back in a 207's `errors`: no links.
    """
    path = f"/crm/v4/associations/{from_type}/{to_type}/batch/read"
    pending = [{"id": str(i)} for i in ids]
    while pending:
        chunk, pending = pending[:ASSOCIATION_BATCH_MAX], pending[ASSOCIATION_BATCH_MAX:]
        data = client.request("POST", path, json={"inputs": chunk})
        for result in data.get("results", []):
            from_id = str(result["from"]["id"])
            for target in result.get("to", []):
                for kind in target.get("associationTypes", []):
                    yield Association(from_id, to_type, str(target["toObjectId"]),
                                      int(kind["typeId"]), str(kind.get("category") or ""),
                                      kind.get("label"))
            after = _next_after(result)
            if after:
                pending.append({"id": from_id, "after": after})


def owner_pages(client: HubSpotClient, *, archived: bool = False) -> Iterator[list[dict]]:
    """Owners a page at a time; HubSpot lists archived owners only with `archived=true`."""
    params: dict = {"limit": OWNERS_PAGE_MAX, "archived": _bool(archived)}
    while True:
        data = client.request("GET", "/crm/v3/owners", params=params)
        if data.get("results"):
            yield data["results"]
        after = _next_after(data)
        if not after:
            return
        params["after"] = after


def pipelines(client: HubSpotClient, object_type: str) -> list[dict]:
    """Every pipeline of the type with its stages (one answer, no paging)."""
    return client.request("GET", f"/crm/v3/pipelines/{object_type}").get("results", [])


def property_definitions(client: HubSpotClient, object_type: str, *,
                         archived: bool = False) -> list[dict]:
    """The type's property definitions; with `archived=True` only the archived ones."""
    return client.request("GET", f"/crm/v3/properties/{object_type}",
                          params={"archived": _bool(archived)}).get("results", [])


def schemas(client: HubSpotClient) -> list[dict]:
    """Every custom object type's schema (live ones; HubSpot lists archived ones apart)."""
    return client.request("GET", "/crm/v3/schemas").get("results", [])
