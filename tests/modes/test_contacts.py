"""sync_hubspot_contacts end to end: the seed's flag matrix against the emulator over HTTP."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ingestion.models import HubSpotContact, SyncError, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("api_family")]


@pytest.fixture(autouse=True)
def _read_ends_by_family(api_family, settings):
    """Full runs on the dated family read from both ends (two_ended.py), on the legacy one
    by the list alone: every mode is tested both ways without running the module twice."""
    settings.HUBSPOT_TWO_ENDED_READS = api_family != "legacy"
    settings.HUBSPOT_TWO_ENDED_MIN_RECORDS = 0  # the test portals are small


def sync(*flags: str) -> dict[str, int]:
    out = io.StringIO()
    call_command("sync_hubspot_contacts", *flags, stdout=out, stderr=io.StringIO())
    line = out.getvalue().strip().splitlines()[-1]
    assert line.startswith("contacts: fetched=")
    return {k: int(v) for k, v in (p.split("=") for p in line.split()[1:8])}


def now_ms() -> int:
    return int(time.time() * 1000)


def live_ids() -> list[str]:
    return list(HubSpotContact.objects.filter(archived=False).values_list("pk", flat=True))


def upstream_total(hubspot) -> tuple[int, int]:
    """(live, archived) contact counts as HubSpot reports them, read via the client."""
    from ingestion.sync.hubspot.connection import client_from_settings

    with client_from_settings() as client:
        live = sum(len(p) for p in client.list_pages("contacts", ["email"]))
        archived = sum(len(p) for p in client.list_pages("contacts", ["email"], archived=True))
    return live, archived


def test_no_watermark_when_default_run_then_full_sync_of_live_and_archived(hubspot):
    live, archived = upstream_total(hubspot)
    counts = sync()
    assert counts["fetched"] == counts["created"] == live + archived
    assert counts["archived"] == archived
    assert HubSpotContact.objects.filter(archived=False).count() == live
    run = SyncHistory.objects.get()
    assert (run.mode, run.status, run.watermark is not None) == ("full", "success", True)


def test_watermark_when_default_run_after_upstream_change_then_only_recent_records_fetched(
        hubspot):
    sync()
    changed = live_ids()[:3]
    for object_id in changed:
        hubspot.control.update("contacts", object_id, {"firstname": "Changed"})
    counts = sync()
    assert counts["updated"] == 3 and counts["created"] == 0
    live, _ = upstream_total(hubspot)
    assert counts["fetched"] < live  # incremental: not the whole portal
    assert set(HubSpotContact.objects.filter(firstname="Changed").values_list("pk", flat=True)) \
        == set(changed)
    assert SyncHistory.objects.order_by("-id").first().mode == "incremental"


def test_silent_upstream_change_when_full_then_skipped_but_full_force_overwrite_replaces(hubspot):
    sync("--full")
    target = live_ids()[0]
    hubspot.control.update("contacts", target, {"firstname": "Silent"}, touch=False)
    counts = sync("--full")
    assert counts["updated"] == 0 and counts["skipped"] == counts["fetched"]
    assert HubSpotContact.objects.get(pk=target).firstname != "Silent"
    counts = sync("--full", "--force-overwrite", "--noinput")
    assert counts["overwritten"] == counts["fetched"] and counts["skipped"] == 0
    assert HubSpotContact.objects.get(pk=target).firstname == "Silent"


def test_since_when_given_then_only_records_modified_at_or_after_it_and_force_replaces(hubspot):
    sync("--full")
    hubspot.control.set_clock(now_ms())
    target = live_ids()[1]
    hubspot.control.update("contacts", target, {"lastname": "Recent"})
    since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 60))
    counts = sync("--since", since)
    assert (counts["fetched"], counts["updated"]) == (1, 1)
    HubSpotContact.objects.filter(pk=target).update(phone="local edit")
    counts = sync("--since", since)
    assert (counts["fetched"], counts["skipped"]) == (1, 1)
    assert HubSpotContact.objects.get(pk=target).phone == "local edit"
    counts = sync("--since", since, "--force-overwrite", "--noinput")
    assert (counts["fetched"], counts["overwritten"]) == (1, 1)
    row = HubSpotContact.objects.get(pk=target)
    assert row.lastname == "Recent" and row.phone != "local edit"


def test_watermark_when_force_overwrite_alone_then_recent_records_replaced(hubspot):
    sync()
    target = live_ids()[2]
    hubspot.control.update("contacts", target, {"firstname": "Fresh"})
    HubSpotContact.objects.filter(pk=target).update(email="edited@local")
    counts = sync("--force-overwrite", "--noinput")
    assert counts["overwritten"] >= 1 and counts["skipped"] == 0
    assert HubSpotContact.objects.get(pk=target).email != "edited@local"


def test_property_cleared_upstream_when_synced_then_null_locally(hubspot):
    sync()
    target = HubSpotContact.objects.filter(phone__isnull=False, archived=False).first()
    hubspot.control.update("contacts", target.pk, {"phone": ""})
    sync()
    row = HubSpotContact.objects.get(pk=target.pk)
    assert row.phone is None and not row.properties.get("phone")


def test_dry_run_when_forced_full_then_every_table_identical(hubspot):
    sync()
    hubspot.control.update("contacts", live_ids()[0], {"firstname": "X"})
    before = (list(HubSpotContact.objects.order_by("pk").values()),
              list(SyncHistory.objects.values()), list(SyncError.objects.values()))
    counts = sync("--full", "--force-overwrite", "--dry-run")
    assert counts["overwritten"] == counts["fetched"] > 0
    after = (list(HubSpotContact.objects.order_by("pk").values()),
             list(SyncHistory.objects.values()), list(SyncError.objects.values()))
    assert after == before


def test_max_records_when_set_then_stops_there_and_leaves_watermark(hubspot):
    counts = sync("--full", "--max-records", "7", "--batch-size", "3")
    assert counts["fetched"] == 7 and HubSpotContact.objects.count() == 7
    assert SyncHistory.objects.get().watermark is None


def test_every_property_when_synced_then_custom_ones_land_in_properties(hubspot):
    sync("--full")
    from ingestion.sync.hubspot.connection import client_from_settings

    with client_from_settings() as client:
        names = set(client.property_names("contacts"))
    row = HubSpotContact.objects.filter(archived=False).first()
    assert names <= set(row.properties)


def test_malformed_records_when_synced_then_sync_errors_rest_saved_exit_code_3(hubspot):
    sync("--full")
    ids = live_ids()
    hubspot.control.put_raw("contacts", ids[0], {"id": ids[0], "properties": None})
    hubspot.control.put_raw("contacts", ids[1], {"id": ids[1], "properties": {},
                                                 "updatedAt": "garbage"})
    HubSpotContact.objects.all().delete()
    with pytest.raises(CommandError) as raised:
        sync("--full")
    assert raised.value.returncode == 3
    assert set(SyncError.objects.values_list("object_id", flat=True)) == {ids[0], ids[1]}
    assert HubSpotContact.objects.count() == len(ids) - 2 + HubSpotContact.objects.filter(
        archived=True).count()
    last = SyncHistory.objects.order_by("-id").first()
    assert last.status == "partial" and last.watermark is None


@pytest.mark.parametrize("flags, message", [
    (["--batch-size", "0"], "--batch-size"),
    (["--since", "last tuesday"], "--since"),
    (["--full", "--since", "2025-01-01"], "--full and --since"),
    (["--max-records", "0"], "--max-records"),
])
def test_bad_flags_when_given_then_command_error_naming_the_flag(hubspot, flags, message):
    with pytest.raises(CommandError, match=message):
        sync(*flags)
    assert not SyncHistory.objects.exists()


def test_bad_token_when_syncing_then_clear_error_nothing_written_run_recorded(hubspot, settings):
    settings.HUBSPOT_ACCESS_TOKEN = "pat-na1-wrong"
    with pytest.raises(CommandError, match="refused the access token") as raised:
        sync("--full")
    assert "pat-na1-wrong" not in str(raised.value)
    assert not HubSpotContact.objects.exists()
    run = SyncHistory.objects.get()  # a cron user sees the failed run and why
    assert run.status == "failed" and "401" in run.error_message and run.watermark is None
    assert "pat-na1-wrong" not in run.error_message


def test_missing_token_when_syncing_then_command_error(hubspot, settings):
    settings.HUBSPOT_ACCESS_TOKEN = ""
    with pytest.raises(CommandError, match="HUBSPOT_ACCESS_TOKEN"):
        sync()


def test_20_percent_faults_when_full_sync_then_every_record_saved_exactly_once(hubspot):
    hubspot.control.reset(contacts=1500, seed=7)
    live, archived = upstream_total(hubspot)
    hubspot.control.set_faults(rate=0.2, kinds=["429", "500", "502", "503", "504"], seed=3)
    counts = sync("--full", "--batch-size", "100")
    stats = hubspot.control.stats()
    hubspot.control.clear_faults()
    assert stats["faults_injected"] > 5
    assert counts["created"] == counts["fetched"] == live + archived
    assert HubSpotContact.objects.count() == live + archived
    assert SyncHistory.objects.get().status == "success"


def test_server_keeps_failing_when_syncing_then_run_failed_watermark_untouched(
        hubspot, settings, paths):
    settings.HUBSPOT_MAX_ATTEMPTS = 2
    sync()
    first = SyncHistory.objects.get().watermark
    hubspot.control.set_faults(rate=1.0, kinds=["503"],
                               match={"path_prefix": paths.objects("contacts")})
    with pytest.raises(CommandError, match="HubSpot sync failed"):
        sync("--full")
    hubspot.control.clear_faults()
    failed = SyncHistory.objects.order_by("-id").first()
    assert failed.status == "failed" and failed.watermark is None
    from ingestion.base.history import last_watermark
    assert last_watermark("contacts") == first


@pytest.mark.parametrize("api_family", ["2026-09"], indirect=True)  # a search-paging matter
def test_more_than_10000_records_in_one_millisecond_when_incremental_then_all_read_once(hubspot):
    hubspot.control.reset(contacts=10_400, seed=5)
    # Records only: the 10,400 contacts' links are not what this is about (and cost most).
    sync("--full", "--skip-associations")
    instant = now_ms()
    hubspot.control.touch("contacts", count=10_200, modified_ms=instant)
    counts = sync("--skip-associations")
    touched = HubSpotContact.objects.filter(updated_at__gte=_dt(instant))
    assert touched.count() == 10_200
    assert counts["updated"] == 10_200
    assert counts["fetched"] == counts["updated"] + counts["skipped"]


def _dt(ms: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def test_skip_associations_when_set_then_records_synced_and_links_left_alone(hubspot):
    from ingestion.models import HubSpotAssociation

    counts = sync("--full", "--skip-associations")
    assert counts["created"] > 0 and not HubSpotAssociation.objects.exists()
    sync("--full")
    linked = HubSpotAssociation.objects.filter(from_object_type="contacts")
    assert linked.filter(to_object_type="companies").exists()
    before = set(linked.values_list("pk", flat=True))
    sync("--full", "--force-overwrite", "--skip-associations", "--noinput")
    assert set(linked.values_list("pk", flat=True)) == before


def test_merge_upstream_when_incremental_then_merged_away_ids_archived_survivor_created(hubspot):
    import httpx

    sync("--full")
    first, second = live_ids()[:2]
    answer = httpx.post(f"{hubspot.url}/crm/v3/objects/contacts/merge",
                        headers={"Authorization": f"Bearer {hubspot.token}"},
                        json={"primaryObjectId": first, "objectIdToMerge": second})
    survivor = answer.raise_for_status().json()["id"]
    counts = sync()
    assert counts["created"] >= 1
    assert HubSpotContact.objects.get(pk=survivor).archived is False
    assert all(HubSpotContact.objects.get(pk=i).archived for i in (first, second))
