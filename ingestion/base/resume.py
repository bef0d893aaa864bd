"""Resuming an unfinished full read from its last committed batch. Knows no HubSpot.

A full read (or a first sync) that stops for any reason (a signal, a kill, the source
unreachable past its retries, the daily limit) leaves a `SyncCheckpoint` row: where the read
had got to after the last batch that committed, and the ids every committed batch read.
Both are written in that batch's own transaction (`save_batch`, called by the writer inside
`BaseSyncEngine._write_batch`), so the checkpoint never claims a batch whose rows rolled
back, nor misses one that committed.

The next run of the type, plain or `--full`, continues the read (`load`): from the
position (the engine's, e.g. HubSpot's two ends: engines/base.py), with the seen ids of the
first attempt(s) restored, so the sweep at the end archives exactly what no attempt read;
the watermark and the sweep's cut-off are the first attempt's start (a record read before it
changed is caught by the next incremental run). A `--since` or `--ids` run leaves the
checkpoint alone. The checkpoint is dropped (`finish`) once the read completes, short or not.

Discarded with a warning, and the run starts over (`load`):
- older than `max_age` (HUBSPOT_RESUME_MAX_AGE_HOURS): the first attempt's records are
  too old to count as read;
- written by other code (`CHECKPOINT_VERSION`): bump it whenever the checkpoint's format or
  any engine's read order (what a position means) changes;
- written by a run with the other `--force-overwrite`: a force overwrite rewrites every row,
  batch by batch, all or nothing; it resumes only as a force overwrite (and a plain run does
  not finish a forced read as if its first batches were plain ones); likewise a read with
  links and one without (`--skip-associations`) do not finish each other's.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ingestion.models import SyncCheckpoint, SyncCheckpointIds

log = logging.getLogger("ingestion.sync")

# Bump when the checkpoint's format or an engine's read order changes (module doc).
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class Resumed:
    """A checkpoint a run continues from."""

    pk: int
    started_at: datetime
    updated_at: datetime
    position: dict
    batches: int
    records: int
    history_id: int | None

    def describe(self) -> str:
        """Where the run resumed from, for the summary line and the history row."""
        where = ", ".join(f"{k}={v}" for k, v in sorted(self.position.items()) if v is not None)
        return (f"resumed the full read begun {self.started_at:%Y-%m-%d %H:%M:%S} UTC"
                f"{f' (run {self.history_id})' if self.history_id else ''} after "
                f"{self.batches} committed batches ({self.records} records)"
                f"{f', from {where}' if where else ''}")

    def details(self) -> dict:
        return {"from_run": self.history_id, "started_at": self.started_at.isoformat(),
                "batches": self.batches, "records": self.records, "position": self.position}


def load(object_type: str, *, max_age: timedelta | None, force_overwrite: bool,
         related: bool) -> tuple[Resumed | None, str]:
    """The type's checkpoint to continue from, or (None, why it is discarded: '' if there
    is none). Read before the run takes the type's lock: the run deletes a discarded one
    (`discard`) once it holds the lock."""
    row = SyncCheckpoint.objects.filter(object_type=object_type).first()
    if row is None:
        return None, ""
    why = _unusable(row, max_age, force_overwrite, related)
    if why:
        message = (f"{object_type}: the checkpoint of the unfinished full read begun "
                   f"{row.started_at:%Y-%m-%d %H:%M:%S} UTC was discarded ({why}); "
                   "this run starts the read over")
        log.warning("%s", message)
        return None, message
    return Resumed(row.pk, row.started_at, row.updated_at, dict(row.position), row.batches,
                   row.records, row.history_id), ""


def _unusable(row: SyncCheckpoint, max_age: timedelta | None, force_overwrite: bool,
              related: bool) -> str:
    if row.version != CHECKPOINT_VERSION:
        return (f"written by another version of the code: checkpoint version {row.version}, "
                f"this code's {CHECKPOINT_VERSION}")
    age = timezone.now() - row.updated_at
    if max_age is not None and age > max_age:
        return (f"its last batch is {age.total_seconds() / 3600:.1f} h old, more than "
                f"HUBSPOT_RESUME_MAX_AGE_HOURS ({max_age.total_seconds() / 3600:g} h)")
    if row.force_overwrite != force_overwrite:
        return ("written by a --force-overwrite run" if row.force_overwrite else
                "written by a run without --force-overwrite")
    if row.related != related:
        return ("written by a run that read links" if row.related else
                "written by a --skip-associations run")
    return ""


def note(result, resumed: Resumed | None, discarded: str | None) -> None:
    """What a run says of its checkpoint (`result`: its SyncResult): the one it discarded,
    and where it resumed from (the summary line and `details["resumed"]`)."""
    if discarded:
        result.details["resume_discarded"] = discarded
    if resumed:
        result.resumed_from = resumed.describe()
        result.details["resumed"] = {**resumed.details(), "from": result.resumed_from}


def discard(object_type: str) -> None:
    """Forget the type's checkpoint (a fresh full read starts)."""
    SyncCheckpoint.objects.filter(object_type=object_type).delete()


def seen_chunks(resumed: Resumed) -> Iterator[list[str]]:
    """Every id the committed batches of the earlier attempt(s) read, a batch at a time."""
    chunks = (SyncCheckpointIds.objects.filter(checkpoint_id=resumed.pk).order_by("pk")
              .values_list("ids", flat=True).iterator(chunk_size=100))
    for blob in chunks:
        text = zlib.decompress(bytes(blob)).decode("utf-8", "surrogatepass")
        if text:
            yield text.split("\n")


@dataclass(frozen=True)
class BatchMark:
    """What a committed batch moves the checkpoint to: the read's position after it and the
    ids it read. Written by `save_batch` in the batch's transaction."""

    position: dict
    ids: tuple[str, ...]
    records: int


def save_batch(object_type: str, mark: BatchMark, *, started_at: datetime,
               force_overwrite: bool, related: bool, history_id: int | None) -> None:
    """Move the type's checkpoint past one batch (creating it with the read's first batch).
    Call inside the batch's transaction."""
    now = timezone.now()
    with transaction.atomic():
        row, created = SyncCheckpoint.objects.select_for_update().get_or_create(
            object_type=object_type,
            defaults={"version": CHECKPOINT_VERSION, "started_at": started_at,
                      "updated_at": now, "force_overwrite": force_overwrite,
                      "related": related,
                      "position": mark.position, "batches": 1, "records": mark.records,
                      "history_id": history_id})
        if not created:
            SyncCheckpoint.objects.filter(pk=row.pk).update(
                updated_at=now, position=mark.position, batches=row.batches + 1,
                records=row.records + mark.records)
        if mark.ids:
            SyncCheckpointIds.objects.create(checkpoint=row, ids=_packed(mark.ids))


def _packed(ids: Iterable[str]) -> bytes:
    return zlib.compress("\n".join(ids).encode("utf-8", "surrogatepass"), 1)
