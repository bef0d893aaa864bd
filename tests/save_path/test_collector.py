"""The collector's passes are spaced out while a run moves records, and put back after it,
however the run ends and however many runs overlap in one process."""

from __future__ import annotations

import gc
import threading

import pytest

from ingestion.base.collector import RUN_THRESHOLDS, fewer_collections
from ingestion.base.results import SyncOptions

from .factories import CannedContactEngine, contact

pytestmark = pytest.mark.django_db(transaction=True)


class RecordingEngine(CannedContactEngine):
    def transform(self, record):
        self.thresholds_seen.add(gc.get_threshold())
        return super().transform(record)


def test_run_when_moving_records_then_collector_spaced_out_and_restored_after():
    before = gc.get_threshold()
    engine = RecordingEngine([[contact(1), contact(2)]], SyncOptions(full=True))
    engine.thresholds_seen = set()
    engine.run()
    assert engine.thresholds_seen == {RUN_THRESHOLDS}
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_run_when_it_fails_then_collector_restored():
    before = gc.get_threshold()

    class Failing(CannedContactEngine):
        def transform(self, record):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        Failing([[contact(1)]], SyncOptions(full=True)).run()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_overlapping_runs_when_first_ends_then_settings_kept_until_last_ends():
    before = gc.get_threshold()
    first_in, release = threading.Event(), threading.Event()

    def long_run():
        with fewer_collections():
            first_in.set()
            release.wait(10)

    thread = threading.Thread(target=long_run)
    thread.start()
    first_in.wait(10)
    with fewer_collections():
        assert gc.get_threshold() == RUN_THRESHOLDS
    assert gc.get_threshold() == RUN_THRESHOLDS  # the other run still goes on
    release.set()
    thread.join()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
