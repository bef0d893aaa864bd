"""Which HubSpot account (portal, "Hub ID") this mirror holds, so that webhook events of any
other portal are never applied.

An app installed in several portals (production and a sandbox, or customers' accounts) gets
every installation's events at its one target URL, each naming its `portalId`. Applying
another portal's event here would re-read or, worse, purge (a privacy deletion) the local
record that happens to share its id. The mirror's portal is HUBSPOT_PORTAL_ID when set, else
what HubSpot says the token's account is (`GET /account-info/{v}/details`, `portalId`; the
only scope it needs is `oauth`, which every app has), asked once per client (one request per
apply run that has events to apply).
"""

from __future__ import annotations

import threading
import weakref
from typing import Annotated, Any

import msgspec
from django.conf import settings

from .client import HubSpotClient

_learnt: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # client → portal id
_lock = threading.Lock()


class AccountDetails(msgspec.Struct):
    """`GET /account-info/{v}/details`: only `portalId` is read."""

    portal_id: Annotated[int, msgspec.Meta(ge=1)] = msgspec.field(name="portalId")

    @property
    def results(self) -> list[Any]:  # replies.decode repairs text in `results`: none here
        return []


def configured_portal() -> int | None:
    return settings.HUBSPOT_PORTAL_ID


def mirrored_portal(client: HubSpotClient) -> int:
    """HUBSPOT_PORTAL_ID, else the token's account as HubSpot names it (asked once per
    client). Raises HubSpotError when HubSpot cannot say."""
    configured = configured_portal()
    if configured is not None:
        return configured
    with _lock:
        if client not in _learnt:
            path = client.paths.account_details()
            _learnt[client] = client.request("GET", path, shape=AccountDetails).portal_id
        return _learnt[client]


def other_portal(event_portal: int | None, mirrored: int) -> str:
    """Why an event is not applied here ("" when it is this mirror's portal's). An event
    without a portal id cannot be shown to be ours: it is not applied either."""
    if event_portal == mirrored:
        return ""
    named = "no portal" if event_portal is None else f"portal {event_portal}"
    return f"ignored: {named}, not the mirrored portal {mirrored} (HUBSPOT_PORTAL_ID)"
