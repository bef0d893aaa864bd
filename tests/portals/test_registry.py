"""`hubspot_portal add / list / remove`: the registry holds variable names, never a secret;
names and variables are checked; a portal with a running run is not removed; --purge."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.db import connection

from hubspot_emulator import PORTAL_ID
from ingestion.base.scopes import create_scope, drop_scope, scope_exists, scope_for, use_scope
from ingestion.models import HubSpotPortal, SyncHistory
from ingestion.ops.status import hubspot_counts
from ingestion.sync.hubspot.accounts import PortalError, all_portals, get_portal, in_portal

from .conftest import portal_command

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("scopes_dropped")]


def _text_columns() -> list[str]:
    return [field.column for field in HubSpotPortal._meta.concrete_fields
            if field.get_internal_type() in ("CharField", "TextField")]


def test_add_list_remove_when_round_trip_then_only_variable_names_stored(hubspot, second,
                                                                           monkeypatch):
    monkeypatch.setenv("PORTAL_A_TOKEN", hubspot.token)
    monkeypatch.setenv("PORTAL_B_TOKEN", second.token)
    added = portal_command("add", "a", "--token-env", "PORTAL_A_TOKEN", "--base-url", hubspot.url)
    portal_command("add", "b", "--token-env", "PORTAL_B_TOKEN", "--base-url", second.url,
                   "--portal-id", "2002")
    assert "a" in added and scope_for("a").storage() in added
    a, b = HubSpotPortal.objects.get(name="a"), HubSpotPortal.objects.get(name="b")
    assert a.portal_id == PORTAL_ID  # learnt from HubSpot's account details
    assert (b.portal_id, b.token_env, b.base_url) == (2002, "PORTAL_B_TOKEN", second.url)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(_text_columns())} FROM hubspot_portal")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert hubspot.token not in stored and second.token not in stored
    listing = portal_command("list")
    lines = listing.splitlines()
    assert lines[1].startswith("default") and lines[2].startswith("a ") and \
        lines[3].startswith("b ")
    assert "PORTAL_A_TOKEN" in listing and hubspot.token not in listing
    assert second.token not in listing and scope_for("b").storage() in listing
    assert [p.name for p in all_portals()] == ["default", "a", "b"]
    removed = portal_command("remove", "a")
    assert "kept" in removed and scope_exists(scope_for("a"))
    assert [p.name for p in all_portals()] == ["default", "b"]


def test_add_when_name_bad_or_variable_missing_then_refused(monkeypatch):
    monkeypatch.setenv("SOME_TOKEN", "pat-1234")
    monkeypatch.delenv("NOT_SET_HERE", raising=False)
    for name in ("Upper", "with-dash", "x" * 41, "default", ""):
        with pytest.raises(CommandError, match="not a valid name") as refused:
            portal_command("add", name, "--token-env", "SOME_TOKEN")
        assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="NOT_SET_HERE is not set"):
        portal_command("add", "gone", "--token-env", "NOT_SET_HERE")
    with pytest.raises(CommandError, match="--oauth needs"):
        portal_command("add", "gone", "--oauth", "--client-id", "app")
    assert not HubSpotPortal.objects.exists() and not scope_exists(scope_for("gone"))
    with pytest.raises(PortalError, match="no portal named 'gone'; known: default"):
        get_portal("gone")


def test_add_when_hub_id_mirrored_already_then_refused_and_nothing_left(hubspot, monkeypatch,
                                                                       settings):
    monkeypatch.setenv("PORTAL_A_TOKEN", hubspot.token)
    portal_command("add", "a", "--token-env", "PORTAL_A_TOKEN", "--base-url", hubspot.url)
    # Learnt from HubSpot (the same account's token again): refused once known; the scope
    # made for it dropped, one that was there before (a removed portal's rows) kept.
    for there_before in (False, True):
        drop_scope(scope_for("b"))
        if there_before:
            create_scope(scope_for("b"))
        with pytest.raises(CommandError, match=f"portal {PORTAL_ID} is mirrored already, as "
                                               "portal 'a'") as refused:
            portal_command("add", "b", "--token-env", "PORTAL_A_TOKEN", "--base-url",
                           hubspot.url)
        assert refused.value.returncode == 2
        assert scope_exists(scope_for("b")) is there_before
    settings.HUBSPOT_PORTAL_ID = 4242  # the implicit portal's: refused before any scope
    with pytest.raises(CommandError, match="as portal 'default'"):
        portal_command("add", "gone", "--token-env", "PORTAL_A_TOKEN", "--portal-id", "4242")
    assert not scope_exists(scope_for("gone"))
    assert list(HubSpotPortal.objects.values_list("name", flat=True)) == ["a"]


def test_run_for_portal_when_its_variable_emptied_then_one_error_naming_it(hubspot, monkeypatch):
    monkeypatch.setenv("KEPT_TOKEN", hubspot.token)
    portal_command("add", "kept", "--token-env", "KEPT_TOKEN", "--portal-id", "7")
    monkeypatch.setenv("KEPT_TOKEN", "")
    with pytest.raises(CommandError, match="KEPT_TOKEN is not set") as refused:
        portal_command_of("sync_hubspot_contacts", "--portal", "kept")
    assert type(refused.value).__name__ == "Configuration error"


def portal_command_of(command: str, *args: str) -> None:
    from sync_commands import run_command

    run_command(command, *args)


def test_remove_when_run_running_then_refused_until_it_ends_then_purge_drops(hubspot,
                                                                           monkeypatch):
    monkeypatch.setenv("KEPT_TOKEN", hubspot.token)
    portal_command("add", "kept", "--token-env", "KEPT_TOKEN", "--portal-id", "7",
                   "--base-url", hubspot.url)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with use_scope(scope_for("kept")):
            run = SyncHistory.objects.create(object_type="contacts", mode="full",
                                             started_at="2026-01-01T00:00:00Z",
                                             pid=sleeper.pid, hostname=socket.gethostname())
        with pytest.raises(CommandError, match="1 run") as refused:
            portal_command("remove", "kept", "--purge")
        assert refused.value.returncode == 75
        assert HubSpotPortal.objects.filter(name="kept").exists()
        with use_scope(scope_for("kept")):
            SyncHistory.objects.filter(pk=run.pk).update(status="success")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert "dropped" in portal_command("remove", "kept", "--purge")
    assert not scope_exists(scope_for("kept"))
    assert not HubSpotPortal.objects.exists()


def test_scope_when_sqlite_then_file_beside_main_one():
    scope = scope_for("kept")
    if connection.vendor == "sqlite":
        main = Path(connection.settings_dict["NAME"])
        assert Path(scope.sqlite_file) == main.with_name(f"{main.stem}.kept.sqlite3")
        assert scope.schema is None
    else:
        assert (scope.schema, scope.sqlite_file) == ("hubspot_p_kept", None)
    assert os.path.basename(str(scope.storage()))


OAUTH_APP = {"client_id": "client-1", "client_secret": "secret-1",
             "refresh_token": "na1-refresh-1"}


def test_oauth_portal_when_added_and_synced_then_grant_sealed_in_its_own_scope(hubspot,
                                                                             monkeypatch):
    from ingestion.models import HubSpotContact, OAuthGrant

    hubspot.control.reset(contacts=40, oauth=OAUTH_APP)
    monkeypatch.setenv("APP_SECRET", OAUTH_APP["client_secret"])
    monkeypatch.setenv("APP_REFRESH", OAUTH_APP["refresh_token"])
    portal_command("add", "oauth_one", "--oauth", "--client-id", "client-1",
                   "--client-secret-env", "APP_SECRET", "--refresh-token-env", "APP_REFRESH",
                   "--base-url", hubspot.url)
    row = HubSpotPortal.objects.get(name="oauth_one")
    assert row.portal_id == PORTAL_ID  # asked with an access token from the refresh token
    assert "oauth: client-1 APP_SECRET APP_REFRESH" in portal_command("list")
    portal_command_of("sync_hubspot_contacts", "--portal", "oauth_one")
    with use_scope(scope_for("oauth_one")):
        assert HubSpotContact.objects.count() == 40
        grants = list(OAuthGrant.objects.all())
    assert grants and not OAuthGrant.objects.exists()  # the grant is the portal's own
    with in_portal("oauth_one"):  # the status page's read: settings untouched, its own grant
        counts = hubspot_counts(get_portal("oauth_one"))
        assert counts["0-1"] == HubSpotContact.objects.filter(archived=False).count()
        assert OAuthGrant.objects.count() == len(grants)
    assert not OAuthGrant.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(_text_columns())} FROM hubspot_portal")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert OAUTH_APP["refresh_token"] not in stored
    assert OAUTH_APP["client_secret"] not in stored


def test_remove_when_the_running_row_was_left_by_a_killed_process_then_closed_and_removed(
        hubspot, monkeypatch):
    monkeypatch.setenv("KEPT_TOKEN", hubspot.token)
    portal_command("add", "kept", "--token-env", "KEPT_TOKEN", "--portal-id", "7",
                   "--base-url", hubspot.url)
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    killed.kill()  # SIGKILL: its run never closed its row
    killed.wait()
    with use_scope(scope_for("kept")):
        run = SyncHistory.objects.create(object_type="contacts", mode="full",
                                         started_at="2026-01-01T00:00:00Z",
                                         pid=killed.pid, hostname=socket.gethostname())
    assert "kept" in portal_command("remove", "kept")
    assert not HubSpotPortal.objects.exists()
    with use_scope(scope_for("kept")):
        closed = SyncHistory.objects.get(pk=run.pk)
    assert closed.status == "abandoned" and closed.finished_at is not None
