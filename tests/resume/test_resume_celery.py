"""Resume (issue 28) after a lost Celery worker: a first sync of contacts sent as a task to a
real `celery worker` process (Redis broker), the worker SIGKILLed once ~60% of the records
are committed; the next run, a new task on a new worker, continues from the checkpoint at
most half a full run's requests, the mirror then exact (`verify_hubspot` exit 0), and the
killed worker's running row is closed as abandoned (base/history.py)."""

from __future__ import annotations

import signal
import time

import pytest
from django.core.management import call_command
from processes.test_celery_task import celery_worker, needs_redis
from sync_commands import run_command

from ingestion.models import SyncCheckpoint, SyncHistory

from .test_resume import BATCH, CONTACTS, CONTACTS_PATH, assert_exact, requests_of

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.xdist_group("outside-state"), needs_redis]  # Redis

WORKER_ENV = {"HUBSPOT_MIRROR_ENV_FILE": "", "HUBSPOT_API_VERSION": "legacy",
              "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "50", "HUBSPOT_TWO_ENDED_READS": "false"}
TASK = {"command": "sync_hubspot_contacts", "batch_size": BATCH}


def kill_worker_at(worker, share: float) -> SyncHistory:
    """SIGKILL the worker once its running row's committed records pass `share`; the row."""
    deadline = time.monotonic() + 240
    while True:
        row = SyncHistory.objects.filter(object_type="contacts", status="running",
                                         pid=worker.pid).first()
        if row and (row.progress or {}).get("records", 0) >= share * CONTACTS:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=60)
            return row
        assert worker.poll() is None, "the worker ended before the kill"
        assert time.monotonic() < deadline, "the task did not get far enough in time"
        time.sleep(0.02)


def test_worker_killed_at_60_percent_of_a_first_sync_then_a_new_task_resumes(hubspot):
    hubspot.control.reset(contacts=CONTACTS, seed=1, rate_limit="none")
    full_requests, _ = requests_of(hubspot, lambda: run_command(
        "sync_hubspot_contacts", "--batch-size", BATCH))
    call_command("flush", "--no-input")  # the killed task's is a first sync too

    hubspot.control.set_faults(rate=1.0, kinds=["slow"], seconds=0.05,
                               match={"path_prefix": CONTACTS_PATH})
    try:
        with celery_worker(hubspot, **WORKER_ENV) as run:
            from config.celery import app
            app.send_task("ingestion.sync_hubspot", queue=run.queue, kwargs=TASK)
            killed = kill_worker_at(run.worker, 0.6)
    finally:
        hubspot.control.clear_faults()
    checkpoint = SyncCheckpoint.objects.get(object_type="contacts")
    assert checkpoint.records >= 0.6 * CONTACTS and checkpoint.history_id == killed.pk

    with celery_worker(hubspot, **WORKER_ENV) as run:
        resumed_requests, sent = requests_of(hubspot, lambda: run(**TASK))

    assert sent.state == "SUCCESS" and sent.result["status"] == 0, sent.result
    assert any("resumed the full read begun" in line for line in sent.result["output"])
    killed.refresh_from_db()
    assert killed.status == "abandoned" and killed.error_message.startswith("abandoned")
    last = SyncHistory.objects.filter(object_type="contacts").latest("pk")
    assert last.status == "success" and last.details["resumed"]["from_run"] == killed.pk
    assert not SyncCheckpoint.objects.exists()
    assert_exact()
    print(f"resumed task {resumed_requests} requests, uninterrupted first sync "
          f"{full_requests}")
    assert resumed_requests <= 0.5 * full_requests
