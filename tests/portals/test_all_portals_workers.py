"""`sync_hubspot_all --all-portals --on-workers`: one Celery task per portal on a real worker
(over Redis), each task `sync_hubspot_all --portal NAME`; what each came to read from the
task's result. The worker runs the definitions and contacts only (sync_all_types.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
from processes.test_celery_task import needs_redis
from subprocesses import ROOT, current_database_url
from sync_all_types import ON_TYPES
from sync_commands import run_failing

from ingestion.models import HubSpotContact
from ingestion.sync.hubspot.accounts import in_portal

from .test_all_portals import tables
from .test_isolation import upstream_contacts

pytestmark = [pytest.mark.django_db(transaction=True), needs_redis,
              pytest.mark.xdist_group("outside-state")]  # Redis

# A `celery worker` (solo pool: tasks run in this process) whose sync_hubspot_all runs the
# types of argv[1] only; then the worker's own arguments.
_WORKER_ON = ON_TYPES + """
from config.celery import app
app.worker_main(["worker", *sys.argv[2:]])
"""


@contextmanager
def contacts_worker(settings):
    """One worker on a queue of this test's own; yields the queue once it answers."""
    from config.celery import app
    from ingestion.management.fan_out import listening_workers

    queue = f"test-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_API_VERSION": settings.HUBSPOT_API_VERSION,
           "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "50"}
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER_ON, "contacts", "--pool", "solo", "--queues", queue,
         "--hostname", f"w-{queue}@%h", "--without-gossip", "--without-mingle",
         "--loglevel", "WARNING"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not listening_workers(app, queue):
            assert worker.poll() is None and time.monotonic() < deadline, "no worker"
            time.sleep(0.5)
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def test_all_portals_on_workers_when_b_token_refused_then_b_fails_alone_a_synced(
        two_portals, monkeypatch, settings):
    first, _ = two_portals
    monkeypatch.setenv("PORTAL_B_TOKEN", "pat-na1-refused")
    settings.HUBSPOT_ACCESS_TOKEN = ""  # a and b are every portal
    with contacts_worker(settings) as queue:
        error, run = run_failing("sync_hubspot_all", "--all-portals", "--on-workers",
                                 "--queue", queue, "--full")
    assert error.returncode == 1, run.out + run.err
    found = tables(run.out)
    assert found["a"]["contacts"] == "success"
    assert "failed" in found["b"].values() and "contacts" not in found["b"]
    assert found["total"] == {"a": "success", "b": "failed", "total": "failed"}
    with in_portal("a"):
        live = HubSpotContact.objects.filter(archived=False)
        assert set(live.values_list("pk", flat=True)) == upstream_contacts(first)
    with in_portal("b"):
        assert not HubSpotContact.objects.exists()
