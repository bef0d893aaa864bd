"""The control surface under `/_emulator/`: reset, clock, silent changes, new properties and
pipeline stages, restores, faults, rate limits, search lag, raw records, OAuth app and token
scopes, write locks, webhooks, stats. Not part of HubSpot's API. Every endpoint but
`GET health` needs the control token (the edge middleware in `edge` checks it)."""

from __future__ import annotations

import inspect
import json
from itertools import islice

import orjson
from aiohttp import web

from .auth import OAuthApp, every_scope, scope_set
from .handling import ControlError, control_handler
from .locks import WriteLock
from .properties import prop_from_json
from .ratelimit import PROFILES, RateLimiter
from .schemas import add_stage as add_pipeline_stage
from .state import Emulator
from .store import ARCHIVED, HARD_DELETE, LIVE, Op, TypeState
from .webhooks import WebhookConfig

_RESET_KEYS = set(inspect.signature(Emulator.reset).parameters) - {"self"}


async def _body(request: web.Request) -> dict:
    raw = await request.read()
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as err:
        raise ControlError(f"invalid JSON: {err}") from None
    if not isinstance(body, dict):
        raise ControlError("expected a JSON object")
    return body


def _record(emu: Emulator, request: web.Request) -> tuple[TypeState, int]:
    otype = emu.store.registry.resolve(request.match_info["type"])
    if otype is None:
        raise ControlError(f"unknown object type {request.match_info['type']}")
    ts = emu.store.state(otype)
    idx = ts.idx_of(request.match_info["id"])
    if idx is None or not ts.live.exists(idx):
        raise ControlError(f"no {otype.name} record {request.match_info['id']}")
    return ts, idx


async def reset(emu: Emulator, request: web.Request) -> dict:
    body = await _body(request)
    unknown = set(body) - _RESET_KEYS
    if unknown:
        raise ControlError(f"unknown reset keys {sorted(unknown)}; known: {sorted(_RESET_KEYS)}")
    emu.reset(**body)
    return {"status": "ok", "counts": emu.store.data.counts}


async def clock(emu: Emulator, request: web.Request) -> dict:
    body = await _body(request)
    now = body.get("now_ms")
    emu.clock.frozen_ms = None if now is None else int(now)
    return {"now_ms": emu.clock.now_ms(), "frozen": emu.clock.frozen_ms is not None}


async def update_record(emu: Emulator, request: web.Request) -> dict:
    """Change values; with `touch: false` the last-modified time stays (a silent change)."""
    ts, idx = _record(emu, request)
    body = await _body(request)
    props = {k: None if v is None else str(v) for k, v in (body.get("properties") or {}).items()}
    touch = body.get("touch", True)
    modified = emu.clock.now_ms() if touch else None
    emu.store.apply(ts, Op("set", idx, props, ms=modified, source="CRM_UI"))
    return {"id": ts.id_of(idx), "modified_ms": ts.live.modified_ms(idx)}


async def add_property(emu: Emulator, request: web.Request) -> dict:
    """Define a new property on a type, as a portal admin would (values come with later
    writes). The name is taken as given, unchecked: tests plant names HubSpot might send."""
    otype = emu.store.registry.resolve(request.match_info["type"])
    if otype is None:
        raise ControlError(f"unknown object type {request.match_info['type']}")
    body = await _body(request)
    if not isinstance(body.get("name"), str) or not body["name"]:
        raise ControlError("a property needs a `name`")
    if body["name"] in otype.by_name:
        raise ControlError(f"{otype.name} already has a property {body['name']}")
    prop = prop_from_json(body)
    otype.props.append(prop)
    otype.by_name[prop.name] = prop
    return {"name": prop.name}


async def add_stage(emu: Emulator, request: web.Request) -> dict:
    """Add a stage at the end of a deal or ticket pipeline, as a portal admin would: listed by
    the pipelines API, a valid stage value, with its own stage calculated properties."""
    otype = emu.store.registry.resolve(request.match_info["type"])
    if otype is None:
        raise ControlError(f"unknown object type {request.match_info['type']}")
    body = await _body(request)
    stage_id, metadata = body.get("id"), body.get("metadata") or {}
    if not isinstance(stage_id, str) or not stage_id or not isinstance(metadata, dict):
        raise ControlError("a stage needs an `id` (and `metadata`, if any, is an object)")
    try:
        return add_pipeline_stage(otype, request.match_info["pipeline"], stage_id,
                                  str(body.get("label") or stage_id), metadata)
    except ValueError as error:
        raise ControlError(str(error)) from None


async def restore(emu: Emulator, request: web.Request) -> dict:
    """Take an archived record out of the recycle bin (docs/hubspot-api.md#deletions-and-merges):
    live again, its last-modified time unchanged (*choice*, see BEHAVIOR.md)."""
    ts, idx = _record(emu, request)
    why = _not_restorable(ts, idx)
    if why is not None:
        raise ControlError(f"{ts.otype.name} record {ts.id_of(idx)} cannot be restored: {why}")
    emu.store.apply(ts, Op("restore", idx, source="CRM_UI"))
    return {"id": ts.id_of(idx), "modified_ms": ts.live.modified_ms(idx)}


async def hard_delete(emu: Emulator, request: web.Request) -> dict:
    """Delete a record for good, not through GDPR (the recycle bin emptied after 90 days, a
    permanent delete in the UI): gone from every listing and read, like a GDPR delete, but the
    webhook is a plain deletion (docs/hubspot-api.md#deletions-and-merges)."""
    ts, idx = _record(emu, request)
    if ts.live.status(idx) not in (LIVE, ARCHIVED):
        raise ControlError(f"{ts.otype.name} record {ts.id_of(idx)} is already gone")
    emu.store.apply(ts, Op("gone", idx, source=HARD_DELETE))
    return {"id": ts.id_of(idx)}


def _not_restorable(ts: TypeState, idx: int) -> str | None:
    """Only the recycle bin can be restored from: GDPR deletes and merges are final."""
    status = ts.live.status(idx)
    if status == ARCHIVED:
        return None
    if idx in ts.live.merged_into:
        return "merged away"
    return "not archived" if status == LIVE else "GDPR-deleted"


async def touch(emu: Emulator, request: web.Request) -> dict:
    """Set the last-modified time of some records to exactly `modified_ms`."""
    body = await _body(request)
    otype = emu.store.registry.resolve(str(body.get("objectType", "contacts")))
    if otype is None:
        raise ControlError(f"unknown object type {body.get('objectType')}")
    ts = emu.store.state(otype)
    if body.get("ids") is not None:
        idxs = [ts.idx_of(i) for i in body["ids"]]
        if any(i is None or ts.live.status(i) != LIVE for i in idxs):
            raise ControlError("every id must be a live record")
    else:
        idxs = list(islice(ts.live.iter_live(0), int(body.get("count") or 0)))
    modified = int(body["modified_ms"]) if body.get("modified_ms") is not None else \
        emu.clock.now_ms()
    emu.store.apply(ts, Op("touch", others=tuple(idxs), ms=modified))
    return {"touched": len(idxs), "ids": [ts.id_of(i) for i in idxs[:1000]],
            "modified_ms": modified}


async def raw(emu: Emulator, request: web.Request) -> dict:
    """Serve this JSON verbatim for the record wherever it appears (null restores it)."""
    ts, idx = _record(emu, request)
    body = await _body(request)
    if "record" not in body:
        raise ControlError('body must be {"record": <any JSON>}')
    _set_raw(emu, ts, idx, body["record"])
    return {"id": ts.id_of(idx)}


async def raw_json(emu: Emulator, request: web.Request) -> dict:
    """Splice this JSON text verbatim where the record appears (null restores it).

    For content orjson cannot emit (a lone UTF-16 surrogate escape, NaN): the text is kept
    as an `orjson.Fragment`, which orjson copies into the page without looking at it."""
    ts, idx = _record(emu, request)
    body = await _body(request)
    text = body.get("text")
    if "text" not in body or not (text is None or isinstance(text, str)):
        raise ControlError('body must be {"text": "<JSON text of one record>" | null}')
    if text is not None:
        try:
            json.loads(text)  # the stdlib accepts lone surrogates and NaN; typos fail here
        except ValueError as err:
            raise ControlError(f"text is not JSON: {err}") from None
    _set_raw(emu, ts, idx, None if text is None else orjson.Fragment(text))
    return {"id": ts.id_of(idx)}


def _set_raw(emu: Emulator, ts: TypeState, idx: int, value) -> None:
    # Through the store, so search sees the override after the configured lag like any write.
    emu.store.apply(ts, Op("raw", idx, raw=value))
    if value is None:
        ts.live.raw.pop(idx, None)
        ts.index.raw.pop(idx, None)


async def faults(emu: Emulator, request: web.Request) -> dict:
    body = await _body(request)
    if not body:
        emu.faults.clear()
    else:
        emu.faults.configure(body)
    return {"status": "ok", "script_left": len(emu.faults.config.script)}


async def clear_faults(emu: Emulator, request: web.Request) -> dict:
    emu.faults.clear()
    return {"status": "ok"}


async def rate_limit(emu: Emulator, request: web.Request) -> dict:
    body = await _body(request)
    profile = str(body.get("profile", "none"))
    if profile not in PROFILES:
        raise ControlError(f"unknown profile {profile}; known: {sorted(PROFILES)}")
    window = int(body.get("window_ms", emu.limiter.window_ms))
    emu.limiter = RateLimiter(profile, body.get("daily_limit"), window_ms=window,
                              search_window_ms=int(body.get("search_window_ms", 1000)),
                              search_in_window=bool(body.get("search_in_window", False)),
                              portal_id=emu.portal_id)
    return {"profile": profile, "max": emu.limiter.burst, "daily_limit": emu.limiter.daily_limit,
            "search_in_window": emu.limiter.search_in_window}


async def search_lag(emu: Emulator, request: web.Request) -> dict:
    body = await _body(request)
    emu.store.set_search_lag(int(body.get("ms", 0)))
    return {"ms": emu.store.search_lag_ms}


async def search_limits(emu: Emulator, request: web.Request) -> dict:
    body = await _body(request)
    for key, value in body.items():
        if not hasattr(emu.search_limits, key):
            raise ControlError(f"unknown search limit {key}")
        setattr(emu.search_limits, key, int(value))
    return vars(emu.search_limits)


async def oauth(emu: Emulator, request: web.Request) -> dict:
    """Install an OAuth app (`{}` removes it); the previous app's tokens stop working."""
    body = await _body(request)
    emu.oauth = OAuthApp.from_config(body) if body else None
    return oauth_state(emu)


async def remove_oauth(emu: Emulator, request: web.Request) -> dict:
    emu.oauth = None
    return oauth_state(emu)


def oauth_state(emu: Emulator) -> dict:
    if emu.oauth is None:
        return {"configured": False}
    return {"configured": True, **emu.oauth.state()}


async def get_oauth(emu: Emulator, request: web.Request) -> dict:
    return oauth_state(emu)


async def revoke_refresh_token(emu: Emulator, request: web.Request) -> dict:
    """The current refresh token stops working; issued access tokens live on until expiry."""
    if emu.oauth is None:
        raise ControlError("no OAuth app is configured")
    current = emu.oauth.refresh_token
    return {"revoked": current is not None and emu.oauth.revoke(current)}


async def expire_access_tokens(emu: Emulator, request: web.Request) -> dict:
    """Every issued access token expires now (their next use is a 401 EXPIRED_AUTHENTICATION)."""
    if emu.oauth is None:
        raise ControlError("no OAuth app is configured")
    return {"expired": emu.oauth.expire_all()}


async def token_scopes(emu: Emulator, request: web.Request) -> dict:
    """The static token's scopes: a list, or null for every scope (the default); or
    `{"deny": [...]}`: every scope the portal's types use but these (one type refused)."""
    body = await _body(request)
    if body.get("deny") is not None:
        denied = scope_set(body["deny"])
        emu.token_scopes = every_scope(emu.store.registry.types) - denied
    else:
        emu.token_scopes = scope_set(body.get("scopes"))
    return {"scopes": None if emu.token_scopes is None else sorted(emu.token_scopes)}


async def write_lock(emu: Emulator, request: web.Request) -> dict:
    """`{records, window_ms, lock_ms}`: lock a type's writes after a burst (`{}`: never)."""
    emu.write_lock = WriteLock.from_config(await _body(request))
    return emu.write_lock.config()


async def lock(emu: Emulator, request: web.Request) -> dict:
    """Lock one object type's writes now for `ms` (default 2,000, HubSpot's lock time)."""
    body = await _body(request)
    otype = emu.store.registry.resolve(str(body.get("objectType", "")))
    if otype is None:
        raise ControlError(f"unknown object type {body.get('objectType')}")
    ms = int(body.get("ms", 2000))
    emu.write_lock.lock(otype.name, ms)
    return {"objectType": otype.name, "ms": ms}


async def webhooks(emu: Emulator, request: web.Request) -> dict:
    """Configure and enable delivery (see `webhooks.WebhookConfig` for the keys); whatever was
    queued for the previous configuration is dropped."""
    emu.webhooks.configure(WebhookConfig.from_config(await _body(request)))
    return emu.webhooks.state()


async def remove_webhooks(emu: Emulator, request: web.Request) -> dict:
    emu.webhooks.configure(None)
    return emu.webhooks.state()


async def get_webhooks(emu: Emulator, request: web.Request) -> dict:
    """The config (never the secret), counts and one log entry per POST made."""
    return emu.webhooks.state()


async def flush_webhooks(emu: Emulator, request: web.Request) -> dict:
    """Answer once every queued event is delivered or given up, or after `timeout_ms`."""
    body = await _body(request)
    return await emu.webhooks.flush(int(body.get("timeout_ms", 10_000)) / 1000)


async def stats(emu: Emulator, request: web.Request) -> dict:
    return emu.stats.as_json(emu.faults.injected)


async def health(emu: Emulator, request: web.Request) -> dict:
    return {"status": "ok", "counts": emu.store.data.counts, "seed": emu.store.seed,
            "portal_id": emu.portal_id, "rate_limit": emu.limiter.profile,
            "now_ms": emu.clock.now_ms()}


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/_emulator/reset", control_handler(reset))
    r.add_post("/_emulator/clock", control_handler(clock))
    r.add_post("/_emulator/records/{type}/{id}", control_handler(update_record))
    r.add_post("/_emulator/restore/{type}/{id}", control_handler(restore))
    r.add_post("/_emulator/properties/{type}", control_handler(add_property))
    r.add_post("/_emulator/pipelines/{type}/{pipeline}/stages", control_handler(add_stage))
    r.add_post("/_emulator/touch", control_handler(touch))
    r.add_post("/_emulator/hard_delete/{type}/{id}", control_handler(hard_delete))
    r.add_post("/_emulator/raw/{type}/{id}", control_handler(raw))
    r.add_post("/_emulator/raw_json/{type}/{id}", control_handler(raw_json))
    r.add_post("/_emulator/faults", control_handler(faults))
    r.add_delete("/_emulator/faults", control_handler(clear_faults))
    r.add_post("/_emulator/rate_limit", control_handler(rate_limit))
    r.add_post("/_emulator/search_lag", control_handler(search_lag))
    r.add_post("/_emulator/search_limits", control_handler(search_limits))
    r.add_post("/_emulator/oauth", control_handler(oauth))
    r.add_delete("/_emulator/oauth", control_handler(remove_oauth))
    r.add_get("/_emulator/oauth", control_handler(get_oauth))
    r.add_post("/_emulator/oauth/revoke", control_handler(revoke_refresh_token))
    r.add_post("/_emulator/oauth/expire", control_handler(expire_access_tokens))
    r.add_post("/_emulator/token_scopes", control_handler(token_scopes))
    r.add_post("/_emulator/write_lock", control_handler(write_lock))
    r.add_post("/_emulator/lock", control_handler(lock))
    r.add_post("/_emulator/webhooks", control_handler(webhooks))
    r.add_delete("/_emulator/webhooks", control_handler(remove_webhooks))
    r.add_get("/_emulator/webhooks", control_handler(get_webhooks))
    r.add_post("/_emulator/webhooks/flush", control_handler(flush_webhooks))
    r.add_get("/_emulator/stats", control_handler(stats))
    r.add_get("/_emulator/health", control_handler(health))
