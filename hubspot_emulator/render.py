"""Turning stored records into HubSpot's `SimplePublicObject` JSON (docs/hubspot-api.md#records)."""

from __future__ import annotations

from .relations import targets
from .schemas import ObjectType
from .stage_times import PREFIXES, stage_property_names, stage_values
from .store import Overlay, Store, TypeState
from .timeutil import iso_ms


def select_properties(otype: ObjectType, requested: list[str] | None) -> list[str]:
    """The property names to return, alphabetically like HubSpot.

    Without `properties` a type's defaults are used. Unknown names are silently left out
    (stage calculated properties are known though not listed: stage_times.py), and
    `hs_object_id`, the creation and the last-modified property are always added
    (docs/hubspot-api.md#records)."""
    names = set(otype.default_props if requested is None else requested)
    computed = stage_property_names(otype) if any(
        n.startswith(PREFIXES) for n in names) else set()
    names = {n for n in names if n in otype.by_name or n in computed}
    names |= {"hs_object_id", otype.created_prop, otype.modified_prop}
    return sorted(names)


def record_json(ts: TypeState, ov: Overlay, idx: int, names: list[str],
                archived: bool = False) -> dict:
    """One record; a raw record injected through the control API is served verbatim."""
    raw = ov.raw.get(idx)
    if raw is not None:
        return raw
    values = ov.values(idx)
    created, updated = iso_ms(ov.created_ms(idx)), iso_ms(ov.modified_ms(idx))
    record_id = str(ts.otype.id_base + 1 + idx)
    props = dict(zip(names, map(values.get, names), strict=True))
    props.update(stage_values(ts.otype, ov, idx, names))
    props["hs_object_id"] = record_id
    props[ts.otype.created_prop] = created
    props[ts.otype.modified_prop] = updated
    out = {"id": record_id, "properties": props, "createdAt": created, "updatedAt": updated,
           "archived": archived}
    if archived:
        out["archivedAt"] = iso_ms(ov.archived_at_ms(idx))
    return out


def history_json(ts: TypeState, idx: int, names: list[str]) -> dict:
    """`propertiesWithHistory`: newest first; generated values date from record creation."""
    ov = ts.live
    out: dict[str, list[dict]] = {}
    base = ts.data.record(idx) if idx < ts.data.n else {}
    written = ov.history.get(idx, {})
    for name in names:
        if name not in ts.otype.by_name:
            continue
        entries = [(v, ms, src) for v, ms, src in written.get(name, [])]
        if name in (ts.otype.created_prop, ts.otype.modified_prop, "hs_object_id"):
            entries = [(ov.value(idx, name), ov.modified_ms(idx), "CALCULATED")]
        elif base.get(name) is not None:
            entries.insert(0, (base[name], ov.created_ms(idx), "IMPORT"))
        out[name] = [_version(v, ms, src) for v, ms, src in reversed(entries)]
    return out


def _version(value, ms: int, source: str) -> dict:
    entry = {"value": "" if value is None else value, "timestamp": iso_ms(ms),
             "sourceType": source}
    if source in ("CRM_UI", "IMPORT"):
        entry["sourceId"] = "userId:8300001"
        entry["updatedByUserId"] = 8300001
    return entry


def associations_json(store: Store, ts: TypeState, idx: int, to_types: list[TypeState]) -> dict:
    """The v3 inline shape: one entry per association label (docs/hubspot-api.md#associations)."""
    out = {}
    for other in to_types:
        results = [{"id": other.id_of(tgt), "type": t.v3_name}
                   for tgt, types in targets(store, ts, idx, other) for t in types]
        if results:
            out[other.otype.name] = {"results": results}
    return out
