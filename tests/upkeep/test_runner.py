"""The one runner of recorded jobs (ingestion/base/runner.py), past what each job's own tests
show: what it records when a signal's interrupt turns into another error on the way out, and
when the interrupt left the database connection unusable. The kill test of every kind of job
is tests/processes/test_killed_jobs.py."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from django.db import connection

from ingestion.base import runner
from ingestion.base.results import Mode, SyncOptions, SyncResult
from ingestion.base.runner import Interrupted, run_recorded
from ingestion.models import SyncHistory

pytestmark = pytest.mark.django_db(transaction=True)


def a_job() -> SyncResult:
    return SyncResult("widgets", Mode.LINKS, SyncOptions())


def interrupted_then_broken(run_row) -> None:
    try:
        raise Interrupted("interrupted by SIGTERM")
    except Interrupted:
        raise KeyError("limbo")  # noqa: B904 (as Thread.start does when a signal lands in it)


@pytest.mark.once
def test_error_raised_while_an_interrupt_unwinds_when_run_then_recorded_and_raised_as_it():
    with pytest.raises(Interrupted, match="interrupted by SIGTERM"):
        run_recorded(a_job(), interrupted_then_broken)
    run = SyncHistory.objects.get()
    assert (run.status, run.error_message) == ("failed", "Interrupted: interrupted by SIGTERM")


@pytest.mark.once
def test_error_of_its_own_when_run_then_recorded_as_it_is():
    def fails(run_row) -> None:
        raise KeyError("limbo")

    with pytest.raises(KeyError):
        run_recorded(a_job(), fails)
    assert SyncHistory.objects.get().error_message == "KeyError: 'limbo'"


def test_connection_broken_by_a_signal_when_the_run_fails_then_recorded_on_a_new_one():
    if connection.vendor == "sqlite":
        pytest.skip("an in-memory SQLite database does not outlive its connection")

    def breaks_the_connection(run_row) -> None:
        connection.connection.close()  # under Django's feet, as a signal mid-query leaves it
        raise Interrupted("interrupted by SIGTERM")

    with pytest.raises(Interrupted):
        run_recorded(a_job(), breaks_the_connection)
    run = SyncHistory.objects.get()
    assert (run.status, run.error_message) == ("failed", "Interrupted: interrupted by SIGTERM")


@pytest.mark.once
def test_signal_right_after_the_lock_row_is_inserted_when_run_then_recorded_not_left_running(
        monkeypatch):
    from ingestion.base import history

    insert = history.start_run

    def start_run_then_signalled(*args, **kwargs):
        row = insert(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # before the runner's `try` is entered
        return row

    def interrupt(signum, frame):  # as the commands' handler (outcomes.signals_interrupt)
        runner.interrupt(Interrupted("interrupted by SIGTERM"))

    worked, done = [], threading.Event()
    monkeypatch.setattr(history, "start_run", start_run_then_signalled)
    previous = signal.signal(signal.SIGTERM, interrupt)
    # Another thread that may take the signal (as a run's own threads can): the handler
    # still runs in the main thread, wherever the signal lands.
    other = threading.Thread(target=done.wait, name="bystander")
    other.start()
    try:
        with pytest.raises(Interrupted):
            run_recorded(a_job(), worked.append)
    finally:
        signal.signal(signal.SIGTERM, previous)
        done.set()
        other.join()
    run = SyncHistory.objects.get()
    assert (run.status, run.error_message) == ("failed", "Interrupted: interrupted by SIGTERM")
    assert worked == []  # the signal was delivered before the work began


def test_interrupt_in_interrupts_held_when_raised_then_block_ends_first():
    ran = []
    with pytest.raises(Interrupted), runner.interrupts_held():
        runner.interrupt(Interrupted("interrupted by SIGTERM"))
        ran.append("the rest of the block")
    assert ran == ["the rest of the block"]
    with pytest.raises(Interrupted):  # nothing held any more: raised where it lands
        runner.interrupt(Interrupted("interrupted by SIGTERM"))


def test_signal_while_a_written_batch_is_counted_when_sync_runs_then_counted_once(
        hubspot, monkeypatch):
    from sync_commands import run_failing

    from ingestion.base import sync_engine
    from ingestion.models import HubSpotContact

    hubspot.control.reset(contacts=600, seed=2)
    debug = sync_engine.log.debug

    def signalled_while_counting(message, *args):
        if "batch written" in message and not signalled:  # committed, not yet counted
            signalled.append(os.kill(os.getpid(), signal.SIGTERM))
        debug(message, *args)

    signalled: list = []
    monkeypatch.setattr(sync_engine.log, "debug", signalled_while_counting)
    error, _ = run_failing("sync_hubspot_contacts", "--full", "--batch-size", "200")
    assert "interrupted by SIGTERM" in str(error)
    run = SyncHistory.objects.get()
    saved = HubSpotContact.objects.count()
    assert run.status == "failed" and saved >= 200
    assert run.created == saved  # the batch the signal came after is counted, and once
