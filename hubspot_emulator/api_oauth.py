"""HubSpot's OAuth token endpoints for the emulated app (`auth.OAuthApp`).

- `POST /oauth/v1/token` (deprecated 2027-02-16) and `POST /oauth/{2026-03,2026-09}/token`
  (docs/hubspot-api.md#oauth): form-urlencoded `grant_type=refresh_token&client_id&client_secret&
  refresh_token` → 200 `{"token_type":"bearer","refresh_token","access_token","expires_in"}`;
  a bad client or refresh token → 400 `{"status":"BAD_REFRESH_TOKEN","message":"missing or
  unknown refresh token","correlationId"}` on both (v1 style); another grant type → 400
  `BAD_GRANT_TYPE` (*choice*).
- `DELETE /oauth/v1/refresh-tokens/{token}` → 204, and `POST /oauth/{version}/token/revoke`
  (form `token`) → 204 (*choice*: its answer is not documented here): the refresh token stops
  working, issued access tokens stay valid until they expire. An unknown token → 400
  `BAD_REFRESH_TOKEN` (*choice*).

- The same `POST /oauth/v1/token` (and, *choice*, the dated ones) with form
  `grant_type=client_credentials&client_id&client_secret[&scope]` is the client-credentials
  grant of docs/hubspot-api.md#webhooks-journal (`auth.AppClient`): 200
  `{"token_type":"bearer","access_token","expires_in":1800,"scope"}` (no refresh token; `scope`
  the granted scopes, space-separated: those asked for, or all the app's when none are); an
  unknown client id → 400 `BAD_CLIENT_ID`, a wrong secret → 400 `BAD_CLIENT_SECRET`, a scope
  the app lacks → 400 `BAD_SCOPE` naming it (*choice*, v1-style bodies). The token opens the
  `/webhooks-journal/*` routes only.

No bearer token is needed (the request carries the app's credentials); they are not counted
by the rate limiter; faults apply as to any path.
"""

from __future__ import annotations

from aiohttp import web

from .auth import JOURNAL_SCOPES, OAuthError, bad_refresh_token, every_scope
from .handling import CID, EMU, json_response
from .routes import OAUTH, OAUTH_DATED, OAUTH_V1, Access, serve
from .state import Emulator


def _refused(emu: Emulator, request: web.Request, err: OAuthError) -> web.Response:
    emu.stats.oauth_refresh_failures += 1
    return json_response(err.body(request[CID]), 400)


async def token(request: web.Request) -> web.Response:
    emu: Emulator = request.app[EMU]
    form = await request.post()  # empty unless the body is a form
    if form.get("grant_type") == "client_credentials":
        return _client_credentials(emu, request, form)
    try:
        if emu.oauth is None:
            raise bad_refresh_token()
        answer = emu.oauth.refresh(form)
    except OAuthError as err:
        return _refused(emu, request, err)
    emu.stats.oauth_refreshes += 1
    return json_response(answer)


def _client_credentials(emu: Emulator, request: web.Request, form) -> web.Response:
    known = frozenset(JOURNAL_SCOPES) | every_scope(emu.store.registry.types)
    try:
        answer = emu.app_client.grant(form, emu.oauth, known)
    except OAuthError as err:
        emu.stats.app_token_failures += 1
        return json_response(err.body(request[CID]), 400)
    emu.stats.app_token_grants += 1
    return json_response(answer)


async def _revoke(request: web.Request, refresh_token: str) -> web.Response:
    emu: Emulator = request.app[EMU]
    if emu.oauth is None or not emu.oauth.revoke(refresh_token):
        return json_response(bad_refresh_token().body(request[CID]), 400)
    return web.Response(status=204)


async def delete_refresh_token(request: web.Request) -> web.Response:
    return await _revoke(request, request.match_info["token"])


async def revoke_token(request: web.Request) -> web.Response:
    form = await request.post()
    return await _revoke(request, str(form.get("token", "")))


def add_routes(app: web.Application) -> None:
    public = Access("public")
    serve(app, "POST", OAUTH, "/token", token, public)
    serve(app, "DELETE", OAUTH_V1, "/refresh-tokens/{token}", delete_refresh_token, public)
    serve(app, "POST", OAUTH_DATED, "/token/revoke", revoke_token, public)
