"""How requests authenticate: a private app's static token, OAuth, or an app's own token by
the client-credentials grant (the webhooks journal; `ClientCredentialsTokens`).

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

The client-credentials grant has no refresh token: the same exchange is made again with the
app's id, secret and scopes, and shared alike (its row keyed apart from the OAuth grant of
the same app). Refused credentials (400 BAD_CLIENT_ID / BAD_CLIENT_SECRET) are fatal, naming
the settings; a scope the app was not given (400 BAD_SCOPE) is a 403's error naming it.
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
    HubSpotClientCredentialsError,
    HubSpotDailyLimitError,
    HubSpotForbiddenError,
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


class _ExchangedTokens:
    """What both grants share: a token obtained at the token endpoint, renewed shortly
    before it expires and once when HubSpot says it expired, one renewal for every thread
    (a lock) and, through `store`, for every process. `_origin`: what the stored grant was
    obtained from (a changed one drops it); `_exchange(origin)`: one request for a token."""

    _origin: str

    def __init__(self, http: httpx.Client, token_path: str, client_id: str,
                 client_secret: str, *, store: GrantStore | None, clock: Callable[[], float]):
        register_secret(client_secret)
        self._http, self._path, self._clock = http, token_path, clock
        self._client = {"client_id": client_id, "client_secret": client_secret}
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
            grant = self._exchange(self._origin)
        else:
            grant = self._store.share(self._origin, stale_access, self._exchange)
        register_secret(grant.access_token)
        register_secret(grant.refresh_token)
        self._grant = grant
        return grant

    def _exchange(self, origin: str) -> Grant:
        raise NotImplementedError

    def _post(self, form: dict) -> httpx.Response:
        """One request to the token endpoint. Not retried here: it runs inside the client's
        request (header()), whose one retry policy retries what errors.py calls retriable
        (a 5xx, a dropped answer, a malformed reply) and nothing else."""
        try:
            response = self._http.post(self._path, data={**form, **self._client})
        except httpx.TransportError as error:
            raise HubSpotTransportError(f"{type(error).__name__} on POST {self._path}") from None
        self.refreshes += 1
        return response

    def _grant_from(self, response: httpx.Response, refresh_token: str,
                    refused: Callable[[httpx.Response, dict], HubSpotAPIError]) -> Grant:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        fields = body if isinstance(body, dict) else {}
        if response.status_code != 200:
            error = error_for_response(response.status_code, body, None)
            # A 5xx, 429, 423 or 477 is HubSpot's trouble, not the credentials': mapped like
            # any other answer (errors.py; retried). Any other 4xx is the grant refused.
            if error.retriable or isinstance(error, HubSpotDailyLimitError):
                raise error
            raise refused(response, fields)
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


class OAuthTokens(_ExchangedTokens):
    """An OAuth app's user token, from its refresh token (`grant_type=refresh_token`)."""

    def __init__(self, http: httpx.Client, token_path: str, client_id: str,
                 client_secret: str, refresh_token: str, *, store: GrantStore | None = None,
                 clock: Callable[[], float] = time.time):
        register_secret(refresh_token)
        super().__init__(http, token_path, client_id, client_secret, store=store, clock=clock)
        self._origin = refresh_token

    def _exchange(self, refresh_token: str) -> Grant:
        response = self._post({"grant_type": "refresh_token", "refresh_token": refresh_token})
        return self._grant_from(response, refresh_token, _refresh_token_refused)


class ClientCredentialsTokens(_ExchangedTokens):
    """An app's own token (the webhooks journal's): `grant_type=client_credentials` with the
    app's client id and secret and the scopes asked (space-separated), no refresh token
    (docs/hubspot-api.md#webhooks-journal). The stored grant is keyed by the scopes asked,
    so a run asking others gets its own token; sealed with the client secret, so a changed
    secret cannot read it and asks again."""

    def __init__(self, http: httpx.Client, token_path: str, client_id: str,
                 client_secret: str, scopes: tuple[str, ...], *,
                 store: GrantStore | None = None, clock: Callable[[], float] = time.time):
        super().__init__(http, token_path, client_id, client_secret, store=store, clock=clock)
        self.scopes = tuple(scopes)
        self._origin = "client_credentials " + " ".join(self.scopes)

    def _exchange(self, origin: str) -> Grant:
        form = {"grant_type": "client_credentials"}
        if self.scopes:  # none asked: every scope the app has
            form["scope"] = " ".join(self.scopes)
        return self._grant_from(self._post(form), "", self._refused)

    def _refused(self, response: httpx.Response, fields: dict) -> HubSpotAPIError:
        """HubSpot quirk: the token endpoint's errors name their reason in `status`
        (BAD_CLIENT_ID, BAD_CLIENT_SECRET, BAD_SCOPE), not `category`. A scope the app was
        not given is the app's scopes to fix (a 403's path: that job alone), anything else
        the credentials (fatal)."""
        reason = str(fields.get("status") or fields.get("category") or "")
        message = str(fields.get("message") or f"HTTP {response.status_code}")
        if "SCOPE" in reason.upper():
            missing = tuple(s for s in self.scopes if s in message) or self.scopes
            error = HubSpotForbiddenError(
                f"the app was not granted the scope(s) {', '.join(missing)} ({message})",
                status=response.status_code, category=reason)
            error.missing_scopes = missing
            return error
        return HubSpotClientCredentialsError(
            f"HubSpot refused the app's client credentials ({reason or message}): check "
            "HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET (the app's Auth settings on HubSpot's "
            "developer platform)", status=response.status_code)


def _refresh_token_refused(response: httpx.Response, fields: dict) -> HubSpotAPIError:
    """The refresh token refused (400 BAD_REFRESH_TOKEN, invalid_grant …): fatal."""
    reason = str(fields.get("message") or fields.get("status")
                 or f"HTTP {response.status_code}")
    return HubSpotRefreshTokenError(
        f"HubSpot rejected the OAuth refresh token ({reason}): check HUBSPOT_CLIENT_ID, "
        "HUBSPOT_CLIENT_SECRET and HUBSPOT_REFRESH_TOKEN, or reinstall the app to get a new "
        "refresh token", status=response.status_code)


def _short(value: object) -> str:
    return repr(value)[:40]
