"""Object read endpoints: list, get, batch read and search (docs/hubspot-api.md#paging, #search,
#batch-reads)."""

from __future__ import annotations

import time
from itertools import islice

from aiohttp import web

from .errors import batch_not_found, not_found, validation
from .handling import (
    IDS_AS_TEXT,
    IGNORE_FILTER,
    batch_inputs,
    emulator,
    flag,
    int_param,
    json_body,
    json_response,
    multi,
    next_link,
)
from .relations import targets
from .render import associations_json, history_json, record_json, select_properties
from .routes import OBJECTS, Access, serve
from .search import search
from .state import Emulator
from .store import ARCHIVED, LIVE, TypeState
from .timeutil import iso_ms

LIST_MAX = 100  # "up to 100 ... in one request" (docs/hubspot-api.md#paging); more is a 400 here
HISTORY_MAX = 50  # pages with propertiesWithHistory are capped at 50 (docs/hubspot-api.md#paging)
BATCH_MAX = 100  # batch endpoints take at most 100 inputs (docs/hubspot-api.md#batch-reads)


def to_types(emu: Emulator, names: list[str]) -> list[TypeState]:
    """The types named in `associations=`. HubSpot's spec: "If any of the specified
    associations do not exist, they will be ignored": unknown names are skipped, never a 400.
    Airbyte sends a Python list literal (`['contacts', 'companies']`): quotes and brackets
    around a name are dropped (*choice*; HubSpot accepts that request)."""
    found = (emu.store.registry.resolve(n.strip("[]'\" ")) for n in dict.fromkeys(names))
    return list({id(t): emu.store.state(t) for t in found if t is not None}.values())


def decorate(emu: Emulator, ts: TypeState, idx: int, record: dict, history: list[str],
             assoc: list[TypeState]) -> dict:
    """Add `propertiesWithHistory` / `associations` to a rendered (non-raw) record."""
    if ts.live.raw.get(idx) is not None:
        return record
    if history:
        record["propertiesWithHistory"] = history_json(ts, idx, history)
    if assoc:
        found = associations_json(emu.store, ts, idx, assoc)
        if found:
            record["associations"] = found
    return record


# -- list ------------------------------------------------------------------------------------

async def list_objects(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    q = request.query
    limit = int_param(q.get("limit"), "limit", 10)
    if not 1 <= limit <= LIST_MAX:
        raise validation(f"limit must be between 1 and {LIST_MAX}, got {limit}")
    history = multi(q, "propertiesWithHistory")
    if history:
        limit = min(limit, HISTORY_MAX)
    archived = flag(q.get("archived"))
    start = _cursor(ts, q.get("after"))
    ov = ts.live
    found = list(islice(ov.iter_archived(start) if archived else ov.iter_live(start), limit + 1))
    names = select_properties(ts.otype, multi(q, "properties") or None)
    assoc = to_types(emu, multi(q, "associations"))
    results = [decorate(emu, ts, idx, record_json(ts, ov, idx, names, archived), history, assoc)
               for idx in found[:limit]]
    out: dict = {"results": results}
    if len(found) > limit:
        after = ts.id_of(found[limit])  # the id of the next record (docs/hubspot-api.md#paging)
        out["paging"] = {"next": {"after": after, "link": next_link(request, after)}}
    return json_response(out)


def _cursor(ts: TypeState, after: str | None) -> int:
    if after is None or after == "":
        return 0
    if not after.strip().isdigit():
        raise validation(f"Invalid after cursor: {after}")
    return max(0, int(after) - ts.otype.id_base - 1)


# -- get by id -------------------------------------------------------------------------------

async def get_object(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    q = request.query
    raw_id = request.match_info["id"]
    archived = flag(q.get("archived"))
    idx = find_record(ts, raw_id, q.get("idProperty"))
    if idx is None or ts.live.status(idx) != (ARCHIVED if archived else LIVE):
        raise not_found(raw_id)
    names = select_properties(ts.otype, multi(q, "properties") or None)
    record = record_json(ts, ts.live, idx, names, archived)
    assoc = to_types(emu, multi(q, "associations"))
    return json_response(decorate(emu, ts, idx, record, multi(q, "propertiesWithHistory"),
                                  assoc))


def find_record(ts: TypeState, raw_id: str, id_property: str | None = None) -> int | None:
    """The index for an id (or a unique property value); merged-away ids give the survivor."""
    if id_property and id_property != "hs_object_id":
        idx = find_by_unique(ts, id_property, raw_id)
    else:
        idx = ts.idx_of(raw_id)
    if idx is None or not ts.live.exists(idx):
        return None
    return ts.live.resolve(idx)


def find_by_unique(ts: TypeState, prop: str, value: str) -> int | None:
    """Look a record up by a unique property such as `email` (docs/hubspot-api.md#batch-reads)."""
    wanted = value.strip().lower()
    ov = ts.live
    for idx, props in ov.props.items():
        if str(props.get(prop) or "").lower() == wanted and idx not in ov.gone:
            return idx
    candidates: list[int] = []
    if prop == "email" and "@" in wanted:
        # Generated emails carry the record index as the last dot-part of the local part.
        tail = wanted.split("@")[0].rsplit(".", 1)[-1]
        if tail.isdigit():
            candidates = [int(tail)]
    elif ts.data.n <= 50_000:
        candidates = range(ts.data.n)
    for idx in candidates:
        if idx < ts.data.n and str(ov.value(idx, prop) or "").lower() == wanted:
            return idx
    return None


# -- batch read ------------------------------------------------------------------------------

async def batch_read(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    started = iso_ms(int(time.time() * 1000))
    body = await json_body(request)
    history = body.get("propertiesWithHistory") or []
    # With history HubSpot takes at most 50 inputs, and says so in a 400
    # (docs/hubspot-api.md#property-history).
    inputs = batch_inputs(body, HISTORY_MAX if history else BATCH_MAX)
    archived = flag(request.query.get("archived"))
    want = ARCHIVED if archived else LIVE
    names = select_properties(ts.otype, body.get("properties") or None)
    results, missing, seen = [], [], set()
    for item in inputs:
        raw_id = str((item or {}).get("id", ""))
        idx = find_record(ts, raw_id, body.get("idProperty"))
        if idx is None or ts.live.status(idx) != want:
            missing.append(raw_id)
        elif idx not in seen:
            seen.add(idx)
            record = record_json(ts, ts.live, idx, names, archived)
            results.append(decorate(emu, ts, idx, record, history, []))
    return batch_response(ts, results, missing, started)


def batch_response(ts: TypeState, results: list, missing: list[str], started: str,
                   ok_status: int = 200) -> web.Response:
    out = {"status": "COMPLETE", "results": results, "startedAt": started,
           "completedAt": iso_ms(int(time.time() * 1000))}
    if missing:
        # Missing ids: 207 Multi-Status with one OBJECT_NOT_FOUND error
        # (docs/hubspot-api.md#batch-reads).
        out["numErrors"] = 1
        out["errors"] = [batch_not_found(ts.otype.error_word, missing)]
        return json_response(out, 207)
    return json_response(out, ok_status)


# -- search ----------------------------------------------------------------------------------

async def search_objects(request: web.Request) -> web.Response:
    emu = emulator(request)
    ts = emu.resolve(request.match_info["type"])
    body = top_level_filters(await json_body(request, max_chars=emu.search_limits.max_body_chars))
    if request.get(IGNORE_FILTER):
        body.pop("filterGroups", None)  # the injected fault: a search that drops its filter
    emu.store.sync_index()
    associated = _association_filter(emu, ts, body)
    return json_response(search(ts, body, emu.search_limits, associated,
                                text_ids=bool(request.get(IDS_AS_TEXT))))


def top_level_filters(body: dict) -> dict:
    """HubSpot also takes `filters` at the top of a search body, all ANDed (hubspot-api-nodejs
    #491; Airbyte's incremental streams send only that): they join every filter group, or
    form the one group when there is none (*choice* for the mixed case)."""
    extra = body.pop("filters", None)
    if not isinstance(extra, list) or not extra:
        return body
    groups = body.get("filterGroups") or [{"filters": []}]
    if isinstance(groups, list):
        body["filterGroups"] = [{**g, "filters": list(g.get("filters") or []) + extra}
                                if isinstance(g, dict) else g for g in groups]
    return body


def _association_filter(emu: Emulator, ts: TypeState, body: dict) -> set[int] | None:
    """`associations.{type}` EQ id pseudo-filters (docs/hubspot-api.md#search): the records linked
    to it."""
    result = None
    for group in body.get("filterGroups") or []:
        filters = (group or {}).get("filters") or []
        for f in [f for f in filters if str(f.get("propertyName", "")).startswith(
                "associations.")]:
            filters.remove(f)
            other = emu.resolve(f["propertyName"].split(".", 1)[1])
            if other.otype.custom:
                raise validation("Association filters are not supported for custom objects")
            idx = other.idx_of(f.get("value"))
            linked = set() if idx is None else {t for t, _ in targets(emu.store, other, idx, ts)}
            result = linked if result is None else result & linked
    return result


def add_routes(app: web.Application) -> None:
    read = Access("objects")
    serve(app, "POST", OBJECTS, "/{type}/search", search_objects, read)
    serve(app, "POST", OBJECTS, "/{type}/batch/read", batch_read, read)
    serve(app, "GET", OBJECTS, "/{type}", list_objects, read)
    serve(app, "GET", OBJECTS, "/{type}/{id}", get_object, read)
