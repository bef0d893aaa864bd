"""The Celery task runs the same command, through a real Celery worker over Redis when one is
reachable (CI has Redis at 127.0.0.1:6379)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest

from ingestion.models import HubSpotContact
from ingestion.tasks import sync_hubspot

pytestmark = pytest.mark.django_db(transaction=True)


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_task_when_called_then_runs_the_command_and_reports_summary(hubspot):
    result = sync_hubspot.apply(kwargs={"command": "sync_hubspot_contacts", "full": True}).get()
    assert result["status"] == 0
    assert result["output"][-1].startswith("contacts: fetched=")
    assert HubSpotContact.objects.exists()


def test_task_when_given_unknown_flag_or_command_then_refuses():
    with pytest.raises(ValueError, match="unknown flags"):
        sync_hubspot.apply(kwargs={"command": "sync_hubspot_contacts", "wipe": True}).get()
    with pytest.raises(ValueError, match="not a sync command"):
        sync_hubspot.apply(kwargs={"command": "flush"}).get()


@pytest.mark.skipif(not redis_reachable(), reason="no Redis broker on 127.0.0.1:6379")
def test_worker_over_redis_when_task_sent_then_sync_runs_in_the_worker(hubspot):
    """A real `celery worker` process, fed through Redis, on a queue of this test's own."""
    from config.celery import app

    from .test_processes import ROOT, database_url

    queue = f"test-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": database_url(), "HUBSPOT_API_BASE_URL": hubspot.url,
           "HUBSPOT_ACCESS_TOKEN": hubspot.token}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--queues", queue, "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        sent = app.send_task("ingestion.sync_hubspot", queue=queue,
                             kwargs={"command": "sync_hubspot_contacts", "full": True})
        result = sent.get(timeout=120)
    finally:
        worker.terminate()
        worker.communicate(timeout=60)
    assert result["status"] == 0
    assert result["output"][-1].startswith("contacts: fetched=")
    assert HubSpotContact.objects.exists()
