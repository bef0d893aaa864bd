"""setup_hubspot_journal against the emulator over HTTP: the subscriptions every mirrored type
needs, made idempotently (a second run reads once and writes nothing), a changed one put
back, a gone type's removed, another portal's left alone; --dry-run writes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from ingestion.models import JournalState
from ingestion.object_types import OBJECT_TYPES
from ingestion.sync.hubspot.connection import (
    JOURNAL_SETUP_SCOPES,
    client_from_settings,
    journal_client_from_settings,
)
from ingestion.sync.hubspot.journal_setup import (
    OBJECT_ACTIONS,
    mirrored_types,
    set_up,
)
from ingestion.sync.hubspot.portals import mirrored_portal
from ingestion.sync.hubspot.replies import Subscription, Subscriptions

from .conftest import SUBSCRIPTIONS

pytestmark = pytest.mark.django_db(transaction=True)
PETS = "2-3508482"  # the default portal's custom object type (linked to contacts)


def setup_journal(*flags: str) -> list[str]:
    out = io.StringIO()
    call_command("setup_hubspot_journal", *flags, stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()


def listed() -> list[Subscription]:
    with journal_client_from_settings(JOURNAL_SETUP_SCOPES) as journal:
        return journal.request("GET", journal.paths.journal_subscriptions(),
                               shape=Subscriptions).results


def upsert(body: dict) -> Subscription:
    with journal_client_from_settings(JOURNAL_SETUP_SCOPES) as journal:
        return journal.request("POST", journal.paths.journal_subscriptions(), json=body,
                               shape=Subscription)


def journal_requests(emulator) -> int:
    by_path = emulator.control.stats()["by_path"]
    return sum(n for path, n in by_path.items() if path.startswith(SUBSCRIPTIONS))


def by_kind(subscriptions: list[Subscription], kind: str) -> dict:
    return {s.object_type_id: s for s in subscriptions if s.subscription_type == kind}


@pytest.fixture
def portal(app, settings) -> int:
    settings.HUBSPOT_PORTAL_ID = None  # learnt from the account details, as by default
    with client_from_settings() as crm:
        return mirrored_portal(crm)


def test_fresh_app_when_set_up_then_every_mirrored_type_subscribed(app, portal):
    lines = setup_journal()
    subscriptions = listed()
    objects = by_kind(subscriptions, "OBJECT")
    standard = {entry.type_id for entry in OBJECT_TYPES}
    assert set(objects) == standard | {PETS}
    contacts = objects["0-1"]
    assert sorted(contacts.actions) == sorted(OBJECT_ACTIONS)
    assert (contacts.object_ids, contacts.properties, contacts.portal_id) == ([], [], portal)
    links = by_kind(subscriptions, "ASSOCIATION")
    assert set(links["0-1"].associated_object_type_ids) == {"0-2", "0-3", "0-5"}
    assert set(links["0-48"].associated_object_type_ids) == {"0-1", "0-2", "0-3", "0-5"}
    assert "0-7" not in links  # products link to nothing the mirror reads
    assert links[PETS].associated_object_type_ids == ["0-1"]
    assert list(by_kind(subscriptions, "GDPR_PRIVACY_DELETION")) == ["0-1"]
    memberships = [s for s in subscriptions if s.subscription_type == "LIST_MEMBERSHIP"]
    assert [(m.list_ids, sorted(m.actions)) for m in memberships] == [
        ([], ["ADDED_TO_LIST", "REMOVED_FROM_LIST"])]
    assert lines[-1] == (f"journal: subscriptions created={len(subscriptions)} updated=0 "
                         "removed=0 unchanged=0")
    state = JournalState.objects.get()
    assert "contacts" in state.subscribed_types and PETS in state.subscribed_types
    assert state.set_up_at is not None and state.offset == ""


def test_set_up_journal_when_run_again_then_one_read_and_no_write(app, portal):
    setup_journal()
    before = {(s.id, s.subscription_type, s.object_type_id) for s in listed()}
    requests = journal_requests(app)
    lines = setup_journal()
    assert journal_requests(app) - requests == 1  # the listing, nothing else
    assert lines == [f"journal: subscriptions created=0 updated=0 removed=0 "
                     f"unchanged={len(before)}"]
    assert {(s.id, s.subscription_type, s.object_type_id) for s in listed()} == before


def test_subscription_changed_upstream_when_set_up_then_put_back_in_place(app, portal):
    setup_journal()
    changed = upsert({"subscriptionType": "OBJECT", "portalId": portal, "objectTypeId": "0-3",
                      "actions": ["CREATE"], "objectIds": [], "properties": ["amount"]})
    lines = setup_journal()
    assert lines[-1].startswith("journal: subscriptions created=0 updated=1 removed=0 ")
    deals = by_kind(listed(), "OBJECT")["0-3"]
    assert deals.id == changed.id
    assert sorted(deals.actions) == sorted(OBJECT_ACTIONS) and deals.properties == []


def test_type_no_longer_mirrored_when_set_up_then_its_subscriptions_removed(app, portal):
    setup_journal()
    elsewhere = upsert({"subscriptionType": "OBJECT", "portalId": portal + 1,
                        "objectTypeId": "0-1", "actions": ["CREATE"], "objectIds": [],
                        "properties": []})
    # Custom objects stop being mirrored (sync_hubspot_all skips them too): the app may no
    # longer read their schemas.
    app.control.deny_scopes(["crm.schemas.custom.read"])
    lines = setup_journal()
    assert lines[-1].startswith("journal: subscriptions created=0 updated=0 removed=2 ")
    remaining = listed()
    assert PETS not in {s.object_type_id for s in remaining if s.portal_id == portal}
    assert elsewhere.id in {s.id for s in remaining}  # another portal's is not the mirror's
    assert PETS not in JournalState.objects.get().subscribed_types


def test_types_narrowed_when_set_up_then_the_dropped_types_subscriptions_removed(app, portal):
    with (client_from_settings() as crm,
          journal_client_from_settings(JOURNAL_SETUP_SCOPES) as journal):
        every = mirrored_types(crm)
        set_up(journal, crm)
        kept = [t for t in every if t.name != "deals"]
        done = set_up(journal, crm, types=kept)
    assert [(s.subscription_type, s.object_type_id) for s in done.remove] == [
        ("OBJECT", "0-3"), ("ASSOCIATION", "0-3")]
    assert len(done.update) == 0
    assert "0-3" not in by_kind(listed(), "OBJECT")
    assert "deals" not in JournalState.objects.get().subscribed_types


def test_dry_run_when_set_up_then_says_what_it_would_create_and_writes_nothing(app, portal):
    lines = setup_journal("--dry-run")
    assert "would create OBJECT contacts (0-1)" in lines
    assert "would create GDPR_PRIVACY_DELETION contacts (0-1)" in lines
    assert lines[-1].endswith("(dry run: nothing was written)")
    assert listed() == []
    assert not JournalState.objects.exists()


def test_journal_read_position_when_set_up_again_then_never_touched(app, portal):
    JournalState.objects.create(key="local", offset="5c1a6f2e-offset", entries_read=7)
    setup_journal()
    state = JournalState.objects.get()
    assert (state.offset, state.entries_read) == ("5c1a6f2e-offset", 7)
    assert state.subscribed_types and state.set_up_at is not None
