"""Properties, owners, pipelines, associations v4 and schemas (docs/hubspot-api.md#definitions,
#associations)."""

from __future__ import annotations

import time

from aiohttp import web

from .associations import default_types, labels
from .errors import ApiError, not_found, validation
from .handling import batch_inputs, emulator, flag, int_param, json_body, json_response, multi
from .properties import assemble, prop_from_json
from .relations import targets
from .routes import (
    ACCOUNT_INFO,
    ASSOCIATIONS,
    ASSOCIATIONS_V3,
    OBJECT_ASSOCIATIONS,
    OWNERS,
    PIPELINES,
    PROPERTIES,
    SCHEMAS,
    Access,
    dated,
    serve,
)
from .schemas import ObjectType, owners, pipelines, property_json
from .settings_users import owner_teams
from .state import Emulator
from .store import LIVE, TypeState
from .timeutil import iso_ms

ASSOC_BATCH_MAX = 1000  # v4 batch read inputs since 2025-02-10 (docs/hubspot-api.md#associations)
ASSOC_PAGE = 500  # v4 list: "Limit 500 per call" (docs/hubspot-api.md#associations)
OWNERS_MAX = 500


# -- properties ------------------------------------------------------------------------------

async def list_properties(request: web.Request) -> web.Response:
    """All property definitions; only non-sensitive ones unless asked
    (docs/hubspot-api.md#definitions)."""
    emu = emulator(request)
    otype = emu.resolve(request.match_info["type"]).otype
    q = request.query
    archived = flag(q.get("archived"))
    sensitivity = q.get("dataSensitivity", "non_sensitive")
    wanted = set(multi(q, "properties"))
    results = [property_json(p, otype) for p in otype.props
               if p.archived == archived and p.sensitivity == sensitivity
               and (not wanted or p.name in wanted)]
    return json_response({"results": results})


async def get_property(request: web.Request) -> web.Response:
    emu = emulator(request)
    otype = emu.resolve(request.match_info["type"]).otype
    name = request.match_info["name"]
    for p in otype.props:
        if p.name == name:
            return json_response(property_json(p, otype))
    raise ApiError(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")


def _groups(otype: ObjectType, archived: bool) -> list[dict]:
    """Property groups: one per `groupName` the type's properties use (shape: PropertyGroup
    `name, label, displayOrder, archived`); none is ever archived (*choice*)."""
    if archived:
        return []
    names = list(dict.fromkeys(p.group for p in otype.props if p.group and not p.archived))
    return [{"name": n, "label": _group_label(n), "displayOrder": k, "archived": False}
            for k, n in enumerate(names)]


def _group_label(name: str) -> str:
    """`contactinformation` → `Contact information`, `custom_properties` → `Custom properties`."""
    words = name.replace("_", " ")
    if words.endswith("information") and not words.endswith(" information"):
        words = words[:-len("information")] + " information"
    return words.capitalize()


async def list_property_groups(request: web.Request) -> web.Response:
    emu = emulator(request)
    otype = emu.resolve(request.match_info["type"]).otype
    return json_response({"results": _groups(otype, flag(request.query.get("archived")))})


async def get_property_group(request: web.Request) -> web.Response:
    emu = emulator(request)
    otype = emu.resolve(request.match_info["type"]).otype
    name = request.match_info["name"]
    for group in _groups(otype, False):
        if group["name"] == name:
            return json_response(group)
    raise ApiError(404, f"Unable to find property group {name}", "OBJECT_NOT_FOUND")


# -- owners ----------------------------------------------------------------------------------

async def list_owners(request: web.Request) -> web.Response:
    q = request.query
    limit = int_param(q.get("limit"), "limit", 100)
    if not 1 <= limit <= OWNERS_MAX:
        raise validation(f"limit must be between 1 and {OWNERS_MAX}")
    archived = flag(q.get("archived"))
    store = emulator(request).store
    rows = [owner_teams(store, o) for o in owners() if o["archived"] == archived
            and (not q.get("email") or o["email"] == q.get("email"))]
    after = q.get("after")
    start = next((k for k, o in enumerate(rows) if after and int(o["id"]) >= int(after)), 0) \
        if after and after.isdigit() else 0
    page = rows[start:start + limit]
    out: dict = {"results": page}
    if start + limit < len(rows):
        out["paging"] = {"next": {"after": rows[start + limit]["id"]}}
    return json_response(out)


async def get_owner(request: web.Request) -> web.Response:
    q = request.query
    key = "userId" if q.get("idProperty") == "userId" else "id"
    wanted = request.match_info["id"]
    archived = flag(q.get("archived"))
    for o in owners():
        if str(o[key]) == wanted and o["archived"] == archived:
            return json_response(owner_teams(emulator(request).store, o))
    raise not_found(wanted)


# -- pipelines -------------------------------------------------------------------------------

async def list_pipelines(request: web.Request) -> web.Response:
    emu = emulator(request)
    otype = emu.resolve(request.match_info["type"]).otype
    found = pipelines(otype)
    if found is None:
        raise validation(f"Object type {otype.name} does not support pipelines")
    return json_response({"results": found})


async def get_pipeline(request: web.Request) -> web.Response:
    emu = emulator(request)
    otype = emu.resolve(request.match_info["type"]).otype
    for p in pipelines(otype) or []:
        if p["id"] == request.match_info["id"]:
            return json_response(p)
    raise ApiError(404, f"Unable to find pipeline {request.match_info['id']}", "OBJECT_NOT_FOUND")


async def list_stages(request: web.Request) -> web.Response:
    emu = emulator(request)
    otype = emu.resolve(request.match_info["type"]).otype
    for p in pipelines(otype) or []:
        if p["id"] == request.match_info["id"]:
            stage_id = request.match_info.get("stage")
            if stage_id is None:
                return json_response({"results": p["stages"]})
            for stage in p["stages"]:
                if stage["id"] == stage_id:
                    return json_response(stage)
    raise ApiError(404, "Unable to find the pipeline or stage", "OBJECT_NOT_FOUND")


# -- associations v4 -------------------------------------------------------------------------

def _assoc_rows(emu: Emulator, a: TypeState, idx: int, b: TypeState) -> list[dict]:
    return [{"toObjectId": int(b.id_of(t)),  # a JSON number in real responses
                                             # (docs/hubspot-api.md#associations)
             "associationTypes": [x.v4() for x in types]}
            for t, types in targets(emu.store, a, idx, b)]


def _page(rows: list[dict], after: str | None, limit: int) -> tuple[list[dict], str | None]:
    """Rows after the cursor (the next toObjectId), and the cursor for the following page."""
    start = 0
    if after:
        if not after.isdigit():
            raise validation(f"Invalid after cursor: {after}")
        start = next((k for k, r in enumerate(rows) if r["toObjectId"] >= int(after)), len(rows))
    page = rows[start:start + limit]
    nxt = str(rows[start + limit]["toObjectId"]) if start + limit < len(rows) else None
    return page, nxt


async def list_associations(request: web.Request) -> web.Response:
    emu = emulator(request)
    a = emu.resolve(request.match_info["type"])
    b = emu.resolve(request.match_info["to"])
    idx = a.idx_of(request.match_info["id"])
    if idx is None or a.live.status(a.live.resolve(idx)) != LIVE:
        raise not_found(request.match_info["id"])
    limit = int_param(request.query.get("limit"), "limit", ASSOC_PAGE)
    if not 1 <= limit <= ASSOC_PAGE:
        raise validation(f"limit must be between 1 and {ASSOC_PAGE}")
    rows = _assoc_rows(emu, a, a.live.resolve(idx), b)
    page, nxt = _page(rows, request.query.get("after"), limit)
    out: dict = {"results": page}
    if nxt:
        out["paging"] = {"next": {"after": nxt, "link": None}}
    return json_response(out)


async def batch_read_associations(request: web.Request) -> web.Response:
    emu = emulator(request)
    a = emu.resolve(request.match_info["from"])
    b = emu.resolve(request.match_info["to"])
    started = iso_ms(int(time.time() * 1000))
    body = await json_body(request)
    inputs = batch_inputs(body, ASSOC_BATCH_MAX)
    results, missing = [], []
    for item in inputs:
        raw_id = str((item or {}).get("id", ""))
        idx = a.idx_of(raw_id)
        if idx is None or a.live.status(a.live.resolve(idx)) != LIVE:
            missing.append(raw_id)
            continue
        rows = _assoc_rows(emu, a, a.live.resolve(idx), b)
        page, nxt = _page(rows, (item or {}).get("after"), ASSOC_PAGE)
        entry: dict = {"from": {"id": raw_id}, "to": page}
        if nxt:  # paging is per `from` object, only when there is more
                 # (docs/hubspot-api.md#associations)
            entry["paging"] = {"next": {"after": nxt}}
        results.append(entry)
    out: dict = {"status": "COMPLETE", "results": results, "startedAt": started,
                 "completedAt": iso_ms(int(time.time() * 1000))}
    if missing:
        out["numErrors"] = len(missing)
        out["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                          "message": f"No {a.otype.singular} with ID {m} exists",
                          "context": {"fromObjectId": [m]}} for m in missing]
        return json_response(out, 207)
    return json_response(out)


async def association_labels(request: web.Request) -> web.Response:
    emu = emulator(request)
    a = emu.resolve(request.match_info["from"]).otype
    b = emu.resolve(request.match_info["to"]).otype
    rows = [{"category": t.category, "typeId": t.type_id, "label": t.label}
            for t in labels(a.name, b.name)]
    return json_response({"results": rows})


async def association_types(request: web.Request) -> web.Response:
    """v3 association types `{"results": [{"id", "name"}]}`: legacy only; dated versions have
    no such endpoint, labels replace it (docs/hubspot-api.md#dated-paths)."""
    emu = emulator(request)
    a = emu.resolve(request.match_info["from"]).otype
    b = emu.resolve(request.match_info["to"]).otype
    return json_response({"results": [{"id": str(t.type_id), "name": t.v3_name}
                                      for t in labels(a.name, b.name)]})


async def batch_archive_associations(request: web.Request) -> web.Response:
    """Remove every association between each `from` record and its `to` records. v4 answers
    204; the dated versions 200 with a batch body (docs/hubspot-api.md#dated-paths). Unknown ids are
    skipped."""
    emu = emulator(request)
    a = emu.resolve(request.match_info["from"])
    b = emu.resolve(request.match_info["to"])
    started = iso_ms(int(time.time() * 1000))
    for item in batch_inputs(await json_body(request), ASSOC_BATCH_MAX):
        ai = _live(a, str(((item or {}).get("from") or {}).get("id", "")))
        for to in (item or {}).get("to") or []:
            bi = _live(b, str((to or {}).get("id", "")))
            if ai is not None and bi is not None:
                emu.store.assoc.remove(a.otype.name, ai, b.otype.name, bi)
    if dated(request):
        return json_response({"status": "COMPLETE", "results": [], "startedAt": started,
                              "completedAt": iso_ms(int(time.time() * 1000))})
    return web.Response(status=204)


def _live(ts: TypeState, raw_id: str) -> int | None:
    idx = ts.idx_of(raw_id)
    if idx is None:
        return None
    idx = ts.live.resolve(idx)
    return idx if ts.live.status(idx) == LIVE else None


def _pair(emu: Emulator, request: web.Request) -> tuple[TypeState, int, TypeState, int]:
    a = emu.resolve(request.match_info["type"])
    b = emu.resolve(request.match_info["to"])
    ai, bi = a.idx_of(request.match_info["id"]), b.idx_of(request.match_info["toId"])
    if ai is None or a.live.status(a.live.resolve(ai)) != LIVE:
        raise not_found(request.match_info["id"])
    if bi is None or b.live.status(b.live.resolve(bi)) != LIVE:
        raise not_found(request.match_info["toId"])
    return a, a.live.resolve(ai), b, b.live.resolve(bi)


async def put_default_association(request: web.Request) -> web.Response:
    emu = emulator(request)
    a, ai, b, bi = _pair(emu, request)
    fwd = default_types(a.otype.name, b.otype.name, a.otype.singular, b.otype.singular)
    back = default_types(b.otype.name, a.otype.name, b.otype.singular, a.otype.singular)
    # Association changes leave both records' last-modified time alone [?].
    emu.store.assoc.add(a.otype.name, ai, b.otype.name, bi, fwd, back)
    results = [{"from": {"id": a.id_of(ai)}, "to": {"id": b.id_of(bi)},
                "associationSpec": {"associationCategory": t.category,
                                    "associationTypeId": t.type_id}} for t in fwd]
    return json_response({"status": "COMPLETE", "results": results,
                          "startedAt": iso_ms(int(time.time() * 1000)),
                          "completedAt": iso_ms(int(time.time() * 1000))})


async def delete_association(request: web.Request) -> web.Response:
    emu = emulator(request)
    a, ai, b, bi = _pair(emu, request)
    emu.store.assoc.remove(a.otype.name, ai, b.otype.name, bi)
    return web.Response(status=204)


# -- account information ----------------------------------------------------------------------

async def account_details(request: web.Request) -> web.Response:
    """`GET /account-info/{v3,2026-03,2026-09}/details`: the account the token belongs to."""
    return json_response({"portalId": emulator(request).portal_id, "accountType": "STANDARD",
                          "timeZone": "US/Eastern", "companyCurrency": "USD",
                          "additionalCurrencies": [], "utcOffset": "-05:00",
                          "utcOffsetMilliseconds": -18000000, "uiDomain": "app.hubspot.com",
                          "dataHostingLocation": "na1"})


# -- schemas ---------------------------------------------------------------------------------

def schema_json(emu: Emulator, otype: ObjectType, with_props: bool = True) -> dict:
    created = iso_ms(otype.created_at_ms)
    assoc = [{"id": str(t.type_id), "fromObjectTypeId": otype.type_id,
              "toObjectTypeId": other.otype.type_id, "name": t.v3_name.upper()}
             for other in emu.store.types.values() if other.otype is not otype
             for t in labels(otype.name, other.otype.name)
             if emu.store.data.link(otype.name, other.otype.name)
             or emu.store.data.link(other.otype.name, otype.name)]
    out = {
        "id": otype.type_id.split("-")[1], "objectTypeId": otype.type_id, "name": otype.name,
        "fullyQualifiedName": otype.fqn,
        "labels": {"singular": otype.labels[0], "plural": otype.labels[1]},
        "primaryDisplayProperty": otype.primary_display,
        "secondaryDisplayProperties": [], "requiredProperties": [otype.primary_display],
        "searchableProperties": list(otype.searchable), "archived": False,
        "associations": assoc, "createdAt": created, "updatedAt": created,
        "portalId": emu.portal_id,
    }
    if with_props:
        out["properties"] = [property_json(p, otype) for p in otype.live_props]
    return out


async def list_schemas(request: web.Request) -> web.Response:
    emu = emulator(request)
    with_props = request.query.get("includePropertyDefinitions", "true").lower() != "false"
    return json_response({"results": [schema_json(emu, t, with_props)
                                      for t in emu.store.registry.custom_types()]})


async def get_schema(request: web.Request) -> web.Response:
    emu = emulator(request)
    otype = emu.resolve(request.match_info["type"]).otype
    return json_response(schema_json(emu, otype))


async def create_schema(request: web.Request) -> web.Response:
    """Create a custom object type at run time; its records start empty."""
    emu = emulator(request)
    body = await json_body(request)
    name = str(body.get("name") or "").strip().lower()
    if not name or not name.replace("_", "").isalnum():
        raise validation("name is required (letters, digits and underscores)")
    if emu.store.registry.resolve(name) is not None:
        raise ApiError(409, f"Object type {name} already exists", "CONFLICT")
    otype = _custom_type(emu, name, body)
    emu.store.add_type(otype)
    return json_response(schema_json(emu, otype), 201)


def _custom_type(emu: Emulator, name: str, body: dict) -> ObjectType:
    labels_ = body.get("labels") or {}
    props = [prop_from_json(p) for p in body.get("properties") or []]
    display = body.get("primaryDisplayProperty") or (props[0].name if props else "hs_object_id")
    type_id = emu.store.registry.next_custom_id()
    k = len(emu.store.registry.custom_types())
    otype = ObjectType(
        name, type_id, labels_.get("singular", name).lower().replace(" ", "_"),
        f"P{emu.portal_id}_{name.upper()}", "hs_createdate", "hs_lastmodifieddate",
        (display,), assemble("hs_createdate", "hs_lastmodifieddate", f"{name}_information",
                               props, []),
        90_000_000_000 + 1_000_000_000 * (k + 1), lambda n: 0,
        tuple(body.get("searchableProperties") or [display]), display, custom=True,
        fqn=f"p{emu.portal_id}_{name}",
        labels=(labels_.get("singular", name), labels_.get("plural", name)),
        created_at_ms=emu.clock.now_ms())
    return otype


def add_routes(app: web.Application) -> None:
    props, pipes = Access("properties"), Access("pipelines")
    serve(app, "GET", PROPERTIES, "/{type}", list_properties, props)
    serve(app, "GET", PROPERTIES, "/{type}/groups", list_property_groups, props)
    serve(app, "GET", PROPERTIES, "/{type}/groups/{name}", get_property_group, props)
    serve(app, "GET", PROPERTIES, "/{type}/{name}", get_property, props)
    owners_ = Access("owners")
    serve(app, "GET", OWNERS, "", list_owners, owners_)
    serve(app, "GET", OWNERS, "/", list_owners, owners_)  # the SDK's spelling
    serve(app, "GET", OWNERS, "/{id}", get_owner, owners_)
    serve(app, "GET", PIPELINES, "/{type}", list_pipelines, pipes)
    serve(app, "GET", PIPELINES, "/{type}/{id}", get_pipeline, pipes)
    serve(app, "GET", PIPELINES, "/{type}/{id}/stages", list_stages, pipes)
    serve(app, "GET", PIPELINES, "/{type}/{id}/stages/{stage}", list_stages, pipes)
    read, write = Access("associations"), Access("associations", write=True)
    serve(app, "POST", ASSOCIATIONS, "/{from}/{to}/batch/read", batch_read_associations, read)
    serve(app, "POST", ASSOCIATIONS, "/{from}/{to}/batch/archive", batch_archive_associations,
          write)
    serve(app, "GET", ASSOCIATIONS, "/{from}/{to}/labels", association_labels, read)
    serve(app, "GET", ASSOCIATIONS_V3, "/{from}/{to}/types", association_types, read)
    serve(app, "GET", OBJECT_ASSOCIATIONS, "/{type}/{id}/associations/{to}", list_associations,
          read)
    serve(app, "PUT", OBJECT_ASSOCIATIONS, "/{type}/{id}/associations/default/{to}/{toId}",
          put_default_association, write)
    serve(app, "DELETE", OBJECT_ASSOCIATIONS, "/{type}/{id}/associations/{to}/{toId}",
          delete_association, write)
    serve(app, "GET", ACCOUNT_INFO, "/details", account_details, Access("account"))
    serve(app, "GET", SCHEMAS, "", list_schemas, Access("schemas"))
    serve(app, "POST", SCHEMAS, "", create_schema, Access("schemas", write=True))
    serve(app, "GET", SCHEMAS, "/{type}", get_schema, Access("schemas"))
