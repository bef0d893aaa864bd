"""HubSpot's record count of every object type in one request: the limits tracking API's
`GET /crm/v3/limits/records` (docs/hubspot-api.md#record-counts).

The reply lists HubSpot's own types under `hubspotDefinedObjectTypes` and custom objects under
`customObjectTypes.byObjectType`, each with its `objectTypeId` and `usage` (the records the
account stores). verify_hubspot and the status page take a type's count from it instead of one
search per type; a type it does not list keeps its own count (a search). None — every type
counted the old way — when the endpoint answers 403 (the token lacks every scope it accepts),
404 (an account or API version without it) or a reply of another shape: a count is never
guessed from a malformed reply.

*Uncertain*: HubSpot does not say whether `usage` counts archived records (those in the
recycling bin) or how soon it follows a change; verify treats it as the live total now, and a
count that differs from the mirror's is drilled into by search as before, so a stale or
broader `usage` costs requests, never a wrong verdict.
"""

from __future__ import annotations

import logging

import msgspec

from ingestion.object_types import OBJECT_TYPES

from .client import HubSpotClient
from .errors import HubSpotClientError, HubSpotForbiddenError, HubSpotMalformedReplyError
from .replies import Listing

log = logging.getLogger(__name__)
TYPE_IDS = {entry.name: entry.type_id for entry in OBJECT_TYPES}


class TypeCount(msgspec.Struct):
    objectTypeId: str
    usage: int


class CustomCounts(msgspec.Struct):
    byObjectType: list[TypeCount]


class RecordLimits(Listing):
    """The reply, checked: each listed type's id and a whole `usage`."""

    results: list[TypeCount] = msgspec.field(name="hubspotDefinedObjectTypes")
    customObjectTypes: CustomCounts | None = None


def record_counts(client: HubSpotClient) -> dict[str, int] | None:
    """HubSpot's record count by objectTypeId (`0-1`, `2-123`), from one request; None when
    HubSpot gives none (see the module doc)."""
    try:
        reply = client.request("GET", client.paths.record_counts(), shape=RecordLimits)
    except (HubSpotForbiddenError, HubSpotClientError) as error:  # 403, 404 (or 400)
        log.info("no record counts from HubSpot (%s): counting each type by search", error)
        return None
    except HubSpotMalformedReplyError as error:  # still malformed after its retries
        log.warning("record counts unreadable (%s): counting each type by search", error)
        return None
    # Anything else (401, HubSpot failing, unreachable) is raised: the per-type counts would
    # meet it too.
    custom = reply.customObjectTypes.byObjectType if reply.customObjectTypes else []
    return {entry.objectTypeId: entry.usage for entry in (*reply.results, *custom)}


def type_id_of(object_type: str) -> str:
    """The objectTypeId the counts are keyed by: a standard type's from the table, a custom
    type's engine is already named by its `2-…` id."""
    return TYPE_IDS.get(object_type, object_type)
