"""Resume (issue 28) under kills at random moments, in both read modes: a real first sync of
contacts (`manage.py` in a subprocess) is SIGKILLed again and again, each time after a
seeded random delay from the moment its running row appears, then rerun until a run
completes. The delays are drawn in bands of the time the rest of the read should take
(measured once on an uninterrupted run), so kills land before the first batch commits,
in the middle of the read and near its end. Then the mirror equals HubSpot
(`verify_hubspot` exit 0) and no record any attempt read was swept.

The delays are only where the kills land: nothing asserts on time."""

from __future__ import annotations

import random
import signal
import subprocess
import time

import pytest
from contacts_runs import archived_ids, live_ids, upstream_ids
from django.core.management import call_command

from ingestion.base import resume
from ingestion.models import SyncCheckpoint, SyncHistory

from .test_resume import CONTACTS_PATH, assert_exact, checkpoint_of, child

pytestmark = pytest.mark.django_db(transaction=True)

CONTACTS = 2000
# Where in the rest of the read each kill lands (a share of the time it should take):
# before anything commits, in the middle, near the end, then anywhere. The next band is
# drawn from once a kill has landed; a run that ends first ends the test (its mirror exact).
BANDS = [(0.0, 0.1), (0.3, 0.6), (0.7, 0.9), (0.0, 0.9)]
ATTEMPTS_MAX = 10


@pytest.fixture(params=["list_only", "two_ended"])
def read_mode(request, settings) -> str:
    settings.HUBSPOT_TWO_ENDED_READS = request.param == "two_ended"
    settings.HUBSPOT_TWO_ENDED_MIN_RECORDS = 100
    return request.param


def running_row(process: subprocess.Popen) -> SyncHistory | None:
    return SyncHistory.objects.filter(object_type="contacts", pid=process.pid).first()


def wait_for_row(process: subprocess.Popen) -> float:
    """Wait until the child's running row appears; the moment it did."""
    deadline = time.monotonic() + 120
    while running_row(process) is None:
        if process.poll() is not None:
            raise AssertionError(f"ended before its row appeared: {process.communicate()}")
        assert time.monotonic() < deadline, "no running row in time"
        time.sleep(0.01)
    return time.monotonic()


def uninterrupted_seconds(hubspot, read_mode: str) -> float:
    """How long a first sync's read takes here, from its row to its end (then forgotten)."""
    process = child(hubspot, read_mode)
    began = wait_for_row(process)
    _out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    took = time.monotonic() - began
    call_command("flush", "--no-input")
    return took


def seen_by_attempts() -> set[str]:
    row = SyncCheckpoint.objects.filter(object_type="contacts").first()
    if row is None:
        return set()
    return {i for chunk in resume.seen_chunks(checkpoint_of(row)) for i in chunk}


def test_first_sync_killed_at_random_moments_ends_exact(hubspot, api, read_mode):
    hubspot.control.reset(contacts=CONTACTS, seed=1, rate_limit="none")
    # Every contacts request a little slow, so a read lasts long enough to be hit anywhere.
    hubspot.control.set_faults(rate=1.0, kinds=["slow"], seconds=0.02,
                               match={"path_prefix": CONTACTS_PATH})
    rng = random.Random(f"issue28-{read_mode}")
    try:
        full = uninterrupted_seconds(hubspot, read_mode)
        seen: set[str] = set()
        kills, completed = [], False
        for _attempt in range(ATTEMPTS_MAX):
            process = child(hubspot, read_mode)
            began = wait_for_row(process)
            done = SyncCheckpoint.objects.filter(object_type="contacts").values_list(
                "records", flat=True).first() or 0
            delay = float("inf")  # after the bands, the run is let finish
            if len(kills) < len(BANDS):
                share = rng.uniform(*BANDS[len(kills)])
                delay = share * full * max(0.2, 1 - done / CONTACTS)
            while process.poll() is None and time.monotonic() - began < delay:
                time.sleep(0.005)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            _out, err = process.communicate(timeout=600)
            if process.returncode == 0:
                completed = True
                break
            assert process.returncode == -signal.SIGKILL, err
            kills.append((round(delay, 2), done))
            seen |= seen_by_attempts()
    finally:
        hubspot.control.clear_faults()

    print(f"{read_mode}: uninterrupted {full:.1f}s; kills (delay s, records committed "
          f"before): {kills}")
    assert completed, f"no run completed in {ATTEMPTS_MAX} attempts: {kills}"
    assert len(kills) >= 2  # timing decides how many land before a run ends: printed
    assert not SyncCheckpoint.objects.exists()
    assert SyncHistory.objects.filter(object_type="contacts", status="success").exists()
    archived_upstream = set(upstream_ids(api, archived=True))
    assert seen - archived_upstream <= live_ids()  # nothing an attempt read was swept
    assert archived_ids() == archived_upstream
    assert live_ids() == set(upstream_ids(api))
    assert_exact()
