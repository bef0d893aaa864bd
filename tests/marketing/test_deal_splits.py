"""sync_hubspot_deal_splits: every mirrored deal's splits, read by batches of deal ids each run,
a split HubSpot no longer reports archived; 403 skips (docs/hubspot-api.md#deal-splits)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from sync_commands import run_command, run_failing
from upstream import requests_by_path

from ingestion.models import HubSpotDeal, HubSpotDealSplit, SyncHistory
from ingestion.sync.hubspot.engines.deal_splits import _every_deal_read
from ingestion.sync.hubspot.errors import HubSpotMalformedReplyError
from ingestion.sync.hubspot.replies import Listing

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

READ = "/crm/v3/objects/deals/splits/batch/read"
DATED_READ = "/deal-splits/2026-03/batch/read"


def splits(*flags: str) -> dict[str, int]:
    return run_command("sync_hubspot_deal_splits", *flags)["deal_splits"]


def upstream_splits(api, deal_ids: list[str]) -> dict[str, dict]:
    reply = api.post(READ, json={"inputs": [{"id": i} for i in deal_ids]}).json()
    return {s["id"]: {**s, "deal": d["id"]} for d in reply["results"] for s in d["splits"]}


@pytest.fixture
def deals(hubspot) -> list[str]:
    run_command("sync_hubspot_deals", "--skip-associations")
    return list(HubSpotDeal.objects.filter(archived=False).values_list("pk", flat=True))


@pytest.mark.usefixtures("api_family")
def test_first_run_when_synced_then_every_split_of_every_deal_stored(hubspot, api, deals):
    counts = splits()
    path = DATED_READ if hubspot_dated() else READ
    assert requests_by_path(hubspot)[path] == 2  # the access probe, then one batch (< 100)
    upstream = upstream_splits(api, deals)
    assert counts["created"] == len(upstream) == HubSpotDealSplit.objects.count() > 0
    for split in HubSpotDealSplit.objects.all():
        properties = upstream[split.id]["properties"]
        assert split.deal_id == upstream[split.id]["deal"]
        assert split.owner_id == properties["hubspot_owner_id"]
        assert split.percentage == Decimal(properties["hs_deal_split_percentage"])
        assert split.created_at is not None and split.raw["id"] == split.id
    by_deal: dict[str, Decimal] = {}
    for split in HubSpotDealSplit.objects.all():
        by_deal[split.deal_id] = by_deal.get(split.deal_id, Decimal(0)) + split.percentage
    assert set(by_deal.values()) == {Decimal(1)}


def hubspot_dated() -> bool:
    from django.conf import settings

    return settings.HUBSPOT_API_VERSION != "legacy"


def test_split_replaced_upstream_when_synced_again_then_old_archived_new_created(
        hubspot, api, deals):
    splits()
    deal = HubSpotDealSplit.objects.order_by("deal_id").first().deal_id
    owner = HubSpotDealSplit.objects.filter(deal_id=deal).order_by("id").first().owner_id
    before = set(HubSpotDealSplit.objects.filter(deal_id=deal).values_list("id", flat=True))
    api.post("/crm/v3/objects/deals/splits/batch/upsert", json={"inputs": [
        {"id": deal, "splits": [{"ownerId": owner, "percentage": 1}]}]}).raise_for_status()
    counts = splits()
    assert (counts["created"], counts["archived"]) == (1, len(before))
    live = HubSpotDealSplit.objects.filter(deal_id=deal, archived=False)
    assert [(s.owner_id, s.percentage) for s in live] == [(owner, Decimal(1))]
    assert not live.filter(id__in=before).exists()
    assert counts["skipped"] == HubSpotDealSplit.objects.filter(archived=False).count() - 1


def test_unchanged_when_synced_again_then_skipped_force_overwrite_and_dry_run(hubspot, deals):
    first = splits("--dry-run")
    assert first["created"] > 0 and not HubSpotDealSplit.objects.exists()
    splits()
    assert splits()["skipped"] == first["created"]
    assert splits("--force-overwrite")["overwritten"] == first["created"]


def test_scope_missing_when_synced_then_exit_77_skipped_nothing_recorded(hubspot, deals):
    hubspot.control.deny_scopes(["crm.dealsplits.read_write"])
    error, _ = run_failing("sync_hubspot_deal_splits")
    assert error.returncode == 77 and "no access" in str(error)
    assert not SyncHistory.objects.filter(object_type="deal_splits").exists()


def test_malformed_splits_when_synced_then_each_fails_alone_rest_saved(hubspot, monkeypatch):
    from ingestion.sync.hubspot.engines import deal_splits as engine_module

    def captured(self, since):  # what a hostile reply could hold, past the envelope check
        yield [("7", {"id": "1", "properties": {"hs_deal_split_percentage": "0.5",
                                                "hubspot_owner_id": "41029301"}}),
               ("7", {"properties": {}}), ("7", "text"),
               ("7", {"id": "2", "properties": {"hs_deal_split_percentage": "half"}}),
               ("7", {"id": "3"})]

    monkeypatch.setattr(engine_module.HubSpotDealSplitSyncEngine, "pages", captured)
    error, _ = run_failing("sync_hubspot_deal_splits")
    assert error.returncode == 3  # partial: some records failed
    assert list(HubSpotDealSplit.objects.values_list("id", "deal_id")) == [("1", "7")]
    errors = SyncHistory.objects.get().errors.all()
    reasons = {e.object_id: e.reason for e in errors}
    assert "not a number" in reasons["2"] and "without properties" in reasons["3"]
    assert "of deal 7 without an id" in reasons[""] and len(errors) == 4


@pytest.mark.parametrize("answer", [[{"id": "1"}], [{"splits": []}], ["x"],
                                    [{"id": "1", "splits": None}]])
def test_deal_answer_without_its_splits_when_checked_then_malformed_never_no_splits(answer):
    with pytest.raises(HubSpotMalformedReplyError):
        _every_deal_read(Listing(results=answer))
    _every_deal_read(Listing(results=[{"id": "1", "splits": []}]))  # no splits: fine


def test_typed_view_when_synced_then_columns_typed_without_raw(hubspot, deals):
    splits()
    run_command("build_hubspot_views")
    with connection.cursor() as cursor:
        cursor.execute("SELECT deal_id, SUM(percentage) FROM hubspot_deal_split_v "
                       "GROUP BY deal_id")
        sums = cursor.fetchall()
        described = [c.name for c in connection.introspection.get_table_description(
            cursor, "hubspot_deal_split_v")]
    assert sums and all(abs(float(total) - 1) < 1e-9 for _deal, total in sums)
    assert "raw" not in described and "owner_id" in described
