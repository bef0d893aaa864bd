"""sync_hubspot_changes against the emulator's journal: every kind of change reaches the
mirror (association-only and list membership changes too, which no incremental run sees),
each once; an idle read costs one request; bad journal pages are never data; an expired
offset closes the gap."""

from __future__ import annotations

import pytest
from sync_commands import run_command, run_failing
from upstream import requests_by_path
from webhooks.upstream import assert_mirrored, links_local, links_upstream

from ingestion.models import (
    HubSpotContact,
    HubSpotListMembership,
    JournalState,
    SyncHistory,
    WebhookEvent,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

CONTACT, OTHER, COMPANY = "10000000001", "10000000002", "20000000002"
JOURNAL = "/webhooks-journal/journal-local/2026-03"


def changes(*flags: str) -> dict:
    """Run the command, which must succeed: its summary line's fields."""
    line = run_command("sync_hubspot_changes", *flags).out.strip().splitlines()[-1]
    assert line.startswith("changes: "), line
    return dict(part.split("=", 1) for part in line.removeprefix("changes: ").split()
                if "=" in part)


def journal_requests(emulator) -> int:
    return sum(requests_by_path(emulator, lambda path: path.startswith(JOURNAL)).values())


def test_changes_when_property_changed_then_applied_and_offset_stored(journal, api):
    api.patch(f"/crm/v3/objects/contacts/{CONTACT}",
              json={"properties": {"firstname": "Journalled"}}).raise_for_status()
    done = changes()
    assert int(done["entries"]) >= 1 and done["failed"] == "0" and done["applied"] != "0"
    assert HubSpotContact.objects.get(pk=CONTACT).firstname == "Journalled"
    assert_mirrored(api, "contacts", CONTACT)
    state = JournalState.objects.get()
    assert state.offset == done["offset"] and state.newest_change_at is not None
    assert not WebhookEvent.objects.filter(applied_at=None).exists()
    run = SyncHistory.objects.filter(object_type="journal").latest("pk")
    assert (run.mode, run.status) == ("changes", "success")


def test_changes_when_read_again_then_nothing_new_and_nothing_applied_twice(journal, api):
    api.patch(f"/crm/v3/objects/contacts/{CONTACT}",
              json={"properties": {"lastname": "Once"}}).raise_for_status()
    first = changes()
    stored = WebhookEvent.objects.count()
    again = changes()
    assert (again["entries"], again["events"], again["applied"]) == ("0", "0", "0")
    assert again["offset"] == first["offset"] and WebhookEvent.objects.count() == stored


def test_changes_when_nothing_changed_then_one_request(journal):
    changes()  # reads what setting up the mirror left, if anything
    before = sum(requests_by_path(journal).values())
    done = changes()
    assert done["entries"] == "0"
    assert sum(requests_by_path(journal).values()) - before <= 2


def test_changes_when_association_only_change_then_links_match_without_a_sync(journal, api):
    before = api.get(f"/crm/v3/objects/contacts/{CONTACT}").json()["updatedAt"]
    api.put(f"/crm/v4/objects/contacts/{CONTACT}/associations/default/companies/{COMPANY}"
            ).raise_for_status()
    assert api.get(f"/crm/v3/objects/contacts/{CONTACT}").json()["updatedAt"] == before
    assert links_local("contacts", CONTACT, "companies") != links_upstream(
        api, "contacts", CONTACT, "companies")
    changes()
    assert links_local("contacts", CONTACT, "companies") == links_upstream(
        api, "contacts", CONTACT, "companies")
    assert links_local("companies", COMPANY, "contacts") == links_upstream(
        api, "companies", COMPANY, "contacts")


def test_changes_when_list_membership_changed_then_members_match(journal):
    journal.control.list_add_members(1, [int(OTHER)])
    changes()
    members = set(HubSpotListMembership.objects.filter(list_id="1")
                  .values_list("record_id", flat=True))
    assert OTHER in members
    journal.control.list_remove_members(1, [int(OTHER)])
    changes()
    assert not HubSpotListMembership.objects.filter(list_id="1", record_id=OTHER).exists()


def test_changes_when_deleted_then_archived(journal, api):
    api.delete(f"/crm/v3/objects/contacts/{CONTACT}").raise_for_status()
    changes()
    row = HubSpotContact.objects.get(pk=CONTACT)
    assert (row.archived, row.deleted_kind) == (True, "archived")


def test_changes_when_merged_then_absorbed_record_marked_merged(journal, api):
    merged = api.post("/crm/v3/objects/contacts/merge",
                      json={"primaryObjectId": CONTACT, "objectIdToMerge": OTHER})
    merged.raise_for_status()
    changes()
    survivor = merged.json()["id"]
    assert HubSpotContact.objects.get(pk=OTHER).deleted_kind == "merged"
    assert HubSpotContact.objects.get(pk=survivor).archived is False


def test_changes_when_privacy_deleted_then_purged(journal, api):
    api.post("/crm/v3/objects/contacts/gdpr-delete",
             json={"objectId": CONTACT}).raise_for_status()
    changes()
    row = HubSpotContact.objects.get(pk=CONTACT)
    assert (row.deleted_kind, row.properties) == ("privacy_deleted", {})


def test_changes_when_dry_run_then_reports_and_writes_nothing(journal, api):
    api.patch(f"/crm/v3/objects/contacts/{CONTACT}",
              json={"properties": {"firstname": "Dry"}}).raise_for_status()
    done = changes("--dry-run")
    assert int(done["events"]) >= 1
    assert JournalState.objects.get().offset == ""
    assert not WebhookEvent.objects.exists()
    assert HubSpotContact.objects.get(pk=CONTACT).firstname != "Dry"


def test_changes_when_not_set_up_then_usage_error(app):
    error, _ = run_failing("sync_hubspot_changes")
    assert error.returncode == 2 and "setup_hubspot_journal" in str(error)


# -- bad journal pages: never data; the offset stays --------------------------------------------

def test_changes_when_batch_malformed_then_fails_naming_it_and_offset_stays(journal, api):
    changes()
    offset = JournalState.objects.get().offset
    api.patch(f"/crm/v3/objects/contacts/{CONTACT}",
              json={"properties": {"firstname": "Later"}}).raise_for_status()
    journal.control.set_faults(script=[{"kind": "body", "body": {"results": "x"}}] * 3,
                               match={"path_prefix": JOURNAL})
    error, _ = run_failing("sync_hubspot_changes")
    assert error.returncode == 1 and JOURNAL in str(error) and "malformed" in str(error)
    assert JournalState.objects.get().offset == offset
    journal.control.clear_faults()
    changes()
    assert HubSpotContact.objects.get(pk=CONTACT).firstname == "Later"


def test_changes_when_journal_repeats_the_offset_then_fails_instead_of_looping(journal, api):
    changes()
    api.patch(f"/crm/v3/objects/contacts/{CONTACT}",
              json={"properties": {"firstname": "Loop"}}).raise_for_status()
    offset = JournalState.objects.get().offset
    entry = {"currentOffset": offset or "00000000-0000-4000-8000-000000000000",
             "expiresAt": "2030-01-01T00:00:00.000Z", "url": f"{journal.url}/nowhere"}
    journal.control.set_faults(
        script=[{"kind": "body", "body": {"status": "COMPLETE", "results": [entry, entry]}}] * 3,
        match={"path_prefix": JOURNAL})
    error, _ = run_failing("sync_hubspot_changes")
    assert error.returncode == 1 and "again" in str(error)
    assert JournalState.objects.get().offset == offset
