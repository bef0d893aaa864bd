"""`sync_hubspot_all --on-workers`: the types as Celery tasks on real worker processes over
Redis, definitions first, then record types and custom objects in parallel; one table at the end.
The first test fans out every type (the stages --parallel runs too); the others, about workers,
brokers, locks and signals, a few."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
from django.utils import timezone
from subprocesses import ROOT, clean_environment, current_database_url
from sync_all_types import keep_only, sync_all_argv
from sync_commands import run_command, run_failing

from ingestion.models import HubSpotContact, SyncHistory

from .test_celery_task import needs_redis
from .test_manage_py import slow_list_pages, wait_for

# What the command does about workers, brokers and signals does not depend on the database:
# those tests run on the suite's first database only (CI time).
PROCESSES_ONLY = pytest.mark.once
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
        _wait_until_listening(queue, count, started)
        yield queue
    finally:
        for worker in started:
            worker.terminate()
        for worker in started:
            worker.wait(timeout=60)


def _wait_until_listening(queue: str, count: int, started: list[subprocess.Popen]) -> None:
    """Workers take seconds to start: `--on-workers` refuses to send to a queue nobody
    consumes, so wait until every worker answers on it."""
    from config.celery import app
    from ingestion.management.fan_out import listening_workers

    deadline = time.monotonic() + 120
    while len(listening_workers(app, queue)) < count:
        assert all(worker.poll() is None for worker in started), "a worker did not start"
        assert time.monotonic() < deadline, "the workers did not answer in time"
        time.sleep(0.5)


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


@PROCESSES_ONLY  # the lock is rows of sync_history: test_manage_py races for it on both
def test_sync_all_on_workers_when_a_type_is_locked_then_skipped_exit_75_others_synced(
        hubspot, monkeypatch):
    keep_only(monkeypatch, "contacts", "deals")
    # Another live process (this one) holds the deals lock.
    SyncHistory.objects.create(object_type="deals", mode="full", status="running",
                               started_at=timezone.now(), pid=os.getpid(),
                               hostname=socket.gethostname())
    with workers(hubspot, 1) as queue:
        error, run = run_failing("sync_hubspot_all", "--on-workers", "--queue", queue,
                                 "--links-only")
    assert error.returncode == 75 and "deals" in str(error), run.out + run.err
    assert "contacts links: read=" in run.out


# What the tests of workers lost or interrupted fan out: contacts (held running) first.
FEW = ("contacts", "deals", "tickets", "calls", "notes")


def hold_contacts_list(hubspot) -> None:
    """The contacts task stays running for seconds (each of its listing requests waits 5 s)
    on the small default portal: the other types' tasks then sync a few hundred records, not
    the many thousands a portal big enough to keep contacts running by its size would hold."""
    slow_list_pages(hubspot, seconds=5.0, pages=20)


# -- waits that end ---------------------------------------------------------------------------

def sync_all_process(hubspot, *flags: str, types: tuple[str, ...] | None = None,
                     broker: str = "", **settings: str) -> subprocess.Popen:
    """`manage.py sync_hubspot_all` as an operator runs it (on the default broker, as the
    workers, unless `broker` is given), on `types` only if given; each test has a queue of
    its own."""
    env = clean_environment(DATABASE_URL=current_database_url(),
                            **({"CELERY_BROKER_URL": broker} if broker else {}),
                            HUBSPOT_API_BASE_URL=hubspot.url, HUBSPOT_API_VERSION="legacy",
                            HUBSPOT_ACCESS_TOKEN=hubspot.token, **settings)
    return subprocess.Popen(sync_all_argv(types, *flags), cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def queued(queue: str) -> int:
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue)


@PROCESSES_ONLY
def test_on_workers_when_no_worker_listens_on_the_queue_then_one_line_exit_1_nothing_sent(
        hubspot):
    queue = f"test-{uuid.uuid4().hex}"
    process = sync_all_process(hubspot, "--on-workers", "--queue", queue)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert err.strip().splitlines() == [
        f"CommandError: no Celery worker answered on the queue '{queue}' within 2 s: start one "
        f"(`celery -A config worker -Q {queue}`); nothing was sent"]
    assert out == "" and queued(queue) == 0 and not SyncHistory.objects.exists()


@PROCESSES_ONLY
def test_on_workers_when_the_broker_is_down_then_one_line_exit_1(hubspot):
    process = sync_all_process(hubspot, "--on-workers", broker="redis://127.0.0.1:1/0")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert err.strip().splitlines() == [
        "CommandError: cannot reach the Celery broker at redis://127.0.0.1:1/0 "
        "(CELERY_BROKER_URL): Error 111 connecting to 127.0.0.1:1. Connection refused; "
        "nothing was sent"]
    assert out == "" and not SyncHistory.objects.exists()


@pytest.mark.parametrize("flags", [("--parallel", "2"), ("--parallel", "1")])
def test_on_workers_beside_parallel_when_run_then_usage_error_exit_2(flags):
    error, run = run_failing("sync_hubspot_all", "--on-workers", *flags)
    assert error.returncode == 2 and "choose one" in str(error) and run.out == ""


@PROCESSES_ONLY
def test_on_workers_when_a_worker_is_killed_mid_task_then_that_type_failed_rest_synced(
        hubspot):
    hold_contacts_list(hubspot)
    with workers(hubspot, 2, HUBSPOT_API_VERSION="legacy") as queue:
        process = sync_all_process(hubspot, "--on-workers", "--queue", queue, "--full",
                                   "--list-only", "--batch-size", "100", types=FEW)
        contacts = SyncHistory.objects.filter(object_type="contacts", status="running")
        wait_for(contacts.exists, process, timeout=120)
        os.kill(contacts.get().pid, signal.SIGKILL)  # the solo pool runs it in the worker
        hubspot.control.clear_faults()
        try:
            out, err = process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            raise AssertionError(out + "\n---\n" + err) from None
    assert process.returncode == 1, err[-3000:]
    table = out.splitlines()[[line.startswith("type ") for line in out.splitlines()].index(True):]
    rows = {line.split()[0]: line.split()[-1] for line in table[1:]}
    assert rows.pop("contacts") == "failed"
    assert set(rows.values()) == {"success"} and set(FEW) - {"contacts"} <= set(rows)
    assert "sync_hubspot_contacts: exit 1: its worker w" in err and "is gone" in err
    assert re.search(r"^records: \d+ of \d+ done, \d+ running, \d+ waiting$", err,
                     re.MULTILINE)  # progress while it waited
    assert SyncHistory.objects.get(object_type="contacts").status == "abandoned"


@PROCESSES_ONLY
def test_on_workers_when_the_only_worker_is_killed_then_its_type_and_the_waiting_fail(
        hubspot):
    hold_contacts_list(hubspot)
    with workers(hubspot, 1, HUBSPOT_API_VERSION="legacy") as queue:
        process = sync_all_process(hubspot, "--on-workers", "--queue", queue, "--full",
                                   "--list-only", "--batch-size", "100",
                                   types=("contacts", "deals"), HUBSPOT_WORKERLESS_SECONDS="5")
        contacts = SyncHistory.objects.filter(object_type="contacts", status="running")
        wait_for(contacts.exists, process, timeout=120)
        os.kill(contacts.get().pid, signal.SIGKILL)
        _, err = process.communicate(timeout=240)
    assert process.returncode == 1, err[-3000:]
    assert "sync_hubspot_contacts: exit 1: its worker w" in err
    assert f"sync_hubspot_deals: exit 1: not run: no worker has consumed the queue '{queue}' " \
           "for 5 s" in err
    assert SyncHistory.objects.get(object_type="contacts").status == "abandoned"
    assert not SyncHistory.objects.filter(object_type="deals").exists()


@PROCESSES_ONLY
def test_on_workers_when_interrupted_then_tasks_revoked_none_runs_later_exit_130(hubspot):
    from config.celery import app

    hold_contacts_list(hubspot)
    with workers(hubspot, 1, HUBSPOT_API_VERSION="legacy") as queue:
        process = sync_all_process(hubspot, "--on-workers", "--queue", queue, "--full",
                                   "--list-only", "--batch-size", "100", types=FEW)
        started = SyncHistory.objects.filter(object_type="contacts")
        wait_for(started.exists, process, timeout=120)
        before = set(SyncHistory.objects.values_list("object_type", flat=True))
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
        assert process.returncode == 130, err[-3000:]
        assert "interrupted" in err and "Traceback" not in err
        hubspot.control.clear_faults()  # the solo pool cannot stop contacts: let it end
        deadline = time.monotonic() + 180
        while queued(queue):  # the worker takes each revoked task and drops it
            assert time.monotonic() < deadline, "the queue was not drained"
            time.sleep(0.5)
        revoked = next(iter((app.control.inspect(timeout=10).revoked() or {None: []})
                            .values()))
    ran = set(SyncHistory.objects.values_list("object_type", flat=True))
    # A busy solo worker reads the revoke only after its task: it may have taken one more.
    assert len(ran - before) <= 1, ran - before
    # the record stage's tasks not ended (contacts, then those waiting): dropped by the worker
    assert len(revoked) >= len(FEW) - 1
