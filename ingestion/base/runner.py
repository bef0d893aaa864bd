"""The one runner of every recorded job: `run_recorded`. Knows no HubSpot.

A recorded job is one run of one type that shows in `sync_history` as one row: a sync, a
link refresh, a deletion check, a verification, the webhook applier, and whatever job comes
next. The job supplies only its work (and, where it has them, its counters); the runner
alone does the bookkeeping around it:

- the lock: `history.start_run` inserts the type's `running` row (one per type, on any
  machine; `SyncAlreadyRunning` when another live process holds it). A dry run records
  nothing: its work is given `None` for the row.
- `within=` another job's running row: the work is part of that job (its failures are
  recorded under that row, and the job that holds the lock finishes it): no row of its own.
- the source's counters (HubSpot: requests and 429s made by the work) folded into
  `result.details`, whether the work succeeds or fails.
- the progress reports (base/progress.py): `result.progress`, a `RunProgress` made before the
  work starts, which the work tells of each chunk that commits (records so far, and the
  total when it knows one): it keeps the running row's `progress` (the row the run
  finishes; none within another job's or in a dry run) and logs a line every
  `options.progress_every` seconds, unless a terminal bar shows progress (`bar_shown`).
- the final status: `failed` when the work raised, `partial` when something failed
  (`partial(result)`; by default a failed record or a read that fell short), else `success`.
- the failure text, `"<Class>: <message>"` (redacted by `history.finish_run`), recorded
  before the exception goes on up to the caller.
- the reconnect: a signal (SIGTERM, SIGINT) can land mid-query and leave the connection
  unusable ("another command is already in progress"), so a failure that cannot be recorded
  on it is recorded again on a fresh connection. No `running` row is left behind.
- the interrupts' window: an interrupt raised after the lock row is inserted and before the
  `try` that records failures would leave the row `running`. The entry point's signal
  handler raises through `interrupt()`, which holds an interrupt back while a run takes its
  lock; it is raised first thing inside that `try`, recorded as the run's failure. Work has
  the same need where a step must happen whole or not at all (counting a batch that has
  committed): `interrupts_held()`.
- the interrupt: a signal handler raises `Interrupted` wherever the main thread is, and code
  it lands in can raise another error while unwinding (e.g. inside `Thread.start`, a
  KeyError). An error raised while an `Interrupted` was unwinding is that interrupt: it is
  what is recorded and what goes on up, so the caller reports an interrupt.

A job, in full:

    result = SyncResult(object_type, Mode.LINKS, options)      # type, mode, options
    run_recorded(result, work, counters=engine)                # work(run_row) -> None

`work` counts into `result` (counts, failures, details, `short`); `counters` is anything
with `source_counters()` (a snapshot) and `source_counters_since(snapshot)` (a dict for
`details`), as every engine has (`BaseSyncEngine`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from django.db import DatabaseError, connection

from ingestion.models import SyncHistory

from . import history
from .progress import RunProgress
from .results import JOB_MODES, SyncResult

Work = Callable[[SyncHistory | None], None]


class Interrupted(Exception):
    """A signal stopped the run (raised by the entry point's signal handler)."""


class Counters(Protocol):
    """What the source counts (e.g. requests made), read before and after the work."""

    def source_counters(self) -> object: ...

    def source_counters_since(self, snapshot: object) -> dict: ...


def something_failed(result: SyncResult) -> bool:
    """The default test for `partial`: a record failed, or a read fell short of the
    source's count (`result.short`)."""
    return bool(result.counts.failed or result.short)


def run_recorded(result: SyncResult, work: Work, *, within: SyncHistory | None = None,
                 counters: Counters | None = None, flags: dict | None = None,
                 partial: Callable[[SyncResult], bool] = something_failed,
                 bar_shown: bool = False) -> SyncResult:
    """Run `work` as one recorded run of `result.object_type` in `result.mode` (or as part
    of the run `within`); returns `result`, finished. `flags`: what the row records of how
    the job was asked (default: `result.options`'). Raises what the work raised (the
    `Interrupted`, if it was raised while one unwound), once its failure is recorded;
    `SyncAlreadyRunning` (nothing recorded) when the type is locked. `bar_shown`: a terminal
    bar shows the run's progress (no log lines beside it)."""
    _GATE.holding += 1  # an interrupt now waits for the `try` below (`interrupt`)
    try:
        run_row = within
        if within is None and not result.options.dry_run:
            run_row = history.start_run(result.object_type, result.mode, result.options,
                                        flags=flags)
    except BaseException:
        _GATE.release()  # an interrupt held meanwhile is raised instead
        raise
    result.history_id = run_row.pk if run_row else None
    finishes_row = run_row is not None and within is None
    result.progress = RunProgress(
        result.object_type + (f" {result.mode}" if result.mode in JOB_MODES else ""),
        run_row.pk if finishes_row else None,
        None if bar_shown else result.options.progress_every)
    snapshot = counters.source_counters() if counters else None
    try:
        _GATE.release()  # an interrupt that came meanwhile is raised here
        _work_or_interrupt(work, run_row)
    except BaseException as error:
        result.status = "failed"
        _fold_counters(result, counters, snapshot)
        if finishes_row:
            _record_failure(run_row, result, error)
        raise
    result.status = "partial" if partial(result) else "success"
    _fold_counters(result, counters, snapshot)
    if finishes_row:
        history.finish_run(run_row, result, error=result.short)
    return result


class _Gate:
    """Interrupts held back while a run takes its lock (signal handlers run in the main
    thread, between two bytecodes: masking the signal would not do, since another thread
    of the process can receive it and the handler still runs in the main thread)."""

    def __init__(self) -> None:
        self.holding = 0
        self.pending: Interrupted | None = None

    def release(self) -> None:
        self.holding -= 1
        if not self.holding and self.pending is not None:
            pending, self.pending = self.pending, None
            raise pending


_GATE = _Gate()


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Run the block whole: an interrupt that comes meanwhile is raised when it ends. Only
    the main thread runs signal handlers: elsewhere there is nothing to hold (and a pending
    interrupt must never be raised in another thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _GATE.holding += 1
    try:
        yield
    finally:
        _GATE.release()


def interrupt(error: Interrupted) -> None:
    """What a signal handler calls to stop the run: raises `error`, unless a run is taking
    its lock; then it is raised as soon as that run can record it."""
    if _GATE.holding:
        _GATE.pending = _GATE.pending or error
        return
    raise error


def _work_or_interrupt(work: Work, run_row: SyncHistory | None) -> None:
    try:
        work(run_row)
    except BaseException as error:
        signalled = interruption(error)
        if signalled is None or signalled is error:
            raise
        raise signalled from None  # what the signal did, not what it broke on the way out


def interruption(error: BaseException) -> Interrupted | None:
    """The `Interrupted` this error is, or was raised while unwinding (its context)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, Interrupted):
            return error
        seen.add(id(error))
        error = error.__context__
    return None


def _fold_counters(result: SyncResult, counters: Counters | None, snapshot: object) -> None:
    if counters is not None:
        result.details.update(counters.source_counters_since(snapshot))


def _record_failure(run_row: SyncHistory, result: SyncResult, error: BaseException) -> None:
    try:
        history.finish_run(run_row, result, error=describe(error))
    except DatabaseError:
        # A signal can land mid-query and leave the connection unusable: reconnect once to
        # record the failure (else the row stays `running` until the next run abandons it).
        connection.close()
        history.finish_run(run_row, result, error=describe(error))


def describe(error: BaseException) -> str:
    """A failure as the run's row records it (history.finish_run redacts it)."""
    return f"{type(error).__name__}: {error}"
