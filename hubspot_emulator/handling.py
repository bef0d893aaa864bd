"""What every handler module shares, and imports from no handler module: the app and request
keys, JSON answers, `paging.next` links, reading query parameters and bodies, and the control
surface's wrapper (bad input answers 400 `{"error"}`). Keeping these here, below the handler
modules, is what keeps the route modules free of import circles (`server` registers them all).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

import orjson
from aiohttp import web

from .errors import invalid_json, validation
from .state import Emulator

EMU = web.AppKey("emulator", Emulator)
IGNORE_FILTER = web.RequestKey("ignore_filter", bool)  # set by the "ignore_filter" fault
IDS_AS_TEXT = web.RequestKey("ids_as_text", bool)  # set by the "ids_as_text" fault
CID = web.RequestKey("correlation_id", str)  # this request's correlation id
JSON_TYPE = "application/json;charset=utf-8"


def emulator(request: web.Request) -> Emulator:
    return request.app[EMU]


def json_response(data, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status,
                        headers={"Content-Type": JSON_TYPE, **(headers or {})})


def next_link(request: web.Request, after: str) -> str:
    """`paging.next.link`: this request's URL with `after` replaced (docs/hubspot-api.md#paging)."""
    params = [(k, v) for k, v in request.query.items() if k != "after"] + [("after", after)]
    return f"{request.scheme}://{request.host}{request.path}?{urlencode(params)}"


# -- request helpers -------------------------------------------------------------------------

def offset_cursor(offset: int) -> str:
    """The `after` cursor of a listing paged by position: opaque to clients, as HubSpot's
    cursors are (they pass it back as given)."""
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def cursor_offset(cursor: str | None) -> int:
    """The position an `offset_cursor` stands for (0: no cursor); a cursor it did not make is
    a 400, as HubSpot answers a bad `after`."""
    if not cursor:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation(f"Invalid after cursor: {cursor}") from None
    if value < 0:
        raise validation(f"Invalid after cursor: {cursor}")
    return value


def multi(query, name: str) -> list[str]:
    """An array query param, comma-separated and/or repeated (docs/hubspot-api.md#paging)."""
    out: list[str] = []
    for raw in query.getall(name, []):
        out += [p.strip() for p in raw.split(",") if p.strip()]
    return out


def flag(value: str | None) -> bool:
    return str(value).lower() == "true"


def int_param(value, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation(f"Invalid value for {name}: {value}") from None


def batch_inputs(body: dict, limit: int) -> list:
    """A batch body's `inputs`, at most `limit` of them (docs/hubspot-api.md#batch-reads,
    #associations)."""
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation("inputs is required and must be a list")
    if len(inputs) > limit:
        raise validation(f"Batch input is limited to {limit} inputs, got {len(inputs)}")
    return inputs


async def json_body(request: web.Request, max_chars: int | None = None) -> dict:
    raw = await request.read()
    if max_chars is not None and len(raw.decode("utf-8", "replace")) > max_chars:
        # Search bodies over 3,000 characters are rejected (docs/hubspot-api.md#search).
        raise validation(f"The request body exceeds the maximum of {max_chars} characters.")
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise invalid_json(str(err)) from None
    if not isinstance(body, dict):
        raise invalid_json("expected a JSON object")
    return body


# -- the control surface (/_emulator/*) ------------------------------------------------------

class ControlError(Exception):
    pass


def control_handler(fn):
    """Wrap a control handler `fn(emu, request) -> dict`: bad input gives 400 {"error": ...}."""
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return json_response(await fn(request.app[EMU], request))
        except (ControlError, ValueError, TypeError, KeyError) as err:
            return json_response({"error": str(err)}, 400)
    return wrapped
