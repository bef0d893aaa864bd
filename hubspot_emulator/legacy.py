"""Legacy (pre-v3) endpoints that open-source connectors still call, plus the v3/v4 spellings
they use that the rest of the emulator did not serve (issue 15, part 4).

Who calls what (read from each connector's source, 2026):
- Airbyte source-hubspot: `/properties/v2/{type}/properties` for every stream's schema and
  property list (`contact`, `company`, `deal`, `ticket`, `product`, `line_item`, `calls`…,
  `goal_targets`, `leads`, `deal_split`, `form`), `/crm-pipelines/v1/pipelines/deals`,
  `/engagements/v1/engagements/paged` and `…/recent/modified`.
- singer-io tap-hubspot (Stitch's HubSpot integration): `/companies/v2/properties`,
  `/companies/v2/companies/paged` + `/companies/v2/companies/{id}`,
  `/properties/v1/deals/properties`, `/deals/v1/deal/paged`, `/deals/v1/pipelines`,
  `/engagements/v1/engagements/paged` (4.5: `…/modified/after`),
  `POST /crm/v3/associations/company/contact/batch/read`, `/crm/v4/objects/tickets`; up to
  v3.3 (2025) also `/properties/v1/contacts/properties`, `/contacts/v1/lists/all/contacts/all`
  + `/contacts/v1/contact/vids/batch/`, and up to 2024 `/owners/v2/owners`.
- MeltanoLabs tap-hubspot: `/crm-pipelines/v1/pipelines/{deals,tickets}`.
Shapes: HubSpot's legacy reference (see `legacy_render`). Every route goes through the one
route table (`routes.serve`): same auth, scopes, faults, rate limits and 414 as v3. Paths that
name their object type in a fixed segment (`/companies/v2/…`) capture it as `{type:companies}`
so the scope check sees the type.
"""

from __future__ import annotations

import heapq
import time
from bisect import bisect_left
from itertools import islice

from aiohttp import web

from . import legacy_render as R
from .api_meta import ASSOC_BATCH_MAX
from .api_objects import list_objects
from .errors import ApiError, not_found, validation
from .handling import batch_inputs, emulator, flag, int_param, json_body, json_response, multi
from .relations import targets
from .routes import ASSOCIATIONS_V3, Access, Family, serve
from .schemas import owners, pipelines
from .state import Emulator
from .store import LIVE, TypeState
from .timeutil import DAY_MS, iso_ms

PROPERTIES = Family(("/properties/v1", "/properties/v2"), None)
CONTACTS_V1 = Family(("/{type:contacts}/v1",), None)
COMPANIES_V2 = Family(("/{type:companies}/v2",), None)
DEALS_V1 = Family(("/{type:deals}/v1",), None)
ENGAGEMENTS_V1 = Family(("/engagements/v1/engagements",), None)
CRM_PIPELINES_V1 = Family(("/crm-pipelines/v1/pipelines",), None)
OWNERS_V2 = Family(("/owners/v2/owners",), None)
OBJECTS_V4 = Family(("/crm/v4/objects",), None)

# Airbyte reads `/properties/v2/form/properties` for its forms stream's schema; forms are no
# CRM object type here. Its CDK cannot build a schema from an empty list (Airbyte 5.7.0's forms
# stream then fails), so HubSpot's answer is not empty: the emulator answers the v3 form's own
# top-level fields as definitions (*choice*: HubSpot's list is not documented).
NO_PROPERTIES = {"form", "forms"}
FORM_FIELDS = (("name", "Name", "string", "text"), ("formType", "Form type", "string", "text"),
               ("archived", "Archived", "bool", "booleancheckbox"))
# Paging limits from the legacy reference; larger values are clamped (*choice*: the legacy
# docs give maxima, not errors).
CONTACTS_PAGE, CONTACTS_MAX = 20, 100
OBJECTS_PAGE, OBJECTS_MAX = 100, 250
RECENT_PAGE, RECENT_MAX, RECENT_DAYS, RECENT_CAP = 20, 100, 30, 10_000
ENGAGEMENT_TYPES = tuple(R.ENGAGEMENT_KINDS)
CONTACT_DEFAULTS = ("firstname", "lastname", "company", "lastmodifieddate")
VIDS_MAX = 100


def _limit(request: web.Request, name: str, default: int, cap: int) -> int:
    return max(1, min(cap, int_param(request.query.get(name), name, default)))


def _offset(request: web.Request, name: str) -> int:
    return max(0, int_param(request.query.get(name), name, 0))


def _page(ts: TypeState, after_id: int, limit: int) -> tuple[list[int], bool]:
    """Live records with an id above `after_id`, ascending: the legacy offset is the last id."""
    start = max(0, after_id - ts.otype.id_base) if after_id else 0
    found = list(islice(ts.live.iter_live(start), limit + 1))
    return found[:limit], len(found) > limit


def _type(request: web.Request) -> TypeState:
    return emulator(request).resolve(request.match_info["type"])


# -- property definitions --------------------------------------------------------------------

def _definitions(emu: Emulator, type_name: str) -> list[dict]:
    if type_name.lower() in NO_PROPERTIES:
        return [_form_definition(k, *field) for k, field in enumerate(FORM_FIELDS)]
    otype = emu.resolve(type_name).otype
    # Live, non-sensitive definitions: what the v3 list gives without parameters.
    return [R.property_definition(p, otype) for p in otype.props
            if not p.archived and p.sensitivity == "non_sensitive"]


def _form_definition(order: int, name: str, label: str, kind: str, field_type: str) -> dict:
    return {"name": name, "label": label, "description": "", "groupName": "forminformation",
            "type": kind, "fieldType": field_type, "options": [], "displayOrder": order,
            "formField": False, "readOnlyValue": True, "readOnlyDefinition": True,
            "hidden": False, "mutableDefinitionNotDeletable": True, "favorited": False,
            "favoritedOrder": -1, "calculated": False, "externalOptions": False,
            "displayMode": "current_value", "deleted": False, "hubspotDefined": True,
            "createdAt": R.PROPERTY_CREATED_MS, "updatedAt": R.PROPERTY_CREATED_MS,
            "createdUserId": None, "updatedUserId": None}


async def list_properties(request: web.Request) -> web.Response:
    """A bare JSON array of definitions, not `{"results": …}` (legacy shape)."""
    return json_response(_definitions(emulator(request), request.match_info["type"]))


async def get_property(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    for prop in _definitions(emulator(request), request.match_info["type"]):
        if prop["name"] == name:
            return json_response(prop)
    raise ApiError(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")


# -- contacts v1 -----------------------------------------------------------------------------

def _contact(ts: TypeState, idx: int, names, request: web.Request) -> dict:
    history = request.query.get("propertyMode") == "value_and_history"
    return R.contact(emulator(request).portal_id, ts, idx,
                     R.contact_properties(ts, idx, names, history),
                     flag(request.query.get("showListMemberships")))


async def all_contacts(request: web.Request) -> web.Response:
    """`{contacts, has-more, vid-offset}`; the next page starts after `vidOffset`. Without
    `property` only a few standard properties come back (legacy reference)."""
    ts = _type(request)
    limit = _limit(request, "count", CONTACTS_PAGE, CONTACTS_MAX)
    after = _offset(request, "vidOffset")
    found, more = _page(ts, after, limit)
    names = multi(request.query, "property") or CONTACT_DEFAULTS
    contacts = [_contact(ts, idx, names, request) for idx in found]
    last = contacts[-1]["vid"] if contacts else after
    return json_response({"contacts": contacts, "has-more": more, "vid-offset": last})


async def contacts_by_vid(request: web.Request) -> web.Response:
    """`{"<vid>": contact}` for each live vid asked (`vid` repeated); unknown ones left out.
    Every property unless `property` is given (legacy "get a batch of contacts by vid")."""
    ts = _type(request)
    vids = multi(request.query, "vid")
    if len(vids) > VIDS_MAX:
        raise validation(f"At most {VIDS_MAX} vids per request, got {len(vids)}")
    names = multi(request.query, "property") or [p.name for p in ts.otype.live_props]
    out = {}
    for vid in vids:
        idx = _live(ts, vid)
        if idx is not None:
            out[ts.id_of(idx)] = _contact(ts, idx, names, request)
    return json_response(out)


def _live(ts: TypeState, raw_id: str) -> int | None:
    idx = ts.idx_of(raw_id)
    if idx is None or not ts.live.exists(idx):
        return None
    idx = ts.live.resolve(idx)  # a merged-away id answers with its survivor
    return idx if ts.live.status(idx) == LIVE else None


# -- companies v2 and deals v1 ---------------------------------------------------------------

def _selected(ts: TypeState, request: web.Request) -> tuple[list[str], set[str]]:
    """`properties` (+ `propertiesWithHistory`), or every property with `includeAllProperties`
    (what HubSpot told singer to send instead of long property lists)."""
    history = set(multi(request.query, "propertiesWithHistory"))
    if flag(request.query.get("includeAllProperties")):
        return [p.name for p in ts.otype.live_props], history
    names = list(dict.fromkeys(multi(request.query, "properties") + sorted(history)))
    return names, history


async def companies_paged(request: web.Request) -> web.Response:
    """`{companies, has-more, offset}`; with no `properties` each company carries none."""
    ts = _type(request)
    found, more = _page(ts, _offset(request, "offset"),
                        _limit(request, "limit", OBJECTS_PAGE, OBJECTS_MAX))
    names, history = _selected(ts, request)
    portal_id = emulator(request).portal_id
    companies = [R.company(portal_id, ts, idx, R.object_properties(ts, idx, names, history))
                 for idx in found]
    last = companies[-1]["companyId"] if companies else _offset(request, "offset")
    return json_response({"companies": companies, "has-more": more, "offset": last})


async def get_company(request: web.Request) -> web.Response:
    """One company with every property that has a value, each with its versions."""
    ts = _type(request)
    idx = _live(ts, request.match_info["companyId"])
    if idx is None:
        raise not_found(request.match_info["companyId"])
    names = [p.name for p in ts.otype.live_props]
    properties = R.object_properties(ts, idx, names, set(names))
    return json_response(R.company(emulator(request).portal_id, ts, idx, properties))


async def deals_paged(request: web.Request) -> web.Response:
    """`{deals, hasMore, offset}` (camelCase here, unlike companies' `has-more`);
    `includeAssociations=true` adds each deal's associated ids."""
    emu, ts = emulator(request), _type(request)
    found, more = _page(ts, _offset(request, "offset"),
                        _limit(request, "limit", OBJECTS_PAGE, OBJECTS_MAX))
    names, history = _selected(ts, request)
    assoc = flag(request.query.get("includeAssociations"))
    deals = [R.deal(emu.portal_id, ts, idx, R.object_properties(ts, idx, names, history),
                    R.deal_associations(emu.store, ts, idx) if assoc else None)
             for idx in found]
    last = deals[-1]["dealId"] if deals else _offset(request, "offset")
    return json_response({"deals": deals, "hasMore": more, "offset": last})


# -- engagements v1 --------------------------------------------------------------------------

def _engagement_types(emu: Emulator) -> list[TypeState]:
    """The five activity types in id order (their id ranges do not overlap)."""
    found = [emu.store.types[n] for n in ENGAGEMENT_TYPES if n in emu.store.types]
    return sorted(found, key=lambda ts: ts.otype.id_base)


async def engagements_paged(request: web.Request) -> web.Response:
    """All engagements by id: `{results, hasMore, offset}`, `offset` = the last id."""
    emu = emulator(request)
    limit = _limit(request, "limit", OBJECTS_PAGE, OBJECTS_MAX)
    after = _offset(request, "offset")
    rows: list[tuple[TypeState, int]] = []
    for ts in _engagement_types(emu):
        start = max(0, after - ts.otype.id_base) if after else 0
        rows += [(ts, idx) for idx in islice(ts.live.iter_live(start), limit + 1 - len(rows))]
        if len(rows) > limit:
            break
    page = rows[:limit]
    results = [R.engagement(emu.store, ts, idx) for ts, idx in page]
    last = results[-1]["engagement"]["id"] if results else after
    return json_response({"results": results, "hasMore": len(rows) > limit, "offset": last})


async def engagements_recent(request: web.Request) -> web.Response:
    """Engagements modified since `since` and within the last 30 days, newest first, at most
    the 10,000 most recent (legacy reference); `offset` is a position, `total` the count."""
    emu = emulator(request)
    count = _limit(request, "count", RECENT_PAGE, RECENT_MAX)
    offset = _offset(request, "offset")
    cutoff = max(_offset(request, "since"), emu.clock.now_ms() - RECENT_DAYS * DAY_MS)
    rows = sorted(((ts.live.modified_ms(idx), int(ts.id_of(idx)), ts, idx)
                   for ts in _engagement_types(emu) for idx in _modified_since(ts, cutoff)),
                  key=lambda r: (r[0], r[1]), reverse=True)[:RECENT_CAP]
    page = rows[offset:offset + count]
    return json_response({"results": [R.engagement(emu.store, ts, idx)
                                      for _ms, _id, ts, idx in page],
                          "hasMore": offset + count < len(rows),
                          "offset": offset + len(page), "total": len(rows)})


async def engagements_modified_after(request: web.Request) -> web.Response:
    """`{results, hasMore, after}` in (lastUpdated, id) order. `after` is epoch ms on the first
    call (records modified at or after it) and then the opaque cursor this endpoint returned.
    Not in HubSpot's legacy reference: shape and paging from singer-io tap-hubspot 4.5, the
    connector that calls it (its reader: `results`, `hasMore`, next `after`)."""
    emu = emulator(request)
    limit = _limit(request, "limit", OBJECTS_PAGE, OBJECTS_MAX)
    sent = request.query.get("after", "0")
    position = _cursor_position(sent)
    merged = heapq.merge(*(_by_modified(ts, position[0]) for ts in _engagement_types(emu)),
                         key=lambda r: (r[0], r[1]))
    rows = list(islice((r for r in merged if (r[0], r[1]) > position), limit + 1))
    page = rows[:limit]
    cursor = f"{page[-1][0]}_{page[-1][1]}" if page else sent
    return json_response({"results": [R.engagement(emu.store, ts, idx)
                                      for _ms, _id, ts, idx in page],
                          "hasMore": len(rows) > limit, "after": cursor})


def _cursor_position(sent: str) -> tuple[int, int]:
    """(modified ms, id) already read: a bare timestamp reads from that instant on."""
    text = sent.strip()
    if text.isdigit():
        return int(text), -1
    ms, _, rid = text.partition("_")
    if not (ms.isdigit() and rid.isdigit()):
        raise validation(f"Invalid after cursor: {sent}")
    return int(ms), int(rid)


def _by_modified(ts: TypeState, cutoff: int):
    """Live records modified at or after `cutoff` in (modified, id) order, lazily: untouched
    generated records already ascend; the few written ones are sorted and merged in."""
    ov, data = ts.live, ts.data
    touched = ov.touched()
    first = bisect_left(range(data.n), cutoff, key=data.modified_ms)
    generated = ((data.modified_ms(i), int(ts.id_of(i)), ts, i) for i in range(first, data.n)
                 if i not in touched and ov.status(i) == LIVE)
    written = sorted(((ov.modified_ms(i), int(ts.id_of(i)), ts, i) for i in touched
                      if ov.exists(i) and ov.status(i) == LIVE and ov.modified_ms(i) >= cutoff),
                     key=lambda r: (r[0], r[1]))
    return heapq.merge(generated, written, key=lambda r: (r[0], r[1]))


def _modified_since(ts: TypeState, cutoff: int) -> list[int]:
    """Live records last modified at or after `cutoff`: untouched generated records ascend in
    modification time with their index, so a bisection finds them; written ones are checked."""
    ov, n = ts.live, ts.data.n
    first = bisect_left(range(n), cutoff, key=ts.data.modified_ms)
    candidates = set(range(first, n)) | ov.touched()
    return [i for i in candidates
            if ov.exists(i) and ov.status(i) == LIVE and ov.modified_ms(i) >= cutoff]


# -- pipelines and owners --------------------------------------------------------------------

async def crm_pipelines(request: web.Request) -> web.Response:
    """`/crm-pipelines/v1/pipelines/{type}` → `{"results": [pipeline]}` in the v1 shape."""
    otype = _type(request).otype
    found = pipelines(otype)
    if found is None:
        raise validation(f"Object type {otype.name} does not support pipelines")
    return json_response({"results": [R.crm_pipeline_v1(p, otype) for p in found]})


async def deal_pipelines(request: web.Request) -> web.Response:
    """`/deals/v1/pipelines` → a bare array of deal pipelines."""
    deals = emulator(request).store.registry.resolve("deals")
    return json_response([R.deal_pipeline_v1(p) for p in pipelines(deals) or []])


async def owners_v2(request: web.Request) -> web.Response:
    """A bare array of owners; inactive (archived) ones only with `includeInactive=true`."""
    inactive = flag(request.query.get("includeInactive"))
    email = request.query.get("email")
    found = [o for o in owners() if (inactive or not o["archived"])
             and (not email or o["email"] == email)]
    portal_id = emulator(request).portal_id
    return json_response([R.owner_v2(o, portal_id) for o in found])


async def owner_v2(request: web.Request) -> web.Response:
    wanted = request.match_info["ownerId"]
    for o in owners():
        if o["id"] == wanted:
            return json_response(R.owner_v2(o, emulator(request).portal_id))
    raise not_found(wanted)


# -- v3 association batch read ---------------------------------------------------------------

async def batch_read_associations_v3(request: web.Request) -> web.Response:
    """`{status, results: [{from: {id}, to: [{id, type}]}]}`: one `to` entry per label, as the
    v3 inline shape; no paging in v3. Ids without associations are left out (*choice*);
    unknown or archived ids → 207 with one error each (as the v4 endpoint here)."""
    emu = emulator(request)
    a, b = emu.resolve(request.match_info["from"]), emu.resolve(request.match_info["to"])
    started = iso_ms(int(time.time() * 1000))
    results, missing = [], []
    for item in batch_inputs(await json_body(request), ASSOC_BATCH_MAX):
        raw_id = str((item or {}).get("id", ""))
        idx = _live(a, raw_id)
        if idx is None:
            missing.append(raw_id)
            continue
        to = [{"id": b.id_of(t), "type": x.v3_name}
              for t, types in targets(emu.store, a, idx, b) for x in types]
        if to:
            results.append({"from": {"id": raw_id}, "to": to})
    out: dict = {"status": "COMPLETE", "results": results, "startedAt": started,
                 "completedAt": iso_ms(int(time.time() * 1000))}
    if not missing:
        return json_response(out)
    out["numErrors"] = len(missing)
    out["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                      "message": f"No {a.otype.singular} with ID {m} exists",
                      "context": {"fromObjectId": [m]}} for m in missing]
    return json_response(out, 207)


def add_routes(app: web.Application) -> None:
    props, objects = Access("properties"), Access("objects")
    serve(app, "GET", PROPERTIES, "/{type}/properties", list_properties, props)
    serve(app, "GET", PROPERTIES, "/{type}/properties/named/{name}", get_property, props)
    serve(app, "GET", COMPANIES_V2, "/properties", list_properties, props)
    serve(app, "GET", CONTACTS_V1, "/lists/all/contacts/all", all_contacts, objects)
    serve(app, "GET", CONTACTS_V1, "/contact/vids/batch/", contacts_by_vid, objects)
    serve(app, "GET", CONTACTS_V1, "/contact/vids/batch", contacts_by_vid, objects)
    serve(app, "GET", COMPANIES_V2, "/companies/paged", companies_paged, objects)
    serve(app, "GET", COMPANIES_V2, r"/companies/{companyId:\d+}", get_company, objects)
    serve(app, "GET", DEALS_V1, "/deal/paged", deals_paged, objects)
    serve(app, "GET", DEALS_V1, "/pipelines", deal_pipelines, Access("pipelines"))
    # Engagements span five types: no single type to check a scope against (*choice*).
    serve(app, "GET", ENGAGEMENTS_V1, "/paged", engagements_paged, objects)
    serve(app, "GET", ENGAGEMENTS_V1, "/recent/modified", engagements_recent, objects)
    serve(app, "GET", ENGAGEMENTS_V1, "/modified/after", engagements_modified_after, objects)
    serve(app, "GET", CRM_PIPELINES_V1, "/{type}", crm_pipelines, Access("pipelines"))
    serve(app, "GET", OWNERS_V2, "", owners_v2, Access("owners"))
    serve(app, "GET", OWNERS_V2, "/", owners_v2, Access("owners"))
    serve(app, "GET", OWNERS_V2, "/{ownerId}", owner_v2, Access("owners"))
    serve(app, "POST", ASSOCIATIONS_V3, "/{from}/{to}/batch/read", batch_read_associations_v3,
          Access("associations"))
    # singer's tickets stream lists through the v4 objects path: same answer as v3.
    serve(app, "GET", OBJECTS_V4, "/{type}", list_objects, objects)
