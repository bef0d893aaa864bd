"""HubSpot's edge: one middleware does, before any handler, what HubSpot's edge does (URL
length, auth, scopes, injected faults, rate limits, correlation ids, stats), and turns a
handler's `ApiError` into HubSpot's error body."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time

import orjson
from aiohttp import web

from .auth import (
    Issued,
    expired_body,
    is_app_route,
    missing_group,
    missing_scopes_body,
    required_scopes,
)
from .errors import ApiError, correlation_id
from .faults import HANDLER_ANSWERS, Fault
from .handling import CID, EMU, IDS_AS_TEXT, IGNORE_FILTER, JSON_TYPE, json_response, next_link
from .routes import access_of
from .state import Emulator

log = logging.getLogger("hubspot_emulator")
HEALTH = "/_emulator/health"  # the one control path open without a token (readiness probes)


def _is_search(request: web.Request) -> bool:
    return request.method == "POST" and request.path.endswith("/search")


def _authorized(request: web.Request, token: str) -> bool:
    """Constant-time check of `Authorization: Bearer <token>` (no timing oracle on the token)."""
    sent = request.headers.get("Authorization", "").encode("utf-8", "surrogatepass")
    return hmac.compare_digest(sent, f"Bearer {token}".encode("utf-8", "surrogatepass"))


@web.middleware
async def edge(request: web.Request, handler):
    """HubSpot's edge, in order: control surface aside, 414, 401 (static token or a live OAuth
    access token; none needed on the OAuth token endpoints), 403 missing scopes, faults, 429
    (not for token requests), the handler."""
    emu = request.app[EMU]
    cid = correlation_id()
    request[CID] = cid
    if request.path.startswith("/_emulator/"):
        response = await _control(emu, request, handler, cid)
        response.headers["X-HubSpot-Correlation-Id"] = cid
        return response
    emu.stats.requests += 1
    emu.stats.by_path[_stat_path(request.path)] += 1
    try:
        response = await _api(emu, request, handler, cid)
    except asyncio.CancelledError:
        emu.stats.by_status["dropped"] += 1
        raise
    response.headers["X-HubSpot-Correlation-Id"] = cid
    emu.stats.by_status[str(response.status)] += 1
    return response


_SECRET_IN_PATH = "/oauth/v1/refresh-tokens/"


def _stat_path(path: str) -> str:
    """The path for `stats.by_path`; a refresh token in the path is not kept."""
    if path.startswith(_SECRET_IN_PATH):
        return _SECRET_IN_PATH + "{token}"
    return path


async def _control(emu: Emulator, request: web.Request, handler,
                   cid: str) -> web.StreamResponse:
    # The control surface can rewrite the whole portal: only health is open (readiness probes).
    if not (request.method == "GET" and request.path == HEALTH) and \
            not _authorized(request, emu.control_token):
        return _unauthorized(cid)
    return await _call(handler, request, cid)


async def _api(emu: Emulator, request: web.Request, handler, cid: str) -> web.StreamResponse:
    if len(request.raw_path) > emu.max_url_length:
        return _uri_too_long()
    access = access_of(request)
    public = access is not None and access.kind == "public"  # the OAuth token endpoints
    if not public:
        refused = _authenticate(emu, request, access, cid)
        if refused is not None:
            return refused
    is_search = _is_search(request)
    fault = emu.faults.pick(request.method, request.path)
    if fault is not None:
        if fault.kind not in HANDLER_ANSWERS:
            return await _fault_response(emu, request, fault, cid, is_search)
        if fault.kind == "expire_tokens":
            if emu.oauth is not None:
                emu.oauth.expire_all()
            emu.app_client.expire_all()
            refused = None if public else _authenticate(emu, request, access, cid)
            if refused is not None:
                return refused
        await _before_handler(request, fault)
    if public:  # token requests are not API calls for the rate limits (*choice*)
        return await _call(handler, request, cid)
    decision = emu.limiter.check(is_search, cid)
    if not decision.allowed:
        return json_response(decision.body, 429, decision.headers)
    response = await _call(handler, request, cid)
    if fault is not None and fault.kind == "repeat_cursor":
        await _repeat_cursor(request, response)
    if fault is not None and fault.kind == "out_of_order":
        _reverse_results(response)
    response.headers.update(decision.headers)
    return response


def _authenticate(emu: Emulator, request: web.Request, access, cid: str) -> web.Response | None:
    """401 unless the static token or a live OAuth access token is sent (on journal routes:
    only an app token, and on no other route); 403 if that token lacks a scope the route needs
    (docs/hubspot-api.md#authentication, #webhooks-journal). None: go on."""
    app_route = is_app_route(access)
    header = request.headers.get("Authorization", "")
    bearer = header[len("Bearer "):] if header.startswith("Bearer ") else None
    if not app_route and _authorized(request, emu.token):
        granted = emu.token_scopes
    else:
        issued: Issued | None = None
        if bearer is not None and app_route:
            issued = emu.app_client.lookup(bearer)
        elif bearer is not None and emu.oauth is not None:
            issued = emu.oauth.lookup(bearer)
        if issued is None:
            return _unauthorized(cid)
        now = time.time()
        if issued.expires_at <= now:
            return json_response(expired_body(issued.expires_at, now, cid), 401,
                                 {"X-HubSpot-Auth-Failure": "401 Unauthorized"})
        granted = issued.scopes
    if granted is None or access is None:
        return None
    group = missing_group(granted, required_scopes(access, request.match_info,
                                                   emu.store.registry.resolve))
    return None if group is None else json_response(
        missing_scopes_body(group, cid, app=app_route), 403)


async def _call(handler, request: web.Request, cid: str) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as err:
        return json_response(err.body(cid), err.status)
    except web.HTTPNotFound:
        return json_response({"status": "error", "message": f"Unable to find {request.path}",
                              "correlationId": cid, "category": "OBJECT_NOT_FOUND"}, 404)
    except web.HTTPMethodNotAllowed:
        return json_response({"status": "error", "message": "Method not allowed",
                              "correlationId": cid}, 405)
    except (asyncio.CancelledError, web.HTTPException):
        raise
    except Exception:  # an emulator bug: answer like HubSpot's 500 and keep serving
        log.exception("unhandled error in %s %s", request.method, request.path)
        return json_response({"status": "error", "message": "internal error",
                              "correlationId": cid}, 500)


def _uri_too_long() -> web.Response:
    # The edge proxy answers 414 with an HTML page, before auth (docs/hubspot-api.md#errors).
    html = ("<html><head><title>414 Request-URI Too Large</title></head><body>"
            "<center><h1>414 Request-URI Too Large</h1></center></body></html>")
    return web.Response(text=html, status=414, content_type="text/html")


def _unauthorized(cid: str) -> web.Response:
    body = {"status": "error",
            "message": "Authentication credentials not found. This API supports OAuth 2.0 "
                       "authentication and you can find more details at "
                       "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "correlationId": cid, "category": "INVALID_AUTHENTICATION"}
    # Body and headers as observed (docs/hubspot-api.md#authentication).
    return json_response(body, 401, {"X-HubSpot-Auth-Failure": "401 Unauthorized"})


async def _before_handler(request: web.Request, fault: Fault) -> None:
    if fault.kind == "slow":
        await asyncio.sleep(fault.seconds)
    elif fault.kind == "ignore_filter":
        request[IGNORE_FILTER] = True  # read by the search handler
    elif fault.kind == "ids_as_text":
        request[IDS_AS_TEXT] = True  # read by the search handler


async def _repeat_cursor(request: web.Request, response: web.StreamResponse) -> None:
    """Point `paging.next` back at the page just served: a cursor that never advances."""
    after = await _request_after(request)
    body = getattr(response, "body", None)
    if after is None or not isinstance(body, bytes):
        return
    try:
        data, dumps = _loads(body)
    except ValueError:
        return
    nxt = _paging_next(data)
    if nxt is None:
        return
    nxt["after"] = after
    if "link" in nxt:
        nxt["link"] = next_link(request, after)
    response.body = dumps(data)


def _reverse_results(response: web.StreamResponse) -> None:
    """The answer's `results` in reverse order: a page that breaks the sort it was asked for."""
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):
        return
    try:
        data, dumps = _loads(body)
    except ValueError:
        return
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data["results"].reverse()
        response.body = dumps(data)


def _paging_next(data) -> dict | None:
    """`paging.next` of an answer if it offers a cursor (the last page does not)."""
    paging = data.get("paging") if isinstance(data, dict) else None
    nxt = paging.get("next") if isinstance(paging, dict) else None
    return nxt if isinstance(nxt, dict) and "after" in nxt else None


async def _request_after(request: web.Request) -> str | None:
    """The `after` a request sent: query param, or the body field of a search."""
    after = request.query.get("after")
    if after is None and _is_search(request):
        try:
            after = orjson.loads(await request.read()).get("after")
        except (ValueError, AttributeError):
            after = None
    return None if after is None or after == "" else str(after)


def _loads(body: bytes):
    """Parse an answer and give the matching serializer."""
    try:
        return orjson.loads(body), orjson.dumps
    except orjson.JSONDecodeError:
        # A spliced raw-JSON record (lone surrogate, NaN) is beyond orjson; the stdlib takes it.
        return json.loads(body), lambda d: json.dumps(d, separators=(",", ":")).encode()


async def _fault_response(emu: Emulator, request: web.Request, fault: Fault, cid: str,
                          is_search: bool) -> web.StreamResponse:
    kind = fault.kind
    if kind == "drop":
        request.transport.close()  # no status line, no body: the client sees a dropped socket
        raise asyncio.CancelledError
    if kind == "malformed_json":
        return web.Response(body=b'{"results":[{"id":"1","properties":{"email":"trunc',
                            status=200, headers={"Content-Type": JSON_TYPE})
    if kind == "html_503":
        html = ("<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
                "<body><h1>Service Unavailable</h1><p>Please try again later.</p></body></html>")
        return web.Response(text=html, status=503, content_type="text/html")
    if kind in _HOSTILE:
        return _HOSTILE[kind](request, fault, cid)
    if kind == "429":
        return json_response(_rate_limited(cid, is_search), 429)
    status = int(kind)
    headers = {"Retry-After": "1"} if status == 477 else {}
    body = {"status": "error", "message": _FAULT_MESSAGES.get(status, "An error occurred."),
            "correlationId": cid}
    return json_response(body, status, headers)


def _rate_limited(cid: str, is_search: bool) -> dict:
    if is_search:
        return {"status": "error", "message": "You have reached your secondly limit.",
                "errorType": "RATE_LIMIT", "correlationId": cid, "policyName": "SECONDLY"}
    return {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "correlationId": cid, "policyName": "TEN_SECONDLY_ROLLING"}


def _retry_after(request: web.Request, fault: Fault, cid: str) -> web.Response:
    seconds = fault.seconds
    header = str(int(seconds)) if seconds == int(seconds) else str(seconds)
    return json_response(_rate_limited(cid, False), 429, {"Retry-After": header})


def _echo_auth(request: web.Request, fault: Fault, cid: str) -> web.Response:
    # A buggy proxy's error: the credential comes back in the body, where clients log it.
    message = ("internal error for request with Authorization: "
               f"{request.headers.get('Authorization', '')}")
    return json_response({"status": "error", "message": message, "correlationId": cid},
                         fault.status)


_HOSTILE = {
    "empty_object": lambda request, fault, cid: json_response({}),
    "no_content": lambda request, fault, cid: web.Response(status=204),
    "body": lambda request, fault, cid: json_response(fault.body),
    "retry_after": _retry_after,
    "echo_auth": _echo_auth,
}

_FAULT_MESSAGES = {
    500: "internal error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout", 423: "Locked", 477: "Migration in progress",
}
