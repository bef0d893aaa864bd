"""How requests authenticate: a private app's static token, or OAuth.

OAuth (apps installed by many portals): HubSpot's access tokens live 30 minutes and are
obtained from a refresh token at the token endpoint (`paths.oauth_token()`: the dated
`/oauth/2026-03/token`, or `/oauth/v1/token` on legacy paths; form-encoded
`grant_type=refresh_token`). An access token is refreshed shortly before its `expires_in`
runs out, and once when HubSpot answers 401 `EXPIRED_AUTHENTICATION` (clocks drift).

One refresh serves everyone: threads share this object (a lock), processes share the
grant through a `GrantStore` (the database, locked while one of them refreshes), so a
portal's sync processes do not each burn a refresh. A refresh token HubSpot rotates is kept
there too (encrypted; never logged). A refresh token HubSpot rejects is fatal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import httpx
import orjson

from ingestion.base.redact import register_secret
from ingestion.base.results import Grant

from .errors import HubSpotRefreshTokenError, HubSpotTransportError

EXCHANGE_ATTEMPTS = 3


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
        """One refresh at HubSpot's token endpoint (retried on 5xx and dropped answers)."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **self._client}
        for attempt in range(1, EXCHANGE_ATTEMPTS + 1):
            try:
                response = self._http.post(self._path, data=form)
            except httpx.TransportError as error:
                if attempt == EXCHANGE_ATTEMPTS:
                    raise HubSpotTransportError(
                        f"{type(error).__name__} on POST {self._path}") from None
                continue
            if response.status_code < 500 or attempt == EXCHANGE_ATTEMPTS:
                break
            time.sleep(0.2 * attempt)
        self.refreshes += 1
        return self._grant_from(response, refresh_token)

    def _grant_from(self, response: httpx.Response, refresh_token: str) -> Grant:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = {}
        body = body if isinstance(body, dict) else {}
        access = body.get("access_token") or body.get("accessToken")
        if response.status_code != 200 or not isinstance(access, str) or not access:
            reason = str(body.get("message") or body.get("status") or f"HTTP "
                                                                      f"{response.status_code}")
            raise HubSpotRefreshTokenError(
                f"HubSpot rejected the OAuth refresh token ({reason}): check "
                "HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET and HUBSPOT_REFRESH_TOKEN, or "
                "reinstall the app to get a new refresh token", status=response.status_code)
        lifetime = body.get("expires_in") or body.get("expiresIn") or 1800
        rotated = body.get("refresh_token") or body.get("refreshToken") or refresh_token
        return Grant(access, str(rotated), self._clock() + float(lifetime), float(lifetime))
