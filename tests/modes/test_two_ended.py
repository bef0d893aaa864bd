"""Two-ended full reads (ingestion/sync/hubspot/two_ended.py): the list end reads ids upwards
while search reads them downwards; together they read every live record once, including
those created or archived while the run goes on."""

from __future__ import annotations

import math

import pytest
from contacts_runs import archived_ids, live_ids, upstream_ids
from sync_commands import run_command
from upstream import requests_by_path

from ingestion.models import HubSpotAssociation, HubSpotContact, SyncHistory
from ingestion.sync.hubspot.client import HubSpotClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

SEARCH = "/crm/v3/objects/contacts/search"
LIST = "/crm/v3/objects/contacts"


@pytest.fixture
def portal(hubspot, settings):
    hubspot.control.reset(contacts=1_500, seed=3)
    settings.HUBSPOT_TWO_ENDED_MIN_RECORDS = 1_000
    return hubspot


def test_full_run_when_large_then_both_ends_read_every_record_once(portal, api):
    run = run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    requests = requests_by_path(portal)  # before the test's own reads below
    live, archived = set(upstream_ids(api)), set(upstream_ids(api, archived=True))
    assert live_ids() == live and archived_ids() == archived
    assert run["contacts"]["created"] == len(live) + len(archived)
    searches = requests[SEARCH]
    assert searches >= 3  # the count, the search end's pages, the top-up
    # Each end read its share: fewer list pages than a list-only read would need.
    assert requests[LIST] < len(live | archived) / 100 + 1
    assert run["contacts"]["fetched"] <= len(live) + len(archived) + 200  # the meeting page


def test_full_run_when_list_only_then_no_search_end(portal):
    run_command("sync_hubspot_contacts", "--full", "--skip-associations", "--list-only")
    # One search of one record: HubSpot's count the read is reconciled with (reconcile.py).
    assert requests_by_path(portal)[SEARCH] == 1


def test_full_run_when_records_created_and_archived_mid_run_then_mirror_exact(
        portal, api, monkeypatch):
    ids = sorted(upstream_ids(api), key=int)
    low, middle, high = ids[5], ids[len(ids) // 2], ids[-5]
    search_descending = HubSpotClient.search_descending
    calls = []

    def acting_mid_run(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # both ends are under way
            for object_id in (low, middle, high):
                assert api.delete(f"{LIST}/{object_id}").status_code == 204
            for n in range(3):
                assert api.post(LIST, json={"properties": {
                    "email": f"mid-run-{n}@example.com"}}).status_code == 201
        return search_descending(self, *args, **kwargs)

    monkeypatch.setattr(HubSpotClient, "search_descending", acting_mid_run)
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    assert len(calls) >= 2
    live, archived = set(upstream_ids(api)), set(upstream_ids(api, archived=True))
    assert {low, middle, high} <= archived
    assert live_ids() == live and archived_ids() == archived  # created ones included


def test_full_run_when_search_end_fails_then_list_end_reads_everything(portal, api):
    portal.control.set_faults(rate=1.0, kinds=["500"], match={"path_prefix": SEARCH,
                                                              "method": "POST"})
    run_command("sync_hubspot_contacts", "--full", "--skip-associations",
                "--batch-size", "100")
    assert live_ids() == set(upstream_ids(api))


def test_full_run_when_two_ended_then_second_full_run_changes_nothing(portal):
    run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    again = run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    counts = again["contacts"]
    assert counts["created"] == counts["updated"] == counts["archived"] == 0


def test_full_run_when_two_ended_with_links_then_one_link_read_per_thousand_records(
        portal, hubspot):
    # Pages of 100 (list end), 200 (search end) and fewer (where they cross) still make
    # link reads of exactly 1,000 ids: ceil(live / 1,000) requests per target type.
    hubspot.control.reset(contacts=2_500, seed=3)
    run_command("sync_hubspot_contacts", "--full")
    live = HubSpotContact.objects.filter(archived=False).count()
    reads = requests_by_path(
        hubspot, lambda path: "/associations/" in path and path.endswith("/batch/read"))
    assert len(reads) == 3 and set(reads.values()) == {math.ceil(live / 1000)}, reads
    links = set(HubSpotAssociation.objects.values_list(
        "from_id", "to_object_type", "to_id", "association_type_id"))
    assert links
    # The same links as a list-only read that replaces every row.
    run_command("sync_hubspot_contacts", "--full", "--list-only", "--force-overwrite")
    assert set(HubSpotAssociation.objects.values_list(
        "from_id", "to_object_type", "to_id", "association_type_id")) == links


@pytest.mark.once  # about pacing against the emulator, not the database
def test_full_run_when_portal_counts_searches_in_window_then_learnt_after_one_refusal(
        portal, hubspot, settings):
    # HubSpot's specs exempt search from the ten-secondly window; on a portal where it
    # counts, the first search refused for that window teaches the budget to pace searches
    # in it too, so the run meets no storm of 429s (and loses nothing).
    hubspot.control.reset(contacts=15_000, seed=3)
    hubspot.control.set_rate_limit("starter", window_ms=4000, search_in_window=True)
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = 5
    run = run_command("sync_hubspot_contacts", "--full", "--skip-associations")
    assert run["contacts"]["failed"] == 0
    assert HubSpotContact.objects.count() == run["contacts"]["created"] > 14_000
    refused = SyncHistory.objects.get(object_type="contacts").details["rate_limited_by_class"]
    assert refused.get("search", 0) <= 1, refused
    assert sum(refused.values()) <= 3, refused
