"""/metrics: Prometheus text computed from sync_history at scrape time; a token if set."""

from __future__ import annotations

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from sync_commands import run_command

from ingestion.models import QuarantinedRecord, SyncHistory

from .outage import database_unreachable

pytestmark = pytest.mark.django_db(transaction=True)


def unlabelled(labels: dict) -> tuple:
    """The labels but the implicit portal's (every series has one: tests/ops/test_portals.py)."""
    return tuple(sorted((k, v) for k, v in labels.items() if (k, v) != ("portal", "default")))


def scrape(client, **headers) -> dict[tuple, float]:
    """Every sample as {(name, (label pairs...)): value}."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {(sample.name, unlabelled(sample.labels)): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def sample(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_metrics_when_runs_happen_then_counts_and_times_follow(hubspot, client):
    before = scrape(client)
    assert sample(before, "hubspot_mirror_database_up") == 1
    assert sample(before, "hubspot_mirror_webhook_events_pending") == 0
    assert sample(before, "hubspot_mirror_runs_total", object_type="contacts", mode="full",
                  status="success") is None

    run_command("sync_hubspot_contacts", "--full")
    first = scrape(client)
    assert sample(first, "hubspot_mirror_runs_total", object_type="contacts", mode="full",
                  status="success") == 1
    assert sample(first, "hubspot_mirror_last_success_records", object_type="contacts",
                  mode="full", outcome="created") == 40
    finished = sample(first, "hubspot_mirror_last_success_timestamp_seconds",
                      object_type="contacts", mode="full")
    assert abs(finished - timezone.now().timestamp()) < 60
    assert sample(first, "hubspot_mirror_last_run_duration_seconds", object_type="contacts",
                  mode="full", status="success") >= 0

    run_command("sync_hubspot_contacts", "--full")
    second = scrape(client)
    assert sample(second, "hubspot_mirror_runs_total", object_type="contacts", mode="full",
                  status="success") == 2
    assert sample(second, "hubspot_mirror_last_success_records", object_type="contacts",
                  mode="full", outcome="created") == 0
    assert sample(second, "hubspot_mirror_last_success_records", object_type="contacts",
                  mode="full", outcome="skipped") == 40


def test_metrics_when_records_quarantined_then_counted_by_type(client):
    now = timezone.now()
    for object_id, quarantined_at in (("1", now), ("2", now), ("3", None)):
        QuarantinedRecord.objects.create(object_type="deals", object_id=object_id, reason="bad",
                                         first_failed_at=now, last_failed_at=now,
                                         quarantined_at=quarantined_at)
    assert sample(scrape(client), "hubspot_mirror_quarantined_records", object_type="deals") == 2


def test_metrics_when_token_set_then_required_and_compared_exactly(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    refused = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-x"})
    assert refused.status_code == 401 and b"scrape-secret" not in refused.content
    samples = scrape(client, Authorization="Bearer scrape-secret")
    assert sample(samples, "hubspot_mirror_database_up") == 1


def test_metrics_when_database_unreachable_then_scraped_with_database_up_0(client):
    with database_unreachable():
        samples = scrape(client)
    assert samples == {("hubspot_mirror_database_up", ()): 0}


def test_metrics_when_a_run_is_in_progress_then_a_gauge_not_the_counter(client):
    SyncHistory.objects.create(object_type="deals", mode="incremental",
                               started_at=timezone.now())
    samples = scrape(client)
    assert sample(samples, "hubspot_mirror_runs_running", object_type="deals",
                  mode="incremental") == 1
    assert not [key for key in samples if key[0] == "hubspot_mirror_runs_total"]


def test_run_when_synced_then_its_requests_and_429s_by_endpoint_class_are_recorded_and_exposed(
        hubspot, client):
    hubspot.control.set_faults(script=[{"kind": "429"}], seconds=0)
    run_command("sync_hubspot_contacts", "--full")
    details = SyncHistory.objects.get(object_type="contacts").details
    assert details["requests"] == sum(details["requests_by_class"].values()) > 0
    assert {"list", "associations", "definitions"} <= set(details["requests_by_class"])
    assert details["rate_limited"] == 1 and sum(details["rate_limited_by_class"].values()) == 1
    samples = {(s.name, s.labels.get("endpoint")): s.value
               for family in text_string_to_metric_families(client.get("/metrics").text)
               for s in family.samples if s.labels.get("object_type") == "contacts"}
    assert samples[("hubspot_mirror_last_run_requests", "list")] == details[
        "requests_by_class"]["list"]
    assert sum(v for (name, _), v in samples.items()
               if name == "hubspot_mirror_last_run_rate_limited") == 1


def test_daily_budget_when_hubspot_reports_it_then_remaining_use_and_reserve_exposed(
        hubspot, client, settings):
    hubspot.control.set_rate_limit("pro", daily_limit=1_000)
    run_command("sync_hubspot_owners")
    details = SyncHistory.objects.get(object_type="owners").details
    assert details["daily_limit"] == 1_000 and 0 < details["daily_remaining"] < 1_000
    samples = scrape(client)
    assert sample(samples, "hubspot_mirror_rate_budget_daily_remaining") == details[
        "daily_remaining"]
    assert sample(samples, "hubspot_mirror_rate_budget_daily_used_ratio") == pytest.approx(
        1 - details["daily_remaining"] / 1_000)
    assert sample(samples, "hubspot_mirror_rate_budget_reserve_reached") == 0
    settings.HUBSPOT_DAILY_RESERVE_PERCENT = 99.9  # what is left is inside the reserve
    assert sample(scrape(client), "hubspot_mirror_rate_budget_reserve_reached") == 1
