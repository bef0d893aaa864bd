"""BaseSyncEngine: modes, batches, transactions, counts and the watermark. Knows no HubSpot.

A subclass says where records come from (`fetch`) and how one becomes a row (`transform`);
everything in docs/modes.md — incremental/full/since, normal save vs force overwrite,
dry runs, --max-records, failures, the watermark — lives here, once, for every type.

Threads and queues (docs/ARCHITECTURE.md#run-time-flow-of-one-object-type):

fetch stage  thread `hubspot-fetch` (`prefetch.prefetched`) runs `fetch()`: all source I/O.
             It hands immutable `Page(records, related)` values over a bounded queue.
main thread  identifies each record, plans each batch against the local rows (one read
             query), transforms what must be written; keeps counts and run bookkeeping.
writer       thread `db-writer` (`write_behind.WriteBehind`) writes one batch at a time, in
             order, each in its own transaction, then `after_batch()` (links): database work
             only, from the values it was handed. Never calls the source.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from datetime import datetime
from itertools import chain
from types import MappingProxyType

from django.db import models, transaction
from django.utils import timezone

from . import history, resume
from .backends import backend
from .bulk_sql import live_ids, mark_deleted, unseen_ids
from .collector import fewer_collections
from .prefetch import prefetched
from .results import (
    Mode,
    Page,
    ReadCheck,
    RecordError,
    RecordFailure,
    SyncCounts,
    SyncOptions,
    SyncResult,
)
from .runner import interrupts_held, run_recorded
from .seen import SeenIds
from .write_behind import WriteBehind
from .writer import BatchPlan, BatchWriter, supersedes

log = logging.getLogger("ingestion.sync")

ProgressCallback = Callable[[SyncCounts, int | None], None]
NO_RELATED: Mapping[str, object] = MappingProxyType({})


class BaseSyncEngine:

    object_type: str
    model: type[models.Model]
    # Whether `after_batch` keeps something besides the records fresh (HubSpot: links). A
    # run that skips it (`related=False`) moves only the records' watermark.
    has_related = False
    # What saves the batches (HubSpot sources without modified times: engines/sources.py).
    writer_class: type[BatchWriter] = BatchWriter
    # Whether an unfinished full read continues from its last committed batch (resume.py):
    # the engine's pages then carry their position (`Page.position`, or a `position`
    # attribute of a page list) and `fetch` continues from `self.resumed.position`.
    supports_resume = False

    def __init__(self, options: SyncOptions | None = None, *,
                 on_progress: ProgressCallback | None = None):
        self.options = options or SyncOptions()
        self.on_progress = on_progress
        self.writer = self.writer_class(self.model, force_overwrite=self.options.force_overwrite)
        self.seen = SeenIds()  # every id read this run: the sweep, and "read before?"
        self._in_flight: dict[str, dict] = {}  # keys of the batch being written, by id
        self._warnings_kept = 0
        self._statistics_at = self.STATISTICS_AFTER_ROWS  # next in-run statistics refresh
        self._statistics_written = 0  # rows written when the statistics were last refreshed
        self.result: SyncResult | None = None
        self.previous_watermark: datetime | None = None  # the last run's, set by run()
        self.resumed: resume.Resumed | None = None  # the checkpoint this run continues
        self.restored = SeenIds()  # the ids the earlier attempt(s) read (when resumed)
        self.restored_count = 0  # how many there were
        self._checkpointing = False  # each committed batch moves the type's checkpoint
        self._read_started: datetime | None = None  # the full read's (first attempt's) start
        self._read_whole = False  # the checkpointed read completed: drop it once recorded

    # -- what a subclass provides ------------------------------------------------------------

    def fetch(self, mode: Mode, since: datetime | None) -> Iterator[Page | list[dict]]:
        """Pages of source records (plain lists, or `Page`s carrying what was read with
        them): every record (since=None) or those modified since."""
        raise NotImplementedError

    def transform(self, record: dict) -> tuple[dict, list[str]]:
        """One source record → (model field values, warnings). Raises RecordError."""
        raise NotImplementedError

    def identify(self, record: dict) -> dict:
        """`id`, `updated_at` and `archived` of a source record, cheaply (RecordError if
        missing). Override when the full transform is costly."""
        row, notes = self.transform(record)
        return {"id": row["id"], "updated_at": row["updated_at"], "archived": row["archived"],
                "transformed": (row, notes)}  # not transformed a second time

    def absorbed_ids(self, keys: list[dict]) -> dict[str, str]:
        """Ids the batch's records say were absorbed into them (merged away upstream), each
        with the id of the record that absorbed it."""
        return {}

    def expected_total(self, mode: Mode, since: datetime | None) -> int | None:
        """The source's count of what this run reads, as far as the run knows it so far
        (None: not known). Asked after each batch, for the bar and the ETA: it must cost
        no request."""
        return None

    def read_check(self) -> ReadCheck | None:
        """After a full read's fetch: what it read measured against the source's count at
        its start (None: not measured). A short read is partial and never swept."""
        return None

    def prepare(self) -> None:
        """Checks before the first page (e.g. that the credentials work)."""

    def scope(self) -> models.QuerySet:
        """The local rows this engine mirrors (a shared table narrows this down)."""
        return self.model.objects.all()

    def source_counters(self) -> object:
        """A snapshot of what the source counts (HubSpot: requests and 429s)."""
        return None

    def source_counters_since(self, snapshot: object) -> dict:
        """What the source counted since `snapshot`, for the run's `details`."""
        return {}

    def local_id(self, source_id: str) -> str:
        """The primary key of a source record's row (a shared table prefixes it)."""
        return source_id

    def source_id(self, local_id: str) -> str:
        """The source's id of a row (the inverse of `local_id`)."""
        return local_id

    def after_batch(self, rows: list[dict], related: Mapping[str, object]) -> list[RecordFailure]:
        """Called in the writer after each written batch (never in a dry run) with its saved
        rows, e.g. to store their associations; rows confirmed unchanged come as their
        `identify()` keys (`id`, `updated_at`, `archived`). `related` is what the fetch stage
        read with the batch's records, by record id. Database work only. Returns failures."""
        return []

    # Types without a modified-time query (owners, pipelines …) are always read in full.
    supports_incremental = True

    # -- the run -----------------------------------------------------------------------------

    def run(self, *, within=None) -> SyncResult:
        """One recorded run (`runner.run_recorded`: the lock, the history row, the status);
        or, `within` another job's running `sync_history` row (which holds the type's
        lock), part of that job: its failures go there, and the job finishes the row."""
        records_only = self.has_related and not self.options.related
        previous = history.last_watermark(self.object_type, records_only=records_only)
        self.previous_watermark = previous
        discarded = self._load_checkpoint()
        mode, since = self._plan(previous)
        self.result = SyncResult(self.object_type, mode, self.options)
        resume.note(self.result, self.resumed, discarded)
        owns_row = within is None  # within another job: its row and lock are that job's
        run_recorded(self.result,
                     lambda run_row: self._work(run_row, mode, since, previous, owns_row),
                     within=within, counters=self,
                     bar_shown=self.on_progress is not None)  # no log lines beside a bar
        if self._read_whole:
            resume.discard(self.object_type)
        self._refresh_statistics(self.result)
        return self.result

    def _resumable(self) -> bool:
        """Whether this run may continue, or leave, a checkpoint: a sync that may read in
        full and writes (not a window, ids, a sample or a dry run)."""
        o = self.options
        return (self.supports_resume and not o.dry_run and o.ids is None and o.since is None
                and o.max_records is None)

    def _load_checkpoint(self) -> str:
        """The checkpoint to continue from (self.resumed); why one was discarded, if so."""
        if not self._resumable():
            return ""
        self.resumed, discarded = resume.load(
            self.object_type, max_age=self.options.resume_max_age,
            force_overwrite=self.options.force_overwrite, related=self.options.related)
        return discarded

    def _work(self, run_row, mode: Mode, since: datetime | None,
              previous: datetime | None, owns_row: bool = True) -> None:
        result = self.result
        started = timezone.now()
        holds_lock = run_row is not None and owns_row
        if holds_lock and result.details.get("resume_discarded"):
            resume.discard(self.object_type)
        if mode is Mode.FULL and self._resumable() and holds_lock:
            self._checkpointing = True
            if self.resumed is None:
                resume.discard(self.object_type)  # e.g. one a --since run left alone
            else:
                started = self._restore(self.resumed)
        self._read_started = started
        self.quarantine = history.Quarantine(self.object_type)
        self._progress = result.progress  # the runner's (its row, its lines)
        self.prepare()  # after start_run: a run that fails here is still recorded
        with fewer_collections():
            newest = self._sync_batches(result, run_row, mode, since)
        self._finish(result, mode, previous, started, newest)

    # Rows written in one run past which the tables' planner statistics are refreshed: at the
    # end of the run, and during it each time the rows written double (a first load grows a
    # table from nothing; lookups planned for an empty table get slower with every batch).
    STATISTICS_AFTER_ROWS = 10_000

    def written_tables(self, *, during: bool = False) -> list[str]:
        """The tables a run writes (the engine's own, and e.g. the association table); those
        whose lookups need fresh statistics while the run goes on (the engine's own table is
        only looked up by primary key: none)."""
        return [] if during else [self.model._meta.db_table]

    def _refresh_statistics(self, result: SyncResult, *, during: bool = False) -> None:
        if self.options.dry_run:
            return
        c = result.counts
        written = c.created + c.updated + c.overwritten + c.archived
        threshold = self._statistics_at if during else self.STATISTICS_AFTER_ROWS
        if written >= threshold and written != self._statistics_written:
            backend().refresh_statistics(self.written_tables(during=during))
            self._statistics_at = 2 * max(written, self.STATISTICS_AFTER_ROWS)
            self._statistics_written = written

    def _restore(self, resumed: resume.Resumed) -> datetime:
        """The earlier attempts' seen ids, back in `seen` (and `restored`); returns the
        read's start: the first attempt's (the watermark and the sweep count from it)."""
        log.warning("%s: %s", self.object_type, resumed.describe())
        for chunk in resume.seen_chunks(resumed):
            self.seen.add_all(chunk)
            self.restored.add_all(chunk)
        self.restored_count = len(self.restored)
        return resumed.started_at

    def _plan(self, previous: datetime | None) -> tuple[Mode, datetime | None]:
        if self.options.ids is not None:
            return Mode.IDS, None
        if self.options.full or self.resumed:  # an unfinished full read goes on
            return Mode.FULL, None
        if self.options.since:
            return Mode.SINCE, self.options.since
        if previous is None or not self.supports_incremental:
            return Mode.FULL, None  # first run: nothing to be incremental from
        return Mode.INCREMENTAL, previous - self.options.lookback

    def _sync_batches(self, result: SyncResult, run_row, mode: Mode,
                      since: datetime | None) -> datetime | None:
        def total() -> int | None:
            return self.expected_total(mode, since)

        newest: list[datetime] = []
        # Room for two save batches of pages: the fetcher keeps going while a batch is written.
        depth = max(4, 2 * self.options.batch_size // 100)
        in_flight: Future | None = None
        with prefetched(self.fetch(mode, since), depth=depth) as pages, \
                WriteBehind(enabled=not self.options.dry_run) as writer:
            try:
                for batch in chain(self._batches(pages, result), [None]):  # None: the end
                    prepared = batch and self._prepare_batch(*batch, result)
                    if in_flight:
                        in_flight.exception()  # waits for the write (an interrupt may land)
                        with interrupts_held():  # counted once: here, or below if not here
                            outcome, in_flight = in_flight.result(), None
                            self._account(outcome, result, run_row, newest, total)
                    if prepared:
                        in_flight = writer.submit(self._write_batch, *prepared)
            except BaseException:
                # Interrupted (a signal, a fetch error) while a batch was being written: that
                # batch still commits or rolls back whole; count it if it committed.
                if in_flight and _wait_quietly(in_flight):
                    self._account(in_flight.result(), result, run_row, newest, total)
                raise
        return max(newest, default=None)

    def _account(self, outcome: tuple, result: SyncResult, run_row, newest: list[datetime],
                 total: Callable[[], int | None]) -> None:
        counts, failures, warnings, batch_newest, saved_ids = outcome
        held = [f for f in failures if self.quarantine.holds(f)]
        failing = [f for f in failures if f not in held]
        counts.failed = len(failing)
        log.debug("%s batch written: %s", self.object_type,
                  counts.summary(self.object_type).split(" ", 2)[2])
        result.counts.add(counts)
        result.failures.extend(failing)
        result.quarantined += len(held)
        if run_row:
            history.record_failures(run_row, self.object_type, failing)
            history.record_failures(run_row, self.object_type, held, severity="quarantined")
            self.quarantine.record(run_row, failures)
            self.quarantine.release(saved_ids)
            self._warnings_kept = history.record_warnings(
                run_row, self.object_type, warnings, self._warnings_kept)
        if batch_newest:
            newest.append(batch_newest)
        self._refresh_statistics(result, during=True)
        self._report_progress(counts, len(failures), result, total())

    def _report_progress(self, counts: SyncCounts, failed: int, result: SyncResult,
                         expected: int | None) -> None:
        """A committed batch's progress: the log line and the running row; the bar."""
        # Each record of the batch once, whatever became of it (repeats of an earlier read
        # are in no count): what the ETA measures against the source's count.
        done = counts.created + counts.updated + counts.overwritten + counts.skipped + failed
        self._progress.batch_committed(done, expected)
        if self.on_progress:
            self.on_progress(result.counts, expected)

    def _batches(self, pages: Iterator[Page | list], result: SyncResult
                 ) -> Iterator[tuple[list, Mapping[str, object], dict | None]]:
        """Save batches of `batch_size` records, each with what was read with its records
        and the read's position once it is written (`_Positions`)."""
        size, limit = self.options.batch_size, self.options.max_records
        buffer: list = []
        pending: dict[str, object] = {}
        positions = _Positions(self.resumed.position if self.resumed else None)
        for page in pages:
            records = list(page.records) if isinstance(page, Page) else list(page)
            if isinstance(page, Page):
                pending.update(page.related)
            if limit is not None and result.counts.fetched + len(records) >= limit:
                records = records[: limit - result.counts.fetched]
                result.complete = False  # stopped early: the watermark must stay put
            result.counts.fetched += len(records)
            buffer.extend(records)
            positions.page(len(records), getattr(page, "position", None))
            while len(buffer) >= size:
                yield (buffer[:size], _take_related(buffer[:size], pending),
                       positions.batch(size))
                buffer = buffer[size:]
            if not result.complete:
                break
        if buffer:
            yield buffer, _take_related(buffer, pending), positions.batch(len(buffer))

    def _prepare_batch(self, records: list, related: Mapping[str, object],
                       position: dict | None, result: SyncResult) -> tuple:
        """Classify a batch against the local rows; transform the rows to be written."""
        log.debug("%s batch of %d records", self.object_type, len(records))
        keys, failures = self._identify_all(records)
        keys, repeats = self._first_reads(keys)
        result.counts.fetched -= len(records) - len(failures) - len(keys) + len(repeats)
        for failure in failures:
            if failure.object_id:
                self.seen.add(failure.object_id)  # read, so never swept as vanished
            else:
                result.unidentified += 1
        batch = self.writer.plan(keys, repeat_ids=repeats,
                                 absorbed_into=self.absorbed_ids(keys))
        for object_id in batch.absorbed_ids:  # archived (and counted) here, not by the sweep
            self.seen.add(object_id)
        mark = None
        if self._checkpointing and position is not None:
            read = [k["id"] for k in keys] + [f.object_id for f in failures if f.object_id]
            mark = resume.BatchMark(position, tuple(read + list(batch.absorbed_ids)),
                                    len(records))
        # Only rows that will be written are fully transformed: an unchanged re-sync costs
        # little more than reading the pages.
        warnings: list[RecordFailure] = []
        batch.create = self._transform_all(batch.create, failures, warnings)
        batch.replace = self._transform_all(batch.replace, failures, warnings)
        self._in_flight = dict(zip([k["id"] for k in keys], keys, strict=True))
        return keys, batch, failures, warnings, related, mark

    def _first_reads(self, keys: list[dict]) -> tuple[list[dict], set[str]]:
        """Mark ids this run read before. Newest wins: a repeat no newer than the copy still
        being written is dropped (a force overwrite keeps the later read); other repeats are
        planned against the stored row like any record, but counted nowhere."""
        read_before = self.seen.add_all([key["id"] for key in keys])
        if not read_before:
            return keys, read_before
        kept, repeats = [], set()
        for key in keys:
            if key["id"] not in read_before:
                kept.append(key)
                continue
            earlier = self._in_flight.get(key["id"])
            if (not self.options.force_overwrite and earlier is not None
                    and not supersedes(key, earlier)):
                continue
            repeats.add(key["id"])
            kept.append(key)
        return kept, repeats

    def _write_batch(self, keys: list[dict], batch: BatchPlan, failures: list[RecordFailure],
                     warnings: list[RecordFailure], related: Mapping[str, object],
                     mark: resume.BatchMark | None = None) -> tuple:
        if mark is None:
            return self._write_rows(keys, batch, failures, warnings, related)
        # The batch's rows, links and the read's checkpoint commit together (resume.py).
        with transaction.atomic():
            written = self._write_rows(keys, batch, failures, warnings, related)
            resume.save_batch(self.object_type, mark, started_at=self._read_started,
                              force_overwrite=self.options.force_overwrite,
                              related=self.options.related,
                              history_id=self.result.history_id)
        return written

    def _write_rows(self, keys: list[dict], batch: BatchPlan, failures: list[RecordFailure],
                    warnings: list[RecordFailure], related: Mapping[str, object]) -> tuple:
        saved: list[dict] = []
        if not self.options.dry_run:
            failures += self.writer.write(batch, timezone.now())
            failed_ids = {f.object_id for f in failures}
            unchanged = set(batch.unchanged_ids)
            saved = ([r for r in batch.create + batch.replace if r["id"] not in failed_ids]
                     + [k for k in keys if k["id"] in unchanged])
            failures += self.after_batch(saved, related)
        failed_ids = {f.object_id for f in failures}
        counts = self.writer.counts(batch, failed_ids)
        newest = max((k["updated_at"] for k in keys if k["updated_at"] and not k["archived"]),
                     default=None)
        return counts, failures, warnings, newest, [r["id"] for r in saved
                                                    if r["id"] not in failed_ids]

    def _identify_all(self, records: list) -> tuple[list[dict], list[RecordFailure]]:
        keys: dict[str, dict] = {}  # by id: a record read twice in a batch is saved once
        failures = []
        for record in records:
            try:
                key = self.identify(record)
            except RecordError as error:
                failures.append(RecordFailure(error.object_id, error.reason))
                continue
            earlier = keys.get(key["id"])
            if earlier is None or self.options.force_overwrite or supersedes(key, earlier):
                keys[key["id"]] = {**key, "record": record}
        return list(keys.values()), failures

    def _transform_all(self, keys: list[dict], failures: list[RecordFailure],
                       warnings: list[RecordFailure]) -> list[dict]:
        rows = []
        for key in keys:
            try:
                row, notes = key.get("transformed") or self.transform(key["record"])
            except RecordError as error:
                failures.append(RecordFailure(error.object_id, error.reason))
                continue
            for note in notes:
                log.warning("%s %s: %s", self.object_type, row["id"], note)
                warnings.append(RecordFailure(row["id"], note))
            rows.append(row)
        return rows

    def _finish(self, result: SyncResult, mode: Mode, previous: datetime | None,
                started: datetime, newest: datetime | None) -> None:
        if not result.complete:
            return
        # The read is whole: nothing left to resume. The checkpoint goes once the run is
        # recorded (`run`): a kill between the sweep and the history row's commit leaves it,
        # and the next run finishes the read cheaply instead of starting it over.
        self._read_whole = self._checkpointing
        if mode is Mode.FULL and self._fell_short(result):
            return  # a short read is not a complete one: no sweep, the watermark stays
        # The sweep needs every id to have been *read* (records that failed to save were
        # read, and are in `seen`), not every record to have saved: one poison record must
        # not stop deletions from ever reaching the mirror. A dry run counts what it would do.
        if mode in (Mode.FULL, Mode.IDS) and not result.unidentified:
            result.counts.archived += self._archive_unseen(mode, started)
        if self.options.dry_run:
            return
        if not result.counts.failed and self._may_move_watermark(mode, previous):
            moved = _new_watermark(mode, started, newest, previous)
            result.records_watermark = moved
            if self.options.related or not self.has_related:
                result.watermark = moved  # links were refreshed with the records

    def _fell_short(self, result: SyncResult) -> bool:
        """Record the full read's check against the source's count; True if it fell short."""
        check = self.read_check()
        if check is None:
            return False
        result.details["read_check"] = check.details
        if check.short:
            log.warning("%s", check.short)
            result.short = check.short  # partial (runner.something_failed)
        return bool(check.short)

    def _may_move_watermark(self, mode: Mode, previous: datetime | None) -> bool:
        if mode is Mode.IDS:
            return False  # a few records say nothing of the others
        if mode is not Mode.SINCE:
            return True
        # A --since run moves it only if it left no gap after the previous watermark.
        return previous is not None and self.options.since <= previous

    def _archive_unseen(self, mode: Mode, started: datetime) -> int:
        """After a complete full run, live rows the source no longer has (after a run by id,
        the asked ids the source answered for nowhere) were deleted upstream: mark them
        archived as `vanished` rather than leave them live."""
        if mode is Mode.FULL:
            vanished = unseen_ids(self.scope().filter(synced_at__lt=started), self.seen)
        else:
            vanished = [local for local in map(self.local_id, self.options.ids)
                        if local not in self.seen]
            vanished = live_ids(self.scope(), vanished)
        if self.options.dry_run or not vanished:
            return len(vanished)
        return mark_deleted(self.model, vanished, "vanished", timezone.now(),
                            purge=self.options.purge_vanished)


def _new_watermark(mode: Mode, started: datetime, newest: datetime | None,
                   previous: datetime | None) -> datetime | None:
    # Never past the run's own start (a record changed mid-run may not have been read)
    # nor past the newest change actually saved.
    if newest is not None:
        return min(started, newest)
    return started if mode is Mode.FULL else previous


class _Positions:
    """Which position of the read each save batch completes. A page carries the read's
    position after it; a batch takes the position of the last page all of whose records
    are in it or earlier batches (a batch that ends mid-page keeps the one before: those
    records are read again on resume, as repeats). A page without a position (past what
    the engine can resume: e.g. HubSpot's archived listing) freezes it: later batches move
    no checkpoint, and a resumed run reads from the last position on."""

    def __init__(self, start: dict | None):
        self.current = start or {}
        self.frozen = False
        self._ends: deque[tuple[int, dict | None]] = deque()  # (records up to page end, pos)
        self._read = 0
        self._batched = 0

    def page(self, records: int, position: dict | None) -> None:
        self._read += records
        self._ends.append((self._read, position))

    def batch(self, records: int) -> dict | None:
        """The position once this batch (the next `records`) is written; None: frozen."""
        self._batched += records
        while self._ends and self._ends[0][0] <= self._batched:
            _, position = self._ends.popleft()
            if position is None:
                self.frozen = True
            elif not self.frozen:
                self.current = position
        return None if self.frozen else self.current


def _take_related(records: list, pending: dict[str, object]) -> Mapping[str, object]:
    """The related values of these records, taken out of `pending` (a frozen mapping: the
    writer thread reads it while the main thread goes on)."""
    if not pending:
        return NO_RELATED
    taken = {}
    for record in records:
        object_id = str(record.get("id")) if isinstance(record, dict) else None
        if object_id in pending:
            taken[object_id] = pending.pop(object_id)
    return MappingProxyType(taken)


def _wait_quietly(future: Future) -> bool:
    """Wait for a batch being written; True if it committed."""
    try:
        future.result()
    except BaseException:
        return False
    return True

