"""HubSpot's request signature v3 (docs/hubspot-api.md#webhooks; HubSpot's request-validation
guide).

    X-HubSpot-Signature-v3     base64(HMAC-SHA256(secret, method + uri + body + timestamp))
    X-HubSpot-Request-Timestamp  epoch milliseconds when HubSpot sent the request

`uri` is the full URL HubSpot called (scheme, host, path, query). HubSpot signs it with some
percent-escapes decoded (the guide's table: `%3A` `%2F` `%3F` `%40` `%21` `%24` `%27` `%28`
`%29` `%2A` `%2C` `%3B`), so the receiver decodes exactly those before hashing, and no others:
`%20` or `%26` stay as they are. The body is hashed as the exact bytes received, never a
re-serialisation of the parsed JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

MAX_SKEW_MS = 5 * 60 * 1000  # older (or further in the future) than this: a replay, refused

# HubSpot's table of escapes it decodes in the URI before signing (any hex case).
_DECODED = {"3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$", "27": "'",
            "28": "(", "29": ")", "2A": "*", "2C": ",", "3B": ";"}
_ESCAPE = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)


def signed_uri(uri: str) -> str:
    """The URI as HubSpot puts it in the signed string."""
    return _ESCAPE.sub(lambda m: _DECODED[m.group(1).upper()], uri)


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.upper().encode() + signed_uri(uri).encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def check_v3(secret: str, method: str, uri: str, body: bytes, *, signature: str | None,
             timestamp: str | None, now_ms: int) -> str | None:
    """Why the request is refused (missing header, stale or future timestamp, wrong
    signature), or None when it is HubSpot's."""
    if not signature or not timestamp:
        return "missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp"
    try:
        sent_ms = int(timestamp)
    except ValueError:
        return "X-HubSpot-Request-Timestamp is not a number"
    if abs(now_ms - sent_ms) > MAX_SKEW_MS:
        return "timestamp more than 5 minutes away from now"
    expected = signature_v3(secret, method, uri, body, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return "signature does not match"
    return None
