"""Every kind of recorded job, killed mid-run, leaves no `running` row past the next run of
its type (ingestion/base/runner.py). SIGTERM: the killed run records its own failure (after
reconnecting, if the signal broke the connection), so none is left even before the next run.
SIGKILL: nothing can run in the killed process, so the next run of the type marks the row
abandoned and proceeds.

Each job holds the lock of a different type, so all of them run at once, in `manage.py`
processes against one emulator that answers every request slowly; each is signalled as soon
as its run's row says it is running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.utils import timezone
from subprocesses import ROOT, current_database_url
from sync_commands import run_command

from ingestion.models import SyncHistory, WebhookEvent

# About processes and signals: on the first database of the suite only (run by hand on
# PostgreSQL too: the reconnect after a signal matters most there).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.once]

PORTAL = 4242  # HUBSPOT_PORTAL_ID of the children and of the stored webhook events
# Each job (a command) and the type whose lock its run holds.
JOBS = {
    "record sync": (["sync_hubspot_contacts", "--full", "--batch-size", "10"], "contacts"),
    "lists sync": (["sync_hubspot_lists"], "lists"),
    "definitions sync": (["sync_hubspot_properties"], "properties"),
    "link refresh": (["sync_hubspot_companies", "--links-only"], "companies"),
    "deletion check": (["sync_hubspot_deals", "--deletions"], "deals"),
    "verify": (["verify_hubspot", "--types", "calls"], "calls"),
    "event apply": (["apply_hubspot_events"], "webhooks"),
}
EXIT_LOCKED = 75


def start(hubspot, args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_API_BASE_URL": hubspot.url, "HUBSPOT_ACCESS_TOKEN": hubspot.token,
           "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "50", "HUBSPOT_API_VERSION": "legacy",
           "HUBSPOT_PORTAL_ID": str(PORTAL)}
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stored_work(api) -> None:
    """What the link refresh and the event applier work on: stored companies, and pending
    events naming notes (re-read by id, under the notes lock, within the applier's run)."""
    run_command("sync_hubspot_companies", "--full")
    notes = api.get("/crm/v3/objects/notes", params={"limit": 100}).json()["results"]
    now = timezone.now()
    WebhookEvent.objects.bulk_create(
        WebhookEvent(event_id=n, subscription_type="object.propertyChange", object_type="notes",
                     object_id=note["id"], occurred_at=1_700_000_000_000 + n,
                     portal_id=PORTAL, received_at=now)
        for n, note in enumerate(notes, start=1))


def signal_each_mid_run(processes: dict[str, subprocess.Popen], how: signal.Signals) -> dict:
    """Send `how` to each process once its run's row is `running`; those rows, by job."""
    killed: dict[str, SyncHistory] = {}
    deadline = time.monotonic() + 180
    while len(killed) < len(processes):
        for name, process in processes.items():
            if name in killed:
                continue
            row = SyncHistory.objects.filter(object_type=JOBS[name][1], pid=process.pid,
                                             status="running").first()
            if row is not None:
                process.send_signal(how)
                killed[name] = row
            elif process.poll() is not None:
                raise AssertionError(f"{name} ended before it was signalled: "
                                     f"{process.communicate()}")
        assert time.monotonic() < deadline, f"not running in time: {set(processes) - set(killed)}"
        time.sleep(0.05)
    return killed


def finish_all(processes: dict[str, subprocess.Popen]) -> dict[str, tuple[int, str]]:
    """Each process's exit status and stderr, once it ended."""
    ended = {}
    for name, process in processes.items():
        _, stderr = process.communicate(timeout=180)
        ended[name] = (process.returncode, stderr)
    return ended


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_each_kind_of_job_when_killed_mid_run_then_no_running_row_after_its_next_run(
        hubspot, api, how):
    stored_work(api)
    hubspot.control.set_faults(rate=1.0, kinds=["slow"], seconds=2.0)  # every request
    victims = {name: start(hubspot, args) for name, (args, _) in JOBS.items()}
    try:
        killed = signal_each_mid_run(victims, how)
    except BaseException:
        for process in victims.values():
            process.kill()  # not left to run on (slowly) after a failed test
        raise
    finally:
        ended = finish_all(victims)
    hubspot.control.clear_faults()
    if how == signal.SIGTERM:
        for name, (code, stderr) in ended.items():  # the run itself recorded its failure
            assert code == 130, (name, stderr[-2000:])
            assert "interrupted by SIGTERM" in stderr and "Traceback" not in stderr, name
            row = SyncHistory.objects.get(pk=killed[name].pk)
            assert (row.status, row.error_message) == (
                "failed", "SyncInterrupted: interrupted by SIGTERM"), name
    else:
        assert {code for code, _ in ended.values()} == {-signal.SIGKILL}
        assert SyncHistory.objects.filter(status="running").count() >= len(JOBS)
        next_runs = finish_all({name: start(hubspot, args) for name, (args, _) in JOBS.items()})
        for name, (code, stderr) in next_runs.items():
            assert code >= 0 and code != EXIT_LOCKED, (name, stderr[-2000:])
            runs = SyncHistory.objects.filter(object_type=JOBS[name][1],
                                              pk__gte=killed[name].pk).order_by("pk")
            assert list(runs.values_list("status", flat=True))[:1] == ["abandoned"], name
            assert runs.count() == 2, name  # the killed run, then the next one
    assert not SyncHistory.objects.filter(status="running").exists()
