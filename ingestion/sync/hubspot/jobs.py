"""RecordedJob: a run of one type that reads no records of its own (link refresh, deletion
check), recorded in `sync_history` like a sync through the one runner
(`ingestion/base/runner.py`: the type's lock, its status, its error if it fails), with its
counts and `details` (the requests it made: its engine's counters).

Progress, like a sync's: the job calls `committed` as each chunk of its work commits; the
runner's `RunProgress` (base/progress.py) keeps the running row's `progress` and logs a line
every HUBSPOT_PROGRESS_LOG_SECONDS without a terminal, and on a terminal the command's bar
(`on_progress`) shows records so far of the job's total, in whole numbers."""

from __future__ import annotations

from ingestion.base.results import Mode, SyncCounts, SyncOptions, SyncResult
from ingestion.base.runner import run_recorded

from .client import HubSpotClient


class RecordedJob:
    mode: Mode
    details: tuple[str, ...] = ()  # counters the job reports, from 0

    def __init__(self, engine_class: type, options: SyncOptions | None = None, *,
                 client: HubSpotClient, on_progress=None):
        self.engine_class, self.client, self.on_progress = engine_class, client, on_progress
        self.engine = engine_class(options or SyncOptions(), client=client)
        self.options = self.engine.options
        self.result = SyncResult(self.engine.object_type, self.mode, self.options,
                                 details=dict.fromkeys(self.details, 0))

    def work(self, run_row) -> None:
        """The job itself; `run_row` is None in a dry run."""
        raise NotImplementedError

    def run(self) -> SyncResult:
        return run_recorded(self.result, self.work, counters=self.engine,
                            bar_shown=self.on_progress is not None)

    def committed(self, records: int, expected: int | None) -> None:
        """A chunk of `records` committed (listed, for a job that only reads); `expected`:
        the job's total as it knows it without asking HubSpot (e.g. the stored ids)."""
        snapshot = self.result.progress.batch_committed(records, expected)
        if self.on_progress:  # the bar counts what the job went through, as a sync's does
            counts = self.result.counts
            self.on_progress(SyncCounts(fetched=snapshot.records, created=counts.created,
                                        updated=counts.updated, failed=counts.failed),
                             expected)
