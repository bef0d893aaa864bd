"""Link refresh (`sync_hubspot_associations`, `--links-only`): the association sets of every
stored live record re-read without the records, replaced exactly, in a recorded run."""

from __future__ import annotations

import pytest
from sync_all_types import CUSTOM, keep_only
from sync_commands import run_command, run_failing

from ingestion.models import HubSpotAssociation, HubSpotContact, SyncError, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("api_family", "few_attempts")]

KEY = ("from_id", "to_object_type", "to_id", "association_type_id", "category", "label")


def contact_links(**filters) -> set[tuple]:
    return set(HubSpotAssociation.objects.filter(from_object_type="contacts", **filters)
               .values_list(*KEY))


def links_line(out: str, object_type: str = "contacts") -> dict[str, int]:
    line = next(x for x in out.splitlines() if x.startswith(f"{object_type} links: "))
    pairs = line.split(": ", 1)[1].split(" (dry run")[0].split()
    return {k: int(v) for k, v in (p.split("=") for p in pairs)}


def upstream_companies(api, contact_id: str) -> set[str]:
    data = api.get(f"/crm/v4/objects/contacts/{contact_id}/associations/companies",
                   params={"limit": 500}).raise_for_status().json()
    return {str(r["toObjectId"]) for r in data["results"]}


def linked_pair() -> tuple[str, str]:
    return HubSpotAssociation.objects.filter(
        from_object_type="contacts", to_object_type="companies").values_list(
        "from_id", "to_id").order_by("from_id").first()


def test_association_change_only_when_incremental_then_missed_and_links_refresh_catches_it(
        hubspot, api):
    run_command("sync_hubspot_contacts", "--full")
    contact_id, company_id = linked_pair()
    other_contact = HubSpotContact.objects.exclude(pk=contact_id).filter(
        archived=False).order_by("pk").values_list("pk", flat=True)[3]
    api.delete(f"/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}"
               ).raise_for_status()
    api.put(f"/crm/v4/objects/contacts/{other_contact}/associations/default/companies/"
            f"{company_id}").raise_for_status()

    # HubSpot leaves the modified time alone when only links change, so an incremental run
    # reads neither record and the stored links stay as they were.
    assert run_command("sync_hubspot_contacts")["contacts"]["fetched"] <= 1  # the lookback
    assert contact_links(from_id=contact_id, to_id=company_id)
    assert not contact_links(from_id=other_contact, to_id=company_id)

    out = run_command("sync_hubspot_associations", "--types", "contacts").out
    counts = links_line(out)
    assert counts["removed"] >= 1 and counts["added"] >= 1 and counts["failed"] == 0
    assert not contact_links(from_id=contact_id, to_id=company_id)
    assert {to for (_, _, to, *_) in contact_links(
        from_id=other_contact, to_object_type="companies")} == upstream_companies(
        api, other_contact)
    run = SyncHistory.objects.filter(mode="links").get()
    assert run.object_type == "contacts" and run.status == "success"
    assert run.details["added"] == counts["added"] and run.details["removed"] == counts[
        "removed"]


def test_unchanged_portal_when_links_refreshed_then_every_link_unchanged_nothing_written(
        hubspot):
    run_command("sync_hubspot_contacts", "--full")
    before = list(HubSpotAssociation.objects.order_by("pk").values())
    counts = links_line(run_command("sync_hubspot_contacts", "--links-only").out)
    assert counts["added"] == counts["removed"] == counts["failed"] == 0
    assert counts["read"] == counts["unchanged"] == len(before)
    assert counts["records"] == HubSpotContact.objects.filter(archived=False).count()
    assert list(HubSpotAssociation.objects.order_by("pk").values()) == before


def test_links_read_failing_when_refreshed_then_stored_links_kept_run_partial_exit_3(
        hubspot, paths, api):
    run_command("sync_hubspot_contacts", "--full")
    contact_id, company_id = linked_pair()
    api.delete(f"/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}"
               ).raise_for_status()
    before = contact_links()
    hubspot.control.set_faults(rate=1.0, kinds=["400"], match={
        "path_prefix": paths.associations_batch_read("contacts", "companies")})
    error, run = run_failing("sync_hubspot_contacts", "--links-only")
    assert error.returncode == 3 and "could not be read" in str(error)
    assert contact_links() == before  # not one set replaced from an incomplete read
    live = HubSpotContact.objects.filter(archived=False).count()
    assert links_line(run.out)["failed"] == live == SyncError.objects.count()
    assert SyncHistory.objects.get(mode="links").status == "partial"


def test_record_archived_here_when_links_refreshed_then_its_outgoing_links_removed(hubspot):
    run_command("sync_hubspot_contacts", "--full")
    contact_id, _ = linked_pair()
    HubSpotContact.objects.filter(pk=contact_id).update(archived=True)
    counts = links_line(run_command("sync_hubspot_associations", "--types", "contacts").out)
    assert not contact_links(from_id=contact_id)
    assert counts["removed"] >= 1


@pytest.mark.parametrize("flags", [("--full",), ("--since", "2020-01-01"),
                                   ("--force-overwrite",), ("--skip-associations",)])
def test_links_only_when_combined_with_a_record_flag_then_usage_error_exit_2(hubspot, flags):
    error, _ = run_failing("sync_hubspot_contacts", "--links-only", *flags)
    assert error.returncode == 2 and "--links-only cannot be combined" in str(error)
    assert not SyncHistory.objects.exists()


def test_links_only_and_deletions_when_both_given_then_refused_by_the_parser(hubspot):
    error, _ = run_failing("sync_hubspot_contacts", "--links-only", "--deletions")
    assert "not allowed with" in str(error)  # argparse: exit 2 from a shell
    assert not SyncHistory.objects.exists()


def test_unknown_type_when_associations_refreshed_then_usage_error_names_known_types(hubspot):
    error, _ = run_failing("sync_hubspot_associations", "--types", "contacts,unicorns")
    assert error.returncode == 2 and "unicorns" in str(error) and "deals" in str(error)


# Which types sync_all hands the job to does not depend on the paths: one family.
@pytest.mark.parametrize("api_family", ["2026-09"], indirect=True)
def test_sync_all_when_links_only_then_each_type_with_links_refreshed_definitions_skipped(
        hubspot, monkeypatch):
    keep_only(monkeypatch, "companies", "contacts", "deals", "tickets", "products",
              "line_items", "calls", CUSTOM)
    run_command("sync_hubspot_all", "--full")
    stored = HubSpotAssociation.objects.count()
    out = run_command("sync_hubspot_all", "--links-only").out
    refreshed = {line.split(" links: ")[0] for line in out.splitlines() if " links: " in line}
    assert {"contacts", "companies", "deals", "tickets", "line_items", "calls"} <= refreshed
    recorded = set(SyncHistory.objects.filter(mode="links", status="success")
                   .values_list("object_type", flat=True))
    assert {"contacts", "companies", "deals"} <= recorded
    assert not recorded & {"properties", "owners", "pipelines", "pipeline_stages", "schemas"}
    assert SyncHistory.objects.filter(mode="links").count() == len(recorded)
    assert HubSpotAssociation.objects.count() == stored
