"""BaseSyncEngine: modes, batches, transactions, counts and the watermark. Knows no HubSpot.

A subclass says where records come from (`fetch`) and how one becomes a row (`transform`);
everything in DESIGN.md §3 — incremental/full/since, normal save vs force overwrite,
dry runs, --max-records, failures, the watermark — lives here, once, for every type.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.db import DatabaseError, connection, models
from django.utils import timezone

from . import history
from .bulk_sql import archive_missing, relax_commit_durability
from .prefetch import prefetched
from .results import Mode, RecordError, RecordFailure, SyncCounts, SyncOptions, SyncResult
from .seen import SeenIds
from .write_behind import WriteBehind
from .writer import BatchPlan, BatchWriter

log = logging.getLogger("ingestion.sync")

ProgressCallback = Callable[[SyncCounts, int | None], None]


class BaseSyncEngine:
    object_type: str
    model: type[models.Model]
    # How far before the watermark an incremental run starts again: covers changes that
    # reached the source's query index late, and clock skew. Re-read rows are skipped.
    lookback = timedelta(minutes=5)

    def __init__(self, options: SyncOptions | None = None, *,
                 on_progress: ProgressCallback | None = None):
        self.options = options or SyncOptions()
        self.on_progress = on_progress
        self.writer = BatchWriter(self.model, force_overwrite=self.options.force_overwrite)
        self.seen = SeenIds()  # every id read this run, for the full-run sweep

    # -- what a subclass provides ------------------------------------------------------------

    def fetch(self, mode: Mode, since: datetime | None) -> Iterator[list[dict]]:
        """Pages of source records: every record (since=None) or those modified since."""
        raise NotImplementedError

    def transform(self, record: dict) -> tuple[dict, list[str]]:
        """One source record → (model field values, warnings). Raises RecordError."""
        raise NotImplementedError

    def identify(self, record: dict) -> dict:
        """`id`, `updated_at` and `archived` of a source record, cheaply (RecordError if
        missing). Override when the full transform is costly."""
        row, _ = self.transform(record)
        return {"id": row["id"], "updated_at": row["updated_at"], "archived": row["archived"]}

    def expected_total(self, mode: Mode, since: datetime | None) -> int | None:
        return None

    def prepare(self) -> None:
        """Checks before the run is recorded (e.g. that the credentials work)."""

    def scope(self) -> models.QuerySet:
        """The local rows this engine mirrors (a shared table narrows this down)."""
        return self.model.objects.all()

    def after_batch(self, rows: list[dict]) -> list[RecordFailure]:
        """Called after each written batch (never in a dry run) with its saved rows, e.g. to
        sync their associations; rows confirmed unchanged come as their `identify()` keys
        (`id`, `updated_at`, `archived`). Returns failures to record."""
        return []

    # Types without a modified-time query (owners, pipelines …) are always read in full.
    supports_incremental = True

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> SyncResult:
        self.prepare()
        relax_commit_durability()
        previous = history.last_watermark(self.object_type)
        mode, since = self._plan(previous)
        result = SyncResult(self.object_type, mode, self.options)
        run_row = None if self.options.dry_run else history.start_run(
            self.object_type, mode, self.options)
        result.history_id = run_row.pk if run_row else None
        started = timezone.now()
        try:
            newest = self._sync_batches(result, run_row, mode, since)
            self._finish(result, mode, previous, started, newest)
        except BaseException as error:
            result.status = "failed"
            if run_row:
                _record_failed_run(run_row, result, error)
            raise
        if run_row:
            history.finish_run(run_row, result)
        return result

    def _plan(self, previous: datetime | None) -> tuple[Mode, datetime | None]:
        if self.options.full:
            return Mode.FULL, None
        if self.options.since:
            return Mode.SINCE, self.options.since
        if previous is None or not self.supports_incremental:
            return Mode.FULL, None  # first run: nothing to be incremental from
        return Mode.INCREMENTAL, previous - self.lookback

    def _sync_batches(self, result: SyncResult, run_row, mode: Mode,
                      since: datetime | None) -> datetime | None:
        total = self.expected_total(mode, since) if self.on_progress else None
        newest: datetime | None = None
        # Room for two save batches of pages: the fetcher keeps going while a batch is written.
        depth = max(4, 2 * self.options.batch_size // 100)
        in_flight = None
        with prefetched(self.fetch(mode, since), depth=depth) as pages, \
                WriteBehind(enabled=not self.options.dry_run) as writer:
            for records in self._batches(pages, result):
                prepared = self._prepare_batch(records)  # while the previous batch is written
                if in_flight:
                    newest = self._account(in_flight.result(), result, run_row, newest, total)
                in_flight = writer.submit(self._write_batch, *prepared)
            if in_flight:
                newest = self._account(in_flight.result(), result, run_row, newest, total)
        return newest

    def _account(self, outcome: tuple, result: SyncResult, run_row, newest: datetime | None,
                 total: int | None) -> datetime | None:
        counts, failures, batch_newest = outcome
        log.debug("%s batch written: %s", self.object_type,
                  counts.summary(self.object_type).split(" ", 2)[2])
        result.counts.add(counts)
        result.failures.extend(failures)
        history.record_failures(run_row, self.object_type, failures)
        if self.on_progress:
            self.on_progress(result.counts, total)
        return max(filter(None, (newest, batch_newest)), default=None)

    def _batches(self, pages: Iterator[list[dict]], result: SyncResult) -> Iterator[list[dict]]:
        size, limit = self.options.batch_size, self.options.max_records
        buffer: list[dict] = []
        for page in pages:
            if limit is not None and result.counts.fetched + len(page) >= limit:
                page = page[: limit - result.counts.fetched]
                result.complete = False  # stopped early: the watermark must stay put
            result.counts.fetched += len(page)
            buffer.extend(page)
            while len(buffer) >= size:
                yield buffer[:size]
                buffer = buffer[size:]
            if not result.complete:
                break
        if buffer:
            yield buffer

    def _prepare_batch(self, records: list[dict]) -> tuple[list[dict], BatchPlan,
                                                            list[RecordFailure]]:
        """Classify a batch against the local rows; transform the rows to be written."""
        log.debug("%s batch of %d records", self.object_type, len(records))
        keys, failures = self._identify_all(records)
        for object_id in [k["id"] for k in keys] + [f.object_id for f in failures]:
            self.seen.add(object_id)
        batch = self.writer.plan(keys)
        # Only rows that will be written are fully transformed: an unchanged re-sync costs
        # little more than reading the pages.
        batch.create = self._transform_all(batch.create, failures)
        batch.replace = self._transform_all(batch.replace, failures)
        return keys, batch, failures

    def _write_batch(self, keys: list[dict], batch: BatchPlan, failures: list[RecordFailure]
                     ) -> tuple[SyncCounts, list[RecordFailure], datetime | None]:
        if not self.options.dry_run:
            failures += self.writer.write(batch, timezone.now())
            failed_ids = {f.object_id for f in failures}
            unchanged = set(batch.unchanged_ids)
            failures += self.after_batch([r for r in batch.create + batch.replace
                                          if r["id"] not in failed_ids]
                                         + [k for k in keys if k["id"] in unchanged])
        counts = self.writer.counts(batch, {f.object_id for f in failures})
        counts.failed = len(failures)
        newest = max((k["updated_at"] for k in keys if k["updated_at"] and not k["archived"]),
                     default=None)
        return counts, failures, newest

    def _identify_all(self, records: list[dict]) -> tuple[list[dict], list[RecordFailure]]:
        keys: dict[str, dict] = {}  # by id: a record read twice in a batch is saved once
        failures = []
        for record in records:
            try:
                key = self.identify(record)
            except RecordError as error:
                failures.append(RecordFailure(error.object_id, error.reason))
                continue
            keys[key["id"]] = {**key, "record": record}
        return list(keys.values()), failures

    def _transform_all(self, keys: list[dict], failures: list[RecordFailure]) -> list[dict]:
        rows = []
        for key in keys:
            try:
                row, warnings = self.transform(key["record"])
            except RecordError as error:
                failures.append(RecordFailure(error.object_id, error.reason))
                continue
            for warning in warnings:
                log.warning("%s %s: %s", self.object_type, row["id"], warning)
            rows.append(row)
        return rows

    def _finish(self, result: SyncResult, mode: Mode, previous: datetime | None,
                started: datetime, newest: datetime | None) -> None:
        result.status = "partial" if result.counts.failed else "success"
        if self.options.dry_run or not result.complete:
            return
        if mode is Mode.FULL and result.status == "success":
            result.counts.archived += self._archive_unseen(started)
        if result.status == "success" and self._may_move_watermark(mode, previous):
            result.watermark = _new_watermark(mode, started, newest, previous)

    def _may_move_watermark(self, mode: Mode, previous: datetime | None) -> bool:
        if mode is not Mode.SINCE:
            return True
        # A --since run moves it only if it left no gap after the previous watermark.
        return previous is not None and self.options.since <= previous

    def _archive_unseen(self, started: datetime) -> int:
        """After a complete full run: live rows the source no longer has were deleted or
        merged away upstream. Mark them archived rather than leave them live."""
        return archive_missing(self.scope().filter(synced_at__lt=started), self.seen,
                               timezone.now())


def _new_watermark(mode: Mode, started: datetime, newest: datetime | None,
                   previous: datetime | None) -> datetime | None:
    # Never past the run's own start (a record changed mid-run may not have been read)
    # nor past the newest change actually saved.
    if newest is not None:
        return min(started, newest)
    return started if mode is Mode.FULL else previous


def _record_failed_run(run_row, result: SyncResult, error: BaseException) -> None:
    try:
        history.finish_run(run_row, result, error=_describe(error))
    except DatabaseError:
        # A signal can land mid-query and leave the connection unusable ("another command
        # is already in progress"): reconnect once to record the failure.
        connection.close()
        history.finish_run(run_row, result, error=_describe(error))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
