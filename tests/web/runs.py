"""Runs recorded directly in sync_history, with exact ages and counts (no HubSpot needed)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ingestion.models import SyncHistory


def record_run(object_type: str = "contacts", *, mode: str = "incremental",
               status: str = SyncHistory.Status.SUCCESS, minutes_ago: float = 1,
               seconds: float = 2.0, details: dict | None = None, error: str = "",
               **counts: int) -> SyncHistory:
    """A finished run that ended `minutes_ago`, as if a sync had recorded it."""
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    return SyncHistory.objects.create(
        object_type=object_type, mode=mode, status=status, details=details or {},
        started_at=finished - timedelta(seconds=seconds), finished_at=finished,
        error_message=error, **counts)
