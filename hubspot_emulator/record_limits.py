"""Record counts: the limits tracking API's `GET /crm/v3/limits/records` (dated
`/crm/limits/2026-03/records`), every object type's record count in one reply.

HubSpot facts (docs/hubspot-api.md#record-counts): `{hubspotDefinedObjectTypes: [{objectTypeId,
singularLabel, pluralLabel, limit, usage, percentage}], customObjectTypes: {byObjectType:
[{objectTypeId, singularLabel, pluralLabel, usage}], overallLimit, overallUsage,
overallPercentage}}`; `usage` is the number of records the account stores of the type.

Choices (BEHAVIOR.md): `usage` = the live records now (archived ones, in the recycling bin, are
not counted: *uncertain* in HubSpot); every standard type with an `0-x` id is listed, those
with no records too (deal splits, which have none, are not); limits are fixed numbers.
"""

from __future__ import annotations

from aiohttp import web

from .handling import emulator, json_response
from .routes import LIMITS, Access, serve
from .store import LIVE, Overlay, Store

STANDARD_LIMIT = 1_000_000  # per type (HubSpot's depend on the subscription)
CUSTOM_OVERALL_LIMIT = 500_000


def live_count(overlay: Overlay) -> int:
    """Live records: the generated ones not archived, corrected for what was written since."""
    data = overlay.data
    total = data.n - data.archived_count(0, data.n)
    for idx in overlay.touched():
        was_live = idx < data.n and not data.is_archived(idx)
        total += (overlay.status(idx) == LIVE) - was_live
    return total


def _entry(ts, usage: int) -> dict:
    otype = ts.otype
    singular, plural = otype.labels
    return {"objectTypeId": otype.type_id, "singularLabel": singular or otype.singular,
            "pluralLabel": plural or otype.name, "usage": usage}


def counts(store: Store) -> dict:
    standard, custom = [], []
    for ts in store.types.values():
        if ts.otype.custom:
            custom.append(_entry(ts, live_count(ts.live)))
        elif ts.otype.type_id.startswith("0-"):
            usage = live_count(ts.live)
            standard.append({**_entry(ts, usage), "limit": STANDARD_LIMIT,
                             "percentage": round(100 * usage / STANDARD_LIMIT, 2)})
    overall = sum(entry["usage"] for entry in custom)
    return {"hubspotDefinedObjectTypes": standard, "customObjectTypes": {
        "byObjectType": custom, "overallLimit": CUSTOM_OVERALL_LIMIT, "overallUsage": overall,
        "overallPercentage": round(100 * overall / CUSTOM_OVERALL_LIMIT, 2)}}


async def records(request: web.Request) -> web.Response:
    return json_response(counts(emulator(request).store))


def add_routes(app: web.Application) -> None:
    serve(app, "GET", LIMITS, "/records", records, Access("record_limits"))
