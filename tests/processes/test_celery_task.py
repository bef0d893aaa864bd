"""The Celery task runs the same command, through a real Celery worker over Redis when one is
reachable (CI has Redis at 127.0.0.1:6379). A sync that fails makes the task fail."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager

import pytest
from subprocesses import ROOT, current_database_url

from ingestion.models import HubSpotAssociation, HubSpotContact, SyncHistory
from ingestion.tasks import SyncFailed, sync_hubspot

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.xdist_group("outside-state")]  # Redis


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not redis_reachable(), reason="no Redis broker on 127.0.0.1:6379")


def test_task_when_called_then_runs_the_command_and_reports_summary(hubspot):
    result = sync_hubspot.apply(kwargs={"command": "sync_hubspot_contacts", "full": True}).get()
    assert result["status"] == 0
    assert result["output"][-1].startswith("contacts: fetched=")
    assert HubSpotContact.objects.exists()


def test_task_when_run_then_hands_back_each_types_outcome_as_data_which_the_fan_out_reads(
        hubspot):
    from ingestion.management.fan_out import task_report

    result = sync_hubspot.apply(kwargs={"command": "sync_hubspot_pipelines"}).get()
    runs = dict(SyncHistory.objects.values_list("object_type", "pk"))
    handed = {o["name"]: o for o in result["outcomes"]}
    assert set(handed) == {"pipelines", "pipeline_stages"} == set(runs)
    stages = handed["pipeline_stages"]
    assert stages["status"] == "success" and stages["history_id"] == runs["pipeline_stages"]
    assert stages["counts"]["created"] == SyncHistory.objects.get(
        pk=runs["pipeline_stages"]).created > 0
    # `sync_hubspot_all --on-workers` takes the counts from there, whatever the output says.
    lying = {**result, "output": ["pipeline_stages: fetched=999 created=999 failed=999"]}
    rows = task_report("sync_hubspot_pipelines", lying, "SUCCESS").rows()
    assert [(o.name, o.status, o.counts.created) for o in rows] == [
        ("pipelines", "success", handed["pipelines"]["counts"]["created"]),
        ("pipeline_stages", "success", stages["counts"]["created"])]


def test_task_when_the_type_is_forbidden_then_sync_failed_77_and_a_no_access_row(hubspot):
    from ingestion.management.fan_out import task_report

    hubspot.control.deny_scopes(["crm.objects.invoices.read"])
    outcome = sync_hubspot.apply(kwargs={"command": "sync_hubspot_invoices",
                                         "check_access_first": True})
    assert outcome.state == "FAILURE" and outcome.result.status == 77
    [row] = task_report("sync_hubspot_invoices", outcome.result, outcome.state).rows()
    assert (row.name, row.status) == ("invoices", "no access")
    assert row.error.startswith("no access to invoices")


def test_task_when_given_unknown_flag_or_command_then_refuses():
    with pytest.raises(ValueError, match="unknown flags"):
        sync_hubspot.apply(kwargs={"command": "sync_hubspot_contacts", "wipe": True}).get()
    with pytest.raises(ValueError, match="not a sync command"):
        sync_hubspot.apply(kwargs={"command": "flush"}).get()
    with pytest.raises(ValueError, match="not a sync command"):
        sync_hubspot.apply(kwargs={"command": "sync_hubspot_nothing"}).get()


def test_task_when_links_then_verify_scheduled_then_each_runs_with_its_flags(hubspot):
    sync_hubspot.apply(kwargs={"command": "sync_hubspot_contacts", "full": True}).get()
    links = sync_hubspot.apply(kwargs={"command": "sync_hubspot_associations",
                                       "types": "contacts"}).get()
    assert links["status"] == 0 and any(" links: read=" in line for line in links["output"])
    verify = sync_hubspot.apply(kwargs={"command": "verify_hubspot", "types": "contacts"}).get()
    assert verify["status"] == 0
    HubSpotContact.objects.filter(pk=HubSpotContact.objects.order_by("pk")[5].pk).delete()
    with pytest.raises(SyncFailed) as failed:
        sync_hubspot.apply(kwargs={"command": "verify_hubspot", "types": "contacts"}).get()
    assert failed.value.status == 4  # not exact


def test_task_when_given_flags_beyond_the_basic_ones_then_the_command_applies_them(hubspot):
    """noinput, skip_associations, max_records come from the command's own parser."""
    result = sync_hubspot.apply(kwargs={
        "command": "sync_hubspot_contacts", "full": True, "force_overwrite": True,
        "noinput": True, "skip_associations": True, "max_records": 10, "batch_size": 5}).get()
    assert result["status"] == 0
    assert HubSpotContact.objects.count() == 10
    assert not HubSpotAssociation.objects.exists()


def test_task_when_numbers_come_as_strings_from_a_json_schedule_then_typed_as_on_the_shell(
        hubspot):
    result = sync_hubspot.apply(kwargs={
        "command": "sync_hubspot_contacts", "full": True, "max_records": "7",
        "batch_size": "3", "skip_associations": True}).get()
    assert result["status"] == 0 and HubSpotContact.objects.count() == 7
    with pytest.raises(SyncFailed) as failed:
        sync_hubspot.apply(kwargs={"command": "sync_hubspot_contacts",
                                   "batch_size": "many"}).get()
    assert failed.value.status == 2


def test_task_when_hubspot_refuses_the_token_then_raises_sync_failed_with_status_1(
        hubspot, settings):
    settings.HUBSPOT_ACCESS_TOKEN = "pat-na1-revoked"
    outcome = sync_hubspot.apply(kwargs={"command": "sync_hubspot_contacts", "full": True})
    assert outcome.state == "FAILURE"
    error = outcome.result
    assert isinstance(error, SyncFailed)
    assert (error.command, error.status) == ("sync_hubspot_contacts", 1)
    assert "refused the access token" in error.output[-1]
    assert not HubSpotContact.objects.exists()


@contextmanager
def celery_worker(hubspot, **env_overrides: str):
    """A real `celery worker` process, fed through Redis, on a queue of this test's own.
    Yields a function that sends the task there and waits for it to end."""
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_API_BASE_URL": hubspot.url, "HUBSPOT_ACCESS_TOKEN": hubspot.token,
           **env_overrides}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--queues", queue, "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def run(**kwargs):
        sent = app.send_task("ingestion.sync_hubspot", queue=queue, kwargs=kwargs)
        sent.get(timeout=120, propagate=False)
        return sent

    run.worker, run.queue = worker, queue
    try:
        yield run
    finally:
        worker.terminate()
        worker.communicate(timeout=60)


@needs_redis
def test_worker_over_redis_when_task_sent_then_sync_runs_in_the_worker(hubspot):
    with celery_worker(hubspot) as run:
        sent = run(command="sync_hubspot_contacts", full=True)
    assert sent.state == "SUCCESS"
    assert sent.result["status"] == 0
    assert sent.result["output"][-1].startswith("contacts: fetched=")
    assert HubSpotContact.objects.exists()


@needs_redis
def test_worker_when_hubspot_answers_401_then_task_state_failure_with_exit_status(hubspot):
    with celery_worker(hubspot, HUBSPOT_ACCESS_TOKEN="pat-na1-revoked") as run:
        sent = run(command="sync_hubspot_contacts", full=True)
    assert sent.state == "FAILURE"
    assert isinstance(sent.result, SyncFailed)  # rebuilt from the result backend
    assert sent.result.status == 1
    assert "refused the access token" in sent.result.output[-1]
    assert SyncHistory.objects.filter(status="success").count() == 0


@needs_redis
def test_worker_when_flag_unknown_or_invalid_then_task_state_failure(hubspot):
    with celery_worker(hubspot) as run:
        unknown = run(command="sync_hubspot_contacts", wipe=True)
        invalid = run(command="sync_hubspot_contacts", batch_size=-5)
    assert unknown.state == "FAILURE"
    assert isinstance(unknown.result, ValueError) and "wipe" in str(unknown.result)
    assert invalid.state == "FAILURE"
    assert isinstance(invalid.result, SyncFailed)
    assert invalid.result.status == 2  # bad usage, as on the command line
    assert "--batch-size" in invalid.result.output[-1]
    assert not HubSpotContact.objects.exists()


@needs_redis
def test_worker_when_sigterm_mid_sync_then_task_fails_with_130_and_worker_stops(hubspot):
    """The solo pool runs the task in the worker's main thread, where the command turns
    SIGTERM into an interrupted run (exit status 130); the worker must still stop."""
    import signal

    from config.celery import app

    from .test_manage_py import slow_list_pages, wait_for

    hubspot.control.reset(contacts=2000, seed=2)
    slow_list_pages(hubspot)
    with celery_worker(hubspot) as run:
        worker = run.worker
        sent = app.send_task("ingestion.sync_hubspot", queue=run.queue,
                             kwargs={"command": "sync_hubspot_contacts", "full": True})
        wait_for(lambda: SyncHistory.objects.filter(status="running").exists(), worker)
        worker.send_signal(signal.SIGTERM)
        sent.get(timeout=120, propagate=False)
        assert worker.wait(timeout=60) is not None  # stopped by itself: the signal was heard
    assert sent.state == "FAILURE"
    assert isinstance(sent.result, SyncFailed) and sent.result.status == 130
    assert SyncHistory.objects.get().status == "failed"
