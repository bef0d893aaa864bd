"""sync_hubspot_email_events and sync_hubspot_email_campaigns: HubSpot's legacy email
analytics API mirrored by event key (created ms + id) and campaign id
(docs/hubspot-api.md#email-events)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from email_clients import (
    airbyte_campaigns,
    airbyte_email_events,
    singer_campaigns,
    singer_email_events,
)
from sync_all_types import keep_only
from sync_commands import run_command, run_failing
from upstream import listing

from hubspot_emulator.email_events import START_MS
from hubspot_emulator.timeutil import FIXED_EPOCH_MS
from ingestion.models import HubSpotEmailCampaign, HubSpotEmailEvent, SyncError, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

EVENTS = "/email/public/v1/events"


def upstream_events(api) -> list[dict]:
    return listing(api, EVENTS, {"limit": 1000}, key="events")


def key(event: dict) -> str:
    return f"{event['created']}:{event['id']}"


def stored_keys() -> set[str]:
    return set(HubSpotEmailEvent.objects.values_list("id", flat=True))


def test_portal_when_events_synced_then_every_event_by_key_with_its_columns(hubspot, api):
    counts = run_command("sync_hubspot_email_events")["email_events"]
    upstream = upstream_events(api)
    assert counts["created"] == len(upstream) == HubSpotEmailEvent.objects.count() == 400
    assert stored_keys() == {key(e) for e in upstream}
    by_type = {e["type"]: e for e in upstream}
    click = HubSpotEmailEvent.objects.get(pk=key(by_type["CLICK"]))
    assert (click.event_type, click.url, click.recipient, click.email_campaign_id) == (
        "CLICK", by_type["CLICK"]["url"], by_type["CLICK"]["recipient"],
        by_type["CLICK"]["emailCampaignId"])
    assert click.sent_by_id == by_type["CLICK"]["sentBy"]["id"]
    assert click.browser == by_type["CLICK"]["browser"] and click.raw == by_type["CLICK"]
    assert click.created_at == click.updated_at == datetime.fromtimestamp(
        by_type["CLICK"]["created"] / 1000, UTC)
    bounce = HubSpotEmailEvent.objects.get(pk=key(by_type["BOUNCE"]))
    assert (bounce.bounce_category, bounce.status) == (by_type["BOUNCE"]["category"],
                                                       by_type["BOUNCE"]["status"])
    dropped = HubSpotEmailEvent.objects.get(pk=key(by_type["DROPPED"]))
    assert dropped.drop_reason == by_type["DROPPED"]["dropReason"]
    change = HubSpotEmailEvent.objects.get(pk=key(by_type["STATUSCHANGE"]))
    assert change.subscriptions == by_type["STATUSCHANGE"]["subscriptions"]
    assert change.subscription_status == by_type["STATUSCHANGE"]["portalSubscriptionStatus"]


def test_malformed_event_when_synced_then_it_alone_fails_with_key_and_reason(hubspot, api):
    hubspot.control.add_email_events([
        {"type": "OPEN", "created": START_MS + 5, "id": "bad-campaign",
         "fields": {"emailCampaignId": "not a number"}},
        {"type": "OPEN", "created": START_MS + 6, "id": "bad-created",
         "fields": {"created": "yesterday"}}])
    _, run = run_failing("sync_hubspot_email_events")
    assert run["email_events"]["created"] == 400 and run["email_events"]["failed"] == 2
    failures = dict(SyncError.objects.values_list("object_id", "reason"))
    assert "emailCampaignId is not an integer" in failures[f"{START_MS + 5}:bad-campaign"]
    assert "created is not epoch milliseconds" in failures[":bad-created"]


def test_late_event_when_incremental_within_lookback_then_saved_once(hubspot, api):
    run_command("sync_hubspot_email_events")
    newest = max(e["created"] for e in upstream_events(api))
    late, fresh = hubspot.control.add_email_events([
        {"type": "OPEN", "created": newest - 60_000},  # arrived late, inside the lookback
        {"type": "CLICK", "created": newest + 60_000}])
    counts = run_command("sync_hubspot_email_events")["email_events"]
    assert counts["created"] == 2 and counts["updated"] == 0
    assert HubSpotEmailEvent.objects.count() == 402
    assert {key(late), key(fresh)} <= stored_keys()
    again = run_command("sync_hubspot_email_events")["email_events"]
    assert again["created"] == 0 and HubSpotEmailEvent.objects.count() == 402


def test_force_overwrite_when_rows_edited_then_hubspot_values_back(hubspot):
    run_command("sync_hubspot_email_events")
    HubSpotEmailEvent.objects.update(recipient="edited@example.com")
    counts = run_command("sync_hubspot_email_events", "--full", "--force-overwrite",
                         "--noinput")["email_events"]
    assert counts["overwritten"] == 400
    assert not HubSpotEmailEvent.objects.filter(recipient="edited@example.com").exists()


def test_dry_run_when_synced_then_would_be_counts_and_nothing_written(hubspot):
    run = run_command("sync_hubspot_email_events", "--dry-run")
    assert run["email_events"]["created"] == 400
    assert not HubSpotEmailEvent.objects.exists()


def test_max_records_when_set_then_exactly_that_many_and_watermark_kept(hubspot):
    counts = run_command("sync_hubspot_email_events", "--max-records", "150")["email_events"]
    assert counts["created"] == 150 == HubSpotEmailEvent.objects.count()
    counts = run_command("sync_hubspot_email_events")["email_events"]
    assert counts["created"] == 250 and HubSpotEmailEvent.objects.count() == 400


def test_campaigns_when_synced_then_every_campaign_with_its_counters(hubspot, api):
    counts = run_command("sync_hubspot_email_campaigns")["email_campaigns"]
    assert counts["created"] == 4 == HubSpotEmailCampaign.objects.count()
    for campaign in HubSpotEmailCampaign.objects.all():
        detail = api.get(f"/email/public/v1/campaigns/{campaign.id}").json()
        assert campaign.counters == detail["counters"] and campaign.name == detail["name"]
        assert (campaign.sent, campaign.opened, campaign.clicked) == (
            detail["counters"]["sent"], detail["counters"]["open"], detail["counters"]["click"])
        assert campaign.last_activity == campaign.updated_at is not None
    assert run_command("sync_hubspot_email_campaigns")["email_campaigns"]["skipped"] == 4
    hubspot.control.add_email_events([{"type": "OPEN", "emailCampaignId": int(campaign.id)}])
    again = run_command("sync_hubspot_email_campaigns")["email_campaigns"]
    assert (again["updated"], again["skipped"]) == (1, 3)  # its activity time moved
    assert HubSpotEmailCampaign.objects.get(pk=campaign.pk).opened == campaign.opened + 1


def test_mirror_when_synced_then_same_ids_as_singer_and_airbyte_read(hubspot, api):
    run_command("sync_hubspot_email_events")
    run_command("sync_hubspot_email_campaigns")
    for read in (singer_email_events(api, START_MS, FIXED_EPOCH_MS),
                 airbyte_email_events(api, START_MS, FIXED_EPOCH_MS)):
        assert {key(e) for e in read} == stored_keys()
    campaigns = set(HubSpotEmailCampaign.objects.values_list("id", flat=True))
    for read in (singer_campaigns(api), airbyte_campaigns(api)):
        assert {str(c["id"]) for c in read} == campaigns


@pytest.mark.parametrize("command", ["sync_hubspot_email_events",
                                     "sync_hubspot_email_campaigns"])
def test_scope_missing_when_syncing_then_exit_77_and_no_run_recorded(hubspot, command):
    hubspot.control.deny_scopes(["content"])
    error, _ = run_failing(command)
    assert error.returncode == 77 and "no access" in str(error)
    assert not SyncHistory.objects.exists()


def test_scope_missing_when_sync_all_then_email_sources_skipped_others_run(hubspot, monkeypatch):
    keep_only(monkeypatch, "contacts", "email_campaigns", "email_events", "workflows")
    hubspot.control.deny_scopes(["content"])
    run = run_command("sync_hubspot_all")
    rows = {line.split()[0]: line for line in run.out.splitlines() if line.strip()}
    assert rows["email_events"].endswith("skipped (no access)")
    assert rows["email_campaigns"].endswith("skipped (no access)")
    assert run["contacts"]["created"] > 0
    assert not HubSpotEmailEvent.objects.exists() and not HubSpotEmailCampaign.objects.exists()
    skipped = SyncHistory.objects.filter(object_type__in=["email_events", "email_campaigns"])
    assert sorted(skipped.values_list("status", flat=True)) == ["skipped", "skipped"]


def test_malformed_page_when_synced_then_run_fails_and_nothing_read_as_data(hubspot):
    no_events = {"hasMore": True, "offset": "MQ=="}  # more, but no `events` at all
    hubspot.control.set_faults(script=[{"kind": "body", "body": no_events}] * 10,
                               match={"method": "GET", "path_prefix": EVENTS})
    error, _ = run_failing("sync_hubspot_email_events")
    assert "malformed" in str(error)
    assert not HubSpotEmailEvent.objects.exists()
    assert SyncHistory.objects.get(object_type="email_events").watermark is None
    hubspot.control.clear_faults()
    assert run_command("sync_hubspot_email_events")["email_events"]["created"] == 400


def test_since_when_given_to_campaigns_then_usage_error_before_any_run(hubspot):
    error, _ = run_failing("sync_hubspot_email_campaigns", "--since", "2025-06-01")
    assert error.returncode == 2 and not SyncHistory.objects.exists()


def test_typed_views_when_built_then_events_and_campaigns_typed_without_raw(hubspot):
    run_command("sync_hubspot_email_events")
    run_command("sync_hubspot_email_campaigns")
    run_command("build_hubspot_views")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM hubspot_email_event_v WHERE event_type = 'OPEN'")
        opens = cursor.fetchone()[0]
        described = [c.name for c in connection.introspection.get_table_description(
            cursor, "hubspot_email_campaign_v")]
    assert opens == HubSpotEmailEvent.objects.filter(event_type="OPEN").count() > 0
    assert "raw" not in described and "opened" in described
