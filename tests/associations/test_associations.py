"""Associations (v4): read after each saved batch, replaced per record and target type, kept
by HubSpot ids with no foreign keys."""

from __future__ import annotations

import pytest
from sync_commands import run_command, run_failing
from upstream import listing

from ingestion.models import (
    HubSpotAssociation,
    HubSpotCompany,
    HubSpotContact,
    SyncError,
    SyncHistory,
)

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("api_family", "few_attempts")]

KEY = ("from_object_type", "from_id", "to_object_type", "to_id", "association_type_id",
       "category", "label")


def links(**filters) -> set[tuple]:
    return set(HubSpotAssociation.objects.filter(**filters).values_list(*KEY))


def upstream_targets(api, from_type: str, from_id: str, to_type: str) -> set[str]:
    """Every target id HubSpot lists for one record (v4 list endpoint, all pages)."""
    path = f"/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}"
    return {str(link["toObjectId"]) for link in listing(api, path, {"limit": 500})}


def test_contacts_and_companies_when_force_overwrite_either_side_then_other_rows_and_links_intact(
        hubspot):
    run_command("sync_hubspot_companies", "--full")
    run_command("sync_hubspot_contacts", "--full")
    every_link = links()
    assert links(from_object_type="contacts", to_object_type="companies")
    assert links(from_object_type="companies", to_object_type="contacts")
    company_side = list(HubSpotAssociation.objects.filter(from_object_type="companies")
                        .order_by("id").values())
    companies = list(HubSpotCompany.objects.order_by("pk").values())

    counts = run_command("sync_hubspot_contacts", "--full", "--force-overwrite",
                         "--noinput")["contacts"]
    assert counts["overwritten"] == counts["fetched"] == HubSpotContact.objects.count()
    assert links() == every_link
    # the company side was not even rewritten: same rows, same ids, same sync time
    assert list(HubSpotAssociation.objects.filter(from_object_type="companies")
                .order_by("id").values()) == company_side
    assert list(HubSpotCompany.objects.order_by("pk").values()) == companies

    contacts = list(HubSpotContact.objects.order_by("pk").values())
    contact_side = list(HubSpotAssociation.objects.filter(from_object_type="contacts")
                        .order_by("id").values())
    run_command("sync_hubspot_companies", "--full", "--force-overwrite", "--noinput")
    assert links() == every_link
    assert list(HubSpotAssociation.objects.filter(from_object_type="contacts")
                .order_by("id").values()) == contact_side
    assert list(HubSpotContact.objects.order_by("pk").values()) == contacts


def test_link_removed_upstream_when_force_overwrite_then_its_rows_gone_and_the_rest_kept(
        hubspot, api):
    run_command("sync_hubspot_contacts", "--full")
    run_command("sync_hubspot_companies", "--full")
    contact_id, company_id = HubSpotAssociation.objects.filter(
        from_object_type="contacts", to_object_type="companies").values_list(
        "from_id", "to_id").first()
    pair = {"from_object_type": "contacts", "from_id": contact_id, "to_id": company_id}
    reverse = {"from_object_type": "companies", "from_id": company_id, "to_id": contact_id}
    before = links()
    api.delete(f"/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}"
               ).raise_for_status()

    run_command("sync_hubspot_contacts", "--full", "--force-overwrite", "--noinput")
    assert not links(**pair)
    assert links(**reverse)  # the company side is refreshed by the company sync only
    run_command("sync_hubspot_companies", "--full")  # a plain full run re-reads links too
    assert not links(**reverse)

    def between_the_two(link: tuple) -> bool:
        return {link[1], link[3]} == {contact_id, company_id}

    assert links() == {link for link in before if not between_the_two(link)}


def test_link_added_upstream_when_incremental_run_syncs_that_record_then_link_stored(
        hubspot, api):
    run_command("sync_hubspot_contacts", "--full")
    linked = {i for (i,) in HubSpotAssociation.objects.filter(
        from_object_type="contacts", to_object_type="deals").values_list("from_id")}
    contact_id = HubSpotContact.objects.filter(archived=False).exclude(pk__in=linked) \
        .values_list("pk", flat=True).first()
    deal_id = api.get("/crm/v3/objects/deals", params={"limit": 1}).json()["results"][0]["id"]
    api.put(f"/crm/v4/objects/contacts/{contact_id}/associations/default/deals/{deal_id}"
            ).raise_for_status()
    hubspot.control.update("contacts", contact_id, {"jobtitle": "Buyer"})  # now modified

    counts = run_command("sync_hubspot_contacts")["contacts"]
    assert counts["updated"] == 1 and counts["fetched"] < HubSpotContact.objects.count()
    assert links(from_object_type="contacts", from_id=contact_id, to_object_type="deals",
                 to_id=deal_id)


def test_record_with_more_links_than_one_answer_holds_when_synced_then_every_link_stored(
        hubspot, api):
    hubspot.control.reset(contacts=600, seed=1, rate_limit="none")
    company_id = api.get("/crm/v3/objects/companies", params={"limit": 1}).json()[
        "results"][0]["id"]
    contact_ids, params = [], {"limit": 100}
    while len(contact_ids) < 520:
        data = api.get("/crm/v3/objects/contacts", params=params).json()
        contact_ids += [r["id"] for r in data["results"]]
        params["after"] = data.get("paging", {}).get("next", {}).get("after")
    for contact_id in contact_ids[:520]:
        api.put(f"/crm/v4/objects/companies/{company_id}/associations/default/contacts/"
                f"{contact_id}").raise_for_status()
    expected = upstream_targets(api, "companies", company_id, "contacts")
    assert len(expected) > 500  # more than one v4 answer holds for one record

    run_command("sync_hubspot_companies", "--full")
    stored = {to for (to,) in HubSpotAssociation.objects.filter(
        from_object_type="companies", from_id=company_id, to_object_type="contacts")
        .values_list("to_id").distinct()}
    assert stored == expected


def test_association_reads_failing_when_sync_then_records_saved_run_partial_watermark_kept(
        hubspot, paths):
    reads = paths.associations_batch_read("contacts", "deals")
    hubspot.control.set_faults(rate=1.0, kinds=["400"], match={"path_prefix": reads})
    error, _ = run_failing("sync_hubspot_contacts", "--full")
    assert error.returncode == 3
    live = HubSpotContact.objects.filter(archived=False).count()
    assert live and SyncError.objects.count() == live
    assert "associations to deals" in SyncError.objects.first().reason
    run = SyncHistory.objects.get()
    assert (run.status, run.watermark) == ("partial", None)
    assert not links(from_object_type="contacts", to_object_type="deals")

    hubspot.control.clear_faults()
    counts = run_command("sync_hubspot_contacts")["contacts"]  # no watermark: full again
    assert counts["failed"] == 0 and counts["skipped"] == counts["fetched"]
    assert links(from_object_type="contacts", to_object_type="deals")
    assert SyncHistory.objects.latest("id").watermark is not None
