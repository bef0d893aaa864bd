"""The webhooks journal's app token (client-credentials grant) against the emulator over HTTP:
asked once and shared by clients and processes, renewed before it expires and once when
HubSpot says it expired, refused credentials and scopes as one clear line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from subprocesses import ROOT, current_database_url

from ingestion.base.grants import DatabaseGrantStore
from ingestion.base.results import Grant
from ingestion.management.outcomes import EXIT_NO_ACCESS, command_error
from ingestion.models import OAuthGrant
from ingestion.sync.hubspot.client import AppCredentials, HubSpotClient
from ingestion.sync.hubspot.connection import (
    JOURNAL_READ_SCOPES,
    JOURNAL_SETUP_SCOPES,
    journal_client_from_settings,
    limits_from_settings,
)
from ingestion.sync.hubspot.errors import HubSpotForbiddenError
from ingestion.sync.hubspot.replies import Subscriptions

from .conftest import TOKEN, requests_to, set_app_scopes

pytestmark = pytest.mark.django_db(transaction=True)
SUBSCRIPTIONS_WRITE = "developer.webhooks_journal.subscriptions.write"


def list_subscriptions(client: HubSpotClient) -> list:
    return client.request("GET", client.paths.journal_subscriptions(),
                          shape=Subscriptions).results


def setup_journal(*flags: str) -> str:
    out = io.StringIO()
    call_command("setup_hubspot_journal", *flags, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_two_clients_when_each_needs_a_token_then_one_grant_shared_and_sealed(app):
    with (journal_client_from_settings(JOURNAL_SETUP_SCOPES) as first,
          journal_client_from_settings(JOURNAL_SETUP_SCOPES) as second):
        list_subscriptions(first)
        list_subscriptions(second)
        assert first.auth.header() == second.auth.header()
        token = first.auth.header().removeprefix("Bearer ")
    assert requests_to(app, TOKEN) == 1
    row = OAuthGrant.objects.get()
    assert row.client_id == f"{app.client_id}:client_credentials"
    assert token not in row.access_token and app.client_secret not in row.access_token


RACER = """
import sys, time
import django
django.setup()
from ingestion.sync.hubspot.connection import JOURNAL_SETUP_SCOPES, journal_client_from_settings
client = journal_client_from_settings(JOURNAL_SETUP_SCOPES)
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
client.request("GET", client.paths.journal_subscriptions())
"""


def test_two_processes_when_asking_at_once_then_one_grant(app):
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_API_BASE_URL": app.url, "HUBSPOT_ACCESS_TOKEN": app.token,
           "HUBSPOT_CLIENT_ID": app.client_id, "HUBSPOT_CLIENT_SECRET": app.client_secret,
           "DJANGO_SETTINGS_MODULE": "config.settings", "HUBSPOT_MIRROR_ENV_FILE": ""}
    env.pop("HUBSPOT_REFRESH_TOKEN", None)
    start_at = str(time.time() + 3.0)
    racers = [subprocess.Popen([sys.executable, "-c", RACER, start_at], cwd=ROOT, env=env,
                               stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [p.communicate(timeout=60)[1] for p in racers]
    assert [p.returncode for p in racers] == [0, 0], errors
    assert requests_to(app, TOKEN) == 1
    assert OAuthGrant.objects.count() == 1


def test_token_when_near_expiry_then_renewed_before_it_is_sent(app):
    now = [1_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    store = DatabaseGrantStore(app.client_id, app.client_secret, clock=clock,
                               grant_type="client_credentials")
    credentials = AppCredentials(app.client_id, app.client_secret, JOURNAL_SETUP_SCOPES,
                                 store=store, clock=clock)
    with HubSpotClient(app.url, credentials, limits=limits_from_settings()) as client:
        list_subscriptions(client)
        first = client.auth.header()
        now[0] += 1800 - 60  # a minute before the 30 minutes HubSpot gave it run out
        list_subscriptions(client)
        assert client.auth.header() != first
    assert requests_to(app, TOKEN) == 2


def test_token_when_hubspot_says_it_expired_then_renewed_once_and_the_request_resent(app):
    with journal_client_from_settings(JOURNAL_SETUP_SCOPES) as client:
        list_subscriptions(client)
        app.control.set_faults(script=[{"kind": "expire_tokens"}],
                               match={"path_prefix": "/webhooks-journal/"})
        list_subscriptions(client)
    assert requests_to(app, TOKEN) == 2


def test_missing_app_credentials_when_setting_up_then_one_line_naming_them(app, settings):
    settings.HUBSPOT_CLIENT_ID = ""
    with pytest.raises(CommandError) as failed:
        setup_journal()
    message = str(failed.value)
    assert "HUBSPOT_CLIENT_ID" in message and "HUBSPOT_CLIENT_SECRET" not in message
    assert "\n" not in message and failed.value.returncode == 1
    settings.HUBSPOT_CLIENT_SECRET = ""
    with pytest.raises(CommandError, match="HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET"):
        setup_journal()
    assert requests_to(app, TOKEN) == 0


def test_wrong_client_secret_when_setting_up_then_one_line_naming_the_settings(app, settings):
    settings.HUBSPOT_CLIENT_SECRET = "not-the-app-secret-42"
    with pytest.raises(CommandError) as failed:
        setup_journal()
    message = str(failed.value)
    assert "HUBSPOT_CLIENT_ID" in message and "HUBSPOT_CLIENT_SECRET" in message
    assert "\n" not in message and "Traceback" not in message
    assert "not-the-app-secret-42" not in message
    assert failed.value.returncode == 1
    assert requests_to(app, TOKEN) == 1  # refused credentials are not retried


def test_scope_the_app_lacks_when_setting_up_then_one_line_naming_it(app):
    set_app_scopes(app, [s for s in JOURNAL_SETUP_SCOPES if s != SUBSCRIPTIONS_WRITE])
    with pytest.raises(CommandError) as failed:
        setup_journal()
    message = str(failed.value)
    assert SUBSCRIPTIONS_WRITE in message and "\n" not in message
    assert failed.value.returncode == EXIT_NO_ACCESS


def test_token_without_a_route_scope_when_calling_it_then_the_error_names_the_scope(app):
    with (journal_client_from_settings(JOURNAL_READ_SCOPES) as client,
          pytest.raises(HubSpotForbiddenError) as refused):
        list_subscriptions(client)
    assert "developer.webhooks_journal.subscriptions.read" in refused.value.missing_scopes
    line = str(command_error(refused.value, "the webhooks journal"))
    assert "developer.webhooks_journal.subscriptions.read" in line and "\n" not in line


# -- the shared row, without HTTP ------------------------------------------------------------

class Exchanges:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, origin: str) -> Grant:
        self.calls += 1
        return Grant(f"app-access-{self.calls}", "", 1_000.0 + 1800, 1800)


def test_app_token_and_oauth_grant_of_one_app_when_both_stored_then_kept_apart():
    oauth = DatabaseGrantStore("app", "secret", clock=lambda: 1_000.0)
    app_store = DatabaseGrantStore("app", "secret", clock=lambda: 1_000.0,
                                   grant_type="client_credentials")
    oauth.share("refresh-1", None, lambda r: Grant("user-access", r, 2_800.0, 1800))
    exchange = Exchanges()
    assert app_store.share("client_credentials s1", None, exchange).access_token == \
        "app-access-1"
    assert oauth.share("refresh-1", None, exchange).access_token == "user-access"
    assert sorted(OAuthGrant.objects.values_list("pk", flat=True)) == [
        "app", "app:client_credentials"]


def test_client_secret_when_changed_then_the_stored_app_token_is_asked_again():
    exchange = Exchanges()
    before = DatabaseGrantStore("app", "secret-1", clock=lambda: 1_000.0,
                                grant_type="client_credentials")
    after = DatabaseGrantStore("app", "secret-2", clock=lambda: 1_000.0,
                               grant_type="client_credentials")
    before.share("client_credentials s1", None, exchange)
    assert after.share("client_credentials s1", None, exchange).access_token == "app-access-2"
    assert exchange.calls == 2

