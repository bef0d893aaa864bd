"""How requests authenticate: a private app's static token, or OAuth.

OAuth (apps installed by many portals): HubSpot's access tokens live 30 minutes and are
obtained from a refresh token at the token endpoint (`paths.oauth_token()`: the dated
`/oauth/2026-03/token`, or `/oauth/v1/token` on legacy paths; form-encoded
`grant_type=refresh_token`). An access token is refreshed shortly before its `expires_in`
runs out, and once when HubSpot answers 401 `EXPIRED_AUTHENTICATION` (clocks drift).

One refresh serves everyone: threads share this object (a lock), processes share the
grant through a `GrantStore` (the database, locked while one of them refreshes), so a
portal's sync processes do not each burn a refresh. A refresh token HubSpot rotates is kept
there too (encrypted; never logged). A refresh token HubSpot rejects (a 4xx) is fatal; a 5xx
from the token endpoint, a dropped answer or a malformed one (no access token, an
`expires_in` that is not a positive number) is retried like any request, then fatal.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

import httpx
import orjson

from ingestion.base.redact import register_secret
from ingestion.base.results import Grant

from .errors import (
    HubSpotAPIError,
    HubSpotDailyLimitError,
    HubSpotMalformedReplyError,
    HubSpotRefreshTokenError,
    HubSpotTransportError,
    error_for_response,
)


class GrantStore(Protocol):
    def share(self, refresh_token: str, stale_access: str | None,
              exchange: Callable[[str], Grant]) -> Grant:
        """Under a lock every process respects: the stored grant if it is fresh and not
        `stale_access`, else `exchange(current refresh token)`, stored and returned."""


class StaticToken:
    """A private app's token: nothing to refresh."""

    def __init__(self, token: str):
        if not token:
            raise ValueError("a HubSpot access token is required")
        register_secret(token)
        self._header = f"Bearer {token}"

    def header(self) -> str:
        return self._header

    def renew(self, header_used: str) -> bool:
        return False  # a static token that expired cannot be renewed here


class OAuthTokens:
    def __init__(self, http: httpx.Client, token_path: str, client_id: str,
                 client_secret: str, refresh_token: str, *, store: GrantStore | None = None,
                 clock: Callable[[], float] = time.time):
        for secret in (client_secret, refresh_token):
            register_secret(secret)
        self._http, self._path, self._clock = http, token_path, clock
        self._client = {"client_id": client_id, "client_secret": client_secret}
        self._refresh_token = refresh_token
        self._store = store
        self._grant: Grant | None = None
        self._lock = threading.Lock()
        self.refreshes = 0  # exchanges this process made (tests, --debug)

    def header(self) -> str:
        with self._lock:
            grant = self._grant
            if grant is None or grant.due(self._clock()):
                grant = self._renew(grant.access_token if grant else None)
            return f"Bearer {grant.access_token}"

    def renew(self, header_used: str) -> bool:
        """HubSpot said the token in `header_used` expired: renew it, unless another thread
        already did. True: there is a new token to retry with."""
        with self._lock:
            if self._grant is None or header_used == f"Bearer {self._grant.access_token}":
                self._renew(self._grant.access_token if self._grant else None)
            return True

    def _renew(self, stale_access: str | None) -> Grant:
        if self._store is None:
            grant = self._exchange(self._refresh_token)
        else:
            grant = self._store.share(self._refresh_token, stale_access, self._exchange)
        register_secret(grant.access_token)
        register_secret(grant.refresh_token)
        self._grant = grant
        return grant

    def _exchange(self, refresh_token: str) -> Grant:
        """One refresh at HubSpot's token endpoint. Not retried here: it runs inside the
        client's request (header()), whose one retry policy retries what errors.py calls
        retriable (a 5xx, a dropped answer, a malformed reply) and nothing else."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **self._client}
        try:
            response = self._http.post(self._path, data=form)
        except httpx.TransportError as error:
            raise HubSpotTransportError(f"{type(error).__name__} on POST {self._path}") from None
        self.refreshes += 1
        return self._grant_from(response, refresh_token)

    def _grant_from(self, response: httpx.Response, refresh_token: str) -> Grant:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        fields = body if isinstance(body, dict) else {}
        if response.status_code != 200:
            raise _refused(response, body, fields)
        access = fields.get("access_token") or fields.get("accessToken")
        if not isinstance(access, str) or not access:
            raise HubSpotMalformedReplyError(
                f"malformed reply to POST {self._path}: no access_token")
        lifetime = self._lifetime(fields)
        rotated = fields.get("refresh_token") or fields.get("refreshToken") or refresh_token
        return Grant(access, str(rotated), self._clock() + lifetime, lifetime)

    def _lifetime(self, fields: dict) -> float:
        """`expires_in` in seconds (1800 when absent). A value that is not a positive
        finite number would be a traceback (text) or a refresh before every request
        (negative, zero): the reply is malformed, retried like one."""
        value = next((fields[k] for k in ("expires_in", "expiresIn") if k in fields), 1800)
        try:  # a number, or its digits as text
            seconds = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            seconds = math.nan
        if not 0 < seconds < math.inf:
            raise HubSpotMalformedReplyError(
                f"malformed reply to POST {self._path}: expires_in is {_short(value)}, not a "
                "positive number of seconds")
        return seconds


def _refused(response: httpx.Response, body: object, fields: dict) -> HubSpotAPIError:
    """The token endpoint's error answer. A 5xx, 429, 423 or 477 is HubSpot's trouble, not
    the refresh token's: mapped like any other answer (errors.py; retried). Any other 4xx
    (400 BAD_REFRESH_TOKEN, invalid_grant …) is the refresh token refused: fatal."""
    error = error_for_response(response.status_code, body, None)
    if error.retriable or isinstance(error, HubSpotDailyLimitError):
        return error
    reason = str(fields.get("message") or fields.get("status")
                 or f"HTTP {response.status_code}")
    return HubSpotRefreshTokenError(
        f"HubSpot rejected the OAuth refresh token ({reason}): check HUBSPOT_CLIENT_ID, "
        "HUBSPOT_CLIENT_SECRET and HUBSPOT_REFRESH_TOKEN, or reinstall the app to get a new "
        "refresh token", status=response.status_code)


def _short(value: object) -> str:
    return repr(value)[:40]
