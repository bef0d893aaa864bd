"""sync_hubspot_marketing_events and sync_hubspot_marketing_event_participations: every
marketing event (CRM object 0-54) and, per event the mirror holds, its participations, read
whole each run from the marketing events API in both families (engines/marketing_events.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from sync_commands import run_command, run_failing
from upstream import listing, requests_by_path

from ingestion.models import (
    HubSpotMarketingEvent,
    HubSpotMarketingEventParticipation,
    SyncError,
    SyncHistory,
)
from ingestion.sync.hubspot.engines import marketing_events as engine_module

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

EVENTS_V3 = "/marketing/v3/marketing-events/"
PARTICIPATIONS_V3 = "/marketing/v3/marketing-events/participations/{}/breakdown"


def events(*flags: str) -> dict[str, int]:
    return run_command("sync_hubspot_marketing_events", *flags)["marketing_events"]


def participations(*flags: str) -> dict[str, int]:
    name = "marketing_event_participations"
    return run_command(f"sync_hubspot_{name}", *flags)[name]


def upstream_events(api) -> list[dict]:
    return listing(api, EVENTS_V3, {"limit": 100})


def upstream_participations(api, event_id: str) -> list[dict]:
    return listing(api, PARTICIPATIONS_V3.format(event_id), {"limit": 100})


@pytest.mark.usefixtures("api_family")
def test_first_run_when_synced_then_events_and_their_participations_stored(hubspot, api):
    assert events()["created"] == len(upstream_events(api)) == 5
    counts = participations()
    upstream = {e["objectId"]: e for e in upstream_events(api)}
    expected = {p["id"]: p for event_id in upstream
                for p in upstream_participations(api, event_id)}
    assert counts["created"] == len(expected) == HubSpotMarketingEventParticipation.objects.count()
    for event in HubSpotMarketingEvent.objects.all():
        sent = upstream[event.id]
        assert (event.name, event.event_type) == (sent["eventName"], sent["eventType"])
        assert event.attendees == sent["attendees"] and event.no_shows == sent["noShows"]
        assert event.starts_at is not None and event.cancelled is sent["eventCancelled"]
        assert event.custom_properties == {"hs_region": sent["customProperties"][0]["value"]}
        assert event.attendees == HubSpotMarketingEventParticipation.objects.filter(
            marketing_event_id=event.id, state="ATTENDED").count()
    for row in HubSpotMarketingEventParticipation.objects.all():
        sent = expected[row.id]
        assert row.contact_id == sent["associations"]["contact"]["contactId"]
        assert row.state == sent["properties"]["attendanceState"]
        assert row.occurred_at is not None and row.updated_at == row.occurred_at
        if row.state == "ATTENDED":
            assert row.attendance_percentage == Decimal(
                sent["properties"]["attendancePercentage"]) and row.duration_seconds > 0
    manual = HubSpotMarketingEvent.objects.get(id="60000000005")  # made in HubSpot itself
    assert manual.app_id is None and manual.external_event_id is None


def test_pages_when_smaller_than_the_data_then_every_page_read(hubspot, api, monkeypatch):
    monkeypatch.setattr(engine_module, "MARKETING_EVENTS_PAGE_MAX", 2)
    monkeypatch.setattr(engine_module, "PARTICIPATIONS_PAGE_MAX", 7)
    events()
    created = participations()["created"]
    calls = requests_by_path(hubspot)
    first = PARTICIPATIONS_V3.format("60000000001")
    assert calls[EVENTS_V3] == 1 + 3 + 1  # probe, 3 pages of 2; participations' probe
    assert calls[first] == 5  # 30 participations, 7 a page
    assert created == sum(len(upstream_participations(api, e["objectId"]))
                          for e in upstream_events(api))


def test_second_run_when_nothing_changed_then_skipped_and_force_overwrite_replaces(hubspot):
    first_events = events()["created"]
    first = participations()["created"]
    assert events()["skipped"] == first_events and participations()["skipped"] == first
    assert events("--force-overwrite")["overwritten"] == first_events
    assert participations("--force-overwrite")["overwritten"] == first


def test_one_events_participations_unreadable_when_synced_then_it_fails_alone_no_sweep(
        hubspot):
    events()
    before = participations()["created"]
    hubspot.control.set_faults(script=[{"kind": "400"}], match={
        "path_prefix": PARTICIPATIONS_V3.format("60000000002")})
    error, _ = run_failing("sync_hubspot_marketing_event_participations")
    assert error.returncode == 3  # partial
    run = SyncHistory.objects.filter(object_type="marketing_event_participations").latest(
        "started_at")
    failure = SyncError.objects.get(history=run)
    assert failure.object_id == "60000000002" and "not read" in failure.reason
    assert run.details["read_check"] == {"unread_events": 1}
    # Nothing swept: the event's participations stay as the last complete read left them.
    assert HubSpotMarketingEventParticipation.objects.filter(archived=False).count() == before


def test_event_gone_when_participations_read_then_its_rows_archived_and_404_is_no_failure(
        hubspot):
    events()
    participations()
    gone = HubSpotMarketingEventParticipation.objects.filter(
        marketing_event_id="60000000001").count()
    # The events run archived event 1 (HubSpot lists it no more); a stale event HubSpot has
    # never heard of answers 404: neither is a failure.
    HubSpotMarketingEvent.objects.filter(id="60000000001").update(archived=True)
    HubSpotMarketingEvent.objects.create(id="61", synced_at=SyncHistory.objects.first()
                                         .started_at)
    counts = participations()
    assert counts["archived"] == gone > 0 and counts["failed"] == 0
    assert not HubSpotMarketingEventParticipation.objects.filter(
        marketing_event_id="60000000001", archived=False).exists()


def test_captured_events_when_some_unreadable_then_each_fails_alone(hubspot, monkeypatch):
    def captured(self, since):  # what a hostile reply could hold, past the envelope check
        yield [{"objectId": "1", "eventName": "ok", "registrants": 3, "eventCancelled": False,
                "customProperties": [{"name": "x", "value": "1"}, {"value": "no name"}]},
               {"eventName": "no objectId"}, "text",
               {"objectId": "2", "startDateTime": "not a date"},
               {"objectId": "3", "registrants": "many"},
               {"objectId": "4", "customProperties": "not a list"}]

    monkeypatch.setattr(engine_module.HubSpotMarketingEventSyncEngine, "pages", captured)
    error, _ = run_failing("sync_hubspot_marketing_events")
    assert error.returncode == 3
    saved = HubSpotMarketingEvent.objects.get()
    assert (saved.id, saved.registrants, saved.custom_properties) == ("1", 3, {"x": "1"})
    reasons = {e.object_id: e.reason for e in SyncError.objects.all()}
    assert set(reasons) == {"", "2", "3", "4"} and len(SyncError.objects.all()) == 5
    assert "unreadable marketing_events item" in reasons["2"]


def test_captured_participations_when_some_unreadable_then_each_fails_alone(
        hubspot, monkeypatch):
    def captured(self, since):
        yield [("7", {"id": "p1", "createdAt": "2026-01-02T00:00:00Z",
                      "properties": {"attendanceState": "ATTENDED", "occurredAt": 1767315600000,
                                     "attendancePercentage": "87.5%"}}),
               ("7", {"createdAt": "2026-01-02T00:00:00Z"}),
               ("7", {"id": "p2", "properties": {"attendancePercentage": "NaN"}}),
               ("7", {"id": "p3", "properties": {"occurredAt": "yesterday"}}),
               ("8", {engine_module.UNREAD: "HubSpotServerError: HTTP 500"})]

    monkeypatch.setattr(engine_module.HubSpotMarketingEventParticipationSyncEngine, "pages",
                        captured)
    error, _ = run_failing("sync_hubspot_marketing_event_participations")
    assert error.returncode == 3
    saved = HubSpotMarketingEventParticipation.objects.get()
    assert (saved.id, saved.marketing_event_id, saved.contact_id) == ("p1", "7", None)
    assert saved.attendance_percentage == Decimal("87.5")
    assert saved.updated_at == saved.occurred_at > saved.created_at
    reasons = {e.object_id: e.reason for e in SyncError.objects.all()}
    assert set(reasons) == {"", "p2", "p3", "8"}
    assert "marketing event 7" in reasons[""] and "HTTP 500" in reasons["8"]


def test_scope_missing_when_synced_then_both_skipped_with_exit_77(hubspot):
    hubspot.control.deny_scopes(["crm.objects.marketing_events.read"])
    for name in ("marketing_events", "marketing_event_participations"):
        error, _ = run_failing(f"sync_hubspot_{name}")
        assert error.returncode == 77 and "no access" in str(error)
    assert not SyncHistory.objects.exists()


def test_verify_when_participations_missing_then_not_exact_and_fix_restores(hubspot):
    events()
    total = participations()["created"]
    run_command("verify_hubspot", "--types", "marketing_events,marketing_event_participations")
    HubSpotMarketingEventParticipation.objects.filter(marketing_event_id="60000000003").delete()
    error, run = run_failing("verify_hubspot", "--types", "marketing_event_participations")
    assert error.returncode == 4
    row = next(line for line in run.out.splitlines()
               if line.startswith("marketing_event_participations "))
    assert row.split()[1] == str(total) and row.split()[3] != "0"  # hubspot, …, missing
    run_command("verify_hubspot", "--types", "marketing_event_participations", "--fix")
    assert HubSpotMarketingEventParticipation.objects.count() == total


def test_typed_views_when_synced_then_attendance_per_event_is_one_query(hubspot):
    events()
    participations()
    run_command("build_hubspot_views")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id, e.attendees, COUNT(p.id) FROM hubspot_marketing_event_v e "
            "LEFT JOIN hubspot_marketing_event_participation_v p "
            "ON p.marketing_event_id = e.id AND p.state = 'ATTENDED' "
            "GROUP BY e.id, e.attendees ORDER BY e.id")
        rows = cursor.fetchall()
        described = [c.name for c in connection.introspection.get_table_description(
            cursor, "hubspot_marketing_event_participation_v")]
    assert len(rows) == 5 and all(attendees == counted for _, attendees, counted in rows)
    assert "raw" not in described and "attendance_percentage" in described


def test_dry_run_when_events_new_then_would_be_counts_and_nothing_written(hubspot):
    assert events("--dry-run")["created"] == 5 and not HubSpotMarketingEvent.objects.exists()
