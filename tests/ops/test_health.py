"""/health/: 200 when the database is usable and no type is red on the status page, else
503; the reasons only for the metrics token or a staff login. The real conditions, not mocks."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from sync_commands import run_command

from ingestion.models import SyncHistory

from .outage import database_unreachable

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "scrape-secret-h"


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def health(client) -> tuple[int, dict]:
    """The answer with its details (the metrics token sent)."""
    response = client.get("/health/", headers={"Authorization": f"Bearer {TOKEN}"})
    return response.status_code, response.json()


def age_last_run(minutes: int) -> None:
    finished = timezone.now() - timedelta(minutes=minutes)
    SyncHistory.objects.update(started_at=finished - timedelta(seconds=5), finished_at=finished)


def test_health_when_synced_then_200_naming_the_type(hubspot, client):
    run_command("sync_hubspot_contacts", "--full")
    status, body = health(client)
    assert status == 200, body
    assert body["status"] == "ok" and body["problems"] == []
    assert body["types"]["contacts"]["max_age_minutes"] == 30  # HUBSPOT_STATUS_EXPECTED_MINUTES x2
    assert body["types"]["contacts"]["state"] == "fresh"


def test_health_when_nothing_synced_yet_then_200(client):
    assert health(client)[0] == 200


def test_health_when_last_success_older_than_the_setting_then_503(hubspot, client, settings):
    run_command("sync_hubspot_contacts", "--full")
    age_last_run(90)
    status, body = health(client)
    assert status == 503 and body["status"] == "unhealthy"
    assert body["problems"] == ["contacts: last successful run 90 min ago (allowed 30 min)"]
    settings.HUBSPOT_STATUS_EXPECTED_MINUTES = 60  # the one setting: expected hourly
    assert health(client)[0] == 200


@pytest.mark.parametrize(("object_type", "minutes_ago"), [
    ("contacts", 14), ("contacts", 25), ("contacts", 31), ("contacts", 90),
    ("owners", 100), ("owners", 125),
])
def test_success_of_an_age_when_health_and_status_asked_then_503_exactly_when_row_red(
        client, admin_client, object_type, minutes_ago):
    SyncHistory.objects.create(object_type=object_type, mode="incremental", status="success",
                               started_at=timezone.now() - timedelta(minutes=minutes_ago),
                               finished_at=timezone.now() - timedelta(minutes=minutes_ago))
    colour = re.search(rf'<tr class="(\w+)" data-type="{object_type}">',
                       admin_client.get("/status/").content.decode()).group(1)
    assert health(client)[0] == (503 if colour == "red" else 200)
    assert colour == ("red" if minutes_ago > (30 if object_type == "contacts" else 120)
                      else "amber" if minutes_ago > 15 else "green")


@pytest.mark.parametrize("ended", ["failed", "abandoned"])
def test_latest_sync_failed_when_health_asked_then_503_whatever_its_age(client, ended):
    old_run("contacts", "incremental", 5)
    failed = SyncHistory.objects.create(
        object_type="contacts", mode="incremental", status=ended, error_message="read timeout",
        started_at=timezone.now() - timedelta(minutes=1), finished_at=timezone.now())
    status, body = health(client)
    assert status == 503
    assert body["problems"] == [f"contacts: latest run {ended} 0 min ago (run {failed.pk})"]
    assert body["types"]["contacts"]["state"] == "failed"
    old_run("contacts", "incremental", 0)  # the next run succeeds
    assert health(client)[0] == 200


def test_type_without_access_when_health_asked_then_ignored(client):
    call_command("setup_hubspot_schedule", stdout=io.StringIO())  # links hourly, for all
    old_run("quotes", "incremental", 600)  # long ago, before the scope was removed
    old_run("quotes", "links", 600)
    SyncHistory.objects.create(object_type="quotes", mode="incremental", status="skipped",
                               error_message="no access: 403", started_at=timezone.now(),
                               finished_at=timezone.now())
    status, body = health(client)
    assert status == 200, body
    assert body["types"]["quotes"]["state"] == "skipped"
    assert "quotes links" not in body["types"]  # no job can read it: not stale either


def test_anonymous_when_health_asked_then_only_the_verdict(client, django_user_model):
    old_run("contacts", "incremental", 90)
    anonymous = client.get("/health/")
    assert (anonymous.status_code, anonymous.json()) == (503, {"status": "unhealthy"})
    wrong = client.get("/health/", headers={"Authorization": "Bearer wrong"})
    assert wrong.json() == {"status": "unhealthy"}
    django_user_model.objects.create_user("viewer", password="pw")
    client.login(username="viewer", password="pw")  # logged in, not staff
    assert client.get("/health/").json() == {"status": "unhealthy"}
    django_user_model.objects.create_user("ops", password="pw", is_staff=True)
    client.login(username="ops", password="pw")
    assert client.get("/health/").json()["problems"] == [
        "contacts: last successful run 90 min ago (allowed 30 min)"]


def test_health_when_scheduled_every_15_min_then_stale_after_two_slots(hubspot, client):
    run_command("sync_hubspot_contacts", "--full")
    call_command("setup_hubspot_schedule", stdout=io.StringIO())
    age_last_run(20)
    assert health(client)[0] == 200
    age_last_run(45)  # sync_hubspot_all every 15 minutes: 30 allowed, below the setting's 60
    status, body = health(client)
    assert status == 503
    assert body["problems"] == ["contacts: last successful run 45 min ago (allowed 30 min)"]


def test_health_when_only_failed_runs_then_503(hubspot, client):
    SyncHistory.objects.create(object_type="deals", mode="full", status="failed",
                               started_at=timezone.now() - timedelta(hours=3),
                               finished_at=timezone.now() - timedelta(hours=3))
    status, body = health(client)
    assert status == 503
    assert body["problems"][0].startswith("deals: latest run failed 180 min ago")


def test_health_when_a_migration_is_not_applied_then_503(client):
    app, name = max(key for key in MigrationLoader(connection).graph.leaf_nodes()
                    if key[0] == "ingestion")
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied(app, name)
    try:
        status, body = health(client)
    finally:
        recorder.record_applied(app, name)
    assert status == 503
    assert body["problems"] == ["database: not migrated (1 migration(s) to apply)"]
    assert health(client)[0] == 200


def test_health_when_database_unreachable_then_503_without_its_address(client):
    with database_unreachable():
        response = client.get("/health/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503
    assert response.json()["problems"] == ["database: unreachable"]
    assert "127.0.0.1" not in response.content.decode()
    assert health(client)[0] == 200


def old_run(object_type: str, mode: str, minutes: int) -> None:
    at = timezone.now() - timedelta(minutes=minutes)
    SyncHistory.objects.create(object_type=object_type, mode=mode, status="success",
                               started_at=at, finished_at=at)


def test_health_when_a_scheduled_upkeep_job_is_overdue_then_503_naming_it(client):
    call_command("setup_hubspot_schedule", stdout=io.StringIO())
    old_run("contacts", "full", 5)
    old_run("contacts", "links", 100)  # hourly link refresh: 120 minutes allowed
    old_run("webhooks", "events", 600)  # the applier's schedule is disabled: not checked
    assert health(client)[0] == 200
    old_run("contacts", "deletions", 130)  # hourly deletion check, overdue
    status, body = health(client)
    assert status == 503
    assert body["problems"] == [
        "contacts deletions: last successful run 130 min ago (allowed 120 min)"]
    assert body["types"]["contacts links"]["max_age_minutes"] == 120


def test_probes_when_addressed_by_a_host_not_allowed_then_still_answered(client):
    """A pod's IP or a container's name is rarely in DJANGO_ALLOWED_HOSTS."""
    for path in ("/health/", "/metrics"):
        assert client.get(path, HTTP_HOST="10.1.2.3:8000",
                          headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/hubspot/webhooks/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_health_when_two_schedules_cover_a_type_then_the_shorter_counts(client):
    call_command("setup_hubspot_schedule", stdout=io.StringIO())
    old_run("owners", "full", 40)  # owners hourly (120 allowed), sync_all every 15 (30)
    status, body = health(client)
    assert status == 503 and body["types"]["owners"]["max_age_minutes"] == 30
