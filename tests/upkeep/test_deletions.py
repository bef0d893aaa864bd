"""Deletion detection (`--deletions`): ids-only listings find records deleted, binned or
restored upstream; each is confirmed by a batch read and stored with why it is gone."""

from __future__ import annotations

import pytest
from contacts_runs import CONTACTS_LIST, contacts, upstream_record
from sync_all_types import CUSTOM, keep_only
from sync_commands import run_command

from ingestion.models import HubSpotAssociation, HubSpotContact, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("api_family", "few_attempts")]


def deletions_line(out: str) -> dict[str, int]:
    line = next(x for x in out.splitlines() if x.startswith("contacts deletions: "))
    pairs = line.split(": ", 1)[1].split(" (dry run")[0].split()
    return {k: int(v) for k, v in (p.split("=") for p in pairs)}


def row(object_id: str) -> HubSpotContact:
    return HubSpotContact.objects.get(pk=object_id)


def some_live_ids(count: int) -> list[str]:
    return list(HubSpotContact.objects.filter(archived=False).order_by("pk")
                .values_list("pk", flat=True)[2:2 + count])


def test_binned_and_gdpr_deleted_upstream_when_deletions_then_archived_with_their_kind(
        hubspot, api):
    contacts("--full")
    binned, erased = some_live_ids(2)
    api.delete(f"{CONTACTS_LIST}/{binned}").raise_for_status()
    api.post(f"{CONTACTS_LIST}/gdpr-delete", json={"objectId": erased}).raise_for_status()
    # An incremental run reads the recycle bin (archived listing) but a GDPR delete leaves
    # no trace in any listing: it never reaches an incremental run.
    contacts()
    assert row(erased).archived is False and row(binned).deleted_kind == "archived"
    HubSpotContact.objects.filter(pk=binned).update(archived=False, deleted_kind=None,
                                                    archived_at=None)  # as if missed

    out = run_command("sync_hubspot_contacts", "--deletions").out
    counts = deletions_line(out)
    assert (counts["vanished"], counts["archived"], counts["restored"]) == (1, 1, 0)
    binned_row, erased_row = row(binned), row(erased)
    assert (binned_row.archived, binned_row.deleted_kind) == (True, "archived")
    upstream = api.get(f"{CONTACTS_LIST}/{binned}", params={"archived": "true"}).json()
    assert binned_row.archived_at.isoformat().replace("+00:00", "Z").replace(
        ".000Z", "Z")[:19] == upstream["archivedAt"][:19]
    assert (erased_row.archived, erased_row.deleted_kind) == (True, "vanished")
    assert erased_row.purged_at is None and erased_row.properties  # kept unless configured
    run = SyncHistory.objects.get(mode="deletions")
    assert run.status == "success" and run.details["vanished"] == 1 and run.archived == 2
    assert HubSpotContact.objects.filter(archived=False).count() == counts["live"]


def test_vanished_when_purge_setting_on_then_only_id_and_deletion_facts_kept(
        hubspot, api, settings):
    settings.HUBSPOT_PURGE_VANISHED = True
    contacts("--full")
    (erased,) = some_live_ids(1)
    assert row(erased).email
    api.post(f"{CONTACTS_LIST}/gdpr-delete", json={"objectId": erased}).raise_for_status()
    run_command("sync_hubspot_contacts", "--deletions")
    purged = row(erased)
    assert purged.properties == {} and purged.email is None and purged.firstname is None
    assert purged.deleted_kind == "vanished" and purged.purged_at and purged.archived_at
    assert purged.created_at and purged.updated_at  # deletion facts and times stay


def test_merged_away_when_deletions_then_archived_as_merged_into_the_survivor(hubspot, api):
    contacts("--full")
    first, second = some_live_ids(2)
    survivor = api.post(f"{CONTACTS_LIST}/merge", json={
        "primaryObjectId": first, "objectIdToMerge": second}).raise_for_status().json()["id"]
    run_command("sync_hubspot_contacts", "--deletions")
    for absorbed in (first, second):
        assert (row(absorbed).deleted_kind, row(absorbed).merged_into) == ("merged", survivor)


def test_full_run_when_records_gone_three_ways_then_each_row_says_why(hubspot, api):
    contacts("--full")
    binned, erased, first, second = some_live_ids(4)
    api.delete(f"{CONTACTS_LIST}/{binned}").raise_for_status()
    api.post(f"{CONTACTS_LIST}/gdpr-delete", json={"objectId": erased}).raise_for_status()
    survivor = api.post(f"{CONTACTS_LIST}/merge", json={
        "primaryObjectId": first, "objectIdToMerge": second}).raise_for_status().json()["id"]
    contacts("--full")
    assert row(binned).deleted_kind == "archived"
    assert row(erased).deleted_kind == "vanished"
    assert {row(first).merged_into, row(second).merged_into} == {survivor}
    assert row(survivor).deleted_kind is None and row(survivor).archived is False


def test_unchanged_portal_when_deletions_then_nothing_changes_and_few_requests(hubspot):
    contacts("--full")
    before = list(HubSpotContact.objects.order_by("pk").values())
    links = HubSpotAssociation.objects.count()
    requests = hubspot.control.stats()["requests"]
    counts = deletions_line(run_command("sync_hubspot_contacts", "--deletions").out)
    assert counts["vanished"] == counts["archived"] == counts["restored"] == 0
    assert list(HubSpotContact.objects.order_by("pk").values()) == before
    assert HubSpotAssociation.objects.count() == links
    live = counts["live"]
    # ids only: one list request per 100 ids of each listing, plus the property list
    pages = -(-live // 100) + -(-counts["archived_upstream"] // 100) + 1
    assert hubspot.control.stats()["requests"] - requests <= pages + 1


def test_dry_run_when_deletions_then_counted_and_nothing_written(hubspot, api):
    contacts("--full")
    (binned,) = some_live_ids(1)
    api.delete(f"{CONTACTS_LIST}/{binned}").raise_for_status()
    before = list(HubSpotContact.objects.order_by("pk").values())
    counts = deletions_line(run_command("sync_hubspot_contacts", "--deletions",
                                        "--dry-run").out)
    assert counts["archived"] == 1
    assert list(HubSpotContact.objects.order_by("pk").values()) == before
    assert not SyncHistory.objects.filter(mode="deletions").exists()


def test_archived_here_but_live_upstream_when_deletions_then_restored_from_hubspot(
        hubspot, api):
    contacts("--full")
    (object_id,) = some_live_ids(1)
    HubSpotContact.objects.filter(pk=object_id).update(archived=True, deleted_kind="vanished",
                                                      properties={})
    counts = deletions_line(run_command("sync_hubspot_contacts", "--deletions").out)
    assert counts["restored"] == 1
    restored = row(object_id)
    assert restored.archived is False and restored.deleted_kind is None
    assert restored.email == upstream_record(api, object_id, "email")["properties"]["email"]


def test_restored_upstream_without_an_edit_when_incremental_then_missed_deletions_restore_it(
        hubspot, api):
    contacts("--full")
    (object_id,) = some_live_ids(1)
    api.delete(f"{CONTACTS_LIST}/{object_id}").raise_for_status()
    contacts()
    assert row(object_id).deleted_kind == "archived"
    hubspot.control.restore("contacts", object_id)
    # The restore keeps the modified time, so a search by modified time never returns it.
    contacts()
    assert row(object_id).archived is True

    counts = deletions_line(run_command("sync_hubspot_contacts", "--deletions").out)
    assert counts["restored"] == 1
    restored = row(object_id)
    assert (restored.archived, restored.deleted_kind, restored.archived_at) == (False, None, None)


@pytest.mark.parametrize("flags", [("--full",), ("--full", "--force-overwrite", "--noinput")],
                         ids=["full", "force"])
def test_privacy_deleted_here_when_a_copy_read_before_the_deletion_arrives_then_not_revived(
        hubspot, flags):
    contacts("--full")
    (erased,) = some_live_ids(1)
    # As a privacy-deletion webhook leaves it, while HubSpot still served the record to a run
    # that read it just before the deletion.
    HubSpotContact.objects.filter(pk=erased).update(
        archived=True, deleted_kind="privacy_deleted", properties={}, email=None)
    contacts(*flags)
    kept = row(erased)
    assert (kept.archived, kept.deleted_kind, kept.properties, kept.email) == (
        True, "privacy_deleted", {}, None)


def test_hard_deleted_upstream_when_deletions_then_vanished_and_links_refresh_drops_its_links(
        hubspot):
    contacts("--full")
    (gone,) = some_live_ids(1)
    assert HubSpotAssociation.objects.filter(from_object_type="contacts", from_id=gone).exists()
    hubspot.control.hard_delete("contacts", gone)
    contacts()  # in no listing: an incremental run cannot know
    assert row(gone).archived is False

    assert deletions_line(run_command("sync_hubspot_contacts", "--deletions").out)[
        "vanished"] == 1
    assert (row(gone).archived, row(gone).deleted_kind) == (True, "vanished")
    run_command("sync_hubspot_associations", "--types", "contacts")
    assert not HubSpotAssociation.objects.filter(from_object_type="contacts",
                                                 from_id=gone).exists()


# Which types sync_all hands the job to does not depend on the paths: one family.
@pytest.mark.parametrize("api_family", ["2026-09"], indirect=True)
def test_sync_all_when_deletions_then_every_record_type_checked_definitions_skipped(
        hubspot, api, monkeypatch):
    keep_only(monkeypatch, "companies", "contacts", "deals", "tickets", "line_items", "calls",
              CUSTOM)
    run_command("sync_hubspot_all", "--full")
    (erased,) = some_live_ids(1)
    api.post(f"{CONTACTS_LIST}/gdpr-delete", json={"objectId": erased}).raise_for_status()
    run_command("sync_hubspot_all", "--deletions")
    checked = set(SyncHistory.objects.filter(mode="deletions", status="success")
                  .values_list("object_type", flat=True))
    assert {"contacts", "companies", "deals", "tickets", "calls", "line_items"} <= checked
    assert any(name.startswith("2-") for name in checked)  # the custom object type
    assert not checked & {"properties", "owners", "pipelines", "pipeline_stages", "schemas"}
    assert row(erased).deleted_kind == "vanished"
