"""Object writes: create, update, archive, GDPR delete, merge
(docs/hubspot-api.md#deletions-and-merges).

Every write stamps the last-modified time with the emulated clock, and reaches search only
after the configured search lag.
"""

from __future__ import annotations

import time

from aiohttp import web

from .api_objects import BATCH_MAX, batch_response, find_by_unique, find_record
from .associations import LINKS, AssocType
from .errors import ApiError, not_found, validation
from .handling import batch_inputs, emulator, json_body, json_response
from .render import record_json, select_properties
from .routes import OBJECTS, Access, serve
from .state import Emulator
from .store import ARCHIVED, LIVE, Op, TypeState
from .timeutil import iso_ms
from .values import validate_properties

NEW_RECORD_MERGE = {"contacts", "companies"}  # merges that mint a new id
                                              # (docs/hubspot-api.md#deletions-and-merges)
MERGEABLE = NEW_RECORD_MERGE | {"deals", "tickets"}


def _now_iso() -> str:
    return iso_ms(int(time.time() * 1000))


def _written(ts: TypeState, idx: int, props: dict) -> dict:
    """A write's answer: the written properties plus the system ones."""
    names = select_properties(ts.otype, list(props))
    return record_json(ts, ts.live, idx, names)


def _admit(emu: Emulator, ts: TypeState, count: int) -> None:
    """423 Locked while this type's writes are locked after a burst (see `locks`)."""
    if not emu.write_lock.admit(ts.otype.name, count):
        raise ApiError(423, "Locked", None)


def _check_unique(emu: Emulator, ts: TypeState, props: dict, own: int | None) -> None:
    """A second contact with the same email is a 409 CONFLICT."""
    email = props.get("email")
    if ts.otype.name != "contacts" or not email:
        return
    existing = find_by_unique(ts, "email", email)
    if existing is not None and existing != own and ts.live.status(existing) == LIVE:
        raise ApiError(409, f"Contact already exists. Existing ID: {ts.id_of(existing)}",
                       "CONFLICT")


# -- create ----------------------------------------------------------------------------------

def _create_one(emu: Emulator, ts: TypeState, item: dict) -> int:
    if not isinstance(item, dict):
        raise validation("each input must be an object")
    props = validate_properties(ts.otype, item.get("properties"))
    _check_unique(emu, ts, props, None)
    links = _parse_associations(emu, ts, item.get("associations") or [])
    idx = ts.allocate()
    now = emu.clock.now_ms()
    emu.store.apply(ts, Op("create", idx, props, ms=now, at=now))
    for other, other_idx, types in links:
        back = _reverse_types(ts.otype.name, other.otype.name, types)
        emu.store.assoc.add(ts.otype.name, idx, other.otype.name, other_idx, types, back)
    return idx


def _parse_associations(emu: Emulator, ts: TypeState, items: list):
    """`associations: [{to: {id}, types: [{associationCategory, associationTypeId}]}]`."""
    out = []
    for item in items:
        to_id = str(((item or {}).get("to") or {}).get("id", ""))
        types = []
        other = None
        for t in (item or {}).get("types") or []:
            found = _find_type(ts.otype.name, int(t.get("associationTypeId", -1)))
            if found is None:
                raise validation(f"Unknown associationTypeId {t.get('associationTypeId')}")
            other_name, assoc_type = found
            other = emu.store.types[other_name]
            types.append(assoc_type)
        if other is None:
            raise validation("each association needs at least one type")
        other_idx = other.idx_of(to_id)
        if other_idx is None or other.live.status(other_idx) != LIVE:
            raise validation(f"Association target {to_id} does not exist")
        out.append((other, other_idx, tuple(types)))
    return out


def _find_type(frm: str, type_id: int) -> tuple[str, AssocType] | None:
    for link in LINKS:
        for side, other, types in ((link.child, link.parent, (*link.fwd, link.extra_fwd)),
                                   (link.parent, link.child, (*link.back, link.extra_back))):
            if side == frm:
                for t in types:
                    if t is not None and t.type_id == type_id:
                        return other, t
    return None


def _reverse_types(frm: str, to: str, types: tuple[AssocType, ...]) -> tuple[AssocType, ...]:
    for link in LINKS:
        if (link.child, link.parent) == (frm, to):
            pairs = [*zip(link.fwd, link.back, strict=False), (link.extra_fwd, link.extra_back)]
        elif (link.child, link.parent) == (to, frm):
            pairs = [*zip(link.back, link.fwd, strict=False), (link.extra_back, link.extra_fwd)]
        else:
            continue
        mapping = {a.type_id: b for a, b in pairs if a is not None}
        return tuple(mapping[t.type_id] for t in types if t.type_id in mapping)
    return types


async def create(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    body = await json_body(request)
    _admit(emu, ts, 1)
    idx = _create_one(emu, ts, body)
    return json_response(_written(ts, idx, body.get("properties") or {}), 201)


async def batch_create(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    started = _now_iso()
    inputs = batch_inputs(await json_body(request), BATCH_MAX)
    for item in inputs:  # validate everything first: a bad input fails the whole batch
        validate_properties(ts.otype, (item or {}).get("properties"))
    _admit(emu, ts, len(inputs))
    results = [_written(ts, _create_one(emu, ts, item), item.get("properties") or {})
               for item in inputs]
    return batch_response(ts, results, [], started, ok_status=201)


# -- update ----------------------------------------------------------------------------------

def _update_one(emu: Emulator, ts: TypeState, idx: int, props: dict) -> None:
    _check_unique(emu, ts, props, idx)
    emu.store.apply(ts, Op("set", idx, props, ms=emu.clock.now_ms()))


async def update(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    raw_id = request.match_info["id"]
    idx = find_record(ts, raw_id, request.query.get("idProperty"))
    if idx is None or ts.live.status(idx) != LIVE:
        raise not_found(raw_id)
    body = await json_body(request)
    props = validate_properties(ts.otype, body.get("properties"))
    _admit(emu, ts, 1)
    _update_one(emu, ts, idx, props)
    return json_response(_written(ts, idx, props))


async def batch_update(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    started = _now_iso()
    body = await json_body(request)
    inputs = batch_inputs(body, BATCH_MAX)
    planned, missing = [], []
    for item in inputs:
        raw_id = str((item or {}).get("id", ""))
        idx = find_record(ts, raw_id, body.get("idProperty") or (item or {}).get("idProperty"))
        props = validate_properties(ts.otype, (item or {}).get("properties"))
        if idx is None or ts.live.status(idx) != LIVE:
            missing.append(raw_id)
        else:
            planned.append((idx, props))
    _admit(emu, ts, len(inputs))
    results = []
    for idx, props in planned:
        _update_one(emu, ts, idx, props)
        results.append(_written(ts, idx, props))
    return batch_response(ts, results, missing, started)


# -- archive and GDPR delete -----------------------------------------------------------------

def _archive(emu: Emulator, ts: TypeState, idx: int) -> None:
    if ts.live.status(idx) == LIVE:
        emu.store.apply(ts, Op("archive", idx, at=emu.clock.now_ms()))


async def archive(request: web.Request) -> web.Response:
    """Moves the record to the recycle bin: listed only with archived=true
    (docs/hubspot-api.md#deletions-and-merges)."""
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    idx = find_record(ts, request.match_info["id"])
    _admit(emu, ts, 1)
    if idx is not None:
        _archive(emu, ts, idx)
    return web.Response(status=204)


async def batch_archive(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    inputs = batch_inputs(await json_body(request), BATCH_MAX)
    _admit(emu, ts, len(inputs))
    for item in inputs:
        idx = find_record(ts, str((item or {}).get("id", "")))
        if idx is not None:
            _archive(emu, ts, idx)
    return web.Response(status=204)


async def gdpr_delete(request: web.Request) -> web.Response:
    """Permanently deletes a contact: 404 afterwards, not in the recycle bin
    (docs/hubspot-api.md#deletions-and-merges)."""
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    if ts.otype.name != "contacts":
        raise validation("GDPR delete is only available for contacts")
    body = await json_body(request)
    idx = find_record(ts, str(body.get("objectId", "")), body.get("idProperty"))
    _admit(emu, ts, 1)
    if idx is not None and ts.live.status(idx) in (LIVE, ARCHIVED):
        emu.store.apply(ts, Op("gone", idx))
    # An unknown email is blocklisted rather than reported: still 204.
    return web.Response(status=204)


# -- merge -----------------------------------------------------------------------------------

async def merge(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    if ts.otype.name not in MERGEABLE:
        raise validation(f"Merging is not supported for {ts.otype.name}")
    body = await json_body(request)
    primary_id, other_id = str(body.get("primaryObjectId", "")), str(body.get("objectIdToMerge",
                                                                               ""))
    primary, other = find_record(ts, primary_id), find_record(ts, other_id)
    for idx, raw in ((primary, primary_id), (other, other_id)):
        if idx is None or ts.live.status(idx) != LIVE:
            raise not_found(raw)
    if primary == other:
        raise validation("Cannot merge an object with itself")
    _admit(emu, ts, 2)
    idx = _merge(emu, ts, primary, other)
    names = select_properties(ts.otype, [p.name for p in ts.otype.live_props])
    return json_response(record_json(ts, ts.live, idx, names))


def _merge(emu: Emulator, ts: TypeState, primary: int, other: int) -> int:
    """Contacts/companies get a NEW id; both old ids then resolve to it
    (docs/hubspot-api.md#deletions-and-merges)."""
    ov, now = ts.live, emu.clock.now_ms()
    merged = {k: v for k, v in ov.values(other).items() if v is not None}
    merged.update({k: v for k, v in ov.values(primary).items() if v is not None})
    ids = sorted({int(ts.id_of(primary)), int(ts.id_of(other))}
                 | _merged_ids(ov.values(primary)) | _merged_ids(ov.values(other)))
    merged["hs_merged_object_ids"] = ";".join(map(str, ids))
    if ts.otype.name == "contacts":
        merged["hs_calculated_merged_vids"] = ";".join(f"{i}:{now}" for i in ids)
    new_record = ts.otype.name in NEW_RECORD_MERGE
    idx = ts.allocate() if new_record else primary
    created = min(ov.created_ms(primary), ov.created_ms(other))
    emu.store.apply(ts, Op("merge", idx, merged, ms=now, at=created,
                           others=(primary, other), source="MERGE"))
    return idx


def _merged_ids(values: dict) -> set[int]:
    raw = values.get("hs_merged_object_ids") or ""
    return {int(x) for x in raw.split(";") if x.strip().isdigit()}


def add_routes(app: web.Application) -> None:
    write = Access("objects", write=True)
    serve(app, "POST", OBJECTS, "/{type}/batch/create", batch_create, write)
    serve(app, "POST", OBJECTS, "/{type}/batch/update", batch_update, write)
    serve(app, "POST", OBJECTS, "/{type}/batch/archive", batch_archive, write)
    serve(app, "POST", OBJECTS, "/{type}/merge", merge, write)
    serve(app, "POST", OBJECTS, "/{type}/gdpr-delete", gdpr_delete, write)
    serve(app, "POST", OBJECTS, "/{type}", create, write)
    serve(app, "PATCH", OBJECTS, "/{type}/{id}", update, write)
    serve(app, "DELETE", OBJECTS, "/{type}/{id}", archive, write)
