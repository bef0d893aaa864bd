"""Records HubSpot serves that cannot be stored as they are, end to end (contacts against the
emulator over HTTP): one fails alone (or is repaired and reported), the rest of the batch is
saved, and a record that keeps failing the same way is quarantined instead of holding the
mirror back forever."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from contacts_runs import (
    CONTACTS_LIST,
    CONTACTS_SEARCH,
    contacts,
    contacts_failing,
    everything_upstream,
    last_run,
    upstream_ids,
    upstream_record,
    watermark,
)
from sync_commands import run_command

from ingestion.models import HubSpotContact, QuarantinedRecord, SyncError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

PROPERTIES = ("email", "firstname", "lastname", "lastmodifieddate", "createdate")


def now_ms() -> int:
    return int(time.time() * 1000)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def as_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def errors(severity: str = "error") -> list[SyncError]:
    return list(SyncError.objects.filter(severity=severity).order_by("id"))


# -- 7. one unreadable record in a search page ------------------------------------------------

def test_search_page_when_one_record_has_unreadable_modified_time_then_partial_others_saved(
        hubspot, api):
    contacts("--full")
    poison, *others = sorted(upstream_ids(api))[:4]
    moment = now_ms()
    hubspot.control.touch("contacts", ids=[poison, *others], modified_ms=moment)
    hubspot.control.put_raw("contacts", poison, {
        "id": poison, "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": "not a date",
        "archived": False,
        "properties": {"email": "private.person@example.com", "firstname": "Privatia",
                       "lastmodifieddate": "not a date either", "hs_object_id": poison}})

    error, run = contacts_failing()

    assert error.returncode == 3
    counts = run["contacts"]
    assert (counts["updated"], counts["failed"]) == (len(others), 1)
    for object_id in others:
        assert HubSpotContact.objects.get(pk=object_id).updated_at == as_datetime(moment)
    [failure] = errors()
    assert failure.object_id == poison
    assert "updatedAt" in failure.reason
    for private in ("private.person", "Privatia", "not a date"):
        assert private not in failure.reason
    run_row = last_run()
    assert (run_row.mode, run_row.status, run_row.watermark) == ("incremental", "partial", None)


def test_search_page_when_an_entry_is_not_an_object_then_partial_error_without_id_rest_saved(
        hubspot, api):
    contacts("--full")
    target = sorted(upstream_ids(api))[5]
    moment = now_ms()
    good = upstream_record(api, target, *PROPERTIES)
    good["properties"].update(firstname="FromTheSearchPage", lastmodifieddate=iso(moment))
    good["updatedAt"] = iso(moment)
    hubspot.control.set_faults(
        script=[{"kind": "body", "body": {"total": 2, "results": [1, good]}}],
        match={"method": "POST", "path_prefix": CONTACTS_SEARCH})

    error, run = contacts_failing()

    assert error.returncode == 3
    assert run["contacts"]["failed"] == 1 and run["contacts"]["updated"] == 1
    row = HubSpotContact.objects.get(pk=target)
    assert row.firstname == "FromTheSearchPage" and row.updated_at == as_datetime(moment)
    [failure] = errors()
    assert failure.object_id == ""
    assert "not a record" in failure.reason
    assert last_run().status == "partial" and last_run().watermark is None


# -- 8, 9. text no database column can hold ----------------------------------------------------

def test_lone_surrogate_in_an_email_when_syncing_then_stored_with_replacement_and_warning(
        hubspot, api):
    target = sorted(upstream_ids(api))[3]
    record = upstream_record(api, target, *PROPERTIES)
    record["properties"]["email"] = "SURROGATE"
    text = json.dumps(record).replace('"SURROGATE"', '"broken\\ud800@example.com"')
    assert "\\ud800" in text
    hubspot.control.put_raw_json("contacts", target, text)

    counts = contacts("--full")

    expected = everything_upstream(api)
    assert counts["created"] == counts["fetched"] == len(expected)
    assert set(HubSpotContact.objects.values_list("pk", flat=True)) == expected
    row = HubSpotContact.objects.get(pk=target)
    assert row.email == "broken\ufffd@example.com"
    assert row.properties["email"] == "broken\ufffd@example.com"
    [warning] = errors("warning")
    assert warning.object_id == target and "properties.email" in warning.reason
    assert not errors()
    assert last_run().status == "success"


def test_nul_in_a_name_and_a_6000_character_email_when_syncing_then_both_stored(hubspot, api):
    nul_id, long_id = sorted(upstream_ids(api))[5:7]
    record = upstream_record(api, nul_id, *PROPERTIES)
    record["properties"]["firstname"] = "An\u0000na"
    hubspot.control.put_raw("contacts", nul_id, record)
    long_email = "x" * (6000 - len("@example.com")) + "@example.com"
    api.patch(f"{CONTACTS_LIST}/{long_id}",
              json={"properties": {"email": long_email}}).raise_for_status()

    counts = contacts("--full")

    assert counts["failed"] == 0
    assert counts["created"] == len(everything_upstream(api))
    row = HubSpotContact.objects.get(pk=nul_id)
    assert row.firstname == "Anna" and row.properties["firstname"] == "Anna"
    [warning] = errors("warning")
    assert warning.object_id == nul_id
    assert "properties.firstname" in warning.reason and "NUL" in warning.reason
    assert len(long_email) == 6000
    assert list(HubSpotContact.objects.filter(email=long_email).values_list("pk", flat=True)) \
        == [long_id]
    assert last_run().status == "success"


# -- 10. `archived` as a string ----------------------------------------------------------------

def test_archived_as_string_when_syncing_then_false_is_live_and_maybe_fails_alone(hubspot, api):
    as_string, maybe = sorted(upstream_ids(api))[7:9]
    for object_id, value in ((as_string, "false"), (maybe, "maybe")):
        record = upstream_record(api, object_id, *PROPERTIES)
        record["archived"] = value
        hubspot.control.put_raw("contacts", object_id, record)

    error, run = contacts_failing("--full")

    assert error.returncode == 3
    expected = everything_upstream(api) - {maybe}
    assert set(HubSpotContact.objects.values_list("pk", flat=True)) == expected
    assert run["contacts"]["created"] == len(expected) and run["contacts"]["failed"] == 1
    assert HubSpotContact.objects.get(pk=as_string).archived is False
    [failure] = errors()
    assert failure.object_id == maybe and "archived" in failure.reason
    assert "maybe" not in failure.reason
    assert last_run().status == "partial"


# -- 13. quarantine ----------------------------------------------------------------------------

def test_poison_record_when_failing_three_runs_then_quarantined_sweep_runs_and_released_on_fix(
        hubspot, api):
    contacts("--full")
    first_watermark = watermark()
    ids = sorted(upstream_ids(api))
    poison, gone, binned, gone_later = ids[10], ids[11], ids[12], ids[13]
    hubspot.control.touch("contacts", ids=[poison], modified_ms=now_ms())
    record = upstream_record(api, poison, *PROPERTIES)  # changed upstream, unsavable
    record["createdAt"] = "the day before yesterday"
    hubspot.control.put_raw("contacts", poison, record)

    # Run 1 (incremental): partial, the watermark stays.
    error, run = contacts_failing()
    assert error.returncode == 3 and run["contacts"]["failed"] == 1
    assert last_run().status == "partial" and watermark() == first_watermark
    [failure] = errors()
    assert failure.object_id == poison and "createdAt" in failure.reason

    # Run 2 (full, after deletions upstream: GDPR, for good; DELETE, to the recycle bin):
    # partial, the watermark stays, yet the deletions reach the mirror.
    api.post(f"{CONTACTS_LIST}/gdpr-delete", json={"objectId": gone}).raise_for_status()
    api.delete(f"{CONTACTS_LIST}/{binned}").raise_for_status()
    error, run = contacts_failing("--full")
    assert error.returncode == 3 and run["contacts"]["failed"] == 1
    assert run["contacts"]["archived"] == 2
    assert HubSpotContact.objects.get(pk=gone).archived is True
    assert HubSpotContact.objects.get(pk=binned).archived is True
    assert last_run().status == "partial" and watermark() == first_watermark
    held = QuarantinedRecord.objects.get(object_type="contacts", object_id=poison)
    assert (held.streak, held.quarantined_at) == (2, None)

    # Run 3 (incremental): the same failure a third time: quarantined, the run succeeds.
    run = run_command("sync_hubspot_contacts")
    assert "quarantined=1" in run.out and run["contacts"]["failed"] == 0
    assert last_run().status == "success" and last_run().quarantined == 1
    assert watermark() is not None and watermark() > first_watermark
    held.refresh_from_db()
    assert held.streak == 3 and held.quarantined_at is not None
    assert SyncError.objects.filter(history=last_run(), object_id=poison,
                                    severity="quarantined").exists()

    # Run 4 (full): still quarantined, and a contact deleted since is archived.
    api.post(f"{CONTACTS_LIST}/gdpr-delete", json={"objectId": gone_later}).raise_for_status()
    run = run_command("sync_hubspot_contacts", "--full")
    assert "quarantined=1" in run.out and run["contacts"]["archived"] == 1
    assert HubSpotContact.objects.get(pk=gone_later).archived is True
    assert last_run().status == "success"

    # HubSpot fixes the record: the next incremental run saves it and lets it go.
    hubspot.control.put_raw("contacts", poison, None)
    hubspot.control.touch("contacts", ids=[poison], modified_ms=now_ms())
    run = run_command("sync_hubspot_contacts")
    assert last_run().mode == "incremental" and last_run().status == "success"
    assert "quarantined" not in run.out and run["contacts"]["updated"] == 1
    row = HubSpotContact.objects.get(pk=poison)
    assert row.archived is False and row.created_at is not None
    assert not QuarantinedRecord.objects.filter(object_id=poison).exists()
