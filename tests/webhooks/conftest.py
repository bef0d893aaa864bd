"""Webhook tests: a secret in the settings and a signed POST to the receiver."""

from __future__ import annotations

import orjson
import pytest

from webhooks.signing import PATH, SECRET, now_ms, sign


@pytest.fixture
def secret(settings) -> str:
    settings.HUBSPOT_WEBHOOK_SECRET = SECRET
    settings.HUBSPOT_WEBHOOK_URL = ""
    settings.HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT = False
    return SECRET


@pytest.fixture
def post_events(client, secret):
    """POST a body (events, or raw bytes) to the receiver through Django's test client,
    signed for the URL it reaches (http://testserver/hubspot/webhooks/) unless told."""

    def post(payload, *, signature: str | None = None, timestamp: str | None = None,
             uri: str = f"http://testserver{PATH}", key: str = SECRET, path: str = PATH):
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        timestamp = timestamp or str(now_ms())
        headers = {"X-HubSpot-Request-Timestamp": timestamp,
                   "X-HubSpot-Signature-v3": signature or sign(key, "POST", uri, body,
                                                               timestamp)}
        return client.post(path, data=body, content_type="application/json", headers=headers)

    return post
