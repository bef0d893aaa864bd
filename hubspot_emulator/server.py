"""The aiohttp application: one middleware does what HubSpot's edge does before any handler
(URL length, auth, scopes, injected faults, rate limits, correlation ids, stats); routes live
in `api_objects`, `api_writes`, `api_meta`, `api_oauth` and `api_control`, each registered
under both path families through `routes.serve`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import orjson
from aiohttp import web

from .auth import (
    OAuthApp,
    expired_body,
    missing_group,
    missing_scopes_body,
    required_scopes,
    scope_set,
)
from .errors import ApiError, correlation_id, unknown_type
from .faults import HANDLER_ANSWERS, Fault, FaultInjector
from .locks import WriteLock
from .ratelimit import RateLimiter
from .routes import ROUTE_ACCESS, access_of
from .search import SearchLimits
from .store import Store, TypeState
from .timeutil import Clock
from .webhooks import WebhookConfig, Webhooks

log = logging.getLogger("hubspot_emulator")
JSON_TYPE = "application/json;charset=utf-8"
DEFAULT_MAX_URL = 8000


@dataclass
class Stats:
    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_path: Counter = field(default_factory=Counter)
    oauth_refreshes: int = 0  # successful refresh grants
    oauth_refresh_failures: int = 0  # refused token requests (400)

    def as_json(self, faults_injected: int) -> dict:
        return {"requests": self.requests, "by_status": dict(self.by_status),
                "by_path": dict(self.by_path), "faults_injected": faults_injected,
                "oauth_refreshes": self.oauth_refreshes,
                "oauth_refresh_failures": self.oauth_refresh_failures}


class Emulator:
    """All server state; `reset` rebuilds it from a portal description.

    `token` guards the API; `control_token` (default: the same) guards `/_emulator/*`.
    `token_scopes` (reset) limits the static token's scopes (None: all); `oauth` (reset) installs
    an OAuth app whose issued access tokens are accepted too (see `auth.OAuthApp`); `webhooks`
    (reset) configures event delivery (see `webhooks.WebhookConfig`)."""

    def __init__(self, token: str, control_token: str | None = None, **reset_kwargs) -> None:
        if not token:
            raise ValueError("the emulator needs a token")
        self.token = token
        self.control_token = control_token or token
        self.clock = Clock()
        self.faults = FaultInjector()
        self.search_limits = SearchLimits()
        self.webhooks = Webhooks()
        self.reset(**reset_kwargs)

    def reset(self, contacts: int = 1000, seed: int = 1, rate_limit: str = "none",
              daily_limit: int | None = None, search_lag_ms: int = 0,
              max_url_length: int = DEFAULT_MAX_URL, rate_window_ms: int = 10_000,
              search_limits: dict | None = None, fault_rate: float = 0.0,
              fault_kinds: list[str] | None = None, token_scopes: list[str] | None = None,
              oauth: dict | None = None, write_lock: dict | None = None,
              webhooks: dict | None = None, id_bases: dict | None = None) -> None:
        # Checked before anything is rebuilt: a bad value leaves the portal as it was.
        scopes = scope_set(token_scopes)
        app = None if oauth is None else OAuthApp.from_config(oauth)
        lock = WriteLock.from_config(write_lock)
        hooks = None if webhooks is None else WebhookConfig.from_config(webhooks)
        self.store = Store(seed=int(seed), contacts=int(contacts), clock=self.clock,
                           search_lag_ms=int(search_lag_ms), id_bases=id_bases)
        self.limiter = RateLimiter(rate_limit, daily_limit, window_ms=int(rate_window_ms))
        self.max_url_length = int(max_url_length)
        self.search_limits = SearchLimits(**(search_limits or {}))
        self.faults.clear()
        self.faults.injected = 0
        if fault_rate:
            self.faults.configure({"rate": fault_rate, "kinds": fault_kinds or None})
        self.token_scopes, self.oauth, self.write_lock = scopes, app, lock
        self.webhooks.reset(self.store, hooks)  # what was queued for the old portal is dropped
        self.stats = Stats()

    def resolve(self, token: str) -> TypeState:
        otype = self.store.registry.resolve(token)
        if otype is None:
            raise unknown_type(token)
        return self.store.state(otype)


EMU = web.AppKey("emulator", Emulator)
IGNORE_FILTER = web.RequestKey("ignore_filter", bool)  # set by the "ignore_filter" fault
IDS_AS_TEXT = web.RequestKey("ids_as_text", bool)  # set by the "ids_as_text" fault
CID = web.RequestKey("correlation_id", str)  # this request's correlation id
HEALTH = "/_emulator/health"  # the one control path open without a token (readiness probes)


def json_response(data, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status,
                        headers={"Content-Type": JSON_TYPE, **(headers or {})})


def next_link(request: web.Request, after: str) -> str:
    """`paging.next.link`: this request's URL with `after` replaced (docs/hubspot-api.md#paging)."""
    params = [(k, v) for k, v in request.query.items() if k != "after"] + [("after", after)]
    return f"{request.scheme}://{request.host}{request.path}?{urlencode(params)}"


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
    """401 unless the static token or a live OAuth access token is sent; 403 if that token
    lacks a scope the route needs (docs/hubspot-api.md#authentication). None: go on."""
    if _authorized(request, emu.token):
        granted = emu.token_scopes
    else:
        issued = None
        header = request.headers.get("Authorization", "")
        if emu.oauth is not None and header.startswith("Bearer "):
            issued = emu.oauth.lookup(header[len("Bearer "):])
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
    return None if group is None else json_response(missing_scopes_body(group, cid), 403)


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
    "body": lambda request, fault, cid: json_response(fault.body),
    "retry_after": _retry_after,
    "echo_auth": _echo_auth,
}

_FAULT_MESSAGES = {
    500: "internal error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout", 423: "Locked", 477: "Migration in progress",
}


def make_app(emu: Emulator) -> web.Application:
    from . import api_control, api_meta, api_oauth, api_objects, forms, legacy, lists

    app = web.Application(middlewares=[edge], client_max_size=16 * 1024 * 1024)
    app[EMU] = emu
    app[ROUTE_ACCESS] = {}
    api_control.add_routes(app)
    api_meta.add_routes(app)
    api_objects.add_routes(app)
    api_oauth.add_routes(app)
    lists.add_routes(app)
    forms.add_routes(app)
    legacy.add_routes(app)  # v1/v2 endpoints connectors still call
    app.on_cleanup.append(_stop_webhooks)
    return app


async def _stop_webhooks(app: web.Application) -> None:
    # The delivery task lives on this loop: end it (and its HTTP session) with the server.
    await app[EMU].webhooks.aclose()


async def start_site(emu: Emulator, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner and the bound port (useful with port 0)."""
    # Long request lines must reach our own 414 check instead of aiohttp's parser limit.
    runner = web.AppRunner(make_app(emu), access_log=None, max_line_size=1 << 20,
                           max_field_size=1 << 20)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    sockets = site._server.sockets if site._server else []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, bound
