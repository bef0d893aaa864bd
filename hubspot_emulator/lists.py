"""Lists (HubSpot now calls them segments), v3 and the dated lists API: search, get one, and
the memberships of one list; plus the control operations that change them.

HubSpot facts (lists guide; the SDK's `crm.lists` models, whose `count` doc says "max 500"
and memberships `limit` "maximum 250"; the lists reference pages, read 2026-11):
- `POST …/search` body `{query, offset, count, listIds, processingTypes, objectTypeId,
  additionalProperties}` → `{lists, offset, hasMore, total}`; offset paging, `count`
  default 20, at most 500. Each list: `listId`, `listVersion`, `name`, `objectTypeId`,
  `processingType` (MANUAL | DYNAMIC | SNAPSHOT), `processingStatus`, `createdAt`,
  `updatedAt`, `filtersUpdatedAt`, `createdById`, `updatedById`, and `additionalProperties`:
  by default `hs_list_size`, `hs_last_record_added_at`, `hs_last_record_removed_at`,
  `hs_folder_name`, `hs_list_reference_count`, strings, left out when empty. No filters and
  no `size` in search results.
- `GET …/{listId}?includeFilters=` → `{"list": {…, "size", "filterBranch"?}}`.
- `GET …/{listId}/memberships?after&limit` → `{results: [{recordId, membershipTimestamp}],
  paging.next.after}`, ordered by record id ascending; `limit` at most 250.

Choices where HubSpot says nothing (BEHAVIOR.md marks them *choice*): search orders by
`listId` and never returns deleted lists; a deleted list is still answered by GET (with
`deletedAt`, within HubSpot's 90-day restore window) but its memberships are a 404; a
membership change moves `hs_list_size` and `hs_last_record_added_at` /
`hs_last_record_removed_at` but not `updatedAt` (which follows the definition); memberships
of dynamic lists are seeded, not evaluated from their filters.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from aiohttp import web

from .errors import ApiError, validation
from .handling import (
    control_handler,
    emulator,
    flag,
    int_param,
    json_body,
    json_response,
    next_link,
)
from .routes import LISTS, Access, serve
from .seeded import per_store
from .state import Emulator
from .store import LIVE, Store
from .timeutil import DAY_MS, FIXED_EPOCH_MS, iso_ms

SEARCH_DEFAULT, SEARCH_MAX = 20, 500
MEMBERS_DEFAULT, MEMBERS_MAX = 100, 250
SEEDED_MEMBERS_MAX = 20_000  # per seeded list: big portals stay cheap to build (*choice*)
PROCESSING_TYPES = ("MANUAL", "DYNAMIC", "SNAPSHOT")
TYPE_NAMES = {"0-1": "contacts", "0-2": "companies", "0-3": "deals", "0-5": "tickets"}


@dataclass
class PortalList:
    list_id: str
    name: str
    object_type_id: str
    processing_type: str
    created_ms: int
    filter_branch: dict | None = None
    members: dict[str, int] = field(default_factory=dict)  # record id -> added at (ms)
    updated_ms: int = 0
    filters_updated_ms: int = 0
    list_version: int = 1
    last_added_ms: int | None = None
    last_removed_ms: int | None = None
    deleted_ms: int | None = None

    def add(self, record_ids: list[str], now_ms: int) -> list[str]:
        """Add the records that are not members yet (HubSpot ignores the others)."""
        added = [r for r in dict.fromkeys(record_ids) if r not in self.members]
        for record_id in added:
            self.members[record_id] = now_ms
        if added:
            self.last_added_ms = now_ms
        return added

    def remove(self, record_ids: list[str], now_ms: int) -> list[str]:
        removed = [r for r in dict.fromkeys(record_ids)
                   if self.members.pop(r, None) is not None]
        if removed:
            self.last_removed_ms = now_ms
        return removed


@dataclass
class ListsState:
    lists: dict[str, PortalList] = field(default_factory=dict)
    next_id: int = 1

    def create(self, name: str, object_type_id: str, processing_type: str, now_ms: int,
               filter_branch: dict | None = None, list_id: str | None = None) -> PortalList:
        """A new list; `list_id` plants an id of the test's choosing (any text)."""
        if list_id is None:
            list_id = str(self.next_id)
            self.next_id += 1
        made = PortalList(list_id, name, object_type_id, processing_type, now_ms,
                          filter_branch, updated_ms=now_ms, filters_updated_ms=now_ms)
        self.lists[made.list_id] = made
        return made


@per_store
def lists_of(store: Store) -> ListsState:
    """The portal's lists, seeded on first use."""
    return _seed(store)


# -- seeding ---------------------------------------------------------------------------------

_VIP_FILTER = {"filterBranchType": "OR", "filterBranchOperator": "OR", "filters": [],
               "filterBranches": [{"filterBranchType": "AND", "filterBranchOperator": "AND",
                                   "filterBranches": [], "filters": [{
                                       "filterType": "PROPERTY", "property": "is_vip",
                                       "operation": {"operationType": "BOOL",
                                                     "operator": "IS_EQUAL_TO", "value": True,
                                                     "includeObjectsWithNoValueSet": False}}]}]}

# (name, objectTypeId, processingType, filters, which live records: index % m == r, deleted)
_SEEDED = (
    ("Newsletter subscribers", "0-1", "MANUAL", None, (3, 0), False),
    ("VIP contacts", "0-1", "DYNAMIC", _VIP_FILTER, (5, 1), False),
    ("Webinar attendees (snapshot)", "0-1", "SNAPSHOT", _VIP_FILTER, (7, 2), False),
    ("Target accounts", "0-2", "MANUAL", None, (2, 0), False),
    ("Old campaign", "0-1", "MANUAL", None, (4, 3), True),
)


def _seed(store: Store) -> ListsState:
    state = ListsState()
    for k, (name, type_id, processing, filters, (m, r), deleted) in enumerate(_SEEDED):
        created = FIXED_EPOCH_MS - (400 - 30 * k) * DAY_MS
        made = state.create(name, type_id, processing, created, filters)
        ids = _live_ids(store, TYPE_NAMES[type_id], m, r)
        for n, record_id in enumerate(ids):
            made.members[record_id] = created + (n + 1) * 60_000
        made.last_added_ms = max(made.members.values(), default=None)
        made.updated_ms = made.filters_updated_ms = created + DAY_MS
        if deleted:
            made.deleted_ms = FIXED_EPOCH_MS - 10 * DAY_MS
    return state


def _live_ids(store: Store, type_name: str, m: int, r: int) -> list[str]:
    ts = store.types[type_name]
    out = []
    for idx in ts.live.iter_live(0):
        if idx % m == r:
            out.append(ts.id_of(idx))
            if len(out) >= SEEDED_MEMBERS_MAX:
                break
    return out


# -- rendering -------------------------------------------------------------------------------

def _common(lst: PortalList) -> dict:
    out = {"listId": lst.list_id, "listVersion": lst.list_version, "name": lst.name,
           "objectTypeId": lst.object_type_id, "processingStatus": "COMPLETE",
           "processingType": lst.processing_type, "createdAt": iso_ms(lst.created_ms),
           "createdById": "1", "updatedAt": iso_ms(lst.updated_ms), "updatedById": "1",
           "filtersUpdatedAt": iso_ms(lst.filters_updated_ms)}
    if lst.deleted_ms is not None:
        out["deletedAt"] = iso_ms(lst.deleted_ms)
    return out


def additional_properties(lst: PortalList) -> dict[str, str]:
    """The default list properties, as strings; empty ones are left out (HubSpot)."""
    out = {"hs_list_size": str(len(lst.members)), "hs_list_reference_count": "0"}
    if lst.last_added_ms is not None:
        out["hs_last_record_added_at"] = str(lst.last_added_ms)
    if lst.last_removed_ms is not None:
        out["hs_last_record_removed_at"] = str(lst.last_removed_ms)
    return dict(sorted(out.items()))


def search_json(lst: PortalList) -> dict:
    return {**_common(lst), "additionalProperties": additional_properties(lst)}


def list_json(lst: PortalList, include_filters: bool) -> dict:
    out = {**_common(lst), "size": len(lst.members)}
    if include_filters and lst.filter_branch is not None:
        out["filterBranch"] = lst.filter_branch
    return out


# -- API handlers ----------------------------------------------------------------------------

async def search_lists(request: web.Request) -> web.Response:
    body = await json_body(request)
    offset = int_param(body.get("offset"), "offset", 0)
    count = int_param(body.get("count"), "count", SEARCH_DEFAULT)
    if offset < 0 or not 1 <= count <= SEARCH_MAX:
        raise validation(f"count must be between 1 and {SEARCH_MAX}; offset at least 0")
    found = [lst for lst in lists_of(emulator(request).store).lists.values()
             if lst.deleted_ms is None and _matches(lst, body)]
    page = found[offset:offset + count]
    return json_response({"lists": [search_json(lst) for lst in page],
                          "offset": offset + len(page),
                          "hasMore": offset + len(page) < len(found), "total": len(found)})


def _matches(lst: PortalList, body: dict) -> bool:
    query = str(body.get("query") or "").lower()
    ids = [str(i) for i in body.get("listIds") or []]
    kinds = body.get("processingTypes") or []
    type_id = body.get("objectTypeId")
    return ((not query or query in lst.name.lower()) and (not ids or lst.list_id in ids)
            and (not kinds or lst.processing_type in kinds)
            and (not type_id or lst.object_type_id == type_id))


def _find(emu: Emulator, list_id: str) -> PortalList:
    lst = lists_of(emu.store).lists.get(list_id)
    if lst is None:
        raise ApiError(404, f"List does not exist with listId: {list_id}", "OBJECT_NOT_FOUND")
    return lst


async def get_list(request: web.Request) -> web.Response:
    lst = _find(emulator(request), request.match_info["listId"])
    include = flag(request.query.get("includeFilters"))
    return json_response({"list": list_json(lst, include)})


async def list_memberships(request: web.Request) -> web.Response:
    lst = _find(emulator(request), request.match_info["listId"])
    if lst.deleted_ms is not None:  # *choice*: a deleted list's members are not served
        raise ApiError(404, f"List {lst.list_id} is deleted", "OBJECT_NOT_FOUND")
    limit = int_param(request.query.get("limit"), "limit", MEMBERS_DEFAULT)
    if not 1 <= limit <= MEMBERS_MAX:
        raise validation(f"limit must be between 1 and {MEMBERS_MAX}")
    ordered = sorted(lst.members.items(), key=lambda item: _order(item[0]))
    start = _after(request.query.get("after"), ordered)
    page = ordered[start:start + limit]
    out: dict = {"results": [{"recordId": r, "membershipTimestamp": iso_ms(ms)}
                             for r, ms in page], "total": len(ordered)}
    if start + limit < len(ordered):
        after = _cursor(page[-1][0])
        out["paging"] = {"next": {"after": after, "link": next_link(request, after)}}
    return json_response(out)


def _cursor(record_id: str) -> str:
    # Opaque to clients, as HubSpot's: the last record id served.
    return base64.urlsafe_b64encode(f"r:{record_id}".encode()).decode().rstrip("=")


def _order(record_id: str) -> tuple:
    """Record ids ascending: numbers by value; planted non-numeric ids after them."""
    return (0, int(record_id), "") if record_id.isdigit() else (1, 0, record_id)


def _after(cursor: str | None, ordered: list[tuple[str, int]]) -> int:
    """Where the page after `cursor` starts: past the record the cursor names."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        last = _order(text.removeprefix("r:")) if text.startswith("r:") else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        last = None
    if last is None:
        raise validation(f"Invalid after cursor: {cursor}")
    return next((k for k, (r, _) in enumerate(ordered) if _order(r) > last), len(ordered))


# -- control operations (/_emulator/lists/…) ---------------------------------------------------

class ListControlError(ValueError):
    """Bad control input: answered 400 by `handling.control_handler`."""


def _record_ids(emu: Emulator, lst: PortalList, body: dict) -> list[str]:
    ids = body.get("recordIds")
    if not isinstance(ids, list):
        raise ListControlError('body must be {"recordIds": [ids]}')
    if body.get("anyIds"):  # planted as given: what a client must survive (tests)
        return [str(i) for i in ids]
    ts = emu.store.types[TYPE_NAMES[lst.object_type_id]]
    # Records that do not exist are ignored, as HubSpot's membership endpoints do.
    return [str(i) for i in ids if (idx := ts.idx_of(i)) is not None
            and ts.live.status(idx) == LIVE]


def _control_list(emu: Emulator, request: web.Request) -> PortalList:
    lst = lists_of(emu.store).lists.get(request.match_info["listId"])
    if lst is None or lst.deleted_ms is not None:
        raise ListControlError(f"no live list {request.match_info['listId']}")
    return lst


async def control_create(emu: Emulator, request: web.Request) -> dict:
    body = await _control_body(request)
    kind = body.get("processingType", "MANUAL")
    type_id = body.get("objectTypeId", "0-1")
    if kind not in PROCESSING_TYPES or type_id not in TYPE_NAMES:
        raise ListControlError(f"processingType one of {PROCESSING_TYPES}, objectTypeId one "
                               f"of {sorted(TYPE_NAMES)}")
    now = emu.clock.now_ms()
    list_id = body.get("listId")
    if list_id is not None and str(list_id) in lists_of(emu.store).lists:
        raise ListControlError(f"list {list_id} exists")
    made = lists_of(emu.store).create(str(body.get("name") or "New list"), type_id, kind, now,
                                      body.get("filterBranch"),
                                      None if list_id is None else str(list_id))
    added = made.add(_record_ids(emu, made, {"recordIds": body.get("recordIds") or [],
                                             "anyIds": body.get("anyIds")}), now)
    emu.journal.list_membership(made.list_id, type_id, added, removed=False)
    return {"listId": made.list_id, "size": len(made.members)}


async def control_add(emu: Emulator, request: web.Request) -> dict:
    lst = _control_list(emu, request)
    added = lst.add(_record_ids(emu, lst, await _control_body(request)), emu.clock.now_ms())
    emu.journal.list_membership(lst.list_id, lst.object_type_id, added, removed=False)
    return {"listId": lst.list_id, "added": added, "size": len(lst.members)}


async def control_remove(emu: Emulator, request: web.Request) -> dict:
    lst = _control_list(emu, request)
    body = await _control_body(request)
    ids = body.get("recordIds")
    if not isinstance(ids, list):
        raise ListControlError('body must be {"recordIds": [ids]}')
    removed = lst.remove([str(i) for i in ids], emu.clock.now_ms())
    emu.journal.list_membership(lst.list_id, lst.object_type_id, removed, removed=True)
    return {"listId": lst.list_id, "removed": removed, "size": len(lst.members)}


async def control_rename(emu: Emulator, request: web.Request) -> dict:
    """A definition change: `updatedAt` moves (a membership change does not, *choice*)."""
    lst = _control_list(emu, request)
    lst.name = str((await _control_body(request)).get("name") or lst.name)
    lst.updated_ms = emu.clock.now_ms()
    return {"listId": lst.list_id, "updatedAt": iso_ms(lst.updated_ms)}


async def control_delete(emu: Emulator, request: web.Request) -> dict:
    """Delete a list (restorable for 90 days in HubSpot): gone from search, GET shows
    `deletedAt`, its memberships answer 404."""
    lst = _control_list(emu, request)
    lst.deleted_ms = emu.clock.now_ms()
    return {"listId": lst.list_id, "deletedAt": iso_ms(lst.deleted_ms)}


async def control_restore(emu: Emulator, request: web.Request) -> dict:
    """Restore a deleted list (HubSpot: within 90 days): back in search with its members;
    `updatedAt` unchanged (*choice*)."""
    lst = lists_of(emu.store).lists.get(request.match_info["listId"])
    if lst is None or lst.deleted_ms is None:
        raise ListControlError(f"no deleted list {request.match_info['listId']}")
    lst.deleted_ms = None
    return {"listId": lst.list_id}


async def _control_body(request: web.Request) -> dict:
    try:
        return await json_body(request)
    except ApiError as error:
        raise ListControlError(error.message) from None


def add_routes(app: web.Application) -> None:
    read = Access("lists")
    serve(app, "POST", LISTS, "/search", search_lists, read)
    serve(app, "GET", LISTS, "/{listId}", get_list, read)
    serve(app, "GET", LISTS, "/{listId}/memberships", list_memberships, read)
    r = app.router
    r.add_post("/_emulator/lists", control_handler(control_create))
    r.add_post("/_emulator/lists/{listId}/add", control_handler(control_add))
    r.add_post("/_emulator/lists/{listId}/remove", control_handler(control_remove))
    r.add_post("/_emulator/lists/{listId}/rename", control_handler(control_rename))
    r.add_post("/_emulator/lists/{listId}/delete", control_handler(control_delete))
    r.add_post("/_emulator/lists/{listId}/restore", control_handler(control_restore))
