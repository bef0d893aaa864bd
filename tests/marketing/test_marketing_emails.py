"""sync_hubspot_marketing_emails: every marketing email, live and archived, with its
statistics counters, read incrementally by update time (engines/marketing_emails.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from sync_commands import run_command, run_failing
from upstream import listing

from ingestion.models import HubSpotMarketingEmail, SyncError, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

EMAILS = "/marketing/v3/emails"


def upstream(api) -> list[dict]:
    params = {"includeStats": "true"}
    return [*listing(api, EMAILS, params), *listing(api, EMAILS, {**params, "archived": "true"})]


@pytest.mark.usefixtures("api_family")
def test_portal_when_synced_then_live_and_archived_emails_with_their_counters(hubspot, api):
    counts = run_command("sync_hubspot_marketing_emails")["marketing_emails"]
    emails = upstream(api)
    assert counts["created"] == len(emails) == HubSpotMarketingEmail.objects.count() == 14
    for email in emails:
        row = HubSpotMarketingEmail.objects.get(pk=email["id"])
        counters = email["stats"]["counters"]
        assert row.raw == email and row.statistics == email["stats"]
        assert (row.name, row.subject, row.state, row.campaign) == (
            email["name"], email["subject"], email["state"], email.get("campaign"))
        assert (row.sent, row.delivered, row.opens, row.clicks, row.bounces) == (
            counters["sent"], counters["delivered"], counters["open"], counters["click"],
            counters["bounce"])
        assert (row.unsubscribes, row.spam_reports) == (counters["unsubscribed"],
                                                        counters["spamreport"])
        assert row.archived == email["archived"] and (row.archived_at is None) != row.archived
        assert (row.published_at is None) == (email["state"] == "DRAFT")


def test_email_changed_when_synced_again_then_only_it_read_and_updated(hubspot, api):
    run_command("sync_hubspot_marketing_emails")
    hubspot.control.marketing_email("100000002", subject="Changed", counters={"open": 999})
    counts = run_command("sync_hubspot_marketing_emails")["marketing_emails"]
    # Read from the watermark (the newest live email saved) minus the lookback: the changed
    # email and the few updated since, not the older ones.
    assert counts["updated"] == 1 and counts["created"] == 0 and counts["fetched"] < 14 / 2
    row = HubSpotMarketingEmail.objects.get(pk="100000002")
    assert (row.subject, row.opens) == ("Changed", 999)
    assert SyncHistory.objects.filter(object_type="marketing_emails").latest("pk").mode == \
        "incremental"
    hubspot.control.marketing_email("100000003", archived=True)  # archiving is an update too
    assert run_command("sync_hubspot_marketing_emails")["marketing_emails"]["updated"] == 1
    assert HubSpotMarketingEmail.objects.get(pk="100000003").archived


def test_force_overwrite_and_dry_run_when_rows_edited_locally_then_replaced_or_untouched(
        hubspot):
    dry = run_command("sync_hubspot_marketing_emails", "--dry-run")["marketing_emails"]
    assert dry["created"] == 14 and not HubSpotMarketingEmail.objects.exists()
    run_command("sync_hubspot_marketing_emails")
    HubSpotMarketingEmail.objects.filter(pk="100000001").update(name="edited", opens=-1)
    run_command("sync_hubspot_marketing_emails")  # normal save: unchanged upstream, kept
    assert HubSpotMarketingEmail.objects.get(pk="100000001").name == "edited"
    forced = run_command("sync_hubspot_marketing_emails", "--full", "--force-overwrite",
                         "--noinput")
    assert forced["marketing_emails"]["overwritten"] == 14
    row = HubSpotMarketingEmail.objects.get(pk="100000001")
    assert row.name == "Email 2" and row.opens >= 0


def test_malformed_email_when_synced_then_it_fails_alone_with_its_id(hubspot, api):
    good = api.get(f"{EMAILS}/100000000", params={"includeStats": "true"}).json()
    bad = {**good, "id": "777", "stats": {"counters": {"sent": "many"}}}
    hubspot.control.set_faults(script=[{"kind": "pass"}, {"kind": "body", "body": {
        "total": 2, "results": [good, bad]}}], match={"path_prefix": EMAILS})
    error, run = run_failing("sync_hubspot_marketing_emails")
    assert error.returncode == 3 and run["marketing_emails"]["failed"] == 1
    reason = SyncError.objects.get(object_type="marketing_emails", object_id="777").reason
    assert "counter 'sent' is not a whole number" in reason
    assert HubSpotMarketingEmail.objects.filter(pk="100000000").exists()
    assert HubSpotMarketingEmail.objects.filter(archived=True).count() == 2
    assert not HubSpotMarketingEmail.objects.filter(pk="777").exists()


def test_no_statistics_when_email_has_none_then_counters_null(hubspot):
    hubspot.control.set_faults(script=[{"kind": "pass"}, {"kind": "body", "body": {
        "total": 1, "results": [{"id": "5", "name": "Bare", "archived": False}]}}],
        match={"path_prefix": EMAILS})
    run_command("sync_hubspot_marketing_emails")
    row = HubSpotMarketingEmail.objects.get(pk="5")
    assert row.statistics is None and row.sent is None and row.opens is None


def test_synced_when_verified_and_viewed_then_live_count_matches_and_view_typed(hubspot):
    run_command("sync_hubspot_marketing_emails")
    run = run_command("verify_hubspot", "--types", "marketing_emails")
    row = next(line for line in run.out.splitlines() if line.startswith("marketing_emails "))
    assert row.split()[1:5] == ["12", "12", "0", "0"]  # archived emails are not counted
    run_command("build_hubspot_views")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, sent, opens, published_at FROM hubspot_marketing_email_v "
                       "WHERE NOT archived AND sent > 0 ORDER BY id")
        rows = cursor.fetchall()
        described = [c.name for c in connection.introspection.get_table_description(
            cursor, "hubspot_marketing_email_v")]
    assert len(rows) == HubSpotMarketingEmail.objects.filter(archived=False, sent__gt=0).count()
    assert rows and isinstance(rows[0][1], int) and "raw" not in described


def test_since_when_given_then_emails_changed_from_that_day_read(hubspot, api):
    run_command("sync_hubspot_marketing_emails", "--since", "2025-09-01")
    expected = {e["id"] for e in upstream(api) if e["updatedAt"] >= "2025-09-01"}
    assert set(HubSpotMarketingEmail.objects.values_list("pk", flat=True)) == expected
    assert 0 < len(expected) < 14
