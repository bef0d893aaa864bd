"""sync_hubspot_subscription_types, _changes and _statuses (docs/modes.md#subscriptions):
the types read whole, the change timeline incrementally with the lookback, each contact's
statuses for every stored contact (full) or the recipients of new changes (incremental)."""

from __future__ import annotations

import pytest
from django.db import connection
from sync_commands import run_command, run_failing
from upstream import listing, requests_by_path

from ingestion.models import (
    HubSpotSubscriptionChange,
    HubSpotSubscriptionStatus,
    HubSpotSubscriptionType,
    SyncError,
    SyncHistory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

TIMELINE = "/email/public/v1/subscriptions/timeline"
BATCH_READ = "/communication-preferences/v4/statuses/batch/read"
MARKETING = 101_001


def upstream_changes(api) -> list[tuple[str, int, dict]]:
    return [(e["recipient"], e["timestamp"], c)
            for e in listing(api, TIMELINE, {"limit": 1000}, key="timeline")
            for c in e["changes"]]


def upstream_statuses(api, emails: list[str]) -> dict[str, str]:
    read = api.post(BATCH_READ, params={"channel": "EMAIL"}, json={"inputs": emails}).json()
    return {f"{s['subscriberIdString'].lower()}:{s['subscriptionId']}": s["status"]
            for r in read["results"] for s in r["statuses"]}


def contact_emails(api) -> list[str]:
    rows = listing(api, "/crm/v3/objects/contacts", {"limit": 100, "properties": "email"})
    return [r["properties"]["email"] for r in rows if r["properties"].get("email")]


def batch_reads(hubspot) -> int:
    return requests_by_path(hubspot, lambda path: path.endswith("/statuses/batch/read")).total()


@pytest.mark.usefixtures("api_family")
def test_types_when_synced_then_every_definition_in_either_family(hubspot, api):
    counts = run_command("sync_hubspot_subscription_types")["subscription_types"]
    upstream = api.get("/communication-preferences/v3/definitions").json()[
        "subscriptionDefinitions"]
    assert counts["created"] == len(upstream) == HubSpotSubscriptionType.objects.count() == 5
    for one in upstream:
        row = HubSpotSubscriptionType.objects.get(pk=one["id"])
        assert (row.name, row.purpose, row.is_active, row.is_default, row.is_internal) == (
            one["name"], one["purpose"], one["isActive"], one["isDefault"], one["isInternal"])
    assert run_command("sync_hubspot_subscription_types")["subscription_types"]["skipped"] == 5


def test_portal_when_changes_and_statuses_synced_then_mirror_matches_hubspot(hubspot, api):
    run_command("sync_hubspot_contacts")
    changes = run_command("sync_hubspot_subscription_changes")["subscription_changes"]
    upstream = upstream_changes(api)
    assert changes["created"] == len(upstream) == HubSpotSubscriptionChange.objects.count()
    recipient, _, change = next(u for u in upstream if "causedByEvent" in u[2])
    saved = HubSpotSubscriptionChange.objects.get(recipient=recipient,
                                                  caused_by_event_id=change["causedByEvent"]["id"])
    assert (saved.change, saved.change_type, saved.source) == (
        change["change"], change["changeType"], change["source"])
    assert saved.occurred_at.timestamp() * 1000 == change["causedByEvent"]["created"]

    statuses = run_command("sync_hubspot_subscription_statuses")["subscription_statuses"]
    assert batch_reads(hubspot) == 2  # the probe, and 40 contacts in one request of 100
    expected = upstream_statuses(api, contact_emails(api))
    stored = dict(HubSpotSubscriptionStatus.objects.values_list("pk", "status"))
    assert statuses["created"] == len(expected) > 0 and stored == expected

    run_command("build_hubspot_views")  # the analysts' question: who unsubscribed, when
    with connection.cursor() as cursor:
        cursor.execute("SELECT s.email, c.occurred_at FROM hubspot_subscription_status_v s "
                       "JOIN hubspot_subscription_change_v c ON c.recipient = s.email "
                       "AND c.subscription_id = s.subscription_id AND c.change = s.status "
                       "WHERE s.status = 'UNSUBSCRIBED'")
        unsubscribed = cursor.fetchall()
    assert len(unsubscribed) == list(expected.values()).count("UNSUBSCRIBED") > 0


def test_changes_when_synced_again_then_incremental_with_lookback_and_no_duplicates(hubspot,
                                                                                   api):
    run_command("sync_hubspot_subscription_changes")
    total = HubSpotSubscriptionChange.objects.count()
    email = contact_emails(api)[0]
    hubspot.control.subscription_change(email, MARKETING, "UNSUBSCRIBED")
    again = run_command("sync_hubspot_subscription_changes")["subscription_changes"]
    assert again["created"] == 1 and again["fetched"] < total
    assert HubSpotSubscriptionChange.objects.count() == total + 1
    assert SyncHistory.objects.filter(
        object_type="subscription_changes").latest("pk").mode == "incremental"
    run_command("sync_hubspot_subscription_changes", "--full")  # all again: nothing new
    assert HubSpotSubscriptionChange.objects.count() == total + 1


def test_status_changed_upstream_when_incremental_runs_then_it_lands_reading_only_it(hubspot,
                                                                                      api):
    run_command("sync_hubspot_contacts")
    run_command("sync_hubspot_subscription_changes")
    run_command("sync_hubspot_subscription_statuses")
    email = contact_emails(api)[2]
    hubspot.control.subscription_change(email, MARKETING, "UNSUBSCRIBED")
    before = batch_reads(hubspot)
    run_command("sync_hubspot_subscription_changes")
    counts = run_command("sync_hubspot_subscription_statuses")["subscription_statuses"]
    row = HubSpotSubscriptionStatus.objects.get(pk=f"{email.lower()}:{MARKETING}")
    assert row.status == "UNSUBSCRIBED" and row.source == "SOURCE_RECIPIENT"
    assert batch_reads(hubspot) - before == 2  # the probe, and the few recipients
    assert counts["fetched"] < 10


def test_force_overwrite_when_status_edited_locally_then_restored(hubspot, api):
    run_command("sync_hubspot_contacts")
    run_command("sync_hubspot_subscription_statuses")
    edited = HubSpotSubscriptionStatus.objects.order_by("pk").first()
    HubSpotSubscriptionStatus.objects.filter(pk=edited.pk).update(status="EDITED")
    run_command("sync_hubspot_subscription_statuses", "--full")  # normal save: left alone
    assert HubSpotSubscriptionStatus.objects.get(pk=edited.pk).status == "EDITED"
    forced = run_command("sync_hubspot_subscription_statuses", "--full", "--force-overwrite",
                         "--noinput")["subscription_statuses"]
    assert forced["overwritten"] == HubSpotSubscriptionStatus.objects.count()
    assert HubSpotSubscriptionStatus.objects.get(pk=edited.pk).status == edited.status


def test_dry_run_when_nothing_stored_then_would_be_counts_and_nothing_written(hubspot, api):
    dry = run_command("sync_hubspot_subscription_changes", "--dry-run")["subscription_changes"]
    assert dry["created"] == len(upstream_changes(api)) > 0
    assert not HubSpotSubscriptionChange.objects.exists()


@pytest.mark.parametrize(("command", "scope"), [
    ("sync_hubspot_subscription_types", "communication_preferences.read"),
    ("sync_hubspot_subscription_changes", "content"),
    ("sync_hubspot_subscription_statuses", "communication_preferences.statuses.batch.read")])
def test_scope_missing_when_syncing_then_exit_77_and_no_run_recorded(hubspot, command, scope):
    hubspot.control.deny_scopes([scope])
    error, _ = run_failing(command)
    assert error.returncode == 77 and "no access" in str(error)
    assert not SyncHistory.objects.exists()


def test_malformed_timeline_item_when_synced_then_it_fails_alone(hubspot, api):
    hubspot.control.subscription_timeline_raw({"recipient": 42, "timestamp": "soon",
                                               "changes": [{"change": "SUBSCRIBED"}]})
    error, run = run_failing("sync_hubspot_subscription_changes")
    counts = run["subscription_changes"]
    assert counts["failed"] == 1 and "failed and were not saved" in str(error)
    assert counts["created"] == HubSpotSubscriptionChange.objects.count() == len(
        upstream_changes(api)) - 1
    failure = SyncError.objects.get(object_type="subscription_changes")
    assert failure.object_id == "42@soon" and "recipient" in failure.reason


def test_types_when_a_row_is_lost_then_verify_counts_it_missing_and_fix_restores(hubspot):
    # The definitions come whole in one answer: its length is HubSpot's count of them.
    run_command("sync_hubspot_subscription_types")
    assert run_command("verify_hubspot", "--types", "subscription_types")
    HubSpotSubscriptionType.objects.filter(pk="101002").delete()
    error, run = run_failing("verify_hubspot", "--types", "subscription_types")
    row = next(line for line in run.out.splitlines() if line.startswith("subscription_types "))
    assert error.returncode == 4 and row.split()[1:5] == ["5", "4", "1", "0"]
    run_command("verify_hubspot", "--types", "subscription_types", "--fix")
    assert HubSpotSubscriptionType.objects.count() == 5


def test_batch_read_naming_an_input_in_errors_when_full_run_then_it_fails_and_is_not_swept(
        hubspot, api):
    run_command("sync_hubspot_contacts")
    run_command("sync_hubspot_subscription_statuses")
    stored = HubSpotSubscriptionStatus.objects.count()
    emails = sorted({email.lower() for email in contact_emails(api)})
    unread = HubSpotSubscriptionStatus.objects.order_by("pk").first().email
    answer = api.post(BATCH_READ, params={"channel": "EMAIL"},
                      json={"inputs": [e for e in emails if e != unread]}).json()
    answer["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                         "message": "could not read", "context": {"ids": [unread]}}]
    hubspot.control.set_faults(script=[{"kind": "pass"}, {"kind": "body", "body": answer}],
                               match={"method": "POST", "path_prefix": BATCH_READ})
    error, run = run_failing("sync_hubspot_subscription_statuses", "--full")
    assert run["subscription_statuses"]["failed"] == 1 and "failed" in str(error)
    failure = SyncError.objects.get(object_type="subscription_statuses")
    assert failure.object_id == unread and "OBJECT_NOT_FOUND" in failure.reason
    live = HubSpotSubscriptionStatus.objects.filter(archived=False)
    assert live.count() == stored and live.filter(email=unread).exists()  # no sweep
