"""`sync_hubspot_all --on-workers`: the types as Celery tasks on real worker processes over
Redis, definitions first, then record types and custom objects in parallel; one table at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager

import pytest
from django.utils import timezone
from subprocesses import ROOT, current_database_url
from sync_commands import run_command, run_failing

from ingestion.models import HubSpotContact, SyncHistory

from .test_celery_task import needs_redis

pytestmark = [pytest.mark.django_db(transaction=True), needs_redis,
              pytest.mark.xdist_group("outside-state")]  # Redis

RECORD_TYPES = {"companies", "contacts", "deals", "tickets", "products", "line_items", "calls",
                "emails", "meetings", "notes", "tasks"}


@contextmanager
def workers(hubspot, count: int, **env_overrides: str):
    """`count` real `celery worker` processes (one task at a time each) on a queue of this
    test's own; yields the queue's name."""
    queue = f"test-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_API_BASE_URL": hubspot.url, "HUBSPOT_ACCESS_TOKEN": hubspot.token,
           **env_overrides}
    started = [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--queues", queue, "--hostname", f"w{n}-{queue}@%h", "--prefetch-multiplier", "1",
         "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for n in range(count)]
    try:
        yield queue
    finally:
        for worker in started:
            worker.terminate()
        for worker in started:
            worker.wait(timeout=60)


def test_sync_all_on_two_workers_when_full_then_every_type_synced_by_both_and_one_table(
        hubspot):
    with workers(hubspot, 2) as queue:
        run = run_command("sync_hubspot_all", "--on-workers", "--queue", queue, "--full")
    table = run.out.splitlines()[run.out.splitlines().index(
        next(line for line in run.out.splitlines() if line.startswith("type "))) + 1:]
    rows = {line.split()[0]: line.split()[-1] for line in table}
    assert RECORD_TYPES | {"properties", "owners", "pipelines", "pipeline_stages"} <= set(rows)
    assert set(rows.values()) == {"success"}
    assert run["contacts"]["created"] == HubSpotContact.objects.count() > 0
    runs = SyncHistory.objects.filter(object_type__in=RECORD_TYPES)
    assert set(runs.values_list("object_type", flat=True)) == RECORD_TYPES
    assert set(runs.values_list("status", flat=True)) == {"success"}
    assert runs.values("pid").distinct().count() == 2  # both workers took record types
    # definitions finished before the first record type started
    definitions_done = SyncHistory.objects.filter(object_type="properties").get().finished_at
    assert definitions_done <= min(runs.values_list("started_at", flat=True))


def test_sync_all_on_workers_when_a_type_is_locked_then_skipped_exit_75_others_synced(
        hubspot):
    # Another live process (this one) holds the deals lock.
    SyncHistory.objects.create(object_type="deals", mode="full", status="running",
                               started_at=timezone.now(), pid=os.getpid(),
                               hostname=socket.gethostname())
    with workers(hubspot, 1) as queue:
        error, run = run_failing("sync_hubspot_all", "--on-workers", "--queue", queue,
                                 "--links-only")
    assert error.returncode == 75 and "deals" in str(error), run.out + run.err
    assert "contacts links: read=" in run.out
