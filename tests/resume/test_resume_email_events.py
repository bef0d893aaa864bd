"""Resume (issue 28) of email events, the largest marketing source: a first read stopped by
HubSpot unreachable (503 past every retry) continues on the next run below the oldest event
its committed pages reached (`endTimestamp`), without reading the newer pages again, and the
table then holds every event once (engines/email_events.py)."""

from __future__ import annotations

import pytest
from sync_commands import run_command, run_failing
from upstream import requests_by_path

from ingestion.models import HubSpotEmailEvent, SyncCheckpoint, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

EVENTS = 5000  # five pages of 1,000
EVENTS_PATH = "/email/public/v1/events"


def event_requests(hubspot) -> int:
    return sum(requests_by_path(hubspot, lambda path: path.startswith(EVENTS_PATH)).values())


def test_first_read_stopped_then_rerun_reads_only_the_older_pages(hubspot):
    hubspot.control.reset(contacts=10, email_events=EVENTS, rate_limit="none")
    before = event_requests(hubspot)
    run_command("sync_hubspot_email_events", "--batch-size", "1000")
    full_run = event_requests(hubspot) - before
    HubSpotEmailEvent.objects.all().delete()
    SyncHistory.objects.all().delete()

    # the probe and three pages, then HubSpot unreachable
    hubspot.control.set_faults(script=[{"kind": "pass"}] * 4 + [{"kind": "503"}] * 100,
                               match={"path_prefix": EVENTS_PATH})
    try:
        error, _ = run_failing("sync_hubspot_email_events", "--batch-size", "1000")
    finally:
        hubspot.control.clear_faults()
    assert "503" in str(error) or "HubSpot" in str(error)
    checkpoint = SyncCheckpoint.objects.get(object_type="email_events")
    assert 0 < checkpoint.records == HubSpotEmailEvent.objects.count() < EVENTS

    before = event_requests(hubspot)
    run = run_command("sync_hubspot_email_events", "--batch-size", "1000")
    resumed = event_requests(hubspot) - before

    assert "resumed the full read begun" in run.out
    print(f"email events: full run {full_run} requests, resumed {resumed}")
    # the committed pages are not read again (the last millisecond's events are: at most
    # one page more)
    assert resumed <= full_run - checkpoint.records // 1000 + 1 < full_run
    assert run["email_events"]["created"] == EVENTS - checkpoint.records
    assert HubSpotEmailEvent.objects.count() == EVENTS
    assert not SyncCheckpoint.objects.exists()
