"""The webhooks journal's app: the client-credentials grant, app tokens on journal routes only,
403 MISSING_SCOPES, subscriptions, and the command line's client credentials
(docs/hubspot-api.md#webhooks-journal; BEHAVIOR.md "Webhooks journal")."""

from __future__ import annotations

import httpx
import pytest

from hubspot_emulator import PORTAL_ID
from hubspot_emulator.auth import JOURNAL_SCOPES
from hubspot_emulator.testing import spawn_emulator
from hubspot_emulator.timeutil import iso_ms

from .conftest import CONTACT, JOURNAL, SUBSCRIPTIONS, app_token, subscribe

CONTACTS = "/crm/v3/objects/contacts"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def cid(response: httpx.Response) -> str:
    return response.headers["X-HubSpot-Correlation-Id"]


# -- the grant ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/oauth/v1/token", "/oauth/2026-03/token"])
def test_grant_when_good_credentials_then_bearer_token_with_asked_scopes_no_refresh(emulator,
                                                                                    path):
    asked = "developer.webhooks_journal.read developer.webhooks_journal.subscriptions.read"
    response = httpx.post(f"{emulator.url}{path}", data={
        "grant_type": "client_credentials", "client_id": emulator.client_id,
        "client_secret": emulator.client_secret, "scope": asked})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "access_token", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("bearer", 1800, asked)
    got = httpx.get(f"{emulator.url}{JOURNAL}/earliest", headers=bearer(body["access_token"]))
    assert got.status_code == 204  # authenticated; nothing in the journal yet
    assert emulator.control.stats()["app_token_grants"] == 1


def test_grant_when_no_scope_asked_then_every_scope_of_the_app(emulator):
    granted = app_token(emulator).json()["scope"].split()
    assert set(JOURNAL_SCOPES) <= set(granted)
    emulator.control.set_app_scopes(list(JOURNAL_SCOPES[:2]))
    assert app_token(emulator).json()["scope"].split() == sorted(JOURNAL_SCOPES[:2])


def test_grant_when_bad_client_secret_or_scope_then_400_naming_it(emulator):
    unknown = app_token(emulator, client_id="someone-else")
    bad_secret = app_token(emulator, client_secret="wrong")
    bad_scope = app_token(emulator, scope="developer.webhooks_journal.read crm.made.up")
    assert [r.status_code for r in (unknown, bad_secret, bad_scope)] == [400, 400, 400]
    assert unknown.json() == {"status": "BAD_CLIENT_ID", "message": "missing or unknown client_id",
                              "correlationId": cid(unknown)}
    assert bad_secret.json()["status"] == "BAD_CLIENT_SECRET"
    assert bad_scope.json()["status"] == "BAD_SCOPE"
    assert "crm.made.up" in bad_scope.json()["message"]
    assert "developer.webhooks_journal.read" not in bad_scope.json()["message"]
    assert emulator.control.stats()["app_token_failures"] == 3


def test_grant_when_scope_removed_from_app_then_400_and_reset_restores_it(emulator):
    emulator.control.set_app_scopes([JOURNAL_SCOPES[0]])
    assert app_token(emulator, scope=JOURNAL_SCOPES[1]).json()["status"] == "BAD_SCOPE"
    emulator.control.reset(contacts=40)
    assert app_token(emulator, scope=JOURNAL_SCOPES[1]).status_code == 200


def test_grant_when_installed_oauth_app_then_its_client_credentials_work_too(emulator):
    emulator.control.configure_oauth("installed-app", "installed-secret", "na1-refresh")
    response = app_token(emulator, client_id="installed-app", client_secret="installed-secret")
    assert response.status_code == 200
    assert app_token(emulator).status_code == 200  # the server's app credentials still do


# -- which token opens which route --------------------------------------------------------------

def test_app_token_when_used_on_crm_route_then_401_and_crm_tokens_401_on_journal(emulator):
    app = app_token(emulator).json()["access_token"]
    crm = httpx.get(f"{emulator.url}{CONTACTS}", headers=bearer(app))
    static = httpx.get(f"{emulator.url}{JOURNAL}/latest", headers=bearer(emulator.token))
    nothing = httpx.get(f"{emulator.url}{SUBSCRIPTIONS}")
    for response in (crm, static, nothing):
        assert response.status_code == 401
        assert response.json()["category"] == "INVALID_AUTHENTICATION"
    assert httpx.get(f"{emulator.url}{CONTACTS}", headers=bearer(emulator.token)
                     ).status_code == 200


def test_journal_route_when_scope_missing_then_403_naming_missing_scopes(emulator):
    token = app_token(emulator, scope=JOURNAL_SCOPES[0]).json()["access_token"]
    response = httpx.get(f"{emulator.url}{SUBSCRIPTIONS}", headers=bearer(token))
    assert response.status_code == 403
    body = response.json()
    needed = ["developer.webhooks_journal.subscriptions.read"]
    assert body["category"] == "MISSING_SCOPES" and body["status"] == "error"
    assert body["message"].startswith("This app hasn't been granted all required scopes")
    assert body["correlationId"] == cid(response)
    assert body["context"] == {"requiredGranularScopes": needed, "missingScopes": needed}
    write = httpx.post(f"{emulator.url}{SUBSCRIPTIONS}", headers=bearer(token), json={})
    assert write.json()["context"]["missingScopes"] == [
        "developer.webhooks_journal.subscriptions.write"]
    assert httpx.get(f"{emulator.url}{JOURNAL}/earliest", headers=bearer(token)
                     ).status_code == 204


def test_app_token_when_expired_by_fault_then_401_expired_and_a_new_grant_works(emulator):
    token = app_token(emulator).json()["access_token"]
    emulator.control.set_faults(script=[{"kind": "expire_tokens"}],
                                match={"path_prefix": "/webhooks-journal/"})
    expired = httpx.get(f"{emulator.url}{JOURNAL}/earliest", headers=bearer(token))
    assert expired.status_code == 401
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    fresh = app_token(emulator).json()["access_token"]
    assert httpx.get(f"{emulator.url}{JOURNAL}/earliest", headers=bearer(fresh)
                     ).status_code == 204
    emulator.control.clear_faults()


# -- subscriptions ------------------------------------------------------------------------------

def test_subscription_upsert_when_repeated_then_same_id_updated_not_duplicated(journal,
                                                                               emulator):
    emulator.control.set_clock(1_800_000_000_000)
    first = subscribe(journal, properties=["email"])
    emulator.control.set_clock(1_800_000_060_000)
    again = subscribe(journal, properties=["email", "firstname"], actions=["UPDATE"])
    assert again["id"] == first["id"]
    assert again["createdAt"] == first["createdAt"] == iso_ms(1_800_000_000_000)
    assert again["updatedAt"] == iso_ms(1_800_000_060_000)
    assert (again["actions"], again["properties"]) == (["UPDATE"], ["email", "firstname"])
    listed = journal.get(SUBSCRIPTIONS).json()["results"]
    assert listed == [again]
    assert journal.get(f"{SUBSCRIPTIONS}/{again['id']}").json() == again
    assert set(again) == {"id", "appId", "subscriptionType", "portalId", "objectTypeId",
                          "actions", "objectIds", "properties", "createdAt", "updatedAt"}


def test_subscriptions_when_other_types_then_own_fields_only_and_separate_ids(journal):
    obj = subscribe(journal)
    assoc = subscribe(journal, "ASSOCIATION", associatedObjectTypeIds=["0-2"])
    lists = subscribe(journal, "LIST_MEMBERSHIP", None, listIds=[7])
    gdpr = subscribe(journal, "GDPR_PRIVACY_DELETION")
    assert len({obj["id"], assoc["id"], lists["id"], gdpr["id"]}) == 4
    assert "objectTypeId" not in lists and lists["listIds"] == [7]
    assert assoc["associatedObjectTypeIds"] == ["0-2"] and "properties" not in assoc
    assert not {"objectIds", "properties", "listIds"} & set(gdpr)
    assert len(journal.get(SUBSCRIPTIONS).json()["results"]) == 4


def test_subscription_delete_when_by_id_or_portal_then_204_and_gone(journal, emulator):
    one = subscribe(journal)
    subscribe(journal, "GDPR_PRIVACY_DELETION")
    assert journal.delete(f"{SUBSCRIPTIONS}/{one['id']}").status_code == 204
    assert journal.get(f"{SUBSCRIPTIONS}/{one['id']}").status_code == 404
    assert journal.delete(f"{SUBSCRIPTIONS}/{one['id']}").status_code == 404
    assert journal.delete(f"{SUBSCRIPTIONS}/portals/{PORTAL_ID}").status_code == 204
    assert journal.get(SUBSCRIPTIONS).json() == {"results": []}
    assert emulator.control.journal_state()["subscriptions"] == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"subscriptionType": "EVENT"}, "subscriptionType"),
    ({"portalId": "24681357"}, "portalId"),
    ({"objectTypeId": "contacts"}, "objectTypeId"),
    ({"actions": ["ADDED_TO_LIST"]}, "actions"),
    ({"properties": None}, "properties"),
    ({"objectIds": ["1"]}, "objectIds"),
])
def test_subscription_when_field_missing_or_invalid_then_400_naming_it(journal, change, field):
    body = {"subscriptionType": "OBJECT", "portalId": PORTAL_ID, "objectTypeId": "0-1",
            "actions": ["CREATE"], "objectIds": [], "properties": [], **change}
    response = journal.post(SUBSCRIPTIONS, json=body)
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"
    assert field in response.json()["message"]
    assert journal.get(SUBSCRIPTIONS).json() == {"results": []}


def test_reset_when_called_then_subscriptions_and_entries_cleared(journal, api, emulator):
    subscribe(journal)
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Reset me"}})
    assert emulator.control.journal_state()["entries"] == 1
    emulator.control.reset(contacts=40)
    assert emulator.control.journal_state() == {"entries": 0, "earliestOffset": None,
                                                 "latestOffset": None, "subscriptions": 0}
    assert journal.get(f"{JOURNAL}/latest").status_code == 204  # the app token outlives it


# -- the command line ---------------------------------------------------------------------------

def test_cli_when_client_credentials_given_then_grant_works_from_a_subprocess():
    args = ["--client-id", "cli-app", "--client-secret", "cli-secret",
            "--app-scopes", ",".join(JOURNAL_SCOPES[:3])]
    with spawn_emulator(contacts=5, extra_args=args, client_id=None) as running:
        form = {"grant_type": "client_credentials", "client_id": "cli-app",
                "client_secret": "cli-secret"}
        response = httpx.post(f"{running.url}/oauth/v1/token", data=form)
        assert response.status_code == 200
        assert response.json()["scope"].split() == sorted(JOURNAL_SCOPES[:3])
        token = response.json()["access_token"]
        assert httpx.get(f"{running.url}{SUBSCRIPTIONS}", headers=bearer(token)
                         ).json() == {"results": []}
        refused = httpx.post(f"{running.url}/oauth/v1/token",
                             data={**form, "scope": JOURNAL_SCOPES[4]})
        assert refused.json()["status"] == "BAD_SCOPE"


def test_cli_when_credentials_from_environment_then_used_and_absent_means_bad_client_id():
    with spawn_emulator(contacts=5, client_id="env-app", client_secret="env-secret") as running:
        ok = httpx.post(f"{running.url}/oauth/v1/token", data={
            "grant_type": "client_credentials", "client_id": "env-app",
            "client_secret": "env-secret"})
        assert ok.status_code == 200
    with spawn_emulator(contacts=5, client_id=None) as running:
        refused = httpx.post(f"{running.url}/oauth/v1/token", data={
            "grant_type": "client_credentials", "client_id": "env-app",
            "client_secret": "env-secret"})
        assert refused.json()["status"] == "BAD_CLIENT_ID"
