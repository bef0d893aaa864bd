"""Workflows: the automation v4 flows API and the legacy v3 workflows API.

HubSpot facts (docs/hubspot-api.md#workflows):
- `GET /automation/v4/flows?limit&after` → `{results: [{id, name, flowType, isEnabled,
  objectTypeId, revisionId, uuid, createdAt, updatedAt}], paging.next.after}`; `limit`
  default 100. `POST /automation/v4/flows/batch/read` with `{inputs: [{flowId, type:
  "FLOW_ID"}]}` → `{status, results: [<flow in full>], startedAt, completedAt}`; a flow in
  full adds `actions`, `enrollmentCriteria`, `timeWindows`, `blockedDates` …
  `GET /automation/v4/flows/{flowId}` → one flow in full.
- `GET /automation/v3/workflows` → `{workflows: [{id (a number), name, type, enabled,
  insertedAt, updatedAt (epoch ms), portalId, contactListIds …}]}`, every workflow at once.
- Both need the `automation` scope (a 403 without it).

Choices (BEHAVIOR.md): a portal has WORKFLOWS flows, seeded from the store's seed; the v4
page size is at most 100 (a 400 past it); a flow id the batch read does not know is left out.
"""

from __future__ import annotations

import random
import uuid

from aiohttp import web

from .errors import ApiError, validation
from .handling import (
    cursor_offset,
    emulator,
    int_param,
    json_body,
    json_response,
    next_link,
    offset_cursor,
)
from .routes import FLOWS, WORKFLOWS_V3, Access, serve
from .seeded import per_store
from .store import Store
from .timeutil import DAY_MS, FIXED_EPOCH_MS, iso_ms

WORKFLOWS = 12
FLOWS_DEFAULT = FLOWS_MAX = 100
_KINDS = (("0-1", "CONTACT_FLOW", "DRIP_DELAY"), ("0-3", "PLATFORM_FLOW", "PROPERTY_ANCHOR"),
          ("0-2", "PLATFORM_FLOW", "STATIC_ANCHOR"))

@per_store
def flows_of(store: Store) -> list[dict]:
    """The portal's flows in full (ids ascending), seeded on first use."""
    return _seed(store)


def _seed(store: Store) -> list[dict]:
    rng = random.Random(store.seed * 104729 + 3)
    flows = []
    for n in range(WORKFLOWS):
        object_type_id, kind, v3_type = _KINDS[n % len(_KINDS)]
        created = FIXED_EPOCH_MS - (400 - 25 * n) * DAY_MS
        updated = created + rng.randrange(1, 200) * DAY_MS
        flows.append({
            "id": str(1_000_000 + 7 * n), "name": f"Workflow {n + 1}", "type": kind,
            "flowType": "WORKFLOW", "isEnabled": n % 4 != 3, "objectTypeId": object_type_id,
            "revisionId": str(rng.randrange(1, 40)),
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "createdAt": iso_ms(created), "updatedAt": iso_ms(updated),
            "startActionId": "1", "nextAvailableActionId": "3",
            "actions": [{"actionId": "1", "actionTypeId": "0-1", "type": "SINGLE_CONNECTION",
                         "fields": {"delta": str(60 * (n + 1)), "time_unit": "MINUTES"},
                         "connection": {"edgeType": "STANDARD", "nextActionId": "2"}},
                        {"actionId": "2", "actionTypeId": "0-4", "type": "SINGLE_CONNECTION",
                         "fields": {"content_id": str(50_000 + n)}}],
            "enrollmentCriteria": {"type": "EVENT_BASED", "shouldReEnroll": n % 2 == 0},
            "timeWindows": [], "blockedDates": [], "customProperties": {},
            "dataSources": [], "suppressionListIds": [], "canEnrollFromSalesforce": False,
            "_v3": {"type": v3_type, "created": created, "updated": updated}})
    return flows


def _summary(flow: dict) -> dict:
    keys = ("id", "name", "flowType", "isEnabled", "objectTypeId", "revisionId", "uuid",
            "createdAt", "updatedAt")
    return {key: flow[key] for key in keys}


def _full(flow: dict) -> dict:
    return {k: v for k, v in flow.items() if k != "_v3"}


def _v3(flow: dict, portal_id: int) -> dict:
    return {"id": int(flow["id"]), "name": flow["name"], "type": flow["_v3"]["type"],
            "enabled": flow["isEnabled"], "portalId": portal_id,
            "insertedAt": flow["_v3"]["created"], "updatedAt": flow["_v3"]["updated"],
            "personaTagIds": [], "contactListIds": {"enrolled": 1, "active": 2, "steps": []}}


async def list_flows(request: web.Request) -> web.Response:
    limit = int_param(request.query.get("limit"), "limit", FLOWS_DEFAULT)
    if not 1 <= limit <= FLOWS_MAX:
        raise validation(f"limit must be between 1 and {FLOWS_MAX}")
    flows = flows_of(emulator(request).store)
    start = cursor_offset(request.query.get("after"))
    out: dict = {"results": [_summary(f) for f in flows[start:start + limit]]}
    if start + limit < len(flows):
        after = offset_cursor(start + limit)
        out["paging"] = {"next": {"after": after, "link": next_link(request, after)}}
    return json_response(out)



async def batch_read_flows(request: web.Request) -> web.Response:
    body = await json_body(request)
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation("inputs is required")
    wanted = {str(i.get("flowId")) for i in inputs if isinstance(i, dict)}
    flows = [_full(f) for f in flows_of(emulator(request).store) if f["id"] in wanted]
    now = iso_ms(emulator(request).clock.now_ms())
    return json_response({"status": "COMPLETE", "results": flows, "startedAt": now,
                          "completedAt": now})


async def get_flow(request: web.Request) -> web.Response:
    flow_id = request.match_info["flowId"]
    for flow in flows_of(emulator(request).store):
        if flow["id"] == flow_id:
            return json_response(_full(flow))
    raise ApiError(404, "OBJECT_NOT_FOUND", f"Flow {flow_id} not found")


async def list_v3(request: web.Request) -> web.Response:
    store = emulator(request).store
    return json_response({"workflows": [_v3(f, store.portal_id) for f in flows_of(store)]})


def add_routes(app: web.Application) -> None:
    read = Access("workflows")
    serve(app, "GET", FLOWS, "", list_flows, read)
    serve(app, "POST", FLOWS, "/batch/read", batch_read_flows, read)
    serve(app, "GET", FLOWS, "/{flowId}", get_flow, read)
    serve(app, "GET", WORKFLOWS_V3, "", list_v3, read)
