"""Operators see every portal: /status/ has a section per portal, `hubspot_status` a heading
per portal (`--portal` picks one), /metrics labels every series with its portal, /health/
judges every portal's rows; and every portal's beat schedule lives in the configured
database, which beat reads. Runs are written inside each portal's scope, as its syncs
would write them (no sync needed: these views only read sync_history)."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask
from prometheus_client.parser import text_string_to_metric_families
from web.runs import record_run

from ingestion.models import SyncHistory
from ingestion.ops.schedules import DEFAULT_SCHEDULE, INCREMENTAL_TASK_NAME, beat_tasks
from ingestion.ops.status import type_statuses
from ingestion.sync.hubspot.accounts import in_portal
from ingestion.sync.hubspot.client import HubSpotClient
from ingestion.sync.hubspot.connection import limits_from_settings
from ingestion.sync.hubspot.record_counts import record_counts

pytestmark = pytest.mark.django_db(transaction=True)
FAILED = SyncHistory.Status.FAILED
TOKEN = "scrape-secret-portals"


@pytest.fixture
def runs_in_each(two_portals):
    """Portal a: contacts synced a minute ago; portal b: its deals synced, its contacts
    failed; the implicit portal: none."""
    with in_portal("a"):
        record_run("contacts", minutes_ago=1, created=40)
    with in_portal("b"):
        record_run("deals", minutes_ago=1, created=7)
        record_run("contacts", status=FAILED, minutes_ago=2, error="HubSpot said no (b)")
    return two_portals


def sections(html: str) -> dict[str, str]:
    """The status page's portal sections (their HTML), by portal name."""
    return dict(re.findall(r'<section class="portal" data-portal="([^"]+)">(.*?)</section>',
                           html, re.S))


def state_of(section: str, object_type: str) -> str:
    row = re.search(rf'data-type="{object_type}">(.*?)</tr>', section, re.S).group(1)
    return re.search(r'data-column="state">([^<]*)<', row).group(1)


def test_status_page_when_two_portals_have_runs_then_a_section_each(runs_in_each,
                                                                    admin_client):
    html = admin_client.get("/status/").content.decode()
    shown = sections(html)
    assert list(shown) == ["default", "a", "b"]  # the implicit portal has a token here
    assert "Portal b (Hub ID 2002)" in shown["b"] and 'id="status-table-b"' in shown["b"]
    assert state_of(shown["a"], "contacts") == "fresh"
    assert state_of(shown["a"], "deals") == "no runs"
    assert state_of(shown["b"], "contacts") == "failed"
    assert "HubSpot said no (b)" in shown["b"] and "HubSpot said no" not in shown["a"]
    assert state_of(shown["b"], "deals") == "fresh"
    assert state_of(shown["default"], "contacts") == "no runs"

    only_b = sections(admin_client.get("/status/?portal=b").content.decode())
    assert list(only_b) == ["b"] and state_of(only_b["b"], "contacts") == "failed"
    assert admin_client.get("/status/?portal=nope").status_code == 404


def cell_of(section: str, object_type: str, column: str) -> str:
    row = re.search(rf'data-type="{object_type}">(.*?)</tr>', section, re.S).group(1)
    return re.search(rf'data-column="{column}">([^<]*)<', row).group(1).strip()


def test_status_page_when_two_portals_then_each_beside_its_own_hubspot_counts(runs_in_each,
                                                                               admin_client):
    _, second = runs_in_each
    with HubSpotClient(second.url, second.token, limits=limits_from_settings()) as client:
        b_count = str(record_counts(client)["0-1"])
    shown = sections(admin_client.get("/status/").content.decode())
    upstream = {name: cell_of(shown[name], "contacts", "records").split(" / ")[1]
                for name in shown}
    # b is the second emulator; a and the implicit portal are the session's (more contacts).
    assert upstream["b"] == b_count and upstream["a"] == upstream["default"] != b_count
    blocks = portal_blocks(status_output())
    assert f"0 / {b_count}" in row_of(blocks["b"], "contacts")
    assert f"0 / {upstream['a']}" in row_of(blocks["a"], "contacts")


def test_status_page_when_implicit_portal_alone_then_as_before(admin_client):
    record_run("contacts", minutes_ago=1, created=3)
    html = admin_client.get("/status/").content.decode()
    assert list(sections(html)) == ["default"]
    assert 'id="status-table"' in html and "portal-title" not in html
    assert state_of(html, "contacts") == "fresh"


def status_output(*args: str) -> str:
    out = io.StringIO()
    call_command("hubspot_status", *args, stdout=out, no_color=True)
    return out.getvalue()


def portal_blocks(output: str) -> dict[str, str]:
    """`hubspot_status`'s output by the portal each heading names."""
    return dict(re.findall(r"^portal (\w+) \(Hub ID [^)]+\)\n(.*?)(?=^portal |\Z)", output,
                           re.S | re.M))


def row_of(block: str, object_type: str) -> str:
    return next(line for line in block.splitlines() if line.startswith(f"{object_type} "))


def test_hubspot_status_when_two_portals_then_each_under_its_heading(runs_in_each):
    blocks = portal_blocks(status_output())
    assert list(blocks) == ["default", "a", "b"]
    assert "fresh" in row_of(blocks["a"], "contacts")
    assert "failed" in row_of(blocks["b"], "contacts")
    assert "HubSpot said no (b)" in row_of(blocks["b"], "contacts")
    assert "no runs" in row_of(blocks["default"], "contacts")

    only_b = status_output("--portal", "b")
    assert list(portal_blocks(only_b)) == ["b"]
    assert "portal b (Hub ID 2002)" in only_b and "failed" in row_of(only_b, "contacts")


def scrape(client) -> list:
    response = client.get("/metrics")
    assert response.status_code == 200
    return [sample for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples]


def test_metrics_when_two_portals_then_every_series_labelled_by_portal(runs_in_each, client):
    samples = scrape(client)
    assert all("portal" in sample.labels for sample in samples)
    runs = {(s.labels["portal"], s.labels["object_type"], s.labels["status"]): s.value
            for s in samples if s.name == "hubspot_mirror_runs_total"}
    assert runs == {("a", "contacts", "success"): 1, ("b", "deals", "success"): 1,
                    ("b", "contacts", "failed"): 1}
    up = {s.labels["portal"]: s.value for s in samples if s.name == "hubspot_mirror_database_up"}
    assert up == {"default": 1, "a": 1, "b": 1}


def health(client) -> tuple[int, dict]:
    response = client.get("/health/", headers={"Authorization": f"Bearer {TOKEN}"})
    return response.status_code, response.json()


def test_health_when_only_the_second_portal_failed_then_503_naming_it(runs_in_each, client,
                                                                      settings):
    settings.METRICS_TOKEN = TOKEN
    status, body = health(client)
    assert status == 503 and body["status"] == "unhealthy"
    assert len(body["problems"]) == 1
    assert body["problems"][0].startswith("b: contacts: latest run failed")
    assert body["portals"]["a"]["problems"] == [] == body["portals"]["default"]["problems"]
    assert body["portals"]["a"]["types"]["contacts"]["state"] == "fresh"
    assert body["portals"]["b"]["types"]["contacts"]["state"] == "failed"

    with in_portal("b"):  # b's contacts sync again: every portal is green
        record_run("contacts", minutes_ago=0.5, created=1)
    assert health(client)[0] == 200


def schedule_output(*args: str) -> str:
    out = io.StringIO()
    call_command("setup_hubspot_schedule", *args, stdout=out)
    return out.getvalue()


def test_schedule_when_set_up_then_every_portals_tasks_in_the_main_database(runs_in_each):
    schedule_output()
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    for prefix in ("hubspot:", "hubspot [a]:", "hubspot [b]:"):
        assert {e.name.replace("hubspot:", prefix, 1) for e in DEFAULT_SCHEDULE} <= names
    assert len(names) == 3 * len(DEFAULT_SCHEDULE)
    a_incremental = PeriodicTask.objects.get(name="hubspot [a]: incremental sync")
    assert json.loads(a_incremental.kwargs) == {"command": "sync_hubspot_all", "portal": "a"}
    implicit = PeriodicTask.objects.get(name=INCREMENTAL_TASK_NAME)
    assert "portal" not in json.loads(implicit.kwargs)
    with in_portal("a"):  # nothing in the portal's own beat tables, which beat never reads
        assert not PeriodicTask.objects.exists()
        # ... and a's status reads its own tasks from the main database
        assert {task.name for task in beat_tasks()} == {
            e.name.replace("hubspot:", "hubspot [a]:", 1) for e in DEFAULT_SCHEDULE
            if e.enabled}
        contacts = next(row for row in type_statuses() if row.object_type == "contacts")
        assert contacts.next_run is not None

    again = schedule_output("--portal", "b")
    assert again.count("kept:") == len(DEFAULT_SCHEDULE) and "[a]" not in again
    assert PeriodicTask.objects.count() == 3 * len(DEFAULT_SCHEDULE)

    # Removing a portal removes its tasks (beat would go on starting runs of a portal gone).
    removed = io.StringIO()
    call_command("hubspot_portal", "remove", "b", stdout=removed)
    assert f"Removed its {len(DEFAULT_SCHEDULE)} scheduled task(s)." in removed.getvalue()
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert len(names) == 2 * len(DEFAULT_SCHEDULE) and not any("[b]" in n for n in names)
