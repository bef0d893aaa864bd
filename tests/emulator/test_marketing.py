"""Marketing emails (with statistics) and marketing campaigns (with assets and budget): paths
in both families, bodies, paging, limits, scopes and the control operations
(hubspot_emulator/marketing.py; BEHAVIOR.md "Marketing sources")."""

from __future__ import annotations

import pytest
from upstream import listing

from hubspot_emulator.marketing import EMAILS_SEEDED
from hubspot_emulator.timeutil import FIXED_EPOCH_MS

EMAILS = "/marketing/v3/emails"
EMAILS_DATED = "/marketing/emails/2026-03"
CAMPAIGNS = "/marketing/v3/campaigns"
CAMPAIGNS_DATED = "/marketing/campaigns/2026-03"
COUNTERS = {"sent", "delivered", "open", "click", "bounce", "unsubscribed", "spamreport"}


def campaigns(api, prefix: str = CAMPAIGNS, **params) -> list[dict]:
    return listing(api, prefix, {"properties": "hs_name,hs_start_date,hs_end_date", **params})


# -- marketing emails --------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", [EMAILS, EMAILS_DATED])
def test_emails_when_paged_then_total_every_live_email_once_and_archived_apart(api, prefix):
    first = api.get(prefix, params={"limit": 5}).json()
    live = listing(api, prefix, {"limit": 5})
    archived = listing(api, prefix, {"archived": "true"})
    assert first["total"] == len(live) == EMAILS_SEEDED - 2 and len(first["results"]) == 5
    assert first["paging"]["next"]["after"]
    assert len({e["id"] for e in live}) == len(live)
    assert [e["archived"] for e in archived] == [True, True] and all(e["deletedAt"]
                                                                       for e in archived)
    assert not {e["id"] for e in archived} & {e["id"] for e in live}


def test_emails_when_stats_included_then_each_email_has_its_counters(api):
    plain = api.get(EMAILS).json()["results"]
    with_stats = api.get(EMAILS, params={"includeStats": "true"}).json()["results"]
    assert all("stats" not in e for e in plain)
    for email in with_stats:
        counters = email["stats"]["counters"]
        assert set(counters) >= COUNTERS and all(isinstance(v, int) for v in counters.values())
        assert (counters["sent"] > 0) == (email["state"] == "PUBLISHED")
    assert len({e["stats"]["counters"]["sent"] for e in with_stats}) > 2  # not all alike


def test_emails_when_updated_after_then_only_emails_changed_since(api, emulator):
    emulator.control.set_clock(FIXED_EPOCH_MS)
    changed = emulator.control.marketing_email("100000003", subject="Changed")
    after = "2025-12-31T00:00:00Z"
    found = listing(api, EMAILS_DATED, {"updatedAfter": after, "includeStats": "true"})
    assert [e["id"] for e in found] == ["100000003"] and changed["subject"] == "Changed"
    assert found[0]["updatedAt"] == "2026-01-01T00:00:00.000Z"
    assert api.get(EMAILS, params={"updatedAfter": "2026-01-01T00:00:00Z"}).json()["total"] == 0


def test_emails_when_limit_cursor_or_time_bad_then_400(api):
    assert api.get(EMAILS, params={"limit": 1001}).status_code == 400
    assert api.get(EMAILS, params={"limit": 0}).status_code == 400
    assert api.get(EMAILS, params={"after": "not-base64!"}).status_code == 400
    assert api.get(EMAILS, params={"updatedAfter": "yesterday"}).status_code == 400
    assert api.get(EMAILS, params={"sort": "subject"}).status_code == 400


def test_email_when_read_by_id_then_it_or_404_and_archived_only_when_asked(api):
    assert api.get(f"{EMAILS}/100000001").json()["name"] == "Email 2"
    assert api.get(f"{EMAILS}/999").status_code == 404
    archived = f"{EMAILS}/{100_000_000 + EMAILS_SEEDED - 1}"
    assert api.get(archived).status_code == 404
    assert api.get(archived, params={"archived": "true"}).json()["archived"] is True


def test_statistics_when_listed_then_one_aggregate_per_span_not_per_email(api):
    both = api.get(f"{EMAILS_DATED}/statistics/list",
                   params=[("emailIds", "100000000"), ("emailIds", "100000001")]).json()
    one = api.get(f"{EMAILS}/statistics/list", params={"emailIds": "100000000"}).json()
    assert set(both) == {"aggregate", "campaignAggregations", "emails"}
    assert both["emails"] == [100000000, 100000001]
    email = api.get(f"{EMAILS}/100000000", params={"includeStats": "true"}).json()
    assert one["aggregate"]["counters"] == email["stats"]["counters"]
    assert both["aggregate"]["counters"]["sent"] > one["aggregate"]["counters"]["sent"]
    empty = api.get(f"{EMAILS}/statistics/list", params={"endTimestamp": "2000-01-01T00:00:00Z"})
    assert empty.json()["emails"] == [] and empty.json()["aggregate"]["counters"]["sent"] == 0


# -- campaigns ---------------------------------------------------------------------------------

def test_campaigns_when_listed_then_total_sorted_by_name_with_properties_asked(api):
    page = api.get(CAMPAIGNS, params={"limit": 2, "properties": "hs_name"}).json()
    every = campaigns(api, limit=2)
    names = [c["properties"]["hs_name"] for c in every]
    assert page["total"] == len(every) == 4 and names == sorted(names, key=str.lower)
    assert set(page["results"][0]["properties"]) == {"hs_name"}
    assert set(every[0]["properties"]) == {"hs_name", "hs_start_date", "hs_end_date"}
    assert api.get(CAMPAIGNS).json()["results"][0]["properties"] == {}
    newest = campaigns(api, sort="-createdAt")
    assert [c["createdAt"] for c in newest] == sorted((c["createdAt"] for c in newest),
                                                      reverse=True)
    assert api.get(CAMPAIGNS, params={"limit": 101}).status_code == 400


def test_campaign_when_read_then_assets_name_its_marketing_emails_and_forms(api):
    emails = {e["id"]: e for e in listing(api, EMAILS)}
    forms = {f["id"] for f in listing(api, "/marketing/v3/forms")}
    linked = 0
    for campaign in campaigns(api, CAMPAIGNS_DATED):
        assets = api.get(f"{CAMPAIGNS_DATED}/{campaign['id']}").json()["assets"]
        for asset in assets.get("MARKETING_EMAIL", {}).get("results", []):
            assert asset["id"] not in emails or emails[asset["id"]]["campaign"] == campaign["id"]
            linked += 1
        assert {a["id"] for a in assets.get("FORM", {}).get("results", [])} <= forms
    assert linked >= len(emails) - 3  # every email but the ones without a campaign


def test_assets_when_paged_by_type_then_every_asset_once_and_type_checked(api):
    guid = next(c["id"] for c in campaigns(api) if c["properties"]["hs_name"] == "Spring launch")
    paged = listing(api, f"{CAMPAIGNS}/{guid}/assets/MARKETING_EMAIL", {"limit": 1})
    inline = api.get(f"{CAMPAIGNS}/{guid}").json()["assets"]["MARKETING_EMAIL"]["results"]
    assert paged == inline and len(paged) >= 2
    assert listing(api, f"{CAMPAIGNS}/{guid}/assets/LANDING_PAGE") == []
    assert api.get(f"{CAMPAIGNS}/{guid}/assets/NOPE").status_code == 400
    assert api.get(f"{CAMPAIGNS}/not-a-guid").status_code == 404


def test_budget_when_read_then_items_and_totals_that_add_up(api):
    by_name = {c["properties"]["hs_name"]: c["id"] for c in campaigns(api)}
    spring = api.get(f"{CAMPAIGNS_DATED}/{by_name['Spring launch']}/budget/totals").json()
    none = api.get(f"{CAMPAIGNS}/{by_name['Customer newsletter']}/budget/totals").json()
    assert spring["budgetTotal"] == sum(i["amount"] for i in spring["budgetItems"]) == 7500
    assert spring["spendTotal"] == 3100 and spring["remainingBudget"] == 4400
    assert spring["currencyCode"] == "USD" and isinstance(spring["budgetItems"][0]["createdAt"],
                                                          int)
    assert none["budgetItems"] == [] and none["budgetTotal"] == 0


# -- scopes and control ------------------------------------------------------------------------

def test_scopes_when_missing_then_403_naming_the_marketing_scopes(api, emulator):
    emulator.control.set_token_scopes(["marketing-email"])
    assert api.get(EMAILS).status_code == 200
    refused = api.get(CAMPAIGNS_DATED)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["context"]["requiredGranularScopes"] == [
        "marketing.campaigns.read"]
    emulator.control.set_token_scopes(["marketing.campaigns.read"])
    assert api.get(f"{EMAILS_DATED}/statistics/list").status_code == 403
    assert api.get(CAMPAIGNS).status_code == 200


def test_control_when_campaign_and_email_added_then_listed_and_related(api, emulator):
    made = emulator.control.campaign(name="Autumn push", budget=[100, 50], spend=[30])
    emulator.control.marketing_email("555", name="Autumn", campaign=made["id"],
                                     counters={"sent": 10, "open": 4})
    assert made["budget"]["budgetTotal"] == 150 and made["budget"]["remainingBudget"] == 120
    email = api.get(f"{EMAILS}/555", params={"includeStats": "true"}).json()
    assert email["campaign"] == made["id"] and email["stats"]["counters"]["open"] == 4
    assets = api.get(f"{CAMPAIGNS}/{made['id']}").json()["assets"]["MARKETING_EMAIL"]
    assert assets["results"] == [{"id": "555", "name": "Autumn"}]
    emulator.control.marketing_email("555", archived=True)
    assert "555" in {e["id"] for e in listing(api, EMAILS, {"archived": "true"})}
    with pytest.raises(RuntimeError):
        emulator.control.marketing_email("556", campaign="no-such-campaign")


def test_control_when_campaign_deleted_then_gone(api, emulator):
    guid = campaigns(api)[0]["id"]
    assert emulator.control.campaign(guid, delete=True) == {"id": guid, "deleted": True}
    assert guid not in {c["id"] for c in campaigns(api)}
    assert api.get(f"{CAMPAIGNS}/{guid}").status_code == 404
    with pytest.raises(RuntimeError):
        emulator.control.campaign(guid, delete=True)
