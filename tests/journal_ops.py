"""The webhooks journal as the operators' views see it: set up (a JournalState row), its
command present for the schedule's flag check, runs recorded as sync_hubspot_changes
records them (ingestion/ops/schedules.py: JOURNAL_TYPE, JOURNAL_MODE)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.management import get_commands

from ingestion.models import JournalState, SyncHistory
from ingestion.ops.schedules import JOURNAL_COMMAND, JOURNAL_MODE, JOURNAL_TYPE

# A fixed moment every journal test reads its state and runs against (no wall clock).
NOW = datetime.fromisoformat("2026-03-02T12:00:00+00:00")


@pytest.fixture
def journal_command():
    """sync_hubspot_changes as manage.py finds it (the schedule's flag check reads its
    parser)."""
    assert JOURNAL_COMMAND in get_commands()


def set_up_journal(**fields) -> JournalState:
    """The row setup_hubspot_journal creates, with any state a read has left."""
    return JournalState.objects.create(
        key="local", subscribed_types=["contacts", "deals"],
        set_up_at=NOW - timedelta(days=1), **fields)


def journal_run(status: str = SyncHistory.Status.SUCCESS, *, seconds_ago: float = 10,
                now: datetime = NOW, error: str = "", **counts: int) -> SyncHistory:
    """A finished journal run (a --watch run of 50 s) that ended `seconds_ago` before `now`."""
    finished = now - timedelta(seconds=seconds_ago)
    return SyncHistory.objects.create(
        object_type=JOURNAL_TYPE, mode=JOURNAL_MODE, status=status, error_message=error,
        started_at=finished - timedelta(seconds=50), finished_at=finished, **counts)


@pytest.fixture
def frozen_now(monkeypatch) -> datetime:
    """timezone.now() is NOW for the test (the status, health and metrics code read it so)."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW
