"""The change-specific part of HubSpot webhook events (docs/hubspot-api.md#webhooks,
#deletions-and-merges).

Built from a store op or an association change just before it is applied, so old values and
old links can still be read. `webhooks` adds the common fields (`eventId`, `subscriptionId`,
`portalId`, `appId`, `attemptNumber`), filters by subscription and delivers.
"""

from __future__ import annotations

from collections.abc import Callable

from .associations import AssocType
from .relations import targets
from .store import HARD_DELETE, Op, Store, TypeState

# Types with subscription types of their own (`contact.creation`); the others use `object.*`
# and carry `objectTypeId` (docs/hubspot-api.md#webhooks).
NAMED = {"contacts", "companies", "deals", "tickets", "products", "line_items"}
PREFIXES = {"contact", "company", "deal", "ticket", "product", "line_item", "object"}
KINDS = {"creation", "deletion", "propertyChange", "merge", "restore", "associationChange"}
PRIVACY_DELETION = "contact.privacyDeletion"
_MERGE_WRITTEN = {"hs_merged_object_ids", "hs_calculated_merged_vids"}  # set by the merge itself


def prefix(ts: TypeState) -> str:
    return ts.otype.singular if ts.otype.name in NAMED else "object"


def _event(ts: TypeState, kind: str, idx: int, occurred: int, source: str, **fields) -> dict:
    event = {"subscriptionType": f"{prefix(ts)}.{kind}", "objectId": int(ts.id_of(idx)),
             "occurredAt": occurred, "changeSource": source}
    if prefix(ts) == "object":
        event["objectTypeId"] = ts.otype.type_id
    event.update(fields)
    return event


def _source(op: Op) -> str:
    # Control-surface changes stand for a user in HubSpot's UI; the rest came through the API.
    return "CRM_UI" if op.source == "CRM_UI" else "API"


def _property_changes(ts: TypeState, op: Op, occurred: int,
                      old: Callable[[str], str | None]) -> list[dict]:
    """One event per property whose value changes; a cleared value is sent as `""`."""
    return [_event(ts, "propertyChange", op.idx, occurred, _source(op), propertyName=name,
                   propertyValue="" if value is None else value)
            for name, value in op.props.items() if old(name) != value]


def _on_set(store: Store, ts: TypeState, op: Op) -> list[dict]:
    occurred = op.ms if op.ms is not None else store.clock.now_ms()  # silent changes too
    return _property_changes(ts, op, occurred, lambda name: ts.live.value(op.idx, name))


def _on_create(store: Store, ts: TypeState, op: Op) -> list[dict]:
    created = _event(ts, "creation", op.idx, op.at, _source(op), changeFlag="NEW")
    # The values given on creation follow as propertyChange events (*choice*).
    return [created, *_property_changes(ts, op, op.at, lambda name: None)]


def _on_archive(store: Store, ts: TypeState, op: Op) -> list[dict]:
    return [_event(ts, "deletion", op.idx, op.at, _source(op), changeFlag="DELETED")]


def _on_restore(store: Store, ts: TypeState, op: Op) -> list[dict]:
    return [_event(ts, "restore", op.idx, store.clock.now_ms(), _source(op),
                   changeFlag="RESTORED")]


def _on_gone(store: Store, ts: TypeState, op: Op) -> list[dict]:
    """GDPR delete: `contact.privacyDeletion` and a deletion (*choice*); ids only, no values.
    A hard delete (control surface) is a plain deletion."""
    now, source = store.clock.now_ms(), _source(op)
    if op.source == HARD_DELETE:
        return [_event(ts, "deletion", op.idx, now, "CRM_UI", changeFlag="DELETED")]
    deleted = _event(ts, "deletion", op.idx, now, source, changeFlag="PRIVACY_DELETED")
    if ts.otype.name != "contacts":
        return [deleted]
    return [_event(ts, "privacyDeletion", op.idx, now, source, changeFlag="PRIVACY_DELETED"),
            deleted]


def _on_merge(store: Store, ts: TypeState, op: Op) -> list[dict]:
    """`<type>.merge` for the resulting record, then a deletion for each id that stops being a
    record of its own (both old ids when a new record is minted;
    docs/hubspot-api.md#deletions-and-merges)."""
    primary, other = op.others
    ov, source = ts.live, _source(op)
    merged = _event(ts, "merge", op.idx, op.ms, source, changeFlag="MERGED",
                    primaryObjectId=int(ts.id_of(primary)),
                    mergedObjectIds=[int(ts.id_of(other))], newObjectId=int(ts.id_of(op.idx)),
                    numberOfPropertiesMoved=_moved(ov.values(primary), ov.values(other)))
    gone = [i for i in op.others if i != op.idx]
    return [merged, *(_event(ts, "deletion", i, op.ms, source, changeFlag="MERGED")
                      for i in gone)]


def _moved(primary: dict, other: dict) -> int:
    """Values the merged record brings that the primary lacks (the primary's values win)."""
    return sum(1 for name, value in other.items()
               if value is not None and primary.get(name) is None
               and name not in _MERGE_WRITTEN)


_BUILDERS = {"set": _on_set, "create": _on_create, "archive": _on_archive,
             "restore": _on_restore, "gone": _on_gone, "merge": _on_merge}
# `touch` (a new last-modified time without a value change) and `raw` send nothing (*choice*).


def op_events(store: Store, ts: TypeState, op: Op) -> list[dict]:
    build = _BUILDERS.get(op.kind)
    return build(store, ts, op) if build is not None else []


# -- associations ----------------------------------------------------------------------------

def association_events(store: Store, a_name: str, ai: int, b_name: str, bi: int,
                       fwd: tuple[AssocType, ...], back: tuple[AssocType, ...],
                       removed: bool) -> list[dict]:
    """One event per association type and direction, from each side (docs/hubspot-api.md#webhooks):
    only for links that really appear or disappear."""
    a, b = store.types[a_name], store.types[b_name]
    had_fwd, had_back = _linked(store, a, ai, b, bi), _linked(store, b, bi, a, ai)
    if removed:
        fwd, back = had_fwd, had_back
    else:
        fwd, back = _new(fwd, had_fwd), _new(back, had_back)
    now = store.clock.now_ms()
    return [*_association(a, ai, b, bi, fwd, removed, now),
            *_association(b, bi, a, ai, back, removed, now)]


def _linked(store: Store, a: TypeState, ai: int, b: TypeState, bi: int
            ) -> tuple[AssocType, ...]:
    for tgt, types in targets(store, a, ai, b):
        if tgt == bi:
            return types
    return ()


def _new(types: tuple[AssocType, ...], had: tuple[AssocType, ...]) -> tuple[AssocType, ...]:
    known = {t.type_id for t in had}
    return tuple(t for t in types if t.type_id not in known)


def _association(frm: TypeState, fi: int, to: TypeState, ti: int,
                 types: tuple[AssocType, ...], removed: bool, now: int) -> list[dict]:
    name = f"{frm.otype.singular.upper()}_TO_{to.otype.singular.upper()}"
    return [_event(frm, "associationChange", fi, now, "API", associationType=name,
                   fromObjectId=int(frm.id_of(fi)), toObjectId=int(to.id_of(ti)),
                   fromObjectTypeId=frm.otype.type_id, toObjectTypeId=to.otype.type_id,
                   associationRemoved=removed, isPrimaryAssociation=t.label == "Primary",
                   associationCategory=t.category, associationTypeId=t.type_id)
            for t in types]
