"""HubSpot's definition and association endpoints (docs/hubspot-api.md#definitions, #associations),
on HubSpotClient.request().

Like the client, these functions only read HTTP and hand back HubSpot's JSON (or plain
tuples); saving is the engines' job.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from ingestion.object_types import OBJECT_TYPES

from .client import CursorGuard, HubSpotClient
from .limits import ASSOCIATION_BATCH_MAX, OWNERS_PAGE_MAX

# The standard CRM object types, by API name, and their type ids
# (docs/hubspot-api.md#object-types).
# These maps are derived from the table of standard types (ingestion/object_types.py).
OBJECT_TYPE_IDS = {entry.name: entry.type_id for entry in OBJECT_TYPES}
OBJECT_TYPE_NAMES = {type_id: name for name, type_id in OBJECT_TYPE_IDS.items()}
# Webhook subscription types name the standard objects in the singular (`contact.creation`,
# and `CONTACT_TO_COMPANY` in association events); `object.*` events name the type by
# `objectTypeId` instead (engagements, custom objects) (docs/hubspot-api.md#webhooks).
WEBHOOK_PREFIX_TYPES = {entry.webhook_prefix: entry.name for entry in OBJECT_TYPES
                        if entry.webhook_prefix}
PIPELINE_OBJECT_TYPES = tuple(entry.name for entry in OBJECT_TYPES if entry.has_pipelines)


class Association(NamedTuple):
    from_id: str
    to_type: str
    to_id: str
    type_id: int
    category: str
    label: str | None


def _bool(value: bool) -> str:
    return "true" if value else "false"


LinkSets = dict[str, "tuple[Association, ...] | str"]  # by from id: its links, or why unread


def associations(client: HubSpotClient, from_type: str, to_type: str,
                 ids: list[str]) -> LinkSets:
    """The whole association set of each of `ids` towards `to_type` (v4 batch read), or
    for an id whose set could not be read completely, the reason.

    Up to 1,000 inputs a request; a record with more links than one answer holds carries its
    own `paging.next.after`, which is asked for again (with others in the same state) until
    no result has more. Ids with no associations come back in a 207's `errors`: no links.
    An entry that is not an association result spoils the set of its own id, or (if it has
    no usable id) of every id in that request: those keep their stored links.
    """
    path = client.paths.associations_batch_read(from_type, to_type)
    found: dict[str, list[Association]] = {str(i): [] for i in ids}
    unreadable: dict[str, str] = {}
    cursors: dict[str, CursorGuard] = {}
    pending = [{"id": str(i)} for i in ids]
    while pending:
        chunk, pending = pending[:ASSOCIATION_BATCH_MAX], pending[ASSOCIATION_BATCH_MAX:]
        for entry in client.request("POST", path, json={"inputs": chunk}).results:
            try:
                from_id, links, after = _association_result(entry, to_type)
            except ValueError as error:
                _spoil(unreadable, [c["id"] for c in chunk], f"{path}: {error}")
                continue
            if from_id not in found:
                continue  # not asked for: nothing of ours to change
            found[from_id].extend(links)
            if after:
                guard = cursors.setdefault(from_id, CursorGuard(f"POST {path} ({from_id})"))
                pending.append({"id": from_id, "after": guard.check(after)})
    return {object_id: unreadable.get(object_id) or tuple(links)
            for object_id, links in found.items()}


def _association_result(entry: object, to_type: str
                        ) -> tuple[str, list[Association], str | None]:
    """(from id, links, next cursor) of one v4 result; ValueError if it is not one."""
    source = entry.get("from") if isinstance(entry, dict) else None
    if not isinstance(source, dict) or not str(source.get("id") or ""):
        raise ValueError("an entry without a `from.id`")
    from_id = str(source["id"])
    targets, paging = entry.get("to"), entry.get("paging")
    if not isinstance(targets, list):
        raise ValueError(f"the entry for {from_id} has no `to` list")
    try:
        links = [Association(from_id, to_type, str(target["toObjectId"]), int(kind["typeId"]),
                             str(kind.get("category") or ""), _label(kind.get("label")))
                 for target in targets for kind in target["associationTypes"]]
        after = paging["next"]["after"] if paging else None
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"the entry for {from_id} is not a v4 association result") from None
    if after is not None and not (isinstance(after, str) and after):
        raise ValueError(f"the entry for {from_id} has an unusable paging cursor")
    return from_id, links, after


def _label(value: object) -> str | None:
    return None if value is None else str(value)


def _spoil(unreadable: dict[str, str], ids: list[str], reason: str) -> None:
    for object_id in ids:
        unreadable.setdefault(object_id, reason[:300])


def owner_pages(client: HubSpotClient, *, archived: bool = False) -> Iterator[list[dict]]:
    """Owners a page at a time; HubSpot lists archived owners only with `archived=true`."""
    yield from filter(None, client.get_pages(client.paths.owners(), owner_listing(archived)))


def owner_listing(archived: bool) -> dict:
    """The owners listing's params: live owners, or archived ones."""
    return {"limit": OWNERS_PAGE_MAX, "archived": _bool(archived)}


def pipelines(client: HubSpotClient, object_type: str) -> list[dict]:
    """Every pipeline of the type with its stages (one answer, no paging)."""
    return client.request("GET", client.paths.pipelines(object_type)).results


def property_definitions(client: HubSpotClient, object_type: str, *,
                         archived: bool = False) -> list[dict]:
    """The type's property definitions; with `archived=True` only the archived ones."""
    return client.request("GET", client.paths.properties(object_type),
                          params={"archived": _bool(archived)}).results


def schemas(client: HubSpotClient) -> list[dict]:
    """Every custom object type's schema (live ones; HubSpot lists archived ones apart)."""
    return client.request("GET", client.paths.schemas()).results
