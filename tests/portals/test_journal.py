"""The webhooks journal with several portals: one app (its client credentials) reads each
portal's journal (`installPortalId`: that portal's id) with `--portal`, each portal's offset
(JournalState) and events in its own scope. Each emulator is its own portal (the session
one PORTAL_ID, the second 2002), and each portal is registered with the id HubSpot gives it
(its account details): the emulator's journal has no entries for another `installPortalId`."""

from __future__ import annotations

import httpx
import pytest
from sync_commands import run_command

from hubspot_emulator import PORTAL_ID
from ingestion.models import HubSpotContact, JournalState, WebhookEvent
from ingestion.sync.hubspot.accounts import get_portal, in_portal

from .conftest import portal_command
from .test_isolation import upstream_contacts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("scopes_dropped")]


def rename(emulator, contact: str, firstname: str) -> None:
    with httpx.Client(base_url=emulator.url, timeout=30,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as api:
        api.patch(f"/crm/v3/objects/contacts/{contact}",
                  json={"properties": {"firstname": firstname}}).raise_for_status()


def test_journal_when_two_portals_then_each_read_into_its_own_scope(hubspot, second,
                                                                     monkeypatch, settings):
    settings.HUBSPOT_CLIENT_ID = hubspot.client_id  # the one app, installed in both
    settings.HUBSPOT_CLIENT_SECRET = hubspot.client_secret
    settings.HUBSPOT_JOURNAL_POLL_SECONDS = 0.2
    contacts, ids = {}, {"a": PORTAL_ID, "b": 2002}
    assert (hubspot.portal_id, second.portal_id) == (ids["a"], ids["b"])
    for name, emulator in (("a", hubspot), ("b", second)):
        monkeypatch.setenv(f"TOKEN_{name}", emulator.token)
        portal_command("add", name, "--token-env", f"TOKEN_{name}", "--base-url", emulator.url)
        assert get_portal(name).portal_id == ids[name]  # learnt from its HubSpot
        run_command("sync_hubspot_contacts", "--portal", name, "--full")
        run_command("setup_hubspot_journal", "--portal", name)
        contacts[name] = sorted(upstream_contacts(emulator))[0]
        rename(emulator, contacts[name], f"Journal-{name}")
    assert contacts["a"] != contacts["b"]
    for name in ("a", "b"):
        run_command("sync_hubspot_changes", "--portal", name)
    for name, other in (("a", "b"), ("b", "a")):
        with in_portal(name):
            # read with installPortalId = its own id: another id's journal is empty
            assert HubSpotContact.objects.get(pk=contacts[name]).firstname == f"Journal-{name}"
            assert not HubSpotContact.objects.filter(pk=contacts[other]).exists()
            state = JournalState.objects.get()
            assert state.offset and state.portal_id == ids[name]
            assert WebhookEvent.objects.filter(object_id=contacts[name],
                                               portal_id=ids[name]).exists()
            assert not WebhookEvent.objects.filter(object_id=contacts[other]).exists()
    assert not JournalState.objects.exists()  # the implicit portal's journal: never set up
    assert not WebhookEvent.objects.exists()
