"""OAuth refresh grant, access-token expiry, rotation, revocation and counters; 403 for a
missing scope (docs/hubspot-api.md#authentication, #oauth)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from hubspot_emulator.testing import start_emulator

from .conftest import CONTACT

TOKEN_PATHS = ["/oauth/v1/token", "/oauth/2026-03/token", "/oauth/2026-09/token"]
APP = {"client_id": "client-1", "client_secret": "secret-1", "refresh_token": "na1-refresh-1"}
CONTACTS = "/crm/objects/2026-09/contacts"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SCOPES_MESSAGE = ("This app hasn't been granted all required scopes to make this call. Read more "
                  "about required scopes here: https://developers.hubspot.com/scopes.")


def refresh(emulator, path: str = TOKEN_PATHS[0], **overrides) -> httpx.Response:
    form = {"grant_type": "refresh_token", **APP, **overrides}
    return httpx.post(f"{emulator.url}{path}", data=form)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def get(emulator, path: str, token: str, **params) -> httpx.Response:
    return httpx.get(f"{emulator.url}{path}", headers=bearer(token), params=params)


def assert_bad_refresh_token(response: httpx.Response) -> None:
    assert response.status_code == 400
    assert response.json() == {"status": "BAD_REFRESH_TOKEN",
                               "message": "missing or unknown refresh token",
                               "correlationId": response.headers["X-HubSpot-Correlation-Id"]}


def assert_missing_scopes(response: httpx.Response, scopes: list[str]) -> None:
    assert response.status_code == 403
    assert response.json() == {
        "status": "error", "message": SCOPES_MESSAGE,
        "correlationId": response.headers["X-HubSpot-Correlation-Id"],
        "errors": [{"message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": scopes}}],
        "links": {"scopes": "https://developers.hubspot.com/scopes"},
        "category": "MISSING_SCOPES"}


# -- refresh grant -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", TOKEN_PATHS)
def test_refresh_when_valid_form_then_bearer_token_that_opens_legacy_and_dated_paths(emulator,
                                                                                  path):
    emulator.control.configure_oauth(**APP)
    response = refresh(emulator, path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    body = response.json()
    assert set(body) == {"token_type", "refresh_token", "access_token", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 1800
    assert body["refresh_token"] == APP["refresh_token"]  # no rotation by default
    token = body["access_token"]
    assert token != emulator.token and len(token) <= 300  # HubSpot: allow up to 300 chars
    assert get(emulator, CONTACTS, token).status_code == 200
    assert get(emulator, "/crm/v3/objects/contacts", token).status_code == 200
    assert get(emulator, "/crm/v3/objects/contacts", emulator.token).status_code == 200
    second = refresh(emulator, path).json()["access_token"]
    assert second != token and get(emulator, CONTACTS, token).status_code == 200


@pytest.mark.parametrize("path", TOKEN_PATHS)
@pytest.mark.parametrize("override", [{"client_id": "other"}, {"client_secret": "wrong"},
                                      {"refresh_token": "na1-unknown"}, {"refresh_token": ""}])
def test_refresh_when_bad_client_or_refresh_token_then_400_bad_refresh_token(emulator, path,
                                                                            override):
    emulator.control.configure_oauth(**APP)
    assert_bad_refresh_token(refresh(emulator, path, **override))


def test_refresh_when_no_app_configured_or_not_a_form_then_400(emulator):
    assert_bad_refresh_token(refresh(emulator))
    emulator.control.configure_oauth(**APP)
    as_json = httpx.post(f"{emulator.url}/oauth/2026-03/token",
                         json={"grant_type": "refresh_token", **APP})
    other = refresh(emulator, grant_type="authorization_code")
    for response in (as_json, other):  # a JSON body is not read: no grant_type at all
        assert response.status_code == 400
        assert response.json() == {"status": "BAD_GRANT_TYPE",
                                   "message": "missing or unknown grant_type",
                                   "correlationId": response.headers["X-HubSpot-Correlation-Id"]}
    assert emulator.control.stats()["oauth_refresh_failures"] == 3


def test_token_endpoint_when_called_then_no_bearer_needed_faults_apply_rate_limit_does_not(
        emulator):
    emulator.control.configure_oauth(**APP)
    emulator.control.set_rate_limit("starter", daily_limit=1)
    assert httpx.get(f"{emulator.url}{CONTACTS}", headers=bearer(emulator.token)
                     ).status_code == 200
    assert httpx.get(f"{emulator.url}{CONTACTS}", headers=bearer(emulator.token)
                     ).status_code == 429
    assert refresh(emulator).status_code == 200  # not an API call for the daily quota
    emulator.control.set_faults(script=[{"kind": "503"}], match={"path_prefix": "/oauth/"})
    assert refresh(emulator).status_code == 503
    assert refresh(emulator).status_code == 200


def test_counters_when_refreshes_succeed_and_fail_then_counted_exactly(emulator):
    emulator.control.configure_oauth(**APP)
    for path in TOKEN_PATHS:
        assert refresh(emulator, path).status_code == 200
    assert refresh(emulator, client_secret="x").status_code == 400
    stats = emulator.control.stats()
    assert stats["oauth_refreshes"] == 3 and stats["oauth_refresh_failures"] == 1
    assert stats["by_path"]["/oauth/2026-03/token"] == 1
    emulator.control.reset(contacts=40)
    stats = emulator.control.stats()
    assert stats["oauth_refreshes"] == 0 and stats["oauth_refresh_failures"] == 0


# -- expiry ------------------------------------------------------------------------------------

def test_access_token_when_lifetime_passed_then_401_expired_authentication_body(emulator):
    emulator.control.configure_oauth(**APP, access_token_lifetime_s=1)
    body = refresh(emulator, "/oauth/2026-03/token").json()
    assert body["expires_in"] == 1
    token = body["access_token"]
    assert get(emulator, CONTACTS, token).status_code == 200
    time.sleep(1.3)
    response = get(emulator, CONTACTS, token)
    assert response.status_code == 401
    assert response.headers["X-HubSpot-Auth-Failure"] == "401 Unauthorized"
    out = response.json()
    assert set(out) == {"status", "message", "correlationId", "category", "context"}
    assert out["status"] == "error" and out["category"] == "EXPIRED_AUTHENTICATION"
    assert re.fullmatch(r"The OAuth token used to make this call expired [01] second\(s\) ago\.",
                        out["message"])
    assert out["correlationId"] == response.headers["X-HubSpot-Correlation-Id"]
    (expired_at,) = out["context"]["expire time"]
    assert ISO_MS.match(expired_at)
    fresh = refresh(emulator).json()["access_token"]
    assert get(emulator, CONTACTS, fresh).status_code == 200
    assert emulator.control.stats()["by_status"]["401"] == 1


def test_expire_access_tokens_when_called_then_every_issued_token_expired(emulator):
    emulator.control.configure_oauth(**APP)
    tokens = [refresh(emulator).json()["access_token"] for _ in range(2)]
    assert emulator.control.expire_access_tokens() == {"expired": 2}
    for token in tokens:
        response = get(emulator, "/crm/v3/owners", token)
        assert response.status_code == 401
        assert response.json()["message"] == \
            "The OAuth token used to make this call expired 0 second(s) ago."
    assert get(emulator, CONTACTS, emulator.token).status_code == 200  # static token unaffected


def test_expire_tokens_fault_when_scripted_then_that_request_401_expired_and_static_unaffected(
        emulator):
    emulator.control.configure_oauth(**APP)
    token = refresh(emulator).json()["access_token"]
    emulator.control.set_faults(script=[{"kind": "pass"}, {"kind": "expire_tokens"}],
                                match={"path_prefix": "/crm/"})
    assert get(emulator, CONTACTS, token).status_code == 200
    expired = get(emulator, CONTACTS, token)
    assert expired.status_code == 401
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert get(emulator, CONTACTS, token).status_code == 401  # stays expired
    fresh = refresh(emulator).json()["access_token"]
    assert get(emulator, CONTACTS, fresh).status_code == 200
    emulator.control.set_faults(script=[{"kind": "expire_tokens"}])
    assert get(emulator, CONTACTS, emulator.token).status_code == 200  # static: real answer
    assert get(emulator, CONTACTS, fresh).status_code == 401
    assert emulator.control.stats()["faults_injected"] == 2


def test_unknown_bearer_when_oauth_configured_then_401_invalid_authentication(emulator):
    emulator.control.configure_oauth(**APP)
    for token in (APP["refresh_token"], APP["client_secret"], "Cnot-issued"):
        response = get(emulator, CONTACTS, token)
        assert response.status_code == 401
        assert response.json()["category"] == "INVALID_AUTHENTICATION"


# -- rotation and revocation -------------------------------------------------------------------

def test_rotation_when_enabled_then_each_refresh_returns_new_token_and_old_one_fails(emulator):
    emulator.control.configure_oauth(**APP, rotate_refresh_token=True)
    first = refresh(emulator, "/oauth/2026-09/token").json()
    assert first["refresh_token"] != APP["refresh_token"]
    assert_bad_refresh_token(refresh(emulator))  # the original one no longer works
    second = refresh(emulator, refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] not in (APP["refresh_token"], first["refresh_token"])
    assert_bad_refresh_token(refresh(emulator, refresh_token=first["refresh_token"]))
    assert emulator.control.oauth_state()["refresh_token"] == second["refresh_token"]
    for body in (first, second):  # access tokens live on until they expire
        assert get(emulator, CONTACTS, body["access_token"]).status_code == 200
    stats = emulator.control.stats()
    assert stats["oauth_refreshes"] == 2 and stats["oauth_refresh_failures"] == 2


def test_revoke_when_via_control_then_refresh_400_and_access_tokens_still_valid(emulator):
    emulator.control.configure_oauth(**APP)
    token = refresh(emulator).json()["access_token"]
    assert emulator.control.revoke_refresh_token() == {"revoked": True}
    for path in TOKEN_PATHS:
        assert_bad_refresh_token(refresh(emulator, path))
    assert get(emulator, CONTACTS, token).status_code == 200  # "will not be affected"
    assert emulator.control.oauth_state()["refresh_token"] is None
    assert emulator.control.stats()["oauth_refresh_failures"] == 3


def test_revoke_when_public_delete_then_204_and_later_refresh_400(emulator):
    emulator.control.configure_oauth(**APP)
    url = f"{emulator.url}/oauth/v1/refresh-tokens/{APP['refresh_token']}"
    response = httpx.delete(url)  # no bearer: the token is the credential
    assert response.status_code == 204 and response.content == b""
    assert_bad_refresh_token(refresh(emulator))
    assert_bad_refresh_token(httpx.delete(url))  # already gone
    by_path = emulator.control.stats()["by_path"]
    assert by_path["/oauth/v1/refresh-tokens/{token}"] == 2  # the token is not kept in stats
    assert not any(APP["refresh_token"] in path for path in by_path)


def test_revoke_when_dated_revoke_endpoint_then_204(emulator):
    emulator.control.configure_oauth(**APP, rotate_refresh_token=True)
    current = refresh(emulator).json()["refresh_token"]
    response = httpx.post(f"{emulator.url}/oauth/2026-03/token/revoke", data={"token": current})
    assert response.status_code == 204
    assert_bad_refresh_token(refresh(emulator, refresh_token=current))


def test_oauth_when_reset_or_disabled_then_tokens_stop_working(emulator):
    emulator.control.configure_oauth(**APP)
    token = refresh(emulator).json()["access_token"]
    emulator.control.disable_oauth()
    assert get(emulator, CONTACTS, token).status_code == 401
    assert emulator.control.oauth_state() == {"configured": False}
    emulator.control.reset(contacts=40, oauth=APP)
    token = refresh(emulator).json()["access_token"]
    assert get(emulator, CONTACTS, token).status_code == 200
    emulator.control.reset(contacts=40)
    assert get(emulator, CONTACTS, token).status_code == 401
    assert_bad_refresh_token(refresh(emulator))


def test_oauth_config_when_invalid_then_control_rejects_it(emulator):
    for bad in ({"client_id": "x"}, {**APP, "scopes": "crm.objects.contacts.read"},
                {**APP, "access_token_lifetime_s": 0}, {**APP, "colour": "red"}):
        response = httpx.post(f"{emulator.url}/_emulator/oauth", json=bad,
                              headers=bearer(emulator.token))
        assert response.status_code == 400
    with pytest.raises(RuntimeError):
        emulator.control.reset(contacts=40, token_scopes="contacts")


def test_constructor_when_oauth_and_scopes_given_then_served():
    with start_emulator(token="pat", contacts=10, oauth={**APP, "scopes": ["tickets"]},
                        token_scopes=["crm.objects.owners.read"]) as running:
        token = refresh(running).json()["access_token"]
        assert get(running, "/crm/v3/objects/tickets", token).status_code == 200
        assert get(running, "/crm/v3/objects/contacts", token).status_code == 403
        assert get(running, "/crm/v3/owners", "pat").status_code == 200
        assert get(running, "/crm/v3/objects/contacts", "pat").status_code == 403


# -- 403 missing scopes ------------------------------------------------------------------------

def test_scopes_when_default_then_every_endpoint_allowed(emulator):
    for path in (CONTACTS, "/crm/owners/2026-09", "/crm-object-schemas/2026-09/schemas",
                 "/crm/properties/2026-09/deals", "/crm/pipelines/2026-09/tickets"):
        assert get(emulator, path, emulator.token).status_code == 200


@pytest.mark.parametrize("path, scopes", [
    (CONTACTS, ["crm.objects.contacts.read"]),
    ("/crm/v3/objects/0-1", ["crm.objects.contacts.read"]),
    ("/crm/v3/objects/companies", ["crm.objects.companies.read"]),
    ("/crm/objects/2026-03/deals", ["crm.objects.deals.read"]),
    ("/crm/objects/2026-09/tickets", ["tickets"]),
    ("/crm/objects/2026-09/line_items", ["crm.objects.line_items.read"]),
    ("/crm/objects/2026-09/calls", ["crm.objects.contacts.read"]),
    ("/crm/objects/2026-09/pets", ["crm.objects.custom.read"]),
    ("/crm/owners/2026-09", ["crm.objects.owners.read"]),
    ("/crm/v3/owners/", ["crm.objects.owners.read"]),
    ("/crm-object-schemas/2026-09/schemas", ["crm.schemas.custom.read"]),
    ("/crm/v3/schemas", ["crm.schemas.custom.read"]),
    ("/crm/properties/2026-09/contacts", ["crm.schemas.contacts.read"]),
    ("/crm/properties/2026-09/contacts/groups", ["crm.schemas.contacts.read"]),
    ("/crm/pipelines/2026-09/deals", ["crm.schemas.deals.read", "crm.objects.deals.read"]),
    ("/crm/associations/2026-09/contacts/companies/labels", ["crm.objects.contacts.read"]),
])
def test_static_token_when_scope_missing_then_403_hubspot_body(emulator, path, scopes):
    emulator.control.set_token_scopes(["content"])
    assert_missing_scopes(get(emulator, path, emulator.token), scopes)
    emulator.control.set_token_scopes([scopes[-1], "crm.objects.companies.read"])
    assert get(emulator, path, emulator.token).status_code == 200


def test_static_token_when_scopes_set_then_writes_need_write_scope(emulator):
    emulator.control.reset(contacts=40, token_scopes=["crm.objects.contacts.read"])
    api = httpx.Client(base_url=emulator.url, headers=bearer(emulator.token))
    assert api.post(f"{CONTACTS}/search", json={}).status_code == 200
    assert api.post(f"{CONTACTS}/batch/read",
                    json={"inputs": [{"id": str(CONTACT + 1)}]}).status_code == 200
    patched = api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "X"}})
    assert_missing_scopes(patched, ["crm.objects.contacts.write"])
    assert api.get(f"{CONTACTS}/{CONTACT + 1}").json()["properties"]["firstname"] != "X"
    created = api.post("/crm-object-schemas/2026-09/schemas", json={"name": "boats"})
    assert_missing_scopes(created, ["crm.schemas.custom.write"])
    assert emulator.control.set_token_scopes(None) == {"scopes": None}
    assert api.patch(f"{CONTACTS}/{CONTACT + 1}",
                     json={"properties": {"firstname": "X"}}).status_code == 200


def test_associations_when_one_side_scope_missing_then_403_names_that_side(emulator):
    emulator.control.set_token_scopes(["crm.objects.contacts.read"])
    api = httpx.Client(base_url=emulator.url, headers=bearer(emulator.token))
    response = api.post("/crm/associations/2026-09/contacts/companies/batch/read",
                        json={"inputs": [{"id": str(CONTACT + 1)}]})
    assert_missing_scopes(response, ["crm.objects.companies.read"])
    v4 = api.get(f"/crm/v4/objects/contacts/{CONTACT + 1}/associations/companies")
    assert_missing_scopes(v4, ["crm.objects.companies.read"])
    emulator.control.set_token_scopes(["crm.objects.contacts.read",
                                       "crm.objects.companies.read"])
    assert api.post("/crm/associations/2026-09/contacts/companies/batch/read",
                    json={"inputs": [{"id": str(CONTACT + 1)}]}).status_code == 200


def test_oauth_token_when_app_scopes_lack_one_then_403_and_static_token_unaffected(emulator):
    emulator.control.configure_oauth(**APP, scopes=["crm.objects.contacts.read",
                                                    "crm.schemas.contacts.read"])
    token = refresh(emulator, "/oauth/2026-03/token").json()["access_token"]
    assert get(emulator, CONTACTS, token).status_code == 200
    assert get(emulator, "/crm/properties/2026-09/contacts", token).status_code == 200
    assert_missing_scopes(get(emulator, "/crm/owners/2026-09", token),
                          ["crm.objects.owners.read"])
    assert_missing_scopes(get(emulator, "/crm/objects/2026-09/deals", token),
                          ["crm.objects.deals.read"])
    assert get(emulator, "/crm/owners/2026-09", emulator.token).status_code == 200


def test_scopes_when_checked_then_after_auth_before_faults_and_rate_limits(emulator):
    emulator.control.set_token_scopes([])
    emulator.control.set_faults(script=[{"kind": "500"}])
    assert httpx.get(f"{emulator.url}{CONTACTS}").status_code == 401
    assert get(emulator, CONTACTS, emulator.token).status_code == 403
    assert get(emulator, "/crm/objects/2026-09/no_such_type", emulator.token).status_code == 500
    assert get(emulator, "/crm/objects/2026-09/no_such_type", emulator.token).status_code == 400
    assert get(emulator, "/crm/objects/2025-01/contacts", emulator.token).status_code == 404
