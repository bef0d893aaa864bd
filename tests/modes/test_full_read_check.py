"""Every full read is reconciled with HubSpot's count at its start (reconcile.py), and the
search end checks its own pages (client.falling_ids): a search that breaks HubSpot's contract
on ids can no longer make a full read end with records silently missing."""

from __future__ import annotations

import pytest
from contacts_runs import archived_ids, last_run, live_ids, upstream_ids
from sync_commands import run_command, run_failing

from ingestion.sync.hubspot.client import HubSpotClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

SEARCH = "/crm/v3/objects/contacts/search"
LIST = "/crm/v3/objects/contacts"
# 2,500 ten-digit ids (9999997500..9999999999), then eleven-digit ones: compared as text,
# every eleven-digit id sorts below every ten-digit one ("1…" < "9…").
MIXED_LENGTHS = {"contacts": 9_999_997_499}


@pytest.fixture
def two_ended(settings) -> None:
    settings.HUBSPOT_TWO_ENDED_READS = True
    settings.HUBSPOT_TWO_ENDED_MIN_RECORDS = 0


@pytest.mark.usefixtures("read_ends")
def test_search_comparing_ids_as_text_when_full_run_then_every_record_read(hubspot, api):
    hubspot.control.reset(contacts=3_000, seed=3, id_bases=MIXED_LENGTHS)
    hubspot.control.set_faults(rate=1.0, kinds=["ids_as_text"], match={"path_prefix": SEARCH})
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    live = set(upstream_ids(api))
    assert {len(i) for i in live} == {10, 11}
    assert live_ids() == live  # before the check, the two ends "met" with 500+ never read
    run = last_run()
    assert run.status == "success"
    check = run.details["read_check"]
    assert check["expected"] == len(live) and check["missing"] == 0


def test_search_comparing_ids_as_text_when_ends_meet_short_then_gap_reread_by_list(
        hubspot, api, two_ended):
    hubspot.control.reset(contacts=3_000, seed=3, id_bases=MIXED_LENGTHS)
    hubspot.control.set_faults(rate=1.0, kinds=["ids_as_text"], match={"path_prefix": SEARCH})
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    check = last_run().details["read_check"]
    # The ends met inside the ten-digit ids; the re-read began above the list end's reach.
    assert 9_999_997_500 < check["reread_from_id"] < 10_000_000_000
    assert check["read"] == len(upstream_ids(api)) and check["missing"] == 0
    assert live_ids() == set(upstream_ids(api))


@pytest.mark.usefixtures("read_ends")
def test_full_run_when_records_vanish_mid_run_then_exit_3_naming_gap_and_nothing_swept(
        hubspot, api, monkeypatch):
    hubspot.control.reset(contacts=1_500, seed=3)
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    ids = sorted(upstream_ids(api), key=int)
    gone = [ids[400], ids[401], ids[1000]]
    census = HubSpotClient.search_top

    def deleting_after_the_count(self, *args, **kwargs):
        counted = census(self, *args, **kwargs)
        for object_id in gone:  # gone for good: neither live nor archived
            hubspot.control.hard_delete("contacts", object_id)
        return counted

    monkeypatch.setattr(HubSpotClient, "search_top", deleting_after_the_count)
    error, _ = run_failing("sync_hubspot_contacts", "--full", "--skip-associations")
    assert error.returncode == 3
    run = last_run()
    expected = len(ids)
    assert f"counted {expected} live records" in str(error)
    assert f"read {expected - 3} of them" in str(error) and "3 missing in ids" in str(error)
    assert run.status == "partial" and "3 missing in ids" in run.error_message
    assert run.details["read_check"]["missing"] == 3 and run.watermark is None
    assert set(gone) <= live_ids()  # a short read sweeps nothing: not marked vanished


@pytest.mark.usefixtures("read_ends")
def test_full_run_when_created_and_archived_mid_run_then_allowed_for_and_success(
        hubspot, api, monkeypatch):
    hubspot.control.reset(contacts=1_500, seed=3)
    ids = sorted(upstream_ids(api), key=int)
    archived = [ids[300], ids[700], ids[1200]]
    census = HubSpotClient.search_top

    def changing_after_the_count(self, *args, **kwargs):
        counted = census(self, *args, **kwargs)
        for object_id in archived:
            assert api.delete(f"{LIST}/{object_id}").status_code == 204
        for n in range(2):
            assert api.post(LIST, json={"properties": {
                "email": f"mid-run-{n}@example.com"}}).status_code == 201
        return counted

    monkeypatch.setattr(HubSpotClient, "search_top", changing_after_the_count)
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    run = last_run()
    check = run.details["read_check"]
    assert run.status == "success" and check["missing"] == 0
    assert check["created_during_run"] == 2 and check["archived_during_run"] == 3
    assert check["expected"] == len(ids) and "reread_from_id" not in check
    assert live_ids() == set(upstream_ids(api)) and set(archived) <= archived_ids()


def test_search_page_out_of_order_once_when_full_run_then_retried_and_search_end_goes_on(
        hubspot, api, two_ended):
    hubspot.control.reset(contacts=1_500, seed=3)
    # The count (search end's first page) passes; its second page comes reversed, once.
    hubspot.control.set_faults(script=[{"kind": "pass"}, {"kind": "out_of_order"}],
                               match={"path_prefix": SEARCH})
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    assert hubspot.control.stats()["faults_injected"] == 1
    run = last_run()
    assert run.status == "success" and "search_end" not in run.details["read_check"]
    assert live_ids() == set(upstream_ids(api))


def test_search_pages_out_of_order_when_persisting_then_list_end_reads_rest_and_says_so(
        hubspot, api, two_ended, caplog):
    hubspot.control.reset(contacts=1_500, seed=3)
    # Every retry of the search end's second page comes reversed (few_attempts: 3).
    hubspot.control.set_faults(script=[{"kind": "pass"}, *[{"kind": "out_of_order"}] * 3],
                               match={"path_prefix": SEARCH})
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    run = last_run()
    assert run.status == "success" and run.details["read_check"]["missing"] == 0
    stopped = run.details["read_check"]["search_end"]
    assert stopped.startswith("stopped (") and "not in falling numeric id order" in stopped
    assert any("the search end of the full read stopped" in r.getMessage()
               and r.levelname == "WARNING" for r in caplog.records)
    assert live_ids() == set(upstream_ids(api))


def test_full_run_when_search_refuses_to_count_then_read_whole_and_says_unchecked(
        hubspot, api, two_ended):
    hubspot.control.reset(contacts=300, seed=3)
    hubspot.control.set_faults(rate=1.0, kinds=["500"], match={"path_prefix": SEARCH})
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    run = last_run()
    assert run.status == "success" and run.details["read_check"]["expected"] is None
    assert "no count of contacts" in run.details["read_check"]["unchecked"]
    assert live_ids() == set(upstream_ids(api))


def test_search_first_page_out_of_order_when_persisting_then_list_alone_still_reconciled(
        hubspot, api, two_ended):
    hubspot.control.reset(contacts=1_500, seed=3)
    # The search end's first page (which carries the count) comes reversed on every try.
    hubspot.control.set_faults(script=[{"kind": "out_of_order"}] * 3,
                               match={"path_prefix": SEARCH})
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    run = last_run()
    check = run.details["read_check"]
    assert check["search_end"].startswith("not used (")
    assert check["expected"] == len(upstream_ids(api)) and check["missing"] == 0
    assert run.status == "success" and live_ids() == set(upstream_ids(api))
