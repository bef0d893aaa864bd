"""OAuth against the emulator over HTTP: access tokens that expire mid-run, one refresh
shared between processes, rotated refresh tokens kept, revoked ones fatal."""

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

from ingestion.models import HubSpotContact, OAuthGrant, SyncHistory

pytestmark = pytest.mark.django_db(transaction=True)
APP = {"client_id": "app-1", "client_secret": "client-secret-1",
       "refresh_token": "refresh-token-1"}


@pytest.fixture
def oauth(emulator, settings, api_family):
    emulator.control.configure_oauth(**APP)
    settings.HUBSPOT_API_BASE_URL = emulator.url
    settings.HUBSPOT_ACCESS_TOKEN = ""
    settings.HUBSPOT_CLIENT_ID = APP["client_id"]
    settings.HUBSPOT_CLIENT_SECRET = APP["client_secret"]
    settings.HUBSPOT_REFRESH_TOKEN = APP["refresh_token"]
    settings.HUBSPOT_RETRY_INITIAL_WAIT = 0.01
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = None
    return emulator


def refreshes(emulator) -> int:
    return emulator.control.stats()["oauth_refreshes"]


def sync(*flags: str) -> str:
    out = io.StringIO()
    call_command("sync_hubspot_contacts", *flags, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_token_expiring_mid_run_when_syncing_then_every_record_with_one_renewal(oauth):
    oauth.control.reset(contacts=600)
    oauth.control.configure_oauth(**APP)
    oauth.control.set_faults(script=[{"kind": "pass"}] * 3 + [{"kind": "expire_tokens"}],
                             match={"method": "GET", "path_prefix": "/crm/"})
    sync("--full", "--skip-associations", "--batch-size", "100")
    live = sum(1 for _ in HubSpotContact.objects.filter(archived=False))
    assert live + HubSpotContact.objects.filter(archived=True).count() == 600
    assert refreshes(oauth) == 2  # the first token, and one renewal after the 401


RACER = """
import sys, time
import django
django.setup()
from ingestion.sync.hubspot.connection import client_from_settings
client = client_from_settings()
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
client.request("GET", client.paths.owners())
"""


def test_two_processes_when_refreshing_at_once_then_one_refresh(oauth, api_family):
    env = {**os.environ, "DATABASE_URL": current_database_url(), "HUBSPOT_API_BASE_URL": oauth.url,
           "HUBSPOT_CLIENT_ID": APP["client_id"], "HUBSPOT_CLIENT_SECRET": APP["client_secret"],
           "HUBSPOT_REFRESH_TOKEN": APP["refresh_token"], "HUBSPOT_API_VERSION": api_family,
           "DJANGO_SETTINGS_MODULE": "config.settings", "HUBSPOT_MIRROR_ENV_FILE": ""}
    env.pop("HUBSPOT_ACCESS_TOKEN", None)
    start_at = str(time.time() + 3.0)
    racers = [subprocess.Popen([sys.executable, "-c", RACER, start_at], cwd=ROOT, env=env,
                               stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [p.communicate(timeout=60)[1] for p in racers]
    assert [p.returncode for p in racers] == [0, 0], errors
    assert refreshes(oauth) == 1
    assert OAuthGrant.objects.count() == 1


def test_revoked_refresh_token_when_syncing_then_fails_fast_clearly_and_writes_nothing(oauth):
    oauth.control.revoke_refresh_token()
    started = time.monotonic()
    with pytest.raises(CommandError, match="rejected the OAuth refresh token") as failed:
        sync("--full")
    assert time.monotonic() - started < 10
    assert APP["refresh_token"] not in str(failed.value)
    assert not HubSpotContact.objects.exists()
    assert SyncHistory.objects.get().status == "failed"


def test_rotated_refresh_token_when_next_run_needs_a_refresh_then_uses_the_new_one(oauth):
    oauth.control.configure_oauth(**APP, rotate_refresh_token=True)
    sync("--full", "--skip-associations")
    oauth.control.set_faults(script=[{"kind": "expire_tokens"}],
                             match={"path_prefix": "/crm/"})
    sync("--skip-associations")  # the configured token no longer works; the stored one does
    assert refreshes(oauth) == 2
    stored = OAuthGrant.objects.get()
    assert "refresh-token" not in stored.refresh_token  # kept encrypted


TOKEN_ENDPOINT = {"method": "POST", "path_prefix": "/oauth/"}


def test_token_endpoint_when_it_answers_5xx_then_retried_and_the_run_completes(oauth):
    oauth.control.set_faults(script=[{"kind": "500"}, {"kind": "503"}], match=TOKEN_ENDPOINT)
    sync("--full", "--skip-associations")
    assert HubSpotContact.objects.exists()
    assert SyncHistory.objects.get().status == "success"
    assert refreshes(oauth) == 1


def test_token_endpoint_when_it_keeps_answering_5xx_then_a_server_error_not_a_revoked_token(
        oauth, settings):
    settings.HUBSPOT_MAX_ATTEMPTS = 2
    oauth.control.set_faults(rate=1.0, kinds=["503"], match=TOKEN_ENDPOINT)
    with pytest.raises(CommandError) as failed:
        sync("--full")
    message = str(failed.value)
    assert "503" in message and "\n" not in message
    assert "rejected the OAuth refresh token" not in message and "reinstall" not in message
    assert oauth.control.oauth_state()["refresh_token"] == APP["refresh_token"]


@pytest.mark.parametrize("expires_in", ["soon", -60, 0, None])
def test_token_endpoint_when_expires_in_is_not_a_positive_number_then_malformed_and_retried(
        oauth, expires_in):
    bad = {"token_type": "bearer", "access_token": "not-a-real-token",
           "refresh_token": APP["refresh_token"], "expires_in": expires_in}
    oauth.control.set_faults(script=[{"kind": "body", "body": bad}], match=TOKEN_ENDPOINT)
    sync("--full", "--skip-associations")
    assert SyncHistory.objects.get().status == "success"
    # the retry got a real token that lives its 30 minutes: one refresh for the whole run,
    # not one before every request
    assert refreshes(oauth) == 1


def test_token_endpoint_when_expires_in_always_bad_then_one_line_malformed_reply(
        oauth, settings):
    settings.HUBSPOT_MAX_ATTEMPTS = 2
    bad = {"token_type": "bearer", "access_token": "not-a-real-token", "expires_in": "soon"}
    oauth.control.set_faults(rate=1.0, kinds=["body"], body=bad, match=TOKEN_ENDPOINT)
    with pytest.raises(CommandError, match="expires_in") as failed:
        sync("--full")
    assert "\n" not in str(failed.value) and "Traceback" not in str(failed.value)
    assert "reinstall" not in str(failed.value)
