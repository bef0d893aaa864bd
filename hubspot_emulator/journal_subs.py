"""The webhooks journal's subscriptions (docs/hubspot-api.md#webhooks-journal): parsing an
upsert body, the stored form, and which journal events each one matches. No HTTP here.

Four subscription types are served: OBJECT, ASSOCIATION, LIST_MEMBERSHIP and
GDPR_PRIVACY_DELETION (EVENT and APP_LIFECYCLE_EVENT are refused: the emulator has no events
for them). Every field of HubSpot's request model is required (the SDK marks them so); empty
`objectIds`, `properties`, `listIds` or `associatedObjectTypeIds` mean "all" (*choice*).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ApiError, validation
from .timeutil import iso_ms

OBJECT_ACTIONS = ("CREATE", "UPDATE", "DELETE", "MERGE", "RESTORE")
ASSOCIATION_ACTIONS = ("ASSOCIATION_ADDED", "ASSOCIATION_REMOVED")
LIST_ACTIONS = ("ADDED_TO_LIST", "REMOVED_FROM_LIST")
GDPR_ACTIONS = ("GDPR_DELETE",)
# Per type: its actions, then the list fields its request carries (besides objectTypeId).
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "OBJECT": (OBJECT_ACTIONS, ("objectIds", "properties")),
    "ASSOCIATION": (ASSOCIATION_ACTIONS, ("objectIds", "associatedObjectTypeIds")),
    "LIST_MEMBERSHIP": (LIST_ACTIONS, ("objectIds", "listIds")),
    "GDPR_PRIVACY_DELETION": (GDPR_ACTIONS, ()),
}
_INT_LISTS = {"objectIds", "listIds"}
FIRST_ID = 4_000_001  # subscription ids (*choice*)


@dataclass
class Subscription:
    id: int
    app_id: int
    kind: str  # subscriptionType
    portal_id: int
    object_type_id: str | None  # None for LIST_MEMBERSHIP
    actions: list[str]
    lists: dict[str, list] = field(default_factory=dict)  # objectIds, properties, ...
    created_ms: int = 0
    updated_ms: int = 0

    @property
    def key(self) -> tuple:
        """The upsert key (*choice*: HubSpot documents none)."""
        return self.portal_id, self.kind, self.object_type_id

    def to_json(self) -> dict:
        out: dict = {"id": self.id, "appId": self.app_id, "subscriptionType": self.kind,
                     "portalId": self.portal_id}
        if self.object_type_id is not None:
            out["objectTypeId"] = self.object_type_id
        out["actions"] = list(self.actions)
        out.update({name: list(values) for name, values in self.lists.items()})
        out["createdAt"], out["updatedAt"] = iso_ms(self.created_ms), iso_ms(self.updated_ms)
        return out

    # -- matching ---------------------------------------------------------------------------

    def match(self, event: dict) -> dict | None:
        """The event as this subscription writes it (an UPDATE keeps only the listed
        properties), or None when it does not match."""
        if self.portal_id != event["portalId"] or event["action"] not in self.actions:
            return None
        if self.object_type_id is not None and event["objectTypeId"] != self.object_type_id:
            return None
        if not self._ids_match(event):
            return None
        if self.kind == "ASSOCIATION":
            wanted = self.lists["associatedObjectTypeIds"]
            return event if not wanted or event["associatedObjectTypeId"] in wanted else None
        if self.kind == "LIST_MEMBERSHIP":
            wanted = self.lists["listIds"]
            return event if not wanted or event["listId"] in wanted else None
        if event["action"] == "UPDATE" and self.lists.get("properties"):
            changes = {name: value for name, value in event["propertyChanges"].items()
                       if name in self.lists["properties"]}
            return {**event, "propertyChanges": changes} if changes else None
        return event

    def _ids_match(self, event: dict) -> bool:
        wanted = self.lists.get("objectIds")
        if not wanted:
            return True
        ids = {event["objectId"], event.get("primaryObjectId"), event.get("newObjectId"),
               *event.get("mergedObjectIds", ())}
        return not ids.isdisjoint(wanted)


def parse(body: dict, app_id: int, now_ms: int, resolve_type_id) -> Subscription:
    """A Subscription from an upsert body, or a 400 naming the field. `resolve_type_id(id)`
    tells whether an object type id exists."""
    kind = body.get("subscriptionType")
    if kind not in KINDS:
        raise _bad("subscriptionType", f"must be one of {', '.join(KINDS)}")
    actions_allowed, list_fields = KINDS[kind]
    portal_id = body.get("portalId")
    if type(portal_id) is not int:
        raise _bad("portalId", "is required and must be an integer")
    type_id = None
    if kind != "LIST_MEMBERSHIP":
        type_id = body.get("objectTypeId")
        if not isinstance(type_id, str) or not resolve_type_id(type_id):
            raise _bad("objectTypeId", "is required and must name an object type (e.g. 0-1)")
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not set(actions) <= set(actions_allowed):
        raise _bad("actions", f"must be a non-empty list of {', '.join(actions_allowed)}")
    lists = {name: _list_field(body, name) for name in list_fields}
    return Subscription(0, app_id, kind, portal_id, type_id, list(dict.fromkeys(actions)),
                        lists, now_ms, now_ms)


def _list_field(body: dict, name: str) -> list:
    values = body.get(name)
    kind = int if name in _INT_LISTS else str
    if not isinstance(values, list) or not all(type(v) is kind for v in values):
        raise _bad(name, f"is required and must be a list of {kind.__name__}s (empty: all)")
    return list(dict.fromkeys(values))


def _bad(name: str, problem: str) -> ApiError:
    return validation(f"Invalid subscription: {name} {problem}",
                      errors=[{"message": f"{name} {problem}", "in": name}])


class Subscriptions:
    """The app's subscriptions, by id; an upsert with an existing key updates that one."""

    def __init__(self) -> None:
        self.by_id: dict[int, Subscription] = {}
        self._next_id = FIRST_ID

    def upsert(self, sub: Subscription) -> Subscription:
        for existing in self.by_id.values():
            if existing.key == sub.key:
                sub.id, sub.created_ms = existing.id, existing.created_ms
                break
        else:
            sub.id, self._next_id = self._next_id, self._next_id + 1
        self.by_id[sub.id] = sub
        return sub

    def delete(self, sub_id: int) -> bool:
        return self.by_id.pop(sub_id, None) is not None

    def delete_portal(self, portal_id: int) -> None:
        for sub_id in [s.id for s in self.by_id.values() if s.portal_id == portal_id]:
            del self.by_id[sub_id]

    def wants(self, kinds: tuple[str, ...], type_ids: tuple[str | None, ...]) -> bool:
        """Whether any subscription of these kinds covers one of these types (a cheap check
        before building events: nothing is built for changes nobody subscribed to)."""
        return any(s.kind in kinds and (s.object_type_id is None or s.object_type_id in type_ids)
                   for s in self.by_id.values())

    def matches(self, events: list[dict]) -> list[dict]:
        """The events some subscription takes, as it takes them, in order (each event once)."""
        out = []
        for event in events:
            for sub in self.by_id.values():
                taken = sub.match(event)
                if taken is not None:
                    out.append(taken)
                    break
        return out
