"""The arithmetic of a full read's reconciliation with HubSpot's count (reconcile.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingestion.sync.hubspot.reconcile import Census, Tally, shortfall

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # a fixed moment: nothing reads the clock
LOOKBACK = timedelta(minutes=5)


def record(object_id: int, *, created: datetime | None = None,
           archived: datetime | None = None) -> dict:
    entry = {"id": str(object_id), "createdAt": (created or START - timedelta(days=30)).isoformat()}
    if archived is not None:
        entry["archivedAt"] = archived.isoformat()
    return entry


@pytest.mark.parametrize(("expected", "read", "created", "archived", "missing"), [
    (100, 100, 0, 0, 0),   # read what was counted
    (100, 97, 0, 3, 0),    # three archived mid-run before the read reached them
    (100, 105, 5, 0, 0),   # five created mid-run, read on top
    (100, 100, 3, 0, 3),   # three created mid-run hide three never read
    (100, 90, 0, 4, 6),    # four archived mid-run explain four of the ten not read
    (100, 120, 0, 0, 0),   # more than counted (created just before: search lag): not short
])
def test_shortfall_when_counts_given_then_missing_as_defined(expected, read, created,
                                                               archived, missing):
    assert shortfall(expected, read, created, archived) == missing


def test_tally_when_read_twice_then_counted_once():
    tally = Tally(Census(3, 3, START), LOOKBACK)
    list(tally.live_pages(iter([[record(1), record(2)], [record(2), record(3)]])))
    assert tally.missing() == 0 and len(tally.live) == 3


def test_tally_when_above_top_then_created_only_if_created_during_the_run():
    tally = Tally(Census(2, 2, START), LOOKBACK)
    list(tally.live_pages(iter([[record(1), record(3, created=START + timedelta(seconds=9)),
                                 record(4)]])))  # 4: above the top, but old (misordered top)
    assert tally.created == 1
    assert tally.missing() == 0  # 1 and 4 stand for the two counted


def test_tally_when_archived_then_only_recent_and_unread_ones_allowed_for():
    tally = Tally(Census(4, 4, START), LOOKBACK)
    list(tally.live_pages(iter([[record(1), record(2)]])))
    list(tally.archived_pages(iter([[
        record(2, archived=START + timedelta(seconds=5)),   # read live before: counted once
        record(3, archived=START - timedelta(minutes=1)),   # within the lookback: allowed
        record(9, archived=START - timedelta(days=2)),      # archived long before the count
    ]])))
    assert tally.archived_unread == 1
    assert tally.missing() == 1  # id 4 was never read
    check = tally.check("contacts", reread_from=3)
    assert check.details["missing"] == 1 and "1 missing in ids 3..4" in check.short
