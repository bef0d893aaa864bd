"""Marketing events and their participations: paths in both families, the reply shapes
HubSpot's references and SDK models give, paging, limits, the state filter and the scope
(hubspot_emulator/marketing_events.py; BEHAVIOR.md "Marketing sources"). Neither Airbyte nor
MeltanoLabs' tap-hubspot reads marketing events, so there are no peers' requests to replay."""

from __future__ import annotations

import pytest
from upstream import listing

from hubspot_emulator.marketing_events import EVENTS

EVENTS_V3 = "/marketing/v3/marketing-events/"
EVENTS_DATED = "/marketing/marketing-events/2026-03"
# The fields the SDKs' list model requires of every event.
REQUIRED = {"objectId", "eventName", "createdAt", "updatedAt", "customProperties"}


def breakdown(prefix: str, event_id: str) -> str:
    return f"{prefix.rstrip('/')}/participations/{event_id}/breakdown"


@pytest.mark.parametrize("prefix", [EVENTS_V3, EVENTS_V3.rstrip("/"), EVENTS_DATED])
def test_events_when_paged_then_every_event_once_by_object_id_without_total(api, prefix):
    first = api.get(prefix).json()
    every = listing(api, prefix, {"limit": 2})
    assert "total" not in first and len(first["results"]) == EVENTS  # default limit 10
    ids = [e["objectId"] for e in every]
    assert len(ids) == EVENTS and ids == sorted(ids, key=int)
    assert all(set(e) >= REQUIRED and isinstance(e["objectId"], str) for e in every)
    assert all(isinstance(e[c], int) for e in every
               for c in ("registrants", "attendees", "cancellations", "noShows"))
    made_by_app = [e for e in every if "appInfo" in e]
    assert made_by_app and len(made_by_app) < EVENTS  # one made in HubSpot itself
    assert all(e["externalEventId"] for e in made_by_app)


@pytest.mark.parametrize("prefix", [EVENTS_V3, EVENTS_DATED])
def test_participations_when_paged_then_total_contacts_and_counters_agree(api, prefix):
    for event in listing(api, prefix, {"limit": 100}):
        path = breakdown(prefix, event["objectId"])
        first = api.get(path, params={"limit": 4}).json()
        rows = listing(api, path, {"limit": 4})
        assert first["total"] == len(rows) == len({p["id"] for p in rows}) > 0
        for p in rows:
            assert p["associations"]["marketingEvent"]["marketingEventId"] == event["objectId"]
            assert p["associations"]["contact"]["contactId"].startswith("1")
            assert isinstance(p["properties"]["occurredAt"], int)
        states = [p["properties"]["attendanceState"] for p in rows]
        assert (states.count("ATTENDED"), states.count("NO_SHOW")) == (
            event["attendees"], event["noShows"])
        counters = api.get(path.removesuffix("/breakdown")).json()
        assert counters["registered"] == event["registrants"]


def test_participations_when_filtered_by_state_then_only_that_state(api):
    path = breakdown(EVENTS_V3, "60000000001")
    attended = listing(api, path, {"state": "ATTENDED"})
    assert attended and {p["properties"]["attendanceState"] for p in attended} == {"ATTENDED"}
    assert all(p["properties"]["attendanceDurationSeconds"] > 0 for p in attended)
    assert api.get(path, params={"state": "MAYBE"}).status_code == 400


def test_bad_limit_cursor_or_event_when_asked_then_400_or_404(api):
    assert api.get(EVENTS_V3, params={"limit": 101}).status_code == 400
    assert api.get(EVENTS_V3, params={"after": "%%%"}).status_code == 400
    assert api.get(breakdown(EVENTS_V3, "60000000001"), params={"limit": 0}).status_code == 400
    assert api.get(breakdown(EVENTS_DATED, "404")).status_code == 404


def test_scope_when_missing_then_403_naming_it(api, emulator):
    emulator.control.set_token_scopes(["crm.objects.contacts.read"])
    for path in (EVENTS_V3, EVENTS_DATED, breakdown(EVENTS_V3, "60000000001")):
        denied = api.get(path)
        assert denied.status_code == 403 and denied.json()["category"] == "MISSING_SCOPES"
        assert "crm.objects.marketing_events.read" in str(denied.json()["errors"])
    emulator.control.set_token_scopes(["crm.objects.marketing_events.read"])
    assert api.get(EVENTS_DATED).status_code == 200
