"""sync_hubspot_changes killed (SIGKILL) at random moments, in real processes: each batch's
events and the offset after them are one transaction, so the runs that follow neither lose a
change nor store one twice, and the mirror ends equal to HubSpot."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from subprocesses import ROOT, current_database_url
from sync_commands import run_command
from upstream import listing
from webhooks.upstream import assert_mirrored

from ingestion.models import JournalState, SyncHistory, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)

CHANGED = 250  # changes, one journal entry each: three batches


def start(app) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url(), "HUBSPOT_MIRROR_ENV_FILE": "",
           "HUBSPOT_API_BASE_URL": app.url, "HUBSPOT_ACCESS_TOKEN": app.token,
           "HUBSPOT_CLIENT_ID": app.client_id, "HUBSPOT_CLIENT_SECRET": app.client_secret,
           "HUBSPOT_API_VERSION": "legacy", "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "50"}
    return subprocess.Popen([sys.executable, "manage.py", "sync_hubspot_changes"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def wait_until_running(child: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not SyncHistory.objects.filter(object_type="journal", pid=child.pid,
                                         status="running").exists():
        assert child.poll() is None, child.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_changes_when_killed_at_random_moments_then_nothing_lost_or_stored_twice(
        journal, api):
    ids = [c["id"] for c in listing(api, "/crm/v3/objects/contacts", {"limit": 100})]
    for n in range(CHANGED):  # one entry each, on the test portal's few contacts in turn
        contact = ids[n % len(ids)]
        api.patch(f"/crm/v3/objects/contacts/{contact}",
                  json={"properties": {"lastname": f"killed-{n}"}}).raise_for_status()
    journal.control.set_faults(rate=1.0, kinds=["slow"], seconds=0.01)
    rng = random.Random(7)
    held = journal.control.journal_state()["entries"]
    mid_run = []  # (entries stored, events pending) after each kill that left work half done
    for _ in range(6):
        child = start(journal)
        wait_until_running(child)
        time.sleep(rng.uniform(0.0, 6.0))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        state = (JournalState.objects.get().entries_read,
                 WebhookEvent.objects.filter(applied_at=None).count())
        if 0 < state[0] < held or state[1]:
            mid_run.append(state)
        if child.returncode == 0:
            break  # it finished before the kill: nothing left to interrupt
    assert mid_run, "no kill landed while the run was reading or applying"
    journal.control.clear_faults()
    run_command("sync_hubspot_changes")

    state = JournalState.objects.get()
    assert state.entries_read == held  # each entry stored once, none lost
    assert state.events_stored == WebhookEvent.objects.filter(source="journal").count()
    assert not WebhookEvent.objects.filter(applied_at=None).exists()
    for contact in [*rng.sample(ids, 25), ids[0], ids[-1]]:
        assert_mirrored(api, "contacts", contact)
