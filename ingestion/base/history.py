"""SyncHistory bookkeeping: one row per run, the watermark, the single-runner lock."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ingestion.models import SyncError, SyncHistory

from .results import Mode, RecordFailure, SyncOptions, SyncResult


class SyncAlreadyRunning(RuntimeError):
    pass


def last_watermark(object_type: str) -> datetime | None:
    return (SyncHistory.objects.filter(object_type=object_type, watermark__isnull=False)
            .order_by("-finished_at").values_list("watermark", flat=True).first())


def start_run(object_type: str, mode: Mode, options: SyncOptions) -> SyncHistory:
    """Record the run as running, unless another live process is syncing this type."""
    with transaction.atomic():
        for other in SyncHistory.objects.select_for_update().filter(
                object_type=object_type, status=SyncHistory.Status.RUNNING):
            if _alive(other):
                raise SyncAlreadyRunning(
                    f"a {object_type} sync is already running (pid {other.pid} on "
                    f"{other.hostname}, started {other.started_at:%Y-%m-%d %H:%M:%S} UTC)")
            other.status = SyncHistory.Status.FAILED
            other.error_message = "abandoned: the process ended without finishing the run"
            other.finished_at = timezone.now()
            other.save(update_fields=["status", "error_message", "finished_at"])
        return SyncHistory.objects.create(
            object_type=object_type, mode=mode.value, force_overwrite=options.force_overwrite,
            flags=_flags(options), started_at=timezone.now(), pid=os.getpid(),
            hostname=socket.gethostname())


def finish_run(history: SyncHistory, result: SyncResult, error: str = "") -> None:
    for name, value in result.counts.as_dict().items():
        setattr(history, name, value)
    history.status = result.status
    history.watermark = result.watermark
    history.error_message = error[:2000]
    history.finished_at = timezone.now()
    history.save()


def record_failures(history: SyncHistory | None, object_type: str,
                    failures: list[RecordFailure]) -> None:
    if history is None or not failures:
        return
    SyncError.objects.bulk_create(
        SyncError(history=history, object_type=object_type, object_id=f.object_id[:64],
                  reason=f.reason) for f in failures)


# A run on another machine cannot be checked; after this long it is taken as abandoned.
FOREIGN_RUN_TIMEOUT = timedelta(hours=12)


def _alive(run: SyncHistory) -> bool:
    if run.hostname != socket.gethostname() or not run.pid:
        return timezone.now() - run.started_at < FOREIGN_RUN_TIMEOUT
    if run.pid == os.getpid():
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _flags(options: SyncOptions) -> dict:
    return {"full": options.full, "since": options.since.isoformat() if options.since else None,
            "force_overwrite": options.force_overwrite, "batch_size": options.batch_size,
            "max_records": options.max_records}
