"""Resume (issue 28): a full or first sync of a record type that stops (SIGKILL, SIGTERM,
HubSpot unreachable past the retries) continues from its last committed batch on the next
run, plain or --full, in both read modes (list-only and two-ended); the sweep at its end
archives exactly what neither attempt read; the rerun costs at most half a full run's
requests; a stale or foreign checkpoint is discarded with a message (ingestion/base/resume.py).

Kills are real: `manage.py` in a subprocess, against an emulator that answers every contacts
request a little slowly, killed once its running row's committed records pass 60%."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from contacts_runs import archived_ids, live_ids, upstream_ids
from django.core.management import call_command
from subprocesses import ROOT, current_database_url, signal_when
from sync_commands import run_command, run_failing

from ingestion.base import resume
from ingestion.models import HubSpotContact, SyncCheckpoint, SyncHistory

pytestmark = pytest.mark.django_db(transaction=True)

CONTACTS = 5000
SMALL = 3000  # the portal of the runs stopped by HubSpot unreachable
BATCH = "100"
CONTACTS_PATH = "/crm/v3/objects/contacts"


@pytest.fixture(params=["list_only", "two_ended"])
def read_mode(request, settings) -> str:
    settings.HUBSPOT_TWO_ENDED_READS = request.param == "two_ended"
    settings.HUBSPOT_TWO_ENDED_MIN_RECORDS = 100
    return request.param


@pytest.fixture
def portal(hubspot):
    hubspot.control.reset(contacts=CONTACTS, seed=1, rate_limit="none")
    return hubspot


def child(hubspot, read_mode: str, *flags: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_MIRROR_ENV_FILE": "", "HUBSPOT_API_BASE_URL": hubspot.url,
           "HUBSPOT_ACCESS_TOKEN": hubspot.token, "HUBSPOT_API_VERSION": "legacy",
           "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "50",
           "HUBSPOT_TWO_ENDED_READS": "true" if read_mode == "two_ended" else "false",
           "HUBSPOT_TWO_ENDED_MIN_RECORDS": "100"}
    return subprocess.Popen([sys.executable, "manage.py", "sync_hubspot_contacts",
                             "--batch-size", BATCH, *flags], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop_at(hubspot, process: subprocess.Popen, share: float, how: signal.Signals) -> None:
    """Send `how` once the running row's committed records pass `share` of the portal."""
    def reached() -> bool:
        row = SyncHistory.objects.filter(object_type="contacts", status="running",
                                         pid=process.pid).first()
        return bool(row) and (row.progress or {}).get("records", 0) >= share * CONTACTS

    signal_when(process, how, reached, hubspot=hubspot, slow_path=CONTACTS_PATH, slow_s=0.05,
                poll_s=0.02)


def requests_of(hubspot, action) -> tuple[int, object]:
    before = hubspot.control.stats()["requests"]
    outcome = action()
    return hubspot.control.stats()["requests"] - before, outcome


def unseen_live_id(api, checkpoint: SyncCheckpoint) -> str:
    """A live contact upstream that the stopped attempt did not read."""
    seen = {i for chunk in resume.seen_chunks(checkpoint_of(checkpoint)) for i in chunk}
    return next(i for i in upstream_ids(api) if i not in seen)


def checkpoint_of(row: SyncCheckpoint) -> resume.Resumed:
    return resume.Resumed(row.pk, row.started_at, row.updated_at, row.position, row.batches,
                          row.records, row.history_id)


def assert_exact() -> None:
    run_command("verify_hubspot", "--types", "contacts")  # exit 0, else CommandError


def test_first_sync_killed_at_60_percent_then_rerun_resumes_at_half_the_requests(
        portal, api, read_mode):
    # An uninterrupted first sync's requests (a first sync reads more than a later full
    # one: every record's stage history), then the mirror emptied for the killed one.
    first_sync_requests, _ = requests_of(portal, lambda: run_command(
        "sync_hubspot_contacts", "--batch-size", BATCH))
    call_command("flush", "--no-input")
    stop_at(portal, child(portal, read_mode), 0.6, signal.SIGKILL)
    checkpoint = SyncCheckpoint.objects.get(object_type="contacts")
    assert checkpoint.records >= 0.6 * CONTACTS
    deleted = unseen_live_id(api, checkpoint)
    api.delete(f"{CONTACTS_PATH}/{deleted}").raise_for_status()  # between the attempts
    first_attempt = set(HubSpotContact.objects.values_list("pk", flat=True))

    resumed_requests, run = requests_of(portal, lambda: run_command(
        "sync_hubspot_contacts", "--batch-size", BATCH))

    assert "resumed the full read begun" in run.out
    row = SyncHistory.objects.filter(object_type="contacts", status="success").latest("pk")
    assert row.details["resumed"]["records"] == checkpoint.records
    assert row.details["resumed"]["position"] == checkpoint.position
    assert row.watermark is not None and row.watermark <= checkpoint.started_at
    assert not SyncCheckpoint.objects.exists()
    assert deleted in archived_ids()
    assert first_attempt <= live_ids()  # nothing the first attempt read was swept
    assert_exact()
    print(f"{read_mode}: resumed run {resumed_requests} requests, uninterrupted first sync "
          f"{first_sync_requests}")
    assert resumed_requests <= 0.5 * first_sync_requests


def test_full_sync_stopped_by_sigterm_then_a_plain_run_sweeps_only_what_no_attempt_read(
        portal, api, read_mode):
    run_command("sync_hubspot_contacts", "--batch-size", "1000")
    stop_at(portal, child(portal, read_mode, "--full"), 0.6, signal.SIGTERM)
    stopped = SyncHistory.objects.filter(object_type="contacts").latest("pk")
    assert stopped.status == "failed" and "Interrupted" in stopped.error_message
    checkpoint = SyncCheckpoint.objects.get(object_type="contacts")
    vanished = unseen_live_id(api, checkpoint)
    portal.control.hard_delete("contacts", vanished)  # in no listing at all now

    # plain: the mirror has a watermark, yet the unfinished full read goes on (and sweeps)
    run = run_command("sync_hubspot_contacts", "--batch-size", BATCH)

    assert "resumed" in run.out
    assert SyncHistory.objects.latest("pk").mode == "full"
    assert HubSpotContact.objects.get(pk=vanished).deleted_kind == "vanished"
    assert live_ids() == set(upstream_ids(api))  # the only one archived
    assert_exact()


def test_hubspot_unreachable_mid_read_then_the_next_plain_run_resumes(
        hubspot, settings, api, read_mode):
    hubspot.control.reset(contacts=SMALL, seed=1, rate_limit="none")
    checkpoint = stopped_read(hubspot)
    first_rows = HubSpotContact.objects.count()
    assert 0 < checkpoint.records == first_rows < SMALL

    run = run_command("sync_hubspot_contacts", "--batch-size", BATCH)  # plain: goes on

    assert "resumed" in run.out
    assert run["contacts"]["fetched"] < SMALL - first_rows + 2 * int(BATCH)
    assert run["contacts"]["created"] == HubSpotContact.objects.count() - first_rows
    assert_exact()


def test_force_overwrite_resumes_as_force_overwrite_each_batch_whole(hubspot, api):
    hubspot.control.reset(contacts=SMALL, seed=1, rate_limit="none")
    run_command("sync_hubspot_contacts", "--list-only", "--batch-size", BATCH)
    # not a first sync: no history to read, pages alone
    checkpoint = stopped_read(hubspot, "--force-overwrite", "--list-only", passes=16)
    overwritten_first = HubSpotContact.objects.filter(
        synced_at__gte=checkpoint.started_at).count()
    assert overwritten_first == checkpoint.records  # whole batches, nothing more

    run = run_command("sync_hubspot_contacts", "--force-overwrite", "--list-only",
                      "--batch-size", BATCH)

    assert "resumed" in run.out
    # each record overwritten once over both attempts (the repeats of a page cut by a
    # batch are counted nowhere)
    assert run["contacts"]["overwritten"] + overwritten_first >= SMALL
    assert run["contacts"]["overwritten"] < SMALL - overwritten_first + 2 * int(BATCH)
    assert not HubSpotContact.objects.filter(synced_at__lt=checkpoint.started_at).exists()
    assert_exact()


def test_a_plain_run_discards_a_force_overwrite_checkpoint_and_starts_over(hubspot, caplog):
    hubspot.control.reset(contacts=SMALL, seed=1, rate_limit="none")
    stopped_read(hubspot, "--force-overwrite", "--list-only")
    with caplog.at_level(logging.WARNING, logger="ingestion.sync"):
        run = run_command("sync_hubspot_contacts", "--list-only", "--batch-size", BATCH)
    assert "resumed" not in run.out
    assert "written by a --force-overwrite run" in caplog.text
    assert_exact()


def stopped_read(hubspot, *flags: str, passes: int = 40) -> SyncCheckpoint:
    """A full read stopped by HubSpot unreachable (503 past every retry) after `passes`
    requests for contacts (a first sync's 40: a third of the way in): its checkpoint."""
    hubspot.control.set_faults(script=[{"kind": "pass"}] * passes + [{"kind": "503"}] * 400,
                               match={"path_prefix": CONTACTS_PATH})
    try:
        error, _ = run_failing("sync_hubspot_contacts", "--full", "--batch-size", BATCH,
                               *flags)
    finally:
        hubspot.control.clear_faults()
    assert "503" in str(error) or "HubSpot" in str(error)
    return SyncCheckpoint.objects.get(object_type="contacts")


@pytest.mark.parametrize("spoil", ["stale", "version"])
def test_a_stale_or_foreign_checkpoint_is_discarded_with_a_message(hubspot, caplog, spoil):
    hubspot.control.reset(contacts=SMALL, seed=1, rate_limit="none")
    checkpoint = stopped_read(hubspot, "--list-only")
    if spoil == "stale":
        SyncCheckpoint.objects.filter(pk=checkpoint.pk).update(
            updated_at=checkpoint.updated_at - timedelta(hours=25))
        reason = "more than HUBSPOT_RESUME_MAX_AGE_HOURS (24 h)"
    else:
        SyncCheckpoint.objects.filter(pk=checkpoint.pk).update(
            version=resume.CHECKPOINT_VERSION - 1)
        reason = "written by another version of the code"

    with caplog.at_level(logging.WARNING, logger="ingestion.sync"):
        run = run_command("sync_hubspot_contacts", "--list-only", "--batch-size", BATCH)

    assert "was discarded" in caplog.text and reason in caplog.text
    assert "resumed" not in run.out
    row = SyncHistory.objects.filter(status="success").latest("pk")
    assert reason in row.details["resume_discarded"] and "resumed" not in row.details
    assert run["contacts"]["fetched"] == HubSpotContact.objects.count()  # started over
    assert not SyncCheckpoint.objects.exists()
    assert_exact()


def test_a_first_sync_stopped_by_the_daily_limit_resumes_the_next_day(hubspot, read_mode):
    hubspot.control.reset(contacts=SMALL, seed=1, rate_limit="none")
    hubspot.control.set_rate_limit("none", daily_limit=60)
    error, _ = run_failing("sync_hubspot_contacts", "--batch-size", BATCH)
    assert "daily" in str(error).lower()
    checkpoint = SyncCheckpoint.objects.get(object_type="contacts")
    assert 0 < checkpoint.records < SMALL
    hubspot.control.set_rate_limit("none")  # a new day

    run = run_command("sync_hubspot_contacts", "--batch-size", BATCH)

    assert "resumed" in run.out
    assert_exact()
