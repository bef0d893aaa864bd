"""HubSpot's webhooks journal API, 2026-03 (docs/hubspot-api.md#webhooks-journal; the wire
details HubSpot leaves open are the *choice*s listed in BEHAVIOR.md "Webhooks journal"):
journal entries (local and global variants), subscriptions, snapshots, and the signed event
files under `/_journal-files/`. Every route but the files takes only an app token (the
client-credentials grant, `api_oauth`); the state lives in `journal.Journal`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from aiohttp import web

from .auth import scope_set
from .errors import ApiError, validation
from .handling import EMU, batch_inputs, control_handler, json_body, json_response
from .journal import Entry
from .journal_subs import parse as parse_subscription
from .routes import (
    JOURNAL_GLOBAL,
    JOURNAL_LOCAL,
    JOURNAL_SNAPSHOTS,
    JOURNAL_SUBSCRIPTIONS,
    Access,
    Family,
    serve,
)
from .state import Emulator
from .timeutil import iso_ms

FILE_URL_TTL_MS = 5 * 60_000  # the event file's url lives 5 minutes after the read (*choice*)
BATCH_MAX = 100  # count and batch/read inputs (*choice*: HubSpot documents a minimum only)
FILES = Family(("/_journal-files",), None)
_FILE_KEY = web.AppKey("journal_file_key", bytes)


def _emu(request: web.Request) -> Emulator:
    return request.app[EMU]


# -- journal entries ---------------------------------------------------------------------------

def _this_portal(request: web.Request) -> bool:
    """`installPortalId` (optional): another portal has no entries here."""
    raw = request.query.get("installPortalId")
    if raw is None or raw == "":
        return True
    try:
        return int(raw) == _emu(request).portal_id
    except ValueError:
        raise validation(f"Invalid value for installPortalId: {raw}") from None


def _entry_json(request: web.Request, entry: Entry) -> dict:
    expires = _emu(request).clock.now_ms() + FILE_URL_TTL_MS
    payload = f"{entry.offset}.{expires}".encode()
    signature = hmac.new(request.app[_FILE_KEY], payload, hashlib.sha256).hexdigest()[:40]
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + signature
    return {"currentOffset": entry.offset, "expiresAt": iso_ms(expires),
            "url": f"{request.scheme}://{request.host}/_journal-files/{token}"}


def _batch(request: web.Request, entries: list[Entry], started: int) -> dict:
    return {"status": "COMPLETE", "results": [_entry_json(request, e) for e in entries],
            "startedAt": iso_ms(started), "completedAt": iso_ms(_emu(request).clock.now_ms())}


def _kept(request: web.Request) -> list[Entry]:
    return _emu(request).journal.live() if _this_portal(request) else []


def _after(request: web.Request, offset: str, count: int) -> list[Entry]:
    """Entries after `offset`; 404 when it expired or never existed (for this portal)."""
    found = _emu(request).journal.after(offset, count) if _this_portal(request) else None
    if found is None:
        raise ApiError(404, f"The offset {offset} has expired (entries are kept 3 days) or "
                            "does not exist", "OBJECT_NOT_FOUND", context={"offset": [offset]})
    return found


def _count(request: web.Request) -> int:
    raw = request.match_info["count"]
    if not raw.isdigit() or not 1 <= int(raw) <= BATCH_MAX:
        raise validation(f"count must be between 1 and {BATCH_MAX}, not {raw}")
    return int(raw)


def _single(request: web.Request, entry: Entry | None) -> web.Response:
    if entry is None:
        return web.Response(status=204)  # nothing there (yet)
    return json_response(_entry_json(request, entry))


async def earliest(request: web.Request) -> web.Response:
    kept = _kept(request)
    return _single(request, kept[0] if kept else None)


async def latest(request: web.Request) -> web.Response:
    kept = _kept(request)
    return _single(request, kept[-1] if kept else None)


async def offset_next(request: web.Request) -> web.Response:
    found = _after(request, request.match_info["offset"], 1)
    return _single(request, found[0] if found else None)


async def batch_earliest(request: web.Request) -> web.Response:
    started, count = _emu(request).clock.now_ms(), _count(request)
    return json_response(_batch(request, _kept(request)[:count], started))


async def batch_latest(request: web.Request) -> web.Response:
    started, count = _emu(request).clock.now_ms(), _count(request)
    return json_response(_batch(request, _kept(request)[-count:], started))  # oldest first


async def batch_next(request: web.Request) -> web.Response:
    started, count = _emu(request).clock.now_ms(), _count(request)
    found = _after(request, request.match_info["offset"], count)
    return json_response(_batch(request, found, started))


async def batch_read(request: web.Request) -> web.Response:
    started = _emu(request).clock.now_ms()
    offsets = batch_inputs(await json_body(request), BATCH_MAX)
    for offset in offsets:
        if not _is_uuid(offset):
            raise validation(f"Invalid offset {offset!r}: offsets are UUIDs")
    journal, this_portal = _emu(request).journal, _this_portal(request)
    found, errors = [], []
    for offset in offsets:
        entry = journal.find(offset) if this_portal else None
        if entry is None:
            errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                           "message": f"No journal entry for offset {offset}",
                           "context": {"offset": [offset]}})
        else:
            found.append(entry)
    body = _batch(request, found, started)
    if errors:
        body.update(errors=errors, numErrors=len(errors))
    return json_response(body)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


# -- the event files ---------------------------------------------------------------------------

def _s3_error(status: int, message: str) -> web.Response:
    return json_response({"message": message}, status)


async def journal_file(request: web.Request) -> web.Response:
    """The signed url of an entry: no Authorization needed (one sent is ignored); 403 once
    expired or when the signature is not ours (S3-like, *choice*)."""
    token = request.match_info["token"]
    encoded, _, signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        payload = b""
    expected = hmac.new(request.app[_FILE_KEY], payload, hashlib.sha256).hexdigest()[:40]
    if not payload or not hmac.compare_digest(signature.encode(), expected.encode()):
        return _s3_error(403, "The request signature we calculated does not match the "
                              "signature you provided.")
    offset, _, expires = payload.decode().rpartition(".")
    if _emu(request).clock.now_ms() >= int(expires):
        return _s3_error(403, "Request has expired")
    entry = _emu(request).journal.find(offset)
    if entry is None:
        return _s3_error(404, "The specified key does not exist.")
    return json_response(entry.file(), headers={"Content-Type": "application/json"})


# -- subscriptions -----------------------------------------------------------------------------

def _subscription_id(request: web.Request) -> int:
    raw = request.match_info["subscriptionId"]
    sub_id = int(raw) if raw.isdigit() else -1
    if sub_id not in _emu(request).journal.subscriptions.by_id:
        raise ApiError(404, f"Subscription {raw} not found", "OBJECT_NOT_FOUND",
                       context={"subscriptionId": [raw]})
    return sub_id


async def list_subscriptions(request: web.Request) -> web.Response:
    subs = _emu(request).journal.subscriptions.by_id
    return json_response({"results": [subs[k].to_json() for k in sorted(subs)]})


async def get_subscription(request: web.Request) -> web.Response:
    subs = _emu(request).journal.subscriptions.by_id
    return json_response(subs[_subscription_id(request)].to_json())


async def upsert_subscription(request: web.Request) -> web.Response:
    emu = _emu(request)
    registry = emu.store.registry

    def known(type_id: str) -> bool:
        otype = registry.resolve(type_id)
        return otype is not None and otype.type_id == type_id

    sub = parse_subscription(await json_body(request), emu.journal.app_id, emu.clock.now_ms(),
                             known)
    return json_response(emu.journal.subscriptions.upsert(sub).to_json())


async def delete_subscription(request: web.Request) -> web.Response:
    _emu(request).journal.subscriptions.delete(_subscription_id(request))
    return web.Response(status=204)


async def delete_portal_subscriptions(request: web.Request) -> web.Response:
    raw = request.match_info["portalId"]
    if not raw.isdigit():
        raise validation(f"Invalid value for portalId: {raw}")
    _emu(request).journal.subscriptions.delete_portal(int(raw))
    return web.Response(status=204)


# -- snapshots ---------------------------------------------------------------------------------

async def create_snapshots(request: web.Request) -> web.Response:
    """Each request is served at once: COMPLETED and written to the journal as a SNAPSHOT
    event (one entry for the whole call); a record that does not exist → FAILED (*choice*)."""
    emu = _emu(request)
    requests = (await json_body(request)).get("snapshotRequests")
    if not isinstance(requests, list) or not 1 <= len(requests) <= BATCH_MAX:
        raise validation(f"snapshotRequests must be a list of 1..{BATCH_MAX} requests")
    wanted, answers = [], []
    for item in requests:
        portal_id, object_id, type_id, properties = _snapshot_request(item)
        ts = _snapshot_record_type(emu, type_id)
        idx = ts.idx_of(object_id) if ts is not None and portal_id == emu.portal_id else None
        ok = idx is not None and ts.live.exists(idx) and ts.live.status(idx) != "gone"
        status_id = emu.journal.snapshot_status(ok)
        if ok:
            wanted.append((ts, idx, properties))
        answers.append({"portalId": portal_id, "objectId": object_id, "objectTypeId": type_id,
                        "snapshotStatusId": status_id})
    emu.journal.snapshot(wanted)
    return json_response({"snapshotResponses": answers})


def _snapshot_request(item) -> tuple[int, int, str, list[str]]:
    if not isinstance(item, dict):
        raise validation("each snapshot request must be an object")
    fields = (("portalId", int), ("objectId", int), ("objectTypeId", str),
              ("properties", list))
    for name, kind in fields:
        if type(item.get(name)) is not kind:
            raise validation(f"snapshot request field {name} is required "
                             f"({kind.__name__})")
    if not all(isinstance(p, str) for p in item["properties"]):
        raise validation("snapshot request field properties must list property names")
    return item["portalId"], item["objectId"], item["objectTypeId"], item["properties"]


def _snapshot_record_type(emu: Emulator, type_id: str):
    otype = emu.store.registry.resolve(type_id)
    return None if otype is None or otype.type_id != type_id else emu.store.state(otype)


async def snapshot_status(request: web.Request) -> web.Response:
    status_id = request.match_info["statusId"]
    status = _emu(request).journal.snapshots.get(status_id)
    if status is None:
        raise ApiError(404, f"Snapshot status {status_id} not found", "OBJECT_NOT_FOUND",
                       context={"statusId": [status_id]})
    return json_response(status)


# -- control -----------------------------------------------------------------------------------

async def control_state(emu: Emulator, request: web.Request) -> dict:
    return emu.journal.state()


async def control_configure(emu: Emulator, request: web.Request) -> dict:
    """`{"appScopes": [...] | null}`: the scopes the app may be granted (null: every one)."""
    body = await json_body(request)
    if "appScopes" in body:
        emu.app_client.scopes = scope_set(body["appScopes"])
    scopes = emu.app_client.scopes
    return {**emu.journal.state(), "appScopes": None if scopes is None else sorted(scopes),
            "app": emu.app_client.state()}


def add_routes(app: web.Application) -> None:
    app[_FILE_KEY] = uuid.uuid4().bytes + uuid.uuid4().bytes
    read = Access("journal")
    for family in (JOURNAL_LOCAL, JOURNAL_GLOBAL):
        serve(app, "GET", family, "/earliest", earliest, read)
        serve(app, "GET", family, "/latest", latest, read)
        serve(app, "GET", family, "/offset/{offset}/next", offset_next, read)
        serve(app, "GET", family, "/batch/earliest/{count}", batch_earliest, read)
        serve(app, "GET", family, "/batch/latest/{count}", batch_latest, read)
        serve(app, "GET", family, "/batch/{offset}/next/{count}", batch_next, read)
        serve(app, "POST", family, "/batch/read", batch_read, read)
        serve(app, "GET", family, "/status/{statusId}", snapshot_status,
              Access("journal_snapshots"))
    subs_read, subs_write = Access("journal_subscriptions"), Access("journal_subscriptions",
                                                                    write=True)
    serve(app, "GET", JOURNAL_SUBSCRIPTIONS, "", list_subscriptions, subs_read)
    serve(app, "POST", JOURNAL_SUBSCRIPTIONS, "", upsert_subscription, subs_write)
    serve(app, "GET", JOURNAL_SUBSCRIPTIONS, "/{subscriptionId}", get_subscription, subs_read)
    serve(app, "DELETE", JOURNAL_SUBSCRIPTIONS, "/{subscriptionId}", delete_subscription,
          subs_write)
    serve(app, "DELETE", JOURNAL_SUBSCRIPTIONS, "/portals/{portalId}",
          delete_portal_subscriptions, subs_write)
    serve(app, "POST", JOURNAL_SNAPSHOTS, "/crm", create_snapshots,
          Access("journal_snapshots", write=True))
    serve(app, "GET", JOURNAL_SNAPSHOTS, "/crm/status/{statusId}", snapshot_status,
          Access("journal_snapshots"))
    serve(app, "GET", FILES, "/{token}", journal_file, Access("public"))
    app.router.add_get("/_emulator/journal", control_handler(control_state))
    app.router.add_post("/_emulator/journal", control_handler(control_configure))

