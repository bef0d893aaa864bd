"""sync_hubspot_changes against the emulator's journal: every kind of change reaches the
mirror (association-only and list membership changes too, which no incremental run sees),
each once; an idle read costs one request; bad journal pages are never data; an expired
offset closes the gap."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from sync_all_types import keep_only
from sync_commands import run_command, run_failing
from upstream import requests_by_path
from webhooks.upstream import assert_mirrored, links_local, links_upstream

from hubspot_emulator import PORTAL_ID
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


def rename(api, firstname: str) -> None:
    """An upstream change to CONTACT (one journal entry)."""
    api.patch(f"/crm/v3/objects/contacts/{CONTACT}",
              json={"properties": {"firstname": firstname}}).raise_for_status()


def changes(*flags: str) -> dict:
    """Run the command, which must succeed: its summary line's fields."""
    line = run_command("sync_hubspot_changes", *flags).out.strip().splitlines()[-1]
    assert line.startswith("changes: "), line
    return dict(part.split("=", 1) for part in line.removeprefix("changes: ").split()
                if "=" in part)


def journal_requests(emulator) -> int:
    return sum(requests_by_path(emulator, lambda path: path.startswith(JOURNAL)).values())


def test_changes_when_property_changed_then_applied_and_offset_stored(journal, api):
    rename(api, "Journalled")
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


def test_changes_when_nothing_changed_then_one_request(journal, api):
    rename(api, "Idle")
    changes()  # reads it (and takes the app token, kept for the next run)
    before = requests_by_path(journal)
    done = changes()
    assert done["entries"] == "0"
    spent = requests_by_path(journal) - before
    assert list(spent) == [f"{JOURNAL}/batch/{done['offset']}/next/100"] and \
        sum(spent.values()) == 1, spent


def test_changes_when_journal_answers_204_then_nothing_new_and_offset_stays(journal, api):
    rename(api, "Quiet")
    changes()
    offset = JournalState.objects.get().offset
    rename(api, "Later")
    journal.control.set_faults(script=[{"kind": "no_content"}], match={"path_prefix": JOURNAL})
    done = changes()  # "nothing newer" (204): not a failure, and nothing skipped
    assert done["entries"] == "0" and JournalState.objects.get().offset == offset
    changes()
    assert HubSpotContact.objects.get(pk=CONTACT).firstname == "Later"


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
    rename(api, "Dry")
    done = changes("--dry-run")
    assert int(done["events"]) >= 1
    assert JournalState.objects.get().offset == ""
    assert not WebhookEvent.objects.exists()
    assert HubSpotContact.objects.get(pk=CONTACT).firstname != "Dry"


def test_changes_when_not_set_up_then_usage_error(app):
    error, _ = run_failing("sync_hubspot_changes")
    assert error.returncode == 2 and "setup_hubspot_journal" in str(error)


# -- bad journal pages: never data; the offset stays --------------------------------------------

@pytest.mark.parametrize(("answer", "why"), [
    ({"results": "x"}, "results"),
    ({"status": "CANCELED", "results": []}, "not a whole batch"),  # a whole batch or none:
    ({"status": "COMPLETE", "results": [], "numErrors": 1,  # an entry left out is lost
      "errors": [{"category": "OBJECT_NOT_FOUND", "message": "gone"}]}, "not a whole batch"),
], ids=["shape", "canceled", "errors"])
def test_changes_when_batch_malformed_then_fails_naming_it_and_offset_stays(journal, api,
                                                                            answer, why):
    changes()
    offset = JournalState.objects.get().offset
    rename(api, "Later")
    journal.control.set_faults(script=[{"kind": "body", "body": answer}] * 3,
                               match={"path_prefix": JOURNAL})
    error, _ = run_failing("sync_hubspot_changes")
    assert error.returncode == 1 and JOURNAL in str(error) and "malformed" in str(error)
    assert why in str(error)
    assert JournalState.objects.get().offset == offset
    journal.control.clear_faults()
    changes()
    assert HubSpotContact.objects.get(pk=CONTACT).firstname == "Later"


def test_changes_when_journal_repeats_the_offset_then_fails_instead_of_looping(journal, api):
    changes()
    rename(api, "Loop")
    offset = JournalState.objects.get().offset
    entry = {"currentOffset": offset or "00000000-0000-4000-8000-000000000000",
             "expiresAt": "2030-01-01T00:00:00.000Z", "url": f"{journal.url}/nowhere"}
    journal.control.set_faults(
        script=[{"kind": "body", "body": {"status": "COMPLETE", "results": [entry, entry]}}] * 3,
        match={"path_prefix": JOURNAL})
    error, _ = run_failing("sync_hubspot_changes")
    assert error.returncode == 1 and "again" in str(error)
    assert JournalState.objects.get().offset == offset


def test_changes_when_journal_is_out_of_order_then_fails_and_offset_stays(journal, api):
    changes()
    offset = JournalState.objects.get().offset
    now = journal.control.health()["now_ms"]
    for step, name in enumerate(("First", "Second")):  # two entries, a second apart
        journal.control.set_clock(now + 1_000 * (step + 1))
        rename(api, name)
    journal.control.set_faults(script=[{"kind": "out_of_order"}] * 3,
                               match={"path_prefix": JOURNAL})
    error, _ = run_failing("sync_hubspot_changes")
    assert error.returncode == 1 and "out of order" in str(error)
    assert JournalState.objects.get().offset == offset
    journal.control.clear_faults()
    changes()
    assert HubSpotContact.objects.get(pk=CONTACT).firstname == "Second"


def test_changes_when_entry_names_unknown_type_id_or_action_then_recorded_and_skipped(
        journal, api):
    changes()
    rename(api, "Known")
    base = {"portalId": PORTAL_ID, "occurredAt": 1_700_000_000_000}
    odd = [{**base, "action": "UPDATE", "objectTypeId": "2-999999", "objectId": 5},
           {**base, "action": "UPDATE", "objectTypeId": "0-1", "objectId": 99_999_999_999},
           {**base, "action": "TELEPORT", "objectTypeId": "0-1", "objectId": 1}]
    journal.control.set_faults(script=[{"kind": "body", "body": {"journalEvents": odd}}],
                               match={"path_prefix": "/_journal-files"})
    done = changes()
    assert (done["failed"], done["unusable"]) == ("0", "1")
    errors = dict(WebhookEvent.objects.filter(source="journal").values_list("object_id",
                                                                             "error"))
    assert errors["5"] == "2-999999 is not mirrored"
    assert errors[""].startswith("not applied: unknown action")
    assert not HubSpotContact.objects.filter(pk="99999999999").exists()
    assert not WebhookEvent.objects.filter(applied_at=None).exists()


def test_changes_when_offset_expired_then_gap_closed_by_syncs_then_reads_on(
        journal, api, monkeypatch):
    keep_only(monkeypatch, "contacts", "companies")
    rename(api, "Read")
    changes()
    expired = JournalState.objects.get().offset
    rename(api, "Forgotten")
    now = journal.control.health()["now_ms"]
    journal.control.set_clock(now + 3 * 86_400_000 + 3_600_000)  # the journal forgot it
    api.put(f"/crm/v4/objects/contacts/{CONTACT}/associations/default/companies/{COMPANY}"
            ).raise_for_status()  # kept: after the clock moved
    assert journal.control.journal_state()["entries"] == 1
    done = changes()
    assert done["gaps_closed"] == "1" and done["failed"] == "0"
    assert HubSpotContact.objects.get(pk=CONTACT).firstname == "Forgotten"
    assert links_local("contacts", CONTACT, "companies") == links_upstream(
        api, "contacts", CONTACT, "companies")
    state = JournalState.objects.get()
    assert state.gap_at is not None and state.offset not in ("", expired)
    runs = set(SyncHistory.objects.values_list("object_type", "mode"))
    assert {("contacts", "incremental"), ("contacts", "links"),
            ("contacts", "deletions")} <= runs
    api.patch(f"/crm/v3/objects/contacts/{OTHER}",
              json={"properties": {"firstname": "After"}}).raise_for_status()
    assert "gaps_closed" not in changes()
    assert HubSpotContact.objects.get(pk=OTHER).firstname == "After"


def test_changes_when_never_read_for_longer_than_kept_then_gap_closed_first(
        journal, api, monkeypatch):
    """No offset yet, so no 404 can tell what the journal dropped: the time since it was set
    up (or last read) does."""
    keep_only(monkeypatch, "contacts", "companies")
    long_ago = timezone.now() - timedelta(days=4)
    JournalState.objects.update(set_up_at=long_ago, read_at=None)
    rename(api, "Meanwhile")
    done = changes()
    assert done["gaps_closed"] == "1"
    assert HubSpotContact.objects.get(pk=CONTACT).firstname == "Meanwhile"
    assert JournalState.objects.get().read_at > long_ago


def test_changes_when_a_type_fails_while_closing_a_gap_then_partial_and_reads_on(
        journal, monkeypatch):
    keep_only(monkeypatch, "contacts", "companies")
    JournalState.objects.update(set_up_at=timezone.now() - timedelta(days=4), read_at=None)
    journal.control.set_faults(rate=1.0, kinds=["500"],
                               match={"path_prefix": "/crm/v3/objects/companies"})
    error, run = run_failing("sync_hubspot_changes")
    assert error.returncode == 3, error
    assert "closing the journal's gap left problems" in str(error) and "companies" in str(error)
    assert "gaps_closed=1" in run.out
    assert JournalState.objects.get().gap_at is not None
    journal.control.clear_faults()
    assert "gaps_closed" not in changes()  # the gap is behind: reading goes on
    assert SyncHistory.objects.filter(object_type="journal").latest("pk").status == "success"


def test_changes_when_logging_everything_then_no_file_url_or_token_in_the_logs(
        journal, api, caplog):
    rename(api, "Logged")
    with caplog.at_level(logging.DEBUG):
        run_command("sync_hubspot_changes", "--debug")
    assert caplog.records  # the client's own request lines are there
    text = caplog.text
    assert "/_journal-files/" not in text and journal.client_secret not in text
    assert journal.token not in text
