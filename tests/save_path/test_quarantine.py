"""Poison records cannot freeze a type (captured JSON, real database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ingestion.base.results import SyncOptions
from ingestion.models import HubSpotContact, QuarantinedRecord, SyncError, SyncHistory

from .factories import T0, CannedContactEngine, contact

pytestmark = pytest.mark.django_db(transaction=True)


def poison(n: int) -> dict:
    record = contact(n)
    record["createdAt"] = "not a time"  # identify() accepts it; the transform never will
    return record


def run(pages, **options):
    return CannedContactEngine(pages, SyncOptions(**options)).run()


def test_record_failing_alike_in_three_runs_then_quarantined_and_no_longer_holds_the_type():
    pages = [[contact(1), poison(2), contact(3)]]
    first, second = run(pages), run(pages)
    assert (first.status, second.status) == ("partial", "partial")
    assert SyncHistory.objects.filter(watermark__isnull=False).count() == 0
    third = run(pages)
    assert third.status == "success" and third.counts.failed == 0 and third.quarantined == 1
    assert "quarantined=1" in third.summary
    assert SyncHistory.objects.get(pk=third.history_id).watermark is not None
    held = QuarantinedRecord.objects.get(object_id="2")
    assert held.streak == 3 and held.quarantined_at is not None
    assert SyncError.objects.filter(history_id=third.history_id, severity="quarantined",
                                    object_id="2").exists()
    assert set(HubSpotContact.objects.values_list("id", flat=True)) == {"1", "3"}


def test_failure_with_a_new_reason_when_quarantined_then_streak_restarts_and_run_partial():
    pages = [[poison(2)]]
    for _ in range(3):
        run(pages)
    other = contact(2, modified=T0 + timedelta(days=1))
    other["properties"] = "not an object"
    assert run([[other]]).status == "partial"
    assert QuarantinedRecord.objects.get(object_id="2").streak == 1


def test_quarantined_record_when_changed_upstream_and_valid_then_saved_and_released():
    for _ in range(3):
        run([[poison(2)]])
    fixed = contact(2, modified=T0 + timedelta(days=2))
    assert run([[fixed]]).counts.created == 1
    assert not QuarantinedRecord.objects.exists()


def test_full_run_with_a_failing_record_when_others_vanished_then_they_are_still_archived():
    run([[contact(1), contact(2), contact(3)]], full=True)
    result = run([[contact(1), poison(2)]], full=True)  # 3 vanished upstream; 2 cannot save
    assert result.status == "partial" and result.counts.archived == 1
    assert HubSpotContact.objects.get(pk="3").archived
    assert not HubSpotContact.objects.get(pk="2").archived  # read, so not swept


def test_entry_without_an_id_when_full_run_then_nothing_is_swept():
    run([[contact(1), contact(2)]], full=True)
    result = run([[contact(1), 42]], full=True)
    assert result.counts.failed == 1 and result.counts.archived == 0
    assert not HubSpotContact.objects.get(pk="2").archived
    assert SyncError.objects.get(history_id=result.history_id).object_id == ""


def test_dry_run_when_records_fail_then_no_streak_is_counted():
    for _ in range(3):
        run([[poison(2)]], dry_run=True)
    assert not QuarantinedRecord.objects.exists()
