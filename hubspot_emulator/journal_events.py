"""Journal events (the event-file format of docs/hubspot-api.md#webhooks-journal, whose fields
are the lead's *choice*: HubSpot publishes no schema), built from the webhook machinery's
events (`webhook_events`) so the per-change logic (what changed, old vs new values, merges,
GDPR deletes, association types from both sides) lives in one place.

Every event: `action`, `portalId` (the store's), `occurredAt` (epoch ms), `objectTypeId`,
`objectId`, `changeSource`; the journal adds `eventId` when it writes the event.
- `<t>.creation` + its `propertyChange`s → CREATE `propertyChanges` {name: value given}
- `propertyChange`s → UPDATE `propertyChanges` {name: new value, `""` when cleared}
- `deletion` → DELETE (archive, hard delete, the ids a merge or GDPR delete removes);
  `restore` → RESTORE; `contact.privacyDeletion` → GDPR_DELETE (followed by its DELETE)
- `merge` → MERGE (`primaryObjectId`, `mergedObjectIds`, `newObjectId`; `objectId` the survivor)
- `associationChange` → ASSOCIATION_ADDED / _REMOVED (from the `fromObject…` side)
"""

from __future__ import annotations

from . import webhook_events as hooks
from .store import Op, Store, TypeState

_ACTIONS = {"creation": "CREATE", "deletion": "DELETE", "restore": "RESTORE",
            "merge": "MERGE", "privacyDeletion": "GDPR_DELETE"}
_MERGE_FIELDS = ("primaryObjectId", "mergedObjectIds", "newObjectId")


def _base(portal_id: int, action: str, type_id: str, object_id, occurred: int,
          source: str) -> dict:
    return {"action": action, "portalId": portal_id, "occurredAt": occurred,
            "objectTypeId": type_id, "objectId": object_id, "changeSource": source}


def op_events(store: Store, ts: TypeState, op: Op) -> list[dict]:
    """The journal events of one store op (built before it is applied)."""
    out: list[dict] = []
    portal, type_id = store.portal_id, ts.otype.type_id
    for hook in hooks.op_events(store, ts, op):
        kind = hook["subscriptionType"].partition(".")[2]
        if kind == "propertyChange":
            last = out[-1] if out else None
            if last is None or last["action"] not in ("CREATE", "UPDATE") \
                    or last["objectId"] != hook["objectId"]:
                last = _base(portal, "UPDATE", type_id, hook["objectId"], hook["occurredAt"],
                             hook["changeSource"])
                last["propertyChanges"] = {}
                out.append(last)
            last["propertyChanges"][hook["propertyName"]] = hook["propertyValue"]
            continue
        event = _base(portal, _ACTIONS[kind], type_id, hook["objectId"], hook["occurredAt"],
                      hook["changeSource"])
        if kind == "creation":
            event["propertyChanges"] = {}
        elif kind == "merge":
            event.update({name: hook[name] for name in _MERGE_FIELDS})
        out.append(event)
    return out


def association_events(store: Store, a: str, ai: int, b: str, bi: int, fwd, back,
                       removed: bool) -> list[dict]:
    """One event per association type and direction that really changes, from each side."""
    action = "ASSOCIATION_REMOVED" if removed else "ASSOCIATION_ADDED"
    out = []
    for hook in hooks.association_events(store, a, ai, b, bi, fwd, back, removed):
        event = _base(store.portal_id, action, hook["fromObjectTypeId"], hook["fromObjectId"],
                      hook["occurredAt"], hook["changeSource"])
        event.update(associatedObjectTypeId=hook["toObjectTypeId"],
                     associatedObjectId=hook["toObjectId"],
                     associationTypeId=hook["associationTypeId"],
                     associationCategory=hook["associationCategory"])
        out.append(event)
    return out


def list_events(store: Store, list_id: str, object_type_id: str, record_ids: list[str],
                removed: bool) -> list[dict]:
    """ADDED_TO_LIST / REMOVED_FROM_LIST, one per member record (`changeSource` CRM_UI: the
    membership endpoints are control-surface changes)."""
    action, now_ms = "REMOVED_FROM_LIST" if removed else "ADDED_TO_LIST", store.clock.now_ms()
    return [{**_base(store.portal_id, action, object_type_id, _number(record_id), now_ms,
                     "CRM_UI"),
             "listId": _number(list_id)} for record_id in record_ids]


def snapshot_event(store: Store, now_ms: int, ts: TypeState, idx: int,
                   properties: list[str]) -> dict:
    values = {name: ts.live.value(idx, name) for name in properties}
    return {**_base(store.portal_id, "SNAPSHOT", ts.otype.type_id, int(ts.id_of(idx)), now_ms,
                    "SNAPSHOT"),
            "propertyChanges": {name: "" if value is None else value
                                for name, value in values.items()}}


def _number(text: str):
    """Ids are numbers; a planted non-numeric one (`anyIds`) is kept as given."""
    return int(text) if str(text).isdigit() else text
