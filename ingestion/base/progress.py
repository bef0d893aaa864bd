"""A run's progress as its batches commit: records so far, rate, ETA. Knows no HubSpot.

Without a terminal (cron, Celery, a pipe) a first sync of millions of records would say
nothing for hours, so `RunProgress`, told of each committed batch:
- logs one line every `every` seconds through the `ingestion.progress` logger at INFO
  (settings.LOGGING shows that logger's INFO by default; the rest of `ingestion` only from
  WARNING), unless a terminal bar already shows it;
- keeps the running `sync_history` row's `progress` up to date (one small UPDATE per batch),
  which /status/, `hubspot_status` and /metrics read.

Records so far are those of the batches committed (whatever became of each: saved, unchanged,
failed), not those read: the fetch stage reads ahead of the writer. The ETA needs the source's
count of what the run reads (`expected`), which only some runs know without asking for it;
a job that reads no records counts what it goes through against a total it already has
(a link refresh: the stored live ids; a deletion check: the stored rows, to be listed).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.utils import timezone

from . import history

log = logging.getLogger("ingestion.progress")

# When lines are due: tests replace it, so no test waits for (or depends on) wall time.
clock = time.monotonic


@dataclass(frozen=True)
class Snapshot:
    """Where a run stands: `records` read in `elapsed` seconds, of `expected` (None: not
    known)."""

    records: int
    expected: int | None
    elapsed: float

    @property
    def rate(self) -> float:
        """Records per second since the run began."""
        return self.records / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> int | None:
        """Seconds left at the rate so far; None without a count or a rate yet."""
        if self.expected is None or not self.rate:
            return None
        return round(max(self.expected - self.records, 0) / self.rate)

    def as_json(self) -> dict:
        """What the running row keeps (`SyncHistory.progress`)."""
        return {"records": self.records, "expected": self.expected,
                "rate": round(self.rate, 1), "eta_seconds": self.eta_seconds,
                "at": timezone.now().isoformat()}

    def line(self, object_type: str) -> str:
        """`progress: contacts records=12000 expected=40000 rate=201/s eta=139s` (whole
        numbers: a log is read by eye and by grep)."""
        expected = "" if self.expected is None else f" expected={self.expected}"
        eta = "" if self.eta_seconds is None else f" eta={self.eta_seconds}s"
        return (f"progress: {object_type} records={self.records}{expected} "
                f"rate={round(self.rate)}/s{eta}")


class RunProgress:
    """One run's progress reports, made by the runner (runner.run_recorded) for every
    recorded run. `object_type`: what the lines name (a job's with its mode, e.g.
    `contacts links`); `row_id`: the running row it owns (None: a dry run, or
    a run within another job's row, whose counts are that job's to record); `every`: seconds
    between log lines (None or 0: no lines)."""

    def __init__(self, object_type: str, row_id: int | None, every: float | None):
        self.object_type, self.row_id, self.every = object_type, row_id, every
        self.started = clock()
        self.next_line = self.started + (every or 0)
        self.records = 0  # of the batches committed so far

    def batch_committed(self, records: int, expected: int | None) -> Snapshot:
        """A batch of `records` committed; `expected`: the source's count as now known."""
        now = clock()
        self.records += records
        snapshot = Snapshot(self.records, expected, now - self.started)
        if self.row_id is not None:
            history.record_progress(self.row_id, snapshot.as_json())
        if self.every and now >= self.next_line:
            log.info("%s", snapshot.line(self.object_type))
            self.next_line = now + self.every
        return snapshot
