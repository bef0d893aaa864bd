"""Property history: deal and lifecycle stages by default (HUBSPOT_STAGE_HISTORY), others on
request (`--with-history`, HUBSPOT_PROPERTY_HISTORY): every version of those properties, for
the records changed in the run, stored once."""

from __future__ import annotations

import math
import time
from datetime import timedelta

import pytest
from sync_all_types import keep_only
from sync_commands import run_command, run_failing
from upstream import requests_by_path

from ingestion.models import (
    HubSpotContact,
    HubSpotDeal,
    HubSpotPropertyHistory,
    HubSpotViewColumn,
    SyncHistory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

BATCH_READ = "/crm/v3/objects/contacts/batch/read"


def live_contact_ids(n: int) -> list[str]:
    return list(HubSpotContact.objects.filter(archived=False).order_by("pk")
                .values_list("pk", flat=True)[:n])


def history_of(object_id: str) -> list[tuple]:
    return list(HubSpotPropertyHistory.objects.filter(object_id=object_id)
                .order_by("timestamp").values_list("property", "value", "source_type"))


def with_history() -> set[str]:
    return set(HubSpotPropertyHistory.objects.values_list("object_id", flat=True))


@pytest.fixture
def mirrored(hubspot, settings):
    # What is asked for, alone: the stages' default history is tested below.
    settings.HUBSPOT_STAGE_HISTORY = False
    run_command("sync_hubspot_contacts", "--skip-associations")  # no history asked yet
    assert not HubSpotPropertyHistory.objects.exists()
    return hubspot


@pytest.fixture
def window(mirrored, settings) -> set[str]:
    """Records the next run reads again anyway: modified within the lookback before the
    watermark (their history is read too; stored once)."""
    watermark = SyncHistory.objects.latest("pk").records_watermark
    since = watermark - timedelta(seconds=settings.HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS)
    return set(HubSpotContact.objects.filter(updated_at__gte=since, archived=False)
               .values_list("pk", flat=True))


def test_incremental_when_history_asked_then_versions_of_changed_records_only(mirrored,
                                                                             window):
    changed = live_contact_ids(3)
    for stage in ("lead", "opportunity"):
        for object_id in changed:
            mirrored.control.update("contacts", object_id, {"lifecyclestage": stage})
    run_command("sync_hubspot_contacts", "--skip-associations",
                "--with-history", "lifecyclestage")
    stored = HubSpotPropertyHistory.objects.all()
    assert with_history() - window == set(changed) and len(window) < 5
    assert set(stored.values_list("property", "object_type").distinct()) == {
        ("lifecyclestage", "contacts")}
    versions = history_of(changed[0])
    assert [v[1] for v in versions][-2:] == ["lead", "opportunity"]  # oldest first here
    assert versions[-1][2] == "CRM_UI"
    newest = stored.filter(object_id=changed[0]).latest("timestamp")
    assert newest.updated_by_user_id == 8300001 and newest.source_id == "userId:8300001"


def test_history_when_read_again_then_nothing_added_twice(mirrored):
    [object_id] = live_contact_ids(1)
    mirrored.control.update("contacts", object_id, {"lifecyclestage": "customer"})
    run_command("sync_hubspot_contacts", "--skip-associations", "--with-history",
                "lifecyclestage")
    first = HubSpotPropertyHistory.objects.count()
    assert first >= 1
    run_command("sync_hubspot_contacts", "--skip-associations", "--since",
                f"{HubSpotPropertyHistory.objects.latest('timestamp').timestamp:%Y-%m-%d}",
                "--with-history", "lifecyclestage")  # the same change read again
    assert HubSpotPropertyHistory.objects.count() == first


def test_history_when_record_force_overwritten_then_kept(mirrored):
    [object_id] = live_contact_ids(1)
    mirrored.control.update("contacts", object_id, {"lifecyclestage": "evangelist"})
    run_command("sync_hubspot_contacts", "--skip-associations", "--with-history",
                "lifecyclestage")
    kept = history_of(object_id)
    run_command("sync_hubspot_contacts", "--full", "--force-overwrite", "--noinput",
                "--skip-associations")
    assert history_of(object_id) == kept and kept[-1][1] == "evangelist"


def test_history_when_many_records_changed_then_batches_of_at_most_50(mirrored):
    ids = live_contact_ids(120)
    mirrored.control.touch("contacts", ids=ids, modified_ms=int(time.time() * 1000))
    before, reads_before = mirrored.control.stats(), requests_by_path(mirrored)[BATCH_READ]
    run_command("sync_hubspot_contacts", "--skip-associations", "--with-history",
                "lifecyclestage,email")
    after = mirrored.control.stats()
    reads = requests_by_path(mirrored)[BATCH_READ] - reads_before
    assert reads == math.ceil(len(ids) / 50)  # the emulator answers 400 past 50 inputs
    assert after["by_status"].get("400", 0) == before["by_status"].get("400", 0)
    assert set(HubSpotPropertyHistory.objects.values_list("object_id", flat=True)) == set(ids)


def test_full_run_when_history_asked_then_only_records_changed_since_the_last_run(mirrored,
                                                                                  window):
    [object_id] = live_contact_ids(1)
    mirrored.control.update("contacts", object_id, {"lifecyclestage": "lead"})
    run_command("sync_hubspot_contacts", "--full", "--skip-associations", "--with-history",
                "lifecyclestage")
    assert with_history() - window == {object_id}


def test_first_run_when_history_asked_then_every_live_record(hubspot, settings):
    settings.HUBSPOT_STAGE_HISTORY = False  # lifecyclestage asked for, not by default
    run_command("sync_hubspot_contacts", "--skip-associations", "--with-history",
                "lifecyclestage")
    live = set(HubSpotContact.objects.filter(archived=False).values_list("pk", flat=True))
    with_history = set(HubSpotPropertyHistory.objects.values_list("object_id", flat=True))
    assert with_history <= live
    generated = {c.pk for c in HubSpotContact.objects.filter(archived=False)
                 if c.properties.get("lifecyclestage") is not None}
    assert generated <= with_history and generated


def test_history_when_property_unknown_then_clear_error_and_nothing_written(hubspot):
    error, _ = run_failing("sync_hubspot_contacts", "--with-history", "no_such_prop")
    assert "no_such_prop" in str(error) and "Traceback" not in str(error)
    assert not HubSpotPropertyHistory.objects.exists()


def test_setting_when_bare_name_then_every_type_defining_it_in_sync_all(hubspot, settings,
                                                                         monkeypatch):
    keep_only(monkeypatch, "companies", "contacts", "deals", "products")
    settings.HUBSPOT_PROPERTY_HISTORY = ("hubspot_owner_id",)
    run_command("sync_hubspot_all", "--skip-associations")
    kept = set(HubSpotPropertyHistory.objects.values_list("object_type", "property")
               .distinct())
    assert {("contacts", "hubspot_owner_id"), ("deals", "hubspot_owner_id"),
            ("companies", "hubspot_owner_id")} <= kept
    # ... besides the stages, kept by default by every type that has one.
    assert kept - {(t, "hubspot_owner_id") for t, _ in kept} == {
        ("deals", "dealstage"), ("contacts", "lifecyclestage"), ("companies", "lifecyclestage")}
    columns = set(HubSpotViewColumn.objects.filter(view_name="hubspot_deal_history_v")
                  .values_list("column_name", flat=True))
    assert columns == {"id", "valid_from", "valid_to", "is_current", "dealstage",
                       "hubspot_owner_id"}  # built by the run's properties sync


DEAL_READS = "/crm/v3/objects/deals/batch/read"


@pytest.mark.parametrize("stage_history", [True, False])
def test_stage_history_when_on_by_default_then_every_deals_stage_and_off_none(
        hubspot, settings, stage_history):
    settings.HUBSPOT_STAGE_HISTORY = stage_history
    run_command("sync_hubspot_properties")
    run_command("sync_hubspot_deals", "--skip-associations")
    live = set(HubSpotDeal.objects.filter(archived=False).values_list("pk", flat=True))
    kept = HubSpotPropertyHistory.objects.all()
    reads = requests_by_path(hubspot)[DEAL_READS]  # only history is read by batch here
    if stage_history:
        assert set(kept.values_list("object_id", flat=True)) == live
        assert set(kept.values_list("property", flat=True)) == {"dealstage"}
        assert reads == math.ceil(len(live) / 50)
    else:
        assert not kept.exists() and reads == 0
    views = set(HubSpotViewColumn.objects.values_list("view_name", flat=True))
    assert ("hubspot_deal_history_v" in views) == stage_history
    assert "hubspot_property_history_ranges_v" in views


def test_history_when_flag_combined_with_links_only_then_usage_error(hubspot):
    error, _ = run_failing("sync_hubspot_contacts", "--links-only", "--with-history",
                           "lifecyclestage")
    assert "--with-history" in str(error)
