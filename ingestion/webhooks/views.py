"""The receiver HubSpot POSTs its app webhooks to.

    POST /hubspot/webhooks/

Register that URL (https://<your host>/hubspot/webhooks/) as the app's webhook target URL in
HubSpot. Settings: HUBSPOT_WEBHOOK_SECRET (the app's client secret, which signs the requests;
default HUBSPOT_CLIENT_SECRET), HUBSPOT_WEBHOOK_URL (the URL as registered, when a proxy
changes the scheme, host or path this process sees), HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT (enqueue
the Celery task `ingestion.apply_hubspot_events` after each delivery, from a background
thread: enqueue.py; default off: run `manage.py apply_hubspot_events` from cron or Celery
beat instead), HUBSPOT_PORTAL_ID (events of other portals are recorded, never applied).
With several portals (one app installed in each), each event is stored in the scope of the
registered portal its `portalId` names, the others in the implicit portal's as before
(event_store.by_portal), and the apply task is sent for each portal that got events.

Answers: 200 once the events are stored (nothing else is done in the request: no HubSpot call
and no wait on the broker, so HubSpot never times out and retries), with `{"stored": n,
"skipped": n}` (skipped: events that could not be stored, each recorded or logged by its
eventId: sync/hubspot/event_store.py); 401 with nothing stored for a missing or wrong
signature or a timestamp more than 5 minutes away; 400 for a body that is not a JSON array;
405 for another method; 503 when no secret is configured; 500 if the database fails as a
whole (HubSpot retries a 5xx, not a 4xx: one event the database refuses does not make a
500). Events are applied later by `ingestion.sync.hubspot.events`.
"""

from __future__ import annotations

import json
import logging
import time

import orjson
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ingestion.sync.hubspot.accounts import in_portal
from ingestion.sync.hubspot.event_store import Stored, by_portal, store_events

from .enqueue import apply_requests
from .signature import check_v3

log = logging.getLogger("ingestion.webhooks")


@csrf_exempt  # HubSpot cannot send a CSRF token; the signature authenticates the request
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    secret = settings.HUBSPOT_WEBHOOK_SECRET
    if not secret:
        log.error("webhook refused: HUBSPOT_WEBHOOK_SECRET (or HUBSPOT_CLIENT_SECRET) is not "
                  "set, so HubSpot's signature cannot be checked")
        return JsonResponse({"error": "webhook secret not configured"}, status=503)
    body = request.body
    refused = check_v3(secret, request.method, signed_url(request), body,
                       signature=request.headers.get("X-HubSpot-Signature-v3"),
                       timestamp=request.headers.get("X-HubSpot-Request-Timestamp"),
                       now_ms=time.time_ns() // 1_000_000)
    if refused:
        log.warning("webhook refused (401): %s", refused)
        return JsonResponse({"error": "invalid signature"}, status=401)
    events = parsed(body)
    if not isinstance(events, list):
        return JsonResponse({"error": "expected a JSON array of events"}, status=400)
    result = stored_by_portal(events)
    return JsonResponse({"stored": result.stored, "skipped": result.skipped})


def stored_by_portal(events: list) -> Stored:
    """Each event stored in its portal's scope; the apply task asked for each portal that
    got events to apply."""
    result, received_at = Stored(), timezone.now()
    for name, group in by_portal(events).items():
        with in_portal(name) as portal:
            part = store_events(group, received_at, mirrored=portal.portal_id)
        result.stored, result.skipped = result.stored + part.stored, result.skipped + part.skipped
        if part.stored and settings.HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT:
            transaction.on_commit(lambda name=name: apply_requests.request(name))
    return result


def parsed(body: bytes) -> object:
    """The body's JSON, or None. A lone UTF-16 surrogate escape (`"\\ud800"`: valid JSON,
    refused by orjson) in one event must not refuse the whole delivery with a 400, which
    HubSpot does not retry: such a body is parsed again by the standard library, and
    event_store.py repairs or records that event."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:  # not UTF-8, or not JSON
        return None


def signed_url(request: HttpRequest) -> str:
    """The URL HubSpot called, as it signed it: the registered one when configured (behind a
    proxy this process may see another scheme, host or path), else the one this request
    reached (its host checked against ALLOWED_HOSTS)."""
    return settings.HUBSPOT_WEBHOOK_URL or request.build_absolute_uri()
