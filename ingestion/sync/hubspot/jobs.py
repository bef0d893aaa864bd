"""RecordedJob: a run of one type that reads no records of its own (link refresh, deletion
check), recorded in `sync_history` like a sync: the type's lock, its counts and `details`
(with the requests it made), its status, and its error if it fails."""

from __future__ import annotations

from ingestion.base import history
from ingestion.base.results import Mode, SyncOptions, SyncResult

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
        result, run_row = self.result, None
        if not self.options.dry_run:
            run_row = history.start_run(self.engine.object_type, self.mode, self.options)
            result.history_id = run_row.pk
        counters = self.engine.source_counters()
        try:
            self.work(run_row)
            result.status = "partial" if result.counts.failed else "success"
        except BaseException as error:
            result.status = "failed"
            result.details.update(self.engine.source_counters_since(counters))
            if run_row:
                history.finish_run(run_row, result, error=f"{type(error).__name__}: {error}")
            raise
        result.details.update(self.engine.source_counters_since(counters))
        if run_row:
            history.finish_run(run_row, result)
        return result
