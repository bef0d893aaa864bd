"""sync_hubspot_lists: list definitions and their exact membership sets; only lists whose
state changed are read again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sync_commands import run_command, run_failing
from upstream import listing, requests_by_path

from ingestion.models import HubSpotList, HubSpotListMembership, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

CONTACT = 10_000_000_000


def upstream_lists(api, prefix: str = "/crm/v3/lists") -> list[dict]:
    found = api.post(f"{prefix}/search", json={"count": 500}).json()["lists"]
    return [api.get(f"{prefix}/{lst['listId']}", params={"includeFilters": "true"}).json()["list"]
            for lst in found]


def upstream_members(api, list_id: str) -> dict[str, str]:
    members = listing(api, f"/crm/v3/lists/{list_id}/memberships", {"limit": 250})
    return {m["recordId"]: m["membershipTimestamp"] for m in members}


def local_members(list_id: str) -> set[str]:
    return set(HubSpotListMembership.objects.filter(list_id=list_id)
               .values_list("record_id", flat=True))


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.mark.usefixtures("api_family")
def test_portal_when_lists_synced_then_definitions_and_exact_memberships(hubspot, api):
    counts = run_command("sync_hubspot_lists")["lists"]
    upstream = upstream_lists(api)
    assert counts["created"] == len(upstream) == HubSpotList.objects.count() == 4
    for lst in upstream:
        row = HubSpotList.objects.get(pk=lst["listId"])
        assert (row.name, row.object_type_id, row.processing_type, row.size) == (
            lst["name"], lst["objectTypeId"], lst["processingType"], lst["size"])
        assert (iso(row.created_at), iso(row.updated_at)) == (lst["createdAt"], lst["updatedAt"])
        assert row.filters == lst.get("filterBranch") and not row.archived
        wanted = upstream_members(api, lst["listId"])
        stored = HubSpotListMembership.objects.filter(list_id=lst["listId"])
        assert {m.record_id: iso(m.added_at) for m in stored} == wanted
        assert {m.object_type_id for m in stored} == {lst["objectTypeId"]}
    assert HubSpotList.objects.get(pk="2").filters["filterBranchType"] == "OR"
    assert SyncHistory.objects.get(object_type="lists").mode == "full"  # the first run


def test_members_added_and_removed_upstream_when_synced_then_exact_local_set(hubspot, api):
    run_command("sync_hubspot_lists")
    newcomers = [CONTACT + 2, CONTACT + 3]
    hubspot.control.list_add_members(1, newcomers)
    leaver = sorted(local_members("1"))[0]
    hubspot.control.list_remove_members(1, [leaver])
    hubspot.control.list_remove_members(4, list(local_members("4")))  # emptied

    again = run_command("sync_hubspot_lists")["lists"]
    assert local_members("1") == set(upstream_members(api, "1"))
    assert {str(i) for i in newcomers} <= local_members("1") and leaver not in local_members("1")
    assert local_members("4") == set() and HubSpotList.objects.get(pk="4").size == 0
    assert HubSpotList.objects.get(pk="1").size == len(local_members("1"))
    # A membership change leaves the definition (updatedAt) alone: the rows are unchanged.
    assert (again["skipped"], again["updated"]) == (4, 0)
    assert SyncHistory.objects.filter(object_type="lists").latest("pk").mode == "incremental"


def test_incremental_when_one_list_changed_then_only_its_memberships_read(hubspot):
    run_command("sync_hubspot_lists")
    before = {n: requests_by_path(hubspot)[f"/crm/v3/lists/{n}/memberships"] for n in "1234"}
    run_command("sync_hubspot_lists")
    hubspot.control.list_add_members(3, [CONTACT + 2])
    run_command("sync_hubspot_lists")
    after = {n: requests_by_path(hubspot)[f"/crm/v3/lists/{n}/memberships"] for n in "1234"}
    assert {n: after[n] - before[n] for n in after} == {"1": 0, "2": 0, "3": 1, "4": 0}
    assert str(CONTACT + 2) in local_members("3")


def test_full_run_when_nothing_changed_then_every_membership_read_again(hubspot):
    run_command("sync_hubspot_lists")
    HubSpotListMembership.objects.create(list_id="2", record_id="123", object_type_id="0-1",
                                         synced_at=datetime.now(UTC))  # stale local row
    before = requests_by_path(hubspot)["/crm/v3/lists/2/memberships"]
    run_command("sync_hubspot_lists", "--full")
    assert requests_by_path(hubspot)["/crm/v3/lists/2/memberships"] == before + 1
    assert "123" not in local_members("2")


def test_list_deleted_upstream_when_synced_then_archived_with_deleted_at_and_no_members(
        hubspot):
    run_command("sync_hubspot_lists")
    assert local_members("2")
    deleted = hubspot.control.list_delete(2)
    counts = run_command("sync_hubspot_lists")["lists"]
    row = HubSpotList.objects.get(pk="2")
    assert row.archived and iso(row.deleted_at) == iso(row.archived_at) == deleted["deletedAt"]
    assert counts["archived"] == 1 and local_members("2") == set()
    assert local_members("1")  # the others keep theirs


def test_list_unknown_upstream_when_full_run_then_archived_as_vanished_and_members_dropped(
        hubspot):
    run_command("sync_hubspot_lists")
    now = datetime.now(UTC)
    HubSpotList.objects.create(id="999", name="gone", object_type_id="0-1",
                               processing_type="MANUAL", synced_at=now)
    HubSpotListMembership.objects.create(list_id="999", record_id=str(CONTACT + 1),
                                         object_type_id="0-1", synced_at=now)
    run_command("sync_hubspot_lists")  # incremental: asked for by id, 404, left to a full run
    assert not HubSpotList.objects.get(pk="999").archived
    counts = run_command("sync_hubspot_lists", "--full")["lists"]
    assert counts["archived"] == 1 and HubSpotList.objects.get(pk="999").archived
    assert local_members("999") == set() and local_members("1")


def test_new_list_when_created_upstream_then_mirrored_with_members(hubspot):
    run_command("sync_hubspot_lists")
    made = hubspot.control.list_create("Fresh", "0-1", "SNAPSHOT", [CONTACT + 5, CONTACT + 6])
    counts = run_command("sync_hubspot_lists")["lists"]
    assert counts["created"] == 1
    assert local_members(made["listId"]) == {str(CONTACT + 5), str(CONTACT + 6)}


def test_definition_renamed_upstream_when_synced_then_row_updated(hubspot):
    run_command("sync_hubspot_lists")
    hubspot.control.list_rename(3, "Renamed upstream")
    counts = run_command("sync_hubspot_lists")["lists"]
    assert (counts["updated"], counts["skipped"]) == (1, 3)
    assert HubSpotList.objects.get(pk="3").name == "Renamed upstream"


def test_dry_run_when_lists_new_then_nothing_written_nor_memberships_read(hubspot):
    dry = run_command("sync_hubspot_lists", "--dry-run")["lists"]
    assert dry["created"] == 4
    assert HubSpotList.objects.count() == HubSpotListMembership.objects.count() == 0
    assert not SyncHistory.objects.filter(object_type="lists").exists()
    assert requests_by_path(hubspot)["/crm/v3/lists/1/memberships"] == 0


def test_force_overwrite_when_local_edits_then_definitions_and_memberships_replaced(
        hubspot, api):
    run_command("sync_hubspot_lists")
    HubSpotList.objects.filter(pk="1").update(name="edited locally")
    HubSpotListMembership.objects.filter(list_id="1").order_by("pk").first().delete()
    HubSpotListMembership.objects.create(list_id="1", record_id="42", object_type_id="0-1",
                                         synced_at=datetime.now(UTC))
    kept = run_command("sync_hubspot_lists")["lists"]
    assert kept["skipped"] == 4 and HubSpotList.objects.get(pk="1").name == "edited locally"

    forced = run_command("sync_hubspot_lists", "--force-overwrite", "--noinput")["lists"]
    assert (forced["overwritten"], forced["created"], forced["skipped"]) == (4, 0, 0)
    assert HubSpotList.objects.get(pk="1").name == "Newsletter subscribers"
    assert local_members("1") == set(upstream_members(api, "1"))


def test_max_records_when_given_then_stops_and_watermark_stays(hubspot):
    counts = run_command("sync_hubspot_lists", "--max-records", "2")["lists"]
    assert counts["fetched"] == 2 and HubSpotList.objects.count() == 2
    assert SyncHistory.objects.get(object_type="lists").watermark is None


def test_memberships_unreadable_when_synced_then_partial_and_read_again_next_run(hubspot, api):
    hubspot.control.set_faults(script=[{"kind": "500"}] * 3,
                               match={"method": "GET", "path_prefix": "/crm/v3/lists/2/"})
    error, run = run_failing("sync_hubspot_lists")
    assert error.returncode == 3 and run["lists"]["failed"] == 1
    assert HubSpotList.objects.get(pk="2").membership_version is None
    assert local_members("2") == set()
    run_command("sync_hubspot_lists")
    assert local_members("2") == set(upstream_members(api, "2"))


def test_list_restored_upstream_when_synced_then_live_again_with_its_members(hubspot, api):
    run_command("sync_hubspot_lists")
    hubspot.control.list_delete(2)
    run_command("sync_hubspot_lists")
    assert HubSpotList.objects.get(pk="2").archived and local_members("2") == set()
    hubspot.control.list_restore(2)  # updatedAt, size and last addition as before
    run_command("sync_hubspot_lists")
    row = HubSpotList.objects.get(pk="2")
    assert not row.archived and row.deleted_at is None and row.filters is not None
    assert local_members("2") == set(upstream_members(api, "2"))


def test_run_by_id_when_one_list_changed_then_only_it_is_read_again(hubspot, api):
    """What a journal membership event asks for (events.py): the named list's memberships
    read again, no other list's; a named list HubSpot no longer has is archived."""
    from ingestion.base.results import SyncOptions
    from ingestion.sync.hubspot.connection import client_from_settings
    from ingestion.sync.hubspot.engines.lists import HubSpotListSyncEngine

    run_command("sync_hubspot_lists")
    hubspot.control.list_add_members(3, [CONTACT + 2])
    hubspot.control.list_add_members(1, [CONTACT + 3])  # not named: left for a later run
    hubspot.control.list_delete(2)
    before = {n: requests_by_path(hubspot)[f"/crm/v3/lists/{n}/memberships"] for n in "1234"}
    with client_from_settings() as client:
        done = HubSpotListSyncEngine(SyncOptions(ids=("3", "2")), client=client).run()
    after = {n: requests_by_path(hubspot)[f"/crm/v3/lists/{n}/memberships"] for n in "1234"}
    assert {n: after[n] - before[n] for n in after} == {"1": 0, "2": 0, "3": 1, "4": 0}
    assert local_members("3") == set(upstream_members(api, "3"))
    assert str(CONTACT + 3) not in local_members("1")
    assert HubSpotList.objects.get(pk="2").archived and local_members("2") == set()
    assert done.status == "success" and done.mode == "ids"
