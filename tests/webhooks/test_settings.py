"""The webhook settings, read from the environment by a fresh process as in a deployment."""

from __future__ import annotations

import json

import pytest
from subprocesses import clean_environment, run_python

# Read by fresh processes given no DATABASE_URL: the same whichever database the suite
# uses, so run on the first one only.
pytestmark = pytest.mark.once

SHOW = ("import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.HUBSPOT_WEBHOOK_SECRET, s.HUBSPOT_WEBHOOK_URL, s.ALLOWED_HOSTS, "
        "s.HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT, s.HUBSPOT_WEBHOOK_MAX_ATTEMPTS]))")


def settings_with(**env: str) -> list:
    result = run_python("-c", SHOW, env=clean_environment(
        DJANGO_SETTINGS_MODULE="config.settings", **env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_settings_when_unset_then_no_secret_no_url_and_localhost_only():
    assert settings_with() == ["", "", ["localhost"], False, 5]


def test_settings_when_oauth_app_then_its_client_secret_signs_webhooks():
    assert settings_with(HUBSPOT_CLIENT_SECRET="oauth-app-secret")[0] == "oauth-app-secret"
    assert settings_with(HUBSPOT_CLIENT_SECRET="oauth-app-secret",
                         HUBSPOT_WEBHOOK_SECRET="private-app-secret")[0] == "private-app-secret"


def test_settings_when_public_url_given_then_its_host_is_allowed():
    _, url, hosts, on_receipt, attempts = settings_with(
        HUBSPOT_WEBHOOK_URL="https://crm-sync.example.com/hubspot/webhooks/",
        DJANGO_ALLOWED_HOSTS="internal.lan", HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT="true",
        HUBSPOT_WEBHOOK_MAX_ATTEMPTS="3")
    assert url == "https://crm-sync.example.com/hubspot/webhooks/"
    assert hosts == ["internal.lan", "crm-sync.example.com"]
    assert (on_receipt, attempts) == (True, 3)


def test_settings_when_values_are_wrong_then_start_up_names_each():
    result = run_python("-c", SHOW, env=clean_environment(
        DJANGO_SETTINGS_MODULE="config.settings", HUBSPOT_WEBHOOK_URL="crm-sync.example.com",
        HUBSPOT_WEBHOOK_MAX_ATTEMPTS="0", HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT="maybe",
        HUBSPOT_PORTAL_ID="sandbox"))
    assert result.returncode != 0
    for name in ("HUBSPOT_WEBHOOK_URL", "HUBSPOT_WEBHOOK_MAX_ATTEMPTS",
                 "HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT", "HUBSPOT_PORTAL_ID"):
        assert name in result.stderr


def test_settings_when_portal_id_given_then_a_whole_number_else_none():
    show = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.HUBSPOT_PORTAL_ID)")
    for env, expected in (({}, "None"), ({"HUBSPOT_PORTAL_ID": "24681357"}, "24681357")):
        result = run_python("-c", show, env=clean_environment(
            DJANGO_SETTINGS_MODULE="config.settings", **env))
        assert result.returncode == 0 and result.stdout.strip() == expected, result.stderr
