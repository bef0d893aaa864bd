"""The email events and email campaigns calls of two public connectors, replayed with httpx
against the emulator, with the connector's own parameters and stop rules (read from their
source, 2026-12): singer-io tap-hubspot (`sync_campaigns`, `sync_entity_chunked` for
`email_events`) and Airbyte source-hubspot's manifest (`campaigns_stream`,
`email_events_stream`). Each returns what the connector would emit, in its order.

Both connectors' calls are described in docs/hubspot-api.md#email-events."""

from __future__ import annotations

import httpx

DAY_MS = 86_400_000
EVENTS = "/email/public/v1/events"
CAMPAIGNS = "/email/public/v1/campaigns"


def _offset_pages(api: httpx.Client, path: str, params: dict, key: str):
    """`hasMore` + `offset` paging, as both connectors do it: the next call sends the answer's
    `offset` back as `offset`; a page without `hasMore` ends the read. Yields each page's
    records; a missing `key` fails, as singer's "Unexpected API response" does."""
    params = dict(params)
    while True:
        page = api.get(path, params=params).raise_for_status().json()
        if page.get(key) is None:
            raise AssertionError(f"Unexpected API response: {key} not in {sorted(page)}")
        yield from page[key]
        if not page.get("hasMore"):
            return
        params["offset"] = page["offset"]


# -- singer-io tap-hubspot ----------------------------------------------------------------

SINGER_EMAIL_CHUNK_MS = DAY_MS  # DEFAULT_CHUNK_SIZE: config email_chunk_size


def singer_campaigns(api: httpx.Client) -> list[dict]:
    """`sync_campaigns`: every id from `/campaigns/by-id?limit=500`, then one detail call each."""
    ids = [row["id"] for row in _offset_pages(api, f"{CAMPAIGNS}/by-id", {"limit": 500},
                                              "campaigns")]
    return [api.get(f"{CAMPAIGNS}/{cid}").raise_for_status().json() for cid in ids]


def singer_email_events(api: httpx.Client, start_ms: int, now_ms: int) -> list[dict]:
    """`sync_entity_chunked("email_events")`: windows of `email_chunk_size` from the bookmark
    to now, each `{startTimestamp, endTimestamp: start + chunk, limit: 1000}` paged by offset
    (both bounds inclusive at HubSpot, so an event exactly on a boundary is read twice)."""
    out: list[dict] = []
    start = start_ms
    while start < now_ms:
        end = start + SINGER_EMAIL_CHUNK_MS
        params = {"startTimestamp": start, "endTimestamp": end, "limit": 1000}
        out += _offset_pages(api, EVENTS, params, "events")
        start = end
    return out


# -- Airbyte source-hubspot ------------------------------------------------------------------

AIRBYTE_STEP_MS = 30 * DAY_MS  # email_events_stream: step P30D
AIRBYTE_GRANULARITY_MS = 1000  # cursor_granularity PT1S


def airbyte_campaigns(api: httpx.Client) -> list[dict]:
    """`campaigns_stream`: `/campaigns?limit=500` by offset, each row completed from
    `/campaigns/{id}` (AddFieldsFromEndpointTransformation) and its counters flattened to
    `counters_*` (DpathFlattenFields keeps `counters` too)."""
    out = []
    for row in _offset_pages(api, CAMPAIGNS, {"limit": 500}, "campaigns"):
        detail = api.get(f"{CAMPAIGNS}/{row['id']}").raise_for_status().json()
        record = {**row, **detail}
        record.update({f"counters_{k}": v for k, v in (record.get("counters") or {}).items()})
        out.append(record)
    return out


def airbyte_slices(start_ms: int, now_ms: int) -> list[tuple[int, int]]:
    """DatetimeBasedCursor slices: [start, start + step - granularity], the next starting at
    start + step."""
    out, start = [], start_ms
    while start <= now_ms:
        end = min(start + AIRBYTE_STEP_MS - AIRBYTE_GRANULARITY_MS, now_ms)
        out.append((start, end))
        start += AIRBYTE_STEP_MS
    return out


def airbyte_email_events(api: httpx.Client, start_ms: int, now_ms: int) -> list[dict]:
    """`email_events_stream`: per slice `{startTimestamp, endTimestamp, limit: 1000}` (ms) paged
    by `offset` until `hasMore` is false."""
    out: list[dict] = []
    for start, end in airbyte_slices(start_ms, now_ms):
        params = {"startTimestamp": start, "endTimestamp": end, "limit": 1000}
        out += _offset_pages(api, EVENTS, params, "events")
    return out
