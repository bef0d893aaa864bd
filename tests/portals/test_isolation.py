"""Two portals in one deployment: each run reads and writes its own portal's tables only, a
run's scope cannot reach another portal's rows by their plain names, run history and locks
are per portal, and each portal gets its own shared rate budget."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest
from django.db import connection
from sync_commands import run_command, run_failing
from upstream import listing

from ingestion.base.scopes import current_scope, scope_for, use_scope
from ingestion.models import HubSpotContact, SyncHistory
from ingestion.sync.hubspot.accounts import activate, in_portal

pytestmark = pytest.mark.django_db(transaction=True)


def upstream_contacts(emulator) -> set[str]:
    with httpx.Client(base_url=emulator.url, timeout=30,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as api:
        return {r["id"] for r in listing(api, "/crm/v3/objects/contacts", {"limit": 100})}


def snapshot(name: str) -> dict:
    """Everything a run could change in portal `name`: its contacts and its runs."""
    with in_portal(name):
        return {"contacts": list(HubSpotContact.objects.order_by("pk").values_list(
                    "pk", "updated_at", "synced_at", "archived")),
                "runs": list(SyncHistory.objects.order_by("pk").values_list(
                    "pk", "object_type", "status", "watermark"))}


def plain_ids() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM hubspot_contact")
        return {str(row[0]) for row in cursor.fetchall()}


def test_contacts_when_two_portals_synced_then_each_scope_holds_its_own(two_portals):
    first, second = two_portals
    assert run_command("sync_hubspot_contacts", "--portal", "a")["contacts"]["created"] == 40
    assert run_command("sync_hubspot_contacts", "--portal", "b")["contacts"]["created"] == 25
    a_ids, b_ids = upstream_contacts(first), upstream_contacts(second)
    assert not a_ids & b_ids
    with in_portal("a"):
        live = HubSpotContact.objects.filter(archived=False)
        assert set(live.values_list("pk", flat=True)) == a_ids
        assert plain_ids() == set(HubSpotContact.objects.values_list("pk", flat=True))
        assert not HubSpotContact.objects.filter(pk__in=b_ids).exists()
    with in_portal("b"):
        live = HubSpotContact.objects.filter(archived=False)
        assert set(live.values_list("pk", flat=True)) == b_ids
        assert plain_ids() & a_ids == set()
    assert not HubSpotContact.objects.exists()  # the implicit portal's tables: untouched
    assert current_scope().implicit


def test_run_when_portal_a_synced_again_then_b_unchanged(two_portals, settings):
    first, _ = two_portals
    run_command("sync_hubspot_contacts", "--portal", "a")
    run_command("sync_hubspot_contacts", "--portal", "b")
    before_b = snapshot("b")
    first.control.reset(contacts=45, seed=3, rate_limit="none")  # a's HubSpot changes
    settings.HUBSPOT_PORTAL = "a"  # the portal of commands given no --portal (Celery, cron)
    run_command("sync_hubspot_contacts", "--full")
    assert snapshot("b") == before_b
    with in_portal("a"):
        live = HubSpotContact.objects.filter(archived=False)
        assert set(live.values_list("pk", flat=True)) == upstream_contacts(first)
        assert SyncHistory.objects.filter(object_type="contacts").count() == 2


def test_scope_when_inside_a_then_b_tables_not_reached_by_plain_names(two_portals):
    run_command("sync_hubspot_contacts", "--portal", "b")
    with use_scope(scope_for("a")), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW search_path")
            assert cursor.fetchone()[0] == "hubspot_p_a"  # only a's schema, not public
            cursor.execute("SELECT to_regclass('hubspot_contact') = "
                           "to_regclass('hubspot_p_a.hubspot_contact')")
            assert cursor.fetchone()[0] is True
            # b's table is reached only when named with b's schema, as no query here does
            cursor.execute("SELECT count(*) FROM hubspot_p_b.hubspot_contact")
            assert cursor.fetchone()[0] == 25
            assert "hubspot_p_" not in str(HubSpotContact.objects.all().query)
        else:
            cursor.execute("PRAGMA database_list")
            assert [row[2] for row in cursor.fetchall()] == [scope_for("a").sqlite_file]
        cursor.execute("SELECT count(*) FROM hubspot_contact")
        assert cursor.fetchone()[0] == 0  # b's 25 are not there by this name
        assert not HubSpotContact.objects.exists()
    with in_portal("b"):
        assert HubSpotContact.objects.count() == 25


def test_lock_when_a_run_of_a_running_then_b_runs(two_portals):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with in_portal("a"):
            SyncHistory.objects.create(object_type="contacts", mode="full",
                                       started_at="2026-01-01T00:00:00Z", pid=sleeper.pid,
                                       hostname=socket.gethostname())
        error, _ = run_failing("sync_hubspot_contacts", "--portal", "a")
        assert error.returncode == 75
        assert run_command("sync_hubspot_contacts", "--portal", "b")["contacts"]["created"] == 25
    finally:
        sleeper.kill()
        sleeper.wait()
    with in_portal("a"):
        assert not HubSpotContact.objects.exists()


def test_rate_budget_when_two_portals_then_two_keys_naming_them(two_portals, settings):
    from ingestion.sync.hubspot.connection import client_from_settings

    settings.HUBSPOT_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:6379/0"
    keys = {}
    for name in ("a", "b"):
        with activate(name), client_from_settings() as client:
            keys[name] = client.budget.keys["general"]
    assert keys["a"] != keys["b"]
    assert "{a:" in keys["a"] and "{b:" in keys["b"]
    with client_from_settings() as client:  # the implicit portal's key is as before
        assert "{a:" not in client.budget.keys["general"]


def test_implicit_when_no_portal_then_no_scope_switch(hubspot):
    name_before = connection.settings_dict["NAME"]
    with activate(None) as portal:
        assert portal.implicit and current_scope().implicit
        assert connection.settings_dict["NAME"] == name_before
    assert run_command("sync_hubspot_contacts")["contacts"]["created"] == 40
    assert HubSpotContact.objects.count() == 40
    assert current_scope().implicit and connection.settings_dict["NAME"] == name_before
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW search_path")
            assert "hubspot_p_" not in cursor.fetchone()[0]


def test_task_when_given_a_portal_then_runs_in_its_scope(two_portals):
    from ingestion.tasks import apply_hubspot_events, sync_hubspot

    result = sync_hubspot.apply(kwargs={"command": "sync_hubspot_contacts", "portal": "b"}).get()
    assert result["status"] == 0
    assert apply_hubspot_events.apply(kwargs={"portal": "b"}).get()["status"] == 0
    with in_portal("b"):
        assert HubSpotContact.objects.count() == 25
        assert SyncHistory.objects.filter(object_type="contacts").count() == 1
    assert not HubSpotContact.objects.exists() and current_scope().implicit
