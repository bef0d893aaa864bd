"""apply_hubspot_events with events POSTed by hand (signed) to the receiver: each kind of
event brings the mirror to what HubSpot holds; locks defer; failures are retried, then given
up; a dry run writes nothing."""

from __future__ import annotations

import socket

import pytest
from django.utils import timezone
from sync_commands import run_command, run_failing

from hubspot_emulator import PORTAL_ID
from ingestion.models import HubSpotContact, HubSpotQuote, SyncHistory
from ingestion.tasks import SyncFailed, apply_hubspot_events
from webhooks.signing import event, now_ms, pending, stored
from webhooks.upstream import (
    assert_mirrored,
    links_local,
    links_of,
    links_upstream,
    mirror_snapshot,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONTACT, OTHER, COMPANY = "10000000001", "10000000002", "20000000001"
PETS = "2-3508482"  # the emulator's custom object type


@pytest.fixture
def mirror(hubspot, secret):
    run_command("sync_hubspot_companies", "--full")
    run_command("sync_hubspot_contacts", "--full")
    return hubspot


def apply(*flags: str) -> str:
    """Run the command, which must succeed; its summary line."""
    return run_command("apply_hubspot_events", *flags).out.strip().splitlines()[-1]


def hold_lock(object_type: str) -> SyncHistory:
    """A run of the type in progress on another machine (the lock is its `running` row)."""
    return SyncHistory.objects.create(object_type=object_type, mode="full",
                                      started_at=timezone.now(), pid=1,
                                      hostname=f"not-{socket.gethostname()}")


def test_apply_when_property_changed_then_row_equals_hubspot_and_event_applied(
        mirror, api, post_events):
    api.patch(f"/crm/v3/objects/contacts/{CONTACT}",
              json={"properties": {"firstname": "Renamed"}}).raise_for_status()
    post_events([event(1, "contact.propertyChange", CONTACT, propertyName="firstname",
                       propertyValue="Renamed")])
    assert apply() == "events: received=1 applied=1 deferred=0 failed=0"
    assert_mirrored(api, "contacts", CONTACT)
    assert HubSpotContact.objects.get(pk=CONTACT).firstname == "Renamed"
    assert not pending() and stored()[0].error == ""
    run = SyncHistory.objects.get(object_type="webhooks")
    assert (run.mode, run.status) == ("events", "success")
    assert run.details["pending"] == run.details["applied"] == 1
    assert run.details["by_type"] == {"contacts": {"applied": 1, "deferred": 0, "failed": 0}}


def test_apply_when_nothing_pending_then_does_nothing(mirror):
    before = mirror_snapshot()
    assert apply() == "events: received=0 applied=0 deferred=0 failed=0"
    assert mirror_snapshot() == before


def test_apply_when_events_for_types_not_mirrored_then_applied_with_a_note(mirror, post_events):
    post_events([event(1, "object.creation", 77, objectTypeId="2-99999"),
                 event(2, "conversation.creation", 78)])
    assert apply() == "events: received=2 applied=2 deferred=0 failed=0"
    assert {e.error for e in stored()} == {"2-99999 is not mirrored",
                                           "conversation is not mirrored"}


def test_apply_when_type_lock_held_then_deferred_and_applied_by_a_later_run(
        mirror, api, post_events):
    api.patch(f"/crm/v3/objects/contacts/{CONTACT}", json={"properties": {"lastname": "Z"}})
    post_events([event(1, "contact.propertyChange", CONTACT, propertyName="lastname"),
                 event(2, "company.propertyChange", COMPANY, propertyName="name")])
    running = hold_lock("contacts")
    assert apply() == "events: received=2 applied=1 deferred=1 failed=0"
    assert [(e.event_id, e.attempts) for e in pending()] == [(1, 0)]
    assert "already running" in pending()[0].error
    assert HubSpotContact.objects.get(pk=CONTACT).lastname != "Z"

    running.status = SyncHistory.Status.SUCCESS
    running.save()
    assert apply() == "events: received=1 applied=1 deferred=0 failed=0"
    assert HubSpotContact.objects.get(pk=CONTACT).lastname == "Z"


def test_apply_when_another_applier_runs_then_exit_75_and_nothing_applied(mirror, post_events):
    post_events([event(1, "contact.creation", CONTACT)])
    hold_lock("webhooks")
    error, _ = run_failing("apply_hubspot_events")
    assert error.returncode == 75 and "another applier" in str(error)
    assert len(pending()) == 1


def test_apply_when_token_refused_then_exit_1_refused_token_events_stay_pending(
        hubspot, settings, post_events):
    post_events([event(1, "contact.creation", CONTACT)])
    settings.HUBSPOT_ACCESS_TOKEN = "pat-na1-revoked-0000"
    error, _ = run_failing("apply_hubspot_events")
    assert error.returncode == 1 and type(error).__name__ == "Configuration error"
    assert str(error).startswith("HubSpot refused the access token (HTTP 401"), error
    assert str(error).endswith("; the events stay pending.") and "no access" not in str(error)
    assert len(pending()) == 1


def test_apply_when_a_type_is_forbidden_then_exit_77_no_access_events_stay_pending(
        hubspot, post_events):
    hubspot.control.deny_scopes(["crm.objects.contacts.read"])
    post_events([event(1, "contact.creation", CONTACT)])
    error, _ = run_failing("apply_hubspot_events")
    assert error.returncode == 77, error
    assert str(error).startswith("no access to a type the events name: HubSpot answered "
                                 "HTTP 403"), error
    assert str(error).endswith("; the events stay pending.") and "refused" not in str(error)
    assert len(pending()) == 1 and not HubSpotContact.objects.exists()


def test_apply_when_record_cannot_be_read_then_retried_then_given_up(
        mirror, post_events, settings):
    settings.HUBSPOT_WEBHOOK_MAX_ATTEMPTS = 2
    mirror.control.put_raw("contacts", CONTACT, {"id": CONTACT, "properties": {},
                                                 "updatedAt": "yesterday-ish"})
    post_events([event(1, "contact.propertyChange", CONTACT, propertyName="email"),
                 event(2, "contact.propertyChange", OTHER, propertyName="email")])
    error, run = run_failing("apply_hubspot_events")
    assert error.returncode == 3
    assert run.out.strip() == "events: received=2 applied=1 deferred=0 failed=1"
    [kept] = pending()
    assert (kept.event_id, kept.attempts) == (1, 1) and "updatedAt" in kept.error

    error, _ = run_failing("apply_hubspot_events")
    assert error.returncode == 3 and not pending()
    given_up = stored()[0]
    assert given_up.attempts == 2 and given_up.error.startswith("gave up after 2 attempts")


def test_apply_when_dry_run_then_reports_and_writes_nothing(mirror, api, post_events):
    api.patch(f"/crm/v3/objects/contacts/{CONTACT}", json={"properties": {"lastname": "Dry"}})
    post_events([event(1, "contact.propertyChange", CONTACT, propertyName="lastname"),
                 event(2, "contact.privacyDeletion", OTHER)])
    before, runs = mirror_snapshot(), SyncHistory.objects.count()
    assert apply("--dry-run") == ("events: received=2 applied=2 deferred=0 failed=0 "
                                  "(dry run: nothing was written)")
    assert mirror_snapshot() == before and SyncHistory.objects.count() == runs
    assert len(pending()) == 2


def test_apply_when_limited_then_takes_the_oldest_first(mirror, post_events):
    t = now_ms()
    post_events([event(3, "contact.creation", CONTACT, occurred_at=t),
                 event(1, "contact.creation", OTHER, occurred_at=t - 2),
                 event(2, "company.creation", COMPANY, occurred_at=t - 1)])
    assert apply("--limit", "2") == "events: received=2 applied=2 deferred=0 failed=0"
    assert [e.event_id for e in pending()] == [3]
    error, _ = run_failing("apply_hubspot_events", "--limit", "0")
    assert error.returncode == 2


def test_apply_when_privacy_deletion_then_purged_whatever_the_other_events_say(
        mirror, api, post_events):
    assert links_of("contacts", CONTACT)
    api.post("/crm/v3/objects/contacts/gdpr-delete",
             json={"objectId": CONTACT}).raise_for_status()
    t = now_ms()
    # A property change stamped after the deletion, and a creation arriving in a later POST.
    post_events([event(2, "contact.propertyChange", CONTACT, occurred_at=t + 5,
                       propertyName="email"),
                 event(1, "contact.privacyDeletion", CONTACT, occurred_at=t)])
    assert apply() == "events: received=2 applied=2 deferred=0 failed=0"
    assert_purged(CONTACT)
    post_events([event(3, "contact.creation", CONTACT, occurred_at=t - 1_000)])
    assert apply() == "events: received=1 applied=1 deferred=0 failed=0"
    assert_purged(CONTACT)
    assert stored()[-1].error == "contact deleted for privacy: not re-read"


def assert_purged(contact_id: str) -> None:
    row = HubSpotContact.objects.get(pk=contact_id)
    assert (row.properties, row.email, row.firstname, row.lastname) == ({}, None, None, None)
    assert (row.archived, row.deleted_kind) == (True, "privacy_deleted")
    assert row.purged_at is not None and row.archived_at is not None
    assert links_of("contacts", contact_id) == 0


def test_apply_when_privacy_deletion_during_a_contacts_sync_then_purged_and_purged_again(
        mirror, post_events):
    post_events([event(1, "contact.privacyDeletion", CONTACT)])
    running = hold_lock("contacts")
    assert apply() == "events: received=1 applied=0 deferred=1 failed=0"
    assert_purged(CONTACT)  # at once: the data must not wait for the sync to end
    running.status = SyncHistory.Status.SUCCESS
    running.save()
    assert apply() == "events: received=1 applied=1 deferred=0 failed=0"


def test_apply_when_association_added_then_links_of_both_ends_match_hubspot(
        mirror, api, post_events):
    company = "20000000002"
    before = api.get(f"/crm/v3/objects/contacts/{CONTACT}").json()["updatedAt"]
    api.put(f"/crm/v4/objects/contacts/{CONTACT}/associations/default/companies/{company}"
            ).raise_for_status()
    # HubSpot leaves the modified time alone: an incremental sync would not see this.
    assert api.get(f"/crm/v3/objects/contacts/{CONTACT}").json()["updatedAt"] == before
    assert links_local("contacts", CONTACT, "companies") != links_upstream(
        api, "contacts", CONTACT, "companies")
    post_events([{k: v for k, v in event(1, "contact.associationChange", 0).items()
                  if k != "objectId"} | {"associationType": "CONTACT_TO_COMPANY",
                                         "fromObjectId": int(CONTACT),
                                         "toObjectId": int(company),
                                         "associationRemoved": False}])
    assert apply() == "events: received=1 applied=1 deferred=0 failed=0"
    assert links_local("contacts", CONTACT, "companies") == links_upstream(
        api, "contacts", CONTACT, "companies")
    assert links_local("companies", company, "contacts") == links_upstream(
        api, "companies", company, "contacts")
    assert {r.object_type for r in SyncHistory.objects.filter(mode="links")} == {
        "contacts", "companies"}


def test_celery_task_when_events_pending_then_applies_them_through_the_command(
        mirror, post_events):
    post_events([event(1, "contact.creation", CONTACT)])
    result = apply_hubspot_events.apply().get()
    assert result["output"] == ["events: received=1 applied=1 deferred=0 failed=0"]
    hold_lock("webhooks")
    with pytest.raises(SyncFailed) as failed:
        apply_hubspot_events.apply(kwargs={"limit": "10"}).get()
    assert failed.value.status == 75


def test_apply_when_backlog_larger_than_a_page_then_every_page_taken_once(
        mirror, post_events, monkeypatch):
    from ingestion.sync.hubspot import events

    monkeypatch.setattr(events, "PAGE", 2)
    ids = [f"1000000000{n}" for n in range(1, 6)]
    post_events([event(n, "contact.creation", i) for n, i in enumerate(ids, 1)]
                + [event(9, "company.creation", COMPANY)])
    hold_lock("companies")  # a deferred event stays pending, and is not taken up again
    assert apply() == "events: received=6 applied=5 deferred=1 failed=0"
    assert [e.event_id for e in pending()] == [9]
    assert SyncHistory.objects.filter(object_type="contacts", mode="ids").count() == 3


def test_apply_when_standard_object_created_then_its_table_has_the_record(
        mirror, api, post_events):
    # the other standard objects come as `object.*` events naming their type id (0-14: quotes)
    created = api.post("/crm/v3/objects/quotes", json={"properties": {"hs_title": "Via hook"}})
    quote = created.raise_for_status().json()["id"]
    post_events([event(1, "object.creation", quote, objectTypeId="0-14")])
    assert apply() == "events: received=1 applied=1 deferred=0 failed=0"
    row = HubSpotQuote.objects.get(pk=quote)
    assert row.properties["hs_title"] == "Via hook" and row.hs_createdate is not None


def test_apply_when_schemas_lookup_fails_for_a_custom_type_then_only_its_events_fail(
        mirror, post_events, settings):
    settings.HUBSPOT_MAX_ATTEMPTS = 2
    mirror.control.set_faults(rate=1.0, kinds=["500"],
                              match={"method": "GET", "path_prefix": "/crm/v3/schemas"})
    post_events([event(1, "object.propertyChange", 90000000001, objectTypeId=PETS,
                       propertyName="name"),
                 event(2, "contact.creation", CONTACT)])
    error, run = run_failing("apply_hubspot_events")
    assert error.returncode == 3
    assert run.out.strip() == "events: received=2 applied=1 deferred=0 failed=1"
    [kept] = pending()
    assert (kept.event_id, kept.attempts) == (1, 1)
    assert "schemas" in kept.error and "500" in kept.error

    mirror.control.clear_faults()
    assert apply() == "events: received=1 applied=1 deferred=0 failed=0"
    assert not pending()


def test_apply_when_privacy_deletion_of_another_portal_then_recorded_and_never_applied(
        mirror, post_events):
    # the app is installed in this portal and a sandbox: the sandbox's contact has our id
    other = PORTAL_ID + 1
    kept = HubSpotContact.objects.get(pk=CONTACT)
    post_events([event(1, "contact.privacyDeletion", CONTACT, portalId=other),
                 event(2, "contact.creation", OTHER)])
    assert apply() == ("events: received=2 applied=1 deferred=0 failed=0 ignored=1 "
                       "(another portal's)")
    row = HubSpotContact.objects.get(pk=CONTACT)
    assert (row.deleted_kind, row.properties, row.purged_at) == (None, kept.properties, None)
    assert links_of("contacts", CONTACT)
    assert not pending()
    assert stored()[0].error == (f"ignored: portal {other}, not the mirrored portal "
                                 f"{PORTAL_ID} (HUBSPOT_PORTAL_ID)")
    run = SyncHistory.objects.get(object_type="webhooks")
    assert (run.status, run.details["ignored"]) == ("success", 1)


@pytest.mark.parametrize("answer", ["503", "403"])
def test_apply_when_the_mirrored_portal_cannot_be_learnt_then_every_event_waits(
        mirror, post_events, settings, answer):
    settings.HUBSPOT_MAX_ATTEMPTS = 2
    mirror.control.set_faults(rate=1.0, kinds=[answer],
                              match={"method": "GET", "path_prefix": "/account-info/"})
    post_events([event(1, "contact.privacyDeletion", CONTACT, portalId=PORTAL_ID + 1)])
    assert apply() == "events: received=1 applied=0 deferred=1 failed=0"
    [waiting] = pending()
    assert waiting.attempts == 0 and "HUBSPOT_PORTAL_ID" in waiting.error
    assert HubSpotContact.objects.get(pk=CONTACT).deleted_kind is None

    settings.HUBSPOT_PORTAL_ID = PORTAL_ID  # the operator says which portal: no lookup
    assert apply().startswith("events: received=1 applied=0 deferred=0 failed=0 ignored=1")
    assert HubSpotContact.objects.get(pk=CONTACT).deleted_kind is None
