"""sync_hubspot_campaigns: marketing campaigns read whole, each with its assets and its budget
and spend (engines/campaigns.py); a 403 on the budget alone leaves it empty, with a warning."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from sync_all_types import keep_only
from sync_commands import run_command, run_failing
from upstream import listing

from ingestion.models import HubSpotCampaign, HubSpotMarketingEmail, SyncError, SyncHistory
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.engines.campaigns import HubSpotCampaignSyncEngine
from ingestion.sync.hubspot.engines.marketing_emails import HubSpotMarketingEmailSyncEngine

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

CAMPAIGNS = "/marketing/v3/campaigns"


def by_name() -> dict[str, HubSpotCampaign]:
    return {c.name: c for c in HubSpotCampaign.objects.all()}


@pytest.mark.usefixtures("api_family")
def test_portal_when_synced_then_campaigns_with_dates_budget_and_assets(hubspot, api):
    counts = run_command("sync_hubspot_campaigns")["campaigns"]
    upstream = listing(api, CAMPAIGNS, {"properties": "hs_name,hs_start_date"})
    assert counts["created"] == len(upstream) == HubSpotCampaign.objects.count() == 4
    spring = by_name()["Spring launch"]
    assert (spring.budget_total, spring.spend_total, spring.remaining_budget) == (
        Decimal(7500), Decimal(3100), Decimal(4400))
    assert spring.currency_code == "USD" and spring.start_date < spring.end_date
    assert spring.budget["budgetItems"][0]["amount"] == 5000
    newsletter = by_name()["Customer newsletter"]
    assert newsletter.end_date is None and newsletter.budget_total == 0
    assert len(spring.assets["FORM"]) == 1 and spring.raw["properties"]["hs_name"] == spring.name
    run_command("sync_hubspot_marketing_emails")
    for campaign in HubSpotCampaign.objects.all():
        emails = set(HubSpotMarketingEmail.objects.filter(campaign=campaign.pk)
                     .values_list("pk", flat=True))
        assert set(campaign.assets.get("MARKETING_EMAIL", [])) == emails


def test_many_assets_when_synced_then_read_on_past_the_first_answer(hubspot):
    made = hubspot.control.campaign(name="Big")
    for k in range(12):  # more than the one-campaign answer holds (10)
        hubspot.control.marketing_email(str(900 + k), campaign=made["id"])
    run_command("sync_hubspot_campaigns")
    assert sorted(by_name()["Big"].assets["MARKETING_EMAIL"]) == [str(900 + k)
                                                                  for k in range(12)]


def test_budget_refused_when_synced_then_left_empty_with_a_warning(hubspot, api):
    guid = next(c["id"] for c in listing(api, CAMPAIGNS, {"properties": "hs_name"})
                if c["properties"]["hs_name"] == "Black Friday")
    hubspot.control.set_faults(script=[{"kind": "403"}],
                               match={"path_prefix": f"{CAMPAIGNS}/{guid}/budget"})
    run = run_command("sync_hubspot_campaigns")
    assert run["campaigns"]["created"] == 4 and run["campaigns"]["failed"] == 0
    friday = HubSpotCampaign.objects.get(pk=guid)
    assert friday.budget is None and friday.budget_total is None and friday.assets
    assert by_name()["Spring launch"].budget_total == 7500
    warning = SyncError.objects.get(object_type="campaigns", object_id=guid)
    assert warning.severity == "warning" and "HTTP 403" in warning.reason
    assert SyncHistory.objects.get(object_type="campaigns").status == "success"


def test_malformed_campaign_when_synced_then_it_fails_alone(hubspot, api):
    good = listing(api, CAMPAIGNS, {"properties": "hs_name"})[0]
    hubspot.control.set_faults(script=[{"kind": "pass"}, {"kind": "body", "body": {
        "total": 2, "results": [{"properties": {"hs_name": "no id"}}, good]}}],
        match={"path_prefix": CAMPAIGNS})
    error, run = run_failing("sync_hubspot_campaigns")
    assert error.returncode == 3 and run["campaigns"]["failed"] == 1
    assert "a campaign without an id" in SyncError.objects.get(object_type="campaigns").reason
    assert list(HubSpotCampaign.objects.values_list("pk", flat=True)) == [good["id"]]


def test_scopes_missing_when_sync_all_then_campaigns_and_emails_skipped(hubspot, monkeypatch):
    keep_only(monkeypatch, "contacts", "campaigns", "marketing_emails", "workflows")
    hubspot.control.deny_scopes(["marketing.campaigns.read", "content", "marketing-email",
                                 "transactional-email"])
    error, _ = run_failing("sync_hubspot_campaigns")
    assert error.returncode == 77 and "no access" in str(error)
    run = run_command("sync_hubspot_all")
    rows = {line.split()[0]: line for line in run.out.splitlines() if line.strip()}
    assert rows["campaigns"].endswith("skipped (no access)")
    assert rows["marketing_emails"].endswith("skipped (no access)")
    assert not HubSpotCampaign.objects.exists() and not HubSpotMarketingEmail.objects.exists()
    assert run["contacts"]["created"] > 0


@pytest.mark.usefixtures("api_family")
def test_upstream_totals_when_asked_then_hubspot_live_counts(hubspot):
    # verify_hubspot compares these with the mirror: the listings' `total`.
    hubspot.control.marketing_email(name="One more")
    with client_from_settings() as client:
        assert HubSpotCampaignSyncEngine(client=client).upstream_total() == 4
        assert HubSpotMarketingEmailSyncEngine(client=client).upstream_total() == 13


def test_rows_missing_when_verified_then_not_exact_and_fix_restores(hubspot):
    run_command("sync_hubspot_campaigns")
    run_command("build_hubspot_views")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, start_date, budget_total FROM hubspot_campaign_v "
                       "WHERE budget_total > 5000 ORDER BY name")
        assert [(r[0], Decimal(str(r[2]))) for r in cursor.fetchall()] == [
            ("Black Friday", 12000), ("Spring launch", 7500), ("Summer webinar series", 8000)]
    HubSpotCampaign.objects.filter(pk=by_name()["Black Friday"].pk).delete()
    error, run = run_failing("verify_hubspot", "--types", "campaigns")
    assert error.returncode == 4
    row = next(line for line in run.out.splitlines() if line.startswith("campaigns "))
    assert row.split()[1:5] == ["4", "3", "1", "0"]  # hubspot, local, missing, extra
    fixed = run_command("verify_hubspot", "--types", "campaigns", "--fix")
    assert "fixed" in fixed.out and HubSpotCampaign.objects.count() == 4


def test_campaign_deleted_upstream_when_synced_again_then_archived(hubspot):
    run_command("sync_hubspot_campaigns")
    gone = by_name()["Customer newsletter"].pk
    hubspot.control.campaign(gone, delete=True)
    counts = run_command("sync_hubspot_campaigns")["campaigns"]
    assert counts["archived"] == 1 and counts["skipped"] == 3
    assert HubSpotCampaign.objects.get(pk=gone).archived
    assert HubSpotCampaign.objects.filter(archived=False).count() == 3


@pytest.mark.parametrize(("command", "flag"), [("sync_hubspot_campaigns", "--since=2026-01-01"),
                                               ("sync_hubspot_marketing_emails",
                                                "--skip-associations")])
def test_flag_that_cannot_apply_when_given_then_usage_error_before_any_run(hubspot, command,
                                                                          flag):
    error, _ = run_failing(command, flag)
    assert error.returncode == 2 and not SyncHistory.objects.exists()
