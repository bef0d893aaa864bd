"""Modes at their edges: a links-less run and the watermark it may move, merges, dry runs
that write nothing whatever happens, and runs that fail before their first page."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from contacts_runs import (
    CONTACTS_LIST,
    contacts,
    contacts_failing,
    last_run,
    live_ids,
    snapshot,
    upstream_record,
    watermark,
)

from ingestion.models import HubSpotAssociation, HubSpotContact, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("few_attempts", "read_ends")]

HOUR_MS = 3_600_000


def now_ms() -> int:
    return int(time.time() * 1000)


def as_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def has_link(from_id: str, to_type: str, to_id: str) -> bool:
    return HubSpotAssociation.objects.filter(
        from_object_type="contacts", from_id=from_id, to_object_type=to_type,
        to_id=to_id).exists()


# -- 15. --skip-associations and the links watermark -------------------------------------------

def test_skip_associations_when_link_added_then_next_plain_run_reads_from_links_watermark(
        hubspot, api):
    contacts("--full")
    links_watermark = watermark()
    deal_id = api.get("/crm/v3/objects/deals", params={"limit": 1}).json()["results"][0]["id"]
    contact_id, later_id = sorted(live_ids() - {
        i for (i,) in HubSpotAssociation.objects.filter(
            from_object_type="contacts", to_object_type="deals", to_id=deal_id
        ).values_list("from_id")})[:2]
    api.put(f"/crm/v4/objects/contacts/{contact_id}/associations/default/deals/{deal_id}"
            ).raise_for_status()
    # The linked contact changed two hours ago; another one a minute ago, so the records
    # watermark of the links-less run ends far past the lookback window of the first change.
    now = now_ms()
    hubspot.control.touch("contacts", ids=[contact_id], modified_ms=now - 2 * HOUR_MS)
    hubspot.control.touch("contacts", ids=[later_id], modified_ms=now - 60_000)

    counts = contacts("--skip-associations")

    assert counts["updated"] == 2
    skipped = last_run()
    assert (skipped.mode, skipped.status) == ("incremental", "success")
    assert skipped.watermark is None
    assert skipped.records_watermark == as_datetime(now - 60_000)
    assert watermark() == links_watermark
    assert not has_link(contact_id, "deals", deal_id)

    counts = contacts()

    plain = last_run()
    assert plain.mode == "incremental" and plain.status == "success"
    assert counts["fetched"] >= 2 and counts["updated"] == 0
    assert has_link(contact_id, "deals", deal_id)  # read from the links watermark, not past it
    assert plain.watermark is not None and plain.watermark > links_watermark


# -- 16. merges --------------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [(), ("--full",)], ids=["incremental", "full"])
def test_contacts_merged_upstream_when_synced_then_merged_away_ids_archived_and_counted(
        hubspot, api, flags):
    contacts("--full")
    first, second = sorted(live_ids())[:2]
    survivor = api.post(f"{CONTACTS_LIST}/merge", json={
        "primaryObjectId": first, "objectIdToMerge": second}).raise_for_status().json()["id"]

    before = snapshot()
    dry = contacts(*flags, "--dry-run")
    assert dry["archived"] == 2 and dry["created"] == 1
    assert snapshot() == before  # counted, nothing written
    assert {first, second} <= live_ids() and not HubSpotContact.objects.filter(
        pk=survivor).exists()

    counts = contacts(*flags)

    assert counts["archived"] == 2 and counts["created"] == 1
    assert HubSpotContact.objects.get(pk=first).archived is True
    assert HubSpotContact.objects.get(pk=second).archived is True
    assert HubSpotContact.objects.get(pk=survivor).archived is False
    assert last_run().archived == 2


# -- 17. a dry run writes nothing --------------------------------------------------------------

def test_merges_poison_and_faults_when_dry_runs_then_not_one_row_of_any_table_changes(
        hubspot, api):
    contacts("--full")
    ids = sorted(live_ids())
    survivor = api.post(f"{CONTACTS_LIST}/merge", json={
        "primaryObjectId": ids[0], "objectIdToMerge": ids[1]}).raise_for_status().json()["id"]
    api.patch(f"{CONTACTS_LIST}/{ids[2]}",
              json={"properties": {"firstname": "Changed"}}).raise_for_status()
    api.post(f"{CONTACTS_LIST}/gdpr-delete", json={"objectId": ids[3]}).raise_for_status()
    api.delete(f"{CONTACTS_LIST}/{ids[4]}").raise_for_status()
    hubspot.control.touch("contacts", ids=ids[5:7], modified_ms=now_ms())
    poison = upstream_record(api, ids[5], "email", "lastmodifieddate")
    poison["createdAt"] = "garbage"
    hubspot.control.put_raw("contacts", ids[5], poison)
    repaired = upstream_record(api, ids[6], "firstname", "lastmodifieddate")
    repaired["properties"]["firstname"] = "Nu\u0000l"
    hubspot.control.put_raw("contacts", ids[6], repaired)
    before = snapshot()
    assert before["sync_history"] and before["hubspot_association"]

    hubspot.control.set_faults(script=[{"kind": "500"}, {"kind": "pass"},
                                       {"kind": "empty_object"}, {"kind": "pass"},
                                       {"kind": "429"}])
    error, run = contacts_failing("--dry-run")  # the poison record fails: partial
    assert error.returncode == 3 and hubspot.control.stats()["faults_injected"] == 3
    assert run["contacts"]["archived"] >= 2 and run["contacts"]["created"] == 1
    assert snapshot() == before

    error, run = contacts_failing("--full", "--force-overwrite", "--noinput", "--dry-run")
    assert error.returncode == 3 and run["contacts"]["overwritten"] > 30
    assert snapshot() == before

    for _ in range(3):  # what would quarantine the poison record in real runs
        contacts_failing("--dry-run")
    hubspot.control.set_faults(rate=1.0, kinds=["503"],
                               match={"path_prefix": CONTACTS_LIST})
    error, _ = contacts_failing("--full", "--dry-run")  # fatal
    assert error.returncode == 1
    assert snapshot() == before
    assert not HubSpotContact.objects.filter(pk=survivor).exists()


# -- 18. runs that fail before the first page ---------------------------------------------------

@pytest.mark.parametrize("failure", ["refused-token", "closed-port"])
def test_no_usable_answer_when_run_starts_then_failed_run_recorded_with_its_error(
        hubspot, settings, failure):
    if failure == "refused-token":
        settings.HUBSPOT_ACCESS_TOKEN = "pat-na1-00000000-1111-2222-3333-444444444444"
    else:
        settings.HUBSPOT_API_BASE_URL = "http://127.0.0.1:1"
        settings.HUBSPOT_MAX_ATTEMPTS = 1

    started = time.monotonic()
    error, _ = contacts_failing()

    assert time.monotonic() - started < 20
    assert error.returncode == 1
    run = SyncHistory.objects.get()
    assert (run.object_type, run.status) == ("contacts", "failed")
    assert run.finished_at is not None and run.watermark is None
    expected = "401" if failure == "refused-token" else "connect"
    assert expected in run.error_message.lower() and expected in str(error).lower()
    assert "pat-na1" not in run.error_message and "pat-na1" not in str(error)
    assert not HubSpotContact.objects.exists()

