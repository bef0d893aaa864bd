"""End to end over real HTTP: a change made in HubSpot (the emulator) → HubSpot's signed POST
to the receiver on a live Django server → the event stored → apply_hubspot_events → the local
rows and links equal HubSpot's."""

from __future__ import annotations

import pytest
from sync_commands import run_command

from ingestion.models import HubSpotCompany, HubSpotContact, SyncHistory, WebhookEvent
from webhooks.signing import PATH, SECRET, stored
from webhooks.upstream import (
    assert_mirrored,
    links_local,
    links_of,
    links_upstream,
    mirror_snapshot,
    record,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONTACTS = "/crm/v3/objects/contacts"


@pytest.fixture
def webhooks(hubspot, live_server, secret):
    """A mirrored portal whose every change is POSTed, signed, to the live receiver."""
    run_command("sync_hubspot_companies", "--full")
    run_command("sync_hubspot_contacts", "--full")

    def configure(**options):
        hubspot.control.configure_webhooks(f"{live_server.url}{PATH}", SECRET, **options)

    configure()
    yield configure
    hubspot.control.disable_webhooks()


def deliver(hubspot) -> None:
    """Wait until HubSpot has delivered every event, each accepted (2xx) by the receiver."""
    counts = hubspot.control.flush_webhooks(timeout_s=20)
    assert counts["pending"] == 0 and counts["failed"] == 0, counts
    assert all(d["status"] == 200 for d in hubspot.control.webhook_deliveries())


def apply() -> str:
    return run_command("apply_hubspot_events").out.strip().splitlines()[-1]


def applied_all() -> None:
    assert not WebhookEvent.objects.filter(applied_at__isnull=True).exists()


def contact_ids(api, count: int) -> list[str]:
    data = api.get(CONTACTS, params={"limit": count}).raise_for_status().json()
    return [r["id"] for r in data["results"]]


def test_creation_when_delivered_and_applied_then_new_row_equals_hubspot(
        hubspot, webhooks, api):
    created = api.post(CONTACTS, json={"properties": {
        "email": "new.person@example.org", "firstname": "New", "lastname": "Person"}}
    ).raise_for_status().json()["id"]
    deliver(hubspot)
    kinds = {e.subscription_type for e in stored() if e.object_id == created}
    assert "contact.creation" in kinds
    assert "new.person@example.org" not in str([e.detail for e in stored()])
    assert apply().startswith("events: received=")
    applied_all()
    assert_mirrored(api, "contacts", created)


def test_property_change_when_applied_then_row_equals_hubspot(hubspot, webhooks, api):
    [contact] = contact_ids(api, 1)
    api.patch(f"{CONTACTS}/{contact}", json={"properties": {"lastname": "Changed",
                                                           "phone": "+44 20 7946 0000"}})
    deliver(hubspot)
    assert {e.detail.get("propertyName") for e in stored()} >= {"lastname", "phone"}
    apply()
    applied_all()
    assert_mirrored(api, "contacts", contact)
    assert HubSpotContact.objects.get(pk=contact).lastname == "Changed"


def test_archive_then_restore_when_applied_then_archived_then_live_again(hubspot, webhooks, api):
    [contact] = contact_ids(api, 1)
    api.delete(f"{CONTACTS}/{contact}").raise_for_status()
    deliver(hubspot)
    apply()
    row = HubSpotContact.objects.get(pk=contact)
    assert (row.archived, row.deleted_kind, row.archived_at is not None) == (
        True, "archived", True)
    assert_mirrored(api, "contacts", contact)

    modified = record(api, "contacts", contact)["updatedAt"]
    hubspot.control.restore("contacts", contact)
    # The restore does not move the modified time: only the event tells the mirror.
    assert record(api, "contacts", contact)["updatedAt"] == modified
    deliver(hubspot)
    assert stored()[-1].subscription_type == "contact.restore"
    apply()
    applied_all()
    row = HubSpotContact.objects.get(pk=contact)
    assert (row.archived, row.deleted_kind, row.archived_at) == (False, None, None)
    assert_mirrored(api, "contacts", contact)


def test_merge_when_applied_then_merged_ids_archived_into_the_new_record(hubspot, webhooks, api):
    primary, other = contact_ids(api, 2)
    merged = api.post(f"{CONTACTS}/merge", json={"primaryObjectId": primary,
                                                 "objectIdToMerge": other}
                      ).raise_for_status().json()["id"]
    assert merged not in (primary, other)  # contacts merge into a new record
                                           # (docs/hubspot-api.md#deletions-and-merges)
    deliver(hubspot)
    assert "contact.merge" in {e.subscription_type for e in stored()}
    apply()
    applied_all()
    assert_mirrored(api, "contacts", merged)
    for old in (primary, other):
        row = HubSpotContact.objects.get(pk=old)
        assert (row.archived, row.deleted_kind, row.merged_into) == (True, "merged", merged)


def test_gdpr_delete_when_applied_then_personal_data_and_links_gone(hubspot, webhooks, api):
    [contact] = contact_ids(api, 1)
    assert HubSpotContact.objects.get(pk=contact).email and links_of("contacts", contact)
    api.post(f"{CONTACTS}/gdpr-delete", json={"objectId": contact}).raise_for_status()
    deliver(hubspot)
    assert "contact.privacyDeletion" in {e.subscription_type for e in stored()}
    apply()
    applied_all()
    row = HubSpotContact.objects.get(pk=contact)
    assert (row.properties, row.email, row.firstname) == ({}, None, None)
    assert (row.archived, row.deleted_kind, row.purged_at is not None) == (
        True, "privacy_deleted", True)
    assert links_of("contacts", contact) == 0


def test_association_added_and_removed_when_applied_then_links_match_hubspot(
        hubspot, webhooks, api):
    [contact] = contact_ids(api, 1)
    linked = {to for to, *_ in links_upstream(api, "contacts", contact, "companies")}
    company = next(c for c in HubSpotCompany.objects.order_by("pk").values_list("pk", flat=True)
                   if c not in linked)
    modified = record(api, "contacts", contact)["updatedAt"]
    link = f"/crm/v4/objects/contacts/{contact}/associations"
    api.put(f"{link}/default/companies/{company}").raise_for_status()
    assert record(api, "contacts", contact)["updatedAt"] == modified  # no sync would see it
    deliver(hubspot)
    apply()
    assert_links_match(api, contact, company)
    assert any(to == company for to, *_ in links_local("contacts", contact, "companies"))

    api.delete(f"{link}/companies/{company}").raise_for_status()
    deliver(hubspot)
    apply()
    applied_all()
    assert_links_match(api, contact, company)
    assert not any(to == company for to, *_ in links_local("contacts", contact, "companies"))


def assert_links_match(api, contact: str, company: str) -> None:
    assert links_local("contacts", contact, "companies") == links_upstream(
        api, "contacts", contact, "companies")
    assert links_local("companies", company, "contacts") == links_upstream(
        api, "companies", company, "contacts")


def test_duplicated_and_reordered_delivery_when_applied_then_converges_and_twice_is_a_no_op(
        hubspot, webhooks, api):
    webhooks(duplicate_rate=1.0, reorder=True, batch_size=3)
    first, second, third, fourth = contact_ids(api, 4)
    for n in range(3):
        api.patch(f"{CONTACTS}/{first}", json={"properties": {"lastname": f"Edit {n}"}})
    api.patch(f"{CONTACTS}/{second}", json={"properties": {"firstname": "Twice"}})
    api.delete(f"{CONTACTS}/{second}")
    api.delete(f"{CONTACTS}/{third}")
    hubspot.control.restore("contacts", third)
    api.post(f"{CONTACTS}/gdpr-delete", json={"objectId": fourth})
    created = api.post(CONTACTS, json={"properties": {"email": "late@example.org"}}
                       ).json()["id"]
    deliver(hubspot)

    sent = [i for d in hubspot.control.webhook_deliveries() for i in d["events"]]
    assert len(sent) == 2 * len(set(sent))  # every event came twice
    assert sorted(e.event_id for e in stored()) == sorted(set(sent))  # stored once each
    apply()
    applied_all()
    for contact in (first, second, third, created):
        assert_mirrored(api, "contacts", contact)
    assert HubSpotContact.objects.get(pk=fourth).deleted_kind == "privacy_deleted"

    before, runs = mirror_snapshot(), SyncHistory.objects.count()
    WebhookEvent.objects.update(applied_at=None)  # apply every event again
    assert apply().startswith(f"events: received={len(set(sent))} ")
    assert mirror_snapshot() == before
    assert apply() == "events: received=0 applied=0 deferred=0 failed=0"
    assert mirror_snapshot() == before and SyncHistory.objects.count() > runs
