"""SyncHistory bookkeeping: one row per run, the watermarks, the single-runner lock, record
errors and warnings, and the quarantine of records that keep failing. A run's row is taken
and finished by the one runner (`runner.run_recorded`), never by a job itself."""

from __future__ import annotations

import hashlib
import os
import socket
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ingestion.models import QuarantinedRecord, SyncError, SyncHistory

from .redact import redact
from .results import Mode, RecordFailure, SyncOptions, SyncResult
from .writer import KEY_BYTES_MAX

QUARANTINE_AFTER = 3  # runs in a row failing with the same reason
WARNINGS_KEPT_PER_RUN = 1_000  # warning rows stored per run; the rest are only logged


class SyncAlreadyRunning(RuntimeError):
    """Another process is syncing this object type (the lock is the `running` row)."""


def last_watermark(object_type: str, *, records_only: bool = False) -> datetime | None:
    """Where an incremental run starts: records and links fresh up to (`watermark`), or for
    a run that leaves links alone, records alone (`records_watermark`, or `watermark`)."""
    field = "records_watermark" if records_only else "watermark"
    found = (SyncHistory.objects.filter(object_type=object_type, **{f"{field}__isnull": False})
             .order_by("-finished_at").values_list(field, flat=True).first())
    return found or (last_watermark(object_type) if records_only else None)


def start_run(object_type: str, mode: Mode, options: SyncOptions, *,
              flags: dict | None = None) -> SyncHistory:
    """Record the run as running, unless another live process is syncing this type.
    `flags`: what the row records of how the run was asked (default: from `options`).

    The lock is the row itself: a unique constraint allows one `running` row per type, so
    of two runs starting in the same instant (on any machines) exactly one inserts it."""
    _close_abandoned(object_type)
    try:
        with transaction.atomic():
            return SyncHistory.objects.create(
                object_type=object_type, mode=mode.value,
                force_overwrite=options.force_overwrite,
                flags=_flags(options) if flags is None else flags,
                started_at=timezone.now(), pid=os.getpid(), hostname=socket.gethostname())
    except IntegrityError:
        raise SyncAlreadyRunning(_running_message(object_type)) from None


def _close_abandoned(object_type: str) -> None:
    """A `running` row whose process is gone was abandoned: mark it so (a failure)."""
    with transaction.atomic():
        for other in SyncHistory.objects.select_for_update().filter(
                object_type=object_type, status=SyncHistory.Status.RUNNING):
            if _alive(other):
                raise SyncAlreadyRunning(_running_message(object_type, other))
            _abandon(other)


def close_abandoned_runs() -> int:
    """Every type's `running` rows closed as the runner closes one type's before it takes
    its lock (`_close_abandoned`): a row whose process is gone (SIGKILLed) is abandoned.
    Returns how many are still running (their process alive)."""
    alive = 0
    with transaction.atomic():
        for row in SyncHistory.objects.select_for_update().filter(
                status=SyncHistory.Status.RUNNING):
            if _alive(row):
                alive += 1
            else:
                _abandon(row)
    return alive


def _abandon(row: SyncHistory) -> None:
    row.status = SyncHistory.Status.ABANDONED
    row.error_message = "abandoned: the process ended without finishing the run"
    row.finished_at = timezone.now()
    row.save(update_fields=["status", "error_message", "finished_at"])


def abandon_runs_of(pid: int, why: str) -> None:
    """Close the `running` rows of a process of this machine that was killed: abandoned."""
    SyncHistory.objects.filter(status=SyncHistory.Status.RUNNING, pid=pid,
                               hostname=socket.gethostname()).update(
        status=SyncHistory.Status.ABANDONED, finished_at=timezone.now(),
        error_message=f"abandoned: {why}")


def record_progress(row_id: int, progress: dict) -> None:
    """A running run's progress (base/progress.py) on its row: one UPDATE of one column, so a
    batch costs little more. Only while the row is `running`: a row already closed (finished,
    or abandoned by another process) is never touched, nor its lock taken again."""
    SyncHistory.objects.filter(pk=row_id, status=SyncHistory.Status.RUNNING).update(
        progress=progress)


def _running_message(object_type: str, other: SyncHistory | None = None) -> str:
    other = other or SyncHistory.objects.filter(
        object_type=object_type, status=SyncHistory.Status.RUNNING).first()
    where = (f" (pid {other.pid} on {other.hostname}, started "
             f"{other.started_at:%Y-%m-%d %H:%M:%S} UTC)") if other else ""
    return f"a {object_type} sync is already running{where}; this run did nothing"


def finish_run(history: SyncHistory, result: SyncResult, error: str = "") -> None:
    for name, value in result.counts.as_dict().items():
        setattr(history, name, value)
    history.quarantined = result.quarantined
    history.details = result.details
    history.status = result.status
    history.watermark = result.watermark
    history.records_watermark = result.records_watermark
    history.error_message = redact(error)[:2000]
    history.finished_at = timezone.now()
    history.save()


def record_step(object_type: str, mode: Mode | str, status: str, error: str,
                options: SyncOptions | None = None) -> SyncHistory:
    """One finished row for what ran no sync of its own, so the status page shows it like any
    run: a type skipped because HubSpot answered 403 (status skipped, why in error_message),
    or a failed step of `sync_hubspot_all` (finding the custom object types)."""
    now = timezone.now()
    return SyncHistory.objects.create(
        object_type=object_type, mode=str(mode), status=status,
        force_overwrite=bool(options and options.force_overwrite),
        flags=_flags(options) if options else {}, started_at=now, finished_at=now,
        error_message=redact(error)[:2000], pid=os.getpid(), hostname=socket.gethostname())


def record_failures(history: SyncHistory | None, object_type: str,
                    failures: list[RecordFailure], *,
                    severity: str = SyncError.Severity.ERROR) -> None:
    if history is None or not failures:
        return
    SyncError.objects.bulk_create(
        SyncError(history=history, object_type=object_type, object_id=f.object_id,
                  reason=redact(f.reason), severity=severity) for f in failures)


def record_warnings(history: SyncHistory | None, object_type: str,
                    warnings: list[RecordFailure], kept_so_far: int) -> int:
    """Store up to WARNINGS_KEPT_PER_RUN warnings per run; returns how many are kept now."""
    room = max(0, WARNINGS_KEPT_PER_RUN - kept_so_far)
    record_failures(history, object_type, warnings[:room],
                    severity=SyncError.Severity.WARNING)
    return kept_so_far + min(room, len(warnings))


class Quarantine:
    """The failure streaks of one object type, loaded once per run (they are few)."""

    def __init__(self, object_type: str):
        self.object_type = object_type
        self._rows = {row.object_id: row for row in
                      QuarantinedRecord.objects.filter(object_type=object_type)}
        self._bumped: set[str] = set()  # ids whose streak this run already counted

    def holds(self, failure: RecordFailure) -> bool:
        """Whether this failure (counting this run) puts or keeps the record in quarantine."""
        row = self._rows.get(quarantine_key(failure.object_id))
        if not failure.object_id or row is None or row.reason != failure.reason:
            return False
        streak = row.streak + (0 if quarantine_key(failure.object_id) in self._bumped else 1)
        return streak >= QUARANTINE_AFTER

    def record(self, history: SyncHistory, failures: list[RecordFailure]) -> None:
        """Count this run's failures into the streaks (once per id per run)."""
        now = timezone.now()
        for failure in failures:
            key = quarantine_key(failure.object_id)
            if not key or key in self._bumped:
                continue
            self._bumped.add(key)
            self._rows[key] = self._bump(failure, key, history, now)

    def _bump(self, failure: RecordFailure, key: str, history: SyncHistory,
              now) -> QuarantinedRecord:
        row = self._rows.get(key) or QuarantinedRecord(
            object_type=self.object_type, object_id=key,
            reason=failure.reason, streak=0, first_failed_at=now)
        if row.reason != failure.reason:
            row.reason, row.streak, row.first_failed_at, row.quarantined_at = (
                failure.reason, 0, now, None)
        row.streak += 1
        row.last_failed_at, row.last_history = now, history
        if row.streak >= QUARANTINE_AFTER and row.quarantined_at is None:
            row.quarantined_at = now
        row.save()
        return row

    def release(self, saved_ids: list[str]) -> None:
        """Records that saved are no longer failing: forget their streaks."""
        if not self._rows:
            return
        done = [key for key in map(quarantine_key, saved_ids) if key in self._rows]
        if done:
            QuarantinedRecord.objects.filter(object_type=self.object_type,
                                             object_id__in=done).delete()
            for object_id in done:
                del self._rows[object_id]


def quarantine_key(object_id: str) -> str:
    """The id as sync_quarantine keys it: whole, unless too long for a unique index on
    PostgreSQL (writer.KEY_BYTES_MAX); then its start and a digest, the same every run."""
    if len(object_id.encode("utf-8", "surrogatepass")) <= KEY_BYTES_MAX:
        return object_id
    digest = hashlib.sha1(object_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{object_id[:100]}…sha1:{digest}"


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
            "max_records": options.max_records,
            "ids": len(options.ids) if options.ids is not None else None}
