"""Webhook deliveries with several portals: one app, one target URL, each event stored in the
scope of the registered portal its `portalId` names; the implicit portal's events and those
of a portal nobody registered in the implicit scope, as before (the latter never applied)."""

from __future__ import annotations

import pytest
from sync_commands import run_command
from webhooks.conftest import post_events, secret  # noqa: F401 - fixtures
from webhooks.signing import event, pending, stored

from hubspot_emulator import PORTAL_ID
from ingestion.models import HubSpotContact
from ingestion.sync.hubspot.accounts import get_portal, in_portal

from .test_isolation import upstream_contacts

pytestmark = pytest.mark.django_db(transaction=True)

IMPLICIT_ID, UNKNOWN_ID = 3003, 4004


def test_delivery_when_events_of_two_portals_then_each_in_its_own_scope(
        two_portals, post_events, settings):  # noqa: F811
    _, second = two_portals
    settings.HUBSPOT_PORTAL_ID = IMPLICIT_ID
    assert get_portal("a").portal_id == PORTAL_ID and get_portal("b").portal_id == 2002
    b_contact = int(sorted(upstream_contacts(second))[0])
    response = post_events([event(1, "contact.creation", 11),
                            event(2, "contact.creation", b_contact, portalId=2002),
                            event(3, "contact.creation", 13, portalId=IMPLICIT_ID),
                            event(4, "contact.privacyDeletion", 14, portalId=UNKNOWN_ID),
                            event(5, "contact.propertyChange", b_contact, portalId=2002,
                                  propertyName="email")])
    assert response.status_code == 200 and response.json() == {"stored": 5, "skipped": 0}
    with in_portal("a"):
        assert [(r.event_id, r.portal_id) for r in pending()] == [(1, PORTAL_ID)]
        assert len(stored()) == 1
    with in_portal("b"):
        assert [(r.event_id, r.portal_id) for r in pending()] == [(2, 2002), (5, 2002)]
        assert len(stored()) == 2
    # the implicit scope: its own event pending, the unknown portal's recorded, settled
    assert [r.event_id for r in pending()] == [3]
    settled = {r.event_id: r.error for r in stored() if r.applied_at is not None}
    assert settled == {4: f"ignored: portal {UNKNOWN_ID}, not the mirrored portal "
                          f"{IMPLICIT_ID} (HUBSPOT_PORTAL_ID)"}
    # b's applier (its id from the registry) applies b's events: b's contact mirrored
    run_command("apply_hubspot_events", "--portal", "b")
    with in_portal("b"):
        assert pending() == [] and {r.error for r in stored()} == {""}
        assert list(HubSpotContact.objects.values_list("pk", flat=True)) == [str(b_contact)]
